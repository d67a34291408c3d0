// `npm run bench` once its arguments are parsed: measures the chosen sections on the chosen subsystems, prints
// the tables (and the differences from a reference), and returns the results (bench/results.json's format).

import { cpus, loadavg } from 'node:os';
import { defaultWorkers } from '../parallel.js';
import { DEFAULT_BATCH } from '../search.js';
import type { AnySuite } from '../suite.js';
import { soak } from './memory.js';
import { measureMutants } from './mutants.js';
import { compare, printTables } from './report.js';
import { BENCH_FORMAT, round, type BenchResults } from './results.js';
import { measureParallel } from './scaling.js';
import { targetsOf } from './targets.js';
import { measureThroughput } from './throughput.js';

export const SECTIONS = ['throughput', 'mutants', 'parallel', 'memory'] as const;
export type Section = (typeof SECTIONS)[number];

export interface BenchOptions {
  readonly subsystems: readonly AnySuite[];
  /** Seeds 1..seeds per mutant. */
  readonly seeds: number;
  readonly measureMs: number;
  readonly soakSeconds: number;
  /** Workers of the memory search on workers. */
  readonly workers: number;
  readonly skip: ReadonlySet<Section>;
  /** Worker counts of the parallel section (default 1, 2 and the number of cores). */
  readonly parallelWorkers?: readonly number[];
  /** A reference run to compare with, and its file name (for the heading). */
  readonly reference?: { readonly file: string; readonly results: BenchResults };
}

export async function runBench(options: BenchOptions, out: (line: string) => void): Promise<BenchResults> {
  const { subsystems: chosen, measureMs, soakSeconds, workers, skip } = options;
  const seeds = Array.from({ length: options.seeds }, (_, i) => i + 1);
  const results: BenchResults = {
    format: BENCH_FORMAT,
    machine: { node: process.version, cpus: defaultWorkers(), cpuModel: cpus()[0]?.model.trim() ?? 'unknown', loadavgBefore: loadavg().map((x) => round(x)), loadavgAfter: [], date: new Date().toISOString() },
    options: { seeds: options.seeds, measureMs, soakSeconds, workers, subsystems: chosen.map((s) => s.spec.name) },
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
      results.mutants.push(...(await measureMutants(suite, seeds)));
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
    const counts = [...new Set(options.parallelWorkers ?? [1, 2, defaultWorkers()])].filter((n) => n >= 1).sort((a, b) => a - b);
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
  if (options.reference !== undefined) {
    out(`\ncompared with ${options.reference.file}`);
    for (const line of compare(results, options.reference.results)) out(line);
  }
  return results;
}
