// The counterexample format as a JSON Schema (draft 2020-12), for implementations in other languages that write
// or read saved cases. Generated from the code that defines the format: the format name in store.ts and, per
// registered subsystem, its properties, specification versions and operation signatures (model/common/schema.ts
// types). It accepts what store.ts `parse` accepts, field by field; `npm run schema` writes it to
// docs/counterexample.schema.json and `npm run schema -- --check` says whether that file is current.

import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ArgType, Signature } from '../../model/common/schema.js';
import { suites } from './registry.js';
import { FORMAT } from './store.js';
import type { AnySuite } from './suite.js';

export const SCHEMA_FILE = join(import.meta.dirname, '..', '..', 'docs', 'counterexample.schema.json');

type JsonSchema = { readonly [keyword: string]: unknown };

/** The largest 64-bit value: a "0x…" or decimal u64 argument above it is refused (model/common/schema.ts decodeArg). */
const U64_MAX = (1n << 64n) - 1n;

/**
 * A regular expression for the decimal numbers from 0 to `max` (no sign, no leading zeros): every number with
 * fewer digits, and for each digit of `max` its prefix, a smaller digit there, then any digits.
 */
export function decimalAtMost(max: bigint): string {
  const digits = max.toString();
  const shorter = digits.length > 1 ? [`[0-9]{1,${digits.length - 1}}`] : [];
  const below: string[] = [];
  for (let i = 0; i < digits.length; i++) {
    const d = Number(digits[i]);
    if (d === 0 || (i === 0 && digits.length > 1 && d === 1)) continue; // nothing below it (a leading 0 is a shorter number)
    const low = i === 0 && digits.length > 1 ? 1 : 0;
    const rest = digits.length - i - 1;
    below.push(`${digits.slice(0, i)}[${low}-${d - 1}]${rest > 0 ? `[0-9]{${rest}}` : ''}`);
  }
  return `(${[...shorter, ...below, digits].join('|')})`;
}

/** A u64 argument as saved: "0x" and hexadecimal digits, or decimal digits, either way at most 2^64-1. */
export function u64Pattern(): string {
  const hexDigits = U64_MAX.toString(16).length;
  return `^(0[xX]0*[0-9a-fA-F]{1,${hexDigits}}|0*${decimalAtMost(U64_MAX)})$`;
}

/** One argument type of a signature as a schema. */
export function argTypeSchema(type: ArgType): JsonSchema {
  switch (type.kind) {
    case 'u64':
      return { type: 'string', pattern: u64Pattern(), description: 'a 64-bit value as a "0x…" hexadecimal or decimal string' };
    case 'int':
      return { type: 'integer', minimum: type.min, maximum: type.max };
    case 'bool':
      return { type: 'boolean' };
    case 'enum':
      return { enum: [...type.values] };
    case 'list':
      return { type: 'array', items: argTypeSchema(type.of), maxItems: type.maxLength };
    default: {
      const unknown: never = type;
      throw new Error(`no schema for argument type ${JSON.stringify(unknown)}`);
    }
  }
}

/** The `args` of one operation: every argument of its signature, and nothing else. */
export function argsSchema(signature: Signature): JsonSchema {
  return {
    type: 'object',
    properties: Object.fromEntries(Object.entries(signature).map(([name, type]) => [name, argTypeSchema(type)])),
    required: Object.keys(signature),
    additionalProperties: false,
  };
}

const operationDef = (subsystem: string, op: string) => `${subsystem}.${op}`;
const ref = (def: string) => ({ $ref: `#/$defs/${def}` });

function subsystemDefs(suite: AnySuite): Record<string, JsonSchema> {
  const name = suite.spec.name;
  const operations = Object.entries(suite.spec.signatures);
  const defs: Record<string, JsonSchema> = {
    [name]: {
      description: `A case of ${name}: ${suite.spec.title}`,
      type: 'object',
      properties: {
        subsystem: { const: name },
        property: { enum: suite.properties.map((p) => p.name) },
        specVersion: { enum: suite.spec.versions.map((v) => v.name), description: `absent: ${suite.spec.versions[0]?.name ?? ''}, the default version` },
        operations: { type: 'array', items: ref(`${name}.operation`) },
      },
    },
    [`${name}.operation`]: { oneOf: operations.map(([op]) => ref(operationDef(name, op))) },
  };
  for (const [op, signature] of operations) {
    defs[operationDef(name, op)] = {
      type: 'object',
      properties: { op: { const: op }, args: argsSchema(signature) },
      required: ['op', 'args'],
    };
  }
  return defs;
}

/** The schema of a saved case of any of the given subsystems (the registered ones by default). */
export function counterexampleSchema(of: readonly AnySuite[] = suites): JsonSchema {
  const defs: Record<string, JsonSchema> = {};
  for (const suite of of) Object.assign(defs, subsystemDefs(suite));
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: `gpumem-spec counterexample (${FORMAT})`,
    description:
      'A shrunk failing case as npm run check, npm run conform and npm test save it, and npm run replay reads it. ' +
      'Generated by `npm run schema` from properties/harness/store.ts and the operation signatures of each subsystem; do not edit.',
    type: 'object',
    properties: {
      format: { const: FORMAT },
      subsystem: { enum: of.map((s) => s.spec.name) },
      property: { type: 'string' },
      target: { type: 'string', pattern: '^(model|(mutant|impl):[\\s\\S]+)$', description: 'what the case was found on: the specification, a seeded bug or an implementation (target-label.ts)' },
      specVersion: { type: 'string', description: 'the specification version the case replays on; absent: the subsystem\'s default version' },
      seed: { type: 'integer', minimum: -(2 ** 31), maximum: 2 ** 32 - 1, description: 'the fast-check seed of the run that found the case' },
      path: { type: 'string', description: 'the fast-check path of the shrunk case in that run' },
      runs: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: 'runs the search needed to find it' },
      violation: {
        type: 'object',
        properties: {
          step: { type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER, description: '0-based index of the operation after which the invariant failed' },
          invariant: { type: 'string' },
          source: { type: 'string' },
          message: { type: 'string' },
        },
        required: ['step', 'invariant', 'source', 'message'],
      },
      operations: { type: 'array', description: 'the case: operations by name with named arguments, applied in order' },
    },
    required: ['format', 'subsystem', 'property', 'target', 'seed', 'path', 'runs', 'violation', 'operations'],
    oneOf: of.map((s) => ref(s.spec.name)),
    $defs: defs,
  };
}

/** The schema as docs/counterexample.schema.json holds it: indented, with each list of names or keywords on one line. */
export function schemaText(of: readonly AnySuite[] = suites): string {
  const text = JSON.stringify(counterexampleSchema(of), null, 2);
  // An array opens at the end of a line only in JSON's own layout (a string never spans lines).
  return text.replace(/\[\n\s+([^[\]{}]*?)\n\s*\]/g, (_, items: string) => `[${items.split(/,\n\s+/).join(', ')}]`) + '\n';
}

/**
 * `npm run schema`: writes the schema file, or with `check` writes nothing and says whether the file is the one the
 * code generates now. Returns whether it is (always true after writing) and a line for the user.
 */
export function writeOrCheckSchema(check: boolean, file = SCHEMA_FILE, shown = file): { current: boolean; line: string } {
  const text = schemaText();
  if (!check) {
    writeFileSync(file, text);
    return { current: true, line: `wrote ${shown}` };
  }
  const existing = existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  if (existing === text) return { current: true, line: `${shown} is current` };
  return { current: false, line: `${shown} is ${existing === undefined ? 'missing' : 'stale'}: run npm run schema and commit it` };
}
