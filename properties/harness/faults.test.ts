// FaultPlan, the injected-failure input every fallible step consults (model/common/faults.ts): which step fails,
// and what a trace is told, must be exactly what the case names.
import { describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';

describe('FaultPlan', () => {
  it('fails exactly the named steps, in the order they are reached, and records each', () => {
    const plan = new FaultPlan([1, 3]);
    expect([plan.fails('a'), plan.fails('b'), plan.fails('c'), plan.fails('d'), plan.fails('e')]).toEqual([false, true, false, true, false]);
    expect(plan.failures).toEqual([
      { index: 1, site: 'b' },
      { index: 3, site: 'd' },
    ]);
    expect(plan.asked).toBe(5);
  });

  it('firstFailureOf: a run of identical steps fails at the first named index inside it, and stops there', () => {
    const plan = new FaultPlan([7, 4, 5]);
    plan.fails('before'); // step 0
    // steps 1..6 are one page each: 4 is the first named index inside the run, at position 3 of it
    expect(plan.firstFailureOf('page', 6)).toBe(3);
    expect(plan.failures).toEqual([{ index: 4, site: 'page' }]);
    // the steps after the failure were not reached: the next step asked is 5, which is named too
    expect(plan.asked).toBe(5);
    expect(plan.fails('next')).toBe(true);
  });

  it('firstFailureOf: a failure at the first step of the run counts (position 0)', () => {
    const plan = new FaultPlan([2]);
    plan.fails('a');
    plan.fails('b');
    expect(plan.firstFailureOf('page', 3)).toBe(0);
    expect(plan.failures).toEqual([{ index: 2, site: 'page' }]);
  });

  it('firstFailureOf: a run no named index falls in succeeds and counts all its steps', () => {
    const plan = new FaultPlan([0, 5]);
    expect(plan.fails('a')).toBe(true);
    expect(plan.firstFailureOf('page', 4)).toBeUndefined();
    expect(plan.asked).toBe(5);
    expect(plan.fails('after')).toBe(true);
    expect(plan.failures.map((f) => f.index)).toEqual([0, 5]);
  });
});
