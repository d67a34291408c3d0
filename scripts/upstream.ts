// npm run upstream -- build   --src <tree> [--target T] [--out DIR]
// npm run upstream -- conform --src <tree> [--target T] [--out-build DIR] [any npm run conform option]
// npm run upstream -- detect  --src <tree> [--target T]
// npm run upstream -- list
//
// Real driver code as the implementation: an upstream source tree's files are compiled unmodified in userspace
// against the project's kernel shims (upstream/<target>/), with AddressSanitizer and UBSan, into a program that
// speaks the conformance protocol; `conform` then runs `npm run conform` on it against the specification version
// that matches the tree. A missing tree or file, a file that does not compile against the shims, or a symbol the
// shims expect that the tree no longer has is reported naming the file, the symbol and the tree (exit 2).

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { invocation } from '../properties/harness/invocation.js';
import { moduleBeside } from '../properties/harness/worker-start.js';
import { UpstreamError, type DetectedVersion, type UpstreamTarget } from '../upstream/target.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const EXIT_USAGE = 2;

/**
 * Each target's module exports `target: UpstreamTarget`; a target whose folder is not there yet is left out.
 * Resolved with this module's own extension: .ts from the sources, .js from the package's build.
 */
const TARGET_MODULES = ['../upstream/nvgrace-gpu/target', '../upstream/uvm-dma-pool/target'].map((path) => moduleBeside(path, import.meta.url));
/** conform, run as a child process: under tsx only from the sources. */
const CONFORM = moduleBeside('./conform', import.meta.url);
const CONFORM_NODE_ARGS = CONFORM.pathname.endsWith('.ts') ? ['--import', 'tsx', fileURLToPath(CONFORM)] : [fileURLToPath(CONFORM)];

const HELP = `usage:
  ${invocation('upstream')} build   --src <tree> [--target T] [--out DIR]
  ${invocation('upstream')} conform --src <tree> [--target T] [--out-build DIR] [--mask-known] [conform's options]
  ${invocation('upstream')} detect  --src <tree> [--target T]
  ${invocation('upstream')} list

  --src <tree>    an upstream source tree (a Linux tree for nvgrace-gpu, open-gpu-kernel-modules for uvm-dma-pool)
  --target T      which target (default: the only one that recognises the tree)
  --out DIR       (build) where the executable is written (default: upstream/build/<target>/<tree>-<hash>)
  --out-build DIR (conform) the same, for conform; conform's own --out is where counterexamples are saved
  --mask-known    (conform) the built program answers "unsupported" (counted, not compared) for operations that
                  meet a difference already recorded in docs/upstream.md, so that a long run checks the rest
                  (GPUMEM_UPSTREAM_MASK=known in its environment; a target without masks ignores it)

conform builds, detects the tree's version, and runs
  ${invocation('conform')} --impl <built executable> --subsystem <target's> --spec-version <detected> [options]
with any other option passed through (--runs, --seed, --property, --time, --out, --json, ...).
Exit status: that of conform; 2 for a missing tree, a file that does not compile, a missing symbol.`;

class Usage extends Error {}

async function loadTargets(): Promise<UpstreamTarget[]> {
  const targets: UpstreamTarget[] = [];
  for (const url of TARGET_MODULES) {
    if (!existsSync(url)) continue;
    const mod = (await import(url.href)) as { target?: UpstreamTarget };
    if (mod.target !== undefined) targets.push(mod.target);
  }
  return targets;
}

/** Pulls `--name value` (or `--name=value`) out of args; returns the value and the rest. */
function take(args: string[], name: string): { value?: string; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] ?? '';
    if (a === `--${name}`) {
      const next = args[i + 1];
      if (next === undefined || next.startsWith('--')) throw new Usage(`--${name} needs a value`);
      value = next;
      i++;
    } else if (a.startsWith(`--${name}=`)) value = a.slice(name.length + 3);
    else rest.push(a);
  }
  return value === undefined ? { rest } : { value, rest };
}

function chooseTarget(targets: UpstreamTarget[], tree: string, name: string | undefined): UpstreamTarget {
  if (name !== undefined) {
    const t = targets.find((x) => x.name === name);
    if (t === undefined) throw new Usage(`unknown target "${name}"; valid: ${targets.map((x) => x.name).join(', ')}`);
    return t;
  }
  if (!existsSync(tree)) throw new UpstreamError(`no such tree: ${tree}`, undefined, undefined, tree);
  const matching = targets.filter((t) => t.recognises(tree));
  if (matching.length === 1 && matching[0] !== undefined) return matching[0];
  if (matching.length === 0)
    throw new UpstreamError(
      `no target recognises the tree (looked for: ${targets.map((t) => `${t.name}: ${t.description}`).join('; ')}); give --target`,
      undefined, undefined, tree,
    );
  throw new Usage(`several targets recognise ${tree} (${matching.map((t) => t.name).join(', ')}): give --target`);
}

function defaultOutDir(target: UpstreamTarget, tree: string): string {
  const abs = resolve(tree);
  const tag = createHash('sha256').update(abs).digest('hex').slice(0, 8);
  return join(ROOT, 'upstream', 'build', target.name, `${basename(abs)}-${tag}`);
}

function runConform(args: string[], maskKnown: boolean): Promise<number> {
  return new Promise((done) => {
    const env = maskKnown ? { ...process.env, GPUMEM_UPSTREAM_MASK: 'known' } : process.env;
    const child = spawn(process.execPath, [...CONFORM_NODE_ARGS, ...args], { stdio: 'inherit', cwd: process.cwd(), env });
    // Ctrl-C reaches the child too (same process group); it stops cleanly and saves what it found.
    const ignore = () => {};
    process.on('SIGINT', ignore);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', ignore);
      done(code ?? (signal === 'SIGINT' ? 130 : EXIT_USAGE));
    });
    child.on('error', (error) => {
      process.stderr.write(`cannot start conform: ${error.message}\n`);
      done(EXIT_USAGE);
    });
  });
}

function shellQuote(s: string): string {
  return /^[A-Za-z0-9_./:=+-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`;
}

async function run(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  if (command === undefined || command === '--help' || command === '-h' || command === 'help') {
    console.log(HELP);
    return command === undefined ? EXIT_USAGE : 0;
  }
  const targets = await loadTargets();
  if (command === 'list') {
    for (const t of targets) console.log(`${t.name}\tsubsystem ${t.subsystem}\t${t.envVar}\n\t${t.description}`);
    return 0;
  }
  if (command !== 'build' && command !== 'conform' && command !== 'detect') throw new Usage(`unknown command "${command}"; valid: build, conform, detect, list`);
  const src = take(rest, 'src');
  if (src.value === undefined) throw new Usage('--src <tree> is required');
  const tree = resolve(src.value);
  const tgt = take(src.rest, 'target');
  const target = chooseTarget(targets, tree, tgt.value);
  process.stderr.write(`upstream: ${target.name} from ${tree}\n`);
  let detected: DetectedVersion | undefined;
  try {
    detected = target.detectVersion(tree);
    process.stderr.write(`  upstream ${detected.upstream}\n  specification version ${detected.specVersion}: ${detected.how}\n`);
  } catch (error) {
    // build does not need the version; detect and conform do.
    if (command !== 'build' || !(error instanceof UpstreamError)) throw error;
    process.stderr.write(`  version not recognised (${error.message}); building anyway\n`);
  }
  if (command === 'detect' && detected !== undefined) {
    console.log(JSON.stringify({ target: target.name, subsystem: target.subsystem, tree, ...detected }, null, 2));
    return 0;
  }
  const outFlag = command === 'build' ? 'out' : 'out-build';
  const out = take(tgt.rest, outFlag);
  const outDir = out.value === undefined ? defaultOutDir(target, tree) : resolve(out.value);
  if (command === 'build' && out.rest.length > 0) throw new Usage(`unexpected arguments to build: ${out.rest.join(' ')}`);
  const started = Date.now();
  const exe = target.build(tree, outDir);
  process.stderr.write(`  built ${exe} (${((Date.now() - started) / 1000).toFixed(1)} s)\n`);
  if (command === 'build') {
    console.log(exe);
    return 0;
  }
  const maskKnown = out.rest.includes('--mask-known');
  const passed = out.rest.filter((a) => a !== '--mask-known');
  for (const forbidden of ['impl', 'subsystem'])
    if (passed.some((a) => a === `--${forbidden}` || a.startsWith(`--${forbidden}=`))) throw new Usage(`--${forbidden} is chosen by upstream conform; leave it out`);
  if (detected === undefined) throw new Error('unreachable: conform without a detected version');
  const version = passed.some((a) => a === '--spec-version' || a.startsWith('--spec-version=')) ? [] : ['--spec-version', detected.specVersion];
  const name = passed.some((a) => a === '--name' || a.startsWith('--name=')) ? [] : ['--name', `upstream-${target.name}`];
  const conformArgs = ['--impl', shellQuote(exe), '--subsystem', target.subsystem, ...version, ...name, ...(target.conformArgs ?? []), ...passed];
  if (maskKnown) process.stderr.write(`  --mask-known: operations meeting a known difference (docs/upstream.md) are answered unsupported and counted, not compared\n`);
  process.stderr.write(`  ${maskKnown ? 'GPUMEM_UPSTREAM_MASK=known ' : ''}${invocation('conform')} ${conformArgs.join(' ')}\n`);
  return runConform(conformArgs, maskKnown);
}

try {
  process.exitCode = await run(process.argv.slice(2));
} catch (error) {
  if (error instanceof UpstreamError) {
    const where = [error.file === undefined ? undefined : `file: ${error.file}`, error.symbol === undefined ? undefined : `symbol: ${error.symbol}`, error.tree === undefined ? undefined : `tree: ${error.tree}`]
      .filter((x) => x !== undefined)
      .join(', ');
    process.stderr.write(`upstream: ${error.message}${where === '' ? '' : `\n  (${where})`}\n`);
    process.exitCode = EXIT_USAGE;
  } else if (error instanceof Usage) {
    process.stderr.write(`upstream: ${error.message}\n\n${HELP}\n`);
    process.exitCode = EXIT_USAGE;
  } else throw error;
}
