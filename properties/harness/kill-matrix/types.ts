// The kill matrix's data: per seeded bug, per (property, invariant) cell, the runs each seed needed and the
// length of the shrunk case; per subsystem, the invariants no bug gets past. Built by matrix.ts, shown by render.ts.

import { MODEL_THREW } from '../interpreter.js';
import type { AnySuite } from '../suite.js';

export const DEFAULT_SEEDS = 5;

export interface MatrixOptions {
  /** The first seed; the others follow it (seed, seed + 1, ...). */
  readonly seed: number;
  /** How many seeds the medians are taken over. */
  readonly seeds: number;
  /** Runs per search; each property's own `npm test` budget when omitted. */
  readonly runs?: number;
  readonly subsystems?: readonly AnySuite[];
  /** Only this mutant (of the single subsystem given). */
  readonly mutant?: string;
  /** Only mutants seeded into this specification version, run on it; each mutant on every version it is seeded into when omitted. */
  readonly specVersion?: string;
  /** Worker threads computing rows in parallel (default: one per core); the result does not depend on it. */
  readonly workers?: number;
  /** Called with each row, in the matrix's order. */
  readonly onMutant?: (row: MutantRow) => void;
}

/** One invariant (or the model-throws check) of one property against one mutant, from one seed. */
export interface SeedOutcome {
  readonly seed: number;
  /** Runs the search with this invariant alone needs to catch the mutant; null when it does not within the budget. */
  readonly runs: number | null;
  /** Length of the case that search shrinks it to. */
  readonly shrunk: number | null;
}

export interface Cell {
  readonly property: string;
  readonly invariant: string;
  readonly budget: number;
  readonly perSeed: readonly SeedOutcome[];
  readonly caughtSeeds: number;
  /** Median over all seeds of the runs needed; null when at least half the seeds did not catch it. */
  readonly medianRuns: number | null;
  readonly shrunkMin: number | null;
  readonly shrunkMax: number | null;
}

export interface MutantRow {
  readonly subsystem: string;
  readonly name: string;
  /** The specification version the mutant was run on; null where the subsystem has a single version. */
  readonly version: string | null;
  readonly description: string;
  readonly property: string;
  readonly breaks: string;
  readonly minimalLength: number;
  /** Every (property, invariant) that caught it in at least one seed. */
  readonly cells: readonly Cell[];
  /** The cell of the invariant it is declared to break, on its own property. */
  readonly breaksCell: Cell | undefined;
  /** Caught in every seed by at least one invariant. */
  readonly caught: boolean;
  /** Shrunk longer than minimalLength + 1, or shorter than minimalLength (then minimalLength is wrong). */
  readonly shrinkNote: string | undefined;
  readonly elapsedMs: number;
}

export interface PropertyColumns {
  readonly name: string;
  readonly budget: number;
  readonly invariants: readonly string[];
}

export interface SubsystemMatrix {
  readonly subsystem: string;
  readonly title: string;
  readonly properties: readonly PropertyColumns[];
  readonly invariants: readonly string[];
  readonly mutants: readonly MutantRow[];
  /** Invariants that no mutant violates in every seed (no teeth). */
  readonly toothless: readonly string[];
}

export interface KillMatrix {
  readonly seeds: readonly number[];
  /** The budget override, if any. */
  readonly runs: number | null;
  readonly subsystems: readonly SubsystemMatrix[];
  /** Mutants not caught in every seed by any invariant: `subsystem/mutant`. */
  readonly uncaught: readonly string[];
  readonly toothless: readonly string[];
  readonly elapsedMs: number;
}

/** A mutant's name as the matrix shows it: with the specification version where the subsystem has several. */
export function rowName(row: MutantRow): string {
  return row.version === null ? row.name : `${row.name} @ ${row.version}`;
}

/** The column name for "the model threw" (a refused request must be a result, never an exception). */
export const THROWS = MODEL_THREW;

export interface RowOptions {
  readonly runs?: number;
}
