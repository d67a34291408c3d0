// The suite survives implementations that crash, exit, hang or print garbage: each is a violation of its own
// invariant with a clear message, the child is started again for the next run, and a crash is shrunk across
// the process boundary like any other violation.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { Operation } from '../../model/common/values.js';
import { formatTrace } from '../harness/trace.js';
import { conformance, FAKES, isRunning, run, searchOn, type Conformance } from './helpers.js';

const init: Operation = { op: 'init', args: { count: 1, faults: [] } };
const alloc: Operation = { op: 'alloc', args: { outTracker: false, faults: [] } };
const deinit: Operation = { op: 'deinit', args: {} };

let open: Conformance[] = [];
afterEach(() => {
  for (const c of open) c.impl.close();
  open = [];
});

function fake(script: string, timeoutMs = 5000): Conformance {
  const c = conformance('dma-pool', join(FAKES, script), timeoutMs);
  open.push(c);
  return c;
}

/** Runs the case (twice with `again`: the second run needs a fresh child, and must fail the same way). */
function fails(c: Conformance, ops: readonly Operation[], again = false): { invariant: string; message: string; step: number } {
  const first = run(c, ops);
  expect(first.violation, formatTrace(first)).toBeDefined();
  if (again) expect(run(c, ops).violation).toEqual(first.violation);
  const v = first.violation as NonNullable<typeof first.violation>;
  return { invariant: v.invariant, message: v.message, step: v.step };
}

describe('a misbehaving implementation is a violation, never a failure of the suite', () => {
  it('a crash: the signal is named', () => {
    const v = fails(fake('crash.sh alloc'), [init, alloc, deinit], true);
    expect(v.invariant).toBe('implementationKeepsRunning');
    expect(v.step).toBe(1);
    expect(v.message).toMatch(/during alloc/);
    expect(v.message).toMatch(/SIGSEGV/);
  });

  it('an exit: the status and the end of stderr are quoted', () => {
    const v = fails(fake('exit.sh'), [init]);
    expect(v.invariant).toBe('implementationKeepsRunning');
    expect(v.message).toBe('the implementation exited with status 3 during reset or init; stderr ends: «fatal: pool list corrupted»');
  });

  it('a hang: killed after the timeout, with whatever it started', () => {
    const started = Date.now();
    const v = fails(fake('hang.sh', 300), [init], true);
    expect(v.invariant).toBe('implementationAnswersInTime');
    expect(v.message).toBe('no answer to reset or init within 300 ms (1 of 2 lines arrived); the implementation was killed');
    expect(Date.now() - started).toBeLessThan(4000);
  });

  it('an unfinished line: quoted', () => {
    const v = fails(fake('half-line.sh', 200), [init]);
    expect(v.invariant).toBe('implementationAnswersInTime');
    expect(v.message).toContain('«{"result":{"ok":tr»');
  });

  it('garbage: the line is quoted', () => {
    const v = fails(fake('garbage.sh'), [init], true);
    expect(v.invariant).toBe('implementationFollowsProtocol');
    expect(v.message).toMatch(/^the answer to init is not JSON: «alloc: ok, buffer 0 handed out»/);
  });

  it('JSON of the wrong shape', () => {
    const v = fails(fake('wrong-shape.sh'), [init]);
    expect(v.invariant).toBe('implementationFollowsProtocol');
    expect(v.message).toBe('the answer to init has no "result": «{"status":"NV_OK"}»');
  });

  it('a state of the wrong type: the field is named', () => {
    const v = fails(fake('bad-state.sh'), [init]);
    expect(v.invariant).toBe('implementationFollowsProtocol');
    expect(v.message).toBe('malformed answer to init: state.numDmaBuffers: expected a number, got "many"');
  });

  it('debug output on stdout', () => {
    const v = fails(fake('chatty.sh'), [init]);
    expect(v.invariant).toBe('implementationFollowsProtocol');
    expect(v.message).toMatch(/«debug: request received»/);
  });

  it('a refused reset', () => {
    const v = fails(fake('refuses-reset.sh'), [init]);
    expect(v.invariant).toBe('implementationFollowsProtocol');
    expect(v.message).toMatch(/^reset was not accepted/);
  });

  it('a command that does not exist', () => {
    const v = fails(fake('no-such-implementation'), [init]);
    expect(v.invariant).toBe('implementationKeepsRunning');
    expect(v.message).toMatch(/status 127.*not found/);
  });

  it('a crash is shrunk across the process boundary: each run starts with reset in a fresh process', async () => {
    const c = fake('crash.sh deinit');
    const outcome = await searchOn(c, 7, 300, ['implementationKeepsRunning']);
    expect(outcome.failure?.violation.invariant).toBe('implementationKeepsRunning');
    expect(outcome.failure?.operations.map((o) => o.op)).toEqual(['init', 'deinit']);
  });

  it('an over-long answer line: a protocol violation at once, and the adapter still answers (issue 18, item 3)', () => {
    const c = fake('long-line.sh', 20_000);
    const started = Date.now();
    const v = fails(c, [init], true);
    expect(v.invariant).toBe('implementationFollowsProtocol');
    expect(v.message).toMatch(/^an answer to reset or init longer than 4194304 bytes \(the limit of one line\): «x{20}/);
    // Twice, from a fresh child each time, far within one request timeout (the watcher never blocks on a full pipe).
    expect(Date.now() - started).toBeLessThan(5000);
  });
});

describe('what an implementation starts dies with it (issue 18, item 4)', () => {
  let dir = '';
  afterEach(() => rmSync(dir, { recursive: true, force: true }));
  /** The pids still running after up to two seconds (SIGKILL is asynchronous: a loaded machine takes a moment). */
  const waitForNone = (list: number[]): number[] => {
    for (const until = Date.now() + 2000; list.some(isRunning) && Date.now() < until; ) Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 20);
    return list.filter(isRunning);
  };
  const pids = (): number[] => readFileSync(join(dir, 'pids'), 'utf8').trim().split('\n').map(Number);

  for (const [how, args, ops] of [
    ['exits at an operation', 'exit', [init]],
    ['is killed at its deadline', '2', [init]],
    ['ends at the end of its input (close)', 'answer', [init, deinit]],
  ] as const) {
    it(`an implementation that ${how} leaves no process behind`, () => {
      dir = mkdtempSync(join(tmpdir(), 'gpumem-orphans-'));
      const c = fake(`leaves-child.sh ${join(dir, 'pids')} ${args === '2' ? '2' : '0'} ${args === '2' ? 'answer' : args}`, 300);
      run(c, ops);
      run(c, ops);
      c.impl.close();
      expect(pids().length).toBeGreaterThan(0);
      expect(waitForNone(pids())).toEqual([]);
    });
  }
});
