import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { enumeratedOneOf, enumeratedRecord } from './enumerated.js';

const seed = 20261123;

describe('enumeratedRecord', () => {
  const arb = enumeratedRecord({ a: [false, true], b: ['x', 'y', 'z'] as const, c: [0, 1, 2, 3] });

  it('draws every combination, each about equally often', () => {
    const counts = new Map<string, number>();
    for (const v of fc.sample(arb, { numRuns: 24_000, seed })) counts.set(JSON.stringify(v), (counts.get(JSON.stringify(v)) ?? 0) + 1);
    expect(counts.size).toBe(2 * 3 * 4);
    // 1000 expected per combination; a uniform draw stays well within 850..1150 at this sample size.
    for (const n of counts.values()) expect(n).toBeGreaterThan(850);
    for (const n of counts.values()) expect(n).toBeLessThan(1150);
  });

  it('shrinks every field the failure does not need to its first choice', () => {
    const details = fc.check(
      fc.property(arb, (r) => r.b !== 'z' || r.c < 2),
      { seed },
    );
    expect(details.failed).toBe(true);
    expect(details.counterexample?.[0]).toEqual({ a: false, b: 'z', c: 2 });
  });

  it('applies finish to the picked record', () => {
    const op = enumeratedRecord({ k: ['p', 'q'] as const }, (r) => ({ op: 'o', args: r }));
    expect(fc.sample(op, { numRuns: 20, seed }).every((v) => v.op === 'o' && (v.args.k === 'p' || v.args.k === 'q'))).toBe(true);
  });

  it('refuses a field without choices', () => {
    expect(() => enumeratedRecord({ a: [] })).toThrow(/at least one choice/);
  });
});

describe('enumeratedOneOf', () => {
  const small = enumeratedRecord({ n: [0, 1] }, (r) => `small ${r.n}`);
  const big = enumeratedRecord({ m: [0, 1, 2], flag: [false, true] }, (r) => `big ${r.m} ${r.flag}`);

  it('chooses parts by weight', () => {
    const values = fc.sample(enumeratedOneOf({ weight: 1, arbitrary: small }, { weight: 3, arbitrary: big }), { numRuns: 8000, seed });
    const bigShare = values.filter((v) => v.startsWith('big')).length / values.length;
    expect(bigShare).toBeGreaterThan(0.72);
    expect(bigShare).toBeLessThan(0.78);
  });

  it('shrinks within the part a value came from', () => {
    const details = fc.check(
      fc.property(enumeratedOneOf({ weight: 1, arbitrary: small }, { weight: 1, arbitrary: big }), (v) => !v.startsWith('big') || !v.endsWith('true')),
      { seed },
    );
    expect(details.counterexample?.[0]).toBe('big 0 true');
  });

  it('takes only enumerated records, with positive integer weights', () => {
    expect(() => enumeratedOneOf({ weight: 1, arbitrary: fc.constant('x') })).toThrow(/enumeratedRecord/);
    expect(() => enumeratedOneOf({ weight: 0, arbitrary: small })).toThrow(/positive integer weight/);
  });
});
