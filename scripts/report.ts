// npm run report -- [--out FILE] [--cases PATH]... [--matrix FILE | --compute [--seeds K] [--runs N] [--workers N]]
//                   [--seed N] [--label-runs N]
// Writes the browsable report, one self-contained HTML file (properties/report/). Exit 0 when written, 2 on a
// usage error or a kill matrix that cannot be read.

import { computedHeatmap } from '../properties/report/compute.js';
import { MatrixError, regenerate } from '../properties/report/heatmap.js';
import { committedHeatmap, DEFAULT_CASES, DEFAULT_MATRIX, DEFAULT_OUT, writeReport } from '../properties/report/report.js';
import { invocation } from '../properties/harness/invocation.js';
import { DEFAULT_SEED } from '../properties/harness/seed.js';
import { EXIT, parseInteger, parseSeed, usageError } from './cli.js';
import { command } from './command.js';

const HELP = `usage: ${invocation('report')} [options]

  --out FILE        the HTML file to write (default ${DEFAULT_OUT})
  --cases PATH      saved counterexamples to show, a file or folder; repeatable (default ${DEFAULT_CASES}/)
  --matrix FILE     the kill matrix to draw (default ${DEFAULT_MATRIX}, as ${invocation('mutants')} --write writes it)
  --compute         compute the kill matrix now instead (minutes): --seeds K (default 1), --runs N (default each
                    property's npm-test budget), --workers N (default one per core), from --seed
  --seed N          the seed of the label shares (and of --compute); default ${DEFAULT_SEED}, npm test's
  --label-runs N    generated cases per property for the label shares (default: each property's npm-test budget)

One file, its CSS and script inline: open it in any browser, no server or network needed. A section per
subsystem: the kill matrix as a heatmap, the label shares against their minimums, every saved case as a step
table (with the timeline by thread for a schedule). A kill matrix behind the suite is drawn with the bugs it lacks
marked (${regenerate(DEFAULT_MATRIX)} brings it up to date). Exit status: 0 written; 2 usage error,
or a kill matrix that cannot be read.`;

await command(
  HELP,
  {
    options: {
      out: { type: 'string', default: DEFAULT_OUT },
      cases: { type: 'string', multiple: true },
      matrix: { type: 'string' },
      compute: { type: 'boolean', default: false },
      seeds: { type: 'string' },
      runs: { type: 'string' },
      workers: { type: 'string' },
      seed: { type: 'string' },
      'label-runs': { type: 'string' },
    },
  },
  async ({ values }) => {
    if (values.out === '') usageError('--out needs a file name');
    if (values.compute && values.matrix !== undefined) usageError('use either --matrix or --compute');
    if (!values.compute && [values.seeds, values.runs, values.workers].some((v) => v !== undefined)) usageError('--seeds, --runs and --workers go with --compute');
    const seed = parseSeed('seed', values.seed) ?? DEFAULT_SEED;
    const labelRuns = parseInteger('label-runs', values['label-runs'], 1);
    const seeds = parseInteger('seeds', values.seeds, 1) ?? 1;
    const runs = parseInteger('runs', values.runs, 1);
    const workers = parseInteger('workers', values.workers, 1);
    const progress = (line: string) => console.log(line);
    console.log(`seed ${seed}`);
    const heatmap = values.compute
      ? computedHeatmap({ seed, seeds, ...(runs !== undefined ? { runs } : {}), ...(workers !== undefined ? { workers } : {}), progress })
      : committedHeatmap(values.matrix ?? DEFAULT_MATRIX);
    try {
      const summary = await writeReport({
        out: values.out,
        cases: values.cases ?? [DEFAULT_CASES],
        heatmap,
        labelSeed: seed,
        ...(labelRuns !== undefined ? { labelRuns } : {}),
        root: process.cwd(),
        progress,
      });
      console.log(
        `written: ${summary.file} (${Math.round(summary.bytes / 1024)} KiB; ${summary.subsystems} subsystems, ${summary.bugs} seeded bugs, ${summary.cases} cases) in ${(summary.ms.total / 1000).toFixed(1)} s`,
      );
      return EXIT.ok;
    } catch (error) {
      if (error instanceof MatrixError) usageError(error.message);
      throw error;
    }
  },
);
