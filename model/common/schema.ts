// The shape of each operation's arguments. It is part of the specification (the operation's signature) and
// is what lets a saved case be checked field by field and decoded exactly, independent of any generator.

import type { Operation, Value } from './values.js';

export interface U64Type {
  readonly kind: 'u64';
}
export interface IntType {
  readonly kind: 'int';
  readonly min: number;
  readonly max: number;
}
export interface BoolType {
  readonly kind: 'bool';
}
export interface EnumType<V extends string = string> {
  readonly kind: 'enum';
  readonly values: readonly V[];
}
export interface ListType<T extends ArgType = ArgType> {
  readonly kind: 'list';
  readonly of: T;
  readonly maxLength: number;
}
export type ArgType = U64Type | IntType | BoolType | EnumType | ListType;

export const u64 = (): U64Type => ({ kind: 'u64' });
export const int = (min: number, max: number): IntType => ({ kind: 'int', min, max });
export const bool = (): BoolType => ({ kind: 'bool' });
export const oneOf = <const V extends string>(...values: V[]): EnumType<V> => ({ kind: 'enum', values });
export const listOf = <T extends ArgType>(of: T, maxLength = 64): ListType<T> => ({ kind: 'list', of, maxLength });
/** Indices of the fallible steps of one operation that are made to fail (see FaultPlan). */
export const faultList = (): ListType<IntType> => listOf(int(0, 1_000_000), 16);

export type Signature = { readonly [arg: string]: ArgType };
/** Every operation of a subsystem by name. Declare them `satisfies Signatures` (not annotated) so each keeps its own type. */
export type Signatures = { readonly [op: string]: Signature };

/** The value an argument of this type holds in memory (what decodeArg returns for it). */
export type ValueOf<T extends ArgType> = T extends U64Type
  ? bigint
  : T extends IntType
    ? number
    : T extends BoolType
      ? boolean
      : T extends EnumType<infer V>
        ? V
        : T extends ListType<infer E>
          ? readonly ValueOf<E>[]
          : never;

/** The arguments of an operation of this signature, typed field by field. */
export type ArgsOf<S extends Signature> = { readonly [K in keyof S]: ValueOf<S[K]> };

/** Any operation of these signatures, as a union on its name: a `switch (op.op)` narrows `op.args`. */
export type OpOf<Sigs extends Signatures> = { readonly [K in keyof Sigs & string]: { readonly op: K; readonly args: ArgsOf<Sigs[K]> } }[keyof Sigs &
  string];

/**
 * The operation as its signature types it, or undefined when it is not one of `signatures`. Only the name is
 * checked here: every operation that reaches a model was decoded against its signature (a saved case, `--fix`)
 * or generated to it (properties/harness/roundtrip.test.ts holds the generators to the signatures).
 */
export function typedOp<Sigs extends Signatures>(signatures: Sigs, op: Operation): OpOf<Sigs> | undefined {
  return Object.hasOwn(signatures, op.op) ? (op as unknown as OpOf<Sigs>) : undefined;
}

/** The typed arguments of `op` if it is the operation `name`, else undefined: for an invariant about one operation. */
export function argsOf<Sigs extends Signatures, K extends keyof Sigs & string>(signatures: Sigs, op: Operation, name: K): ArgsOf<Sigs[K]> | undefined {
  return op.op === name && Object.hasOwn(signatures, name) ? (op.args as unknown as ArgsOf<Sigs[K]>) : undefined;
}

/** An operation built with arguments its signature accepts (a compile error otherwise), as the untyped `Operation`. */
export function makeOp<Sigs extends Signatures, K extends keyof Sigs & string>(_signatures: Sigs, op: K, args: ArgsOf<Sigs[K]>): Operation {
  return { op, args };
}

/** makeOp for one subsystem: `const op = operationsOf(signatures)`, then `op('read', { ... })` in its generators. */
export function operationsOf<Sigs extends Signatures>(signatures: Sigs): <K extends keyof Sigs & string>(op: K, args: ArgsOf<Sigs[K]>) => Operation {
  return (op, args) => makeOp(signatures, op, args);
}

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
