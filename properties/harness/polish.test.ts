// The polish rule: which results a search accepts and which case it reports. The limit the workers obey must
// never cut a batch the rule would still accept, whatever the results to come.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Failure } from './batch.js';
import { Coverage } from './interpreter.js';
import { Accepted, lastPlaceAfterFailure, type PolishRule } from './polish.js';

const failing = (batch: number, length: number): Failure => ({
  operations: Array.from({ length }, () => ({ name: 'op', args: {} }) as unknown as Failure['operations'][number]),
  violation: { invariant: 'i', step: length - 1, message: '' } as unknown as Failure['violation'],
  seed: 0,
  path: '',
  runs: batch * 100 + 1,
  shrinks: 0,
  batch,
});

/** Accepts `lengths` (null: the batch passed) in order until the rule says done; the places accepted and the case. */
function accept(rule: PolishRule, lengths: readonly (number | null)[], watch?: (accepted: Accepted) => void) {
  const accepted = new Accepted(rule);
  for (const [k, length] of lengths.entries()) {
    if (accepted.done) break;
    accepted.take({ runs: 100, coverage: new Coverage(), ...(length === null ? {} : { failure: failing(k, length) }) });
    watch?.(accepted);
  }
  return { places: accepted.next, failure: accepted.failure };
}

describe('the polish rule', () => {
  it('without a window reports the first failing batch and accepts nothing after it', () => {
    expect(accept({ window: 0, shortest: 1 }, [null, 5, 2, 1])).toMatchObject({ places: 2, failure: { batch: 1 } });
  });

  it('runs the window after the first failure and keeps the shortest case (the lowest batch among equals)', () => {
    const { places, failure } = accept({ window: 3, shortest: 1 }, [null, 5, null, 4, 4, null, null, null, 2, 2]);
    // 5 at place 1 (window to 4), 4 at place 3 (window to 6); the 2 at place 8 lies beyond it.
    expect(places).toBe(7);
    expect(failure).toMatchObject({ batch: 3, operations: { length: 4 } });
  });

  it('extends the window only while polishing improves', () => {
    expect(accept({ window: 2, shortest: 1 }, [6, 5, 4, 3, null, 2]).failure).toMatchObject({ batch: 5, operations: { length: 2 } });
    expect(accept({ window: 2, shortest: 1 }, [6, 5, 4, 3, 3, 3, 2])).toMatchObject({ places: 6, failure: { batch: 3 } });
    expect(accept({ window: 2, shortest: 1 }, [6, 6, 6, 6, 2]).places).toBe(3);
  });

  it('stops at once at the shortest possible case', () => {
    expect(accept({ window: 8, shortest: 1 }, [null, 1, 1, 1])).toMatchObject({ places: 2, failure: { batch: 1 } });
    expect(accept({ window: 8, shortest: 3 }, [5, null, 3, 2])).toMatchObject({ places: 3, failure: { batch: 2 } });
  });

  it('never limits the workers below a place the rule accepts: the bound and the limit after a failure hold for any results', () => {
    const results = fc.array(fc.option(fc.integer({ min: 1, max: 12 }), { nil: null, freq: 2 }), { maxLength: 60 });
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 6 }), fc.integer({ min: 1, max: 4 }), results, (window, shortest, lengths) => {
        const rule = { window, shortest };
        const bounds: number[] = [];
        const { places } = accept(rule, lengths, (a) => bounds.push(a.bound));
        const lastAccepted = places - 1;
        for (const bound of bounds) expect(bound).toBeGreaterThanOrEqual(lastAccepted);
        // A worker's limit after its own failing batch k (accepted or not) never cuts an accepted place.
        for (const [k, length] of lengths.entries()) if (length !== null) expect(lastPlaceAfterFailure(rule, k, length)).toBeGreaterThanOrEqual(lastAccepted);
      }),
    );
  });
});
