// npm run bench -- [--json] [--save FILE] [--compare FILE] [--subsystem S] [--seeds N] [--measure MS]
//                  [--soak SECONDS] [--workers N] [--skip SECTIONS]
// Measures the search machinery on every registered subsystem: harness throughput against a bare loop over the
// same operation lists, runs and time to catch every mutant and the shrunk length against the known minimum,
// parallel speed-up, and memory over a long search. Prints tables (or JSON) and checks the targets in docs/bench.md.

import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { FaultPlan } from '../model/common/faults.js';
import type { Invariant } from '../model/common/spec.js';
import type { Operation } from '../model/common/values.js';
import { Coverage, execute } from '../properties/harness/interpreter.js';
import { defaultWorkers, SearchPool } from '../properties/harness/parallel.js';
import { suites } from '../properties/harness/registry.js';
import {
  BatchRunner,
  batchSeed,
  DEFAULT_BATCH,
  DEFAULT_POLISH,
  type Failure,
  search,
  selectInvariants,
  type SearchOptions,
  shorter,
} from '../properties/harness/search.js';
import type { AnySuite, PropertyDef } from '../properties/harness/suite.js';
import { modelTarget, mutantTarget } from '../properties/harness/targets.js';
import { EXIT, main, parseInteger, resolveSuite, usageError } from './cli.js';

const HELP = `usage: npm run bench -- [options]

  --json            results as JSON on stdout (tables go to stderr)
  --save FILE       also write the JSON results to FILE (e.g. bench/results.json, the committed reference)
  --compare FILE    print the differences from a saved results file (e.g. bench/results.json)
  --subsystem S     only this subsystem (default: every registered one)
  --seeds N         seeds per mutant for the time-to-catch figures (default 5)
  --measure MS      CPU time per property for throughput, and about that per property for parallel (default 1000)
  --soak SECONDS    length of each memory search, in this thread and on workers (default 20; 600 for the ten-minute check)
  --workers N       workers for the parallel soak (default: the number of cores, at least 2)
  --skip LIST       comma-separated sections to leave out: throughput, mutants, parallel, memory

Exit status: 0 measured (targets missed are reported, not failed), 2 usage error.`;

export const BENCH_FORMAT = 'gpumem-spec/bench@1';

const TARGETS = {
  overhead: 3,
  speedup: 1.7,
  catchMs: 1000,
  shrinkSlack: 1,
  // "Flat": the heap after garbage collection grows by less than this much per minute of search.
  slopeKBPerMin: 256,
} as const;

/** Shorter memory searches report their figures but are not judged: a few hundred KB of noise dominates them. */
const SOAK_TO_JUDGE = 120;

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface ThroughputRow {
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

interface MutantRow {
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

interface ParallelRow {
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

interface SoakRow {
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

interface TargetRow {
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

const MB = 1024 * 1024;
/** CPU time of this process (all its threads), in ms: unlike the wall clock, hardly affected by other processes. */
const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const heapMB = () => process.memoryUsage().heapUsed / MB;

function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r, j) => r.map((c, i) => (i === 0 || j === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}

// ---------------------------------------------------------------------------------------------------------------
// Throughput: the harness against a bare loop over the same operation lists

/** The operation lists batch `index` generates (the same as the search sees: generation ignores the verdicts). */
function generate(property: PropertyDef, seed: number, index: number, numRuns: number): Operation[][] {
  const lists: Operation[][] = [];
  fc.check(
    fc.property(property.operations, (ops) => {
      lists.push(ops);
      return true;
    }),
    { seed: batchSeed(seed, index), numRuns },
  );
  return lists;
}

/**
 * The model's own functions in a plain loop, as the interpreter calls them: initial state, precondition, the
 * snapshot invariants compare against, the operation, and the invariant checks; no generation, no records, no
 * coverage, no fast-check. With `checks` false: the operations alone.
 */
function bareLoop(suite: AnySuite, lists: readonly Operation[][], invariants: readonly Invariant<unknown>[], checks: boolean): number {
  let violations = 0;
  for (const ops of lists) {
    const model = suite.spec.createModel();
    const state = model.initialState();
    for (const op of ops) {
      if (!model.precondition(state, op)) continue;
      const faults = new FaultPlan((op.args['faults'] as readonly number[] | undefined) ?? []);
      if (!checks) {
        model.apply(state, op, faults);
        continue;
      }
      const before = suite.spec.snapshot(state);
      const result = model.apply(state, op, faults);
      const view = { before, after: state, op, result, faults: faults.failures };
      for (const invariant of invariants) if (invariant.check(view) !== undefined) violations++;
    }
  }
  return violations;
}

function measureThroughput(suite: AnySuite, property: PropertyDef, measureMs: number): ThroughputRow {
  const seed = 1;
  const runner = new BatchRunner(suite, property, modelTarget(suite), seed);
  const invariants = selectInvariants(suite, property);
  // Warm every path up first, so that no phase pays for compiling the model.
  const warm = generate(property, seed, 0, DEFAULT_BATCH);
  for (let i = 0; i < 3; i++) {
    runner.run(0, DEFAULT_BATCH);
    for (const ops of warm) execute(suite.spec, suite.spec.createModel(), ops, { invariants });
    bareLoop(suite, warm, invariants, true);
    bareLoop(suite, warm, invariants, false);
  }
  gc();
  let peak = heapMB();
  // Batch by batch, the same operation lists through each path in turn, so that nothing is kept between batches
  // and every path sees the same heap: the search, generation alone, the interpreter alone, the bare loop, apply.
  const time = { harness: 0, generation: 0, interpret: 0, bare: 0, apply: 0 };
  const timed = <T>(key: keyof typeof time, f: () => T): T => {
    const t = cpuMs();
    const value = f();
    time[key] += cpuMs() - t;
    return value;
  };
  let runs = 0;
  let operations = 0;
  const coverage = new Coverage();
  for (let index = 0; time.harness < measureMs; index++) {
    const r = timed('harness', () => runner.run(index, DEFAULT_BATCH));
    if (r.failure !== undefined) throw new Error(`${suite.spec.name}/${property.name} fails on the specification (seed ${seed}); run npm test`);
    const lists = timed('generation', () => generate(property, seed, index, DEFAULT_BATCH));
    timed('interpret', () => {
      for (const ops of lists) execute(suite.spec, suite.spec.createModel(), ops, { invariants, coverage });
    });
    const violations = timed('bare', () => bareLoop(suite, lists, invariants, true));
    if (violations > 0) throw new Error(`${suite.spec.name}/${property.name}: the bare loop saw ${violations} violations the search did not`);
    timed('apply', () => bareLoop(suite, lists, invariants, false));
    runs += lists.length;
    operations += lists.reduce((n, l) => n + l.length, 0);
    if (index % 8 === 0) peak = Math.max(peak, heapMB());
  }
  const { harness: harnessMs, generation: generationMs, interpret: interpretMs, bare: bareMs, apply: applyMs } = time;
  peak = Math.max(peak, heapMB());
  return {
    subsystem: suite.spec.name,
    property: property.name,
    runs,
    operations,
    harnessMs: round(harnessMs, 1),
    generationMs: round(generationMs, 1),
    interpretMs: round(interpretMs, 1),
    bareMs: round(bareMs, 1),
    applyMs: round(applyMs, 1),
    harnessOpsPerSec: Math.round((operations / harnessMs) * 1000),
    bareOpsPerSec: Math.round((operations / bareMs) * 1000),
    overhead: round(harnessMs / bareMs),
    overheadVsApply: round(harnessMs / applyMs),
    peakHeapMB: round(peak, 1),
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Mutants: runs and time to catch, shrunk length

function catchMutant(suite: AnySuite, mutantName: string, seed: number): { runs: number; detectMs: number; totalMs: number; shrunk: number } | undefined {
  const mutant = suite.mutants.find((m) => m.name === mutantName);
  const property = suite.properties.find((p) => p.name === mutant?.property);
  const target = mutantTarget(suite, mutantName);
  if (mutant === undefined || property === undefined || target === undefined) return undefined;
  // The search as `npm run check -- --mutant` runs it (10 x the budget, the default polish window), timed.
  const runner = new BatchRunner(suite, property, target, seed, DEFAULT_BATCH, [mutant.breaks]);
  const budget = property.numRuns * 10;
  const t0 = cpuMs();
  let detected = 0;
  let best: Failure | undefined;
  let windowEnd = Infinity;
  for (let index = 0; index * DEFAULT_BATCH < budget && index <= windowEnd; index++) {
    const r = runner.run(index, Math.min(DEFAULT_BATCH, budget - index * DEFAULT_BATCH), { onFailing: () => (detected ||= cpuMs()) });
    if (r.failure === undefined) continue;
    if (best === undefined) windowEnd = index + DEFAULT_POLISH;
    if (best === undefined || shorter(r.failure, best)) best = r.failure;
  }
  return best && { runs: best.runs, detectMs: detected - t0, totalMs: cpuMs() - t0, shrunk: best.operations.length };
}

function measureMutants(suite: AnySuite, seeds: readonly number[]): MutantRow[] {
  return suite.mutants.map((m) => {
    const found = seeds.map((seed) => catchMutant(suite, m.name, seed));
    const got = found.flatMap((f) => (f ? [f] : []));
    const med = (xs: number[]) => {
      const v = median(xs);
      return v === null ? null : round(v, 1);
    };
    return {
      subsystem: suite.spec.name,
      mutant: m.name,
      property: m.property,
      breaks: m.breaks,
      minimalLength: m.minimalLength,
      seeds: [...seeds],
      runs: found.map((f) => f?.runs ?? null),
      detectMs: found.map((f) => (f ? round(f.detectMs, 1) : null)),
      totalMs: found.map((f) => (f ? round(f.totalMs, 1) : null)),
      shrunk: found.map((f) => f?.shrunk ?? null),
      caught: got.length,
      medianRuns: median(got.map((f) => f.runs)),
      medianDetectMs: med(got.map((f) => f.detectMs)),
      medianTotalMs: med(got.map((f) => f.totalMs)),
      maxShrunk: got.length ? Math.max(...got.map((f) => f.shrunk)) : null,
    };
  });
}

// ---------------------------------------------------------------------------------------------------------------
// Parallel speed-up: the same batches in this thread, on one worker, on two (and on every core)

interface Job {
  suite: AnySuite;
  property: PropertyDef;
  runs: number;
}

async function measureParallel(jobs: readonly Job[], counts: readonly number[]): Promise<ParallelRow[]> {
  const rows: ParallelRow[] = [];
  const total = jobs.reduce((n, j) => n + j.runs, 0);
  const row = (label: string, workers: number, ms: number, cpu: number, startMs: number): ParallelRow => ({
    label,
    workers,
    runs: total,
    ms: round(ms, 1),
    cpuMs: round(cpu, 1),
    runsPerSec: Math.round((total / ms) * 1000),
    runsPerCpuSec: Math.round((total / cpu) * 1000),
    startMs: round(startMs, 0),
  });
  const t0 = performance.now();
  const c0 = cpuMs();
  for (const j of jobs) await search(j.suite, j.property, modelTarget(j.suite), { seed: 2, runs: j.runs });
  rows.push(row('this thread', 0, performance.now() - t0, cpuMs() - c0, 0));
  for (const n of counts) {
    const s0 = performance.now();
    const pool = await SearchPool.start(n);
    const startMs = performance.now() - s0;
    try {
      // A short search of every property first, so the workers have compiled the code before the clock starts.
      for (const j of jobs) await pool.search({ subsystem: j.suite.spec.name, property: j.property.name, target: 'model' }, { seed: 3, runs: DEFAULT_BATCH * n * 4 });
      const t1 = performance.now();
      const c1 = cpuMs();
      for (const j of jobs) await pool.search({ subsystem: j.suite.spec.name, property: j.property.name, target: 'model' }, { seed: 2, runs: j.runs });
      rows.push(row(`${n} worker${n === 1 ? '' : 's'}`, n, performance.now() - t1, cpuMs() - c1, startMs));
    } finally {
      await pool.close();
    }
  }
  return rows;
}

// ---------------------------------------------------------------------------------------------------------------
// Memory: the heap over a search of every property sharing the time, as `npm run check -- --time` does

async function soak(all: readonly AnySuite[], seconds: number, workers: number): Promise<SoakRow> {
  // The search goes round every property, each for a short slot, in rounds with fresh seeds (a long
  // `check --time` does the same work, one long slot per property). Round 1 is warm-up: every path is compiled
  // by its end. The live heap is measured (after a collection) at the end of every slot, so that each property's
  // samples are taken at the same point of its work; growth compares each property's last sample with its
  // sample in round 2.
  const jobs = all.flatMap((suite) => suite.properties.map((property) => ({ suite, property })));
  const rounds = Math.max(3, Math.floor(seconds / (jobs.length * 2)));
  const slotMs = (seconds * 1000) / (rounds * jobs.length);
  // A forced collection costs a worker a good part of its speed for a while: once per slot at most.
  const pool = workers > 1 ? await SearchPool.start(workers, { heapSampleMs: Math.max(1000, slotMs) }) : undefined;
  type Sample = { minutes: number; runs: number; heap: number; workers: number[] };
  const samples: Sample[][] = jobs.map(() => []);
  let runs = 0;
  const violations: string[] = [];
  const t0 = performance.now();
  try {
    for (let round = 0; round < rounds; round++) {
      for (const [j, { suite, property }] of jobs.entries()) {
        const options: SearchOptions = { seed: 4 + round, runs: Infinity, timeLimitMs: slotMs };
        const outcome = pool
          ? await pool.search({ subsystem: suite.spec.name, property: property.name, target: 'model' }, options)
          : await search(suite, property, modelTarget(suite), options);
        runs += outcome.runsDone;
        if (outcome.failure !== undefined)
          violations.push(
            `${suite.spec.name}/${property.name}: ${outcome.failure.violation.invariant}; reproduce and save with npm run check -- --subsystem ${suite.spec.name} ` +
              `--property ${property.name} --seed ${4 + round} --runs ${Math.ceil(outcome.failure.runs / DEFAULT_BATCH) * DEFAULT_BATCH}`,
          );
        gc();
        samples[j]?.push({ minutes: (performance.now() - t0) / 60_000, runs, heap: process.memoryUsage().heapUsed, workers: pool ? [...pool.liveHeap] : [] });
      }
    }
  } finally {
    await pool?.close();
  }
  const pairs = samples.map((s) => [s[1], s[s.length - 1]] as const).filter((p): p is readonly [Sample, Sample] => p[0] !== undefined && p[1] !== undefined);
  const minutes = median(pairs.map(([a, b]) => b.minutes - a.minutes)) ?? 0;
  const runsSpan = median(pairs.map(([a, b]) => b.runs - a.runs)) ?? 0;
  const grow = (pick: (s: Sample) => number) => median(pairs.map(([a, b]) => pick(b) - pick(a))) ?? 0;
  const perMinute = (bytes: number) => (minutes > 0 ? round(bytes / 1024 / minutes, 1) : 0);
  const mainGrowth = grow((s) => s.heap);
  const heaps = samples.flat().map((s) => s.heap);
  const first = samples[0]?.[1] ?? samples[0]?.[0];
  const last = samples[samples.length - 1]?.[rounds - 1];
  return {
    mode: pool ? `${pool.size} workers` : 'this thread',
    seconds,
    runs,
    samples: heaps.length,
    startMB: round((first?.heap ?? 0) / MB),
    endMB: round((last?.heap ?? 0) / MB),
    maxMB: round(Math.max(0, ...heaps) / MB),
    slopeKBPerMin: perMinute(mainGrowth),
    bytesPer1000Runs: runsSpan > 0 ? round((mainGrowth / runsSpan) * 1000, 1) : 0,
    workerSlopeKBPerMin: (pool ? Array.from({ length: workers }, (_, i) => i) : []).map((i) => perMinute(grow((s) => s.workers[i] ?? 0))),
    violations,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Targets, tables, comparison

function targetsOf(r: BenchResults): TargetRow[] {
  const rows: TargetRow[] = [];
  if (r.throughput.length) {
    const worst = r.throughput.reduce((a, b) => (b.overhead > a.overhead ? b : a));
    const pct = (x: number) => `${((x / worst.harnessMs) * 100).toFixed(0)}%`;
    rows.push({
      target: 'harness overhead (harness time / bare loop of the model functions)',
      limit: `<= ${TARGETS.overhead}x`,
      measured: `${worst.overhead}x worst (${worst.subsystem}/${worst.property}); ` + r.throughput.map((t) => `${t.subsystem}/${t.property} ${t.overhead}x`).join(', '),
      ok: worst.overhead <= TARGETS.overhead,
      limitedBy: `for ${worst.subsystem}/${worst.property}, of the harness time: generating the lists ${pct(worst.generationMs)}, ` +
        `the model's own functions ${pct(worst.bareMs)}, the interpreter's records and coverage ${pct(Math.max(0, worst.interpretMs - worst.bareMs))}, ` +
        `fast-check's runner ${pct(Math.max(0, worst.harnessMs - worst.generationMs - worst.interpretMs))}`,
    });
  }
  const one = r.parallel.find((p) => p.workers === 1);
  const two = r.parallel.find((p) => p.workers === 2);
  if (one && two) {
    const speedup = round(two.runsPerSec / one.runsPerSec);
    const efficiency = round(two.runsPerCpuSec / one.runsPerCpuSec);
    // One worker is not one core: V8's garbage collector and compiler run on threads of their own, so a single
    // worker keeps more than one core busy, and on 2 cores two workers can gain at most cores / that.
    const coresForOne = round(one.cpuMs / one.ms);
    const ceiling = round(Math.max(1, r.machine.cpus / coresForOne) * efficiency);
    rows.push({
      target: '2 workers vs 1 (wall-clock throughput)',
      limit: `>= ${TARGETS.speedup}x on 2 cores`,
      measured: `${speedup}x (${r.machine.cpus} cores, load average ${r.machine.loadavgBefore[0]?.toFixed(1)} before, ${r.machine.loadavgAfter[0]?.toFixed(1)} after); ` +
        `1 worker keeps ${coresForOne} cores busy; runs per CPU second 2 workers / 1 worker: ${efficiency}`,
      ok: r.machine.cpus >= 2 ? speedup >= TARGETS.speedup : null,
      limitedBy: `the cores one worker already uses (${coresForOne}: its thread plus V8's GC and compiler threads) and the cost per run with two ` +
        `(runs per CPU second ${efficiency < 0.95 ? 'drop' : 'hold'}): at most about ${ceiling}x here; and cores taken by other processes (the load average)`,
    });
  }
  if (r.mutants.length) {
    const slowest = r.mutants.reduce((a, b) => ((b.medianTotalMs ?? Infinity) > (a.medianTotalMs ?? Infinity) ? b : a));
    const uncaught = r.mutants.filter((m) => m.caught < m.seeds.length);
    rows.push({
      target: 'median time to catch each mutant (find + shrink)',
      limit: `< ${TARGETS.catchMs} ms`,
      measured: `slowest ${slowest.subsystem}/${slowest.mutant} ${slowest.medianTotalMs ?? 'never'} ms (median runs ${slowest.medianRuns ?? '-'})` +
        (uncaught.length ? `; not caught on every seed: ${uncaught.map((m) => `${m.mutant} ${m.caught}/${m.seeds.length}`).join(', ')}` : ''),
      ok: r.mutants.every((m) => m.medianTotalMs !== null && m.medianTotalMs < TARGETS.catchMs),
      limitedBy: 'how often the generator reaches the bug (runs to catch), the cost of a run, and shrinking plus the polish batches',
    });
    const over = r.mutants.filter((m) => m.shrunk.some((s) => s !== null && s > m.minimalLength + TARGETS.shrinkSlack));
    const exact = r.mutants.filter((m) => m.shrunk.every((s) => s === null || s === m.minimalLength)).length;
    rows.push({
      target: 'shrunk length vs known minimal length',
      limit: `<= minimal + ${TARGETS.shrinkSlack}`,
      measured: `${exact}/${r.mutants.length} mutants exactly minimal on every seed` + (over.length ? `; over: ${over.map((m) => `${m.mutant} ${Math.max(...m.shrunk.map((s) => s ?? 0))} vs ${m.minimalLength}`).join(', ')}` : ''),
      ok: over.length === 0,
      limitedBy: `shrinking ends 1-minimal (no single operation can go); a shorter case of another shape is found only when one of the ${DEFAULT_POLISH} polish batches starts from it`,
    });
  }
  if (r.memory.soak.length) {
    const worst = Math.max(...r.memory.soak.flatMap((s) => [s.slopeKBPerMin, ...s.workerSlopeKBPerMin]));
    const long = r.memory.soak.every((s) => s.seconds >= SOAK_TO_JUDGE);
    rows.push({
      target: 'flat memory over a long search (live heap growth after warm-up)',
      limit: `< ${TARGETS.slopeKBPerMin} KB/min over >= ${SOAK_TO_JUDGE} s`,
      measured: r.memory.soak.map((s) => `${s.mode} ${s.seconds} s: ${s.slopeKBPerMin} KB/min (workers ${s.workerSlopeKBPerMin.join(', ') || '-'}), heap ${s.startMB}->${s.endMB} MB`).join('; ') +
        (long ? '' : `; too short to judge a slope (sampling noise is a few hundred KB): run --soak 600`),
      ok: long ? worst < TARGETS.slopeKBPerMin : null,
      limitedBy: 'nothing is retained per run or per batch; what remains is compiled code and its feedback, which settles after a few million runs',
    });
  }
  return rows;
}

function printTables(r: BenchResults, out: (line: string) => void): void {
  out(`node ${r.machine.node}, ${r.machine.cpus} x ${r.machine.cpuModel}, load ${r.machine.loadavgBefore.map((x) => x.toFixed(2)).join(' ')}`);
  if (r.throughput.length) {
    out('\nthroughput (operations per CPU second; overhead = harness time / bare loop time on the same operation lists; times in CPU ms)');
    out(table(
      ['property', 'runs', 'ops', 'harness ops/s', 'bare ops/s', 'overhead', 'harness', 'generate', 'interpret', 'bare', 'apply only', 'vs apply', 'peak heap MB'],
      r.throughput.map((t) => [
        `${t.subsystem}/${t.property}`,
        t.runs,
        t.operations,
        t.harnessOpsPerSec,
        t.bareOpsPerSec,
        `${t.overhead}x`,
        t.harnessMs,
        t.generationMs,
        t.interpretMs,
        t.bareMs,
        t.applyMs,
        `${t.overheadVsApply}x`,
        t.peakHeapMB,
      ]),
    ));
  }
  if (r.mutants.length) {
    out(`\nmutants (seeds ${r.mutants[0]?.seeds.join(',')}; budget 10 x the property's runs; time = find + shrink)`);
    out(table(
      ['mutant', 'breaks', 'caught', 'median runs', 'median detect ms', 'median total ms', 'shrunk', 'minimal'],
      r.mutants.map((m) => [
        `${m.subsystem}/${m.mutant}`,
        m.breaks,
        `${m.caught}/${m.seeds.length}`,
        m.medianRuns ?? '-',
        m.medianDetectMs ?? '-',
        m.medianTotalMs ?? '-',
        m.shrunk.map((s) => s ?? '-').join(','),
        m.minimalLength,
      ]),
    ));
  }
  if (r.parallel.length) {
    out('\nparallel (the same batches of every property; pool start not timed; CPU = every thread of the process)');
    out(table(
      ['where', 'runs', 'wall ms', 'runs/s', 'CPU ms', 'runs/CPU s', 'pool start ms'],
      r.parallel.map((p) => [p.label, p.runs, p.ms, p.runsPerSec, p.cpuMs, p.runsPerCpuSec, p.startMs || '-']),
    ));
  }
  if (r.memory.soak.length) {
    out('\nmemory (live heap after a collection at the end of every property slot; growth from round 2 to the last round)');
    out(table(
      ['search', 'seconds', 'runs', 'samples', 'start MB', 'end MB', 'max MB', 'growth KB/min', 'B/1000 runs', 'workers KB/min'],
      r.memory.soak.map((s) => [s.mode, s.seconds, s.runs, s.samples, s.startMB, s.endMB, s.maxMB, s.slopeKBPerMin, s.bytesPer1000Runs, s.workerSlopeKBPerMin.join(' ') || '-']),
    ));
    out(`peak resident set size of this process: ${r.memory.maxRssMB} MB`);
    for (const s of r.memory.soak) for (const v of s.violations ?? []) out(`  the ${s.mode} search met a violation of the specification: ${v}`);
  }
  out('\ntargets');
  for (const t of r.targets) out(`  ${t.ok === null ? 'n/a ' : t.ok ? 'met ' : 'MISS'}  ${t.target} ${t.limit}: ${t.measured}\n        limited by: ${t.limitedBy}`);
}

function change(now: number, ref: number): string {
  if (ref === 0) return now === 0 ? '0%' : 'new';
  const pct = ((now - ref) / ref) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(0)}%`;
}

/** The differences from a reference run, metric by metric. */
export function compare(now: BenchResults, ref: BenchResults): string[] {
  const lines: string[] = [];
  lines.push(`reference: ${ref.machine.date}, node ${ref.machine.node}, ${ref.machine.cpus} x ${ref.machine.cpuModel}, load ${ref.machine.loadavgBefore[0]?.toFixed(2)}`);
  lines.push(`this run:  ${now.machine.date}, node ${now.machine.node}, ${now.machine.cpus} x ${now.machine.cpuModel}, load ${now.machine.loadavgBefore[0]?.toFixed(2)}`);
  const rows: (string | number)[][] = [];
  // Higher is better for rates, lower for times; a change beyond 20% the wrong way is flagged (and, with a
  // floor, only when it is also larger than the floor: a few milliseconds either way are noise).
  const metric = (name: string, a: number | null | undefined, b: number | null | undefined, better: 'higher' | 'lower' | 'equal', floor = 0) => {
    if (a == null && b == null) return;
    if (a == null || b == null) return void rows.push([name, b ?? '-', a ?? '-', a == null ? 'gone' : 'new', '']);
    const pct = b === 0 ? 0 : ((a - b) / b) * 100;
    const worse = better === 'equal' ? a !== b : (better === 'higher' ? pct < -20 : pct > 20) && Math.abs(a - b) > floor;
    rows.push([name, b, a, change(a, b), worse ? (better === 'equal' ? 'CHANGED' : 'WORSE') : '']);
  };
  const byKey = <T>(xs: T[], key: (x: T) => string) => new Map(xs.map((x) => [key(x), x]));
  // A partial run (--subsystem, --skip) is compared on what it measured only.
  const measured = new Set(now.options.subsystems);
  const inScope = <T extends { subsystem: string }>(xs: T[], section: unknown[]) => (section.length === 0 ? [] : xs.filter((x) => measured.has(x.subsystem)));
  const tNow = byKey(now.throughput, (t) => `${t.subsystem}/${t.property}`);
  const tRef = byKey(inScope(ref.throughput, now.throughput), (t) => `${t.subsystem}/${t.property}`);
  for (const k of new Set([...tRef.keys(), ...tNow.keys()])) {
    metric(`${k} harness ops/s`, tNow.get(k)?.harnessOpsPerSec, tRef.get(k)?.harnessOpsPerSec, 'higher');
    metric(`${k} bare ops/s`, tNow.get(k)?.bareOpsPerSec, tRef.get(k)?.bareOpsPerSec, 'higher');
    metric(`${k} overhead`, tNow.get(k)?.overhead, tRef.get(k)?.overhead, 'lower');
  }
  const mNow = byKey(now.mutants, (m) => `${m.subsystem}/${m.mutant}`);
  const mRef = byKey(inScope(ref.mutants, now.mutants), (m) => `${m.subsystem}/${m.mutant}`);
  const sameSeeds = (a?: MutantRow, b?: MutantRow) => a !== undefined && b !== undefined && a.seeds.join() === b.seeds.join();
  for (const k of new Set([...mRef.keys(), ...mNow.keys()])) {
    const a = mNow.get(k);
    const b = mRef.get(k);
    // Runs to catch and shrunk lengths are deterministic for a seed: any difference means the generators, the
    // model or the mutant changed.
    metric(`${k} median runs`, a?.medianRuns, b?.medianRuns, sameSeeds(a, b) ? 'equal' : 'lower');
    metric(`${k} median ms to catch`, a?.medianTotalMs, b?.medianTotalMs, 'lower', 50);
    metric(`${k} longest shrunk`, a?.maxShrunk, b?.maxShrunk, sameSeeds(a, b) ? 'equal' : 'lower');
  }
  const pNow = byKey(now.parallel, (p) => p.label);
  const pRef = byKey(now.parallel.length ? ref.parallel : [], (p) => p.label);
  for (const k of new Set([...pRef.keys(), ...pNow.keys()])) metric(`parallel ${k} runs/s`, pNow.get(k)?.runsPerSec, pRef.get(k)?.runsPerSec, 'higher');
  const sNow = byKey(now.memory.soak, (s) => s.mode);
  const sRef = byKey(now.memory.soak.length ? ref.memory.soak : [], (s) => s.mode);
  for (const k of new Set([...sRef.keys(), ...sNow.keys()])) {
    metric(`memory ${k} growth KB/min`, sNow.get(k)?.slopeKBPerMin, sRef.get(k)?.slopeKBPerMin, 'lower', TARGETS.slopeKBPerMin);
    metric(`memory ${k} max heap MB`, sNow.get(k)?.maxMB, sRef.get(k)?.maxMB, 'lower', 5);
  }
  const complete = (r: BenchResults) => r.throughput.length > 0 && r.mutants.length > 0 && r.parallel.length > 0 && r.memory.soak.length > 0;
  if (complete(now) && complete(ref) && now.options.subsystems.join() === ref.options.subsystems.join())
    metric('peak RSS MB', now.memory.maxRssMB, ref.memory.maxRssMB, 'lower');
  lines.push(table(['metric', 'reference', 'now', 'change', ''], rows));
  const flagged = rows.filter((r) => r[4] !== '').length;
  lines.push(`${flagged} metric${flagged === 1 ? '' : 's'} flagged (rates and times beyond 20% the wrong way, times also by more than 50 ms; deterministic counts that differ at all)`);
  return lines;
}

function loadResults(file: string): BenchResults {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (error) {
    usageError(`--compare: cannot read ${file} (${(error as Error).message})`);
  }
  if ((raw as { format?: unknown })?.format !== BENCH_FORMAT) usageError(`--compare: ${file} is not a "${BENCH_FORMAT}" results file`);
  return raw as BenchResults;
}

await main(async () => {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      save: { type: 'string' },
      compare: { type: 'string' },
      subsystem: { type: 'string' },
      seeds: { type: 'string' },
      measure: { type: 'string' },
      soak: { type: 'string' },
      workers: { type: 'string' },
      skip: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  const out = (line: string) => (values.json ? process.stderr : process.stdout).write(line + '\n');
  const seedCount = parseInteger('seeds', values.seeds, 1) ?? 5;
  const measureMs = parseInteger('measure', values.measure, 50) ?? 1000;
  const soakSeconds = parseInteger('soak', values.soak, 1) ?? 20;
  const workers = parseInteger('workers', values.workers, 2) ?? Math.max(2, defaultWorkers());
  const sections = ['throughput', 'mutants', 'parallel', 'memory'];
  const skip = new Set((values.skip ?? '').split(',').filter((s) => s !== ''));
  for (const s of skip) if (!sections.includes(s)) usageError(`--skip: unknown section "${s}"; valid: ${sections.join(', ')}`);
  const reference = values.compare !== undefined ? loadResults(values.compare) : undefined;
  const chosen = values.subsystem !== undefined ? [resolveSuite(values.subsystem)] : [...suites];
  const seeds = Array.from({ length: seedCount }, (_, i) => i + 1);

  const results: BenchResults = {
    format: BENCH_FORMAT,
    machine: { node: process.version, cpus: defaultWorkers(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', loadavgBefore: loadavg().map((x) => round(x)), loadavgAfter: [], date: new Date().toISOString() },
    options: { seeds: seedCount, measureMs, soakSeconds, workers, subsystems: chosen.map((s) => s.spec.name) },
    throughput: [],
    mutants: [],
    parallel: [],
    memory: { soak: [], maxRssMB: 0 },
    targets: [],
  };

  if (!skip.has('throughput'))
    for (const suite of chosen)
      for (const property of suite.properties) {
        out(`throughput ${suite.spec.name}/${property.name}...`);
        try {
          results.throughput.push(measureThroughput(suite, property, measureMs));
        } catch (error) {
          out(`  left out: ${(error as Error).message}`);
        }
      }
  if (!skip.has('mutants'))
    for (const suite of chosen) {
      out(`mutants ${suite.spec.name} (${suite.mutants.length} x ${seeds.length} seeds)...`);
      results.mutants.push(...measureMutants(suite, seeds));
    }
  if (!skip.has('parallel')) {
    out('parallel...');
    // Each property gets the batches this thread runs in about the measuring time.
    const jobs = chosen.flatMap((suite) =>
      suite.properties.map((property) => {
        const t = results.throughput.find((r) => r.subsystem === suite.spec.name && r.property === property.name);
        const perMs = t ? t.runs / t.harnessMs : 5;
        return { suite, property, runs: Math.max(8, Math.round((perMs * measureMs) / DEFAULT_BATCH)) * DEFAULT_BATCH };
      }),
    );
    const counts = [...new Set([1, 2, defaultWorkers()])].filter((n) => n >= 1).sort((a, b) => a - b);
    results.parallel = await measureParallel(jobs, counts);
  }
  if (!skip.has('memory')) {
    out(`memory: a ${soakSeconds} s search in this thread, then on ${workers} workers...`);
    results.memory.soak.push(await soak(chosen, soakSeconds, 1));
    results.memory.soak.push(await soak(chosen, soakSeconds, workers));
  }
  results.memory.maxRssMB = round(process.resourceUsage().maxRSS / 1024, 1);
  results.machine.loadavgAfter = loadavg().map((x) => round(x));
  results.targets = targetsOf(results);

  printTables(results, out);
  if (reference !== undefined) {
    out(`\ncompared with ${values.compare}`);
    for (const line of compare(results, reference)) out(line);
  }
  const text = JSON.stringify(results, null, 2) + '\n';
  if (values.save !== undefined) writeFileSync(values.save, text);
  if (values.json) process.stdout.write(text);
  return EXIT.ok;
});
