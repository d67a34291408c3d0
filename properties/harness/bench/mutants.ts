// Mutants: runs and time to catch each seeded bug as `npm run check -- --mutant` does, and the shrunk length
// against the declared minimum.

import { DEFAULT_POLISH, search } from '../search.js';
import type { AnySuite } from '../suite.js';
import { mutantTarget } from '../targets.js';
import { cpuMs, median, round, type MutantRow } from './results.js';

async function catchMutant(suite: AnySuite, mutantName: string, seed: number): Promise<{ runs: number; detectMs: number; totalMs: number; shrunk: number } | undefined> {
  const mutant = suite.mutants.find((m) => m.name === mutantName);
  const property = suite.properties.find((p) => p.name === mutant?.property);
  const target = mutantTarget(suite, mutantName);
  if (mutant === undefined || property === undefined || target === undefined) return undefined;
  // The search as `npm run check -- --mutant` runs it (10 x the budget, the default polish window), timed.
  const t0 = cpuMs();
  let detected = 0;
  const { failure } = await search(suite, property, target, {
    seed,
    runs: property.numRuns * 10,
    polish: DEFAULT_POLISH,
    invariants: [mutant.breaks],
    onFailingRun: () => (detected ||= cpuMs()),
  });
  return failure && { runs: failure.runs, detectMs: detected - t0, totalMs: cpuMs() - t0, shrunk: failure.operations.length };
}

export async function measureMutants(suite: AnySuite, seeds: readonly number[]): Promise<MutantRow[]> {
  const rows: MutantRow[] = [];
  for (const m of suite.mutants) {
    const found = [];
    for (const seed of seeds) found.push(await catchMutant(suite, m.name, seed));
    const got = found.flatMap((f) => (f ? [f] : []));
    const med = (xs: number[]) => {
      const v = median(xs);
      return v === null ? null : round(v, 1);
    };
    rows.push({
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
    });
  }
  return rows;
}
