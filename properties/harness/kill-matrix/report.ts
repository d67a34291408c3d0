// `npm run mutants` once its arguments are parsed: builds the matrix, prints a line per mutant and a summary,
// writes or checks the Markdown document, and returns the exit status (0 every mutant caught from every seed
// and every invariant catching one; 1 otherwise, or when the checked document is stale).
import { staleness, writeDocument } from './document.js';
import { buildMatrix } from './matrix.js';
import { formatRow, renderMarkdown } from './render.js';
import type { MatrixOptions } from './types.js';

export interface ReportOptions {
  /** Write the Markdown document here. */
  readonly write?: string;
  /** Fail unless this file is exactly what `write` would write. */
  readonly check?: string;
  /** The matrix as JSON on stdout. */
  readonly json?: boolean;
  /** Where lines for people go. */
  readonly human: (line: string) => void;
}

export async function reportMatrix(options: Omit<MatrixOptions, 'onMutant'>, report: ReportOptions): Promise<0 | 1> {
  const { human } = report;
  const matrix = await buildMatrix({ ...options, onMutant: (row) => human(formatRow(row, options.seeds)) });
  human('');
  for (const s of matrix.subsystems) {
    const caught = s.mutants.filter((m) => m.caught).length;
    human(`${s.subsystem}: ${caught}/${s.mutants.length} mutants caught from every seed` + (s.toothless.length > 0 ? `; invariants that catch none: ${s.toothless.join(', ')}` : ''));
  }
  human(`${(matrix.elapsedMs / 1000).toFixed(1)} s in all`);
  let status: 0 | 1 = 0;
  if (matrix.uncaught.length > 0) {
    human(`NOT CAUGHT from every seed: ${matrix.uncaught.join(', ')}`);
    status = 1;
  }
  if (matrix.toothless.length > 0) {
    human(`INVARIANTS THAT CATCH NO MUTANT from every seed: ${matrix.toothless.join(', ')}`);
    status = 1;
  }
  const markdown = renderMarkdown(matrix) + '\n';
  if (report.write !== undefined) {
    writeDocument(report.write, markdown);
    human(`written: ${report.write}`);
  }
  if (report.check !== undefined) {
    const stale = staleness(report.check, markdown);
    if (stale.length === 0) human(`${report.check} is current`);
    else {
      for (const line of stale) human(line);
      status = 1;
    }
  }
  if (report.json === true) console.log(JSON.stringify(matrix, null, 2));
  return status;
}
