// The package's entries (model/index.ts, properties/harness/index.ts) keep up with the registry: a subsystem added
// to the suite is one the package exports, under the name the command line knows it by.
import { describe, expect, it } from 'vitest';
import * as model from '../../model/index.js';
import * as harness from './index.js';
import { suites } from './registry.js';

describe('package entries', () => {
  it('gpumem-spec exports every registered subsystem, in the registry order, as the same specification', () => {
    expect(model.specs.map((s) => s.name)).toEqual(suites.map((s) => s.spec.name));
    model.specs.forEach((spec, i) => expect(spec).toBe(suites[i]?.spec));
  });

  it('gpumem-spec/harness exports the registry itself', () => {
    expect(harness.suites).toBe(suites);
  });
});
