// The KVM stage-2 decision's place in the suite: its specification, properties and seeded bugs.
import { kvmStage2Spec, type Stage2State } from '../../model/kvm-stage2/index.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { stage2Operations } from './generators.js';
import { stage2Labels } from './labels.js';
import { stage2Mutants } from './mutants.js';

export const kvmStage2Suite: SubsystemSuite<Stage2State> = {
  spec: kvmStage2Spec,
  properties: [
    {
      name: 'stage2Faults',
      description: 'stage-2 faults, memslot creation and nvgrace-gpu regions faulted into a guest, over every input of the decision',
      source: '002_748f16c03ac79905.txt § memory type decision; 001_d5d5d944b120b211.txt § FWB, resmem Normal-NC',
      operations: stage2Operations,
      numRuns: 300,
      labels: stage2Labels,
    },
  ],
  mutants: stage2Mutants,
};
