// npm run mutants -- [--subsystem S] [--mutant M] [--runs N] [--seed N] [--seeds K] [--workers N] [--json]
//                    [--write FILE] [--check FILE]
// The kill matrix: every seeded bug against every property of its subsystem, each invariant alone, from K
// seeds. Exit 0 when every mutant is caught from every seed (and, for --check, the document is current),
// 1 when a mutant is not caught, an invariant catches none, or the document is stale, 2 on a usage error.

import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { reportMatrix } from '../properties/harness/kill-matrix/report.js';
import { DEFAULT_SEEDS } from '../properties/harness/kill-matrix/types.js';
import { invocation } from '../properties/harness/invocation.js';
import { DEFAULT_SEED } from '../properties/harness/seed.js';
import { hasVersion, versionNames } from '../properties/harness/targets.js';
import { parseInteger, resolveSuite, usageError } from './cli.js';
import { command, humanLines } from './command.js';

const HELP = `usage: ${invocation('mutants')} [options]

  --subsystem S   only this subsystem             --mutant M     only this mutant (needs --subsystem)
  --spec-version V  only the mutants seeded into this specification version (needs --subsystem); by default
                  each mutant runs on every version it is seeded into
  --runs N        runs per search (default: each property's npm-test budget)
  --seed N        the first seed (default ${DEFAULT_SEED}, the seed of npm test); the others follow it
  --seeds K       seeds to take medians over (default ${DEFAULT_SEEDS})
  --workers N     worker threads (default: the number of cores); the result does not depend on N
  --json          the matrix as data on stdout (human lines go to stderr)
  --write FILE    write the matrix as Markdown (docs/mutants.md; no timings, so it can be checked)
  --check FILE    fail (exit 1) unless FILE is exactly what --write would write now

Every mutant runs against every property of its subsystem with each invariant checked alone; a cell records
the runs needed (median over the seeds) and the shrunk length. Exit status: 0 every mutant caught from every
seed; 1 a mutant not caught, an invariant catching none, or --check found the file stale; 2 usage error.`;

await command(HELP, {
  options: {
    subsystem: { type: 'string' },
    mutant: { type: 'string' },
    'spec-version': { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    seeds: { type: 'string' },
    workers: { type: 'string' },
    json: { type: 'boolean', default: false },
    write: { type: 'string' },
    check: { type: 'string' },
  },
}, async ({ values }) => {
  const human = humanLines(values.json);
  const runs = parseInteger('runs', values.runs, 1);
  const seedCount = parseInteger('seeds', values.seeds, 1) ?? DEFAULT_SEEDS;
  const workers = parseInteger('workers', values.workers, 1) ?? availableParallelism();
  const seedArg = values.seed === undefined ? undefined : Number(values.seed);
  if (seedArg !== undefined && !Number.isSafeInteger(seedArg)) usageError(`--seed takes an integer, not "${values.seed}"`);
  if (values.mutant !== undefined && values.subsystem === undefined) usageError('--mutant needs --subsystem');
  if (values['spec-version'] !== undefined && values.subsystem === undefined) usageError('--spec-version needs --subsystem');
  if ((values.write !== undefined || values.check !== undefined) && (values.subsystem !== undefined || values.mutant !== undefined || values['spec-version'] !== undefined))
    usageError('--write and --check cover the whole suite: drop --subsystem, --mutant and --spec-version');
  if (values.write !== undefined && values.check !== undefined) usageError('use either --write or --check');
  if (values.check !== undefined && !existsSync(values.check)) usageError(`--check: no file ${values.check} (create it with --write)`);

  const suite = values.subsystem !== undefined ? resolveSuite(values.subsystem) : undefined;
  if (suite !== undefined && values.mutant !== undefined && !suite.mutants.some((m) => m.name === values.mutant))
    usageError(`unknown mutant "${values.mutant}" of ${suite.spec.name}; valid: ${suite.mutants.map((m) => m.name).join(', ')}`);
  const specVersion = values['spec-version'];
  if (suite !== undefined && specVersion !== undefined && !hasVersion(suite, specVersion))
    usageError(`unknown specification version "${specVersion.slice(0, 80)}" of ${suite.spec.name}; valid: ${versionNames(suite).join(', ')}`);

  const seed = seedArg ?? DEFAULT_SEED;
  human(`seeds: ${Array.from({ length: seedCount }, (_, k) => (seed + k) | 0).join(', ')}` + (runs !== undefined ? `; ${runs} runs per search` : "; each property's npm-test budget"));
  return reportMatrix(
    {
      seed,
      seeds: seedCount,
      workers,
      ...(runs !== undefined ? { runs } : {}),
      ...(suite !== undefined ? { subsystems: [suite] } : {}),
      ...(values.mutant !== undefined ? { mutant: values.mutant } : {}),
      ...(specVersion !== undefined ? { specVersion } : {}),
    },
    { human, json: values.json, ...(values.write !== undefined ? { write: values.write } : {}), ...(values.check !== undefined ? { check: values.check } : {}) },
  );
});
