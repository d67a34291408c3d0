// The long search of `npm run check`: one job after another (a property of a subsystem on a target of one
// version), on worker threads when they start (this thread then stays free to answer signals), each failure
// saved as soon as it is shrunk and printed with its trace and the command that replays it. Stopping (Ctrl-C)
// ends the search before its next run; `resumeAt` says where to start again so that the two parts together are
// exactly the whole search.

import { unlinkSync } from 'node:fs';
import { execute } from './interpreter.js';
import { SearchPool, workerTarget } from './parallel.js';
import { replayCommand } from './replay-command.js';
import { type Failure, planOf, plannedRuns, search, type SearchOptions, type SearchOutcome, type Shard } from './search.js';
import { counterexampleOf, save, serialize } from './store.js';
import { type AnySuite, type PropertyDef, selectInvariants } from './suite.js';
import type { Target } from './targets.js';
import { formatTrace } from './trace.js';

export interface Job {
  readonly suite: AnySuite;
  readonly property: PropertyDef;
  readonly target: Target;
}

export interface JobResult {
  readonly job: Job;
  readonly outcome: SearchOutcome;
  readonly file?: { path: string; created: boolean };
}

/** How --resume names a job: subsystem/property, with @version where the subsystem has several versions. */
export function jobKey(job: Job): string {
  return `${job.suite.spec.name}/${job.property.name}${job.suite.spec.versions.length > 1 ? `@${job.target.version}` : ''}`;
}

/** ` (version V)` where the subsystem has more than one version, so a reader knows which rules were searched. */
export function versionTag(job: Job): string {
  return job.suite.spec.versions.length > 1 ? ` (version ${job.target.version})` : '';
}

/** Where a job stands, for a progress display: runs counted from the start of the whole search (as --start counts). */
export interface JobProgress {
  readonly job: Job;
  readonly runsDone: number;
  /** Runs this job (or this shard of it) will run; Infinity until time is up. */
  readonly total: number;
  readonly elapsedMs: number;
  readonly timeLimitMs?: number;
  /** Runs done before this search started (a resumed one). */
  readonly base: number;
}

export interface SearchJobsOptions {
  readonly seed: number;
  /** Runs per job; by default 10 x the property's npm-test budget, or unbounded with `timeSeconds`. */
  readonly runs?: number;
  /** The whole search's time, shared equally by the jobs (of the whole list, as in an interrupted search). */
  readonly timeSeconds?: number;
  /** Start at this job, at run `startRun` of it (a resumed search). */
  readonly firstJob?: number;
  readonly startRun?: number;
  readonly shard?: Shard;
  readonly polish: number;
  readonly workers: number;
  /** Where cases are saved. */
  readonly out: string;
  readonly interrupted: () => boolean;
  /** A line for the reader (stdout, or stderr with --json). */
  readonly say: (line: string) => void;
  /** Text for stderr (a case that could not be saved, printed whole). */
  readonly warn: (text: string) => void;
  readonly onProgress?: (progress: JobProgress) => void;
  /** The job's search ended (before its failure, if any, is printed). */
  readonly onJobEnd?: () => void;
}

export interface SearchJobsResult {
  readonly results: JobResult[];
  /** Where an interrupted search resumes: this job, at this run. */
  readonly resumeAt?: { readonly job: Job; readonly run: number };
  /** Cases found that could not be saved (printed whole on stderr instead). */
  readonly unsaved: number;
  /** Worker threads the search ran on (1: this thread). */
  readonly workers: number;
}

export async function searchJobs(jobs: readonly Job[], o: SearchJobsOptions): Promise<SearchJobsResult> {
  const firstJob = o.firstJob ?? 0;
  const results: JobResult[] = [];
  let unsaved = 0;
  /** Saves a case as soon as it is found; if that fails, prints it whole on stderr so that nothing found is lost. */
  const persist = (job: Job, f: Failure): JobResult['file'] => {
    const ce = counterexampleOf(job.suite, job.property, job.target, f);
    try {
      return save(ce, o.out);
    } catch (error) {
      unsaved++;
      o.warn(`\n  could not save the case under ${o.out} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); ` +
        `here it is, to save as a .json file and replay:\n${serialize(ce)}`);
      return undefined;
    }
  };
  let resumeAt: SearchJobsResult['resumeAt'];
  let pool: SearchPool | undefined;
  // A search begins in this thread and moves to the workers once it has run IN_THIS_THREAD_MS (parallel.ts): this
  // thread then stays free to answer signals; before that a signal waits at most for the batch that is running.
  try {
    pool = await SearchPool.start(o.workers);
  } catch (error) {
    o.say(`warning: the ${o.workers} search workers could not start (${(error as Error).message}); searching in this thread`);
  }
  try {
    for (const [i, job] of jobs.entries()) {
      if (i < firstJob) continue;
      const jobStart = i === firstJob ? (o.startRun ?? 0) : 0;
      if (o.interrupted()) {
        resumeAt = { job, run: jobStart };
        break;
      }
      const total = o.runs ?? (o.timeSeconds !== undefined ? Infinity : job.property.numRuns * 10);
      const timeLimitMs = o.timeSeconds !== undefined ? (o.timeSeconds * 1000) / jobs.length : undefined;
      // Progress counts runs from the start of the whole search (as --start does); a shard counts its own runs.
      const base = o.shard ? 0 : jobStart;
      const shown = o.shard ? plannedRuns(planOf({ runs: total, startRun: jobStart, shard: o.shard })) : total;
      o.say(`${job.suite.spec.name}/${job.property.name}: ${Number.isFinite(total) ? total + ' runs' : 'until time is up'}` +
        `${o.shard && Number.isFinite(shown) ? ` (${shown} in this shard)` : ''} on ${job.target.label}${versionTag(job)}`);
      let file: JobResult['file'];
      const options: SearchOptions = {
        seed: o.seed,
        runs: total,
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
        startRun: jobStart,
        ...(o.shard ? { shard: o.shard } : {}),
        polish: o.polish,
        shouldStop: o.interrupted,
        // Saved as soon as shrunk, so that a search killed later loses nothing; a shorter case of the polish
        // window replaces the one saved before it.
        onFailure: (f) => {
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
        onBatch: ({ runsDone, elapsedMs }) =>
          o.onProgress?.({ job, runsDone: base + runsDone, total: shown, elapsedMs, ...(timeLimitMs !== undefined ? { timeLimitMs } : {}), base }),
      };
      // A target that only this thread can build (an external implementation) is searched here.
      const outcome = pool && workerTarget(job.target.label)
        ? await pool.search({ subsystem: job.suite.spec.name, property: job.property.name, target: job.target.label, specVersion: job.target.version }, options)
        : await search(job.suite, job.property, job.target, options);
      o.onJobEnd?.();
      if (outcome.failure !== undefined) reportFailure(job, outcome, file, o);
      // Interrupted: resume at the first batch not completed, or at the failing batch when its polish window was cut.
      if (outcome.stopped === 'interrupted' || outcome.cut === 'interrupted') resumeAt = { job, run: outcome.resumeRun };
      results.push({ job, outcome: { ...outcome, runsDone: base + outcome.runsDone }, ...(file ? { file } : {}) });
      if (resumeAt !== undefined) break;
    }
  } finally {
    await pool?.close();
  }
  return { results, ...(resumeAt ? { resumeAt } : {}), unsaved, workers: pool?.size ?? 1 };
}

/** The failure's trace, re-run on this thread, where it was saved and how to replay it. */
function reportFailure(job: Job, outcome: SearchOutcome, file: JobResult['file'], o: SearchJobsOptions): void {
  const f = outcome.failure as Failure;
  const traced = execute(job.suite.spec, job.target.createModel(), f.operations, { trace: true, invariants: selectInvariants(job.suite, job.property) });
  o.say(`  VIOLATION of ${f.violation.invariant} at run ${f.runs}, shrunk to ${f.operations.length} operations (${f.shrinks} shrink steps` +
    `${o.polish > 0 ? `; the shortest of the failing batches within ${o.polish} of the first` : ''}):`);
  o.say(formatTrace(traced).replace(/^/gm, '  '));
  if (file === undefined) o.say('  NOT saved (see above: the case is printed whole on stderr)');
  else {
    o.say(`  ${file.created ? 'saved' : 'already saved'}: ${file.path}`);
    o.say(`  replay: ${replayCommand(file.path, job.target.label)}`);
  }
  if (outcome.cut === 'interrupted') o.say('  (interrupted before the polish window was searched: resuming searches it and may save a shorter case)');
}
