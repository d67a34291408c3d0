// `conform --fix OP.ARG=JSON`: every generated operation of that name takes the value; anything that is not an
// operation, an argument or a value of the argument's type is refused with what is wrong.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseFixedArgument, withFixedArguments } from './fixed-arguments.js';
import { findSuite } from './registry.js';
import { seedFromEnvironment } from './seed.js';

const suite = findSuite('dma-pool');
if (suite === undefined) throw new Error('no dma-pool suite');
const property = suite.properties.find((p) => p.name === 'poolLifecycle');
if (property === undefined) throw new Error('no poolLifecycle');
const seed = seedFromEnvironment();

describe(`conform --fix (seed ${seed})`, () => {
  it('every generated init takes the fixed count and no faults; other operations are untouched', () => {
    const fixed = [parseFixedArgument(suite, 'init.count=32'), parseFixedArgument(suite, 'init.faults=[]')];
    const plain = fc.sample(property.operations, { seed, numRuns: 200 });
    const cases = fc.sample(withFixedArguments(property, fixed).operations, { seed, numRuns: 200 });
    let inits = 0;
    cases.forEach((ops, i) => {
      expect(ops.length).toBe(plain[i]?.length);
      ops.forEach((o, j) => {
        if (o.op === 'init') {
          inits++;
          expect(o.args).toEqual({ ...(plain[i]?.[j]?.args ?? {}), count: 32, faults: [] });
        } else expect(o).toEqual(plain[i]?.[j]);
      });
    });
    expect(inits).toBeGreaterThan(100);
  });

  it('refuses what is not an operation, an argument or a value of its type', () => {
    expect(() => parseFixedArgument(suite, 'init')).toThrow('--fix takes OP.ARG=JSON, not "init"');
    expect(() => parseFixedArgument(suite, 'nope.count=1')).toThrow('--fix: unknown operation "nope" of dma-pool');
    expect(() => parseFixedArgument(suite, 'toString.x=1')).toThrow('unknown operation "toString"');
    expect(() => parseFixedArgument(suite, 'init.size=1')).toThrow('--fix: init has no argument "size"');
    expect(() => parseFixedArgument(suite, 'init.constructor=1')).toThrow('init has no argument "constructor"');
    expect(() => parseFixedArgument(suite, 'init.count=x')).toThrow('--fix init.count: "x" is not JSON');
    expect(() => parseFixedArgument(suite, 'init.count=0')).toThrow(/--fix init\.count/);
  });
});
