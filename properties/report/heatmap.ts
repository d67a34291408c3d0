// The kill matrix as the report draws it: per subsystem, a row per seeded bug (on each version it is seeded
// into) and, per property, the grid of what each invariant did to it. Read from the committed docs/mutants.md
// (regenerated and checked current in CI, so reading it costs nothing), or made from a matrix computed now.
// The rows are the registry's: a bug the file does not have yet is still a row, marked as missing, and what the
// file has that the suite no longer does is listed, so a stale file shows as stale instead of leaving a bug out.

import { MODEL_THREW } from '../harness/interpreter.js';
import { invocation } from '../harness/invocation.js';
import { suites as registeredSuites } from '../harness/registry.js';
import { selectInvariants, type AnySuite } from '../harness/suite.js';
import { defaultVersion, mutantVersions } from '../harness/targets.js';

/** A grid cell as the matrix writes it: median runs when every seed caught the bug, `k/K` when some did, `·` when none. */
export type CellText = string;

export interface MatrixProperty {
  readonly name: string;
  /** Runs per search. */
  readonly budget: number;
  /** The invariants checked under this property, then the model-throws column. */
  readonly columns: readonly string[];
}

/** property -> invariant -> cell. */
export type Grid = ReadonlyMap<string, ReadonlyMap<string, CellText>>;

/** A kill matrix as read or computed, before it is laid against the suite. */
export interface MatrixGrids {
  /** Where the figures come from (a file, or how they were computed). */
  readonly origin: string;
  readonly seeds: readonly number[];
  readonly subsystems: readonly {
    readonly subsystem: string;
    readonly properties: readonly MatrixProperty[];
    /** `version` is null where the subsystem has a single version (the matrix does not name it). */
    readonly rows: readonly { readonly name: string; readonly version: string | null; readonly grid: Grid }[];
  }[];
}

export interface HeatmapRow {
  readonly name: string;
  /** The specification version the bug ran on. */
  readonly version: string;
  readonly property: string;
  readonly breaks: string;
  readonly description: string;
  readonly grid: Grid;
  /** The matrix read has no row for it (it is newer than the file): its cells are unknown. */
  readonly missing: boolean;
}

export interface HeatmapSubsystem {
  readonly subsystem: string;
  readonly title: string;
  readonly properties: readonly MatrixProperty[];
  readonly rows: readonly HeatmapRow[];
}

export interface Heatmap {
  readonly origin: string;
  readonly seeds: readonly number[];
  /** Every registered subsystem, in the registry's order. */
  readonly subsystems: readonly HeatmapSubsystem[];
  /** Where the matrix read differs from the suite (empty when it is current). */
  readonly stale: readonly string[];
}

/** The matrix cannot be read at all. */
export class MatrixError extends Error {}

const NONE = '·';

/** What a grid cell says, as numbers: runs when every seed caught it, seeds that did otherwise. */
export function cellValue(text: CellText | undefined, seeds: number): { runs: number } | { caughtSeeds: number } {
  if (text === undefined || text === NONE) return { caughtSeeds: 0 };
  const partial = /^(\d+)\/(\d+)$/.exec(text);
  if (partial !== null) return { caughtSeeds: Number(partial[1]) };
  if (/^\d+$/.test(text)) return { runs: Number(text) };
  throw new MatrixError(`unreadable cell "${text}" (expected runs, k/${seeds} or ${NONE})`);
}

/** The rows the registry says the matrix has: every seeded bug on every version it is seeded into. */
export function expectedRows(suite: AnySuite): { name: string; version: string }[] {
  return suite.mutants.flatMap((m) => mutantVersions(suite, m.name).map((version) => ({ name: m.name, version })));
}

const key = (r: { name: string; version: string }) => `${r.name} @ ${r.version}`;

/** Lays a matrix against the suite: the registry's subsystems, rows and properties, with what differs listed. */
export function reconcile(grids: MatrixGrids, suites: readonly AnySuite[] = registeredSuites): Heatmap {
  const stale: string[] = [];
  for (const s of grids.subsystems) if (!suites.some((x) => x.spec.name === s.subsystem)) stale.push(`subsystem ${s.subsystem} is no longer in the suite`);
  const subsystems = suites.map((suite): HeatmapSubsystem => {
    const name = suite.spec.name;
    const read = grids.subsystems.find((s) => s.subsystem === name);
    if (read === undefined) stale.push(`${name}: no section`);
    const properties = suite.properties.map((p): MatrixProperty => {
      const columns = [...selectInvariants(suite, p).map((i) => i.name), MODEL_THREW];
      const had = read?.properties.find((x) => x.name === p.name);
      if (read !== undefined && had === undefined) stale.push(`${name}/${p.name}: no grid`);
      if (had !== undefined && had.columns.join(',') !== columns.join(',')) {
        const added = columns.filter((c) => !had.columns.includes(c));
        const gone = had.columns.filter((c) => !columns.includes(c));
        stale.push(`${name}/${p.name}: invariants ${[added.length > 0 ? `new: ${added.join(', ')}` : '', gone.length > 0 ? `gone: ${gone.join(', ')}` : ''].filter((x) => x !== '').join('; ') || 'in another order'}`);
      }
      return { name: p.name, budget: had?.budget ?? p.numRuns, columns };
    });
    for (const p of read?.properties ?? []) if (!suite.properties.some((x) => x.name === p.name)) stale.push(`${name}/${p.name}: no longer a property`);
    const expected = expectedRows(suite);
    const readRows = new Map((read?.rows ?? []).map((r) => [key({ name: r.name, version: r.version ?? defaultVersion(suite) }), r]));
    const missing = expected.filter((r) => !readRows.has(key(r)));
    if (read !== undefined && missing.length > 0) stale.push(`${name}: no row for ${missing.map(key).join(', ')}`);
    const gone = [...readRows.keys()].filter((k) => !expected.some((r) => key(r) === k));
    if (gone.length > 0) stale.push(`${name}: rows of bugs no longer in the suite: ${gone.join(', ')}`);
    const rows = expected.map((r): HeatmapRow => {
      const mutant = suite.mutants.find((m) => m.name === r.name);
      const had = readRows.get(key(r));
      return {
        ...r,
        property: mutant?.property ?? '',
        breaks: mutant?.breaks ?? '',
        description: mutant?.description ?? '',
        grid: had?.grid ?? new Map(),
        missing: had === undefined,
      };
    });
    return { subsystem: name, title: suite.spec.title, properties, rows };
  });
  return { origin: grids.origin, seeds: grids.seeds, subsystems, stale };
}

/** The command that brings the committed matrix up to date. */
export const regenerate = (file: string) => `${invocation('mutants')} --write ${file}`;

/**
 * Parses the grids of a matrix as `npm run mutants -- --write` writes it (docs/mutants.md): the seeds from its
 * introduction, per subsystem the properties with their budgets, and per property grid its numbered columns and
 * one row per bug. A file in another layout is a MatrixError naming the line.
 */
export function parseMatrixMarkdown(text: string, file: string): MatrixGrids {
  const lines = text.split('\n');
  const fail = (line: number, why: string) => new MatrixError(`${file}:${line + 1}: ${why}: not a kill matrix as \`${regenerate('FILE')}\` writes it (or use --compute)`);
  const seedLine = lines.findIndex((l) => /from \d+ seeds? \(/.test(l));
  const seedMatch = seedLine < 0 ? null : /from (\d+) seeds? \(([-\d, ]+)\)/.exec(lines[seedLine] as string);
  if (seedMatch === null) throw fail(0, 'no "from K seeds (…)" sentence');
  const seeds = (seedMatch[2] as string).split(',').map((x) => Number(x.trim()));
  if (seeds.length !== Number(seedMatch[1]) || seeds.some((x) => !Number.isSafeInteger(x))) throw fail(seedLine, 'the seed list does not match its count');

  interface Building {
    subsystem: string;
    properties: MatrixProperty[];
    rows: Map<string, { name: string; version: string | null; grid: Map<string, Map<string, CellText>> }>;
  }
  const built: Building[] = [];
  let current: Building | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string;
    const section = /^## ([^:\s]+): /.exec(line);
    if (section !== null) {
      current = { subsystem: section[1] as string, properties: [], rows: new Map() };
      built.push(current);
      continue;
    }
    if (current === undefined) continue;
    if (line.startsWith('Properties: ')) {
      for (const m of line.matchAll(/`([^`]+)` \((\d+) runs per search\)/g)) current.properties.push({ name: m[1] as string, budget: Number(m[2]), columns: [] });
      continue;
    }
    const heading = /^### Grid: `([^`]+)`$/.exec(line);
    if (heading === null) continue;
    const propertyName = heading[1] as string;
    const index = current.properties.findIndex((p) => p.name === propertyName);
    if (index < 0) throw fail(i, `grid of ${propertyName}, which the "Properties:" line does not list`);
    // The numbered column list, then the table (its header and separator lines, then a row per bug).
    const columns: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !(lines[j] as string).startsWith('|'); j++) {
      const item = /^(\d+)\. (\S+)$/.exec(lines[j] as string);
      if (item === null) continue;
      if (Number(item[1]) !== columns.length + 1) throw fail(j, 'columns not numbered 1, 2, …');
      columns.push(item[2] as string);
    }
    current.properties[index] = { ...(current.properties[index] as MatrixProperty), columns };
    for (j += 2; j < lines.length && (lines[j] as string).startsWith('|'); j++) {
      const cells = (lines[j] as string).split('|').slice(1, -1).map((c) => c.trim());
      // `name @ version` where the subsystem has several versions, `name` where it has one.
      const label = /^`(\S+) @ (\S+)`$/.exec(cells[0] ?? '') ?? /^`(\S+)`$/.exec(cells[0] ?? '');
      if (label === null) throw fail(j, `unreadable row label ${cells[0] ?? ''}`);
      if (cells.length !== columns.length + 1) throw fail(j, `${cells.length - 1} cells for ${columns.length} columns`);
      const rowKey = cells[0] as string;
      let row = current.rows.get(rowKey);
      if (row === undefined) current.rows.set(rowKey, (row = { name: label[1] as string, version: label[2] ?? null, grid: new Map() }));
      const values = new Map<string, CellText>();
      columns.forEach((c, k) => {
        const text = (cells[k + 1] as string).replace(/\*$/, '');
        try {
          cellValue(text, seeds.length);
        } catch (error) {
          throw fail(j, (error as Error).message);
        }
        values.set(c, text);
      });
      row.grid.set(propertyName, values);
    }
    i = j - 1;
  }
  return {
    origin: file,
    seeds,
    subsystems: built.map((b) => ({
      subsystem: b.subsystem,
      properties: b.properties,
      rows: [...b.rows.values()],
    })),
  };
}
