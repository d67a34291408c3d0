// Throughput: the harness against a bare loop over the same operation lists.

import fc from 'fast-check';
import { FaultPlan } from '../../../model/common/faults.js';
import type { Invariant } from '../../../model/common/spec.js';
import type { Operation } from '../../../model/common/values.js';
import { Coverage, execute } from '../interpreter.js';
import { BatchRunner, batchSeed, DEFAULT_BATCH } from '../search.js';
import { type AnySuite, type PropertyDef, selectInvariants } from '../suite.js';
import { modelTarget } from '../targets.js';
import { cpuMs, gc, heapMB, round, type ThroughputRow } from './results.js';

/** The operation lists batch `index` generates (the same as the search sees: generation ignores the verdicts). */
function generate(property: PropertyDef, seed: number, index: number, numRuns: number): Operation[][] {
  const lists: Operation[][] = [];
  fc.check(
    fc.property(property.operations, (ops) => {
      lists.push(ops);
      return true;
    }),
    { seed: batchSeed(seed, index), numRuns },
  );
  return lists;
}

/**
 * The model's own functions in a plain loop, as the interpreter calls them: initial state, precondition, the
 * snapshot invariants compare against, the operation, and the invariant checks; no generation, no records, no
 * coverage, no fast-check. With `checks` false: the operations alone.
 */
function bareLoop(suite: AnySuite, lists: readonly Operation[][], invariants: readonly Invariant<unknown>[], checks: boolean): number {
  let violations = 0;
  for (const ops of lists) {
    const model = suite.spec.createModel();
    const state = model.initialState();
    for (const op of ops) {
      if (!model.precondition(state, op)) continue;
      const faults = new FaultPlan((op.args['faults'] as readonly number[] | undefined) ?? []);
      if (!checks) {
        model.apply(state, op, faults);
        continue;
      }
      const before = suite.spec.snapshot(state);
      const result = model.apply(state, op, faults);
      const view = { before, after: state, op, result, faults: faults.failures };
      for (const invariant of invariants) if (invariant.check(view) !== undefined) violations++;
    }
  }
  return violations;
}

export function measureThroughput(suite: AnySuite, property: PropertyDef, measureMs: number): ThroughputRow {
  const seed = 1;
  const runner = new BatchRunner(suite, property, modelTarget(suite), seed);
  const invariants = selectInvariants(suite, property);
  // Warm every path up first, so that no phase pays for compiling the model.
  const warm = generate(property, seed, 0, DEFAULT_BATCH);
  for (let i = 0; i < 3; i++) {
    runner.run(0, DEFAULT_BATCH);
    for (const ops of warm) execute(suite.spec, suite.spec.createModel(), ops, { invariants });
    bareLoop(suite, warm, invariants, true);
    bareLoop(suite, warm, invariants, false);
  }
  gc();
  let peak = heapMB();
  // Batch by batch, the same operation lists through each path in turn, so that nothing is kept between batches
  // and every path sees the same heap: the search, generation alone, the interpreter alone, the bare loop, apply.
  const time = { harness: 0, generation: 0, interpret: 0, bare: 0, apply: 0 };
  const timed = <T>(key: keyof typeof time, f: () => T): T => {
    const t = cpuMs();
    const value = f();
    time[key] += cpuMs() - t;
    return value;
  };
  let runs = 0;
  let operations = 0;
  const coverage = new Coverage();
  for (let index = 0; time.harness < measureMs; index++) {
    const r = timed('harness', () => runner.run(index, DEFAULT_BATCH));
    if (r.failure !== undefined) throw new Error(`${suite.spec.name}/${property.name} fails on the specification (seed ${seed}); run npm test`);
    const lists = timed('generation', () => generate(property, seed, index, DEFAULT_BATCH));
    timed('interpret', () => {
      for (const ops of lists) execute(suite.spec, suite.spec.createModel(), ops, { invariants, coverage });
    });
    const violations = timed('bare', () => bareLoop(suite, lists, invariants, true));
    if (violations > 0) throw new Error(`${suite.spec.name}/${property.name}: the bare loop saw ${violations} violations the search did not`);
    timed('apply', () => bareLoop(suite, lists, invariants, false));
    runs += lists.length;
    operations += lists.reduce((n, l) => n + l.length, 0);
    if (index % 8 === 0) peak = Math.max(peak, heapMB());
  }
  const { harness: harnessMs, generation: generationMs, interpret: interpretMs, bare: bareMs, apply: applyMs } = time;
  peak = Math.max(peak, heapMB());
  return {
    subsystem: suite.spec.name,
    property: property.name,
    runs,
    operations,
    harnessMs: round(harnessMs, 1),
    generationMs: round(generationMs, 1),
    interpretMs: round(interpretMs, 1),
    bareMs: round(bareMs, 1),
    applyMs: round(applyMs, 1),
    harnessOpsPerSec: Math.round((operations / harnessMs) * 1000),
    bareOpsPerSec: Math.round((operations / bareMs) * 1000),
    overhead: round(harnessMs / bareMs),
    overheadVsApply: round(harnessMs / applyMs),
    peakHeapMB: round(peak, 1),
  };
}
