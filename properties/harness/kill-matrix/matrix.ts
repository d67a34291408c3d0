// The mutant kill matrix: every seeded bug of every subsystem against every property of its subsystem, with
// each invariant checked alone, from several seeds. It says which invariants catch each bug, how many runs
// they need (median over the seeds), and how short the shrunk case is next to the shortest known one. The rows
// (row.ts) are computed on worker threads (worker.ts); the result does not depend on how many.

import { availableParallelism } from 'node:os';
import type { Invariant } from '../../../model/common/spec.js';
import { suites } from '../registry.js';
import { type AnySuite, type MutantDef, selectInvariants } from '../suite.js';
import { mutantVersions } from '../targets.js';
import { moduleBeside, startWorker } from '../worker-start.js';
import { mutantRow } from './row.js';
import { rowName, type KillMatrix, type MatrixOptions, type MutantRow, type RowOptions, type SubsystemMatrix } from './types.js';

interface Job {
  readonly suite: AnySuite;
  readonly mutant: MutantDef<unknown>;
  readonly version: string;
}

/** Computes the rows of `jobs` on worker threads, handing them to `done` in the order of `jobs`. */
async function rowsInParallel(jobs: readonly Job[], options: RowOptions, seeds: readonly number[], workers: number, done: (row: MutantRow) => void): Promise<MutantRow[]> {
  const rows: (MutantRow | undefined)[] = jobs.map(() => undefined);
  let next = 0;
  let flushed = 0;
  const flush = () => {
    while (flushed < rows.length && rows[flushed] !== undefined) done(rows[flushed++] as MutantRow);
  };
  const entry = moduleBeside('./worker', import.meta.url);
  const threads = Array.from({ length: Math.min(workers, jobs.length) }, () => startWorker(entry));
  try {
    await Promise.all(
      threads.map(
        (thread) =>
          new Promise<void>((resolve, reject) => {
            const give = () => {
              if (next >= jobs.length) return resolve();
              const id = next++;
              const job = jobs[id] as Job;
              const request: RowRequest = { id, subsystem: job.suite.spec.name, mutant: job.mutant.name, version: job.version, options, seeds };
              thread.postMessage(request);
            };
            thread.on('message', (reply: RowReply) => {
              if ('error' in reply) return reject(new Error(reply.error));
              rows[reply.id] = reply.row;
              flush();
              give();
            });
            thread.on('error', reject);
            give();
          }),
      ),
    );
  } finally {
    await Promise.all(threads.map((t) => t.terminate()));
  }
  return rows as MutantRow[];
}

export interface RowRequest {
  readonly id: number;
  readonly subsystem: string;
  readonly mutant: string;
  readonly version: string;
  readonly options: RowOptions;
  readonly seeds: readonly number[];
}

export type RowReply = { readonly id: number; readonly row: MutantRow } | { readonly id: number; readonly error: string };

export async function buildMatrix(options: MatrixOptions): Promise<KillMatrix> {
  const started = Date.now();
  const seeds = Array.from({ length: options.seeds }, (_, k) => (options.seed + k) | 0);
  const chosen = options.subsystems ?? suites;
  const jobs: Job[] = chosen.flatMap((suite) =>
    (suite.mutants as readonly MutantDef<unknown>[])
      .filter((m) => options.mutant === undefined || m.name === options.mutant)
      .flatMap((mutant) => mutantVersions(suite, mutant.name).filter((v) => options.specVersion === undefined || v === options.specVersion).map((version) => ({ suite, mutant, version }))),
  );
  const rowOptions: RowOptions = options.runs !== undefined ? { runs: options.runs } : {};
  const workers = options.workers ?? availableParallelism();
  const done = (row: MutantRow) => options.onMutant?.(row);
  let rows: MutantRow[];
  if (workers > 1 && jobs.length > 1) rows = await rowsInParallel(jobs, rowOptions, seeds, workers, done);
  else {
    rows = [];
    for (const job of jobs) {
      const row = await mutantRow(job.suite, job.mutant, rowOptions, seeds, job.version);
      done(row);
      rows.push(row);
    }
  }
  const subsystems: SubsystemMatrix[] = [];
  for (const suite of chosen) {
    const mine = rows.filter((r) => r.subsystem === suite.spec.name);
    const invariants = suite.spec.invariants.map((i: Invariant<unknown>) => i.name);
    const withTeeth = new Set(mine.flatMap((r) => r.cells.filter((c) => c.caughtSeeds === seeds.length).map((c) => c.invariant)));
    subsystems.push({
      subsystem: suite.spec.name,
      title: suite.spec.title,
      properties: suite.properties.map((p) => ({ name: p.name, budget: options.runs ?? p.numRuns, invariants: selectInvariants(suite, p).map((i) => i.name) })),
      invariants,
      mutants: mine,
      // Only meaningful when every mutant of the subsystem was run.
      toothless: options.mutant === undefined ? invariants.filter((i) => !withTeeth.has(i)) : [],
    });
  }
  return {
    seeds,
    runs: options.runs ?? null,
    subsystems,
    uncaught: subsystems.flatMap((s) => s.mutants.filter((m) => !m.caught).map((m) => `${s.subsystem}/${rowName(m)}`)),
    toothless: subsystems.flatMap((s) => s.toothless.map((i) => `${s.subsystem}/${i}`)),
    elapsedMs: Date.now() - started,
  };
}
