// State of the arm64 KVM stage-2 specification: the inputs a stage-2 fault depends on, and the stage-2 entries
// installed so far (each with the memory type the guest finally sees through its own stage-1 attribute).
// Sources: 002_748f16c03ac79905.txt (the memory-type decision), 001_d5d5d944b120b211.txt (FWB, resmem as
// Normal-NC), and the merged arch/arm64/kvm/mmu.c (user_mem_abort, kvm_arch_prepare_memory_region).

import type { DeviceRegion, MemType } from '../nvgrace-gpu/host-mapping.js';

/** What the faulting page frame is: RAM with a struct page in the linear map, device memory without struct pages, or MMIO. */
export type PfnKind = 'ram' | 'devmem' | 'mmio';
export type AccessKind = 'read' | 'write' | 'exec';
/** The attribute the guest's own stage-1 mapping picks (and the attribute an access finally gets). */
export type GuestAttr = 'normal-wb' | 'normal-nc' | 'device';

export interface InstalledEntry {
  /** The operation that installed it: a raw fault, or a fault on an nvgrace-gpu region. */
  readonly via: 'fault' | DeviceRegion;
  readonly pfn: PfnKind;
  /** The stage-2 memory type. */
  readonly s2: MemType;
  /** Whether the stage-2 entry allows execution. */
  readonly exec: boolean;
  /** Stage 1 combined with stage 2: what the guest's accesses are. */
  readonly effective: GuestAttr;
}

export interface Stage2State {
  installed: InstalledEntry[];
  memslotsAccepted: number;
}

export function initialStage2State(): Stage2State {
  return { installed: [], memslotsAccepted: 0 };
}

export function snapshotStage2(s: Stage2State): Stage2State {
  return { installed: [...s.installed], memslotsAccepted: s.memslotsAccepted };
}

export function describeStage2(s: Stage2State): string {
  const last = s.installed[s.installed.length - 1];
  const entry = last === undefined ? 'none' : `${last.via}/${last.pfn}: s2=${last.s2}${last.exec ? '+X' : ''} guest sees ${last.effective}`;
  return `stage-2 entries=${s.installed.length} (last ${entry}), memslots accepted=${s.memslotsAccepted}`;
}

export function isCacheableAttr(a: GuestAttr): boolean {
  return a === 'normal-wb';
}
