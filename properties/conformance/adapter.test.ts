// The adapter's own parts: the JSON shape of states and results, sanitizer reports, and the specification run
// as an implementation of itself (in process; the C examples exercise the process path), for every registered
// subsystem: the JSON shape round-trips every subsystem's state.
import { describe, expect, it } from 'vitest';
import { createImplementation } from '../../examples/spec-implementation.js';
import { timed } from '../harness/implementation.js';
import { implementationName } from '../harness/open-implementation.js';
import { sanitizerReport } from '../harness/sanitizer-report.js';
import { decodeObserved, decodeResult, DecodeError, encodeJson, sameValue } from '../harness/state-codec.js';
import { suites } from '../harness/registry.js';
import { seedFromEnvironment } from '../harness/seed.js';
import { conformanceOf, searchOn } from './helpers.js';

const seed = seedFromEnvironment();

describe('the JSON shape of states', () => {
  const state = { n: 3, big: 0x1_0000_0000_0000n, list: [1, 2], byId: new Map([[1, { id: 1, size: 4096n, mapped: true }]]), owner: null as number | null };

  it('round-trips through encodeJson and decodeObserved', () => {
    const wire = JSON.parse(JSON.stringify(encodeJson(state)));
    expect(wire).toEqual({ n: 3, big: '0x1000000000000', list: [1, 2], byId: { '1': { id: 1, size: '0x1000', mapped: true } }, owner: null });
    expect(sameValue(decodeObserved(wire, state), state)).toBe(true);
  });

  it("keeps the specification's value where the implementation reports nothing", () => {
    const decoded = decodeObserved({ n: 4 }, state) as typeof state;
    expect(decoded.n).toBe(4);
    expect(decoded.byId).toBe(state.byId);
  });

  it("takes the implementation's own keys of a map, with types from the specification's entries", () => {
    const decoded = decodeObserved({ byId: { '1': { size: '0x2000' }, '7': { id: 7, size: '0x10', mapped: false } } }, state) as typeof state;
    expect([...decoded.byId.keys()]).toEqual([1, 7]);
    expect(decoded.byId.get(1)).toEqual({ id: 1, size: 0x2000n, mapped: true });
    expect(decoded.byId.get(7)?.size).toBe(0x10n);
  });

  it('names the field of a value of the wrong type', () => {
    expect(() => decodeObserved({ byId: { '1': { size: 'big' } } }, state)).toThrow(new DecodeError('state.byId.1.size: expected a 64-bit value ("0x…"), got "big"'));
    expect(() => decodeResult({ ok: 'yes' }, undefined)).toThrow(DecodeError);
  });

  it('decodes results against the specification result', () => {
    expect(decodeResult({ ok: true, value: { count: '0x8', data: 'ff' } }, { ok: true, value: { count: 8n, data: 'ff' } })).toEqual({ ok: true, value: { count: 8n, data: 'ff' } });
    expect(decodeResult({ ok: false, error: '-EINVAL' }, { ok: true })).toEqual({ ok: false, error: '-EINVAL' });
  });

  it('names implementations after their program', () => {
    expect(implementationName('examples/build/dma-pool --verbose')).toBe('dma-pool');
    expect(implementationName('node --import tsx examples/spec-server.ts')).toBe('spec-server');
    expect(implementationName('module:examples/spec-implementation.ts')).toBe('spec-implementation');
  });
});

describe('sanitizer reports', () => {
  it('summarizes an AddressSanitizer report by its error and the first frames of the program', () => {
    const report = [
      '==1==ERROR: AddressSanitizer: heap-use-after-free on address 0x60b0000000f8 at pc 0x1 bp 0x2 sp 0x3',
      'READ of size 8 at 0x60b0000000f8 thread T0',
      '    #0 0x55ff321fda42 in dma_buffer_destroy /x/examples/dma-pool/pool.c:163',
      '    #1 0x55ff321ffad5 in pool_deinit /x/examples/dma-pool/pool.c:328',
      '',
      'freed by thread T0 here:',
      '    #0 0x7f1a660b76a8 in __interceptor_free ../../../../src/libsanitizer/asan/asan_malloc_linux.cpp:52',
    ].join('\n');
    expect(sanitizerReport(report)).toBe('AddressSanitizer: heap-use-after-free (READ of size 8) in dma_buffer_destroy (pool.c:163) <- pool_deinit (pool.c:328)');
  });

  it('reads an UndefinedBehaviorSanitizer runtime error', () => {
    expect(sanitizerReport('region.c:140:3: runtime error: load of null pointer\n')).toBe('UndefinedBehaviorSanitizer: load of null pointer at region.c:140:3');
    expect(sanitizerReport('just a warning\n')).toBeUndefined();
  });
});

describe(`the specification conforms to itself through the adapter (seed ${seed})`, () => {
  for (const suite of suites) {
    it(`${suite.spec.name}, in process (module)`, async () => {
      const c = conformanceOf(suite.spec.name, timed(createImplementation(suite.spec.name)), 'spec');
      for (const property of c.target.suite.properties) {
        const outcome = await searchOn(c, seed, Math.min(60, property.numRuns), undefined, property);
        expect(outcome.failure?.violation, `${property.name}: ${JSON.stringify(outcome.failure?.violation)} ${JSON.stringify(outcome.failure?.operations)}`).toBeUndefined();
      }
      expect(c.impl.stats?.operations).toBeGreaterThan(0);
    });
  }

});
