// Generator statistics: how often the cases a property declares as mattering (its labels: an error path, a
// boundary, an interleaving) occur among the cases its generator produces. The cases are generated exactly as
// the search generates them (same batches, same derived seeds), run on the specification, and a case carries a
// label when one of its steps satisfies the label's test. `npm run check` prints the shares; the tests require
// each to reach the label's minShare.

import fc from 'fast-check';
import type { Invariant, Step } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';
import { execute } from './interpreter.js';
import { batchSeed, DEFAULT_BATCH } from './search.js';
import type { AnySuite, CaseLabel, PropertyDef } from './suite.js';

/** Statistics are taken over at most this many cases, so a long search does not pay twice for them. */
export const MAX_LABEL_CASES = 10_000;

export interface LabelCount {
  readonly name: string;
  readonly description: string;
  readonly minShare: number;
  /** Cases carrying the label. */
  readonly cases: number;
  readonly share: number;
  readonly ok: boolean;
}

export interface LabelStatistics {
  readonly subsystem: string;
  readonly property: string;
  readonly seed: number;
  /** Cases generated and run. */
  readonly cases: number;
  readonly labels: readonly LabelCount[];
}

/**
 * The cases `search(suite, property, ..., { seed, runs })` would generate, in the same order: batch `i` of
 * `batchSize` cases comes from `batchSeed(seed, i)`.
 */
export function generatedCases(property: PropertyDef, seed: number, runs: number, batchSize = DEFAULT_BATCH): Operation[][] {
  const cases: Operation[][] = [];
  for (let index = 0; cases.length < runs; index++) {
    const numRuns = Math.min(batchSize, runs - cases.length);
    cases.push(...fc.sample(property.operations, { seed: batchSeed(seed, index), numRuns }));
  }
  return cases;
}

/** Which of `labels` the case carries, running it on the specification. */
export function labelsOf(suite: AnySuite, labels: readonly CaseLabel[], operations: readonly Operation[]): Set<string> {
  const found = new Set<string>();
  // A pseudo-invariant that never fails: it sees every executed step with its state before and after.
  const recorder: Invariant<unknown> = {
    name: 'labels',
    source: '',
    check: (step: Step<unknown>) => {
      for (const label of labels) if (!found.has(label.name) && label.test(step)) found.add(label.name);
      return undefined;
    },
  };
  execute(suite.spec, suite.spec.createModel(), operations, { invariants: [recorder] });
  return found;
}

const memo = new Map<string, LabelStatistics>();

/** Label shares over the first min(runs, MAX_LABEL_CASES) cases of a search with this seed. */
export function labelStatistics(suite: AnySuite, property: PropertyDef, seed: number, runs: number): LabelStatistics {
  const n = Math.max(0, Math.min(runs, MAX_LABEL_CASES));
  const key = `${suite.spec.name}/${property.name}/${seed}/${n}`;
  const cached = memo.get(key);
  if (cached !== undefined) return cached;
  const labels = property.labels ?? [];
  const counts = new Map(labels.map((l) => [l.name, 0]));
  if (labels.length > 0) {
    for (const operations of generatedCases(property, seed, n)) {
      for (const name of labelsOf(suite, labels, operations)) counts.set(name, (counts.get(name) ?? 0) + 1);
    }
  }
  const stats: LabelStatistics = {
    subsystem: suite.spec.name,
    property: property.name,
    seed,
    cases: n,
    labels: labels.map((l) => {
      const cases = counts.get(l.name) ?? 0;
      const share = n === 0 ? 0 : cases / n;
      return { name: l.name, description: l.description, minShare: l.minShare, cases, share, ok: share >= l.minShare };
    }),
  };
  memo.set(key, stats);
  return stats;
}

const percent = (x: number) => `${(x * 100).toFixed(1)}%`;

/** The lines `npm run check` prints under a property: one per label, with its share and the share required. */
export function labelReport(suite: AnySuite, property: PropertyDef, seed: number, runs: number): string[] {
  if ((property.labels ?? []).length === 0) return [];
  const stats = labelStatistics(suite, property, seed, runs);
  const lines = [`  ${suite.spec.name}/${property.name}: labelled cases: share of the first ${stats.cases} generated cases (and the least required)`];
  for (const l of stats.labels) {
    lines.push(`    ${percent(l.share).padStart(9)}  ${l.name} (${l.cases} cases; min ${percent(l.minShare)})${l.ok ? '' : '  TOO RARE'}: ${l.description}`);
  }
  return lines;
}

/** The same as data, for `npm run check -- --json`. */
export function labelJson(suite: AnySuite, property: PropertyDef, seed: number, runs: number): { labels?: LabelStatistics['labels'] } {
  return (property.labels ?? []).length === 0 ? {} : { labels: labelStatistics(suite, property, seed, runs).labels };
}
