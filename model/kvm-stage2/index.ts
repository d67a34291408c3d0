// The arm64 KVM stage-2 memory-type decision for memory with and without struct pages, as a specification.
import type { SubsystemSpec } from '../common/spec.js';
import { stage2Invariants } from './invariants.js';
import { KvmStage2Model, stage2Signatures } from './operations.js';
import { describeStage2, snapshotStage2, type Stage2State } from './state.js';

export const kvmStage2Spec: SubsystemSpec<Stage2State> = {
  name: 'kvm-stage2',
  title: 'arm64 KVM: stage-2 memory type of memory without struct pages (cacheable PFNMAP, FWB, MTE)',
  versions: [{ name: 'linux-6.12', upstream: 'Linux arch/arm64/kvm/mmu.c with cacheable PFNMAP and VM_ALLOW_ANY_UNCACHED', checkedAgainst: 'read' }],
  sources: ['002_748f16c03ac79905.txt', '001_d5d5d944b120b211.txt'],
  signatures: stage2Signatures,
  invariants: stage2Invariants,
  createModel: () => new KvmStage2Model(),
  snapshot: snapshotStage2,
  describe: describeStage2,
};

export * from './operations.js';
export * from './state.js';
