// npm run check -- [--subsystem S] [--property P] [--runs N] [--seed N] [--time SECONDS] [--mutant M]
//                  [--out DIR] [--resume S/P:RUN] [--workers N] [--shard I/N] [--polish N] [--json] [--list]
// The long randomized search. Prints its seed first; exit 0 nothing found, 1 violation found (minimal case
// printed and saved), 2 usage error, 130 interrupted with nothing found.
// Ctrl-C stops the search before its next run and prints the table and the exact command that resumes it; the
// same keypress relayed again by the processes above this one (npm, tsx) within a second is not a second Ctrl-C.
// The search itself runs on worker threads, so this thread always answers a signal at once.
// The result depends on the seed and the run budget only: not on --workers, and the shards of a --shard split
// together run exactly the batches of the unsplit search (see properties/harness/search.ts).

import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { invocation } from '../properties/harness/invocation.js';
import { listingJson, listingLines } from '../properties/harness/listing.js';
import { suites } from '../properties/harness/registry.js';
import { DEFAULT_BATCH, DEFAULT_POLISH } from '../properties/harness/search.js';
import { type Job, jobKey, searchJobs } from '../properties/harness/search-jobs.js';
import { resultJson, summaryLines } from '../properties/harness/search-summary.js';
import { defaultVersion, hasVersion, modelTarget, mutantTarget, mutantVersions, versionNames, type Target } from '../properties/harness/targets.js';
import { checkOutDir, EXIT, parseInteger, parseSeed, parseShard, parseWorkers, quoted, resolveProperty, resolveSuite, SEED_MAX, SEED_MIN, shellWord, usageError } from './cli.js';
import { command, humanLines } from './command.js';
import { onInterrupt } from './interrupt.js';
import { ProgressDisplay } from './progress.js';

/** Where a search of a seeded bug saves its cases unless --out is given: outside the repository, so that the
 * committed counterexamples/ (and the traces npm test checks) never change because a documented command ran. */
const SCRATCH_DIR = join(tmpdir(), 'gpumem-spec', 'counterexamples');

const HELP = `usage: ${invocation('check')} [options]

  --subsystem S   only this subsystem            --property P   only this property (needs --subsystem)
  --mutant M      search a seeded bug instead of the specification (needs --subsystem)
  --spec-version V  the specification version to search (needs --subsystem; default: the subsystem's first,
                  the current upstream behaviour); \`all\` searches every version (every version a mutant is seeded into)
  --runs N        runs per property (default: 10 x the property's npm-test budget)
  --time SECONDS  stop each property after its share of this time (runs unbounded unless --runs is given)
  --seed N        the seed, ${SEED_MIN} to ${SEED_MAX} (default: random; always printed first); a negative one as --seed=-N
  --resume S/P:RUN  resume an interrupted search: property P of subsystem S (S/P@V for version V) from run RUN,
                  then the properties after it (the whole command is printed on Ctrl-C)
  --start RUN     resume the first property searched at this run (a multiple of ${DEFAULT_BATCH})
  --out DIR       where counterexamples are saved (default: counterexamples; with --mutant: ${SCRATCH_DIR})
  --workers N     worker threads searching in parallel (default and most: the number of cores); the result does not depend on N
  --shard I/N     run only part I of N of the search (1 <= I <= N): the N parts together are exactly the whole search
  --polish N      after a violation, search N more batches for a shorter case (N more after each shorter one) and keep
                  the shortest; a case of the shortest possible length ends it (default ${DEFAULT_POLISH})
  --json          machine-readable result on stdout (human lines go to stderr)
  --list          list subsystems, versions, properties, invariants and mutants (with --json: as data)

Exit status: 0 nothing found, 1 a violation was found (printed and saved), 2 usage error, 130 interrupted.`;

/** The jobs the options name: every property (or one) of every subsystem (or one), on the specification or a seeded bug. */
function chooseJobs(values: { subsystem?: string; property?: string; mutant?: string; 'spec-version'?: string }): Job[] {
  const specVersion = values['spec-version'];
  if ((values.property !== undefined || values.mutant !== undefined) && values.subsystem === undefined) usageError('--property and --mutant need --subsystem');
  if (specVersion !== undefined && specVersion !== 'all' && values.subsystem === undefined) usageError('--spec-version needs --subsystem (or is `all`)');
  const jobs: Job[] = [];
  for (const suite of values.subsystem !== undefined ? [resolveSuite(values.subsystem)] : suites) {
    if (specVersion !== undefined && specVersion !== 'all' && !hasVersion(suite, specVersion))
      usageError(`unknown specification version ${quoted(specVersion)} of ${suite.spec.name}; valid: ${versionNames(suite).join(', ')}, all`);
    let targets = (specVersion === 'all' ? versionNames(suite) : [specVersion ?? defaultVersion(suite)]).map((v) => modelTarget(suite, v));
    let properties = values.property !== undefined ? [resolveProperty(suite, values.property)] : suite.properties;
    if (values.mutant !== undefined) {
      const mutant = suite.mutants.find((m) => m.name === values.mutant);
      if (mutant === undefined) usageError(`unknown mutant ${quoted(values.mutant)} of ${suite.spec.name}; valid: ${suite.mutants.map((m) => m.name).join(', ')}`);
      const seededInto = mutantVersions(suite, mutant.name);
      // Any version can be searched; npm test holds the bug to the versions it is declared for.
      if (specVersion !== undefined && specVersion !== 'all' && !seededInto.includes(specVersion))
        process.stderr.write(`note: mutant ${mutant.name} is checked by npm test on ${seededInto.join(', ')}; searching it on ${specVersion}\n`);
      targets = (specVersion === 'all' ? seededInto : [specVersion ?? (seededInto[0] as string)]).map((v) => mutantTarget(suite, mutant.name, v) as Target);
      properties = [resolveProperty(suite, values.property ?? mutant.property)];
    }
    for (const target of targets) for (const property of properties) jobs.push({ suite, property, target });
  }
  return jobs;
}

/** The command line again without the options that say where a search starts (--seed, --start, --resume). */
function argsWithoutStart(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const name = /^--(seed|start|resume)(=|$)/.exec(argv[i] as string);
    if (name === null) out.push(argv[i] as string);
    else if (name[2] === '') i++; // the value is the next word
  }
  return out;
}

await command(HELP, {
  options: {
    subsystem: { type: 'string' },
    property: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    time: { type: 'string' },
    mutant: { type: 'string' },
    'spec-version': { type: 'string' },
    out: { type: 'string' },
    start: { type: 'string' },
    resume: { type: 'string' },
    workers: { type: 'string' },
    shard: { type: 'string' },
    polish: { type: 'string' },
    json: { type: 'boolean', default: false },
    list: { type: 'boolean', default: false },
  },
}, async ({ values }) => {
  const json = values.json;
  if (values.list) {
    console.log(json ? JSON.stringify(listingJson(suites)) : listingLines(suites).join('\n'));
    return EXIT.ok;
  }
  const human = humanLines(json);

  const runs = parseInteger('runs', values.runs, 1);
  const timeSeconds = parseInteger('time', values.time, 1);
  const startArg = parseInteger('start', values.start, 0);
  const seedArg = parseSeed('seed', values.seed);
  if (startArg !== undefined && startArg % DEFAULT_BATCH !== 0) usageError(`--start must be a multiple of ${DEFAULT_BATCH} (as printed on interrupt)`);
  let resume: { key: string; run: number } | undefined;
  if (values.resume !== undefined) {
    if (startArg !== undefined) usageError('--resume and --start cannot be combined');
    const m = /^([^:]+):(\d+)$/.exec(values.resume);
    const run = m ? Number(m[2]) : NaN;
    if (m === null || !Number.isSafeInteger(run) || run % DEFAULT_BATCH !== 0)
      usageError(`--resume takes SUBSYSTEM/PROPERTY:RUN with RUN a multiple of ${DEFAULT_BATCH} (as printed on interrupt), not ${quoted(values.resume)}`);
    resume = { key: m[1] as string, run };
  }
  const { workers, note: workersNote } = parseWorkers(values.workers);
  const polish = parseInteger('polish', values.polish, 0) ?? DEFAULT_POLISH;
  const shard = parseShard(values.shard);
  const jobs = chooseJobs(values);
  // --resume names the job to start at; the jobs before it were done before the interrupt (each job keeps its
  // share of --time, counted over the whole list, as in the interrupted search).
  const firstJob = resume === undefined ? 0 : jobs.findIndex((j) => jobKey(j) === resume.key);
  if (firstJob < 0) usageError(`--resume names ${quoted(resume?.key ?? '')}, not one of the properties searched: ${jobs.map(jobKey).join(', ')}`);
  const out = values.out ?? (values.mutant !== undefined ? SCRATCH_DIR : 'counterexamples');
  checkOutDir(out);

  const seed = seedArg ?? ((Math.random() * 0x7fffffff) | 0);
  human(`seed: ${seed}`);
  if (workersNote !== undefined) human(`note: ${workersNote}`);
  human(`searching ${jobs.length} propert${jobs.length === 1 ? 'y' : 'ies'}${values.mutant ? ` against mutant ${values.mutant}` : ''}` +
    (timeSeconds ? `, ${timeSeconds} s in all` : '') + `, ${workers} worker${workers === 1 ? '' : 's'}` +
    (shard ? `, shard ${shard.index + 1} of ${shard.count} (batches ${shard.index} mod ${shard.count})` : ''));

  let interrupted = false;
  const stopListening = onInterrupt(() => {
    interrupted = true;
    process.stderr.write('\ninterrupt: stopping the search (Ctrl-C again, a second later, aborts at once)\n');
  }, () => process.exit(EXIT.interrupted));
  const progress = new ProgressDisplay(process.stderr, process.stderr.isTTY === true && !json, human);
  const { results, resumeAt, unsaved, workers: used } = await searchJobs(jobs, {
    seed, ...(runs !== undefined ? { runs } : {}), ...(timeSeconds !== undefined ? { timeSeconds } : {}), firstJob,
    startRun: resume?.run ?? startArg ?? 0, ...(shard ? { shard } : {}), polish, workers, out,
    interrupted: () => interrupted,
    say: human,
    warn: (text) => process.stderr.write(text),
    onProgress: (p) => progress.update({ ...p, name: `${p.job.suite.spec.name}/${p.job.property.name}` }),
    onJobEnd: () => progress.done(),
  });
  stopListening();

  for (const line of summaryLines(results, seed)) human(line);
  // Every option as given, the seed (drawn at random if it was not) and where to start: the resumed search runs
  // exactly the batches the interrupted one did not complete, this property's and then every later one's.
  const resumeCommand = resumeAt === undefined ? undefined :
    [...invocation('check').split(' '), ...argsWithoutStart(process.argv.slice(2)), `--seed=${seed}`, '--resume', `${jobKey(resumeAt.job)}:${resumeAt.run}`].map(shellWord).join(' ');
  if (resumeCommand !== undefined) human(`\ninterrupted: resume with  ${resumeCommand}`);
  if (unsaved > 0) human(`\n${unsaved} case${unsaved === 1 ? '' : 's'} could not be saved under ${out}: printed whole on stderr above`);
  if (json) {
    console.log(JSON.stringify({
      seed, workers: used, polish, out,
      ...(shard ? { shard: `${shard.index + 1}/${shard.count}` } : {}),
      ...(resumeCommand !== undefined ? { resume: resumeCommand } : {}),
      results: results.map((r) => resultJson(r, seed)),
    }, null, 2));
  }
  if (results.some((r) => r.outcome.failure !== undefined)) return EXIT.violation;
  return resumeAt !== undefined ? EXIT.interrupted : EXIT.ok;
});
