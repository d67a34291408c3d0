// `npm run check` under hostile inputs and signals (docs/reliability.md has the table these tests hold): one
// Ctrl-C through npm, a resume that runs exactly the rest of the interrupted search, seeds out of range and very
// long arguments, --workers beyond the cores, an --out that cannot be written, seeded-bug searches saving outside
// the repository, deadlines honoured within a run, and the test run's seed printed once.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutDir, clipWords, parseSeed, parseWorkers, quoted, UsageError } from '../../scripts/cli.js';
import { Coverage } from './interpreter.js';
import { suites } from './registry.js';
import { search, searchDeadline } from './search.js';
import { announceSeed } from './seed-setup.js';
import { fileNameOf, parse, serialize } from './store.js';
import { modelTarget, mutantTarget, type Target } from './targets.js';
import { COUNTEREXAMPLES_DIR, tracedCases } from './vitest-suite.js';

const ROOT = join(import.meta.dirname, '..', '..');
const scratch = mkdtempSync(join(tmpdir(), 'gpumem-check-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const dmaPool = suites.find((s) => s.spec.name === 'dma-pool');
if (dmaPool === undefined) throw new Error('dma-pool is not registered');

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command in a process group of its own (as a terminal runs a foreground job) and, once `when` matches its
 * stderr, sends SIGINT to the whole group, as Ctrl-C does.
 */
function run(command: string, args: readonly string[], options: { env?: NodeJS.ProcessEnv; interruptWhen?: RegExp } = {}): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...options.env } });
    let stdout = '';
    let stderr = '';
    let sent = false;
    const guard = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 100_000);
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      if (options.interruptWhen && !sent && options.interruptWhen.test(stderr)) {
        sent = true;
        setTimeout(() => process.kill(-(child.pid as number), 'SIGINT'), 50);
      }
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

const check = (args: readonly string[], env?: NodeJS.ProcessEnv) => run(process.execPath, ['--import', 'tsx', 'scripts/check.ts', ...args], env ? { env } : {});

type CheckJson = {
  workers: number;
  out: string;
  resume?: string;
  results: { subsystem: string; property: string; target: string; runs: number; stopped: string; coverage: Record<string, number>; file?: string; violation?: { invariant: string } }[];
};

describe('Ctrl-C and resume', () => {
  it('one Ctrl-C to the whole process group under npm prints the table and a resume command with every option; the resumed search completes exactly the uninterrupted one', async () => {
    const out = join(scratch, 'interrupted');
    // 2000 runs a property: long enough that the interrupt lands in the middle of one (a search begins in the main thread).
    const args = ['--subsystem', 'dma-pool', '--seed=-7', '--runs', '2000', '--workers', '1', '--polish', '3', '--time', '3600', '--out', out, '--json'];
    const first = await run('npm', ['run', '--silent', 'check', '--', ...args], { interruptWhen: /^dma-pool\/\w+: 2000 runs on model/m });
    // npm re-raises the signal after its script ends, so a shell reports 130 (128 + SIGINT) either way.
    expect(first.code === 130 || (first.code === null && first.signal === 'SIGINT'), `exit ${first.code} ${first.signal}\n${first.stderr}`).toBe(true);
    expect(first.stderr).toMatch(/interrupt: stopping the search/);
    expect(first.stderr).toMatch(/^property +target +runs +time +runs\/s +result$/m);
    expect(first.stderr).toMatch(/^interrupted: resume with {2}npm run check -- /m);
    const part: CheckJson = JSON.parse(first.stdout);
    const resume = part.resume ?? '';
    for (const option of ['--subsystem dma-pool', '--seed=-7', '--runs 2000', '--workers 1', '--polish 3', '--time 3600', `--out ${out}`, '--json'])
      expect(resume, option).toContain(option);
    const at = /--resume (dma-pool\/(\w+)(?:@[\w.-]+)?):(\d+)$/.exec(resume);
    expect(at, resume).not.toBeNull();
    const [, , property, runText] = at as unknown as [string, string, string, string];
    const cut = part.results.find((r) => r.property === property);
    expect(cut?.stopped).toBe('interrupted');
    // The resume point is exactly the runs the interrupted search completed: nothing lost, nothing run twice.
    expect(cut?.runs).toBe(Number(runText));

    const words = resume.slice('npm run check -- '.length).split(' ');
    const second = await check(words);
    expect(second.code, second.stderr).toBe(0);
    const rest: CheckJson = JSON.parse(second.stdout);
    // The uninterrupted search, in this process: the same seed, runs and target.
    for (const p of dmaPool.properties) {
      const whole = await search(dmaPool, p, modelTarget(dmaPool), { seed: -7, runs: 2000 });
      const parts = [...part.results, ...rest.results].filter((r) => r.property === p.name);
      const joined = new Coverage();
      for (const r of parts) for (const [k, n] of Object.entries(r.coverage)) joined.counts.set(k, (joined.counts.get(k) ?? 0) + n);
      expect([...joined.counts].sort(), p.name).toEqual([...whole.coverage.counts].sort());
      expect(Math.max(...parts.map((r) => r.runs)), p.name).toBe(whole.runsDone);
    }
  });
});

describe('arguments', () => {
  it('refuses a seed outside 32 bits, naming the range, and echoes a 10 000-character argument cut short', async () => {
    expect(() => parseSeed('seed', '4294967296')).toThrow(/from -2147483648 to 2147483647/);
    expect(() => parseSeed('seed', '-2147483649')).toThrow(UsageError);
    expect(parseSeed('seed', '-2147483648')).toBe(-2147483648);
    expect(parseSeed('seed', '2147483647')).toBe(2147483647);
    expect(() => parseSeed('seed', '')).toThrow(UsageError);
    expect(quoted('x'.repeat(10_000))).toBe(`"${'x'.repeat(60)}"… (10000 characters)`);
    // The argument parser's own messages (an unknown option) echo the option whole: cut there too.
    expect(clipWords(`Unknown option '--${'x'.repeat(10_000)}'`)).toBe(`Unknown option '--${'x'.repeat(57)}… (10004 characters)`);
    const ended = await check(['--seed', '9'.repeat(10_000)]);
    expect(ended.code).toBe(2);
    expect(ended.stderr).toMatch(/--seed takes a whole number from -2147483648 to 2147483647, not "9{60}"… \(10000 characters\)/);
    expect(ended.stderr.length).toBeLessThan(400);
    expect(ended.stdout).not.toMatch(/seed:/);
  });

  // Through the command line the cap would start one worker per core of the machine running the tests; the
  // function check.ts takes its worker count from is tested instead.
  it('--workers: 0 and negatives are errors; more than the cores is capped, with a note', () => {
    expect(() => parseWorkers('0', 4)).toThrow(UsageError);
    expect(() => parseWorkers('-3', 4)).toThrow(UsageError);
    expect(parseWorkers('3', 4)).toEqual({ workers: 3 });
    expect(parseWorkers(undefined, 4)).toEqual({ workers: 4 });
    const capped = parseWorkers('200', 4);
    expect(capped.workers).toBe(4);
    expect(capped.note).toMatch(/--workers 200 is more than the 4 cores of this machine; using 4/);
  });

  it('--out: a regular file, a path through a file, or an unwritable place is refused before searching; a missing folder is created', async () => {
    const file = join(scratch, 'a-file');
    writeFileSync(file, 'not a folder');
    expect(() => checkOutDir(file)).toThrow(/is not a folder/);
    expect(() => checkOutDir(join(file, 'below'))).toThrow(UsageError);
    expect(() => checkOutDir('/proc/gpumem-spec-out')).toThrow(UsageError);
    const fresh = join(scratch, 'fresh', 'deeper');
    checkOutDir(fresh);
    expect(existsSync(fresh)).toBe(true);
    const ended = await check(['--subsystem', 'dma-pool', '--mutant', 'freeAddsTwice', '--seed', '1', '--out', file]);
    expect(ended.code).toBe(2);
    expect(ended.stderr).toMatch(/--out ".*a-file" is not a folder/);
    expect(ended.stdout).not.toMatch(/seed:/); // refused before any search
  });
});

describe('saving', () => {
  it('the README example (a seeded-bug search) saves outside the repository; a case that cannot be saved is printed whole on stderr', async () => {
    // One search shows all three: the scratch folder (under TMPDIR) is usable, but where the dma-pool folder would
    // go lies a regular file, so saving fails only after the search found its case.
    const tmp = join(scratch, 'tmp');
    mkdirSync(join(tmp, 'gpumem-spec', 'counterexamples'), { recursive: true });
    writeFileSync(join(tmp, 'gpumem-spec', 'counterexamples', 'dma-pool'), 'a file where the subsystem folder would go');
    const ended = await check(['--subsystem', 'dma-pool', '--mutant', 'freeAddsTwice', '--seed', '1', '--workers', '1', '--json'], { TMPDIR: tmp });
    expect(ended.code, ended.stderr).toBe(1);
    const result: CheckJson = JSON.parse(ended.stdout);
    expect(result.out).toBe(join(tmp, 'gpumem-spec', 'counterexamples'));
    expect(ended.stderr).toMatch(/could not save the case under .*counterexamples \(\w+\); here it is/);
    expect(ended.stderr).toMatch(/NOT saved/);
    const text = /here it is, to save as a \.json file and replay:\n(\{\n[\s\S]*?\n\}\n)/.exec(ended.stderr)?.[1] ?? '';
    const ce = parse(text, 'stderr', suites);
    expect(ce.target).toBe('mutant:freeAddsTwice');
    expect(ce.violation.invariant).toBe(result.results[0]?.violation?.invariant);
    expect(existsSync(join(COUNTEREXAMPLES_DIR, 'dma-pool', fileNameOf(serialize(ce))))).toBe(false);
  });

  it('npm test holds to TRACES.md only the cases it lists (a case saved since by a search is replayed, not traced); -u and a first file take every case', () => {
    const traces = '# Traces\n\n## a.json\n\nOn the specification: …\n\n## b.json\n\n…\n';
    expect(tracedCases(['a.json', 'b.json', 'new.json'], traces, false)).toEqual({ cases: ['a.json', 'b.json'], unlisted: ['new.json'] });
    expect(tracedCases(['a.json', 'new.json'], traces, true)).toEqual({ cases: ['a.json', 'new.json'], unlisted: [] });
    expect(tracedCases(['x.json'], undefined, false)).toEqual({ cases: ['x.json'], unlisted: [] });
  });

  it('hands over each case as soon as it is shrunk, before the polish window is searched', async () => {
    // expandCapped's first case from seed 1 is longer than its shortest (6 operations, not 5): its window goes on.
    const mutant = dmaPool.mutants.find((m) => m.name === 'expandCapped');
    const property = dmaPool.properties.find((p) => p.name === mutant?.property);
    const target = mutantTarget(dmaPool, 'expandCapped');
    if (mutant === undefined || property === undefined || target === undefined) return expect.fail('expandCapped is not registered');
    const handed: unknown[] = [];
    let stop = false;
    // Stopping as soon as a case is handed over stands for a search killed right after it.
    const outcome = await search(dmaPool, property, target, { seed: 1, runs: 10_000, polish: 8, shouldStop: () => stop, onFailure: (f) => (handed.push(f), (stop = true)) });
    expect(handed).toHaveLength(1);
    expect(handed[0]).toEqual(outcome.failure);
    expect(outcome.cut).toBe('interrupted');
  });
});

describe('deadlines', () => {
  it('a time limit stops a search within a run, not after its batch; the batch cut short is not counted and is where to resume', async () => {
    const property = dmaPool.properties[0];
    if (property === undefined) return expect.fail('dma-pool has no property');
    const base = modelTarget(dmaPool);
    const seen: (number | undefined)[] = [];
    const pause = new Int32Array(new SharedArrayBuffer(4));
    // 20 ms a run: one batch of 100 runs would take 2 s.
    const slow: Target = { ...base, createModel: () => (seen.push(searchDeadline()), Atomics.wait(pause, 0, 0, 20), base.createModel()) };
    const started = Date.now();
    const outcome = await search(dmaPool, property, slow, { seed: 3, runs: 1000, timeLimitMs: 100 });
    const elapsed = Date.now() - started;
    expect(outcome.stopped).toBe('time');
    expect(elapsed).toBeLessThan(1000);
    expect(outcome.runsDone).toBe(0);
    expect(outcome.resumeRun).toBe(0);
    expect(seen.length).toBeGreaterThan(0);
    for (const d of seen) expect(d !== undefined && Math.abs(d - (started + 100)) < 50).toBe(true);
    expect(searchDeadline()).toBeUndefined();
  });
});

describe('the seed of a test run', () => {
  it('is printed once per run, and GPUMEM_SEED=random is drawn once for every test file', () => {
    const saved = process.env['GPUMEM_SEED'];
    try {
      // This run's global setup already fixed the seed for every file.
      expect(saved).toMatch(/^-?\d+$/);
      const lines: string[] = [];
      process.env['GPUMEM_SEED'] = 'random';
      const seed = announceSeed((line) => lines.push(line));
      expect(process.env['GPUMEM_SEED']).toBe(String(seed));
      expect(lines).toEqual([`gpumem-spec: seed ${seed} (GPUMEM_SEED=${seed} repeats this run)\n`]);
      process.env['GPUMEM_SEED'] = '4294967296';
      expect(() => announceSeed(() => {})).toThrow(/from -2147483648 to 2147483647/);
    } finally {
      if (saved === undefined) delete process.env['GPUMEM_SEED'];
      else process.env['GPUMEM_SEED'] = saved;
    }
  });
});
