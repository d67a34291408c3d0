// The parallel search and sharding change where batches run, never the result: the same seed and budget give
// the same failure, runs and coverage with one thread, with workers, and as the union of shards.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Coverage } from './interpreter.js';
import { SearchPool, type JobRef } from './parallel.js';
import { suites } from './registry.js';
import { batchSeed, mergeCoverage, nthBatch, planOf, plannedRuns, runsInBatch, search, type SearchOutcome } from './search.js';
import { modelTarget, mutantTarget } from './targets.js';

const dmaPool = suites.find((s) => s.spec.name === 'dma-pool');
if (dmaPool === undefined) throw new Error('dma-pool is not registered');
const pool0 = dmaPool.properties[0];
if (pool0 === undefined) throw new Error('dma-pool has no property');

function batchesOf(runs: number, startRun: number, shard?: { index: number; count: number }): number[] {
  const plan = planOf({ runs, startRun, ...(shard ? { shard } : {}) });
  const out: number[] = [];
  for (let k = 0; runsInBatch(plan, nthBatch(plan, k)) > 0; k++) out.push(nthBatch(plan, k));
  return out;
}

/** What must not depend on how the search was run. */
function essence(o: SearchOutcome): string {
  return JSON.stringify(
    { runsDone: o.runsDone, stopped: o.stopped, failure: o.failure, coverage: [...o.coverage.counts].sort(), resumeRun: o.resumeRun },
    (_, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v),
  );
}

describe('batch seeds', () => {
  it('neighbouring main seeds search different cases: no batch seed shared among the first 10 000 batches of seeds 1-5', () => {
    const seen = new Map<number, string>();
    const shared: string[] = [];
    for (let seed = 1; seed <= 5; seed++)
      for (let index = 0; index < 10_000; index++) {
        const s = batchSeed(seed, index);
        const other = seen.get(s);
        if (other !== undefined && !other.startsWith(`${seed}/`)) shared.push(`${other} and ${seed}/${index}`);
        seen.set(s, `${seed}/${index}`);
      }
    expect(shared).toEqual([]);
  });

  it('is a fixed function of (seed, index)', () => {
    expect(batchSeed(7, 3)).toBe(batchSeed(7, 3));
    expect(batchSeed(7, 3)).not.toBe(batchSeed(7, 4));
    expect(batchSeed(7, 3)).not.toBe(batchSeed(8, 3));
  });
});

describe('batch plans', () => {
  it('the shards of a search are disjoint and their union is the whole search', () => {
    for (const [runs, startRun] of [[1, 0], [950, 0], [10_000, 0], [10_050, 300]] as const) {
      const whole = batchesOf(runs, startRun);
      for (const count of [1, 2, 3, 7, 200]) {
        const parts = Array.from({ length: count }, (_, index) => batchesOf(runs, startRun, { index, count }));
        expect(parts.flat().sort((a, b) => a - b)).toEqual(whole);
        const total = parts.reduce((n, _, index) => n + plannedRuns(planOf({ runs, startRun, shard: { index, count } })), 0);
        expect(total).toBe(runs - startRun);
      }
    }
  });
});

describe('parallel search', () => {
  let pool: SearchPool;
  beforeAll(async () => {
    // Workers from the first batch on (a pool started for the command line searches a while in this thread first).
    pool = await SearchPool.start(2, { inThisThreadMs: 0 });
  });
  afterAll(async () => {
    await pool?.close();
  });

  it('finds, shrinks and counts exactly what the single-thread search does, every time', async () => {
    for (const [i, mutant] of dmaPool.mutants.slice(0, 4).entries()) {
      // Half of them with a polish window: the shortest case of the failing batches k..k+2.
      const options = { seed: 11, runs: pool0.numRuns, invariants: [mutant.breaks], polish: i % 2 === 0 ? 0 : 2 };
      const job: JobRef = { subsystem: 'dma-pool', property: mutant.property, target: `mutant:${mutant.name}`, invariants: [mutant.breaks] };
      const property = dmaPool.properties.find((p) => p.name === mutant.property) ?? pool0;
      const single = await search(dmaPool, property, mutantTarget(dmaPool, mutant.name) ?? modelTarget(dmaPool), options);
      const first = await pool.search(job, options);
      const second = await pool.search(job, options);
      expect(single.failure, mutant.name).toBeDefined();
      expect(essence(first), mutant.name).toBe(essence(single));
      expect(essence(second), mutant.name).toBe(essence(first));
    }
  });

  it('gives the single-thread result on every registered subsystem', async () => {
    for (const suite of suites) {
      const property = suite.properties[0];
      if (property === undefined) continue;
      const options = { seed: 3, runs: 200 };
      const single = await search(suite, property, modelTarget(suite), options);
      const parallel = await pool.search({ subsystem: suite.spec.name, property: property.name, target: 'model' }, options);
      expect(essence(parallel), suite.spec.name).toBe(essence(single));
    }
  });

  it('an interrupted search resumed from resumeRun covers the uninterrupted one exactly', async () => {
    const job: JobRef = { subsystem: 'dma-pool', property: pool0.name, target: 'model' };
    const whole = await search(dmaPool, pool0, modelTarget(dmaPool), { seed: 5, runs: 1500 });
    let batches = 0;
    const part = await pool.search(job, { seed: 5, runs: 1500, shouldStop: () => ++batches > 3, onBatch: () => {} });
    expect(part.stopped).toBe('interrupted');
    expect(part.resumeRun % 100).toBe(0);
    const rest = await pool.search(job, { seed: 5, runs: 1500, startRun: part.resumeRun });
    expect(part.runsDone + rest.runsDone).toBe(whole.runsDone);
    const joined = new Coverage();
    mergeCoverage(joined, part.coverage);
    mergeCoverage(joined, rest.coverage);
    expect([...joined.counts].sort()).toEqual([...whole.coverage.counts].sort());
  });
});

describe('workers started mid-search', () => {
  it('a search handed over from this thread to the workers gives the single-thread result', async () => {
    // The workers take over right after this thread has accepted the first failing batch (or the first batch),
    // with the rest of the polish window (or of the budget) still to run. From seed 8, expandCapped's first case
    // shrinks to 6 operations where 5 is the shortest, so its window goes on.
    const target = mutantTarget(dmaPool, 'expandCapped');
    if (target === undefined || dmaPool.mutants.find((m) => m.name === 'expandCapped')?.property !== pool0.name) throw new Error(`expandCapped is not a seeded bug of ${pool0.name}`);
    const cases = [
      { job: { subsystem: 'dma-pool', property: pool0.name, target: 'model' }, target: modelTarget(dmaPool), options: { seed: 8, runs: 3000 } },
      { job: { subsystem: 'dma-pool', property: pool0.name, target: target.label }, target, options: { seed: 8, runs: 20_000, polish: 8 } },
    ];
    const lazy = await SearchPool.start(2, { inThisThreadMs: 0 });
    try {
      // The workers are ready; the pool is made to believe they are not until the first result is accepted.
      let started = false;
      Object.defineProperty(lazy, 'running', { get: () => started });
      for (const { job, target: t, options } of cases) {
        const single = await search(dmaPool, pool0, t, options);
        started = false;
        lazy.heap.fill(0); // each worker reports its heap with every message: nonzero once it searched
        let here = 0;
        const handOver = () => void (started || (here++, (started = true)));
        const handedOver = await lazy.search(job, { ...options, onBatch: handOver, onFailure: handOver });
        expect(here, job.target).toBe(1);
        expect(lazy.heap.every((h) => h > 0), `${job.target}: the workers took over`).toBe(true);
        expect(essence(handedOver), `${job.target} seed ${options.seed}`).toBe(essence(single));
      }
    } finally {
      await lazy.close();
    }
  });

  it('a search that ends within the time in this thread never starts them', async () => {
    const mutant = dmaPool.mutants.find((m) => m.property === pool0.name);
    if (mutant === undefined) return;
    const lazy = await SearchPool.start(2, { inThisThreadMs: 60_000 });
    try {
      const outcome = await lazy.search({ subsystem: 'dma-pool', property: pool0.name, target: `mutant:${mutant.name}` }, { seed: 1, runs: 20_000, polish: 8 });
      expect(outcome.failure).toBeDefined();
      expect(lazy.running).toBe(false);
    } finally {
      await lazy.close();
    }
  });
});

describe('sharding', () => {
  it('the shards together run exactly the batches of one search, and the lowest failing shard batch is its failure', async () => {
    const whole = await search(dmaPool, pool0, modelTarget(dmaPool), { seed: 2, runs: 1000 });
    const joined = new Coverage();
    let runs = 0;
    for (let index = 0; index < 3; index++) {
      const part = await search(dmaPool, pool0, modelTarget(dmaPool), { seed: 2, runs: 1000, shard: { index, count: 3 } });
      mergeCoverage(joined, part.coverage);
      runs += part.runsDone;
    }
    expect(runs).toBe(whole.runsDone);
    expect([...joined.counts].sort()).toEqual([...whole.coverage.counts].sort());

    const mutant = dmaPool.mutants.find((m) => m.property === pool0.name);
    if (mutant === undefined) return;
    const target = mutantTarget(dmaPool, mutant.name) ?? modelTarget(dmaPool);
    const options = { seed: 2, runs: 20_000, invariants: [mutant.breaks] };
    const single = await search(dmaPool, pool0, target, options);
    const shards = await Promise.all([0, 1, 2].map((index) => search(dmaPool, pool0, target, { ...options, shard: { index, count: 3 } })));
    const lowest = shards.flatMap((s) => (s.failure ? [s.failure] : [])).sort((a, b) => a.batch - b.batch)[0];
    expect(lowest).toEqual(single.failure);
  });
});
