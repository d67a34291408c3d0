// The package as another project gets it: `npm pack` (which builds dist/ through prepare), the tarball installed
// into an empty project, then the executable and the entries used there, with none of this repository's
// development dependencies (no tsx, no vitest): `npx gpumem-spec check`, the model imported by package name from a
// plain .mjs file, and the published declarations type-checking a consumer's TypeScript. A command-line test
// (npm run test:cli): it runs npm three times.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const NPM_QUIET = ['--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'];
const scratch = mkdtempSync(join(tmpdir(), 'gpumem-package-test-'));
const consumer = join(scratch, 'consumer');
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/**
 * The environment of a command run in the consumer project: without what `npm run` tells a script about the project
 * it runs in (this repository's package and prefix), which would otherwise reach the npm started here, and without
 * npm's update notice (a line on stderr).
 */
const consumerEnv: NodeJS.ProcessEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([name]) => !/^npm_(package_|lifecycle_|command$|config_local_prefix$|config_call$)/.test(name))),
  npm_config_update_notifier: 'false',
};

interface Packed {
  filename: string;
  files: { path: string }[];
}
let packed: Packed;

/** Runs a command in the consumer project; fails the test with its output when it cannot be started. */
function inConsumer(command: string, args: readonly string[]) {
  const ran = spawnSync(command, args, { cwd: consumer, env: consumerEnv, encoding: 'utf8', timeout: 120_000 });
  if (ran.error !== undefined) throw ran.error;
  return ran;
}

beforeAll(() => {
  // --json prints the tarball's name and file list; the build (prepare) writes its own lines to stderr.
  const out = execFileSync('npm', ['pack', '--json', '--pack-destination', scratch, ...NPM_QUIET], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    packed = (JSON.parse(out) as Packed[])[0] as Packed;
  } catch {
    throw new Error(`npm pack --json printed no JSON:\n${out}`);
  }
  mkdirSync(consumer);
  writeFileSync(join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', version: '1.0.0', private: true, type: 'module' }));
  execFileSync('npm', ['install', join(scratch, packed.filename), ...NPM_QUIET], { cwd: consumer, env: consumerEnv, stdio: ['ignore', 'ignore', 'inherit'] });
}, 240_000);

describe('the packed package', () => {
  it('holds the build, the licence and the documents, and no TypeScript source or C beyond the committed shims', () => {
    const paths = packed.files.map((f) => f.path);
    for (const needed of ['package.json', 'README.md', 'LICENSE', 'dist/scripts/gpumem-spec.js', 'dist/model/index.js', 'dist/model/index.d.ts', 'dist/properties/harness/index.d.ts', 'dist/properties/harness/worker-boot.mjs', 'docs/conformance.md'])
      expect(paths).toContain(needed);
    expect(paths.filter((p) => p.endsWith('.ts') && !p.endsWith('.d.ts'))).toEqual([]);
    expect(paths.filter((p) => /\.test\./.test(p))).toEqual([]);
    // No upstream source: every C file shipped is one of this repository's own (the shims `upstream build` compiles).
    const tracked = new Set(execFileSync('git', ['ls-files', '*.c', '*.h'], { cwd: ROOT, encoding: 'utf8' }).split('\n'));
    const cFiles = paths.filter((p) => /\.[ch]$/.test(p));
    expect(cFiles.length).toBeGreaterThan(0);
    expect(cFiles.filter((p) => !tracked.has(p.replace(/^dist\//, '')))).toEqual([]);
    expect(paths.filter((p) => /(^|\/)(\.upstream|build)\//.test(p))).toEqual([]);
  });

  it('installs without tsx or vitest, fast-check its one dependency', () => {
    expect(existsSync(join(consumer, 'node_modules', 'gpumem-spec', 'dist', 'scripts', 'gpumem-spec.js'))).toBe(true);
    expect(existsSync(join(consumer, 'node_modules', 'fast-check'))).toBe(true);
    for (const absent of ['tsx', 'vitest', 'typescript']) expect(existsSync(join(consumer, 'node_modules', absent))).toBe(false);
  });

  it('npx gpumem-spec check searches from a printed seed on worker threads and passes', () => {
    const ran = inConsumer('npx', ['gpumem-spec', 'check', '--subsystem', 'dma-pool', '--runs', '200']);
    expect(ran.stderr).toBe('');
    expect(ran.status).toBe(0);
    expect(ran.stdout).toMatch(/^seed: -?\d+$/m);
    expect(ran.stdout).toMatch(/^searching 3 properties, \d+ workers?$/m);
    for (const property of ['poolLifecycle', 'trackerReuse', 'concurrentAllocFree'])
      expect(ran.stdout).toMatch(new RegExp(`^dma-pool/${property}\\s+model\\s+200\\s.*\\sok$`, 'm'));
  });

  it('a case npx gpumem-spec check finds on a seeded bug is saved, and the replay command it prints reproduces it', () => {
    const found = inConsumer('npx', ['gpumem-spec', 'check', '--subsystem', 'dma-pool', '--mutant', 'outTrackerNoMemoryFails', '--runs', '2000', '--seed', '1', '--out', 'found']);
    expect(found.status).toBe(1);
    expect(found.stdout).toMatch(/^ {2}saved: found\/dma-pool\/[0-9a-f]{16}\.json$/m);
    // The command printed is one this project can type: the package's executable, not this repository's npm scripts.
    const command = /^ {2}replay: (.*)$/m.exec(found.stdout)?.[1];
    expect(command).toMatch(/^npx gpumem-spec replay found\/dma-pool\/[0-9a-f]{16}\.json --mutant outTrackerNoMemoryFails$/);
    const replayed = inConsumer('sh', ['-c', command as string]);
    expect(replayed.status).toBe(1);
    expect(replayed.stdout).toMatch(/^result: VIOLATION on mutant:outTrackerNoMemoryFails: failureReportsTheFailedStep$/m);
  });

  it('npx gpumem-spec names its commands and its version, and refuses an unknown command with exit 2', () => {
    const help = inConsumer('npx', ['gpumem-spec', '--help']);
    expect(help.status).toBe(0);
    for (const command of ['check', 'replay', 'conform', 'mutants', 'upstream', 'report']) expect(help.stdout).toMatch(new RegExp(`^  ${command} `, 'm'));
    expect(inConsumer('npx', ['gpumem-spec', '--version']).stdout).toBe(`${JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).version}\n`);
    const unknown = inConsumer('npx', ['gpumem-spec', 'chek']);
    expect(unknown.status).toBe(2);
    expect(unknown.stderr).toMatch(/unknown command "chek"; valid: check, replay, conform, mutants, upstream, report$/m);
  });

  it('a plain .mjs file imports the model by package name and applies operations', () => {
    writeFileSync(
      join(consumer, 'apply.mjs'),
      `import { dmaPoolSpec, FaultPlan, specs } from 'gpumem-spec';
import { DmaPoolModel } from 'gpumem-spec/model/dma-pool';
import { U64_MAX } from 'gpumem-spec/model/common/u64.js';
import { suites } from 'gpumem-spec/harness';
const model = dmaPoolSpec.createModel();
const state = model.initialState();
const init = model.apply(state, { op: 'init', args: { count: 1, faults: [] } }, new FaultPlan());
const alloc = model.apply(state, { op: 'alloc', args: { outTracker: false, faults: [] } }, new FaultPlan());
const refused = new DmaPoolModel().apply(model.initialState(), { op: 'init', args: { count: 1, faults: [0] } }, new FaultPlan([0]));
console.log(JSON.stringify({ init, alloc, refused, held: state.held.length, u64Max: U64_MAX.toString(16), specs: specs.map((s) => s.name), suites: suites.map((s) => s.spec.name) }));
`,
    );
    const ran = inConsumer(process.execPath, ['apply.mjs']);
    expect(ran.stderr).toBe('');
    expect(ran.status).toBe(0);
    const names = ['dma-pool', 'uvm-va-space', 'xen-primitives', 'nvgrace-gpu', 'kvm-stage2', 'hmm-migration'];
    expect(JSON.parse(ran.stdout)).toEqual({
      init: { ok: true },
      alloc: { ok: true, value: 0 },
      refused: { ok: false, error: 'NV_ERR_NO_MEMORY' },
      held: 1,
      u64Max: 'f'.repeat(16),
      specs: names,
      suites: names,
    });
  });

  it('npx gpumem-spec conform checks an implementation written in the consumer project against the specification', () => {
    // An implementation module as an implementer writes one: here the specification itself, answering each operation
    // with its result and whole state in the protocol's JSON shape (docs/conformance.md), so it must conform.
    writeFileSync(
      join(consumer, 'implementation.mjs'),
      `import { specs, FaultPlan } from 'gpumem-spec';
import { encodeJson } from 'gpumem-spec/harness';
export function createImplementation(subsystem) {
  const spec = specs.find((s) => s.name === subsystem);
  let model, state;
  const reset = () => { model = spec.createModel(); state = model.initialState(); };
  reset();
  return {
    reset,
    apply: (op) => ({ result: encodeJson(model.apply(state, op, new FaultPlan(op.args.faults ?? []))), state: encodeJson(state) }),
    close() {},
  };
}
`,
    );
    const ran = inConsumer('npx', ['gpumem-spec', 'conform', '--subsystem', 'dma-pool', '--property', 'poolLifecycle', '--impl', 'module:implementation.mjs', '--runs', '200', '--seed', '1']);
    expect(ran.status).toBe(0);
    expect(ran.stdout).toMatch(/^dma-pool\/poolLifecycle\s+200\s.*\sconforms$/m);
  });

  it('its declarations type a consumer: a wrong argument is an error, a right one is not', () => {
    writeFileSync(
      join(consumer, 'typed.mts'),
      `import { dmaPoolSpec, FaultPlan, type Result } from 'gpumem-spec';
import { openImplementation, type Counterexample } from 'gpumem-spec/harness';
import { DmaPoolModel, type PoolState } from 'gpumem-spec/model/dma-pool';
import { alignUp } from 'gpumem-spec/model/common/u64.js';
const model = dmaPoolSpec.createModel('uvm-575');
const pool: PoolState = new DmaPoolModel().initialState();
const aligned: bigint = alignUp(1n, 4096n);
// @ts-expect-error: 64-bit quantities are bigint
alignUp(1, 4096);
const result: Result = model.apply(model.initialState(), { op: 'sync', args: {} }, new FaultPlan());
// @ts-expect-error: a version is a name, not a number
dmaPoolSpec.createModel(575);
export const used: [Result, typeof openImplementation, Counterexample | undefined, PoolState, bigint] = [result, openImplementation, undefined, pool, aligned];
`,
    );
    // Checked with this repository's compiler and Node types, as a consumer with its own would check it.
    writeFileSync(
      join(consumer, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', target: 'ES2022', strict: true, noEmit: true, skipLibCheck: true, types: ['node'], typeRoots: [join(ROOT, 'node_modules', '@types')] },
        files: ['typed.mts'],
      }),
    );
    const tsc = join(ROOT, 'node_modules', 'typescript', 'bin', 'tsc');
    const ran = inConsumer(process.execPath, [tsc, '-p', 'tsconfig.json']);
    expect(ran.stdout + ran.stderr).toBe('');
    expect(ran.status).toBe(0);
  });
});
