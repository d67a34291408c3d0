// `npm run report`: gathers the kill matrix (the committed one by default), the saved counterexamples replayed,
// and the label shares of every generator (measured now, from a printed seed), and writes the one-file HTML page.

import { existsSync, mkdirSync, renameSync, writeFileSync, readFileSync } from 'node:fs';
import { dirname, relative, resolve, sep } from 'node:path';
import { labelStatistics, type LabelStatistics } from '../harness/labels.js';
import { suites } from '../harness/registry.js';
import { readCases } from './cases.js';
import { MatrixError, parseMatrixMarkdown, reconcile, regenerate, type Heatmap } from './heatmap.js';
import { renderPage, type LinkedReport } from './page.js';

export const DEFAULT_OUT = 'reports/gpumem-spec.html';
export const DEFAULT_MATRIX = 'docs/mutants.md';
export const DEFAULT_CASES = 'counterexamples';

export interface ReportOptions {
  /** The HTML file to write. */
  readonly out: string;
  /** Case files and directories. */
  readonly cases: readonly string[];
  /** Where the kill matrix comes from: the committed Markdown, or one computed now (see compute.ts). */
  readonly heatmap: () => Promise<Heatmap>;
  /** The seed the label shares are measured from. */
  readonly labelSeed: number;
  /** Cases per property for the label shares; each property's `npm test` budget when omitted (what the tests hold them to). */
  readonly labelRuns?: number;
  /** The directory holding coverage/ (the repository). */
  readonly root: string;
  readonly progress?: (line: string) => void;
}

export interface ReportSummary {
  readonly file: string;
  readonly bytes: number;
  readonly subsystems: number;
  readonly bugs: number;
  /** Where the kill matrix read is behind the suite. */
  readonly stale: readonly string[];
  readonly cases: number;
  readonly unreadable: number;
  /** Labels below their minimum share. */
  readonly rareLabels: number;
  readonly ms: { readonly matrix: number; readonly cases: number; readonly labels: number; readonly total: number };
}

/** The kill matrix of the committed file (fast: nothing is searched). */
export function committedHeatmap(file: string): () => Promise<Heatmap> {
  return async () => {
    if (!existsSync(file)) throw new MatrixError(`no kill matrix at ${file} (write it with \`${regenerate(file)}\`, or use --compute)`);
    return reconcile(parseMatrixMarkdown(readFileSync(file, 'utf8'), file));
  };
}

/** A relative URL from the report's folder to `path`, when it exists. */
function linkTo(outDir: string, root: string, path: string, title: string, command: string): LinkedReport {
  const absolute = resolve(root, path);
  if (!existsSync(absolute)) return { title, href: undefined, path, command };
  const href = relative(outDir, absolute).split(sep).map(encodeURIComponent).join('/');
  return { title, href, path, command };
}

export async function writeReport(options: ReportOptions): Promise<ReportSummary> {
  const say = options.progress ?? (() => {});
  const started = Date.now();
  say('kill matrix…');
  const heatmap = await options.heatmap();
  const matrixMs = Date.now() - started;
  const bugs = heatmap.subsystems.reduce((n, s) => n + s.rows.length, 0);
  say(`kill matrix: ${bugs} seeded bugs from ${heatmap.origin} (${matrixMs} ms)`);
  if (heatmap.stale.length > 0) {
    say(`  ${heatmap.origin} is behind the suite (the report marks it; \`${regenerate(heatmap.origin)}\` brings it up to date):`);
    for (const line of heatmap.stale) say(`    ${line}`);
  }

  const casesStarted = Date.now();
  const cases = readCases(options.cases);
  const casesMs = Date.now() - casesStarted;
  say(`saved cases: ${cases.cases.length} replayed from ${options.cases.join(', ')}` + (cases.unreadable.length > 0 ? `, ${cases.unreadable.length} unreadable` : '') + ` (${casesMs} ms)`);
  for (const u of cases.unreadable) say(`  cannot read: ${u.error}`);

  const labelsStarted = Date.now();
  const labels: LabelStatistics[] = [];
  for (const suite of suites)
    for (const property of suite.properties)
      if ((property.labels ?? []).length > 0) labels.push(labelStatistics(suite, property, options.labelSeed, options.labelRuns ?? property.numRuns));
  const labelsMs = Date.now() - labelsStarted;
  const rare = labels.flatMap((s) => s.labels.filter((l) => !l.ok).map((l) => `${s.subsystem}/${s.property}/${l.name}`));
  say(`label shares: ${labels.length} properties, seed ${options.labelSeed}` + (rare.length > 0 ? `; below their minimum: ${rare.join(', ')}` : '; every label at or above its minimum') + ` (${labelsMs} ms)`);

  const out = resolve(options.out);
  const outDir = dirname(out);
  const page = renderPage({
    suites,
    heatmap,
    cases,
    labels,
    labelSeed: options.labelSeed,
    links: [
      linkTo(outDir, options.root, 'coverage/model/index.html', 'Coverage of the model', 'npm run coverage'),
      linkTo(outDir, options.root, 'coverage/mutation/index.html', 'Mutation testing', 'npm run mutation'),
    ],
  });
  mkdirSync(outDir, { recursive: true });
  const temporary = `${out}.${process.pid}.tmp`;
  writeFileSync(temporary, page);
  renameSync(temporary, out);
  return {
    file: options.out,
    bytes: Buffer.byteLength(page),
    subsystems: suites.length,
    bugs,
    stale: heatmap.stale,
    cases: cases.cases.length,
    unreadable: cases.unreadable.length,
    rareLabels: rare.length,
    ms: { matrix: matrixMs, cases: casesMs, labels: labelsMs, total: Date.now() - started },
  };
}
