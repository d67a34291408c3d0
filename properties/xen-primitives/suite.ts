// The Xen virtio-GPU memory primitives' place in the suite: specification, property and seeded bugs.
import { xenPrimitivesSpec, type XenState } from '../../model/xen-primitives/index.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { xenConcurrencyProperty, xenRaceMutants } from './concurrency.js';
import { xenSequences } from './generators.js';
import { xenLabels } from './labels.js';
import { xenMutants } from './mutants.js';

export const xenPrimitivesSuite: SubsystemSuite<XenState> = {
  spec: xenPrimitivesSpec,
  properties: [
    {
      name: 'primitives',
      description: 'Map, re-map, Revoke, Steal, Return interleaved with grants, foreign maps, hypercalls and accesses, with p2m failures injected',
      source: '004_a962dd2d5e662cda.txt § primitives 1-4 (Map, Revoke, Steal, Return) and the reply',
      operations: xenSequences,
      numRuns: 800,
      labels: xenLabels,
    },
    xenConcurrencyProperty,
  ],
  mutants: [...xenMutants, ...xenRaceMutants],
};
