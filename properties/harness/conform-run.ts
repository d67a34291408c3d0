// `npm run conform`: the subsystem's properties searched on the specification and an implementation side by side
// (docs/conformance.md), one after another, each violation shrunk across the process boundary, saved, and printed
// with its trace, what the implementation printed on stderr, and the command that replays it. Then a table, the
// adapter's figures, and the same as data for --json.

import { type ConformanceTarget, conformanceTarget } from './conformance-target.js';
import { type FixedArgument, withFixedArguments, withoutFaults } from './fixed-arguments.js';
import type { AdapterStats, Implementation } from './implementation.js';
import { execute } from './interpreter.js';
import { replayCommand } from './replay-command.js';
import { stderrExcerpt } from './sanitizer-report.js';
import { search, type SearchOutcome } from './search.js';
import { counterexampleOf, save } from './store.js';
import { type AnySuite, type PropertyDef, selectInvariants } from './suite.js';
import { formatTrace } from './trace.js';

export interface ConformOptions {
  readonly seed: number;
  /** Runs per property; by default the property's npm-test budget, or unbounded with `timeSeconds`. */
  readonly runs?: number;
  /** The whole search's time, shared equally by the properties. */
  readonly timeSeconds?: number;
  /** Check only these invariants (by name). */
  readonly invariants?: readonly string[];
  readonly noFaults: boolean;
  readonly fixed: readonly FixedArgument[];
  /** Where cases are saved. */
  readonly out: string;
  /** The command the implementation was started with, for the replay command printed. */
  readonly command: string;
  /** Set by an interrupt; read before every request to the implementation and between batches. */
  readonly interrupted: () => boolean;
  readonly say: (line: string) => void;
}

export interface ConformResult {
  readonly property: PropertyDef;
  /** Undefined when the search itself failed (`error`). */
  readonly outcome?: SearchOutcome;
  readonly file?: string;
  /** A case that failed, shrunk, and then passed: the implementation does not answer the same way twice. */
  readonly error?: string;
}

export async function conformProperties(
  suite: AnySuite, properties: readonly PropertyDef[], impl: Implementation, name: string, specVersion: string, o: ConformOptions,
): Promise<{ target: ConformanceTarget; results: ConformResult[]; interrupted: boolean }> {
  let deadline = Infinity; // of the property being searched, with --time
  const target = conformanceTarget(suite, impl, name, specVersion, () => o.interrupted() || Date.now() >= deadline);
  o.say(`conformance of ${target.label} (${o.command}) to ${suite.spec.name} version ${specVersion}${o.noFaults ? ', no faults injected' : ''}`);
  let interrupted = false;
  const results: ConformResult[] = [];
  for (const original of properties) {
    if (o.interrupted()) break;
    const wrapped = target.suite.properties.find((p) => p.name === original.name) as PropertyDef;
    const property = withFixedArguments(o.noFaults ? withoutFaults(wrapped) : wrapped, o.fixed);
    const total = o.runs ?? (o.timeSeconds !== undefined ? Infinity : original.numRuns);
    const timeLimitMs = o.timeSeconds !== undefined ? (o.timeSeconds * 1000) / properties.length : undefined;
    o.say(`${suite.spec.name}/${property.name}: ${Number.isFinite(total) ? `${total} runs` : 'until time is up'} on ${target.label}`);
    let last = Date.now();
    deadline = timeLimitMs !== undefined ? Date.now() + timeLimitMs : Infinity;
    target.watch.violationSeen = false;
    let outcome: SearchOutcome;
    try {
      outcome = await search(target.suite, property, target, {
        seed: o.seed,
        runs: total,
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
        ...(o.invariants !== undefined ? { invariants: o.invariants } : {}),
        shouldStop: () => (interrupted ||= o.interrupted()),
        onBatch: ({ runsDone, elapsedMs }) => {
          if (Date.now() - last < 5000) return;
          last = Date.now();
          o.say(`  ${runsDone} runs, ${((runsDone / Math.max(1, elapsedMs)) * 1000).toFixed(0)} runs/s`);
        },
      });
    } catch (error) {
      o.say(`  ERROR: ${(error as Error).message}`);
      results.push({ property, error: (error as Error).message });
      continue;
    }
    const f = outcome.failure;
    if (f === undefined) {
      results.push({ property, outcome });
      continue;
    }
    const saved = save(counterexampleOf(suite, property, target, f), o.out);
    const traced = execute(target.suite.spec, target.createModel(), f.operations, { trace: true, invariants: selectInvariants(target.suite, property, o.invariants) });
    o.say(`  VIOLATION of ${f.violation.invariant} after ${f.runs} runs, shrunk to ${f.operations.length} operations (${f.shrinks} shrink steps):`);
    o.say(formatTrace(traced).replace(/^/gm, '  '));
    if (f.violation.invariant.startsWith('implementation') && impl.lastFailureDetail) {
      o.say('  what the implementation printed on stderr:');
      o.say(stderrExcerpt(impl.lastFailureDetail).split('\n').map((l) => `    | ${l}`).join('\n'));
    }
    o.say(`  ${saved.created ? 'saved' : 'already saved'}: ${saved.path}`);
    o.say(`  replay: ${replayCommand(saved.path, target.label, o.invariants, o.command)}`);
    results.push({ property, outcome, file: saved.path });
  }
  return { target, results, interrupted: interrupted || o.interrupted() };
}

/** The table of properties and verdicts, and the adapter's figures: operations, round trips, time, what it left out. */
export function conformSummaryLines(suite: AnySuite, results: readonly ConformResult[], stats: AdapterStats | undefined): string[] {
  const lines = ['', 'property                                     runs     time   runs/s  result'];
  for (const { property, outcome, error } of results) {
    const [runs, ms] = [outcome?.runsDone ?? 0, outcome?.elapsedMs ?? 0];
    const rate = ms > 0 ? (runs / ms) * 1000 : 0;
    const verdict = error ? 'ERROR (not deterministic)' : outcome?.failure ? `VIOLATION ${outcome.failure.violation.invariant} (${outcome.failure.operations.length} ops)` : outcome?.stopped === 'interrupted' ? 'interrupted' : 'conforms';
    lines.push(`${(suite.spec.name + '/' + property.name).padEnd(44)} ${String(runs).padStart(6)} ${(ms / 1000).toFixed(1).padStart(7)}s ${rate.toFixed(0).padStart(8)}  ${verdict}`);
  }
  if (stats !== undefined) {
    const perOp = stats.operations > 0 ? (stats.elapsedMs * 1000) / stats.operations : 0;
    lines.push(
      `adapter: ${stats.operations} operations in ${stats.roundTrips} round trips (${stats.resets} resets), ` +
        `${(stats.elapsedMs / 1000).toFixed(2)} s in the implementation: ${stats.elapsedMs > 0 ? ((stats.operations / stats.elapsedMs) * 1000).toFixed(0) : '-'} operations/s, ${perOp.toFixed(0)} µs each`,
    );
    const unsupported = Object.entries(stats.unsupported ?? {});
    if (unsupported.length > 0) lines.push(`not implemented (answered unsupported, not compared): ${unsupported.map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  }
  return lines;
}

/** --json's document. */
export function conformJson(seed: number, suite: AnySuite, target: ConformanceTarget, results: readonly ConformResult[], stats: AdapterStats | undefined): object {
  return {
    seed,
    target: target.label,
    results: results.map(({ property, outcome, file, error }) => ({
      subsystem: suite.spec.name,
      property: property.name,
      runs: outcome?.runsDone ?? 0,
      elapsedMs: outcome?.elapsedMs ?? 0,
      stopped: outcome?.stopped ?? 'failure',
      ...(error ? { error } : {}),
      ...(outcome?.failure ? { violation: outcome.failure.violation, shrunkLength: outcome.failure.operations.length, file } : {}),
    })),
    adapter: stats ?? null,
  };
}
