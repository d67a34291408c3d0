// Input decoded from outside (saved files, implementations' answers) under hostile values (docs/reliability.md):
// prototype names as operations, argument keys and state fields; header numbers out of range; special files,
// symbolic link loops and oversized files given to replay (issue 18, items 8, 9 and 11).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { toJson } from '../../model/common/values.js';
import { suites } from '../harness/registry.js';
import { decodeObserved, decodeResult, DecodeError } from '../harness/state-codec.js';
import { CounterexampleError, listCaseFiles, load, MAX_CASE_BYTES, parse } from '../harness/store.js';
import { ROOT } from './helpers.js';

const scratch = mkdtempSync(join(tmpdir(), 'gpumem-hostile-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const folder = join(ROOT, 'counterexamples', 'dma-pool');
const sample = join(folder, readdirSync(folder).filter((f) => f.endsWith('.json')).sort()[0] as string);
const saved = JSON.parse(readFileSync(sample, 'utf8')) as Record<string, unknown> & { operations: { op: string; args: Record<string, unknown> }[]; violation: Record<string, unknown> };

/** The saved case with `change` applied, parsed: the CounterexampleError's message, or undefined when accepted. */
function refusal(change: (c: typeof saved) => unknown): string | undefined {
  const copy = JSON.parse(JSON.stringify(saved)) as typeof saved;
  const text = (change(copy) as string | undefined) ?? JSON.stringify(copy);
  try {
    parse(text, 'case.json', suites);
    return undefined;
  } catch (error) {
    if (!(error instanceof CounterexampleError)) throw error;
    return error.message;
  }
}

describe('prototype names are never operations, arguments or fields (item 8)', () => {
  for (const name of ['__proto__', 'constructor', 'toString', 'hasOwnProperty']) {
    it(`"${name}" as an operation name or an argument key of a saved case is refused`, () => {
      expect(refusal((c) => void ((c.operations[0] as { op: string }).op = name))).toMatch(new RegExp(`^case\\.json: operations\\[0\\]\\.op: unknown operation "${name}"`));
      // "__proto__" written literally as a JSON key (an assignment in JS would not make it a key).
      const withKey = (c: typeof saved) => JSON.stringify(c).replace('"args":{', `"args":{"${name}":1,`);
      expect(refusal(withKey)).toBe(`case.json: operations[0].args.${name}: not an argument of ${saved.operations[0]?.op}`);
    });
  }

  it('a state field named "__proto__" is a field like any other, never the prototype', () => {
    const spec = { n: 3, byId: new Map([[1, { id: 1 }]]) };
    const decoded = decodeObserved(JSON.parse('{"__proto__": {"n": 9, "polluted": true}, "constructor": 5}'), spec) as Record<string, unknown>;
    expect(Object.getPrototypeOf(decoded)).toBe(Object.prototype);
    expect(decoded['n']).toBe(3);
    expect('polluted' in decoded).toBe(false);
    expect(Object.hasOwn(decoded, '__proto__')).toBe(true);
    expect(decoded['constructor']).toBe(5);
    expect(toJson(JSON.parse('{"__proto__": {"x": 1}}'))).toEqual(JSON.parse('{"__proto__": {"x": 1}}'));
    expect(Object.getPrototypeOf(toJson(JSON.parse('{"__proto__": {"x": 1}}')))).toBe(Object.prototype);
  });

  it('a result answers with its own fields only', () => {
    expect(() => decodeResult(JSON.parse('{"__proto__": {"ok": true}}'), undefined)).toThrow(DecodeError);
    expect(() => decodeResult(JSON.parse('{"constructor": {"ok": true}}'), undefined)).toThrow(DecodeError);
    expect(decodeResult(JSON.parse('{"ok": false, "error": "-EINVAL", "toString": 1}'), undefined)).toEqual({ ok: false, error: '-EINVAL' });
  });
});

describe('header numbers of a saved case are in range (item 11)', () => {
  const cases: [string, (c: typeof saved) => unknown, RegExp][] = [
    ['seed Infinity (1e999)', (c) => JSON.stringify(c).replace(/"seed":-?\d+/, '"seed":1e999'), /^case\.json: seed: expected a 32-bit seed, an integer in \[-2147483648, 4294967295\], found Infinity$/],
    ['seed 2^53', (c) => void (c.seed = 2 ** 53), /^case\.json: seed: /],
    ['seed 1.5', (c) => void (c.seed = 1.5), /^case\.json: seed: /],
    ['runs -1', (c) => void (c.runs = -1), /^case\.json: runs: expected a count of runs, an integer in \[0, \d+\], found -1$/],
    ['runs 1e999', (c) => JSON.stringify(c).replace(/"runs":\d+/, '"runs":1e999'), /^case\.json: runs: /],
    ['violation.step -1', (c) => void (c.violation.step = -1), /^case\.json: violation\.step: /],
    ['violation.step 0.5', (c) => void (c.violation.step = 0.5), /^case\.json: violation\.step: /],
  ];
  for (const [what, change, message] of cases) it(what, () => expect(refusal(change)).toMatch(message));

  it('the saved case itself is accepted', () => expect(refusal(() => undefined)).toBeUndefined());
});

describe('replay reads regular files only, of bounded size (item 9)', () => {
  const at = (name: string) => join(scratch, name);
  const reason = (file: string): string => {
    try {
      load(file, suites);
      return 'accepted';
    } catch (error) {
      if (!(error instanceof CounterexampleError)) throw error;
      return error.message;
    }
  };

  it('a named pipe, /dev/zero, a directory, a dangling link and a loop of links are refused at once, with the reason', () => {
    execFileSync('mkfifo', [at('fifo.json')]);
    symlinkSync('nowhere.json', at('dangling.json'));
    symlinkSync('loop-b.json', at('loop-a.json'));
    symlinkSync('loop-a.json', at('loop-b.json'));
    mkdirSync(at('dir.json'));
    expect(reason(at('fifo.json'))).toBe(`${at('fifo.json')}: (file): not a regular file (a named pipe)`);
    expect(reason('/dev/zero')).toBe('/dev/zero: (file): not a regular file (a character device)');
    expect(reason(at('dir.json'))).toBe(`${at('dir.json')}: (file): not a regular file (a directory)`);
    expect(reason(at('dangling.json'))).toBe(`${at('dangling.json')}: (file): cannot be read (it does not exist, or is a symbolic link to nothing)`);
    expect(reason(at('loop-a.json'))).toBe(`${at('loop-a.json')}: (file): cannot be read (a loop of symbolic links)`);
  });

  it(`a file over ${MAX_CASE_BYTES} bytes is refused without being read`, () => {
    writeFileSync(at('big.json'), Buffer.alloc(MAX_CASE_BYTES + 1, 0x20));
    expect(reason(at('big.json'))).toBe(`${at('big.json')}: (file): ${MAX_CASE_BYTES + 1} bytes, over the limit of ${MAX_CASE_BYTES} bytes for a saved case`);
  });

  it('a folder with a link to itself is walked once; broken entries are listed for load() to report', () => {
    const dir = at('walk');
    mkdirSync(join(dir, 'sub'), { recursive: true });
    writeFileSync(join(dir, 'sub', 'a.json'), readFileSync(sample));
    symlinkSync('..', join(dir, 'sub', 'up'));
    symlinkSync('missing.json', join(dir, 'broken.json'));
    symlinkSync('nothing', join(dir, 'ignored'));
    expect(listCaseFiles([dir])).toEqual([join(dir, 'broken.json'), join(dir, 'sub', 'a.json')]);
  });
});
