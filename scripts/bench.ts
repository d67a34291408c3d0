// npm run bench -- [--json] [--save FILE] [--compare FILE] [--subsystem S] [--seeds N] [--measure MS]
//                  [--soak SECONDS] [--workers N] [--skip SECTIONS]
// Measures the search machinery on every registered subsystem: harness throughput against a bare loop over the
// same operation lists, runs and time to catch every mutant and the shrunk length against the known minimum,
// parallel speed-up, and memory over a long search. Prints tables (or JSON) and checks the targets in docs/bench.md.

import { writeFileSync } from 'node:fs';
import { loadResults } from '../properties/harness/bench/results.js';
import { runBench, SECTIONS, type Section } from '../properties/harness/bench/run.js';
import { defaultWorkers } from '../properties/harness/parallel.js';
import { suites } from '../properties/harness/registry.js';
import { EXIT, parseInteger, resolveSuite, usageError } from './cli.js';
import { command, humanLines } from './command.js';

const HELP = `usage: npm run bench -- [options]

  --json            results as JSON on stdout (tables go to stderr)
  --save FILE       also write the JSON results to FILE (e.g. bench/results.json, the committed reference)
  --compare FILE    print the differences from a saved results file (e.g. bench/results.json)
  --subsystem S     only this subsystem (default: every registered one)
  --seeds N         seeds per mutant for the time-to-catch figures (default 5)
  --measure MS      CPU time per property for throughput, and about that per property for parallel (default 1000)
  --soak SECONDS    length of each memory search, in this thread and on workers (default 20; 600 for the ten-minute check)
  --workers N       workers for the parallel soak (default: the number of cores, at least 2)
  --scaling LIST    comma-separated worker counts for the parallel section (default: 1,2,<cores>), e.g. 1,2,4,8,16
  --skip LIST       comma-separated sections to leave out: throughput, mutants, parallel, memory

Exit status: 0 measured (targets missed are reported, not failed), 2 usage error.`;

await command(HELP, {
  options: {
    json: { type: 'boolean', default: false },
    save: { type: 'string' },
    compare: { type: 'string' },
    subsystem: { type: 'string' },
    seeds: { type: 'string' },
    measure: { type: 'string' },
    soak: { type: 'string' },
    workers: { type: 'string' },
    scaling: { type: 'string' },
    skip: { type: 'string' },
  },
}, async ({ values }) => {
  const skip = new Set((values.skip ?? '').split(',').filter((s) => s !== ''));
  for (const s of skip) if (!(SECTIONS as readonly string[]).includes(s)) usageError(`--skip: unknown section "${s}"; valid: ${SECTIONS.join(', ')}`);
  let reference;
  try {
    reference = values.compare === undefined ? undefined : { file: values.compare, results: loadResults(values.compare) };
  } catch (error) {
    usageError(`--compare: ${(error as Error).message}`);
  }
  const results = await runBench({
    subsystems: values.subsystem !== undefined ? [resolveSuite(values.subsystem)] : [...suites],
    seeds: parseInteger('seeds', values.seeds, 1) ?? 5,
    measureMs: parseInteger('measure', values.measure, 50) ?? 1000,
    soakSeconds: parseInteger('soak', values.soak, 1) ?? 20,
    workers: parseInteger('workers', values.workers, 2) ?? Math.max(2, defaultWorkers()),
    skip: skip as Set<Section>,
    ...(values.scaling !== undefined ? { parallelWorkers: values.scaling.split(',').map((n) => parseInteger('scaling', n, 1) as number) } : {}),
    ...(reference !== undefined ? { reference } : {}),
  }, humanLines(values.json));
  const text = JSON.stringify(results, null, 2) + '\n';
  if (values.save !== undefined) writeFileSync(values.save, text);
  if (values.json) process.stdout.write(text);
  return EXIT.ok;
});
