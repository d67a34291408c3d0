// The progress of a long search on stderr. On a terminal: one line redrawn in place, at most every
// REDRAW_MS, and fitted to the terminal's width (it never wraps, which would leave a trail of half lines): in a
// narrow one the bar goes first, then the estimate of time left, then the rate; the property's name is cut last. Not on a terminal (a CI log, a pipe): a plain line every PLAIN_MS.

/** A redraw at most this often: ten times a second is as smooth as the eye needs, and costs nothing. */
export const REDRAW_MS = 100;
/** A plain line this often in a log. */
export const PLAIN_MS = 5000;
/** The terminal width assumed when the stream does not say. */
export const DEFAULT_COLUMNS = 80;
const BAR_MAX = 24;
const BAR_MIN = 8;

export interface Progress {
  /** What is searched: `subsystem/property`. */
  readonly name: string;
  /** Runs done so far, counted from the start of the whole search (a resumed one counts its earlier runs). */
  readonly runsDone: number;
  /** Runs in all (Infinity: until time is up). */
  readonly total: number;
  readonly elapsedMs: number;
  readonly timeLimitMs?: number;
  /** Runs done before this process started (a resumed search): not counted in the rate. */
  readonly base?: number;
}

/** The progress as one line of at most `columns - 1` characters (the last column would make some terminals wrap). */
export function progressLine(p: Progress, columns = DEFAULT_COLUMNS): string {
  const rate = p.elapsedMs > 0 ? ((p.runsDone - (p.base ?? 0)) / p.elapsedMs) * 1000 : 0;
  const finite = Number.isFinite(p.total);
  const fraction = finite ? p.runsDone / p.total : p.timeLimitMs ? p.elapsedMs / p.timeLimitMs : 0;
  const leftByRuns = finite && rate > 0 ? (p.total - p.runsDone) / rate : Infinity;
  const leftByTime = p.timeLimitMs !== undefined ? (p.timeLimitMs - p.elapsedMs) / 1000 : Infinity;
  const left = Math.max(0, Math.min(leftByRuns, leftByTime));
  const runs = `${p.runsDone}${finite ? '/' + p.total : ''} runs`;
  const extras = [`${rate.toFixed(0)} runs/s`, ...(Number.isFinite(left) ? [`${left.toFixed(0)} s left`] : [])];
  const width = Math.max(1, columns - 1);
  // The extras go from the end until the text fits; the bar is drawn where at least BAR_MIN of it fits beside.
  for (let kept = extras.length; kept >= 0; kept--) {
    const text = `${p.name} ${[runs, ...extras.slice(0, kept)].join(', ')}`;
    if (text.length > width) continue;
    const room = width - text.length - 3; // "[", "] "
    return room >= BAR_MIN ? `${bar(Math.min(BAR_MAX, room), fraction)} ${text}` : text;
  }
  // Narrower still: the name cut, then the count alone, cut.
  const tail = ` ${runs}`;
  if (tail.length + 2 <= width) return `${p.name.slice(0, width - tail.length - 1)}…${tail}`;
  return runs.slice(0, width);
}

function bar(width: number, fraction: number): string {
  const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
  return `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`;
}

/** Where progress goes: stderr, or a fake in a test. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/**
 * Shows the progress of one search after another: on a terminal (`live`), one line redrawn at most every REDRAW_MS;
 * otherwise `plain(line)` every PLAIN_MS.
 */
export class ProgressDisplay {
  private lastDraw = -Infinity;
  private lastPlain: number;
  private shown = false;

  constructor(
    private readonly stream: ProgressStream,
    private readonly live: boolean,
    private readonly plain: (line: string) => void,
    private readonly now: () => number = Date.now,
  ) {
    this.lastPlain = now();
  }

  update(p: Progress): void {
    const t = this.now();
    if (this.live) {
      if (t - this.lastDraw < REDRAW_MS) return;
      this.lastDraw = t;
      this.shown = true;
      this.stream.write('\r' + progressLine(p, this.stream.columns ?? DEFAULT_COLUMNS) + '\x1b[K');
    } else if (t - this.lastPlain >= PLAIN_MS) {
      this.lastPlain = t;
      this.plain(`  ${progressLine(p, Infinity)}`);
    }
  }

  /** Erases the line (before the search's own output), and starts the next search's timing afresh. */
  done(): void {
    if (this.shown) this.stream.write('\r\x1b[K');
    this.shown = false;
    this.lastDraw = -Infinity;
    this.lastPlain = this.now();
  }
}
