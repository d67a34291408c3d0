// Mutants: runs and time to catch each seeded bug as `npm run check -- --mutant` does, and the shrunk length
// against the declared minimum.

import { BatchRunner, DEFAULT_BATCH, DEFAULT_POLISH, type Failure, shorter } from '../search.js';
import type { AnySuite } from '../suite.js';
import { mutantTarget } from '../targets.js';
import { cpuMs, median, round, type MutantRow } from './results.js';

function catchMutant(suite: AnySuite, mutantName: string, seed: number): { runs: number; detectMs: number; totalMs: number; shrunk: number } | undefined {
  const mutant = suite.mutants.find((m) => m.name === mutantName);
  const property = suite.properties.find((p) => p.name === mutant?.property);
  const target = mutantTarget(suite, mutantName);
  if (mutant === undefined || property === undefined || target === undefined) return undefined;
  // The search as `npm run check -- --mutant` runs it (10 x the budget, the default polish window), timed.
  const runner = new BatchRunner(suite, property, target, seed, DEFAULT_BATCH, [mutant.breaks]);
  const budget = property.numRuns * 10;
  const t0 = cpuMs();
  let detected = 0;
  let best: Failure | undefined;
  let windowEnd = Infinity;
  for (let index = 0; index * DEFAULT_BATCH < budget && index <= windowEnd; index++) {
    const r = runner.run(index, Math.min(DEFAULT_BATCH, budget - index * DEFAULT_BATCH), { onFailing: () => (detected ||= cpuMs()) });
    if (r.failure === undefined) continue;
    if (best === undefined) windowEnd = index + DEFAULT_POLISH;
    if (best === undefined || shorter(r.failure, best)) best = r.failure;
  }
  return best && { runs: best.runs, detectMs: detected - t0, totalMs: cpuMs() - t0, shrunk: best.operations.length };
}

export function measureMutants(suite: AnySuite, seeds: readonly number[]): MutantRow[] {
  return suite.mutants.map((m) => {
    const found = seeds.map((seed) => catchMutant(suite, m.name, seed));
    const got = found.flatMap((f) => (f ? [f] : []));
    const med = (xs: number[]) => {
      const v = median(xs);
      return v === null ? null : round(v, 1);
    };
    return {
      subsystem: suite.spec.name,
      mutant: m.name,
      property: m.property,
      breaks: m.breaks,
      minimalLength: m.minimalLength,
      seeds: [...seeds],
      runs: found.map((f) => f?.runs ?? null),
      detectMs: found.map((f) => (f ? round(f.detectMs, 1) : null)),
      totalMs: found.map((f) => (f ? round(f.totalMs, 1) : null)),
      shrunk: found.map((f) => f?.shrunk ?? null),
      caught: got.length,
      medianRuns: median(got.map((f) => f.runs)),
      medianDetectMs: med(got.map((f) => f.detectMs)),
      medianTotalMs: med(got.map((f) => f.totalMs)),
      maxShrunk: got.length ? Math.max(...got.map((f) => f.shrunk)) : null,
    };
  });
}
