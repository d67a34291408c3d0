// `npm run conform` and `npm run replay` against hostile implementations and signals (docs/reliability.md has the
// table these tests hold): Ctrl-C and SIGTERM end conform promptly, --time is honoured within one request, nothing
// an implementation started outlives either command on any way out, a misspelt --invariants is refused, and an
// implementation that does not start gives both commands the same exit status and message (issue 18).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FAKES, isRunning, ROOT } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'gpumem-conform-cli-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

interface Ended {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  /** Milliseconds from the signal (or from `startedWhen` matching) to the end. */
  afterMs: number;
}

/**
 * Runs a command in a process group of its own. Once `when` matches its output, it sends `signal` (to the whole
 * group with `group`, as a terminal's Ctrl-C does), or only starts the clock.
 */
function run(command: string, args: readonly string[], options: { when?: RegExp | (() => boolean); signal?: NodeJS.Signals; group?: boolean } = {}): Promise<Ended> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let mark: number | undefined;
    const guard = setTimeout(() => process.kill(-(child.pid as number), 'SIGKILL'), 60_000);
    const seen = () => {
      if (mark !== undefined || options.when === undefined) return;
      if (options.when instanceof RegExp ? !options.when.test(stdout + stderr) : !options.when()) return;
      mark = Date.now();
      if (options.signal !== undefined) process.kill(options.group ? -(child.pid as number) : (child.pid as number), options.signal);
    };
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      seen();
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      seen();
    });
    const poll = typeof options.when === 'function' ? setInterval(seen, 20) : undefined;
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      clearInterval(poll);
      resolve({ code, signal, stdout, stderr, afterMs: mark === undefined ? NaN : Date.now() - mark });
    });
  });
}

const node = (script: string, args: readonly string[], options?: Parameters<typeof run>[2]) => run(process.execPath, ['--import', 'tsx', script, ...args], options);

/** An implementation that starts a `sleep` of its own (pids written to a file) and answers after `delay` s, or exits. */
function leavesChild(name: string, delay: number, mode: 'answer' | 'exit' = 'answer'): { command: string; pids: () => number[] } {
  const file = join(scratch, `${name}.pids`);
  return {
    command: `${join(FAKES, 'leaves-child.sh')} ${file} ${delay} ${mode}`,
    pids: () => (existsSync(file) ? readFileSync(file, 'utf8').trim().split('\n').map(Number) : []),
  };
}

/** The pids still running after up to two seconds (SIGKILL is asynchronous: a loaded machine takes a moment). */
function stillRunning(pids: number[]): number[] {
  for (const until = Date.now() + 2000; pids.some(isRunning) && Date.now() < until; ) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
  return pids.filter(isRunning);
}

const POOL = ['--subsystem', 'dma-pool', '--property', 'poolLifecycle', '--seed', '1'];
const SEARCHING = /poolLifecycle: \S+ runs on impl:|poolLifecycle: until time is up on impl:/;

describe.concurrent('conform and replay: signals, deadlines, processes left behind', () => {
  it('Ctrl-C to the whole process group stops within one request: the table, exit 130, nothing left running', async () => {
    // Straight under node: npm and tsx add two processes and a second of CPU, and relay the signal a second time,
    // which the same SIGINT handler ignores as check's does (properties/harness/check-cli.test.ts goes through npm).
    const impl = leavesChild('sigint', 0.2);
    const ended = await node('scripts/conform.ts', [...POOL, '--impl', impl.command, '--runs', '100000', '--out', scratch], {
      when: SEARCHING,
      signal: 'SIGINT',
      group: true,
    });
    expect(ended.code === 130 || ended.signal === 'SIGINT', `exit ${ended.code} ${ended.signal}\n${ended.stderr}`).toBe(true);
    expect(ended.stderr).toMatch(/interrupt: stopping within one request/);
    expect(ended.stdout).toMatch(/^dma-pool\/poolLifecycle +\d+ +[\d.]+s +\d+ +interrupted$/m);
    expect(ended.afterMs).toBeLessThan(6000);
    expect(impl.pids().length).toBeGreaterThan(0);
    expect(stillRunning(impl.pids())).toEqual([]);
  });

  it('SIGTERM ends conform at once, and the implementation with everything it started', async () => {
    const impl = leavesChild('sigterm', 0.2);
    const ended = await node('scripts/conform.ts', [...POOL, '--impl', impl.command, '--runs', '100000', '--out', scratch], { when: SEARCHING, signal: 'SIGTERM' });
    expect(ended.signal, `exit ${ended.code} ${ended.signal}\n${ended.stderr}`).toBe('SIGTERM');
    expect(ended.afterMs).toBeLessThan(3000);
    expect(stillRunning(impl.pids())).toEqual([]);
  });

  it('--time is honoured within one request of a slow implementation', async () => {
    const impl = leavesChild('time', 0.3);
    const ended = await node('scripts/conform.ts', [...POOL, '--impl', impl.command, '--time', '1', '--timeout', '2000', '--out', scratch], { when: SEARCHING });
    expect(ended.code, ended.stderr).toBe(0);
    // One second of search, at most one request of 0.3 s beyond it, and the end of the process: far from the
    // minutes that a batch of 100 runs at 0.3 s an operation takes.
    expect(ended.afterMs).toBeLessThan(5000);
    expect(stillRunning(impl.pids())).toEqual([]);
  });

  it('SIGTERM ends a replay waiting on a slow implementation at once, and the implementation with it', async () => {
    const [file] = readdirSync(join(ROOT, 'counterexamples', 'dma-pool')).filter((f) => f.endsWith('.json'));
    const impl = leavesChild('replay-sigterm', 30);
    const ended = await node('scripts/replay.ts', [join(ROOT, 'counterexamples', 'dma-pool', file as string), '--impl', impl.command, '--timeout', '60000'], {
      when: () => impl.pids().length > 0,
      signal: 'SIGTERM',
    });
    expect(ended.signal, `exit ${ended.code} ${ended.signal}\n${ended.stderr}`).toBe('SIGTERM');
    expect(ended.afterMs).toBeLessThan(3000);
    expect(stillRunning(impl.pids())).toEqual([]);
  });

  it('replay refuses a misspelt --invariants (exit 2) instead of checking nothing', async () => {
    const [file] = readdirSync(join(ROOT, 'counterexamples', 'dma-pool')).filter((f) => f.endsWith('.json'));
    const ended = await node('scripts/replay.ts', [join(ROOT, 'counterexamples', 'dma-pool', file as string), '--mutant', 'freeAddsTwice', '--invariants', 'noDubleFree']);
    expect(ended.code).toBe(2);
    expect(ended.stderr).toMatch(/^error: unknown invariant "noDubleFree"/m);
    expect(ended.stdout).toBe('');
  });

  it('an implementation that does not start: the same exit status (2) and message from conform and replay', async () => {
    const missing = join(FAKES, 'no-such-implementation');
    const [file] = readdirSync(join(ROOT, 'counterexamples', 'dma-pool')).filter((f) => f.endsWith('.json'));
    const [conform, replay] = await Promise.all([
      node('scripts/conform.ts', [...POOL, '--impl', missing, '--runs', '10', '--out', scratch]),
      node('scripts/replay.ts', [join(ROOT, 'counterexamples', 'dma-pool', file as string), '--impl', missing]),
    ]);
    expect([conform.code, replay.code]).toEqual([2, 2]);
    const message = /^error: the implementation does not start: the implementation exited with status 127 during reset/m;
    expect(conform.stderr).toMatch(message);
    expect(replay.stderr).toMatch(message);
  });
});
