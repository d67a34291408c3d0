// The counterexample store: a shrunk failing case as a readable JSON file named by its content hash.
// The file holds the explicit operation list, so it replays whatever later happens to the generators.

import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeArg } from '../../model/common/schema.js';
import { toJson, type Args, type Operation, type Value } from '../../model/common/values.js';
import type { Violation } from './interpreter.js';
import { findSuite, suites } from './registry.js';

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
  const v = obj[name];
  const okKind = kind === 'array' ? Array.isArray(v) : kind === 'object' ? v !== null && typeof v === 'object' && !Array.isArray(v) : typeof v === kind;
  if (!okKind) throw new CounterexampleError(file, where, `expected ${kind === 'array' ? 'an array' : `a ${kind}`}`);
  return v;
}

/** Parses and checks a saved case against the format and the subsystem's operation signatures. */
export function parse(text: string, file: string): Counterexample {
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
  const suite = findSuite(subsystem);
  if (suite === undefined) throw new CounterexampleError(file, 'subsystem', `unknown subsystem "${subsystem}" (known: ${suites.map((s) => s.spec.name).join(', ')})`);
  const property = field(obj, 'property', file, 'string') as string;
  if (!suite.properties.some((p) => p.name === property)) throw new CounterexampleError(file, 'property', `unknown property "${property}" of ${subsystem}`);
  const target = field(obj, 'target', file, 'string') as string;
  if (!/^(model|mutant:.+|impl:.+)$/.test(target)) throw new CounterexampleError(file, 'target', 'expected "model", "mutant:<name>" or "impl:<name>"');
  const versions = suite.spec.versions.map((v) => v.name);
  const specVersion = obj['specVersion'] === undefined ? (versions[0] as string) : (field(obj, 'specVersion', file, 'string') as string);
  if (!versions.includes(specVersion)) throw new CounterexampleError(file, 'specVersion', `unknown specification version "${specVersion.slice(0, 80)}" of ${subsystem} (known: ${versions.join(', ')})`);
  const seed = field(obj, 'seed', file, 'number') as number;
  const path = field(obj, 'path', file, 'string') as string;
  const runs = field(obj, 'runs', file, 'number') as number;
  const v = field(obj, 'violation', file, 'object') as Json;
  const violation: Violation = {
    step: field(v, 'step', file, 'number', 'violation.step') as number,
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
    const signature = suite.spec.signatures[name];
    if (signature === undefined)
      throw new CounterexampleError(file, `${where}.op`, `unknown operation "${name}" (known: ${Object.keys(suite.spec.signatures).join(', ')})`);
    const rawArgs = field(o, 'args', file, 'object', `${where}.args`) as Json;
    const args: Record<string, Value> = {};
    for (const extra of Object.keys(rawArgs)) if (!(extra in signature)) throw new CounterexampleError(file, `${where}.args.${extra}`, `not an argument of ${name}`);
    for (const [arg, type] of Object.entries(signature)) {
      const decoded = decodeArg(type, rawArgs[arg], `${where}.args.${arg}`);
      if ('error' in decoded) {
        const [fieldPath, ...reason] = decoded.error.split(': ');
        throw new CounterexampleError(file, fieldPath ?? where, reason.join(': '));
      }
      args[arg] = decoded.value;
    }
    return { op: name, args: args as Args };
  });
  return { format: FORMAT, subsystem, property, target, specVersion, seed, path, runs, violation, operations };
}

export function load(file: string): Counterexample {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new CounterexampleError(file, '(file)', `cannot be read (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
  return parse(text, file);
}

/** Every *.json file under the given files and directories, in a stable order. */
export function listCaseFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (p: string): void => {
    let isDir = false;
    try {
      isDir = statSync(p).isDirectory();
    } catch {
      out.push(p); // reported as unreadable by load()
      return;
    }
    if (!isDir) {
      out.push(p);
      return;
    }
    for (const entry of readdirSync(p).sort()) {
      const child = join(p, entry);
      if (statSync(child).isDirectory() || entry.endsWith('.json')) walk(child);
    }
  };
  for (const p of paths) walk(p);
  return out;
}
