// Conformance: the specification as an oracle for another implementation of the same operations (a driver
// function in C, a userspace port, a simulator). The implementation is an `Implementation`: reset, then one
// operation at a time, each answered with its result and, optionally, its observable state in the
// specification's JSON shape. A `ConformanceModel` runs the specification and the implementation side by side
// under the one interpreter; the wrapped suite's invariants compare the results, check the subsystem's own
// invariants on the implementation's state, and turn a crash, a hang, a memory-error report or a malformed
// answer into a violation. Search, shrinking, the store and replay then work unchanged (docs/conformance.md).

import type { FaultPlan } from '../../model/common/faults.js';
import { fail, statusOf, type Result } from '../../model/common/result.js';
import type { Invariant, Model, SubsystemSpec } from '../../model/common/spec.js';
import { formatValue, type Operation, type Value } from '../../model/common/values.js';
import type { AnySuite, PropertyDef, SubsystemSuite } from './suite.js';
import { defaultVersion, hasVersion, versionNames, type Target } from './targets.js';

// ------------------------------------------------------------------------------------------------------------
// The implementation side

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

// ------------------------------------------------------------------------------------------------------------
// The JSON shape of a subsystem's state and results

/**
 * A state or value in its JSON shape: bigint as a "0x…" string, Map as an object keyed by the key, Set as an
 * array; everything else as JSON has it, except objects of a class (the specification's own machinery, such as
 * a running task), which are left out. This is the shape an implementation reports its state in.
 */
export function encodeJson(value: unknown): unknown {
  if (typeof value === 'bigint') return '0x' + value.toString(16);
  if (value instanceof Map) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of value) define(out, String(k), encodeJson(v));
    return out;
  }
  if (value instanceof Set) return [...value].map(encodeJson);
  if (Array.isArray(value)) return value.map(encodeJson);
  if (isOpaque(value)) return undefined;
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value)) {
      const encoded = v === undefined ? undefined : encodeJson(v);
      if (encoded !== undefined) define(out, k, encoded);
    }
    return out;
  }
  return value;
}

export class DecodeError extends Error {}

/**
 * Sets an own, enumerable property: a key such as "__proto__" from an implementation's answer becomes a field
 * like any other, never the object's prototype (a plain assignment would set the prototype).
 */
function define(obj: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A field of a decoded JSON object, own properties only ("constructor" or "toString" are not inherited fields). */
function own(obj: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

const U64_TEXT = /^(0x[0-9a-f]+|[0-9]+)$/i;
const HEX_TEXT = /^0x[0-9a-f]+$/i;

function isPlainObject(x: unknown): x is Record<string, unknown> {
  if (x === null || typeof x !== 'object' || Array.isArray(x)) return false;
  const proto: unknown = Object.getPrototypeOf(x);
  return proto === Object.prototype || proto === null;
}

/** An object of a class (a running task's generator, say): part of the specification's machinery, not observable. */
function isOpaque(x: unknown): boolean {
  return x !== null && typeof x === 'object' && !Array.isArray(x) && !(x instanceof Map) && !(x instanceof Set) && !isPlainObject(x);
}

function decodeGeneric(raw: unknown): unknown {
  if (typeof raw === 'string' && HEX_TEXT.test(raw)) return BigInt(raw);
  if (Array.isArray(raw)) return raw.map(decodeGeneric);
  if (isPlainObject(raw)) {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(raw)) define(out, k, decodeGeneric(v));
    return out;
  }
  return raw;
}

function mapKey(key: string, sample: unknown): unknown {
  if (typeof sample === 'number' || (sample === undefined && /^-?[0-9]+$/.test(key))) return Number(key);
  if (typeof sample === 'bigint') return BigInt(key);
  return key;
}

/**
 * Decodes what the implementation reported into the specification's types, guided by `template` (the
 * specification's own value at the same place): "0x…" strings become bigint where the specification has a
 * bigint, objects become Maps where it has a Map, and so on. Where the implementation omits a field of an
 * object, the template's value stands (it is not observed, so not checked); the keys of a Map and the items of
 * an array are the implementation's own. Throws DecodeError naming the path of a value of the wrong type.
 * Values already in the specification's types (from a TypeScript implementation) are accepted as they are.
 */
export function decodeObserved(raw: unknown, template: unknown, path = 'state'): unknown {
  if (raw === undefined || isOpaque(template)) return template;
  if (template === undefined) return decodeGeneric(raw);
  if (raw === null) return null;
  if (typeof template === 'bigint') {
    if (typeof raw === 'bigint') return raw;
    if (typeof raw === 'string' && U64_TEXT.test(raw)) return BigInt(raw);
    if (typeof raw === 'number' && Number.isSafeInteger(raw)) return BigInt(raw);
    throw new DecodeError(`${path}: expected a 64-bit value ("0x…"), got ${JSON.stringify(raw)}`);
  }
  if (typeof template === 'number') {
    if (typeof raw !== 'number') throw new DecodeError(`${path}: expected a number, got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (typeof template === 'boolean') {
    if (typeof raw !== 'boolean') throw new DecodeError(`${path}: expected true or false, got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (typeof template === 'string') {
    if (typeof raw !== 'string') throw new DecodeError(`${path}: expected a string, got ${JSON.stringify(raw)}`);
    return raw;
  }
  if (template instanceof Map) {
    const entries: [string, unknown][] =
      raw instanceof Map ? [...raw].map(([k, v]) => [String(k), v]) : isPlainObject(raw) ? Object.entries(raw) : [];
    if (!(raw instanceof Map) && !isPlainObject(raw)) throw new DecodeError(`${path}: expected an object keyed by id, got ${JSON.stringify(raw)}`);
    const sampleKey = template.keys().next().value;
    const sampleValue = template.values().next().value;
    const out = new Map<unknown, unknown>();
    for (const [k, v] of entries) {
      const key = mapKey(k, sampleKey);
      out.set(key, decodeObserved(v, template.has(key) ? template.get(key) : sampleValue, `${path}.${k}`));
    }
    return out;
  }
  if (template instanceof Set) {
    const items = raw instanceof Set ? [...raw] : raw;
    if (!Array.isArray(items)) throw new DecodeError(`${path}: expected an array, got ${JSON.stringify(raw)}`);
    const sample = template.values().next().value;
    return new Set(items.map((v, i) => decodeObserved(v, sample, `${path}[${i}]`)));
  }
  if (Array.isArray(template)) {
    if (!Array.isArray(raw)) throw new DecodeError(`${path}: expected an array, got ${JSON.stringify(raw)}`);
    return raw.map((v, i) => decodeObserved(v, i < template.length ? template[i] : template[0], `${path}[${i}]`));
  }
  if (isPlainObject(template)) {
    if (!isPlainObject(raw)) throw new DecodeError(`${path}: expected an object, got ${JSON.stringify(raw)}`);
    const out: Record<string, unknown> = { ...template };
    for (const [k, v] of Object.entries(raw)) define(out, k, decodeObserved(v, own(template, k), `${path}.${k}`));
    return out;
  }
  return decodeGeneric(raw);
}

/** Decodes an implementation's result, with the specification's result as the template for its value. */
export function decodeResult(raw: unknown, template: Result | undefined): Result {
  if (!isPlainObject(raw)) throw new DecodeError(`result: expected {"ok": true, "value"?} or {"ok": false, "error"}, got ${JSON.stringify(raw)}`);
  const ok = own(raw, 'ok');
  const error = own(raw, 'error');
  if (ok === true) {
    if (own(raw, 'value') === undefined) return { ok: true };
    const value = decodeObserved(own(raw, 'value'), template?.ok ? template.value : undefined, 'result.value') as Value;
    return { ok: true, value };
  }
  if (ok === false && typeof error === 'string') return fail(error);
  throw new DecodeError(`result: expected {"ok": true, "value"?} or {"ok": false, "error": "CODE"}, got ${JSON.stringify(raw)}`);
}

export function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a === 'bigint' || typeof b === 'bigint') return typeof a === typeof b && a === b;
  if (Array.isArray(a) && Array.isArray(b)) return a.length === b.length && a.every((x, i) => sameValue(x, b[i]));
  if (a instanceof Map && b instanceof Map) return a.size === b.size && [...a].every(([k, v]) => b.has(k) && sameValue(v, b.get(k)));
  if (isPlainObject(a) && isPlainObject(b)) {
    const ka = Object.keys(a).filter((k) => a[k] !== undefined);
    const kb = Object.keys(b).filter((k) => b[k] !== undefined);
    return ka.length === kb.length && ka.every((k) => sameValue(a[k], b[k]));
  }
  return false;
}

export function sameResult(a: Result, b: Result): boolean {
  if (a.ok !== b.ok) return false;
  if (!a.ok || !b.ok) return !a.ok && !b.ok && a.error === b.error;
  return sameValue(a.value, b.value);
}

export function formatResult(r: Result): string {
  return statusOf(r) + (r.ok && r.value !== undefined ? ` ${formatValue(r.value)}` : '');
}

// ------------------------------------------------------------------------------------------------------------
// The specification and the implementation side by side

export interface ConformState<S> {
  /** The specification's state. */
  spec: S;
  /** The implementation's observable state, in the specification's shape (unreported parts: the specification's). */
  impl: S;
  /** The specification's result of the last operation. */
  specResult?: Result;
  /** The implementation answered the last operation (its result and state can be compared). */
  answered: boolean;
  /** How the implementation failed at the last operation, if it did. */
  failure?: { readonly kind: FailureKind; readonly message: string };
  /** The implementation failed earlier in this run: nothing more is compared. */
  down: boolean;
  /** The implementation does not implement the last operation (its result shown is the specification's). */
  unsupported?: boolean;
  /** The last operation was not sent: the search was stopping (time up, or interrupted), nothing is compared. */
  notSent?: boolean;
}

/** The result the interpreter records for an operation the implementation did not answer. */
export const NO_ANSWER = 'NO_ANSWER';

export class ConformanceModel<S> implements Model<ConformState<S>> {
  private started = false;

  constructor(
    private readonly spec: SubsystemSpec<S>,
    private readonly reference: Model<S>,
    private readonly impl: Implementation,
    /**
     * Asked before every request: once true (the time is up, or the search was interrupted), nothing more is sent
     * and nothing compared, so the runs left in the search's current batch finish on the specification alone, at
     * once, instead of one implementation round trip at a time.
     */
    private readonly stopping: () => boolean = () => false,
  ) {}

  initialState(): ConformState<S> {
    const s = this.reference.initialState();
    return { spec: s, impl: this.spec.snapshot(s), answered: false, down: false };
  }

  precondition(st: ConformState<S>, op: Operation): boolean {
    return this.reference.precondition(st.spec, op);
  }

  apply(st: ConformState<S>, op: Operation, faults: FaultPlan): Result {
    // The specification first: if it throws, that is the specification's bug and the interpreter reports it.
    const specResult = this.reference.apply(st.spec, op, faults);
    st.specResult = specResult;
    st.answered = false;
    st.failure = undefined;
    st.unsupported = false;
    st.notSent = false;
    if (st.down) return fail(NO_ANSWER);
    if (this.stopping()) {
      st.notSent = true;
      st.impl = this.spec.snapshot(st.spec);
      return specResult;
    }
    try {
      if (!this.started) {
        this.started = true;
        this.impl.reset(this.spec.name);
      }
      const response = this.impl.apply(op);
      if (response.assertions !== undefined && response.assertions.length > 0)
        throw new ImplementationFailure('assertion', `the implementation reported a failed assertion: ${response.assertions.join('; ')}`);
      if (response.unsupported === true) {
        st.unsupported = true;
        const counts = this.impl.stats === undefined ? undefined : (this.impl.stats.unsupported ??= {});
        if (counts !== undefined) counts[op.op] = (counts[op.op] ?? 0) + 1;
        st.impl = this.spec.snapshot(st.spec);
        return specResult;
      }
      let result: Result;
      let impl: S;
      try {
        result = decodeResult(response.result, specResult);
        impl = decodeObserved(response.state, this.spec.snapshot(st.spec)) as S;
      } catch (error) {
        if (error instanceof DecodeError) throw new ImplementationFailure('protocol', `malformed answer to ${op.op}: ${error.message}`);
        throw error;
      }
      st.impl = impl;
      st.answered = true;
      return result;
    } catch (error) {
      const failure =
        error instanceof ImplementationFailure
          ? error
          : new ImplementationFailure('crash', `the implementation threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      st.failure = { kind: failure.kind, message: failure.message };
      st.down = true;
      return fail(NO_ANSWER);
    }
  }
}

const PROTOCOL_SOURCE = 'docs/conformance.md';

/** The invariants conformance adds before the subsystem's own, in the order they are checked. */
export const CONFORMANCE_INVARIANTS = [
  'implementationMemorySafe',
  'implementationKeepsRunning',
  'implementationAnswersInTime',
  'implementationFollowsProtocol',
  'implementationAssertionsHold',
  'resultMatchesSpecification',
] as const;

function failureInvariant<S>(name: string, kind: FailureKind, source: string): Invariant<ConformState<S>> {
  return { name, source: `${PROTOCOL_SOURCE} § ${source}`, check: ({ after }) => (after.failure?.kind === kind ? after.failure.message : undefined) };
}

export function conformanceInvariants<S>(spec: SubsystemSpec<S>): Invariant<ConformState<S>>[] {
  const own = spec.invariants.map(
    (inv): Invariant<ConformState<S>> => ({
      name: inv.name,
      source: inv.source,
      check: ({ before, after, op, result, faults }) => {
        if (!after.answered) return undefined;
        try {
          return inv.check({ before: before.impl, after: after.impl, op, result, faults });
        } catch (error) {
          return `cannot be checked on the implementation's state (${error instanceof Error ? error.message : String(error)})`;
        }
      },
    }),
  );
  return [
    failureInvariant('implementationMemorySafe', 'memory-error', 'a sanitizer report is a violation'),
    failureInvariant('implementationKeepsRunning', 'crash', 'a crash or an exit is a violation'),
    failureInvariant('implementationAnswersInTime', 'timeout', 'every request is answered within the timeout'),
    failureInvariant('implementationFollowsProtocol', 'protocol', 'one JSON line per request'),
    failureInvariant('implementationAssertionsHold', 'assertion', 'an assertion the implementation reports is a violation'),
    {
      name: 'resultMatchesSpecification',
      source: `${PROTOCOL_SOURCE} § results are compared with the specification's`,
      check: ({ after, result }) => {
        if (!after.answered || after.specResult === undefined || sameResult(result, after.specResult)) return undefined;
        return `the implementation returned ${formatResult(result)}, the specification ${formatResult(after.specResult)}`;
      },
    },
    ...own,
  ];
}

/**
 * The implementation's state copied by the specification's own snapshot, which assumes the specification's shapes:
 * a value the specification does not have at that place (a region where its probe failed, reported with fields
 * missing) may not be copyable that way, and is then copied as plain data. The state is never what fails here.
 */
function snapshotReported<S>(spec: SubsystemSpec<S>, impl: S): S {
  try {
    return spec.snapshot(impl);
  } catch {
    try {
      return structuredClone(impl);
    } catch {
      return impl;
    }
  }
}

/** The implementation's state described as the specification describes its own, or as JSON when that cannot be done. */
function describeReported<S>(spec: SubsystemSpec<S>, impl: S): string {
  try {
    return spec.describe(impl);
  } catch (error) {
    const json = JSON.stringify(encodeJson(impl)) ?? '';
    return `(not in the specification's shape: ${error instanceof Error ? error.message : String(error)}) ${json.length > 400 ? json.slice(0, 400) + '…' : json}`;
  }
}

/** The subsystem's suite as run against an implementation: same properties and signatures, wrapped state. */
export function conformanceSuite<S>(suite: SubsystemSuite<S>, onViolation?: () => void): SubsystemSuite<ConformState<S>> {
  const spec = suite.spec;
  const invariants = conformanceInvariants(spec).map(
    (inv): Invariant<ConformState<S>> =>
      onViolation === undefined
        ? inv
        : {
            ...inv,
            check: (ctx) => {
              const message = inv.check(ctx);
              if (message !== undefined) onViolation();
              return message;
            },
          },
  );
  const wrapped: SubsystemSpec<ConformState<S>> = {
    name: spec.name,
    title: spec.title,
    versions: spec.versions,
    sources: spec.sources,
    signatures: spec.signatures,
    invariants,
    createModel: () => {
      throw new Error('a conformance suite runs through its target (conformanceTarget)');
    },
    snapshot: (st) => ({ ...st, spec: spec.snapshot(st.spec), impl: snapshotReported(spec, st.impl) }),
    describe: (st) => {
      if (st.failure !== undefined) return `implementation: no answer (${st.failure.kind})`;
      if (st.down) return 'implementation: down since an earlier step';
      if (st.unsupported) return `not implemented by the implementation (the specification's result is shown): ${spec.describe(st.spec)}`;
      if (st.notSent) return `not sent to the implementation (the search was stopping): ${spec.describe(st.spec)}`;
      const impl = describeReported(spec, st.impl);
      const ref = spec.describe(st.spec);
      return impl === ref ? impl : `${impl}\n     specification: ${ref}`;
    },
  };
  const properties = suite.properties.map(
    (p): PropertyDef => (p.invariants === undefined ? p : { ...p, invariants: [...CONFORMANCE_INVARIANTS, ...p.invariants] }),
  );
  return { spec: wrapped, properties, mutants: [] };
}

/** A name for an implementation from its command: the program's file name without extension. */
export function implementationName(command: string): string {
  const moduleMatch = /^module:(.*)$/.exec(command.trim());
  const words = (moduleMatch ? (moduleMatch[1] ?? '') : command).trim().split(/\s+/).filter((w) => w.length > 0 && !w.startsWith('-') && !/^[A-Z_][A-Z0-9_]*=/.test(w));
  const runners = ['node', 'tsx', 'npx', 'sh', 'bash', 'exec', 'env', 'python3', 'valgrind', 'timeout'];
  const program = words.find((w) => w.includes('/')) ?? words.find((w) => !runners.includes(w)) ?? 'impl';
  const base = program.split('/').pop() ?? program;
  return base.replace(/\.[a-z]+$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'impl';
}

export interface ConformanceTarget extends Target {
  readonly suite: AnySuite;
  readonly implementation: Implementation;
  /**
   * Whether an invariant has failed since the flag was last cleared: from then on `stopping` is not honoured, so a
   * failing case found before the end is shrunk to the end (a shrink cut short would not fail again). Cleared by
   * the caller at the start of each search.
   */
  readonly watch: { violationSeen: boolean };
}

/**
 * A target that runs the subsystem's specification (of `version`, the default when omitted) and `impl` side by
 * side; label `impl:<name>`.
 */
export function conformanceTarget(
  suite: AnySuite,
  impl: Implementation,
  name: string,
  version = defaultVersion(suite),
  /** Once true, no more requests are sent (see ConformanceModel): the end of `--time`, an interrupt. */
  stopping?: () => boolean,
): ConformanceTarget {
  if (!hasVersion(suite, version)) throw new Error(`unknown specification version "${version}" of ${suite.spec.name} (known: ${versionNames(suite).join(', ')})`);
  const watch = { violationSeen: false };
  const stop = stopping === undefined ? undefined : () => !watch.violationSeen && stopping();
  return {
    label: `impl:${name}`,
    version,
    suite: conformanceSuite(suite, () => (watch.violationSeen = true)),
    implementation: impl,
    watch,
    createModel: () => new ConformanceModel(suite.spec, suite.spec.createModel(version), impl, stop),
  };
}

// ------------------------------------------------------------------------------------------------------------
// Opening an implementation from the command line

export interface OpenOptions {
  /** Milliseconds a process has to answer one request (default 5000). */
  readonly timeoutMs?: number;
  readonly cwd?: string;
}

/**
 * `module:<path>` imports a TypeScript or JavaScript module exporting `createImplementation(subsystem)`
 * (or a default export of that function); anything else is a shell command started as a child process.
 */
export async function openImplementation(spec: string, subsystem: string, options: OpenOptions = {}): Promise<Implementation> {
  const moduleMatch = /^module:(.+)$/.exec(spec.trim());
  if (moduleMatch) {
    const { pathToFileURL } = await import('node:url');
    const { resolve } = await import('node:path');
    const url = pathToFileURL(resolve(options.cwd ?? process.cwd(), (moduleMatch[1] ?? '').trim())).href;
    const mod = (await import(url)) as { createImplementation?: (s: string) => Implementation; default?: (s: string) => Implementation };
    const create = mod.createImplementation ?? mod.default;
    if (typeof create !== 'function') throw new Error(`${moduleMatch[1]} exports no createImplementation(subsystem) function`);
    return timed(create(subsystem));
  }
  const { ProcessImplementation } = await import('./process-adapter.js');
  return new ProcessImplementation(spec, options);
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
