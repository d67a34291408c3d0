// The arm64 KVM stage-2 memory-type decision. Each method is one step of the merged arch/arm64/kvm/mmu.c
// (user_mem_abort and its helpers, kvm_arch_prepare_memory_region), written from 002_748f16c03ac79905.txt and
// checked against the merged code; where the two differ the comment says so and the model follows the merged
// code (README.md lists every difference). The decision methods are pure: they read their input and return an
// outcome; only `apply` records what was installed.

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { bool, oneOf, typedOp, type ArgsOf, type Signature, type Signatures } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { isCacheableType, nvgraceHostVma, type DeviceRegion, type HostVma, type MemType } from '../nvgrace-gpu/host-mapping.js';
import { initialStage2State, type AccessKind, type GuestAttr, type PfnKind, type Stage2State } from './state.js';

/** The CPU features the decision depends on. */
export interface HostCaps {
  /** ARM64_HAS_STAGE2_FWB: stage 2 can force the final memory type. */
  readonly fwb: boolean;
  /** ARM64_HAS_CACHE_DIC: no instruction-cache maintenance is needed to make data executable. */
  readonly dic: boolean;
}

export interface FaultInput extends HostCaps {
  readonly pfn: PfnKind;
  readonly vma: HostVma;
  /** KVM_CAP_ARM_MTE is enabled for the VM. */
  readonly vmMte: boolean;
  readonly access: AccessKind;
  /** The guest's stage-1 attribute for the page. */
  readonly guestS1: GuestAttr;
}

export type FaultOutcome =
  | { readonly ok: true; readonly s2: MemType; readonly exec: boolean; readonly effective: GuestAttr }
  | { readonly ok: false; readonly error: string };

/** What user_mem_abort makes of a non-struct-page PFNMAP: cacheable, forced non-cacheable, or refused. */
export type PfnmapPolicy = 'cacheable' | 'noncacheable' | { readonly error: string };

const memType = () => oneOf('normal', 'normal-nc', 'device');
const vmaArgs = { pfnmap: bool(), io: bool(), allowAnyUncached: bool(), mteAllowed: bool(), pgprot: memType() } satisfies Signature;
const hostArgs = { fwb: bool(), dic: bool(), vmMte: bool() } satisfies Signature;
const guestArgs = { access: oneOf('read', 'write', 'exec'), guestS1: oneOf('normal-wb', 'normal-nc', 'device') } satisfies Signature;

export const stage2Signatures = {
  /** A guest stage-2 fault on a page of `pfn` kind behind a VMA with these flags and protection (user_mem_abort). */
  fault: { pfn: oneOf('ram', 'devmem', 'mmio'), ...vmaArgs, ...hostArgs, ...guestArgs },
  /** KVM_SET_USER_MEMORY_REGION over such a VMA (kvm_arch_prepare_memory_region). */
  memslot: { ...vmaArgs, ...hostArgs },
  /** End to end: an nvgrace-gpu region mmapped by the VMM, made a memslot, then faulted in by the guest. */
  nvgraceFault: { region: oneOf('usemem', 'resmem'), ...hostArgs, ...guestArgs },
} satisfies Signatures;

export type FaultArgs = ArgsOf<typeof stage2Signatures.fault>;
export type MemslotArgs = ArgsOf<typeof stage2Signatures.memslot>;

export function vmaFromArgs(a: MemslotArgs): HostVma {
  return {
    pgprot: a.pgprot,
    flags: { pfnmap: a.pfnmap, io: a.io, allowAnyUncached: a.allowAnyUncached, mteAllowed: a.mteAllowed },
  };
}

export function faultInputFromArgs(a: FaultArgs): FaultInput {
  return { pfn: a.pfn, vma: vmaFromArgs(a), fwb: a.fwb, dic: a.dic, vmMte: a.vmMte, access: a.access, guestS1: a.guestS1 };
}

/**
 * Whether a fault input can happen at all. A page frame without a struct page reaches KVM only through a
 * VM_PFNMAP VMA (remap_pfn_range and vmf_insert_pfn require it; VM_MIXEDMAP is not modelled), and such a VMA is
 * never VM_MTE_ALLOWED (only anonymous, shmem and hugetlb mappings are).
 */
export function isReachable(input: Pick<FaultInput, 'pfn' | 'vma'>): boolean {
  return input.pfn === 'ram' || (input.vma.flags.pfnmap && !input.vma.flags.mteAllowed);
}

export class KvmStage2Model implements Model<Stage2State> {
  initialState(): Stage2State {
    return initialStage2State();
  }

  precondition(_s: Stage2State, op: Operation): boolean {
    const o = typedOp(stage2Signatures, op);
    if (o?.op === 'fault') return isReachable(faultInputFromArgs(o.args));
    return op.op in stage2Signatures;
  }

  apply(s: Stage2State, op: Operation, _faults: FaultPlan): Result {
    const o = typedOp(stage2Signatures, op);
    if (o === undefined) return fail('UNKNOWN_OPERATION');
    switch (o.op) {
      case 'fault':
        return this.record(s, 'fault', o.args.pfn, this.userMemAbort(faultInputFromArgs(o.args)));
      case 'memslot': {
        const error = this.prepareMemoryRegion(vmaFromArgs(o.args), caps(o.args), o.args.vmMte);
        if (error !== undefined) return fail(error);
        s.memslotsAccepted++;
        return ok();
      }
      case 'nvgraceFault': {
        const a = o.args;
        return this.record(s, a.region, 'devmem', this.nvgraceFault(a.region, caps(a), a.vmMte, a.access, a.guestS1));
      }
    }
  }

  record(s: Stage2State, via: 'fault' | DeviceRegion, pfn: PfnKind, outcome: FaultOutcome): Result {
    if (!outcome.ok) return fail(outcome.error);
    s.installed.push({ via, pfn, s2: outcome.s2, exec: outcome.exec, effective: outcome.effective });
    return ok({ s2: outcome.s2, exec: outcome.exec, effective: outcome.effective });
  }

  // ------------------------------------------------------------------------------------- the decision

  /**
   * user_mem_abort, the memory-type part: classify non-struct-page PFNMAP memory, refuse exec on what must not be
   * cacheable, check MTE for what will be cacheable, pick the stage-2 type and the exec permission, and combine
   * with the guest's stage 1.
   */
  userMemAbort(input: FaultInput): FaultOutcome {
    let forceNoncacheable = false;
    if (input.vma.flags.pfnmap && !this.pfnIsMapMemory(input.pfn)) {
      const policy = this.pfnmapPolicy(input);
      if (typeof policy === 'object') return { ok: false, error: policy.error };
      forceNoncacheable = policy === 'noncacheable';
    }
    const execError = this.execCheck(input, forceNoncacheable);
    if (execError !== undefined) return { ok: false, error: execError };
    if (!forceNoncacheable) {
      const mteError = this.mteCheck(input);
      if (mteError !== undefined) return { ok: false, error: mteError };
    }
    const s2 = this.stage2Type(input.vma, forceNoncacheable);
    return { ok: true, s2, exec: this.execPermission(input, forceNoncacheable), effective: this.combine(input.guestS1, s2, input.fwb) };
  }

  /** pfn_is_map_memory: only RAM with a struct page in the kernel's linear map. */
  pfnIsMapMemory(pfn: PfnKind): boolean {
    return pfn === 'ram';
  }

  /**
   * Memory without struct pages behind a PFNMAP VMA: KVM cannot do cache maintenance on it (the CMOs work on
   * kernel virtual addresses it does not have). If the VMA asks for a cacheable mapping, that is allowed only when
   * the hardware makes maintenance unnecessary (FWB and DIC), else -EFAULT; any other VMA is forced non-cacheable.
   * (002 says "Do not allow non-struct page memory to be cachable without FWB"; the merged code also requires DIC
   * and returns -EFAULT here, where the v2 patch returned -EINVAL after choosing the type.)
   */
  pfnmapPolicy(input: FaultInput): PfnmapPolicy {
    if (!this.vmaIsCacheable(input.vma)) return 'noncacheable';
    return this.supportsCacheablePfnmap(input) ? 'cacheable' : { error: '-EFAULT' };
  }

  /**
   * kvm_vma_is_cacheable: the memory type of the VMA's pgprot, nothing else. The merged code does not look at
   * VM_IO (002 proposed that VM_IO with a Normal pgprot never be cacheable; remap_pfn_range sets VM_IO on every
   * PFNMAP, nvgrace usemem included, so that rule would make usemem uncached in the guest under a cacheable host
   * mapping; it was dropped).
   */
  vmaIsCacheable(vma: HostVma): boolean {
    return isCacheableType(vma.pgprot);
  }

  /** kvm_supports_cacheable_pfnmap: ARM64_HAS_STAGE2_FWB and ARM64_HAS_CACHE_DIC. */
  supportsCacheablePfnmap(caps: HostCaps): boolean {
    return caps.fwb && caps.dic;
  }

  /** An exec fault on memory forced non-cacheable is refused (-ENOEXEC); exec on Normal cacheable memory is allowed. */
  execCheck(input: FaultInput, forceNoncacheable: boolean): string | undefined {
    return input.access === 'exec' && forceNoncacheable ? '-ENOEXEC' : undefined;
  }

  /**
   * For a mapping that will be cacheable in a VM with MTE: the VMA must allow MTE (the tags are then sanitised),
   * else -EFAULT ("Check the VMM hasn't introduced a new disallowed VMA"). 002 says such memory is "never
   * cacheable"; the merged code refuses the fault rather than mapping it non-cacheable.
   */
  mteCheck(input: FaultInput): string | undefined {
    return input.vmMte && !input.vma.flags.mteAllowed ? '-EFAULT' : undefined;
  }

  /** The stage-2 type: Normal-NC where VM_ALLOW_ANY_UNCACHED allows it, Device otherwise; Normal when cacheable. */
  stage2Type(vma: HostVma, forceNoncacheable: boolean): MemType {
    if (!forceNoncacheable) return 'normal';
    return vma.flags.allowAnyUncached ? 'normal-nc' : 'device';
  }

  /** KVM_PGTABLE_PROT_X: for an exec fault, and for any cacheable mapping when the CPU has CACHE_DIC. */
  execPermission(input: FaultInput, forceNoncacheable: boolean): boolean {
    return input.access === 'exec' || (!forceNoncacheable && input.dic);
  }

  /**
   * Stage 1 combined with stage 2. Without FWB the more restrictive attribute wins (Device over Normal-NC over
   * Write-Back). With FWB (Arm ARM D8.6.6) stage 2 decides: Normal (MemAttr 0b110) forces Write-Back whatever the
   * guest chose; Normal-NC (0b101) gives Non-cacheable, or the guest's Device; Device stays Device.
   */
  combine(guest: GuestAttr, s2: MemType, fwb: boolean): GuestAttr {
    const s2Attr: GuestAttr = s2 === 'normal' ? 'normal-wb' : s2;
    if (fwb) {
      if (s2 === 'normal') return 'normal-wb';
      if (s2 === 'normal-nc') return guest === 'device' ? 'device' : 'normal-nc';
      return 'device';
    }
    return RESTRICTIVENESS[guest] >= RESTRICTIVENESS[s2Attr] ? guest : s2Attr;
  }

  // ------------------------------------------------------------------------------------- memslots

  /**
   * kvm_arch_prepare_memory_region for one VMA: a VM with MTE needs VM_MTE_ALLOWED; a cacheable PFNMAP needs
   * FWB and DIC. (Dirty logging on a PFNMAP memslot, also refused there, is not modelled.)
   */
  prepareMemoryRegion(vma: HostVma, hostCaps: HostCaps, vmMte: boolean): string | undefined {
    if (vmMte && !vma.flags.mteAllowed) return '-EINVAL';
    if (vma.flags.pfnmap && this.vmaIsCacheable(vma) && !this.supportsCacheablePfnmap(hostCaps)) return '-EINVAL';
    return undefined;
  }

  // ------------------------------------------------------------------------------------- end to end

  /** The VMA the VMM's mmap of an nvgrace-gpu region has (the nvgrace-gpu specification's own function). */
  hostVma(region: DeviceRegion): HostVma {
    return nvgraceHostVma(region);
  }

  /** The VMM mmaps the region, registers it as a memslot, and the guest touches it with its stage-1 attribute. */
  nvgraceFault(region: DeviceRegion, hostCaps: HostCaps, vmMte: boolean, access: AccessKind, guestS1: GuestAttr): FaultOutcome {
    const vma = this.hostVma(region);
    const error = this.prepareMemoryRegion(vma, hostCaps, vmMte);
    if (error !== undefined) return { ok: false, error };
    return this.userMemAbort({ pfn: 'devmem', vma, ...hostCaps, vmMte, access, guestS1 });
  }
}

const RESTRICTIVENESS: { readonly [a in GuestAttr]: number } = { 'normal-wb': 0, 'normal-nc': 1, device: 2 };

function caps(a: HostCaps): HostCaps {
  return { fwb: a.fwb, dic: a.dic };
}

const reference = new KvmStage2Model();

/** The stage-2 fault decision as a pure function of everything it depends on. */
export function decideStage2Fault(input: FaultInput): FaultOutcome {
  return reference.userMemAbort(input);
}

/** Stage-1 / stage-2 attribute combination as a pure function. */
export function combineStages(guest: GuestAttr, s2: MemType, fwb: boolean): GuestAttr {
  return reference.combine(guest, s2, fwb);
}
