// A violation npm test finds is saved like one `npm run check` finds: shown here with a seeded bug run through the
// code the subsystem tests run a property with (checkProperty), saving into GPUMEM_FOUND_DIR.

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { FOUND_DIR_VARIABLE, foundDir } from './found.js';
import { replayCommand } from './replay-command.js';
import { findSuite, suites } from './registry.js';
import { replay } from './replay.js';
import { load } from './store.js';
import { MODEL_THREW } from './interpreter.js';
import type { MutantDef } from './suite.js';
import { modelTarget, mutantTarget, mutantVersions } from './targets.js';
import { checkProperty, checkSeededBug } from './vitest-suite.js';

const SUBSYSTEM = 'dma-pool';
const MUTANT = 'freeAddsTwice';
const SEED = 1;

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('cases found by npm test', () => {
  it('go to $TMPDIR/gpumem-spec/found unless GPUMEM_FOUND_DIR names a folder (relative to the working directory)', () => {
    expect(foundDir({})).toBe(join(tmpdir(), 'gpumem-spec', 'found'));
    expect(foundDir({ [FOUND_DIR_VARIABLE]: '' })).toBe(join(tmpdir(), 'gpumem-spec', 'found'));
    expect(foundDir({ [FOUND_DIR_VARIABLE]: 'ci/found' })).toBe(join(process.cwd(), 'ci', 'found'));
  });

  it('replay commands name the target and the invariants searched, quoted for a shell', () => {
    expect(replayCommand('/tmp/a b/c.json', 'model')).toBe(`npm run replay -- '/tmp/a b/c.json'`);
    expect(replayCommand('/tmp/c.json', 'mutant:freeAddsTwice', ['noDoubleFree'])).toBe('npm run replay -- /tmp/c.json --mutant freeAddsTwice --invariants noDoubleFree');
  });

  it(`a seeded bug (${SUBSYSTEM} ${MUTANT}) found through checkProperty is saved, loads, and replays to the same invariant`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpumem-found-'));
    try {
      vi.stubEnv(FOUND_DIR_VARIABLE, dir);
      const suite = findSuite(SUBSYSTEM);
      const mutant = suite?.mutants.find((m) => m.name === MUTANT);
      const property = suite?.properties.find((p) => p.name === mutant?.property);
      const target = suite && mutantTarget(suite, MUTANT);
      if (suite === undefined || mutant === undefined || property === undefined || target === undefined) return expect.fail(`${SUBSYSTEM}/${MUTANT} is not in the registry`);

      const checked = await checkProperty(suite, property, target, SEED);
      const failure = checked.failure;
      expect(failure, `${MUTANT} survived ${checked.runsDone} runs`).toBeDefined();
      if (failure === undefined) return;
      const file = failure.file;
      expect(file).toBeDefined();
      if (file === undefined) return;
      expect(file.startsWith(join(dir, SUBSYSTEM) + '/')).toBe(true);
      expect(readdirSync(join(dir, SUBSYSTEM))).toEqual([file.slice(join(dir, SUBSYSTEM).length + 1)]);
      expect(failure.message).toContain(`saved: ${file}\n`);
      expect(failure.message).toContain(`replay: npm run replay -- ${file} --mutant ${MUTANT}`);

      const ce = load(file, suites);
      expect(ce).toMatchObject({ subsystem: SUBSYSTEM, property: property.name, target: `mutant:${MUTANT}`, specVersion: target.version, seed: expect.any(Number) });
      expect(ce.violation.invariant).toBe(mutant.breaks);
      // What the printed command does: the case on the seeded bug, then on the specification.
      expect(replay(ce, ce.target).run.violation?.invariant).toBe(ce.violation.invariant);
      expect(replay(ce, 'model').run.violation).toBeUndefined();

      // The same failure again is the same file, not a second one.
      const again = await checkProperty(suite, property, target, SEED);
      expect(again.failure?.file).toBe(file);
      expect(readdirSync(join(dir, SUBSYSTEM))).toHaveLength(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a seeded bug caught by the wrong invariant is saved with the invariants its search checked; one caught rightly writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpumem-found-'));
    try {
      vi.stubEnv(FOUND_DIR_VARIABLE, dir);
      const suite = findSuite(SUBSYSTEM);
      const mutant = suite?.mutants.find((m) => m.name === MUTANT);
      if (suite === undefined || mutant === undefined) return expect.fail(`${SUBSYSTEM}/${MUTANT} is not in the registry`);
      const version = mutantVersions(suite, MUTANT)[0] as string;

      const right = await checkSeededBug(suite, mutant, version, SEED);
      expect(right.problem).toBeUndefined();
      expect(right.caught?.violation.invariant).toBe(mutant.breaks);
      expect(readdirSync(dir)).toEqual([]);

      // The same bug, but free() throws: the search stops at the throw, not at the invariant the bug breaks.
      const throwing: MutantDef<unknown> = {
        ...mutant,
        name: 'freeThrows',
        createModel: (v) => {
          const model = mutant.createModel(v);
          return {
            initialState: () => model.initialState(),
            precondition: (state, op) => model.precondition(state, op),
            apply: (state, op, faults) => {
              if (op.op === 'free') throw new RangeError('free() threw');
              return model.apply(state, op, faults);
            },
          };
        },
      };
      const wrong = await checkSeededBug(suite, throwing, version, SEED);
      expect(wrong.caught?.violation.invariant).toBe(MODEL_THREW);
      expect(wrong.problem).toMatch(new RegExp(`^freeThrows is caught by ${MODEL_THREW}, not ${mutant.breaks}: RangeError: free\\(\\) threw`));
      const saved = /^saved: (.+)$/m.exec(wrong.problem ?? '')?.[1];
      expect(saved).toBeDefined();
      if (saved === undefined) return;
      expect(wrong.problem).toContain(`replay: npm run replay -- ${saved} --mutant freeThrows --invariants ${mutant.breaks}`);
      const ce = load(saved, suites);
      expect(ce).toMatchObject({ target: 'mutant:freeThrows', specVersion: version, violation: { invariant: MODEL_THREW } });
      expect(ce.operations).toEqual(wrong.caught?.operations);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a property that holds writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gpumem-found-'));
    try {
      vi.stubEnv(FOUND_DIR_VARIABLE, join(dir, 'found'));
      const suite = findSuite(SUBSYSTEM);
      const mutant = suite?.mutants.find((m) => m.name === MUTANT);
      const property = suite?.properties.find((p) => p.name === mutant?.property);
      if (suite === undefined || property === undefined) return expect.fail(`${SUBSYSTEM}/${MUTANT} is not in the registry`);
      // A short run of the property: holding is all this test needs (the subsystem's tests run the whole budget).
      const checked = await checkProperty(suite, { ...property, numRuns: 200 }, modelTarget(suite), SEED);
      expect(checked.runsDone).toBe(200);
      expect(checked.failure).toBeUndefined();
      expect(readdirSync(dir)).toEqual([]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
