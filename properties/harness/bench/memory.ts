// Memory: the heap over a search of every property sharing the time, as `npm run check -- --time` does.

import { SearchPool } from '../parallel.js';
import { DEFAULT_BATCH, search, type SearchOptions } from '../search.js';
import type { AnySuite } from '../suite.js';
import { modelTarget } from '../targets.js';
import { gc, MB, median, round, type SoakRow } from './results.js';

export async function soak(all: readonly AnySuite[], seconds: number, workers: number): Promise<SoakRow> {
  // The search goes round every property, each for a short slot, in rounds with fresh seeds (a long
  // `check --time` does the same work, one long slot per property). Round 1 is warm-up: every path is compiled
  // by its end. The live heap is measured (after a collection) at the end of every slot, so that each property's
  // samples are taken at the same point of its work; growth compares each property's last sample with its
  // sample in round 2.
  const jobs = all.flatMap((suite) => suite.properties.map((property) => ({ suite, property })));
  const rounds = Math.max(3, Math.floor(seconds / (jobs.length * 2)));
  const slotMs = (seconds * 1000) / (rounds * jobs.length);
  // A forced collection costs a worker a good part of its speed for a while: once per slot at most.
  const pool = workers > 1 ? await SearchPool.start(workers, { heapSampleMs: Math.max(1000, slotMs), inThisThreadMs: 0 }) : undefined;
  type Sample = { minutes: number; runs: number; heap: number; workers: number[] };
  const samples: Sample[][] = jobs.map(() => []);
  let runs = 0;
  const violations: string[] = [];
  const t0 = performance.now();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [j, { suite, property }] of jobs.entries()) {
        const options: SearchOptions = { seed: 4 + round, runs: Infinity, timeLimitMs: slotMs };
        const outcome = pool
          ? await pool.search({ subsystem: suite.spec.name, property: property.name, target: 'model' }, options)
          : await search(suite, property, modelTarget(suite), options);
        runs += outcome.runsDone;
        if (outcome.failure !== undefined)
          violations.push(
            `${suite.spec.name}/${property.name}: ${outcome.failure.violation.invariant}; reproduce and save with npm run check -- --subsystem ${suite.spec.name} ` +
              `--property ${property.name} --seed ${4 + round} --runs ${Math.ceil(outcome.failure.runs / DEFAULT_BATCH) * DEFAULT_BATCH}`,
          );
        gc();
        samples[j]?.push({ minutes: (performance.now() - t0) / 60_000, runs, heap: process.memoryUsage().heapUsed, workers: pool ? [...pool.liveHeap] : [] });
      }
    }
  } finally {
    await pool?.close();
  }
  const pairs = samples.map((s) => [s[1], s[s.length - 1]] as const).filter((p): p is readonly [Sample, Sample] => p[0] !== undefined && p[1] !== undefined);
  const minutes = median(pairs.map(([a, b]) => b.minutes - a.minutes)) ?? 0;
  const runsSpan = median(pairs.map(([a, b]) => b.runs - a.runs)) ?? 0;
  const grow = (pick: (s: Sample) => number) => median(pairs.map(([a, b]) => pick(b) - pick(a))) ?? 0;
  const perMinute = (bytes: number) => (minutes > 0 ? round(bytes / 1024 / minutes, 1) : 0);
  const mainGrowth = grow((s) => s.heap);
  const heaps = samples.flat().map((s) => s.heap);
  const first = samples[0]?.[1] ?? samples[0]?.[0];
  const last = samples[samples.length - 1]?.[rounds - 1];
  return {
    mode: pool ? `${pool.size} workers` : 'this thread',
    seconds,
    runs,
    samples: heaps.length,
    startMB: round((first?.heap ?? 0) / MB),
    endMB: round((last?.heap ?? 0) / MB),
    maxMB: round(Math.max(0, ...heaps) / MB),
    slopeKBPerMin: perMinute(mainGrowth),
    bytesPer1000Runs: runsSpan > 0 ? round((mainGrowth / runsSpan) * 1000, 1) : 0,
    workerSlopeKBPerMin: (pool ? Array.from({ length: workers }, (_, i) => i) : []).map((i) => perMinute(grow((s) => s.workers[i] ?? 0))),
    violations,
  };
}
