// A worker's coverage, sent key by key only once per search, reads back exactly as counted, batch after batch.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CoverageDecoder, CoverageEncoder } from './coverage-codec.js';

describe('coverage on the wire', () => {
  it('decodes every batch to its counts, and sends each key once', () => {
    const batch = fc.dictionary(fc.constantFrom('alloc', 'free', 'init', 'fails:vmap', 'ok', 'EBUSY', 'x'.repeat(40)), fc.integer({ min: 1, max: 1000 }));
    fc.assert(
      fc.property(fc.array(batch, { maxLength: 12 }), (batches) => {
        const encoder = new CoverageEncoder();
        const decoder = new CoverageDecoder();
        const sent: string[] = [];
        for (const counts of batches) {
          const map = new Map(Object.entries(counts));
          const wire = structuredClone(encoder.encode(map));
          sent.push(...wire.keys);
          expect(decoder.decode(wire)).toEqual([...map]);
        }
        expect(new Set(sent).size).toBe(sent.length);
      }),
    );
  });
});
