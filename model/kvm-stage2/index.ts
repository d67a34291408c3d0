// The arm64 KVM stage-2 memory-type decision for memory with and without struct pages, as a specification.
import type { SubsystemSpec } from '../common/spec.js';
import { stage2Invariants } from './invariants.js';
import { KvmStage2Model, stage2Signatures } from './operations.js';
import { describeStage2, snapshotStage2, type Stage2State } from './state.js';

export const kvmStage2Spec: SubsystemSpec<Stage2State> = {
  name: 'kvm-stage2',
  title: 'arm64 KVM: stage-2 memory type of memory without struct pages (cacheable PFNMAP, FWB, MTE)',
  versions: [
    {
      name: 'linux-6.17',
      upstream:
        'Linux v6.17 and later: arch/arm64/kvm/mmu.c with the cacheable-PFNMAP series (2a8dfab26677 "Block cacheable PFNMAP mapping", 0c67288e0c8b "Allow cacheable stage 2 mapping using VMA flags", f55ce5a6cd33) on top of VM_ALLOW_ANY_UNCACHED -> Normal-NC (v6.9)',
      checkedAgainst: 'read: user_mem_abort, kvm_vma_is_cacheable, kvm_supports_cacheable_pfnmap and kvm_arch_prepare_memory_region of a v6.17-era mmu.c (the stored torvalds/linux text); no conformance run',
    },
  ],
  sources: ['002_748f16c03ac79905.txt', '001_d5d5d944b120b211.txt'],
  signatures: stage2Signatures,
  invariants: stage2Invariants,
  createModel: () => new KvmStage2Model(),
  snapshot: snapshotStage2,
  describe: describeStage2,
};

export * from './operations.js';
export * from './state.js';
