// A schedule as a timeline: one row per operation that ran, one column per thread, so a race reads the way a
// kernel engineer draws it (CPU0 | CPU1). Operations that run on no thread (the subsystem's ordinary operations,
// applied atomically between task steps) are in the first column. Only cases with tasks (see
// model/common/scheduler.ts: start<Op> and step results carry the thread) get a timeline.

import { formatArgs } from '../../model/common/values.js';
import type { Execution } from './interpreter.js';
import { formatResult } from './trace.js';

const MAX_WIDTH = 52;

interface TaskNote {
  readonly thread: number;
  readonly text: string;
}

/** What a start<Op> or step result says: on which thread what ran. */
function taskNote(value: unknown): TaskNote | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  if (typeof v['thread'] !== 'number') return undefined;
  const head = typeof v['called'] === 'string' ? `call ${v['called']}` : typeof v['ran'] === 'string' ? v['ran'] : '?';
  // "alloc returned OK 0": the column's call already names the operation.
  const tail = typeof v['returned'] === 'string' ? ` ⇒ ${v['returned'].replace(/^\w+ returned /, '')}` : '';
  return { thread: v['thread'], text: head + tail };
}

function fitTo(text: string, width: number): string {
  return text.length <= width ? text.padEnd(width) : text.slice(0, width - 1) + '…';
}

/** One operation that ran, in the column of the thread it ran on (0: no thread, the ordinary operations). */
export interface TimelineRow {
  readonly index: number;
  readonly column: number;
  readonly text: string;
}

/** A timeline as data: the columns present (0 for "other", t + 1 for thread t) and a row per operation that ran. */
export interface Timeline {
  readonly columns: readonly number[];
  readonly rows: readonly TimelineRow[];
}

/** The column heading: `other` for operations on no thread, `T<n>` for thread n. */
export function columnName(column: number): string {
  return column === 0 ? 'other' : `T${column - 1}`;
}

/** The timeline of an execution as data (for the HTML report as for the text below), or undefined when no task ran in it. */
export function timelineOf(run: Execution): Timeline | undefined {
  const rows: TimelineRow[] = [];
  const threads = new Set<number>();
  let atomic = false;
  for (const step of run.steps) {
    if (step.skipped || step.result === undefined) continue;
    const note = step.result.ok ? taskNote(step.result.value) : undefined;
    if (note !== undefined) {
      threads.add(note.thread);
      rows.push({ index: step.index, column: note.thread + 1, text: note.text });
    } else {
      atomic = true;
      rows.push({ index: step.index, column: 0, text: `${step.op.op}(${formatArgs(step.op.args)}) → ${formatResult(step.result)}` });
    }
  }
  if (threads.size === 0) return undefined;
  return { columns: [...(atomic ? [0] : []), ...[...threads].sort((a, b) => a - b).map((t) => t + 1)], rows };
}

/** The timeline of an execution, or undefined when no task ran in it. */
export function formatTimeline(run: Execution): string | undefined {
  const timeline = timelineOf(run);
  if (timeline === undefined) return undefined;
  const { columns, rows } = timeline;
  const widths = new Map(columns.map((c) => [c, Math.min(MAX_WIDTH, Math.max(c === 0 ? 5 : 2, ...rows.filter((r) => r.column === c).map((r) => r.text.length)))]));
  const indexWidth = String(run.steps.length).length;
  const line = (cells: Map<number, string>, prefix: string, suffix = '') =>
    `${prefix} ${columns.map((c) => fitTo(cells.get(c) ?? '', widths.get(c) ?? 0)).join(' │ ')}${suffix}`.trimEnd();
  const out = ['timeline (one row per operation that ran, a column per thread):'];
  out.push(line(new Map(columns.map((c) => [c, columnName(c)])), ' '.repeat(indexWidth + 1)));
  for (const row of rows) {
    const mark = run.violation?.step === row.index ? `   ✗ ${run.violation.invariant}` : '';
    out.push(line(new Map([[row.column, row.text]]), `#${String(row.index).padStart(indexWidth, '0')}`, mark));
  }
  return out.join('\n');
}
