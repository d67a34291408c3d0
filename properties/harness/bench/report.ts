// The benchmark's tables, and its differences from a reference run.

import { TARGETS, type BenchResults, type MutantRow } from './results.js';

function table(headers: string[], rows: (string | number)[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(String))];
  const widths = headers.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? '').length)));
  return cells
    .map((r, j) => r.map((c, i) => (i === 0 || j === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join('  '))
    .join('\n');
}


export function printTables(r: BenchResults, out: (line: string) => void): void {
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
