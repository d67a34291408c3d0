// Parallel speed-up: the same batches of every property in this thread, on one worker, on two (and on every core).

import { SearchPool } from '../parallel.js';
import { DEFAULT_BATCH, search } from '../search.js';
import type { AnySuite, PropertyDef } from '../suite.js';
import { modelTarget } from '../targets.js';
import { cpuMs, round, type ParallelRow } from './results.js';

export interface Job {
  suite: AnySuite;
  property: PropertyDef;
  runs: number;
}

export async function measureParallel(jobs: readonly Job[], counts: readonly number[]): Promise<ParallelRow[]> {
  const rows: ParallelRow[] = [];
  const total = jobs.reduce((n, j) => n + j.runs, 0);
  const row = (label: string, workers: number, ms: number, cpu: number, startMs: number): ParallelRow => ({
    label,
    workers,
    runs: total,
    ms: round(ms, 1),
    cpuMs: round(cpu, 1),
    runsPerSec: Math.round((total / ms) * 1000),
    runsPerCpuSec: Math.round((total / cpu) * 1000),
    startMs: round(startMs, 0),
  });
  const t0 = performance.now();
  const c0 = cpuMs();
  for (const j of jobs) await search(j.suite, j.property, modelTarget(j.suite), { seed: 2, runs: j.runs });
  rows.push(row('this thread', 0, performance.now() - t0, cpuMs() - c0, 0));
  for (const n of counts) {
    const s0 = performance.now();
    const pool = await SearchPool.start(n, { inThisThreadMs: 0 });
    const startMs = performance.now() - s0;
    try {
      // A short search of every property first, so the workers have compiled the code before the clock starts.
      for (const j of jobs) await pool.search({ subsystem: j.suite.spec.name, property: j.property.name, target: 'model' }, { seed: 3, runs: DEFAULT_BATCH * n * 4 });
      const t1 = performance.now();
      const c1 = cpuMs();
      for (const j of jobs) await pool.search({ subsystem: j.suite.spec.name, property: j.property.name, target: 'model' }, { seed: 2, runs: j.runs });
      rows.push(row(`${n} worker${n === 1 ? '' : 's'}`, n, performance.now() - t1, cpuMs() - c1, startMs));
    } finally {
      await pool.close();
    }
  }
  return rows;
}
