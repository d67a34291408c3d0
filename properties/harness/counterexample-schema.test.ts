// The published JSON Schema of the counterexample format (docs/counterexample.schema.json) is the one the code
// generates, accepts every saved case, and refuses what store.ts refuses: an unknown operation, an argument of
// the wrong type or out of range, a missing or extra argument, a wrong header. Validated with Ajv (draft 2020-12).

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ajvModule from 'ajv/dist/2020.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeArg, type ArgType } from '../../model/common/schema.js';
import { argTypeSchema, counterexampleSchema, decimalAtMost, SCHEMA_FILE, schemaText, writeOrCheckSchema } from './counterexample-schema.js';
import { suites } from './registry.js';
import { seedFromEnvironment } from './seed.js';
import { CounterexampleError, FORMAT, listCaseFiles, parse, serialize, type Counterexample } from './store.js';
import { COUNTEREXAMPLES_DIR } from './vitest-suite.js';

const seed = seedFromEnvironment();
const Ajv = ajvModule.default;
const ajv = new Ajv({ allErrors: false, strict: true });
const validate = ajv.compile(counterexampleSchema());

/** Whether store.ts accepts the text, and whether the schema accepts the JSON in it. */
function verdicts(json: unknown): { load: boolean; schema: boolean; errors: string } {
  let load = true;
  try {
    parse(JSON.stringify(json), 'mutated', suites);
  } catch (error) {
    if (!(error instanceof CounterexampleError)) throw error;
    load = false;
  }
  const schema = validate(json);
  return { load, schema, errors: ajv.errorsText(validate.errors) };
}

/** A value an argument of this type accepts. */
function validValue(type: ArgType): unknown {
  switch (type.kind) {
    case 'u64':
      return '0x0';
    case 'int':
      return type.min;
    case 'bool':
      return false;
    case 'enum':
      return type.values[0];
    case 'list':
      return [];
  }
}

/** Values an argument of this type refuses: of the wrong JSON type, or of the right one but out of range. */
function wrongValues(type: ArgType): { what: string; value: unknown }[] {
  switch (type.kind) {
    case 'u64':
      return [
        { what: 'a number', value: 5 },
        { what: '2^64', value: '0x10000000000000000' },
        { what: '2^64 in decimal', value: '18446744073709551616' },
        { what: 'a negative', value: '-1' },
        { what: 'bare 0x', value: '0x' },
      ];
    case 'int':
      return [
        { what: 'a string', value: String(type.min) },
        { what: 'max + 1', value: type.max + 1 },
        { what: 'min - 1', value: type.min - 1 },
        { what: 'a fraction', value: type.min + 0.5 },
      ];
    case 'bool':
      return [{ what: 'a string', value: 'true' }, { what: 'a number', value: 0 }];
    case 'enum':
      return [{ what: 'an unknown value', value: 'noSuchValue' }, { what: 'a number', value: 0 }];
    case 'list':
      return [
        { what: 'a non-list', value: validValue(type.of) },
        { what: 'one item too many', value: Array.from({ length: type.maxLength + 1 }, () => validValue(type.of)) },
        ...wrongValues(type.of).map((w) => ({ what: `an item that is ${w.what}`, value: [w.value] })),
      ];
  }
}

/** Generated cases of every property, as saved files (a sample of each generator), drawn once for every test below. */
let sampled: { suite: string; json: Record<string, unknown> }[] | undefined;
function sampledCases(): { suite: string; json: Record<string, unknown> }[] {
  if (sampled !== undefined) return sampled;
  const runs = 20;
  const out: { suite: string; json: Record<string, unknown> }[] = [];
  for (const suite of suites) {
    for (const property of suite.properties) {
      for (const operations of fc.sample(property.operations, { seed, numRuns: runs })) {
        const ce: Counterexample = {
          format: FORMAT,
          subsystem: suite.spec.name,
          property: property.name,
          target: 'model',
          specVersion: suite.spec.versions.at(-1)?.name ?? '',
          seed,
          path: '0',
          runs: 1,
          violation: { step: 0, invariant: 'none', source: 'none', message: 'none' },
          operations,
        };
        out.push({ suite: suite.spec.name, json: JSON.parse(serialize(ce)) as Record<string, unknown> });
      }
    }
  }
  sampled = out;
  return out;
}

describe(`the counterexample JSON Schema (seed ${seed})`, () => {
  it('docs/counterexample.schema.json is the generated one (npm run schema rewrites it)', () => {
    expect(readFileSync(SCHEMA_FILE, 'utf8'), 'stale: run npm run schema and commit docs/counterexample.schema.json').toBe(schemaText());
  });

  it('npm run schema writes the file; --check says current, stale or missing and writes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpumem-schema-'));
    try {
      const file = join(dir, 'counterexample.schema.json');
      expect(writeOrCheckSchema(true, file, 'F')).toEqual({ current: false, line: 'F is missing: run npm run schema and commit it' });
      expect(existsSync(file)).toBe(false);
      expect(writeOrCheckSchema(false, file, 'F')).toEqual({ current: true, line: 'wrote F' });
      expect(readFileSync(file, 'utf8')).toBe(schemaText());
      expect(writeOrCheckSchema(true, file, 'F')).toEqual({ current: true, line: 'F is current' });
      writeFileSync(file, schemaText().replace('"integer"', '"number"'));
      expect(writeOrCheckSchema(true, file, 'F')).toEqual({ current: false, line: 'F is stale: run npm run schema and commit it' });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('every committed counterexample under counterexamples/ validates', () => {
    const files = listCaseFiles([COUNTEREXAMPLES_DIR]);
    expect(files.length).toBeGreaterThan(100);
    for (const file of files) {
      const ok = validate(JSON.parse(readFileSync(file, 'utf8')));
      expect(ok, `${file}: ${ajv.errorsText(validate.errors)}`).toBe(true);
    }
  });

  it('the cases each generator makes validate', () => {
    const cases = sampledCases();
    for (const { json } of cases) expect(verdicts(json), JSON.stringify(json).slice(0, 300)).toEqual({ load: true, schema: true, errors: 'No errors' });
    expect(new Set(cases.map((c) => c.suite)).size).toBe(suites.length);
  });

  it('a mutated case is refused by the schema as by store.ts: unknown operation, wrong argument, missing or extra argument, wrong header', () => {
    const mutations: { what: string; json: unknown }[] = [];
    const seen = new Set<string>();
    for (const { suite: name, json } of sampledCases()) {
      const suite = suites.find((s) => s.spec.name === name);
      const ops = json['operations'] as { op: string; args: Record<string, unknown> }[];
      if (suite === undefined || ops.length === 0) continue;
      const withOp = (i: number, op: unknown) => ({ ...json, operations: ops.map((o, j) => (j === i ? op : o)) });
      if (!seen.has(name)) {
        seen.add(name);
        mutations.push(
          { what: `${name}: an unknown operation`, json: withOp(0, { op: 'noSuchOperation', args: {} }) },
          { what: `${name}: an operation of no name`, json: withOp(0, { args: ops[0]?.args }) },
          { what: `${name}: an operation without args`, json: withOp(0, { op: ops[0]?.op }) },
          { what: `${name}: another format`, json: { ...json, format: 'gpumem-spec/counterexample@2' } },
          { what: `${name}: an unknown subsystem`, json: { ...json, subsystem: 'no-such-subsystem' } },
          { what: `${name}: an unknown property`, json: { ...json, property: 'noSuchProperty' } },
          { what: `${name}: an unknown version`, json: { ...json, specVersion: 'no-such-version' } },
          { what: `${name}: an unknown kind of target`, json: { ...json, target: 'device:x' } },
          { what: `${name}: a seed above 32 bits`, json: { ...json, seed: 2 ** 32 } },
          { what: `${name}: negative runs`, json: { ...json, runs: -1 } },
          { what: `${name}: a violation without its step`, json: { ...json, violation: { invariant: 'x', source: 'x', message: 'x' } } },
          { what: `${name}: operations not a list`, json: { ...json, operations: {} } },
        );
      }
      ops.forEach((o, i) => {
        const signature = suite.spec.signatures[o.op] ?? {};
        for (const [arg, type] of Object.entries(signature)) {
          if (seen.has(`${name}.${o.op}.${arg}`)) continue;
          seen.add(`${name}.${o.op}.${arg}`);
          for (const wrong of wrongValues(type)) mutations.push({ what: `${name}.${o.op}: ${arg} ${wrong.what}`, json: withOp(i, { op: o.op, args: { ...o.args, [arg]: wrong.value } }) });
          const { [arg]: _, ...without } = o.args;
          mutations.push({ what: `${name}.${o.op}: ${arg} missing`, json: withOp(i, { op: o.op, args: without }) });
        }
        if (!seen.has(`${name}.${o.op}`)) {
          seen.add(`${name}.${o.op}`);
          mutations.push({ what: `${name}.${o.op}: an extra argument`, json: withOp(i, { op: o.op, args: { ...o.args, noSuchArgument: 0 } }) });
        }
      });
    }
    expect(seen.size).toBeGreaterThan(suites.length);
    expect(mutations.some((m) => m.what.endsWith('an unknown operation'))).toBe(true);
    for (const m of mutations) expect({ what: m.what, ...verdicts(m.json), errors: undefined }).toEqual({ what: m.what, load: false, schema: false, errors: undefined });
  });

  it('a target: the schema accepts exactly the labels store.ts accepts', () => {
    const [one] = sampledCases();
    if (one === undefined) return expect.fail('no generated case');
    const labels = ['model', 'mutant:freeAddsTwice', 'impl:./a.out --flag', 'mutant:a\nb', 'impl:\n', 'mutant:', 'impl:', 'model\n', 'modelx', 'Model', 'mutant', 'device:x', ''];
    for (const target of labels) {
      const { load, schema } = verdicts({ ...one.json, target });
      expect({ target, schema }).toEqual({ target, schema: load });
    }
  });

  it('a 64-bit argument: the schema accepts exactly the texts store.ts decodes', () => {
    const u64 = ajv.compile(argTypeSchema({ kind: 'u64' }));
    const decodes = (text: string) => !('error' in decodeArg({ kind: 'u64' }, text, 'x'));
    const u64Text = fc
      .tuple(fc.bigInt(0n, (1n << 66n) - 1n), fc.constantFrom('0x', '0X', ''), fc.nat(3), fc.boolean())
      .map(([v, prefix, zeros, upper]) => {
        const digits = prefix === '' ? v.toString() : v.toString(16);
        return prefix + '0'.repeat(zeros) + (upper ? digits.toUpperCase() : digits);
      });
    const edges = ['0', '00', '0x0', '18446744073709551615', '018446744073709551615', '18446744073709551616', '99999999999999999999', '0xffffffffffffffff', '0x0ffffffffffffffff', '0x1ffffffffffffffff', '', 'x1', '0x-1', ' 1'];
    for (const text of edges) expect({ text, schema: u64(text) }).toEqual({ text, schema: decodes(text) });
    fc.assert(fc.property(fc.oneof(u64Text, fc.string({ maxLength: 24 })), (text) => u64(text) === decodes(text)), { seed, numRuns: 2000 });
  });

  it('decimalAtMost matches the decimal numbers up to its bound, and no more', () => {
    for (const max of [0n, 1n, 9n, 10n, 19n, 100n, 205n, 1000n]) {
      const re = new RegExp(`^${decimalAtMost(max)}$`);
      for (let n = 0n; n <= max + 30n; n++) expect({ n, matches: re.test(n.toString()) }).toEqual({ n, matches: n <= max });
    }
  });
});

// The schema file is what other languages read: it must be valid JSON naming its draft.
it('docs/counterexample.schema.json declares draft 2020-12', () => {
  const schema = JSON.parse(readFileSync(SCHEMA_FILE, 'utf8')) as { $schema?: string };
  expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
});
