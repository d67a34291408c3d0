// The counterexample store: a shrunk failing case as a readable JSON file named by its content hash.
// The file holds the explicit operation list, so it replays whatever later happens to the generators.
// Reading a case checks it against its subsystem (properties, versions, operation signatures): the caller passes
// the subsystems it knows (the registry, usually), so the store itself loads no specification.

import { createHash } from 'node:crypto';
import {
  closeSync,
  constants,
  type Dirent,
  existsSync,
  fstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  renameSync,
  type Stats,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { decodeArg } from '../../model/common/schema.js';
import { toJson, type Args, type Operation, type Value } from '../../model/common/values.js';
import type { Violation } from './interpreter.js';
import type { Failure } from './search.js';
import type { AnySuite, PropertyDef } from './suite.js';
import { LABEL_FORMS, parseTargetLabel } from './target-label.js';
import type { Target } from './targets.js';

export const FORMAT = 'gpumem-spec/counterexample@1';

export interface Counterexample {
  readonly format: typeof FORMAT;
  readonly subsystem: string;
  readonly property: string;
  /** `model`, `mutant:<name>` or `impl:<name>`: what the case was found on. */
  readonly target: string;
  /**
   * The specification version the case was found on and replays on (a name of the subsystem's `versions`).
   * Files written before versions existed have none: they are of the subsystem's default version.
   */
  readonly specVersion: string;
  /** The fast-check seed and path that reproduce the search's failing run before shrinking. */
  readonly seed: number;
  readonly path: string;
  /** Runs the search needed to find it. */
  readonly runs: number;
  readonly violation: Violation;
  readonly operations: readonly Operation[];
}

/** A file that cannot be used: which file, which field, and why. Exit code 2 for the command line. */
export class CounterexampleError extends Error {
  constructor(
    readonly file: string,
    readonly field: string,
    reason: string,
  ) {
    super(`${file}: ${field}: ${reason}`);
  }
}

/** The record of a failure the search found for `property` on `target`: what every command saves. */
export function counterexampleOf(suite: AnySuite, property: PropertyDef, target: Target, failure: Failure): Counterexample {
  return {
    format: FORMAT,
    subsystem: suite.spec.name,
    property: property.name,
    target: target.label,
    specVersion: target.version,
    seed: failure.seed,
    path: failure.path,
    runs: failure.runs,
    violation: failure.violation,
    operations: failure.operations,
  };
}

/** Pretty JSON with one operation per line, so a case reads as a list of calls. */
export function serialize(ce: Counterexample): string {
  const { operations, ...header } = ce;
  const head = JSON.stringify(header, null, 2).replace(/\n}$/, '');
  const ops = operations.map((o) => '    ' + JSON.stringify({ op: o.op, args: toJson(o.args as Value) }));
  return `${head},\n  "operations": [\n${ops.join(',\n')}\n  ]\n}\n`;
}

export function fileNameOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 16) + '.json';
}

/**
 * Writes the case under dir/<subsystem>/<hash>.json atomically (temporary file, then rename).
 * An existing file of that name has the same content, so it is left untouched.
 */
export function save(ce: Counterexample, dir: string): { path: string; created: boolean } {
  const text = serialize(ce);
  const folder = join(dir, ce.subsystem);
  const path = join(folder, fileNameOf(text));
  if (existsSync(path)) return { path, created: false };
  mkdirSync(folder, { recursive: true });
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { flag: 'wx' });
  renameSync(temporary, path);
  return { path, created: true };
}

type Json = { [key: string]: unknown };

function field(obj: Json, name: string, file: string, kind: 'string' | 'number' | 'object' | 'array', where = name): unknown {
  const v = Object.hasOwn(obj, name) ? obj[name] : undefined;
  const okKind = kind === 'array' ? Array.isArray(v) : kind === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === kind;
  if (!okKind) throw new CounterexampleError(file, where, `expected ${kind === 'array' ? 'an array' : `a ${kind}`}`);
  return v;
}

/** A whole number in [min, max]: a header number out of range (seed 1e999, runs -1) is refused, not carried along. */
function integer(obj: Json, name: string, file: string, min: number, max: number, what: string, where = name): number {
  const v = field(obj, name, file, 'number', where) as number;
  if (!Number.isInteger(v) || v < min || v > max) throw new CounterexampleError(file, where, `expected ${what}, an integer in [${min}, ${max}], found ${String(v).slice(0, 40)}`);
  return v;
}

/** Parses and checks a saved case against the format and its subsystem (one of `suites`): properties, versions, signatures. */
export function parse(text: string, file: string, suites: readonly AnySuite[]): Counterexample {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new CounterexampleError(file, '(file)', `not valid JSON (${(error as Error).message})`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new CounterexampleError(file, '(file)', 'expected a JSON object');
  const obj = raw as Json;
  if (obj['format'] !== FORMAT) throw new CounterexampleError(file, 'format', `expected "${FORMAT}", found ${JSON.stringify(obj['format'])}`);
  const subsystem = field(obj, 'subsystem', file, 'string') as string;
  const suite = suites.find((s) => s.spec.name === subsystem);
  if (suite === undefined) throw new CounterexampleError(file, 'subsystem', `unknown subsystem "${subsystem}" (known: ${suites.map((s) => s.spec.name).join(', ')})`);
  const property = field(obj, 'property', file, 'string') as string;
  if (!suite.properties.some((p) => p.name === property)) throw new CounterexampleError(file, 'property', `unknown property "${property}" of ${subsystem}`);
  const target = field(obj, 'target', file, 'string') as string;
  if (parseTargetLabel(target) === undefined) throw new CounterexampleError(file, 'target', `expected ${LABEL_FORMS}`);
  const versions = suite.spec.versions.map((v) => v.name);
  const specVersion = obj['specVersion'] === undefined ? (versions[0] as string) : (field(obj, 'specVersion', file, 'string') as string);
  if (!versions.includes(specVersion)) throw new CounterexampleError(file, 'specVersion', `unknown specification version "${specVersion.slice(0, 80)}" of ${subsystem} (known: ${versions.join(', ')})`);
  const seed = integer(obj, 'seed', file, -(2 ** 31), 2 ** 32 - 1, 'a 32-bit seed');
  const path = field(obj, 'path', file, 'string') as string;
  const runs = integer(obj, 'runs', file, 0, Number.MAX_SAFE_INTEGER, 'a count of runs');
  const v = field(obj, 'violation', file, 'object') as Json;
  const violation: Violation = {
    step: integer(v, 'step', file, 0, Number.MAX_SAFE_INTEGER, 'a step index', 'violation.step'),
    invariant: field(v, 'invariant', file, 'string', 'violation.invariant') as string,
    source: field(v, 'source', file, 'string', 'violation.source') as string,
    message: field(v, 'message', file, 'string', 'violation.message') as string,
  };
  const rawOps = field(obj, 'operations', file, 'array') as unknown[];
  const operations = rawOps.map((rawOp, i): Operation => {
    const where = `operations[${i}]`;
    if (rawOp === null || typeof rawOp !== 'object') throw new CounterexampleError(file, where, 'expected {"op", "args"}');
    const o = rawOp as Json;
    const name = field(o, 'op', file, 'string', `${where}.op`) as string;
    // Own names only: "constructor", "toString" or "__proto__" are not operations (nor argument names below).
    const signature = Object.hasOwn(suite.spec.signatures, name) ? suite.spec.signatures[name] : undefined;
    if (signature === undefined)
      throw new CounterexampleError(file, `${where}.op`, `unknown operation "${name.slice(0, 80)}" (known: ${Object.keys(suite.spec.signatures).join(', ')})`);
    const rawArgs = field(o, 'args', file, 'object', `${where}.args`) as Json;
    const args: Record<string, Value> = Object.create(null) as Record<string, Value>;
    for (const extra of Object.keys(rawArgs)) if (!Object.hasOwn(signature, extra)) throw new CounterexampleError(file, `${where}.args.${extra.slice(0, 80)}`, `not an argument of ${name}`);
    for (const [arg, type] of Object.entries(signature)) {
      const decoded = decodeArg(type, Object.hasOwn(rawArgs, arg) ? rawArgs[arg] : undefined, `${where}.args.${arg}`);
      if ('error' in decoded) {
        const [fieldPath, ...reason] = decoded.error.split(': ');
        throw new CounterexampleError(file, fieldPath ?? where, reason.join(': '));
      }
      args[arg] = decoded.value;
    }
    return { op: name, args: { ...args } as Args };
  });
  return { format: FORMAT, subsystem, property, target, specVersion, seed, path, runs, violation, operations };
}

/**
 * The largest saved case read, in bytes (docs/conformance.md): far above any shrunk case (a few KiB); a larger file
 * is refused without being read.
 */
export const MAX_CASE_BYTES = 4 * 1024 * 1024;

const WHY: Record<string, string> = {
  ENOENT: 'it does not exist, or is a symbolic link to nothing',
  ELOOP: 'a loop of symbolic links',
  EACCES: 'permission denied',
  EISDIR: 'a directory',
};

function kindOf(st: Stats): string {
  if (st.isDirectory()) return 'a directory';
  if (st.isFIFO()) return 'a named pipe';
  if (st.isCharacterDevice()) return 'a character device';
  if (st.isBlockDevice()) return 'a block device';
  if (st.isSocket()) return 'a socket';
  return 'not a regular file';
}

/**
 * Reads and checks a saved case. Only a regular file of at most MAX_CASE_BYTES is read: a named pipe or a device
 * (/dev/zero) is refused at once instead of blocking or reading without end, and so are a directory, a dangling
 * symbolic link or a loop of them, each with the reason.
 */
export function load(file: string, suites: readonly AnySuite[]): Counterexample {
  let text: string;
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NONBLOCK); // a named pipe opens without waiting for a writer
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? '';
    throw new CounterexampleError(file, '(file)', `cannot be read (${WHY[code] ?? (code || (error as Error).message)})`);
  }
  try {
    const st = fstatSync(fd);
    if (!st.isFile()) throw new CounterexampleError(file, '(file)', `not a regular file (${kindOf(st)})`);
    if (st.size > MAX_CASE_BYTES) throw new CounterexampleError(file, '(file)', `${st.size} bytes, over the limit of ${MAX_CASE_BYTES} bytes for a saved case`);
    // Sized by fstat, one byte more to see the end; grown (to the limit and one byte) if the file grew meanwhile.
    let buffer = Buffer.allocUnsafe(st.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > MAX_CASE_BYTES) throw new CounterexampleError(file, '(file)', `over the limit of ${MAX_CASE_BYTES} bytes for a saved case`);
        const larger = Buffer.allocUnsafe(Math.min(2 * buffer.length, MAX_CASE_BYTES + 1));
        buffer.copy(larger, 0, 0, length);
        buffer = larger;
      }
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > MAX_CASE_BYTES) throw new CounterexampleError(file, '(file)', `over the limit of ${MAX_CASE_BYTES} bytes for a saved case`);
    text = buffer.toString('utf8', 0, length);
  } catch (error) {
    if (error instanceof CounterexampleError) throw error;
    throw new CounterexampleError(file, '(file)', `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  } finally {
    closeSync(fd);
  }
  return parse(text, file, suites);
}

/**
 * Every *.json file under the given files and directories, in a stable order. Symbolic links inside a directory are
 * followed, each directory at most once (a loop ends); a link to nothing, or a loop, named *.json is listed, so
 * that load() reports it. A path given that cannot be examined is listed as it is, for the same reason.
 */
export function listCaseFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const walkDirectory = (dir: string): void => {
    let real: string;
    let entries: Dirent[];
    try {
      real = realpathSync(dir);
      if (seen.has(real)) return;
      seen.add(real);
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      out.push(dir); // reported as unreadable by load()
      return;
    }
    for (const entry of entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const child = join(dir, entry.name);
      let isDirectory = entry.isDirectory();
      if (entry.isSymbolicLink()) {
        try {
          isDirectory = statSync(child).isDirectory();
        } catch {
          isDirectory = false; // a link to nothing, or a loop: listed if it looks like a case
        }
      }
      if (isDirectory) walkDirectory(child);
      else if (entry.name.endsWith('.json')) out.push(child);
    }
  };
  for (const p of paths) {
    let isDirectory = false;
    try {
      isDirectory = statSync(p).isDirectory();
    } catch {
      // reported by load()
    }
    if (isDirectory) walkDirectory(p);
    else out.push(p);
  }
  return out;
}
