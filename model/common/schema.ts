// The shape of each operation's arguments. It is part of the specification (the operation's signature) and
// is what lets a saved case be checked field by field and decoded exactly, independent of any generator.

import type { Value } from './values.js';

export type ArgType =
  | { readonly kind: 'u64' }
  | { readonly kind: 'int'; readonly min: number; readonly max: number }
  | { readonly kind: 'bool' }
  | { readonly kind: 'enum'; readonly values: readonly string[] }
  | { readonly kind: 'list'; readonly of: ArgType; readonly maxLength: number };

export const u64 = (): ArgType => ({ kind: 'u64' });
export const int = (min: number, max: number): ArgType => ({ kind: 'int', min, max });
export const bool = (): ArgType => ({ kind: 'bool' });
export const oneOf = (...values: string[]): ArgType => ({ kind: 'enum', values });
export const listOf = (of: ArgType, maxLength = 64): ArgType => ({ kind: 'list', of, maxLength });
/** Indices of the fallible steps of one operation that are made to fail (see FaultPlan). */
export const faultList = (): ArgType => listOf(int(0, 1_000_000), 16);

export type Signature = { readonly [arg: string]: ArgType };

const U64_TEXT = /^(0x[0-9a-f]+|[0-9]+)$/i;

/**
 * Decodes one JSON value against its type. Returns the value, or a message naming what is wrong;
 * `where` is the field path used in that message.
 */
export function decodeArg(type: ArgType, raw: unknown, where: string): { value: Value } | { error: string } {
  switch (type.kind) {
    case 'u64': {
      if (typeof raw !== 'string' || !U64_TEXT.test(raw)) return { error: `${where}: expected a 64-bit value as a "0x…" or decimal string` };
      const v = BigInt(raw);
      if (v > (1n << 64n) - 1n) return { error: `${where}: ${raw} does not fit in 64 bits` };
      return { value: v };
    }
    case 'int':
      if (typeof raw !== 'number' || !Number.isInteger(raw) || raw < type.min || raw > type.max)
        return { error: `${where}: expected an integer in [${type.min}, ${type.max}]` };
      return { value: raw };
    case 'bool':
      if (typeof raw !== 'boolean') return { error: `${where}: expected true or false` };
      return { value: raw };
    case 'enum':
      if (typeof raw !== 'string' || !type.values.includes(raw)) return { error: `${where}: expected one of ${type.values.join(', ')}` };
      return { value: raw };
    case 'list': {
      if (!Array.isArray(raw) || raw.length > type.maxLength) return { error: `${where}: expected a list of at most ${type.maxLength} items` };
      const out: Value[] = [];
      for (let i = 0; i < raw.length; i++) {
        const item = decodeArg(type.of, raw[i], `${where}[${i}]`);
        if ('error' in item) return item;
        out.push(item.value);
      }
      return { value: out };
    }
  }
}
