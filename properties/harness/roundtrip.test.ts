// Every case a search can find can be saved and loaded back unchanged: each operation the generators produce
// decodes against its subsystem's signature (model/<subsystem>/operations.ts). A signature that refused a
// value the generators make would leave a found case unloadable; one that dropped an argument would change
// what a saved case replays.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { suites } from './registry.js';
import { seedFromEnvironment } from './seed.js';
import { FORMAT, parse, serialize, type Counterexample } from './store.js';

const seed = seedFromEnvironment();

describe(`saved cases load back as generated (seed ${seed})`, () => {
  for (const suite of suites) {
    for (const property of suite.properties) {
      it(`${suite.spec.name}/${property.name}: ${property.numRuns} generated cases round-trip through a saved file`, () => {
        const cases = fc.sample(property.operations, { seed, numRuns: property.numRuns });
        const names = new Set<string>();
        for (const operations of cases) {
          const ce: Counterexample = {
            format: FORMAT,
            subsystem: suite.spec.name,
            property: property.name,
            target: 'model',
            specVersion: suite.spec.versions[0]?.name ?? '',
            seed,
            path: '',
            runs: 0,
            violation: { step: 0, invariant: 'none', source: 'none', message: 'none' },
            operations,
          };
          expect(parse(serialize(ce), 'generated', suites).operations).toEqual(operations);
          for (const op of operations) names.add(op.op);
        }
        // The sample exercises the signatures it claims to: at least one operation of the property was decoded.
        expect(names.size).toBeGreaterThan(0);
      });
    }
  }
});
