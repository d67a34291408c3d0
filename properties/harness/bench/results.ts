// The benchmark's results file (bench/results.json, format gpumem-spec/bench@1): what each section measures, the
// targets docs/bench.md sets, and the small measuring helpers the sections share.

import { readFileSync } from 'node:fs';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

export const BENCH_FORMAT = 'gpumem-spec/bench@1';

export const TARGETS = {
  overhead: 3,
  speedup: 1.7,
  catchMs: 1000,
  shrinkSlack: 1,
  // "Flat": the heap after garbage collection grows by less than this much per minute of search.
  slopeKBPerMin: 256,
} as const;

/** Shorter memory searches report their figures but are not judged: a few hundred KB of noise dominates them. */
export const SOAK_TO_JUDGE = 120;

// Garbage collection on demand, to measure the heap that stays live.
setFlagsFromString('--expose-gc');
export const gc = runInNewContext('gc') as () => void;

export interface ThroughputRow {
  subsystem: string;
  property: string;
  runs: number;
  operations: number;
  /** CPU ms: the search (generation, interpreter, fast-check), generation alone, the interpreter alone, the bare loop, apply alone. */
  harnessMs: number;
  generationMs: number;
  interpretMs: number;
  bareMs: number;
  applyMs: number;
  harnessOpsPerSec: number;
  bareOpsPerSec: number;
  /** harnessMs / bareMs: the time the harness takes per operation over the time the model's own functions take. */
  overhead: number;
  /** harnessMs / applyMs: against the operations alone, without snapshots and invariant checks. */
  overheadVsApply: number;
  peakHeapMB: number;
}

export interface MutantRow {
  subsystem: string;
  mutant: string;
  property: string;
  breaks: string;
  minimalLength: number;
  seeds: number[];
  /** Per seed: runs to the failing run (null when not caught within the budget). */
  runs: (number | null)[];
  detectMs: (number | null)[];
  totalMs: (number | null)[];
  shrunk: (number | null)[];
  caught: number;
  medianRuns: number | null;
  medianDetectMs: number | null;
  medianTotalMs: number | null;
  maxShrunk: number | null;
}

export interface ParallelRow {
  label: string;
  workers: number;
  runs: number;
  /** Wall-clock ms and the CPU ms of the whole process (every thread) over the same searches. */
  ms: number;
  cpuMs: number;
  runsPerSec: number;
  /** Runs per CPU second: falls when the threads spend CPU on hand-offs rather than runs. */
  runsPerCpuSec: number;
  startMs: number;
}

export interface SoakRow {
  mode: string;
  seconds: number;
  runs: number;
  samples: number;
  startMB: number;
  endMB: number;
  maxMB: number;
  /** Growth of the live heap per minute between round 2 and the last round (median over the properties). */
  slopeKBPerMin: number;
  /** The same growth per thousand runs: a per-run leak shows here whatever the length of the search. */
  bytesPer1000Runs: number;
  /** Per worker: the same growth of its live heap (measured by the worker right after a collection). */
  workerSlopeKBPerMin: number[];
  /** Violations of the specification the search met (a slot then ends early): a bug to look at, not a bench result. */
  violations: string[];
}

export interface TargetRow {
  target: string;
  limit: string;
  measured: string;
  ok: boolean | null;
  limitedBy: string;
}

export interface BenchResults {
  format: typeof BENCH_FORMAT;
  machine: { node: string; cpus: number; cpuModel: string; loadavgBefore: number[]; loadavgAfter: number[]; date: string };
  options: { seeds: number; measureMs: number; soakSeconds: number; workers: number; subsystems: string[] };
  throughput: ThroughputRow[];
  mutants: MutantRow[];
  parallel: ParallelRow[];
  memory: { soak: SoakRow[]; maxRssMB: number };
  targets: TargetRow[];
}

export const MB = 1024 * 1024;
/** CPU time of this process (all its threads), in ms: unlike the wall clock, hardly affected by other processes. */
export const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
export const round = (x: number, digits = 2) => Number(x.toFixed(digits));
export const heapMB = () => process.memoryUsage().heapUsed / MB;

export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}


/** A results file, or an error saying why it is not one. */
export function loadResults(file: string): BenchResults {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${file} (${(error as Error).message})`);
  }
  if ((raw as { format?: unknown })?.format !== BENCH_FORMAT) throw new Error(`${file} is not a "${BENCH_FORMAT}" results file`);
  return raw as BenchResults;
}
