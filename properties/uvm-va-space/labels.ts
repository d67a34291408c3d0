// The cases of the VA space's life that must occur often in what the generators produce. Registration: each of
// uvm_va_space_register_gpu's three refusals (the GPU registered already, the other coherence registered, the mm
// torn down), a Confidential-Computing GPU (no direct sysmem access, an unregister buffer taken from its pool), and
// the failures that must undo part of the work: peers_to_release after the CC buffer was taken, and enable_peers or
// the heuristics after the masks were set. Sysmem: uvm_mem_alloc's argument boundaries (size 0, a size that is not
// a page multiple, a chunk size other than PAGE_SIZE), a page or mapping step failing after part of the work was
// done, the decrypted CPU mapping under SEV, and mappings on several GPUs torn down by a free, an unmap or an
// unregistration. Each is the case an invariant (and a seeded bug) of the subsystem is about.
// `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases to carry it.

import { argsOf, typedOp } from '../../model/common/schema.js';
import type { Step } from '../../model/common/spec.js';
import { GPUS, isRegistered, liveMems, vaSpaceSignatures, type VaSpaceState } from '../../model/uvm-va-space/index.js';
import { bitsOf, PAGE_SIZE } from '../../model/uvm-mem/index.js';
import type { CaseLabel } from '../harness/suite.js';

type VaStep = Step<VaSpaceState>;

/** The only GPU of the machine with Confidential Computing on (GPUS in state.ts). */
const CC_GPU = GPUS.findIndex((g) => g.cc);

const refusedWith = (s: VaStep, error: string) => !s.result.ok && s.result.error === error;
const failedAt = (s: VaStep, site: string) => s.faults.some((f) => f.site === site);

/** The GPU a registerGpu step registers, or undefined for any other step. */
const registering = (s: VaStep) => argsOf(vaSpaceSignatures, s.op, 'registerGpu')?.gpu;

export const registrationLabels: readonly CaseLabel<VaSpaceState>[] = [
  {
    name: 'doubleRegistration',
    description: 'a GPU already in registered_gpus is registered again and refused with NV_ERR_INVALID_DEVICE',
    minShare: 0.14,
    test: (s) => {
      const g = registering(s);
      return g !== undefined && isRegistered(s.before, g) && refusedWith(s, 'NV_ERR_INVALID_DEVICE');
    },
  },
  {
    name: 'coherenceMixRefused',
    description: 'a GPU is registered next to a GPU of the other coherence and refused with NV_ERR_INVALID_DEVICE',
    minShare: 0.18,
    test: (s) => {
      const g = registering(s);
      if (g === undefined || isRegistered(s.before, g)) return false;
      const mixes = GPUS.some((other, o) => isRegistered(s.before, o) && other.coherent !== GPUS[g]?.coherent);
      return mixes && refusedWith(s, 'NV_ERR_INVALID_DEVICE');
    },
  },
  {
    name: 'registrationAfterTeardown',
    description: 'a GPU is registered after uvm_va_space_mm_shutdown and refused with NV_ERR_PAGE_TABLE_NOT_AVAIL',
    minShare: 0.13,
    test: (s) => registering(s) !== undefined && s.before.disallowNewRegisters && refusedWith(s, 'NV_ERR_PAGE_TABLE_NOT_AVAIL'),
  },
  {
    name: 'ccGpuRegistered',
    description: 'a Confidential-Computing GPU is registered: it takes an unregister buffer and gets no direct sysmem access',
    minShare: 0.1,
    test: (s) => registering(s) === CC_GPU && s.result.ok,
  },
  {
    // Upstream's goto done keeps the buffer here (README, choice 3); the generator makes this case on purpose.
    name: 'ccRegistrationFailsHoldingBuffer',
    description: "a CC GPU's registration fails at the peers_to_release allocation, after its unregister buffer was taken (it must go back)",
    minShare: 0.06,
    test: (s) => registering(s) === CC_GPU && failedAt(s, 'uvm_processor_mask_cache_alloc'),
  },
  {
    name: 'rollbackAfterMasks',
    description: 'registration fails at enable_peers or the heuristics, after the masks were set: unregister_gpu undoes them',
    minShare: 0.045,
    test: (s) => registering(s) !== undefined && (failedAt(s, 'enable_peers') || failedAt(s, 'uvm_perf_heuristics_register_gpu')),
  },
];

const allocating = (s: VaStep) => s.op.op === 'memAlloc' || s.op.op === 'memAllocAndMapCpu';
/** The size an allocating step asks for, or undefined for any other step. */
const sizeArg = (s: VaStep) => (argsOf(vaSpaceSignatures, s.op, 'memAlloc') ?? argsOf(vaSpaceSignatures, s.op, 'memAllocAndMapCpu'))?.size;

/** The allocation a slot-addressed step names, as it was before the step. */
function memBefore(s: VaStep) {
  const o = typedOp(vaSpaceSignatures, s.op);
  if (o === undefined || !('slot' in o.args)) return undefined;
  const ids = liveMems(s.before);
  const id = ids[o.args.slot % ids.length];
  return id === undefined ? undefined : s.before.mem.mems.get(id);
}

/** Allocations with an IOMMU mapping for `gpu` (a GPU other than their owner: the owner plus this one). */
const iommuMapped = (st: VaSpaceState, gpu: number) => st.mem.iommuMappings[gpu]?.length ?? 0;

export const sysmemLabels: readonly CaseLabel<VaSpaceState>[] = [
  {
    name: 'zeroSizeRefused',
    description: 'uvm_mem_alloc of size 0 on a registered GPU is refused with NV_ERR_INVALID_ARGUMENT',
    minShare: 0.06,
    test: (s) => allocating(s) && sizeArg(s) === 0n && refusedWith(s, 'NV_ERR_INVALID_ARGUMENT'),
  },
  {
    name: 'unalignedSizeAlignedUp',
    description: 'an allocation whose size is not a multiple of the chunk size succeeds, its chunk count rounded up',
    minShare: 0.23,
    test: (s) => {
      const size = sizeArg(s);
      return size !== undefined && s.result.ok && size % PAGE_SIZE !== 0n;
    },
  },
  {
    name: 'badPageSizeRefused',
    description: 'uvm_mem_alloc of DMA sysmem with a 64K or 2M chunk size is refused with NV_ERR_INVALID_ARGUMENT',
    minShare: 0.07,
    test: (s) => s.op.op === 'memAlloc' && s.op.args['pageSize'] !== 'default' && s.op.args['pageSize'] !== '4K' && refusedWith(s, 'NV_ERR_INVALID_ARGUMENT'),
  },
  {
    // The three places where work done so far must be undone: the page loop (its pages freed), the IOMMU map loop
    // (its chunks unmapped) and the vmap of alloc-and-map (the allocation freed).
    name: 'failsPartWay',
    description: 'a page or mapping step fails after part of the work was done (pages made, chunks IOMMU-mapped, or the allocation before its vmap): all of it undone',
    minShare: 0.21,
    test: (s) => {
      if (allocating(s) && refusedWith(s, 'NV_ERR_NO_MEMORY')) {
        // Fallible steps 0-2 come before the page loop: a page failing at index > 3 follows a page that was made;
        // a failure with no fault injected is the machine running out of DMA pages, after one was made if any were free.
        if (s.faults.some((f) => f.site === 'uvm_gpu_dma_alloc_page' && f.index > 3)) return true;
        if (s.faults.length === 0 && s.before.mem.dmaPagesFree > 0n) return true;
        if (s.op.op === 'memAllocAndMapCpu' && failedAt(s, 'vmap')) return true;
      }
      // Index 0 is mem_alloc_dma_addrs, 1 the first chunk's IOMMU map.
      return s.op.op === 'memMapGpu' && s.faults.some((f) => f.site === 'uvm_parent_gpu_map_cpu_pages' && f.index > 1);
    },
  },
  {
    name: 'decryptedCpuMapping',
    description: 'a kernel CPU mapping (vmap) of DMA sysmem is made under SEV, where it must be decrypted',
    minShare: 0.1,
    test: (s) => s.after.mem.sevEnabled && s.after.mem.cpuVmaps.length > s.before.mem.cpuVmaps.length,
  },
  {
    name: 'multiGpuMappingTornDown',
    description: 'an allocation mapped on its owner and another GPU is freed, or unmapped from (or loses) that GPU',
    minShare: 0.035,
    test: (s) => {
      if (s.op.op === 'memFree') return bitsOf(memBefore(s)?.mappedOnPhys ?? 0).length >= 2;
      const o = typedOp(vaSpaceSignatures, s.op);
      if (o?.op === 'memUnmapGpuPhys' || o?.op === 'unregisterGpu') {
        const gpu = o.args.gpu;
        return s.result.ok && iommuMapped(s.after, gpu) < iommuMapped(s.before, gpu);
      }
      return false;
    },
  },
  {
    // The calls mappingCallsDoWhatTheyAsk is about, where they change something: a seeded bug that makes them do
    // nothing is seen only here.
    name: 'cpuMappingChanged',
    description: 'memMapCpu maps an allocation that was not CPU-mapped, or memUnmapCpu unmaps one that was',
    minShare: 0.09,
    test: (s) => (s.op.op === 'memMapCpu' || s.op.op === 'memUnmapCpu') && s.result.ok && memBefore(s)?.cpuKernelMapped === (s.op.op === 'memUnmapCpu'),
  },
  {
    name: 'gpuMappingTakenAway',
    description: 'memUnmapGpu removes a kernel mapping, or memUnmapGpuPhys an IOMMU mapping, from a GPU that had one',
    minShare: 0.02,
    test: (s) => {
      const m = memBefore(s);
      const o = typedOp(vaSpaceSignatures, s.op);
      if (o?.op === 'memUnmapGpu') return s.result.ok && ((m?.kernelMappedOn ?? 0) & (1 << o.args.gpu)) !== 0;
      return o?.op === 'memUnmapGpuPhys' && s.result.ok && m?.dmaOwner !== o.args.gpu && ((m?.mappedOnPhys ?? 0) & (1 << o.args.gpu)) !== 0;
    },
  },
  {
    // unregister_gpu must take away only the leaving GPU's mappings (registrationCallsDoWhatTheyAsk).
    name: 'unregisterBesideOtherMappings',
    description: 'a GPU is unregistered while another non-owner GPU has the VA space\'s allocations mapped',
    minShare: 0.12,
    test: (s) => {
      const unregister = argsOf(vaSpaceSignatures, s.op, 'unregisterGpu');
      if (unregister === undefined || !s.result.ok) return false;
      const g = unregister.gpu;
      return [...s.before.mem.mems.values()].some((m) => bitsOf(m.mappedOnPhys).some((h) => h !== g && h !== m.dmaOwner));
    },
  },
  {
    name: 'unregisteredGpuRefused',
    description: 'a call names a GPU that is not registered and is refused with NV_ERR_INVALID_DEVICE',
    minShare: 0.29,
    test: (s) => s.op.op !== 'registerGpu' && refusedWith(s, 'NV_ERR_INVALID_DEVICE'),
  },
];
