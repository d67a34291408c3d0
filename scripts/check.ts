// npm run check -- [--subsystem S] [--property P] [--runs N] [--seed N] [--time SECONDS] [--mutant M]
//                  [--out DIR] [--resume S/P:RUN] [--workers N] [--shard I/N] [--polish N] [--json] [--list]
// The long randomized search. Prints its seed first; exit 0 nothing found, 1 violation found (minimal case
// printed and saved), 2 usage error, 130 interrupted with nothing found.
// Ctrl-C stops the search before its next run and prints the table and the exact command that resumes it; the
// same keypress relayed again by the processes above this one (npm, tsx) within a second is not a second Ctrl-C.
// The search itself runs on worker threads, so this thread always answers a signal at once.
// The result depends on the seed and the run budget only: not on --workers, and the shards of a --shard split
// together run exactly the batches of the unsplit search (see properties/harness/search.ts).

import { unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SearchPool, workerTarget } from '../properties/harness/parallel.js';
import type { Coverage } from '../properties/harness/interpreter.js';
import { execute } from '../properties/harness/interpreter.js';
import { labelJson, labelReport } from '../properties/harness/labels.js';
import { suites } from '../properties/harness/registry.js';
import { replayCommand } from '../properties/harness/replay-command.js';
import { DEFAULT_BATCH, DEFAULT_POLISH, type Failure, planOf, plannedRuns, search, type SearchOutcome, type Shard } from '../properties/harness/search.js';
import { counterexampleOf, save, serialize } from '../properties/harness/store.js';
import { type AnySuite, type PropertyDef, selectInvariants } from '../properties/harness/suite.js';
import { defaultVersion, hasVersion, modelTarget, mutantTarget, mutantVersions, versionNames, type Target } from '../properties/harness/targets.js';
import { formatTrace } from '../properties/harness/trace.js';
import { checkOutDir, EXIT, main, parseInteger, parseSeed, parseWorkers, quoted, resolveProperty, resolveSuite, SEED_MAX, SEED_MIN, shellWord, usageError } from './cli.js';

/** Where a search of a seeded bug saves its cases unless --out is given: outside the repository, so that the
 * committed counterexamples/ (and the traces npm test checks) never change because a documented command ran. */
const SCRATCH_DIR = join(tmpdir(), 'gpumem-spec', 'counterexamples');
/** A second SIGINT this soon after the first is the same Ctrl-C, relayed by npm or tsx to this process again. */
const SAME_KEYPRESS_MS = 1000;

const HELP = `usage: npm run check -- [options]

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
  --polish N      after a violation, search N more batches for a shorter case and keep the shortest (default ${DEFAULT_POLISH})
  --json          machine-readable result on stdout (human lines go to stderr)
  --list          list subsystems, versions, properties, invariants and mutants (with --json: as data)

Exit status: 0 nothing found, 1 a violation was found (printed and saved), 2 usage error, 130 interrupted.`;

interface Job {
  readonly suite: AnySuite;
  readonly property: PropertyDef;
  readonly target: Target;
}

interface JobResult {
  readonly job: Job;
  readonly outcome: SearchOutcome;
  readonly file?: { path: string; created: boolean };
}

/** How --resume names a job: subsystem/property, with @version where the subsystem has several versions. */
function jobKey(job: Job): string {
  return `${job.suite.spec.name}/${job.property.name}${job.suite.spec.versions.length > 1 ? `@${job.target.version}` : ''}`;
}

/** The command line again without the options that say where a search starts (--seed, --start, --resume). */
function argsWithoutStart(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = /^--(seed|start|resume)(=|$)/.exec(arg);
    if (name === null) out.push(arg);
    else if (name[2] === '') i++; // the value is the next word
  }
  return out;
}

function listing(json: boolean): string {
  if (json) {
    return JSON.stringify({
      subsystems: suites.map((s) => ({
        name: s.spec.name,
        title: s.spec.title,
        versions: s.spec.versions.map((v) => ({ name: v.name, upstream: v.upstream, checkedAgainst: v.checkedAgainst })),
        properties: s.properties.map((p) => ({ name: p.name, source: p.source, numRuns: p.numRuns })),
        invariants: s.spec.invariants.map((i) => ({ name: i.name, source: i.source })),
        mutants: s.mutants.map((m) => ({ name: m.name, property: m.property, breaks: m.breaks, versions: mutantVersions(s, m.name) })),
      })),
    });
  }
  const lines: string[] = [];
  for (const s of suites) {
    lines.push(`${s.spec.name}: ${s.spec.title}`);
    for (const [i, v] of s.spec.versions.entries()) lines.push(`  version ${v.name}${i === 0 ? ' (default)' : ''}: ${v.upstream}; checked against ${v.checkedAgainst}`);
    for (const p of s.properties) lines.push(`  property ${p.name} (${p.numRuns} runs in npm test): ${p.source}`);
    for (const i of s.spec.invariants) lines.push(`  invariant ${i.name}: ${i.source}`);
    for (const m of s.mutants) lines.push(`  mutant ${m.name} -> ${m.breaks}${m.versions ? ` [${m.versions.join(', ')}]` : ''}: ${m.description}`);
  }
  return lines.join('\n');
}

/** ` (version V)` where the subsystem has more than one version, so a reader knows which rules were searched. */
function versionTag(job: Job): string {
  return job.suite.spec.versions.length > 1 ? ` (version ${job.target.version})` : '';
}

function progressLine(job: Job, runsDone: number, total: number, elapsedMs: number, timeLimitMs?: number, base = 0): string {
  const rate = elapsedMs > 0 ? ((runsDone - base) / elapsedMs) * 1000 : 0;
  const finite = Number.isFinite(total);
  const fraction = finite ? runsDone / total : timeLimitMs ? elapsedMs / timeLimitMs : 0;
  const leftByRuns = finite && rate > 0 ? (total - runsDone) / rate : Infinity;
  const leftByTime = timeLimitMs !== undefined ? (timeLimitMs - elapsedMs) / 1000 : Infinity;
  const left = Math.max(0, Math.min(leftByRuns, leftByTime));
  const width = 24;
  const filled = Math.min(width, Math.round(fraction * width));
  const bar = '#'.repeat(filled) + '.'.repeat(width - filled);
  return `[${bar}] ${job.suite.spec.name}/${job.property.name} ${runsDone}${finite ? '/' + total : ''} runs, ${rate.toFixed(0)} runs/s, ${Number.isFinite(left) ? left.toFixed(0) + ' s left' : ''}`;
}

function coverageTable(coverage: Coverage): string[] {
  const rows = [...coverage.counts].sort(([a], [b]) => a.localeCompare(b));
  return rows.map(([key, n]) => `    ${String(n).padStart(9)}  ${key}`);
}

await main(async () => {
  const { values } = parseArgs({
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
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  const json = values.json;
  if (values.list) {
    console.log(listing(json));
    return EXIT.ok;
  }
  const human = (line: string) => (json ? process.stderr : process.stdout).write(line + '\n');

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
  if ((values.property !== undefined || values.mutant !== undefined) && values.subsystem === undefined)
    usageError('--property and --mutant need --subsystem');
  const specVersion = values['spec-version'];
  if (specVersion !== undefined && specVersion !== 'all' && values.subsystem === undefined) usageError('--spec-version needs --subsystem (or is `all`)');
  const { workers, note: workersNote } = parseWorkers(values.workers);
  const polish = parseInteger('polish', values.polish, 0) ?? DEFAULT_POLISH;
  let shard: Shard | undefined;
  if (values.shard !== undefined) {
    const m = /^(\d+)\/(\d+)$/.exec(values.shard);
    const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
    if (!(Number.isSafeInteger(i) && Number.isSafeInteger(n) && i >= 1 && i <= n)) usageError(`--shard takes I/N with 1 <= I <= N, not ${quoted(values.shard)}`);
    shard = { index: i - 1, count: n };
  }

  const chosen = values.subsystem !== undefined ? [resolveSuite(values.subsystem)] : suites;
  const jobs: Job[] = [];
  for (const suite of chosen) {
    if (specVersion !== undefined && specVersion !== 'all' && !hasVersion(suite, specVersion))
      usageError(`unknown specification version ${quoted(specVersion)} of ${suite.spec.name}; valid: ${versionNames(suite).join(', ')}, all`);
    let targets = (specVersion === 'all' ? versionNames(suite) : [specVersion ?? defaultVersion(suite)]).map((v) => modelTarget(suite, v));
    let properties = suite.properties;
    if (values.mutant !== undefined) {
      const mutant = suite.mutants.find((m) => m.name === values.mutant);
      if (mutant === undefined) usageError(`unknown mutant ${quoted(values.mutant)} of ${suite.spec.name}; valid: ${suite.mutants.map((m) => m.name).join(', ')}`);
      const seededInto = mutantVersions(suite, mutant.name);
      // Any version can be searched; npm test holds the bug to the versions it is declared for.
      if (specVersion !== undefined && specVersion !== 'all' && !seededInto.includes(specVersion))
        process.stderr.write(`note: mutant ${mutant.name} is checked by npm test on ${seededInto.join(', ')}; searching it on ${specVersion}\n`);
      const versions = specVersion === 'all' ? seededInto : [specVersion ?? (seededInto[0] as string)];
      targets = versions.map((v) => mutantTarget(suite, mutant.name, v) as Target);
      properties = [resolveProperty(suite, values.property ?? mutant.property)];
    } else if (values.property !== undefined) properties = [resolveProperty(suite, values.property)];
    for (const target of targets) for (const property of properties) jobs.push({ suite, property, target });
  }
  // --resume names the job to start at; the jobs before it were done before the interrupt (each job keeps its
  // share of --time, counted over the whole list, as in the interrupted search).
  const firstJob = resume === undefined ? 0 : jobs.findIndex((j) => jobKey(j) === resume.key);
  if (firstJob < 0) usageError(`--resume names ${quoted(resume?.key ?? '')}, not one of the properties searched: ${jobs.map(jobKey).join(', ')}`);
  const startRun = resume?.run ?? startArg ?? 0;
  const out = values.out ?? (values.mutant !== undefined ? SCRATCH_DIR : 'counterexamples');
  checkOutDir(out);

  const seed = seedArg ?? ((Math.random() * 0x7fffffff) | 0);
  human(`seed: ${seed}`);
  if (workersNote !== undefined) human(`note: ${workersNote}`);
  human(`searching ${jobs.length} propert${jobs.length === 1 ? 'y' : 'ies'}${values.mutant ? ` against mutant ${values.mutant}` : ''}` +
    (timeSeconds ? `, ${timeSeconds} s in all` : '') + `, ${workers} worker${workers === 1 ? '' : 's'}` +
    (shard ? `, shard ${shard.index + 1} of ${shard.count} (batches ${shard.index} mod ${shard.count})` : ''));

  let interrupted = false;
  let interruptedAt = 0;
  const onSigint = () => {
    if (interrupted) {
      if (Date.now() - interruptedAt < SAME_KEYPRESS_MS) return; // the same Ctrl-C, relayed by a parent process
      process.exit(EXIT.interrupted);
    }
    interrupted = true;
    interruptedAt = Date.now();
    process.stderr.write('\ninterrupt: stopping the search (Ctrl-C again, a second later, aborts at once)\n');
  };
  process.on('SIGINT', onSigint);

  const tty = process.stderr.isTTY === true && !json;
  const results: JobResult[] = [];
  let unsaved = 0;
  /** Saves a case as soon as it is found; if that fails, prints it whole on stderr so that nothing found is lost. */
  const persist = (job: Job, f: Failure): JobResult['file'] => {
    const ce = counterexampleOf(job.suite, job.property, job.target, f);
    try {
      return save(ce, out);
    } catch (error) {
      unsaved++;
      process.stderr.write(`\n  could not save the case under ${out} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        `here it is, to save as a .json file and replay:\n${serialize(ce)}`);
      return undefined;
    }
  };
  let resumeAt: { job: Job; run: number } | undefined;
  let pool: SearchPool | undefined;
  // Even one worker runs on its own thread: this one stays free to answer signals (tsx gives its child 30 ms).
  try {
    pool = await SearchPool.start(workers);
  } catch (error) {
    human(`warning: the ${workers} search workers could not start (${(error as Error).message}); searching in this thread`);
  }
  try {
    for (const [i, job] of jobs.entries()) {
      if (i < firstJob) continue;
      const jobStart = i === firstJob ? startRun : 0;
      let file: JobResult['file'];
      if (interrupted) {
        resumeAt = { job, run: jobStart };
        break;
      }
      const total = runs ?? (timeSeconds !== undefined ? Infinity : job.property.numRuns * 10);
      const timeLimitMs = timeSeconds !== undefined ? (timeSeconds * 1000) / jobs.length : undefined;
      // Progress counts runs from the start of the whole search (as --start does); a shard counts its own runs.
      const base = shard ? 0 : jobStart;
      const shown = shard ? plannedRuns(planOf({ runs: total, startRun: jobStart, shard })) : total;
      let lastPlain = Date.now();
      human(`${job.suite.spec.name}/${job.property.name}: ${Number.isFinite(total) ? total + ' runs' : 'until time is up'}` +
        `${shard && Number.isFinite(shown) ? ` (${shown} in this shard)` : ''} on ${job.target.label}${versionTag(job)}`);
      const options = {
        seed,
        runs: total,
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
        startRun: jobStart,
        ...(shard ? { shard } : {}),
        polish,
        shouldStop: () => interrupted,
        // Saved as soon as shrunk, so that a search killed later loses nothing; a shorter case of the polish
        // window replaces the one saved before it.
        onFailure: (f: Failure) => {
          const previous = file;
          file = persist(job, f);
          if (previous?.created && previous.path !== file?.path) {
            try {
              unlinkSync(previous.path);
            } catch {
              // already gone: nothing to tidy
            }
          }
        },
        onBatch: ({ runsDone, elapsedMs }: { runsDone: number; elapsedMs: number }) => {
          const line = progressLine(job, base + runsDone, shown, elapsedMs, timeLimitMs, base);
          if (tty) process.stderr.write('\r' + line + '\x1b[K');
          else if (Date.now() - lastPlain >= 5000) {
            lastPlain = Date.now();
            human(`  ${line}`);
          }
        },
      };
      // A target that only this thread can build (an external implementation) is searched here.
      const outcome = pool && workerTarget(job.target.label)
        ? await pool.search({ subsystem: job.suite.spec.name, property: job.property.name, target: job.target.label, specVersion: job.target.version }, options)
        : await search(job.suite, job.property, job.target, options);
      if (tty) process.stderr.write('\r\x1b[K');
      if (outcome.failure !== undefined) {
        const f = outcome.failure;
        const traced = execute(job.suite.spec, job.target.createModel(), f.operations, {
          trace: true,
          invariants: selectInvariants(job.suite, job.property),
        });
        human(`  VIOLATION of ${f.violation.invariant} at run ${f.runs}, shrunk to ${f.operations.length} operations (${f.shrinks} shrink steps` +
        `${polish > 0 ? `; the shortest of the failing batches within ${polish} of the first` : ''}):`);
        human(formatTrace(traced).replace(/^/gm, '  '));
        if (file === undefined) human('  NOT saved (see above: the case is printed whole on stderr)');
        else {
          human(`  ${file.created ? 'saved' : 'already saved'}: ${file.path}`);
          human(`  replay: ${replayCommand(file.path, job.target.label)}`);
        }
        if (outcome.cut === 'interrupted') human('  (interrupted before the polish window was searched: resuming searches it and may save a shorter case)');
      }
      // Interrupted: resume at the first batch not completed, or at the failing batch when its polish window was cut.
      if (outcome.stopped === 'interrupted' || outcome.cut === 'interrupted') resumeAt = { job, run: outcome.resumeRun };
      results.push({ job, outcome: { ...outcome, runsDone: base + outcome.runsDone }, ...(file ? { file } : {}) });
      if (resumeAt !== undefined) break;
    }
  } finally {
    await pool?.close();
  }
  process.off('SIGINT', onSigint);

  human('');
  human('property                                     target                     runs     time   runs/s  result');
  for (const { job, outcome } of results) {
    const rate = outcome.elapsedMs > 0 ? (outcome.runsDone / outcome.elapsedMs) * 1000 : 0;
    const verdict = outcome.failure ? `VIOLATION ${outcome.failure.violation.invariant}` : outcome.stopped === 'interrupted' ? 'interrupted' : 'ok';
    human(
      `${(job.suite.spec.name + '/' + job.property.name).padEnd(44)} ${job.target.label.padEnd(26)} ${String(outcome.runsDone).padStart(6)} ${(outcome.elapsedMs / 1000).toFixed(1).padStart(7)}s ${rate.toFixed(0).padStart(8)}  ${verdict}`,
    );
  }
  for (const { job, outcome } of results) {
    human(`\n  ${job.suite.spec.name}/${job.property.name}: operations, results and injected faults`);
    for (const row of coverageTable(outcome.coverage)) human(row);
    for (const row of labelReport(job.suite, job.property, seed, outcome.runsDone)) human(row);
  }
  const found = results.filter((r) => r.outcome.failure !== undefined);
  // Every option as given, the seed (drawn at random if it was not) and where to start: the resumed search runs
  // exactly the batches the interrupted one did not complete, this property's and then every later one's.
  const resumeCommand = resumeAt === undefined ? undefined :
    ['npm', 'run', 'check', '--', ...argsWithoutStart(process.argv.slice(2)), `--seed=${seed}`, '--resume', `${jobKey(resumeAt.job)}:${resumeAt.run}`].map(shellWord).join(' ');
  if (resumeCommand !== undefined) human(`\ninterrupted: resume with  ${resumeCommand}`);
  if (unsaved > 0) human(`\n${unsaved} case${unsaved === 1 ? '' : 's'} could not be saved under ${out}: printed whole on stderr above`);
  if (json) {
    console.log(JSON.stringify({
      seed,
      workers: pool?.size ?? 1,
      polish,
      out,
      ...(shard ? { shard: `${shard.index + 1}/${shard.count}` } : {}),
      ...(resumeCommand !== undefined ? { resume: resumeCommand } : {}),
      results: results.map(({ job, outcome, file }) => ({
        subsystem: job.suite.spec.name,
        property: job.property.name,
        target: job.target.label,
        runs: outcome.runsDone,
        elapsedMs: outcome.elapsedMs,
        stopped: outcome.stopped,
        ...(outcome.cut ? { cut: outcome.cut } : {}),
        ...(outcome.failure ? { violation: outcome.failure.violation, shrunkLength: outcome.failure.operations.length, ...(file ? { file: file.path } : {}) } : {}),
        coverage: Object.fromEntries(outcome.coverage.counts),
        ...labelJson(job.suite, job.property, seed, outcome.runsDone),
      })),
    }, null, 2));
  }
  if (found.length > 0) return EXIT.violation;
  return resumeAt !== undefined ? EXIT.interrupted : EXIT.ok;
});
