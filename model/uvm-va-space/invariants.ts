// Invariants of a UVM VA space and its sysmem DMA allocations, each named for what it protects.

import type { Result } from '../common/result.js';
import { argsOf, typedOp, type ArgsOf } from '../common/schema.js';
import type { Invariant } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { PAGE_SIZE, uvmMemInvariants, type UvmMemSpace } from '../uvm-mem/index.js';
import { vaSpaceSignatures } from './operations.js';
import {
  CPU,
  formatMask,
  GPU_COUNT,
  GPUS,
  gpuProc,
  gpuProcBit,
  isRegistered,
  liveMems,
  NVLINK_PEER_PAIRS,
  pairBit,
  PROC_COUNT,
  procBit,
  procName,
  registeredGpus,
  type GpuInfo,
  type VaSpaceState,
} from './state.js';

const S000 = '000_e4d5058719a42ede.txt';
const S003 = '003_af321b1ea2953044.txt';

/** The processor masks a VA space has, as one value. */
export interface ProcessorMasks {
  canAccess: number[];
  accessibleFrom: number[];
  canCopyFrom: number[];
  hasNativeAtomics: number[];
  hasNvlink: number[];
  faultable: number;
  systemWideAtomics: number;
  enabledPeers: number;
}

const MASK_ARRAYS = [
  ['canAccess', 'can_access'],
  ['accessibleFrom', 'accessible_from'],
  ['canCopyFrom', 'can_copy_from'],
  ['hasNativeAtomics', 'has_native_atomics'],
  ['hasNvlink', 'has_nvlink'],
] as const;

/**
 * The masks a VA space must have, given only which GPUs are registered: the CPU's own bits from creation,
 * each GPU's bits from uvm_va_space_register_gpu, and both directions of every NVLink peer pair whose GPUs
 * are both registered. Written as rules per processor pair, independently of how registration sets them.
 */
export function expectedMasks(registered: number): ProcessorMasks {
  const reg = (g: number) => (registered & gpuProcBit(g)) !== 0;
  const info = (g: number) => GPUS[g] as GpuInfo;
  const peersEnabled = (a: number, b: number) => reg(a) && reg(b) && NVLINK_PEER_PAIRS.some(([x, y]) => (x === a && y === b) || (x === b && y === a));
  const m: ProcessorMasks = {
    canAccess: Array.from({ length: PROC_COUNT }, () => 0),
    accessibleFrom: Array.from({ length: PROC_COUNT }, () => 0),
    canCopyFrom: Array.from({ length: PROC_COUNT }, () => 0),
    hasNativeAtomics: Array.from({ length: PROC_COUNT }, () => 0),
    hasNvlink: Array.from({ length: PROC_COUNT }, () => 0),
    faultable: procBit(CPU),
    systemWideAtomics: procBit(CPU),
    enabledPeers: 0,
  };
  const set = (arr: number[], row: number, p: number) => {
    arr[row] = (arr[row] ?? 0) | procBit(p);
  };
  set(m.canAccess, CPU, CPU);
  set(m.canCopyFrom, CPU, CPU);
  set(m.hasNativeAtomics, CPU, CPU);
  for (let g = 0; g < GPU_COUNT; g++) {
    if (!reg(g)) continue;
    const p = gpuProc(g);
    const gi = info(g);
    if (gi.replayableFaults) {
      m.faultable |= procBit(p);
      m.systemWideAtomics |= procBit(p);
    }
    set(m.canAccess, p, p);
    if (!gi.cc) set(m.canAccess, p, CPU);
    if (gi.coherent && gi.numa) {
      set(m.canAccess, CPU, p);
      set(m.hasNativeAtomics, CPU, p);
    }
    set(m.canCopyFrom, p, p);
    set(m.canCopyFrom, p, CPU);
    set(m.canCopyFrom, CPU, p);
    set(m.hasNativeAtomics, p, p);
    if (gi.coherent) set(m.hasNativeAtomics, p, CPU);
    if (gi.sysmemNvlink) {
      set(m.hasNvlink, p, CPU);
      set(m.hasNvlink, CPU, p);
    }
    for (let h = 0; h < GPU_COUNT; h++) {
      if (h === g || !peersEnabled(g, h)) continue;
      const q = gpuProc(h);
      set(m.canAccess, p, q);
      set(m.canCopyFrom, p, q);
      set(m.hasNativeAtomics, p, q);
      set(m.hasNvlink, p, q);
      m.enabledPeers |= pairBit(g, h);
    }
  }
  // accessible_from is can_access transposed: p's memory is accessible from q exactly when q can access p.
  for (let p = 0; p < PROC_COUNT; p++)
    for (let q = 0; q < PROC_COUNT; q++) if ((m.canAccess[q] ?? 0) & procBit(p)) set(m.accessibleFrom, p, q);
  return m;
}

/**
 * va_space_check_processors_masks (uvm_va_space.c): the relations every VA space's masks keep. Returns the
 * first one that does not hold. Used to validate `expectedMasks` itself, in the subsystem's tests.
 */
export function processorMaskRelationsViolation(m: ProcessorMasks, registered: number): string | undefined {
  const test = (arr: number[], row: number, p: number) => ((arr[row] ?? 0) & procBit(p)) !== 0;
  const subset = (a: number, b: number) => (a & ~b) === 0;
  const procs = [CPU, ...registeredGpuProcs(registered)];
  for (const p of procs) {
    const n = procName(p);
    if (!test(m.canAccess, p, p)) return `can_access[${n}] lacks ${n}`;
    if (!test(m.accessibleFrom, p, p)) return `accessible_from[${n}] lacks ${n}`;
    if (!test(m.canCopyFrom, p, p) || !test(m.canCopyFrom, p, CPU) || !test(m.canCopyFrom, CPU, p)) return `can_copy_from misses ${n}/cpu`;
    if (test(m.hasNvlink, p, p)) return `has_nvlink[${n}] holds ${n}`;
    if (!subset(m.hasNvlink[p] ?? 0, m.canCopyFrom[p] ?? 0)) return `has_nvlink[${n}] is not within can_copy_from[${n}]`;
    if (!test(m.hasNativeAtomics, p, p)) return `has_native_atomics[${n}] lacks ${n}`;
    if (!subset(m.hasNativeAtomics[p] ?? 0, m.canCopyFrom[p] ?? 0)) return `has_native_atomics[${n}] is not within can_copy_from[${n}]`;
    if (!subset(m.hasNativeAtomics[p] ?? 0, m.canAccess[p] ?? 0)) return `has_native_atomics[${n}] is not within can_access[${n}]`;
    for (let q = 0; q < PROC_COUNT; q++) {
      if (test(m.canAccess, p, q) && !test(m.accessibleFrom, q, p)) return `can_access[${n}] holds ${procName(q)} but accessible_from[${procName(q)}] lacks ${n}`;
      if (test(m.accessibleFrom, p, q) && !test(m.canAccess, q, p)) return `accessible_from[${n}] holds ${procName(q)} but can_access[${procName(q)}] lacks ${n}`;
    }
  }
  return undefined;
}

function registeredGpuProcs(registered: number): number[] {
  const out: number[] = [];
  for (let g = 0; g < GPU_COUNT; g++) if (registered & gpuProcBit(g)) out.push(gpuProc(g));
  return out;
}

/** Sites of the fallible steps uvm_va_space_register_gpu takes before the VA space lock (before any check). */
const PRE_LOCK_SITES = new Set(['uvm_gpu_retain_by_uuid', 'uvm_gpu_access_counters_enable']);

function failedBeforeChecks(faults: readonly { site: string }[]): boolean {
  return faults.some((f) => PRE_LOCK_SITES.has(f.site));
}

function isError(result: Result, code: string): boolean {
  return !result.ok && result.error === code;
}

/** Everything registration may touch, as one comparable string. */
function registrationFingerprint(s: VaSpaceState): string {
  return JSON.stringify({
    registered: s.registered,
    masks: [s.canAccess, s.accessibleFrom, s.canCopyFrom, s.hasNativeAtomics, s.hasNvlink, s.faultable, s.systemWideAtomics, s.enabledPeers],
    disallow: s.disallowNewRegisters,
    unregisterDmaBuffer: s.unregisterDmaBuffer,
    ccPoolTaken: s.ccPoolTaken,
    peersToRelease: s.peersToRelease,
    gpuRetained: s.gpuRetained,
    accessCounterRefs: s.accessCounterRefs,
    mem: memFingerprint(s.mem),
  });
}

/** The allocations, their pages and every mapping, as one comparable string. */
function memFingerprint(m: UvmMemSpace): string {
  return JSON.stringify(
    {
      mems: [...m.mems.values()].map((x) => ({ ...x })),
      free: m.dmaPagesFree,
      acct: m.mappedCpuPagesSize,
      ptes: m.gpuKernelPtes,
      iommu: m.iommuMappings,
      vmaps: m.cpuVmaps,
    },
    (_k, v: unknown) => (typeof v === 'bigint' ? '0x' + v.toString(16) : v),
  );
}

const gpuName = (g: number) => (GPUS[g] as GpuInfo).name;
const hex = (x: bigint) => '0x' + x.toString(16);
const isAllocOp = (op: string) => op === 'memAlloc' || op === 'memAllocAndMapCpu';

/** The arguments of an allocation call (memAlloc or memAllocAndMapCpu), else undefined. */
function allocArgs(op: Operation): ArgsOf<typeof vaSpaceSignatures.memAllocAndMapCpu> | undefined {
  return argsOf(vaSpaceSignatures, op, 'memAlloc') ?? argsOf(vaSpaceSignatures, op, 'memAllocAndMapCpu');
}

/** The GPU registration names (registerGpu, unregisterGpu), else undefined. */
function registrationGpu(op: Operation): number | undefined {
  return (argsOf(vaSpaceSignatures, op, 'registerGpu') ?? argsOf(vaSpaceSignatures, op, 'unregisterGpu'))?.gpu;
}

/** The sysmem invariants (model/uvm-mem), on the VA space's allocations. */
const sysmem = uvmMemInvariants<VaSpaceState>({ mem: (s) => s.mem, gpuName });

/** What must hold after every step, and what a refused or failed call must (not) do. */
const vaSpaceStateInvariants: readonly Invariant<VaSpaceState>[] = [
  // ----- registration -----
  {
    // 000, "uvm_va_space_register_gpu": "Make sure the gpu hasn't been already registered" -> NV_ERR_INVALID_DEVICE.
    name: 'doubleRegistrationIsRejected',
    source: `${S000} § uvm_va_space_register_gpu (registered_gpus test -> NV_ERR_INVALID_DEVICE)`,
    check: ({ op, before, result, faults }) => {
      const register = argsOf(vaSpaceSignatures, op, 'registerGpu');
      if (register === undefined) return undefined;
      const g = register.gpu;
      if (!isRegistered(before, g) || failedBeforeChecks(faults)) return undefined;
      return isError(result, 'NV_ERR_INVALID_DEVICE')
        ? undefined
        : `${gpuName(g)} was already registered, yet registering it again returned ${result.ok ? 'OK' : result.error}`;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu": "Mixing coherent and non-coherent GPUs is not supported".
    name: 'coherentAndNonCoherentNeverMix',
    source: `${S000} § uvm_va_space_register_gpu (uvm_parent_gpu_is_coherent mismatch -> NV_ERR_INVALID_DEVICE)`,
    check: ({ op, before, after, result, faults }) => {
      const regs = registeredGpus(after);
      const coherent = regs.filter((g) => (GPUS[g] as GpuInfo).coherent);
      if (coherent.length > 0 && coherent.length < regs.length)
        return `coherent {${coherent.map(gpuName).join(' ')}} and non-coherent GPUs are registered together`;
      const register = argsOf(vaSpaceSignatures, op, 'registerGpu');
      if (register === undefined || failedBeforeChecks(faults)) return undefined;
      const g = register.gpu;
      const clash = registeredGpus(before).find((o) => (GPUS[o] as GpuInfo).coherent !== (GPUS[g] as GpuInfo).coherent);
      if (clash !== undefined && !isError(result, 'NV_ERR_INVALID_DEVICE'))
        return `registering ${gpuName(g)} next to ${gpuName(clash)} (other coherence) returned ${result.ok ? 'OK' : result.error}`;
      return undefined;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu": "The VA space's mm is being torn down" -> NV_ERR_PAGE_TABLE_NOT_AVAIL;
    // uvm_va_space_mm_shutdown sets disallow_new_registers before it tears anything down.
    name: 'noRegistrationAfterTeardown',
    source: `${S000} § uvm_va_space_register_gpu (disallow_new_registers -> NV_ERR_PAGE_TABLE_NOT_AVAIL)`,
    check: ({ op, before, after, result, faults }) => {
      const register = argsOf(vaSpaceSignatures, op, 'registerGpu');
      if (register === undefined || before.mmAlive) return undefined;
      const g = register.gpu;
      if (result.ok || after.registered !== before.registered) return `${gpuName(g)} was registered after the VA space's mm was torn down`;
      if (failedBeforeChecks(faults) || result.error === 'NV_ERR_INVALID_DEVICE') return undefined;
      return result.error === 'NV_ERR_PAGE_TABLE_NOT_AVAIL' ? undefined : `registration after mm teardown returned ${result.error}, not NV_ERR_PAGE_TABLE_NOT_AVAIL`;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu": with CC on, gpu_can_access_sysmem = false, so neither direction is set.
    name: 'ccGpuNeverAccessesSysmem',
    source: `${S000} § uvm_va_space_register_gpu (uvm_conf_computing_mode_enabled -> gpu_can_access_sysmem = false)`,
    check: ({ after }) => {
      for (const g of registeredGpus(after)) {
        if (!(GPUS[g] as GpuInfo).cc) continue;
        const p = gpuProc(g);
        if ((after.canAccess[p] ?? 0) & procBit(CPU)) return `CC ${gpuName(g)} has the CPU in can_access[${gpuName(g)}] (direct access to protected sysmem)`;
        if ((after.accessibleFrom[CPU] ?? 0) & procBit(p)) return `accessible_from[cpu] holds CC ${gpuName(g)}`;
      }
      return undefined;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu": a CC GPU takes gpu_unregister_dma_buffer from its pool; unregister_gpu
    // (uvm_va_space.c) gives it back with uvm_conf_computing_dma_buffer_free.
    name: 'ccGpuHoldsItsUnregisterBuffer',
    source: `${S000} § uvm_va_space_register_gpu (uvm_conf_computing_dma_buffer_alloc into gpu_unregister_dma_buffer)`,
    check: ({ after }) => {
      for (let g = 0; g < GPU_COUNT; g++) {
        const should = isRegistered(after, g) && (GPUS[g] as GpuInfo).cc;
        if (after.unregisterDmaBuffer[g] !== should)
          return should ? `CC ${gpuName(g)} is registered without its unregister DMA buffer` : `${gpuName(g)} is not registered but gpu_unregister_dma_buffer[${gpuName(g)}] is set`;
        const taken = after.ccPoolTaken[g] ?? 0;
        if (taken !== (should ? 1 : 0)) return `the VA space holds ${taken} buffers of ${gpuName(g)}'s DMA pool, not ${should ? 1 : 0}`;
      }
      return undefined;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu": goto cleanup -> unregister_gpu; done -> access counters disable and
    // uvm_gpu_release. A failed registration leaves no bit, buffer, reference or mapping behind.
    name: 'failedRegistrationLeavesNoTrace',
    source: `${S000} § uvm_va_space_register_gpu (cleanup: unregister_gpu; done: uvm_gpu_access_counters_disable, uvm_gpu_release)`,
    check: ({ op, before, after, result }) => {
      const register = argsOf(vaSpaceSignatures, op, 'registerGpu');
      if (register === undefined || result.ok) return undefined;
      const b = JSON.parse(registrationFingerprint(before)) as Record<string, unknown>;
      const a = JSON.parse(registrationFingerprint(after)) as Record<string, unknown>;
      const changed = Object.keys(b).filter((k) => JSON.stringify(b[k]) !== JSON.stringify(a[k]));
      return changed.length === 0 ? undefined : `registering ${gpuName(register.gpu)} failed with ${result.error} but changed: ${changed.join(', ')}`;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu" (every processor_mask_array_set) with uvm_va_space.c's unregister_gpu,
    // enable_peers and disable_peers: the masks are a function of which GPUs are registered.
    name: 'masksMatchRegisteredGpus',
    source: `${S000} § uvm_va_space_register_gpu (processor_mask_array_set of can_access, accessible_from, can_copy_from, ...)`,
    check: ({ after }) => {
      if (!after.created) return undefined;
      const want = expectedMasks(after.registered);
      for (const [key, kname] of MASK_ARRAYS) {
        for (let p = 0; p < PROC_COUNT; p++) {
          const have = after[key][p] ?? 0;
          const should = want[key][p] ?? 0;
          if (have !== should) return `${kname}[${procName(p)}] is ${formatMask(have)} but the registered GPUs give ${formatMask(should)}`;
        }
      }
      if (after.faultable !== want.faultable) return `faultable_processors is ${formatMask(after.faultable)}, not ${formatMask(want.faultable)}`;
      if (after.systemWideAtomics !== want.systemWideAtomics) return `system_wide_atomics_enabled_processors is ${formatMask(after.systemWideAtomics)}, not ${formatMask(want.systemWideAtomics)}`;
      if (after.enabledPeers !== want.enabledPeers) return `enabled_peers is 0x${after.enabledPeers.toString(16)}, not 0x${want.enabledPeers.toString(16)}`;
      return undefined;
    },
  },
  {
    // 003, "va_space_create": "CPU is not explicitly registered in the va space" — its own bits are set at creation.
    name: 'cpuAlwaysAccessesItself',
    source: `${S003} § va_space_create (uvm_processor_mask_set of can_access, accessible_from, can_copy_from, has_native_atomics for the CPU)`,
    check: ({ after }) => {
      if (!after.created) return undefined;
      const cpu = procBit(CPU);
      for (const [key, kname] of MASK_ARRAYS) {
        if (key === 'hasNvlink') continue;
        if (((after[key][CPU] ?? 0) & cpu) === 0) return `${kname}[cpu] lacks the CPU`;
      }
      if ((after.faultable & cpu) === 0) return 'faultable_processors lacks the CPU';
      if ((after.systemWideAtomics & cpu) === 0) return 'system_wide_atomics_enabled_processors lacks the CPU';
      return undefined;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu": uvm_gpu_retain_by_uuid and uvm_gpu_access_counters_enable are undone on
    // failure; uvm_va_space_unregister_gpu releases both. One reference per registered GPU, none otherwise.
    name: 'gpuReferencesMatchRegistration',
    source: `${S000} § uvm_va_space_register_gpu (uvm_gpu_retain_by_uuid / uvm_gpu_release, access counters enable / disable)`,
    check: ({ after }) => {
      for (let g = 0; g < GPU_COUNT; g++) {
        const reg = isRegistered(after, g);
        if ((after.gpuRetained[g] ?? 0) !== (reg ? 1 : 0)) return `the VA space holds ${after.gpuRetained[g]} references on ${gpuName(g)} (registered: ${reg})`;
        const counters = reg && (GPUS[g] as GpuInfo).accessCountersRequired ? 1 : 0;
        if ((after.accessCounterRefs[g] ?? 0) !== counters) return `access counters of ${gpuName(g)} enabled ${after.accessCounterRefs[g]} times for this VA space, not ${counters}`;
        if (after.peersToRelease[g] !== reg) return `peers_to_release[${gpuName(g)}] is ${after.peersToRelease[g] ? 'allocated' : 'missing'} (registered: ${reg})`;
      }
      return undefined;
    },
  },
  // ----- sysmem DMA allocations -----
  {
    // 000, "uvm_mem_alloc": UVM_ASSERT(params->size > 0).
    name: 'zeroSizeAllocationIsRejected',
    source: `${S000} § uvm_mem_alloc (UVM_ASSERT(params->size > 0))`,
    check: ({ op, before, after, result }) => {
      for (const m of after.mem.mems.values()) if (m.size === 0n) return `m${m.id} is a zero-size allocation`;
      const alloc = allocArgs(op);
      if (alloc === undefined || alloc.size !== 0n) return undefined;
      if (result.ok) return 'uvm_mem_alloc of size 0 succeeded';
      if (isRegistered(before, alloc.owner) && result.error !== 'NV_ERR_INVALID_ARGUMENT') return `uvm_mem_alloc of size 0 returned ${result.error}`;
      return undefined;
    },
  },
  {
    // 000, "mem_alloc_sysmem_dma_chunks": UVM_ASSERT_MSG(mem->chunk_size == PAGE_SIZE, "... PAGE_SIZE is only supported").
    name: 'dmaChunkIsOnePage',
    source: `${S000} § mem_alloc_sysmem_dma_chunks (chunk_size == PAGE_SIZE; one uvm_gpu_dma_alloc_page per chunk)`,
    check: ({ op, after, result }) => {
      for (const m of after.mem.mems.values())
        if (m.chunkSize !== PAGE_SIZE) return `m${m.id} has chunk_size ${hex(m.chunkSize)}, but a DMA chunk is one ${hex(PAGE_SIZE)} page`;
      if (op.op === 'memAlloc' && result.ok && op.args['pageSize'] !== 'default' && op.args['pageSize'] !== '4K')
        return `uvm_mem_alloc of DMA sysmem accepted page_size ${String(op.args['pageSize'])}`;
      return undefined;
    },
  },
  sysmem.allocationCoversRequestedSize,
  {
    // 000, "mem_alloc_sysmem_dma_chunks": err_no_mem -> mem_free_sysmem_dma_chunks; uvm_mem_alloc's error path
    // and uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel's both uvm_mem_free what was made.
    name: 'failedAllocationLeaksNothing',
    source: `${S000} § mem_alloc_sysmem_dma_chunks (error: mem_free_sysmem_dma_chunks) / uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel`,
    check: ({ op, before, after, result }) => {
      if (!isAllocOp(op.op) || result.ok) return undefined;
      if (after.mem.dmaPagesFree !== before.mem.dmaPagesFree)
        return `failed allocation kept ${before.mem.dmaPagesFree - after.mem.dmaPagesFree} coherent DMA pages`;
      return memFingerprint(after.mem) === memFingerprint(before.mem) ? undefined : 'failed allocation left an allocation, a mapping or page accounting behind';
    },
  },
  sysmem.mappedCpuPagesSizeIsExact,
  sysmem.cpuMappingIsDecryptedUnderEncryption,
  sysmem.noMappingOutlivesItsMemory,
  {
    // 000, "uvm_va_space_register_gpu" (registration is what makes a GPU usable) with uvm_va_range_unregister_gpu,
    // which uvm_mem_unmap_gpu_phys()es the VA space's allocations from a GPU that leaves.
    name: 'noMappingOnUnregisteredGpu',
    source: `${S000} § uvm_va_space_register_gpu; uvm_va_range.c uvm_va_range_unregister_gpu (uvm_mem_unmap_gpu_phys)`,
    check: ({ after }) => {
      for (let g = 0; g < GPU_COUNT; g++) {
        if (isRegistered(after, g)) continue;
        const pte = after.mem.gpuKernelPtes[g] ?? [];
        if (pte.length > 0) return `${gpuName(g)} is not registered but its kernel page tables map m${pte[0]}`;
        const io = after.mem.iommuMappings[g] ?? [];
        if (io.length > 0) return `${gpuName(g)} is not registered but holds IOMMU mappings of m${io[0]}`;
      }
      for (const m of after.mem.mems.values()) if (!isRegistered(after, m.dmaOwner)) return `m${m.id} is owned by unregistered ${gpuName(m.dmaOwner)}`;
      return undefined;
    },
  },
  {
    // 000, uvm_mem_map_cpu_kernel / uvm_mem_map_gpu_kernel ("mem_set_mapped_on_*": a no-op when already mapped) and
    // uvm_mem.c's unmap and free calls: a call that succeeds leaves the allocation as it asked, on the processor it named.
    name: 'mappingCallsDoWhatTheyAsk',
    source: `${S000} § uvm_mem_map_cpu_kernel, uvm_mem_map_gpu_kernel; uvm_mem.c uvm_mem_unmap_cpu_kernel, uvm_mem_unmap_gpu_kernel, uvm_mem_unmap_gpu_phys, uvm_mem_free`,
    check: ({ op, before, after, result }) => {
      const call = typedOp(vaSpaceSignatures, op);
      if (!result.ok || call === undefined || !('slot' in call.args) || !MEM_CALLS.has(op.op)) return undefined;
      const ids = liveMems(before);
      const id = ids[call.args.slot % ids.length];
      if (id === undefined) return undefined;
      const m = after.mem.mems.get(id);
      if (op.op === 'memFree') return m === undefined ? undefined : `m${id} is still allocated after memFree returned OK`;
      if (m === undefined) return `m${id} is gone after ${op.op} returned OK`;
      // memMapCpu, memUnmapCpu and memFree name no GPU: their cases below look at neither `bit` nor `where`.
      const g = 'gpu' in call.args ? call.args.gpu : -1;
      const bit = 1 << g;
      const where = op.op === 'memMapCpu' || op.op === 'memUnmapCpu' ? '' : `on ${gpuName(g)}`;
      switch (op.op) {
        case 'memMapCpu':
          return m.cpuKernelMapped ? undefined : `m${id} is not mapped on the CPU after memMapCpu returned OK`;
        case 'memUnmapCpu':
          return m.cpuKernelMapped ? `m${id} is still mapped on the CPU after memUnmapCpu` : undefined;
        case 'memMapGpu':
          if ((m.kernelMappedOn & bit) === 0) return `m${id} has no kernel mapping ${where} after memMapGpu returned OK`;
          return g === m.dmaOwner || (m.mappedOnPhys & bit) !== 0 ? undefined : `m${id} is kernel-mapped ${where} without being mapped there physically`;
        case 'memUnmapGpu':
          return (m.kernelMappedOn & bit) === 0 ? undefined : `m${id} is still kernel-mapped ${where} after memUnmapGpu`;
        default:
          // On the DMA owner the call does nothing: that mapping is dma_alloc_coherent's and goes with the pages
          // (uvm_mem.c returns before the kernel unmap, although uvm_mem.h says a physical unmap clears them all).
          if (g === m.dmaOwner) return undefined;
          if ((m.kernelMappedOn & bit) !== 0) return `m${id} is still kernel-mapped ${where} after memUnmapGpuPhys`;
          return (m.mappedOnPhys & bit) === 0 ? undefined : `m${id} is still mapped physically ${where} after memUnmapGpuPhys`;
      }
    },
  },
];

const MEM_CALLS = new Set(['memMapCpu', 'memUnmapCpu', 'memMapGpu', 'memUnmapGpu', 'memUnmapGpuPhys', 'memFree']);

// ----- what each successful call did (effect rules) -----

/** The NVLink peer pairs of `g` whose other GPU is registered in `registered`: what enable_peers turns on. */
function pairsWithRegisteredPeers(g: number, registered: number): number {
  let bits = 0;
  for (const [a, b] of NVLINK_PEER_PAIRS) {
    if (a !== g && b !== g) continue;
    const other = a === g ? b : a;
    if (registered & gpuProcBit(other)) bits |= pairBit(a, b);
  }
  return bits;
}

/** Every peer pair `g` belongs to. */
function pairsOf(g: number): number {
  return NVLINK_PEER_PAIRS.filter(([a, b]) => a === g || b === g).reduce((m, [a, b]) => m | pairBit(a, b), 0);
}

/** Per-GPU counters of one GPU changed by `delta`, every other GPU's unchanged; the first difference, if any. */
function perGpuChange(name: string, before: readonly (number | boolean)[], after: readonly (number | boolean)[], g: number, want: number | boolean): string | undefined {
  for (let h = 0; h < GPU_COUNT; h++) {
    const should = h === g ? want : before[h];
    if (after[h] !== should) return `${name}[${gpuName(h)}] is ${String(after[h])}, not ${String(should)}`;
  }
  return undefined;
}

const bitOf = (g: number) => 1 << g;
const json = (v: unknown) => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? '0x' + x.toString(16) : x));

/** The registration-side effects of registerGpu / unregisterGpu on `g`, given the wanted registered mask. */
function registrationEffect(before: VaSpaceState, after: VaSpaceState, g: number, registering: boolean): string | undefined {
  const info = GPUS[g] as GpuInfo;
  const sign = registering ? 1 : -1;
  const want = registering ? before.registered | gpuProcBit(g) : before.registered & ~gpuProcBit(g);
  if (after.registered !== want) return `registered_gpus is ${formatMask(after.registered)}, not ${formatMask(want)}`;
  return (
    perGpuChange('references', before.gpuRetained, after.gpuRetained, g, (before.gpuRetained[g] ?? 0) + sign) ??
    perGpuChange('access-counter enablements', before.accessCounterRefs, after.accessCounterRefs, g, (before.accessCounterRefs[g] ?? 0) + (info.accessCountersRequired ? sign : 0)) ??
    perGpuChange('gpu_unregister_dma_buffer', before.unregisterDmaBuffer, after.unregisterDmaBuffer, g, registering && info.cc) ??
    perGpuChange('buffers taken from the CC pool', before.ccPoolTaken, after.ccPoolTaken, g, (before.ccPoolTaken[g] ?? 0) + (info.cc ? sign : 0)) ??
    perGpuChange('peers_to_release', before.peersToRelease, after.peersToRelease, g, registering) ??
    (() => {
      const peers = registering ? before.enabledPeers | pairsWithRegisteredPeers(g, before.registered) : before.enabledPeers & ~pairsOf(g);
      if (after.enabledPeers !== peers) return `enabled_peers is 0x${after.enabledPeers.toString(16)}, not 0x${peers.toString(16)}`;
      if (after.disallowNewRegisters !== before.disallowNewRegisters || after.mmAlive !== before.mmAlive) return 'the mm state changed';
      return undefined;
    })()
  );
}

/** unregister_gpu's effect on the allocations: g's kernel and IOMMU mappings gone, everything else as it was. */
function unmappedFromOnly(before: UvmMemSpace, after: UvmMemSpace, g: number): string | undefined {
  for (const m of before.mems.values()) {
    const now = after.mems.get(m.id);
    if (now === undefined) return `m${m.id} was freed`;
    const keep = m.dmaOwner === g ? ~0 : ~bitOf(g);
    if (now.kernelMappedOn !== (m.kernelMappedOn & ~bitOf(g)) || now.mappedOnPhys !== (m.mappedOnPhys & keep) || now.cpuKernelMapped !== m.cpuKernelMapped)
      return `m${m.id}: kernel-mapped on {${bitsOfMask(now.kernelMappedOn)}}, phys on {${bitsOfMask(now.mappedOnPhys)}}, expected only ${gpuName(g)} taken away from {${bitsOfMask(m.kernelMappedOn)}} / {${bitsOfMask(m.mappedOnPhys)}}`;
  }
  if (after.mems.size !== before.mems.size) return 'an allocation appeared';
  for (let h = 0; h < GPU_COUNT; h++) {
    if (h === g) continue;
    if (json(after.gpuKernelPtes[h]) !== json(before.gpuKernelPtes[h]) || json(after.iommuMappings[h]) !== json(before.iommuMappings[h])) return `${gpuName(h)}'s mappings changed`;
    if (after.mappedCpuPagesSize[h] !== before.mappedCpuPagesSize[h]) return `${gpuName(h)}'s mapped_cpu_pages_size changed`;
  }
  return json(after.cpuVmaps) === json(before.cpuVmaps) && after.dmaPagesFree === before.dmaPagesFree ? undefined : 'the CPU mappings or the DMA pages changed';
}

const bitsOfMask = (mask: number) => GPUS.map((_, g) => g).filter((g) => mask & bitOf(g)).map(gpuName).join(' ');

/** The GPU of the VA space a call names (the `gpu` it acts on, or the `owner` of an allocation); undefined for the others. */
function gpuNamedBy(op: Operation): number | undefined {
  const o = typedOp(vaSpaceSignatures, op);
  switch (o?.op) {
    case 'unregisterGpu':
    case 'memMapGpu':
    case 'memUnmapGpu':
    case 'memUnmapGpuPhys':
      return o.args.gpu;
    case 'memAlloc':
    case 'memAllocAndMapCpu':
      return o.args.owner;
    default:
      return undefined;
  }
}

/** The fallible step whose failure gives NV_ERR_OPERATING_SYSTEM (a DMA mapping error); every other gives NV_ERR_NO_MEMORY. */
const IOMMU_MAP_SITE = 'uvm_parent_gpu_map_cpu_pages';

/** What each call that succeeds did (and the refusal of a GPU the VA space does not have). */
const vaSpaceEffectInvariants: readonly Invariant<VaSpaceState>[] = [
  {
    // 000: every fallible step of uvm_va_space_register_gpu, uvm_mem_alloc and the mapping calls returns its status
    // to the caller (goto error / done with that status): allocations NV_ERR_NO_MEMORY; uvm_gpu.c's
    // uvm_parent_gpu_map_cpu_pages NV_ERR_OPERATING_SYSTEM on a DMA mapping error. No failure is swallowed.
    name: 'failureReportsTheFailedStep',
    source: `${S000} § uvm_va_space_register_gpu (status of each step), mem_alloc_sysmem_dma_chunks (NV_ERR_NO_MEMORY); uvm_gpu.c uvm_parent_gpu_map_cpu_pages (NV_ERR_OPERATING_SYSTEM)`,
    check: ({ op, result, faults }) => {
      const failed = faults[faults.length - 1];
      if (failed === undefined) return undefined;
      if (result.ok) return `${op.op} returned OK although ${failed.site} failed`;
      const expected = failed.site === IOMMU_MAP_SITE ? 'NV_ERR_OPERATING_SYSTEM' : 'NV_ERR_NO_MEMORY';
      return result.error === expected ? undefined : `${op.op} failed with ${result.error}, but the step that ended it, ${failed.site}, gives ${expected}`;
    },
  },
  {
    // 003, "va_space_create": a new VA space has only the CPU; 000, "mem_map_cpu_to_sysmem_kernel": whether the
    // machine encrypts memory (g_uvm_global.sev_enabled) is what decides the protection of every later CPU mapping.
    name: 'createStartsAnEmptyVaSpace',
    source: `${S003} § va_space_create (uvm_kvmalloc_zero, only the CPU's bits); ${S000} § mem_map_cpu_to_sysmem_kernel (g_uvm_global.sev_enabled)`,
    check: ({ op, after, result }) => {
      if (op.op !== 'create') return undefined;
      if (!result.ok) return after.created ? `create failed with ${result.error} but a VA space exists` : undefined;
      if (!after.created) return 'create returned OK without a VA space';
      if (!after.mmAlive || after.disallowNewRegisters) return 'a new VA space starts with its mm torn down';
      if (after.registered !== 0) return `a new VA space has GPUs registered: ${formatMask(after.registered)}`;
      if (after.mem.sevEnabled !== op.args['sevEnabled'])
        return `the machine ${op.args['sevEnabled'] === true ? 'encrypts' : 'does not encrypt'} memory but the VA space records sev_enabled=${after.mem.sevEnabled}`;
      if (after.mem.mems.size !== 0 || after.mem.dmaPagesFree !== after.mem.dmaPagesTotal) return 'a new VA space starts with allocations';
      return undefined;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu" (retain, counters, CC buffer, masks, enable_peers with registered NVLink peers)
    // and uvm_va_space.c's uvm_va_space_unregister_gpu / unregister_gpu (the reverse, and the GPU's mappings of the
    // VA space's allocations removed by uvm_va_range_unregister_gpu): exactly the named GPU comes or goes.
    name: 'registrationCallsDoWhatTheyAsk',
    source: `${S000} § uvm_va_space_register_gpu; uvm_va_space.c uvm_va_space_unregister_gpu, unregister_gpu; uvm_va_range.c uvm_va_range_unregister_gpu`,
    check: ({ op, before, after, result }) => {
      const g = registrationGpu(op);
      if (!result.ok || g === undefined) return undefined;
      const registering = op.op === 'registerGpu';
      if (isRegistered(before, g) === registering) return `${op.op} of ${gpuName(g)} returned OK although it was ${registering ? 'already' : 'not'} registered`;
      const error = registrationEffect(before, after, g, registering) ?? (registering ? (memFingerprint(after.mem) === memFingerprint(before.mem) ? undefined : 'the allocations changed') : unmappedFromOnly(before.mem, after.mem, g));
      return error === undefined ? undefined : `${op.op} of ${gpuName(g)} returned OK but ${error}`;
    },
  },
  {
    // uvm_va_space_mm.c uvm_va_space_mm_shutdown, with 000's disallow_new_registers test in uvm_va_space_register_gpu:
    // the teardown only stops new registrations; the GPUs already registered stay (and may be unregistered later).
    name: 'mmShutdownOnlyClosesRegistration',
    source: `${S000} § uvm_va_space_register_gpu (disallow_new_registers); uvm_va_space_mm.c uvm_va_space_mm_shutdown`,
    check: ({ op, before, after, result }) => {
      if (op.op !== 'mmShutdown' || !result.ok) return undefined;
      if (!after.disallowNewRegisters || after.mmAlive) return 'mm shutdown returned with registrations still allowed or the mm alive';
      const b = JSON.parse(registrationFingerprint(before)) as Record<string, unknown>;
      const a = JSON.parse(registrationFingerprint(after)) as Record<string, unknown>;
      const changed = Object.keys(b).filter((k) => k !== 'disallow' && JSON.stringify(b[k]) !== JSON.stringify(a[k]));
      return changed.length === 0 ? undefined : `mm shutdown also changed: ${changed.join(', ')}`;
    },
  },
  {
    // 000, "uvm_mem_alloc" / "mem_alloc_sysmem_dma_chunks" (a new uvm_mem_t of UVM_ALIGN_UP(size, PAGE_SIZE) / PAGE_SIZE
    // pages, dma_owner set, physically mapped on the owner only) and uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel
    // (then uvm_mem_map_cpu_kernel): what the new allocation is, and that nothing else changed.
    name: 'allocationCallsDoWhatTheyAsk',
    source: `${S000} § uvm_mem_alloc, mem_alloc_sysmem_dma_chunks, uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel`,
    check: ({ op, before, after, result }) => {
      const alloc = allocArgs(op);
      if (alloc === undefined || !result.ok) return undefined;
      const id = result.value as number;
      const m = after.mem.mems.get(id);
      if (m === undefined || before.mem.mems.has(id)) return `${op.op} returned m${String(id)}, which is not a new allocation`;
      const { owner, size } = alloc;
      const chunks = (size + PAGE_SIZE - 1n) / PAGE_SIZE;
      const mapCpu = op.op === 'memAllocAndMapCpu';
      if (m.dmaOwner !== owner || m.size !== size || m.chunks !== chunks)
        return `m${id} is ${hex(m.size)} B in ${m.chunks} pages owned by ${gpuName(m.dmaOwner)}; asked: ${hex(size)} B (${chunks} pages) for ${gpuName(owner)}`;
      if (m.kernelMappedOn !== 0 || m.mappedOnPhys !== bitOf(owner)) return `m${id} starts mapped on {${bitsOfMask(m.kernelMappedOn)}} / phys {${bitsOfMask(m.mappedOnPhys)}}, not only physically on its owner`;
      if (m.cpuKernelMapped !== mapCpu) return `m${id} is ${m.cpuKernelMapped ? '' : 'not '}mapped on the CPU after ${op.op}`;
      if (after.mem.dmaPagesFree !== before.mem.dmaPagesFree - chunks) return `${before.mem.dmaPagesFree - after.mem.dmaPagesFree} DMA pages were taken for ${chunks}`;
      for (const old of before.mem.mems.values()) if (json(after.mem.mems.get(old.id)) !== json(old)) return `${op.op} changed m${old.id}`;
      return undefined;
    },
  },
  {
    // 000, "uvm_va_space_register_gpu" (registration is what puts a GPU in the VA space) and uvm_va_space.c
    // uvm_va_space_unregister_gpu (NV_ERR_INVALID_DEVICE for a GPU it does not have); the model's allocation calls
    // refuse a GPU outside the VA space the same way (README, choice 9). A GPU that is registered is never refused so.
    name: 'callsNamingAnUnregisteredGpuAreRefused',
    source: `${S000} § uvm_va_space_register_gpu (registered_gpus); uvm_va_space.c uvm_va_space_unregister_gpu (NV_ERR_INVALID_DEVICE)`,
    check: ({ op, before, after, result }) => {
      const g = gpuNamedBy(op);
      if (g === undefined) return undefined;
      if (isRegistered(before, g)) {
        if (isError(result, 'NV_ERR_INVALID_DEVICE')) return `${op.op} refused registered ${gpuName(g)} as an unknown device`;
        if (op.op === 'unregisterGpu' && !result.ok) return `unregistering registered ${gpuName(g)} failed with ${result.error}`;
        return undefined;
      }
      if (!isError(result, 'NV_ERR_INVALID_DEVICE')) return `${op.op} named ${gpuName(g)}, which is not registered, and returned ${result.ok ? 'OK' : result.error}, not NV_ERR_INVALID_DEVICE`;
      return registrationFingerprint(after) === registrationFingerprint(before) ? undefined : `${op.op} refused ${gpuName(g)} but changed the VA space`;
    },
  },
];

export const vaSpaceInvariants: readonly Invariant<VaSpaceState>[] = [...vaSpaceStateInvariants, ...vaSpaceEffectInvariants];
