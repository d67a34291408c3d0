// What `npm run check` prints when its search ends: a table of the jobs (runs, time, rate, verdict), then for each
// job what its runs exercised (operations, results, injected faults) and how often the generator produced the
// cases its property declares as mattering; or all of it as data, with --json.

import type { Coverage } from './interpreter.js';
import { labelJson, labelReport } from './labels.js';
import type { JobResult } from './search-jobs.js';

export function summaryLines(results: readonly JobResult[], seed: number): string[] {
  const lines = ['', 'property                                     target                     runs     time   runs/s  result'];
  for (const { job, outcome } of results) {
    const rate = outcome.elapsedMs > 0 ? (outcome.runsDone / outcome.elapsedMs) * 1000 : 0;
    const verdict = outcome.failure ? `VIOLATION ${outcome.failure.violation.invariant}` : outcome.stopped === 'interrupted' ? 'interrupted' : 'ok';
    lines.push(
      `${(job.suite.spec.name + '/' + job.property.name).padEnd(44)} ${job.target.label.padEnd(26)} ${String(outcome.runsDone).padStart(6)} ${(outcome.elapsedMs / 1000).toFixed(1).padStart(7)}s ${rate.toFixed(0).padStart(8)}  ${verdict}`,
    );
  }
  for (const { job, outcome } of results) {
    lines.push(`\n  ${job.suite.spec.name}/${job.property.name}: operations, results and injected faults`);
    lines.push(...coverageTable(outcome.coverage));
    lines.push(...labelReport(job.suite, job.property, seed, outcome.runsDone));
  }
  return lines;
}

function coverageTable(coverage: Coverage): string[] {
  const rows = [...coverage.counts].sort(([a], [b]) => a.localeCompare(b));
  return rows.map(([key, n]) => `    ${String(n).padStart(9)}  ${key}`);
}

/** One entry of --json's `results` per job. */
export function resultJson({ job, outcome, file }: JobResult, seed: number): object {
  return {
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
  };
}
