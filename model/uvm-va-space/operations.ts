// Operations on a UVM VA space. Each method is one kernel function, or one step of one, written from
// 000_e4d5058719a42ede.txt ("uvm_va_space_register_gpu" and the uvm_mem.c sections) and
// 003_af321b1ea2953044.txt ("va_space_create"), with the details the seeds leave out (unregister_gpu,
// uvm_va_space_unregister_gpu, uvm_va_space_mm_shutdown, enable_peers/disable_peers) taken from uvm_va_space.c
// and uvm_va_space_mm.c. Internal steps are methods so that a seeded bug can override exactly one of them.

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { bool, faultList, int, oneOf, typedOp, u64, type Signatures } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { emptyUvmMemSpace, MEM_PAGE_SIZES, UVM_MEM_575, UvmMemOps, type GpuIndex, type MemId, type MemPageSize } from '../uvm-mem/index.js';
import {
  CPU,
  DMA_PAGES_TOTAL,
  GPU_COUNT,
  GPUS,
  gpuProc,
  initialVaSpaceState,
  isRegistered,
  liveMems,
  pairBit,
  peersOf,
  procBit,
  type GpuInfo,
  type VaSpaceState,
} from './state.js';

const gpuArg = () => int(0, GPU_COUNT - 1);
const slotArg = () => int(0, 1023);

export const vaSpaceSignatures = {
  /** uvm_va_space_create (open of the UVM device file); `sevEnabled` is the machine's memory encryption. */
  create: { sevEnabled: bool(), faults: faultList() },
  /** uvm_va_space_register_gpu. */
  registerGpu: { gpu: gpuArg(), faults: faultList() },
  /** uvm_va_space_unregister_gpu. */
  unregisterGpu: { gpu: gpuArg() },
  /** uvm_va_space_mm_shutdown: the process's mm is being torn down. */
  mmShutdown: {},
  /** uvm_mem_alloc of sysmem DMA owned by `owner`, with uvm_mem_alloc_params_t.page_size = `pageSize`. */
  memAlloc: { owner: gpuArg(), size: u64(), pageSize: oneOf('default', '4K', '64K', '2M'), faults: faultList() },
  /** uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel. */
  memAllocAndMapCpu: { owner: gpuArg(), size: u64(), faults: faultList() },
  /** uvm_mem_map_cpu_kernel of the live allocation at `slot` (modulo the number live). */
  memMapCpu: { slot: slotArg(), faults: faultList() },
  /** uvm_mem_unmap_cpu_kernel. */
  memUnmapCpu: { slot: slotArg() },
  /** uvm_mem_map_gpu_kernel on `gpu`. */
  memMapGpu: { slot: slotArg(), gpu: gpuArg(), faults: faultList() },
  /** uvm_mem_unmap_gpu_kernel on `gpu`. */
  memUnmapGpu: { slot: slotArg(), gpu: gpuArg() },
  /** uvm_mem_unmap_gpu_phys on `gpu` (also removes the kernel mapping there). */
  memUnmapGpuPhys: { slot: slotArg(), gpu: gpuArg() },
  /** uvm_mem_free. */
  memFree: { slot: slotArg() },
} satisfies Signatures;

function gpu(g: number): GpuInfo {
  return GPUS[g] as GpuInfo;
}

function setIn(arr: number[], row: number, p: number): void {
  arr[row] = (arr[row] ?? 0) | procBit(p);
}

function clearIn(arr: number[], row: number, p: number): void {
  arr[row] = (arr[row] ?? 0) & ~procBit(p);
}

export class UvmVaSpaceModel implements Model<VaSpaceState> {
  /** The uvm_mem.c steps the VA space's allocations are made of. */
  protected readonly mem = this.createMemOps();

  protected createMemOps(): UvmMemOps {
    return new UvmMemOps(UVM_MEM_575);
  }

  initialState(): VaSpaceState {
    return initialVaSpaceState();
  }

  precondition(s: VaSpaceState, op: Operation): boolean {
    const o = typedOp(vaSpaceSignatures, op);
    if (o?.op === 'create') return !s.created;
    if (!s.created || o === undefined) return false;
    switch (o.op) {
      case 'registerGpu':
        return true;
      case 'unregisterGpu': {
        // The GPU that owns an allocation's pages must outlive it ("the allocation has to be unmapped from any
        // GPUs before they are released", uvm_mem.h): unregistering an owner with live allocations is outside
        // the model.
        const g = o.args.gpu;
        return ![...s.mem.mems.values()].some((m) => m.dmaOwner === g);
      }
      case 'mmShutdown':
        return s.mmAlive;
      case 'memAlloc':
      case 'memAllocAndMapCpu':
        return true;
      case 'memMapCpu':
      case 'memUnmapCpu':
      case 'memMapGpu':
      case 'memUnmapGpu':
      case 'memUnmapGpuPhys':
      case 'memFree':
        return s.mem.mems.size > 0;
    }
  }

  apply(s: VaSpaceState, op: Operation, faults: FaultPlan): Result {
    const o = typedOp(vaSpaceSignatures, op);
    if (o === undefined) return fail('UNKNOWN_OPERATION');
    switch (o.op) {
      case 'create':
        return this.create(s, o.args.sevEnabled, faults);
      case 'registerGpu':
        return this.registerGpu(s, o.args.gpu, faults);
      case 'unregisterGpu':
        return this.unregisterGpu(s, o.args.gpu);
      case 'mmShutdown':
        return this.mmShutdown(s);
      case 'memAlloc':
        return this.memAlloc(s, o.args.owner, o.args.size, o.args.pageSize, faults);
      case 'memAllocAndMapCpu':
        return this.memAllocAndMapCpu(s, o.args.owner, o.args.size, faults);
      case 'memMapCpu':
        return this.memMapCpu(s, memAt(s, o.args.slot), faults);
      case 'memUnmapCpu':
        return this.memUnmapCpu(s, memAt(s, o.args.slot));
      case 'memMapGpu':
        return this.memMapGpu(s, memAt(s, o.args.slot), o.args.gpu, faults);
      case 'memUnmapGpu':
        return this.memUnmapGpu(s, memAt(s, o.args.slot), o.args.gpu);
      case 'memUnmapGpuPhys':
        return this.memUnmapGpuPhys(s, memAt(s, o.args.slot), o.args.gpu);
      case 'memFree':
        return this.memFree(s, memAt(s, o.args.slot));
    }
  }

  // ----- VA space creation (003, "va_space_create") -----

  /**
   * uvm_va_space_create: the struct, then perf events, heuristics and the GPU-side init; any failure undoes
   * what was done and frees the VA space. The CPU is never registered explicitly: it can access, copy from
   * and atomically access its own memory from the start, is faultable and takes part in system-wide atomics.
   */
  create(s: VaSpaceState, sevEnabled: boolean, faults: FaultPlan): Result {
    if (faults.fails('uvm_kvmalloc_zero(uvm_va_space_t)')) return fail('NV_ERR_NO_MEMORY');
    if (faults.fails('uvm_perf_init_va_space_events')) return fail('NV_ERR_NO_MEMORY');
    if (faults.fails('uvm_perf_heuristics_load')) return fail('NV_ERR_NO_MEMORY');
    if (faults.fails('uvm_gpu_init_va_space')) return fail('NV_ERR_NO_MEMORY');
    Object.assign(s, initialVaSpaceState());
    s.mem = emptyUvmMemSpace(GPU_COUNT, sevEnabled, DMA_PAGES_TOTAL);
    this.initCpuMasks(s);
    s.created = true;
    return ok();
  }

  /** The CPU's own bits, set once at creation ("CPU is not explicitly registered in the va space"). */
  initCpuMasks(s: VaSpaceState): void {
    setIn(s.canAccess, CPU, CPU);
    setIn(s.accessibleFrom, CPU, CPU);
    setIn(s.canCopyFrom, CPU, CPU);
    setIn(s.hasNativeAtomics, CPU, CPU);
    s.systemWideAtomics |= procBit(CPU);
    s.faultable |= procBit(CPU);
  }

  // ----- GPU registration (000, "uvm_va_space_register_gpu") -----

  /**
   * uvm_va_space_register_gpu. The GPU is retained and (if the GPU needs them) its access counters enabled
   * before the VA space lock; then the checks, the CC buffer, the masks, NVLink peers and the heuristics.
   * Any failure after the masks were set runs unregister_gpu; any failure at all then disables the counters
   * and releases the GPU, so a failed call leaves the VA space exactly as it found it.
   */
  registerGpu(s: VaSpaceState, g: number, faults: FaultPlan): Result {
    if (faults.fails('uvm_gpu_retain_by_uuid')) return fail('NV_ERR_NO_MEMORY');
    s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) + 1;
    if (gpu(g).accessCountersRequired) {
      if (faults.fails('uvm_gpu_access_counters_enable')) {
        s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) - 1;
        return fail('NV_ERR_NO_MEMORY');
      }
      s.accessCounterRefs[g] = (s.accessCounterRefs[g] ?? 0) + 1;
    }
    const error = this.registerGpuLocked(s, g, faults);
    if (error !== undefined) {
      this.releaseAfterFailedRegistration(s, g);
      return fail(error);
    }
    return ok();
  }

  /** The part of uvm_va_space_register_gpu done under the VA space lock in write mode. */
  registerGpuLocked(s: VaSpaceState, g: number, faults: FaultPlan): string | undefined {
    const refused = this.registrationRefusal(s, g);
    if (refused !== undefined) return refused;
    let canAccessSysmem = true;
    if (gpu(g).cc) {
      const error = this.takeUnregisterDmaBuffer(s, g, faults);
      if (error !== undefined) return error;
      // Under CC the GPU may reach system memory only through unprotected DMA staging buffers.
      canAccessSysmem = false;
    }
    if (!this.allocPeersToRelease(s, g, faults)) {
      // Upstream jumps to `done` here and keeps the CC buffer; the specification gives it back (README).
      this.returnUnregisterDmaBuffer(s, g);
      return 'NV_ERR_NO_MEMORY';
    }
    this.addGpuToMasks(s, g, canAccessSysmem);
    const error = this.registerNvlinkPeers(s, g, faults) ?? this.registerPerfHeuristics(s, g, faults);
    if (error !== undefined) {
      // cleanup: clear every mask bit again; nothing has been mapped on the GPU yet.
      this.unregisterGpuLocked(s, g);
      s.peersToRelease[g] = false;
      return error;
    }
    return undefined;
  }

  /** The three refusals, in the kernel's order: registered twice, coherence mix, torn-down mm. */
  registrationRefusal(s: VaSpaceState, g: number): string | undefined {
    if (isRegistered(s, g)) return 'NV_ERR_INVALID_DEVICE';
    for (let other = 0; other < GPU_COUNT; other++) {
      if (isRegistered(s, other) && gpu(other).coherent !== gpu(g).coherent) return 'NV_ERR_INVALID_DEVICE';
    }
    if (s.disallowNewRegisters) return 'NV_ERR_PAGE_TABLE_NOT_AVAIL';
    return undefined;
  }

  /** uvm_conf_computing_dma_buffer_alloc from the GPU's pool into va_space->gpu_unregister_dma_buffer[g]. */
  takeUnregisterDmaBuffer(s: VaSpaceState, g: number, faults: FaultPlan): string | undefined {
    if (faults.fails('uvm_conf_computing_dma_buffer_alloc')) return 'NV_ERR_NO_MEMORY';
    s.unregisterDmaBuffer[g] = true;
    s.ccPoolTaken[g] = (s.ccPoolTaken[g] ?? 0) + 1;
    return undefined;
  }

  /** uvm_conf_computing_dma_buffer_free of the unregister buffer, if one is held; the slot is cleared. */
  returnUnregisterDmaBuffer(s: VaSpaceState, g: number): void {
    if (!s.unregisterDmaBuffer[g]) return;
    s.unregisterDmaBuffer[g] = false;
    s.ccPoolTaken[g] = (s.ccPoolTaken[g] ?? 0) - 1;
  }

  /** uvm_processor_mask_cache_alloc for va_space->peers_to_release[g]. */
  allocPeersToRelease(s: VaSpaceState, g: number, faults: FaultPlan): boolean {
    if (faults.fails('uvm_processor_mask_cache_alloc')) return false;
    s.peersToRelease[g] = true;
    return true;
  }

  /** The mask updates of uvm_va_space_register_gpu, for a GPU with no peers enabled yet. */
  addGpuToMasks(s: VaSpaceState, g: number, canAccessSysmem: boolean): void {
    const info = gpu(g);
    const p = gpuProc(g);
    s.registered |= procBit(p);
    if (info.replayableFaults) {
      s.faultable |= procBit(p);
      // System-wide atomics are enabled by default.
      s.systemWideAtomics |= procBit(p);
    }
    // Every GPU has native atomics on its own memory.
    setIn(s.hasNativeAtomics, p, p);
    if (info.sysmemNvlink) {
      setIn(s.hasNvlink, p, CPU);
      setIn(s.hasNvlink, CPU, p);
    }
    if (info.coherent) {
      setIn(s.hasNativeAtomics, p, CPU);
      if (info.numa) {
        setIn(s.canAccess, CPU, p);
        setIn(s.accessibleFrom, p, CPU);
        setIn(s.hasNativeAtomics, CPU, p);
      }
    }
    // Every processor has direct access to its own memory.
    setIn(s.canAccess, p, p);
    setIn(s.accessibleFrom, p, p);
    if (canAccessSysmem) {
      setIn(s.canAccess, p, CPU);
      setIn(s.accessibleFrom, CPU, p);
    }
    setIn(s.canCopyFrom, p, p);
    setIn(s.canCopyFrom, p, CPU);
    setIn(s.canCopyFrom, CPU, p);
  }

  /** register_gpu_nvlink_peers: enable peer access with every registered GPU it has an NVLink peer link to. */
  registerNvlinkPeers(s: VaSpaceState, g: number, faults: FaultPlan): string | undefined {
    for (const other of peersOf(g)) {
      if (!isRegistered(s, other)) continue;
      const error = this.enablePeers(s, g, other, faults);
      if (error !== undefined) return error;
    }
    return undefined;
  }

  /**
   * enable_peers: both directions of can_access, accessible_from, can_copy_from, has_nvlink and
   * has_native_atomics, and the pair's enabled_peers bit. Its fallible part (the VA ranges' peer setup) undoes
   * itself with disable_peers, so a failure leaves the pair disabled.
   */
  enablePeers(s: VaSpaceState, g0: number, g1: number, faults: FaultPlan): string | undefined {
    if (faults.fails('enable_peers')) return 'NV_ERR_NO_MEMORY';
    const [p0, p1] = [gpuProc(g0), gpuProc(g1)];
    for (const [a, b] of [[p0, p1], [p1, p0]] as const) {
      setIn(s.canAccess, a, b);
      setIn(s.accessibleFrom, a, b);
      setIn(s.canCopyFrom, a, b);
      setIn(s.hasNvlink, a, b);
      setIn(s.hasNativeAtomics, a, b);
    }
    s.enabledPeers |= pairBit(g0, g1);
    return undefined;
  }

  /** disable_peers: the reverse of enable_peers; a no-op for a pair that is not enabled. */
  disablePeers(s: VaSpaceState, g0: number, g1: number): void {
    if ((s.enabledPeers & pairBit(g0, g1)) === 0) return;
    const [p0, p1] = [gpuProc(g0), gpuProc(g1)];
    for (const [a, b] of [[p0, p1], [p1, p0]] as const) {
      clearIn(s.canAccess, a, b);
      clearIn(s.accessibleFrom, a, b);
      clearIn(s.canCopyFrom, a, b);
      clearIn(s.hasNvlink, a, b);
      clearIn(s.hasNativeAtomics, a, b);
    }
    s.enabledPeers &= ~pairBit(g0, g1);
  }

  /** uvm_perf_heuristics_register_gpu (it returns a status in the seed's driver version). */
  registerPerfHeuristics(_s: VaSpaceState, _g: number, faults: FaultPlan): string | undefined {
    return faults.fails('uvm_perf_heuristics_register_gpu') ? 'NV_ERR_NO_MEMORY' : undefined;
  }

  /** The `done` path of a failed registration: disable the access counters it enabled, release the GPU. */
  releaseAfterFailedRegistration(s: VaSpaceState, g: number): void {
    if (gpu(g).accessCountersRequired) s.accessCounterRefs[g] = (s.accessCounterRefs[g] ?? 0) - 1;
    s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) - 1;
  }

  // ----- GPU unregistration (uvm_va_space.c: uvm_va_space_unregister_gpu, unregister_gpu) -----

  /** uvm_va_space_unregister_gpu: NV_ERR_INVALID_DEVICE for a GPU this VA space does not have. */
  unregisterGpu(s: VaSpaceState, g: number): Result {
    if (!isRegistered(s, g)) return fail('NV_ERR_INVALID_DEVICE');
    if (gpu(g).accessCountersRequired) s.accessCounterRefs[g] = (s.accessCounterRefs[g] ?? 0) - 1;
    this.unregisterGpuLocked(s, g);
    s.peersToRelease[g] = false;
    s.gpuRetained[g] = (s.gpuRetained[g] ?? 0) - 1;
    return ok();
  }

  /**
   * unregister_gpu: take the GPU out of every VA range (here: unmap the VA space's allocations from it), disable
   * every peer pair it is in, clear all of its mask bits in both directions, drop it from registered_gpus and
   * give the CC unregister buffer back to its pool.
   */
  unregisterGpuLocked(s: VaSpaceState, g: number): void {
    this.unmapGpuFromAllocations(s, g);
    for (const other of peersOf(g)) this.disablePeers(s, g, other);
    this.removeGpuFromMasks(s, g);
    this.returnUnregisterDmaBuffer(s, g);
  }

  /** uvm_va_range_unregister_gpu for the VA space's allocations: uvm_mem_unmap_gpu_phys on each. */
  unmapGpuFromAllocations(s: VaSpaceState, g: number): void {
    for (const id of liveMems(s)) this.mem.unmapGpuPhys(s.mem, id, g);
  }

  /** The mask clearing of unregister_gpu. */
  removeGpuFromMasks(s: VaSpaceState, g: number): void {
    const p = gpuProc(g);
    s.faultable &= ~procBit(p);
    s.systemWideAtomics &= ~procBit(p);
    for (const arr of [s.canAccess, s.accessibleFrom, s.canCopyFrom, s.hasNativeAtomics]) {
      clearIn(arr, p, p);
      clearIn(arr, p, CPU);
      clearIn(arr, CPU, p);
    }
    clearIn(s.hasNvlink, p, CPU);
    clearIn(s.hasNvlink, CPU, p);
    s.registered &= ~procBit(p);
  }

  /**
   * uvm_va_space_mm_shutdown: from now on no GPU (or GPU VA space, or channel) may be registered; GPUs already
   * registered stay, and unregistering them is still allowed.
   */
  mmShutdown(s: VaSpaceState): Result {
    s.disallowNewRegisters = true;
    s.mmAlive = false;
    return ok();
  }

  // ----- Sysmem DMA allocations (000, "uvm_mem_alloc" ... "mem_map_cpu_to_sysmem_kernel") -----

  /** The GPU an allocation is owned by or mapped on must be registered in this VA space. */
  gpuUsable(s: VaSpaceState, g: GpuIndex): boolean {
    return isRegistered(s, g);
  }

  memAlloc(s: VaSpaceState, owner: GpuIndex, size: bigint, pageSize: MemPageSize, faults: FaultPlan): Result {
    if (!this.gpuUsable(s, owner)) return fail('NV_ERR_INVALID_DEVICE');
    const made = this.mem.alloc(s.mem, owner, size, MEM_PAGE_SIZES[pageSize], faults);
    return made.ok ? ok(made.id) : fail(made.error);
  }

  memAllocAndMapCpu(s: VaSpaceState, owner: GpuIndex, size: bigint, faults: FaultPlan): Result {
    if (!this.gpuUsable(s, owner)) return fail('NV_ERR_INVALID_DEVICE');
    const made = this.mem.allocAndMapCpuKernel(s.mem, owner, size, faults);
    return made.ok ? ok(made.id) : fail(made.error);
  }

  memMapCpu(s: VaSpaceState, id: MemId, faults: FaultPlan): Result {
    const error = this.mem.mapCpuKernel(s.mem, id, faults);
    return error === undefined ? ok() : fail(error);
  }

  memUnmapCpu(s: VaSpaceState, id: MemId): Result {
    this.mem.unmapCpuKernel(s.mem, id);
    return ok();
  }

  memMapGpu(s: VaSpaceState, id: MemId, g: GpuIndex, faults: FaultPlan): Result {
    if (!this.gpuUsable(s, g)) return fail('NV_ERR_INVALID_DEVICE');
    const error = this.mem.mapGpuKernel(s.mem, id, g, faults);
    return error === undefined ? ok() : fail(error);
  }

  memUnmapGpu(s: VaSpaceState, id: MemId, g: GpuIndex): Result {
    if (!this.gpuUsable(s, g)) return fail('NV_ERR_INVALID_DEVICE');
    this.mem.unmapGpuKernel(s.mem, id, g);
    return ok();
  }

  memUnmapGpuPhys(s: VaSpaceState, id: MemId, g: GpuIndex): Result {
    if (!this.gpuUsable(s, g)) return fail('NV_ERR_INVALID_DEVICE');
    this.mem.unmapGpuPhys(s.mem, id, g);
    return ok();
  }

  memFree(s: VaSpaceState, id: MemId): Result {
    this.mem.free(s.mem, id);
    return ok();
  }
}

function memAt(s: VaSpaceState, slot: number): MemId {
  const ids = liveMems(s);
  return ids[slot % ids.length] as MemId;
}
