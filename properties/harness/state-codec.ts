// The JSON shape of a subsystem's state and results: how an implementation reports them, how what it reported is
// read back into the specification's types (guided by the specification's own value at the same place), and how
// two of them are compared.

import { fail, type Result } from '../../model/common/result.js';
import type { Value } from '../../model/common/values.js';

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

