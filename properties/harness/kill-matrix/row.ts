// One row of the kill matrix: a seeded bug against every property of its subsystem, each invariant alone.
//
// One pass per (mutant, property, seed) runs the cases the search would generate, in the same order, checking
// every invariant after every step without stopping at the first violation, and records for each invariant the
// first case that violates it. That is exactly where a search with that invariant alone would stop (the cases
// do not depend on earlier results), so each recorded catch is then confirmed by that search, which also
// shrinks it; a disagreement is an internal error, never a silent difference.

import type { Invariant, Step } from '../../../model/common/spec.js';
import { execute, MODEL_THREW } from '../interpreter.js';
import { generatedCases } from '../labels.js';
import { search } from '../search.js';
import { type AnySuite, type MutantDef, type PropertyDef, selectInvariants } from '../suite.js';
import { mutantTarget, type Target } from '../targets.js';
import { THROWS, type Cell, type MutantRow, type RowOptions, type SeedOutcome } from './types.js';

function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  if (sorted.length % 2 === 1) return sorted[mid] as number;
  return Math.ceil(((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2);
}

/**
 * For one seed: for each invariant of the property (and the throws column), the 1-based index of the first
 * generated case in which the mutant violates it, or nothing within the budget. An exception ends the search of
 * every invariant (the search reports it), so invariants first violated after it are not credited.
 */
function firstCatches(suite: AnySuite, property: PropertyDef, invariants: readonly Invariant<unknown>[], target: Target, seed: number, budget: number): Map<string, number> {
  const first = new Map<string, number>();
  let throwAt: number | undefined;
  const cases = generatedCases(property, seed, budget);
  for (let i = 0; i < cases.length && throwAt === undefined && first.size < invariants.length; i++) {
    const run = i + 1;
    const seen = new Set<string>();
    const recording = invariants.map(
      (inv): Invariant<unknown> => ({
        name: inv.name,
        source: inv.source,
        check: (step: Step<unknown>) => {
          if (!seen.has(inv.name) && inv.check(step) !== undefined) seen.add(inv.name);
          return undefined;
        },
      }),
    );
    const execution = execute(suite.spec, target.createModel(), cases[i] as never, { invariants: recording });
    for (const name of seen) if (!first.has(name)) first.set(name, run);
    if (execution.violation?.invariant === MODEL_THREW) {
      throwAt = run;
      first.set(THROWS, run);
    }
  }
  return first;
}

/** The matrix row of one mutant: every property of its subsystem, every invariant alone, every seed. */
export async function mutantRow(suite: AnySuite, mutant: MutantDef<unknown>, options: RowOptions, seeds: readonly number[], version?: string): Promise<MutantRow> {
  const started = Date.now();
  const target = mutantTarget(suite, mutant.name, version) as Target;
  const cells: Cell[] = [];
  let breaksCell: Cell | undefined;
  for (const property of suite.properties) {
    const budget = options.runs ?? property.numRuns;
    const invariants = selectInvariants(suite, property);
    const columns = [...invariants.map((i) => i.name), THROWS];
    const perColumn = new Map<string, SeedOutcome[]>(columns.map((c) => [c, []]));
    for (const seed of seeds) {
      const first = firstCatches(suite, property, invariants, target, seed, budget);
      for (const column of columns) {
        const runs = first.get(column);
        let shrunk: number | null = null;
        if (runs !== undefined) {
          // Confirm with the search itself (this invariant alone) and take the length it shrinks to.
          const outcome = await search(suite, property, target, { seed, runs: budget, invariants: column === THROWS ? [] : [column] });
          const f = outcome.failure;
          if (f === undefined || f.runs !== runs || f.violation.invariant !== column) {
            throw new Error(
              `internal: ${suite.spec.name}/${mutant.name} on ${property.name}, ${column}, seed ${seed}: recorded a catch at run ${runs} ` +
                `but the search ${f === undefined ? 'found nothing' : `found ${f.violation.invariant} at run ${f.runs}`}`,
            );
          }
          shrunk = f.operations.length;
        }
        perColumn.get(column)?.push({ seed, runs: runs ?? null, shrunk });
      }
    }
    for (const column of columns) {
      const perSeed = perColumn.get(column) ?? [];
      const caught = perSeed.filter((o) => o.runs !== null);
      const lengths = caught.map((o) => o.shrunk as number);
      const med = median(perSeed.map((o) => o.runs ?? Infinity));
      const cell: Cell = {
        property: property.name,
        invariant: column,
        budget,
        perSeed,
        caughtSeeds: caught.length,
        medianRuns: Number.isFinite(med) ? med : null,
        shrunkMin: lengths.length > 0 ? Math.min(...lengths) : null,
        shrunkMax: lengths.length > 0 ? Math.max(...lengths) : null,
      };
      if (property.name === mutant.property && column === mutant.breaks) breaksCell = cell;
      if (cell.caughtSeeds > 0) cells.push(cell);
    }
  }
  let shrinkNote: string | undefined;
  if (breaksCell?.shrunkMin != null && breaksCell.shrunkMin < mutant.minimalLength)
    shrinkNote = `shrunk to ${breaksCell.shrunkMin} operations, shorter than minimalLength ${mutant.minimalLength}: correct minimalLength`;
  else if (breaksCell?.shrunkMax != null && breaksCell.shrunkMax > mutant.minimalLength + 1)
    shrinkNote = `shrunk only to ${breaksCell.shrunkMax} operations; the shortest case has ${mutant.minimalLength}`;
  return {
    subsystem: suite.spec.name,
    name: mutant.name,
    version: suite.spec.versions.length > 1 ? target.version : null,
    description: mutant.description,
    property: mutant.property,
    breaks: mutant.breaks,
    minimalLength: mutant.minimalLength,
    cells,
    breaksCell,
    caught: cells.some((c) => c.caughtSeeds === seeds.length),
    shrinkNote,
    elapsedMs: Date.now() - started,
  };
}
