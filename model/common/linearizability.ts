// Linearizability of a concurrent history (Wing and Gong): where a stretch of tasks ends (scheduler.ts), some
// order of its operations that respects real time gives, run one at a time on the sequential specification from
// the stretch's base, every operation's result and the same end state.

import { FaultPlan } from './faults.js';
import { formatResult, statusOf, type Result } from './result.js';
import { callText, endedStretch, threadName, type Completed, type Stretch, type WithTasks } from './scheduler.js';
import type { Invariant, Model } from './spec.js';
import { toJson, type Operation, type Value } from './values.js';

/** How a completed operation is re-run on the sequential specification. */
export interface Reference<S> {
  /** The sequential specification (a fresh model; only `precondition` and `apply` are used). */
  readonly model: () => Model<S>;
  readonly copy: (s: S) => S;
  /** The state as compared: the subsystem's own fields, with anything that is not the kernel's left out. */
  readonly canonical: (s: S) => string;
  /**
   * How many linearization points the operation has (default 1). An operation that the kernel itself performs
   * as two calls (an alloc whose error path frees what it took) has two, each placed in the order on its own.
   */
  readonly parts?: (done: Completed) => number;
  /** The sequential call for part `part` of the operation, in the reference state where it is placed (default: its call). */
  readonly operation?: (s: S, done: Completed, part: number) => Operation | undefined;
  /** The result part `part` must give (default: the operation's result). */
  readonly expected?: (done: Completed, part: number) => Result;
  /** A short description of a state, for the message when only the end states differ. */
  readonly describe?: (s: S) => string;
}

/** A stable text of a state for comparison: object keys sorted, Maps and Sets as sorted entries, `tasks` left out. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(normalize(value));
}

function normalize(value: unknown): unknown {
  if (typeof value === 'bigint') return '0x' + value.toString(16);
  if (value instanceof Map) return [...value.entries()].map(([k, v]) => [normalize(k), normalize(v)]).sort((a, b) => (JSON.stringify(a[0]) < JSON.stringify(b[0]) ? -1 : 1));
  if (value instanceof Set) return [...value].map(normalize).sort();
  if (Array.isArray(value)) return value.map(normalize);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value).sort()) if (key !== 'tasks') out[key] = normalize((value as Record<string, unknown>)[key]);
    return out;
  }
  return value;
}

function sameResult(a: Result, b: Result): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return statusOf(a) === statusOf(b);
  return JSON.stringify(toJson((a.value ?? null) as Value)) === JSON.stringify(toJson((b.value ?? null) as Value));
}

function label(done: Completed): string {
  const who = done.thread === null ? 'atomic' : threadName(done.thread);
  return `${who} ${callText(done.call)} -> ${formatResult(done.result)}`;
}

/**
 * Linearizability, judged where a stretch with tasks ends: some order of its operations that respects real
 * time (an operation that returned before another was called comes first) gives, run one at a time on the
 * sequential specification from the stretch's base, every operation's result and the same end state.
 */
export function linearizability<S extends WithTasks>(name: string, source: string, reference: Reference<S>): Invariant<S> {
  return {
    name,
    source,
    check: ({ after }) => {
      const ended = endedStretch(after);
      if (ended === undefined || ended.history.every((h) => h.thread === null)) return undefined;
      const verdict = linearize(ended, after, reference);
      return verdict.ok ? undefined : verdict.message;
    },
  };
}

interface Verdict {
  readonly ok: boolean;
  readonly message: string;
}

/** Wing and Gong's search, with memoization on (parts placed, state reached). */
export function linearize<S>(stretch: Stretch, after: S, ref: Reference<S>): Verdict {
  const history = stretch.history;
  const parts = history.map((h) => (ref.parts ? ref.parts(h) : 1));
  const total = parts.reduce((n, k) => n + k, 0);
  const target = ref.canonical(after);
  const model = ref.model();
  const seen = new Set<string>();
  let deepest: { placed: string[]; problem: string } = { placed: [], problem: 'no operation can come first' };
  const name = (h: Completed, part: number, of: number) =>
    (h.thread === null ? h.call.op : `${threadName(h.thread)} ${h.call.op}`) + (of > 1 ? ` (part ${part + 1} of ${of})` : '');
  const search = (state: S, placed: string[], done: number[]): boolean => {
    if (placed.length === total) {
      if (ref.canonical(state) === target) return true;
      if (placed.length >= deepest.placed.length) {
        const states = ref.describe ? `: it ends in ${ref.describe(state)}, the concurrent run in ${ref.describe(after)}` : '';
        deepest = { placed, problem: `every result matches, but the end state differs${states}` };
      }
      return false;
    }
    const key = `${done.join(',')}|${ref.canonical(state)}`;
    if (seen.has(key)) return false;
    seen.add(key);
    for (let i = 0; i < history.length; i++) {
      const part = done[i] as number;
      const of = parts[i] as number;
      if (part === of) continue;
      const candidate = history[i] as Completed;
      // Real-time order: every operation that returned before this one was called is placed entirely first.
      if (part === 0 && history.some((other, j) => j !== i && (done[j] as number) < (parts[j] as number) && other.returnedAt < candidate.calledAt)) continue;
      const next = ref.copy(state);
      const op = ref.operation ? ref.operation(next, candidate, part) : candidate.call;
      let result: Result | undefined;
      if (op !== undefined && model.precondition(next, op)) {
        result = model.apply(next, op, new FaultPlan((op.args['faults'] as readonly number[] | undefined) ?? []));
      }
      const want = ref.expected ? ref.expected(candidate, part) : candidate.result;
      const here = name(candidate, part, of);
      if (result === undefined || !sameResult(result, want)) {
        const got = result === undefined ? 'cannot be applied' : `gives ${formatResult(result)}, not ${formatResult(want)}`;
        if (placed.length + 1 > deepest.placed.length) deepest = { placed: [...placed, here], problem: `${here} ${got}` };
        continue;
      }
      const counts = [...done];
      counts[i] = part + 1;
      if (search(next, [...placed, here], counts)) return true;
    }
    return false;
  };
  if (search(ref.copy(stretch.base as S), [], history.map(() => 0))) return { ok: true, message: '' };
  const ops = history.map(label).join('; ');
  return {
    ok: false,
    message: `no sequential order of the ${history.length} overlapping operations (${ops}) gives their results and the end state; the closest order (${deepest.placed.join(', ')}) fails: ${deepest.problem}`,
  };
}
