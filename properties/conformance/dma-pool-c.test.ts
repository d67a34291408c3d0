// The DMA staging-buffer pool in C (examples/dma-pool), built with AddressSanitizer: the port conforms, and the
// variant whose free path returns a buffer to the pool twice is caught three ways, each shrunk to its shortest
// case: by the pool's own invariant on the reported state, by result comparison, and by AddressSanitizer.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceTarget } from '../harness/conformance-target.js';
import { ProcessImplementation } from '../harness/process-adapter.js';
import { findSuite, suites } from '../harness/registry.js';
import { replay } from '../harness/replay.js';
import { seedFromEnvironment } from '../harness/seed.js';
import { FORMAT, load, save } from '../harness/store.js';
import type { PropertyDef } from '../harness/suite.js';
import { buildExamples, isOneMinimal, ROOT, searchOn, type Conformance } from './helpers.js';

/** The C port follows specification version uvm-575 (550-575: the staging buffer is 512 DMA pages of 4 KiB). */
const VERSION = 'uvm-575';
const poolSuite = () => findSuite('dma-pool') as NonNullable<ReturnType<typeof findSuite>>;

function conformance(command: string): Conformance {
  const impl = new ProcessImplementation(command, { timeoutMs: 5000 });
  const target = conformanceTarget(poolSuite(), impl, command.split('/').pop() ?? command, VERSION);
  return { impl, target, property: target.suite.properties[0] as PropertyDef };
}

const seed = seedFromEnvironment();
let good: Conformance;
let buggy: Conformance;
let buggyPath = '';
const out = mkdtempSync(join(tmpdir(), 'gpumem-dma-pool-c-'));

beforeAll(() => {
  const [goodPath, badPath] = buildExamples('dma-pool', 'dma-pool-free-twice');
  buggyPath = badPath as string;
  good = conformance(goodPath as string);
  buggy = conformance(buggyPath);
}, 120_000);
afterAll(() => {
  good?.impl.close();
  buggy?.impl.close();
  rmSync(out, { recursive: true, force: true });
});

describe(`dma-pool in C (seed ${seed})`, () => {
  it('the port conforms', async () => {
    const outcome = await searchOn(good, seed, 100);
    expect(outcome.failure?.violation).toBeUndefined();
    expect(good.impl.stats?.operations).toBeGreaterThan(200);
  });

  it("free returning a buffer twice breaks noDoubleFree on the pool's reported state (3 operations)", async () => {
    const outcome = await searchOn(buggy, seed, 1000);
    const f = outcome.failure;
    expect(f?.violation.invariant).toBe('noDoubleFree');
    expect(f?.operations.map((o) => o.op)).toEqual(['init', 'alloc', 'free']);
  });

  it('... and is caught by result comparison alone (5 operations: the buffer is handed out twice)', async () => {
    const outcome = await searchOn(buggy, seed, 1000, ['resultMatchesSpecification']);
    const f = outcome.failure;
    expect(f?.violation.invariant).toBe('resultMatchesSpecification');
    expect(f?.operations.map((o) => o.op)).toEqual(['init', 'alloc', 'free', 'alloc', 'alloc']);
    expect(f?.violation.message).toBe('the implementation returned OK 0, the specification OK 1');
    expect(isOneMinimal(buggy, f?.operations ?? [], 'resultMatchesSpecification')).toBe(true);
  });

  it('... and by AddressSanitizer alone (4 operations: deinit destroys the buffer twice), saved and replayed', async () => {
    const outcome = await searchOn(buggy, seed, 1000, ['implementationMemorySafe']);
    const f = outcome.failure;
    expect(f?.violation.invariant).toBe('implementationMemorySafe');
    expect(f?.operations.map((o) => o.op)).toEqual(['init', 'alloc', 'free', 'deinit']);
    expect(f?.violation.message).toMatch(/^AddressSanitizer: heap-use-after-free \(READ of size \d+\) in dma_buffer_destroy \(pool\.c:\d+\) <- pool_deinit/);
    if (f === undefined) return;

    // Saved with target impl:<name>, and replayed against a fresh process of the same implementation.
    const { path } = save({ format: FORMAT, subsystem: 'dma-pool', property: 'poolLifecycle', target: buggy.target.label, specVersion: buggy.target.version, seed: f.seed, path: f.path, runs: f.runs, violation: f.violation, operations: f.operations }, out);
    const ce = load(path, suites);
    expect(ce.target).toBe('impl:dma-pool-free-twice');
    const impl = new ProcessImplementation(buggyPath);
    try {
      expect(ce.specVersion).toBe(VERSION);
      const again = replay(ce, conformanceTarget(poolSuite(), impl, 'dma-pool-free-twice', VERSION), true, ['implementationMemorySafe']);
      expect(again.run.violation?.invariant).toBe('implementationMemorySafe');
      expect(impl.lastFailureDetail).toMatch(/ERROR: AddressSanitizer: heap-use-after-free/);
    } finally {
      impl.close();
    }
    // The specification passes the saved case: it is the implementation's bug.
    expect(replay(ce, 'model').run.violation).toBeUndefined();

    // And from the command line: npm run replay -- <file> --impl "<command>" --invariants ... reproduces it (exit 1).
    let status = 0;
    let printed = '';
    try {
      execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'scripts', 'replay.ts'), path, '--impl', buggyPath, '--invariants', 'implementationMemorySafe'], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (error) {
      status = (error as { status: number }).status;
      printed = (error as { stdout: string }).stdout;
    }
    expect(status).toBe(1);
    expect(printed, printed).toContain('result: VIOLATION on impl:dma-pool-free-twice: implementationMemorySafe');
    expect(printed).toContain('ERROR: AddressSanitizer: heap-use-after-free');
  });
});
