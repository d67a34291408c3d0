// The targets of docs/bench.md, judged on a run's results, each with what limits it.

import { DEFAULT_POLISH } from '../search.js';
import { round, SOAK_TO_JUDGE, TARGETS, type BenchResults, type TargetRow } from './results.js';

export function targetsOf(r: BenchResults): TargetRow[] {
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
      limitedBy: `shrinking ends 1-minimal (no single operation can go); a shorter case of another shape is found only when a polish batch starts from it (${DEFAULT_POLISH} after the first failing one, and again after each shorter case)`,
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
