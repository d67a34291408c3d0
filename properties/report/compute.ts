// The heatmap from a kill matrix computed now (`npm run report -- --compute`), for when docs/mutants.md is behind
// the suite: the matrix library runs the searches, this only reshapes its rows into the report's grids.

import { buildMatrix } from '../harness/kill-matrix/matrix.js';
import { cellText } from '../harness/kill-matrix/render.js';
import { THROWS, type KillMatrix } from '../harness/kill-matrix/types.js';
import { reconcile, type Heatmap, type MatrixGrids } from './heatmap.js';

/** A computed matrix as grids: per property, each cell as docs/mutants.md writes it. */
export function gridsOfMatrix(matrix: KillMatrix, origin: string): MatrixGrids {
  const seeds = matrix.seeds.length;
  return {
    origin,
    seeds: matrix.seeds,
    subsystems: matrix.subsystems.map((s) => {
      const properties = s.properties.map((p) => ({ name: p.name, budget: p.budget, columns: [...p.invariants, THROWS] }));
      return {
        subsystem: s.subsystem,
        properties,
        rows: s.mutants.map((m) => ({
          name: m.name,
          version: m.version,
          grid: new Map(properties.map((p) => [p.name, new Map(p.columns.map((c) => [c, cellText(m.cells.find((x) => x.property === p.name && x.invariant === c), seeds)]))])),
        })),
      };
    }),
  };
}

export interface ComputeOptions {
  readonly seed: number;
  readonly seeds: number;
  /** Runs per search; each property's `npm test` budget when omitted. */
  readonly runs?: number;
  readonly workers?: number;
  readonly progress?: (line: string) => void;
}

/** Computes the whole matrix (every bug on every version), printing a line per bug as it is done. */
export function computedHeatmap(options: ComputeOptions): () => Promise<Heatmap> {
  return async () => {
    let done = 0;
    const matrix = await buildMatrix({
      seed: options.seed,
      seeds: options.seeds,
      ...(options.runs !== undefined ? { runs: options.runs } : {}),
      ...(options.workers !== undefined ? { workers: options.workers } : {}),
      onMutant: (row) => options.progress?.(`  ${++done} ${row.subsystem}/${row.name}${row.version === null ? '' : ` @ ${row.version}`} (${(row.elapsedMs / 1000).toFixed(1)} s)`),
    });
    const runs = options.runs === undefined ? "each property's npm-test budget" : `${options.runs} runs per search`;
    return reconcile(gridsOfMatrix(matrix, `a matrix computed now (${runs})`));
  };
}
