// The mutant kill matrix: every seeded bug of every subsystem against every property of its subsystem, with
// each invariant checked alone, from several seeds. It says which invariants catch each bug, how many runs
// they need (median over the seeds), and how short the shrunk case is next to the shortest known one.
//
// One pass per (mutant, property, seed) runs the cases the search would generate, in the same order, checking
// every invariant after every step without stopping at the first violation, and records for each invariant the
// first case that violates it. That is exactly where a search with that invariant alone would stop (the cases
// do not depend on earlier results), so each recorded catch is then confirmed by that search, which also
// shrinks it; a disagreement is an internal error, never a silent difference.

import { availableParallelism } from 'node:os';
import type { Invariant, Step } from '../model/common/spec.js';
import { execute, MODEL_THREW } from '../properties/harness/interpreter.js';
import { generatedCases } from '../properties/harness/labels.js';
import { suites } from '../properties/harness/registry.js';
import { search, selectInvariants } from '../properties/harness/search.js';
import type { AnySuite, MutantDef, PropertyDef } from '../properties/harness/suite.js';
import { mutantTarget, mutantVersions, type Target } from '../properties/harness/targets.js';
import { moduleBeside, startWorker } from '../properties/harness/worker-start.js';

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

export interface RowOptions {
  readonly runs?: number;
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

interface Job {
  readonly suite: AnySuite;
  readonly mutant: MutantDef<unknown>;
  readonly version: string;
}

/** Computes the rows of `jobs` on worker threads, handing them to `done` in the order of `jobs`. */
async function rowsInParallel(jobs: readonly Job[], options: RowOptions, seeds: readonly number[], workers: number, done: (row: MutantRow) => void): Promise<MutantRow[]> {
  const rows: (MutantRow | undefined)[] = jobs.map(() => undefined);
  let next = 0;
  let flushed = 0;
  const flush = () => {
    while (flushed < rows.length && rows[flushed] !== undefined) done(rows[flushed++] as MutantRow);
  };
  const entry = moduleBeside('./kill-matrix-worker', import.meta.url);
  const threads = Array.from({ length: Math.min(workers, jobs.length) }, () => startWorker(entry));
  try {
    await Promise.all(
      threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= jobs.length) return resolve();
              const id = next++;
              const job = jobs[id] as Job;
              const request: RowRequest = { id, subsystem: job.suite.spec.name, mutant: job.mutant.name, version: job.version, options, seeds };
              thread.postMessage(request);
            };
            thread.on('message', (reply: RowReply) => {
              if ('error' in reply) return reject(new Error(reply.error));
              rows[reply.id] = reply.row;
              flush();
              give();
            });
            thread.on('error', reject);
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
  return rows as MutantRow[];
}

export interface RowRequest {
  readonly id: number;
  readonly subsystem: string;
  readonly mutant: string;
  readonly version: string;
  readonly options: RowOptions;
  readonly seeds: readonly number[];
}

export type RowReply = { readonly id: number; readonly row: MutantRow } | { readonly id: number; readonly error: string };

export async function buildMatrix(options: MatrixOptions): Promise<KillMatrix> {
  const started = Date.now();
  const seeds = Array.from({ length: options.seeds }, (_, k) => (options.seed + k) | 0);
  const chosen = options.subsystems ?? suites;
  const jobs: Job[] = chosen.flatMap((suite) =>
    (suite.mutants as readonly MutantDef<unknown>[])
      .filter((m) => options.mutant === undefined || m.name === options.mutant)
      .flatMap((mutant) => mutantVersions(suite, mutant.name).filter((v) => options.specVersion === undefined || v === options.specVersion).map((version) => ({ suite, mutant, version }))),
  );
  const rowOptions: RowOptions = options.runs !== undefined ? { runs: options.runs } : {};
  const workers = options.workers ?? availableParallelism();
  const done = (row: MutantRow) => options.onMutant?.(row);
  let rows: MutantRow[];
  if (workers > 1 && jobs.length > 1) rows = await rowsInParallel(jobs, rowOptions, seeds, workers, done);
  else {
    rows = [];
    for (const job of jobs) {
      const row = await mutantRow(job.suite, job.mutant, rowOptions, seeds, job.version);
      done(row);
      rows.push(row);
    }
  }
  const subsystems: SubsystemMatrix[] = [];
  for (const suite of chosen) {
    const mine = rows.filter((r) => r.subsystem === suite.spec.name);
    const invariants = suite.spec.invariants.map((i: Invariant<unknown>) => i.name);
    const withTeeth = new Set(mine.flatMap((r) => r.cells.filter((c) => c.caughtSeeds === seeds.length).map((c) => c.invariant)));
    subsystems.push({
      subsystem: suite.spec.name,
      title: suite.spec.title,
      properties: suite.properties.map((p) => ({ name: p.name, budget: options.runs ?? p.numRuns, invariants: selectInvariants(suite, p).map((i) => i.name) })),
      invariants,
      mutants: mine,
      // Only meaningful when every mutant of the subsystem was run.
      toothless: options.mutant === undefined ? invariants.filter((i) => !withTeeth.has(i)) : [],
    });
  }
  return {
    seeds,
    runs: options.runs ?? null,
    subsystems,
    uncaught: subsystems.flatMap((s) => s.mutants.filter((m) => !m.caught).map((m) => `${s.subsystem}/${rowName(m)}`)),
    toothless: subsystems.flatMap((s) => s.toothless.map((i) => `${s.subsystem}/${i}`)),
    elapsedMs: Date.now() - started,
  };
}

// ---------------------------------------------------------------------------------------------------------
// Rendering. The Markdown document holds deterministic content only (no timings), so that it can be checked
// for currency by regenerating it.

/** A cell as the grid shows it: median runs when every seed caught it, `k/K` when some did, `·` when none. */
export function cellText(cell: Cell | undefined, seeds: number): string {
  if (cell === undefined || cell.caughtSeeds === 0) return '·';
  if (cell.caughtSeeds === seeds) return String(cell.medianRuns);
  return `${cell.caughtSeeds}/${seeds}`;
}

function shrunkText(row: MutantRow): string {
  const c = row.breaksCell;
  if (c?.shrunkMin == null || c.shrunkMax == null) return `– / ${row.minimalLength}`;
  const range = c.shrunkMin === c.shrunkMax ? String(c.shrunkMin) : `${c.shrunkMin}–${c.shrunkMax}`;
  return `${range} / ${row.minimalLength}`;
}

/** What caught the mutant; an invariant checked under another property than the mutant's own is prefixed with it. */
function caughtByText(row: MutantRow, seeds: number): string {
  if (row.cells.length === 0) return '**not caught**';
  return row.cells
    .map((c) => {
      const name = (c.property !== row.property ? `${c.property}/` : '') + (c.invariant === row.breaks && c.property === row.property ? `**${c.invariant}**` : c.invariant);
      const how = c.caughtSeeds === seeds ? `${c.medianRuns}` : `${c.caughtSeeds}/${seeds} seeds`;
      return `${name} (${how})`;
    })
    .join(', ');
}

export function renderMarkdown(matrix: KillMatrix): string {
  const k = matrix.seeds.length;
  const out: string[] = [];
  const mutants = matrix.subsystems.reduce((n, s) => n + s.mutants.length, 0);
  out.push('# Mutant kill matrix');
  out.push('');
  out.push('<!-- Generated by `npm run mutants -- --write docs/mutants.md`; do not edit by hand.');
  out.push('     `npm run mutants -- --check docs/mutants.md` fails when this file is not what the suite produces now. -->');
  out.push('');
  out.push(
    `Every seeded bug (mutant) of every subsystem, run against every property of its subsystem with each invariant ` +
      `checked alone, from ${k} seed${k === 1 ? '' : 's'} (${matrix.seeds.join(', ')}), ` +
      (matrix.runs === null ? "with each property's `npm test` budget of runs" : `with ${matrix.runs} runs per search`) +
      '. A mutant is caught when some invariant catches it from every seed.',
  );
  out.push('');
  out.push(
    `${matrix.subsystems.length} subsystem${matrix.subsystems.length === 1 ? '' : 's'}, ${mutants} mutants: ` +
      (matrix.uncaught.length === 0 ? 'every mutant is caught' : `**not caught: ${matrix.uncaught.join(', ')}**`) +
      (matrix.toothless.length === 0 ? ', and every invariant catches at least one.' : `; **invariants that catch no mutant: ${matrix.toothless.join(', ')}**.`),
  );
  out.push('');
  out.push('| subsystem | properties | invariants | mutants | caught from every seed | invariants that catch none |');
  out.push('| --- | ---: | ---: | ---: | ---: | --- |');
  for (const s of matrix.subsystems) {
    const caught = s.mutants.filter((m) => m.caught).length;
    out.push(`| ${s.subsystem} | ${s.properties.length} | ${s.invariants.length} | ${s.mutants.length} | ${caught} | ${s.toothless.length === 0 ? '–' : s.toothless.join(', ')} |`);
  }
  out.push('');
  out.push('Commands (`npm run mutants -- --help` for all options):');
  out.push('');
  out.push('```sh');
  out.push('npm run mutants                                   # the whole matrix on the console; exit 1 if a mutant escapes');
  out.push('npm run mutants -- --subsystem dma-pool --json    # one subsystem, as data');
  out.push('npm run mutants -- --write docs/mutants.md        # regenerate this file');
  out.push('npm run mutants -- --check docs/mutants.md        # exit 1 unless this file is current');
  out.push('```');
  out.push('');
  out.push('How to read it:');
  out.push('');
  out.push('- **caught by**: each invariant that caught the mutant, with the median number of runs it needed over the seeds');
  out.push(`  (or in how many seeds it caught it at all); the invariant the mutant is declared to break (\`breaks\`) is in bold.`);
  out.push(`  \`${THROWS}\` means the mutant threw an exception, which the suite reports as a bug by itself.`);
  out.push('- **shrunk / minimal**: the length of the case the search shrank it to for its `breaks` invariant (the range over');
  out.push('  the seeds), next to the length of the shortest case known to expose it (`minimalLength`).');
  out.push('- In each grid, a row is a mutant and a column an invariant (numbered as listed): a number is the median runs to');
  out.push(`  catch it when every seed did, \`k/${k}\` when only k seeds did, \`·\` when none did; \`*\` marks the declared \`breaks\`.`);
  out.push('');
  for (const s of matrix.subsystems) {
    out.push(`## ${s.subsystem}: ${s.title}`);
    out.push('');
    out.push(`Properties: ${s.properties.map((p) => `\`${p.name}\` (${p.budget} runs per search)`).join(', ')}.`);
    out.push('');
    out.push('| mutant | property | breaks | caught by | shrunk / minimal |');
    out.push('| --- | --- | --- | --- | --- |');
    for (const m of s.mutants) {
      const note = m.shrinkNote === undefined ? '' : ` (${m.shrinkNote})`;
      out.push(`| \`${rowName(m)}\` | ${m.property} | ${m.breaks} | ${caughtByText(m, k)} | ${shrunkText(m)}${note} |`);
    }
    out.push('');
    for (const p of s.properties) {
      const columns = [...p.invariants, THROWS];
      out.push(`### Grid: \`${p.name}\``);
      out.push('');
      columns.forEach((c, i) => out.push(`${i + 1}. ${c}`));
      out.push('');
      out.push(`| mutant | ${columns.map((_, i) => String(i + 1)).join(' | ')} |`);
      out.push(`| --- | ${columns.map(() => '---:').join(' | ')} |`);
      for (const m of s.mutants) {
        const cells = columns.map((c) => {
          const cell = m.cells.find((x) => x.property === p.name && x.invariant === c);
          const mark = m.property === p.name && m.breaks === c ? '*' : '';
          return cellText(cell, k) + mark;
        });
        out.push(`| \`${rowName(m)}\` | ${cells.join(' | ')} |`);
      }
      out.push('');
    }
  }
  return out.join('\n');
}

/** The console report: one line per mutant with what caught it, the shrunk length and the time. */
export function formatRow(row: MutantRow, seeds: number): string {
  const by = row.cells.length === 0 ? 'NOT CAUGHT' : caughtByText(row, seeds).replace(/\*\*/g, '');
  const note = row.shrinkNote === undefined ? '' : `  [${row.shrinkNote}]`;
  const verdict = row.caught ? '' : row.cells.length > 0 ? '  NOT CAUGHT FROM EVERY SEED' : '';
  return `  ${row.subsystem}/${rowName(row)}: ${by}; shrunk/minimal ${shrunkText(row)}; ${(row.elapsedMs / 1000).toFixed(1)} s${note}${verdict}`;
}
