// The implementation side of conformance (docs/conformance.md): what an implementation under test is (reset,
// then one operation at a time, each answered with its result and, optionally, its observable state in the
// specification's JSON shape), how it fails, and the counters a report shows. A process speaking the JSON-lines
// protocol is one (process-adapter.ts); a TypeScript module can implement it directly (open-implementation.ts).

import type { Operation } from '../../model/common/values.js';

/**
 * What an implementation answers to one operation. `state` is optional: omitted parts are not checked.
 * `unsupported: true` says the implementation does not implement this operation: it is not compared (and
 * counted, so a report shows what was left out).
 */
export interface ImplResponse {
  readonly result?: unknown;
  readonly state?: unknown;
  readonly unsupported?: boolean;
  /** Assertions the implementation raised during the operation (WARN_ON, a kernel service's rule): a violation. */
  readonly assertions?: readonly string[];
}

/**
 * An implementation under test. A process speaking the JSON-lines protocol is one (process-adapter.ts); a
 * TypeScript module can implement it directly. `apply` receives only operations whose precondition holds on
 * the specification. It throws `ImplementationFailure` (or anything: that counts as a crash) when the
 * implementation cannot answer.
 */
export interface Implementation {
  /** Start a new run from the initial state of the subsystem. */
  reset(subsystem: string): void;
  apply(op: Operation): ImplResponse;
  close(): void;
  /** Operations answered and the time spent in `reset` and `apply`, for throughput reports. */
  readonly stats?: AdapterStats;
  /** The full diagnostic (a sanitizer report, the stderr tail) of the last failure, if any. */
  readonly lastFailureDetail?: string;
  /** Checks that the implementation starts and accepts a reset (throws ImplementationFailure if not). */
  handshake?(subsystem: string): void;
}

export interface AdapterStats {
  operations: number;
  resets: number;
  /** Round trips to the implementation (a reset sent together with an operation is one). */
  roundTrips: number;
  elapsedMs: number;
  /** Operations the implementation answered as unsupported, by name. */
  unsupported?: Record<string, number>;
}

/** How an implementation can fail to answer, each reported by its own invariant. */
export type FailureKind = 'memory-error' | 'crash' | 'timeout' | 'protocol' | 'assertion';

export class ImplementationFailure extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    /** The complete diagnostic (stderr tail, sanitizer report) for a human. */
    readonly detail?: string,
  ) {
    super(message);
  }
}


export interface OpenOptions {
  /** Milliseconds a process has to answer one request (default 5000). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}


/** Wraps an in-process implementation so that it counts operations and time like a process adapter does. */
export function timed(impl: Implementation): Implementation {
  if (impl.stats !== undefined) return impl;
  const stats: AdapterStats = { operations: 0, resets: 0, roundTrips: 0, elapsedMs: 0 };
  const clock = <T>(f: () => T): T => {
    const t0 = performance.now();
    try {
      return f();
    } finally {
      stats.elapsedMs += performance.now() - t0;
      stats.roundTrips++;
    }
  };
  return {
    stats,
    reset: (subsystem) => {
      stats.resets++;
      clock(() => impl.reset(subsystem));
    },
    apply: (op) => {
      stats.operations++;
      return clock(() => impl.apply(op));
    },
    close: () => impl.close(),
  };
}
