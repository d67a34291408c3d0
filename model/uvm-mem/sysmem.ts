// Sysmem DMA allocations (uvm_mem_t backed by coherent DMA pages) and their CPU and GPU kernel mappings.
// Source: 000_e4d5058719a42ede.txt, sections "uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel", "uvm_mem_alloc",
// "mem_alloc_sysmem_dma_chunks", "uvm_gpu_dma_alloc_page" and "mem_map_cpu_to_sysmem_kernel".
// The DMA staging-buffer pool builds its buffers from these; the UVM VA-space subsystem specifies them in full.

import type { FaultPlan } from '../common/faults.js';
import { alignUp, U64_MAX } from '../common/u64.js';

export const PAGE_SIZE = 4096n;

export type MemId = number;

export interface SysmemDma {
  readonly id: MemId;
  /** The size the caller asked for. */
  readonly size: bigint;
  /** mem->chunk_size: PAGE_SIZE by default for DMA sysmem (the only size before 580; 580 allows 2 MiB and others). */
  readonly chunkSize: bigint;
  /** ALIGN_UP(size, chunk_size) / chunk_size: one coherent DMA allocation per chunk. */
  readonly chunks: number;
  cpuKernelMapped: boolean;
  /** The kernel CPU mapping was made with a decrypted (shared) pgprot. */
  cpuMappingDecrypted: boolean;
  gpuKernelMapped: boolean;
}

export interface SysmemSpace {
  mems: Map<MemId, SysmemDma>;
  nextMemId: MemId;
  /** parent_gpu->mapped_cpu_pages_size: bytes of coherent DMA chunks currently allocated for the GPU. */
  mappedCpuPagesSize: bigint;
  /** g_uvm_global.sev_enabled: system memory is encrypted and DMA pages must be mapped decrypted. */
  readonly sevEnabled: boolean;
}

export function emptySysmemSpace(sevEnabled: boolean): SysmemSpace {
  return { mems: new Map(), nextMemId: 1, mappedCpuPagesSize: 0n, sevEnabled };
}

export type MemOutcome = { readonly ok: true; readonly id: MemId } | { readonly ok: false; readonly error: string };

/**
 * The sysmem DMA allocation path as one set of steps a mutant may override one at a time.
 * Each step mirrors one kernel function; the fallible calls inside it ask the fault plan.
 * Two generations of uvm_mem.c are specified (open-gpu-kernel-modules, kernel-open/nvidia-uvm/uvm_mem.c and
 * uvm_gpu.c): up to 575.x mem_alloc_sysmem_dma_chunks supports PAGE_SIZE chunks only, one
 * uvm_gpu_dma_alloc_page each; from 580.x a chunk may be larger (uvm_gpu_dma_alloc(chunk_size, ...)) and
 * mapped_cpu_pages_size moves by the chunk size (parent_gpu_dma_alloc / uvm_parent_gpu_dma_free).
 */
export class SysmemDmaOps {
  /**
   * @param chunkedDmaAlloc 580.x and later: chunks of any page-aligned size, allocated with uvm_gpu_dma_alloc;
   * otherwise (550.x-575.x) PAGE_SIZE chunks only, allocated with uvm_gpu_dma_alloc_page.
   */
  constructor(readonly chunkedDmaAlloc = false) {}

  /** The name of the per-chunk allocation step (the fault site) in this generation of uvm_gpu.c. */
  get dmaAllocSite(): string {
    return this.chunkedDmaAlloc ? 'uvm_gpu_dma_alloc' : 'uvm_gpu_dma_alloc_page';
  }

  /**
   * uvm_mem_alloc + mem_alloc_sysmem_dma_chunks (000, "uvm_mem_alloc", "mem_alloc_sysmem_dma_chunks"), with
   * `pageSize` the uvm_mem_alloc_params_t page_size (PAGE_SIZE, as UVM_PAGE_SIZE_DEFAULT picks for sysmem).
   */
  allocSysmemDma(space: SysmemSpace, size: bigint, faults: FaultPlan, pageSize: bigint = PAGE_SIZE): MemOutcome {
    // uvm_mem_alloc asserts size > 0; the specification refuses it as an invalid argument.
    if (size === 0n) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    // Before 580 mem_alloc_sysmem_dma_chunks asserts chunk_size == PAGE_SIZE.
    if (!this.chunkedDmaAlloc && pageSize !== PAGE_SIZE) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    if (faults.fails('uvm_kvmalloc_zero(uvm_mem_t)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const chunkSize = pageSize;
    const chunks = Number(alignUp(size, chunkSize) / chunkSize);
    if (faults.fails('uvm_kvmalloc_zero(sysmem.pages, sysmem.va)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    if (faults.fails('mem_alloc_dma_addrs')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const failedAt = faults.firstFailureOf(this.dmaAllocSite, chunks);
    if (failedAt !== undefined) {
      // mem_free_sysmem_dma_chunks gives back the chunks made so far: their accounting never outlives them.
      return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    }
    const id = space.nextMemId++;
    space.mems.set(id, { id, size, chunkSize, chunks, cpuKernelMapped: false, cpuMappingDecrypted: false, gpuKernelMapped: false });
    // Each DMA chunk adds its size to mapped_cpu_pages_size (PAGE_SIZE per uvm_gpu_dma_alloc_page before 580).
    space.mappedCpuPagesSize += this.accountedSize(chunks, chunkSize);
    return { ok: true, id };
  }

  /** What `chunks` DMA chunks of `chunkSize` count in mapped_cpu_pages_size (given back the same way on free). */
  accountedSize(chunks: number, chunkSize: bigint): bigint {
    return BigInt(chunks) * chunkSize;
  }

  /** uvm_mem_map_cpu_kernel -> mem_map_cpu_to_sysmem_kernel (000, "mem_map_cpu_to_sysmem_kernel"). */
  mapCpuKernel(space: SysmemSpace, id: MemId, faults: FaultPlan): string | undefined {
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
    if (mem.cpuKernelMapped) return undefined;
    if (faults.fails('vmap')) return 'NV_ERR_NO_MEMORY';
    mem.cpuKernelMapped = true;
    // Under SEV the DMA pages are shared with the device, so the kernel mapping must be decrypted.
    mem.cpuMappingDecrypted = space.sevEnabled;
    return undefined;
  }

  /** uvm_mem_map_gpu_kernel on the DMA owner. */
  mapGpuKernel(space: SysmemSpace, id: MemId, faults: FaultPlan): string | undefined {
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
    if (mem.gpuKernelMapped) return undefined;
    if (faults.fails('uvm_mem_map_gpu_kernel')) return 'NV_ERR_NO_MEMORY';
    mem.gpuKernelMapped = true;
    return undefined;
  }

  /** uvm_mem_free: unmaps from GPU and CPU, gives every DMA page back, then frees the object. */
  free(space: SysmemSpace, id: MemId): void {
    const mem = space.mems.get(id);
    if (mem === undefined) return;
    mem.gpuKernelMapped = false;
    mem.cpuKernelMapped = false;
    // mem_free_sysmem_dma_chunks: uvm_parent_gpu_dma_free(_page) takes each chunk's size back.
    space.mappedCpuPagesSize -= this.accountedSize(mem.chunks, mem.chunkSize);
    space.mems.delete(id);
  }

  /**
   * uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel (000): allocate, then map on the CPU; free on failure. (580's
   * dma_buffer_alloc does the same with an explicit page size: uvm_mem_alloc, then uvm_mem_map_cpu_kernel.)
   */
  allocSysmemDmaAndMapCpuKernel(space: SysmemSpace, size: bigint, faults: FaultPlan, pageSize: bigint = PAGE_SIZE): MemOutcome {
    const made = this.allocSysmemDma(space, size, faults, pageSize);
    if (!made.ok) return made;
    const error = this.mapCpuKernel(space, made.id, faults);
    if (error !== undefined) {
      this.free(space, made.id);
      return { ok: false, error };
    }
    return made;
  }
}

// ---------------------------------------------------------------------------------------------------------
// The same allocations seen from several GPUs (uvm_mem.c), as the UVM VA-space subsystem needs them: one DMA
// owner per allocation, kernel mappings on any GPU (an IOMMU mapping first on GPUs other than the owner), the
// kernel CPU mapping, the per-GPU mapped_cpu_pages_size accounting, and a finite amount of coherent DMA memory.
// Sources: 000_e4d5058719a42ede.txt ("uvm_mem_alloc", "mem_alloc_sysmem_dma_chunks", "uvm_gpu_dma_alloc_page",
// "uvm_mem_map_cpu_kernel", "mem_map_cpu_to_sysmem_kernel") and uvm_mem.c around them (uvm_mem_map_gpu_kernel,
// uvm_mem_map_gpu_phys, uvm_mem_unmap_gpu_phys, uvm_mem_free). SysmemDmaOps above is the single-GPU view the
// DMA staging-buffer pool uses; nothing here changes it.

/** GPU index (0-based) as the VA space numbers them. */
export type GpuIndex = number;

/** The page_size argument of uvm_mem_alloc: UVM_PAGE_SIZE_DEFAULT or an explicit size. */
export const MEM_PAGE_SIZES = { default: 0n, '4K': 4096n, '64K': 65536n, '2M': 2n * 1024n * 1024n } as const;
export type MemPageSize = keyof typeof MEM_PAGE_SIZES;

export interface UvmDmaMem {
  readonly id: MemId;
  /** mem->dma_owner: the GPU whose device the pages were allocated for (dma_alloc_coherent). */
  readonly dmaOwner: GpuIndex;
  /** mem->size, as the caller asked. */
  readonly size: bigint;
  /** mem->chunk_size. */
  readonly chunkSize: bigint;
  /** mem->chunks_count = UVM_ALIGN_UP(size, chunk_size) / chunk_size. */
  readonly chunks: bigint;
  /** mem->kernel.mapped_on, GPU part: bit g set when mapped in GPU g's kernel address space. */
  kernelMappedOn: number;
  /** mem->sysmem.mapped_on_phys: bit g set when GPU g has DMA addresses for the pages. */
  mappedOnPhys: number;
  /** mem->kernel.mapped_on, CPU part (a vmap() of the pages exists). */
  cpuKernelMapped: boolean;
}

/** One kernel CPU mapping in the vmap area: which allocation and with which protection. */
export interface CpuVmap {
  readonly mem: MemId;
  /** Made with a decrypted (shared, C-bit clear) pgprot. */
  readonly decrypted: boolean;
}

export interface UvmMemSpace {
  mems: Map<MemId, UvmDmaMem>;
  nextMemId: MemId;
  /** Memory encryption (SEV) is on: system memory a device reads must be mapped decrypted. */
  readonly sevEnabled: boolean;
  /** Coherent DMA memory the system can still hand out, in pages. */
  dmaPagesFree: bigint;
  readonly dmaPagesTotal: bigint;
  /** parent_gpu->mapped_cpu_pages_size, per GPU. */
  mappedCpuPagesSize: bigint[];
  /** Per GPU: the allocations with PTEs in that GPU's kernel address-space tree (the range_vecs). */
  gpuKernelPtes: MemId[][];
  /** Per GPU other than the owner: the allocations with IOMMU mappings for it (sysmem.dma_addrs[gpu]). */
  iommuMappings: MemId[][];
  /** The kernel's vmap area as far as these allocations go. */
  cpuVmaps: CpuVmap[];
}

export function emptyUvmMemSpace(gpuCount: number, sevEnabled: boolean, dmaPagesTotal: bigint): UvmMemSpace {
  return {
    mems: new Map(),
    nextMemId: 1,
    sevEnabled,
    dmaPagesFree: dmaPagesTotal,
    dmaPagesTotal,
    mappedCpuPagesSize: Array.from({ length: gpuCount }, () => 0n),
    gpuKernelPtes: Array.from({ length: gpuCount }, () => []),
    iommuMappings: Array.from({ length: gpuCount }, () => []),
    cpuVmaps: [],
  };
}

export function snapshotUvmMemSpace(s: UvmMemSpace): UvmMemSpace {
  return {
    mems: new Map([...s.mems].map(([id, m]) => [id, { ...m }])),
    nextMemId: s.nextMemId,
    sevEnabled: s.sevEnabled,
    dmaPagesFree: s.dmaPagesFree,
    dmaPagesTotal: s.dmaPagesTotal,
    mappedCpuPagesSize: [...s.mappedCpuPagesSize],
    gpuKernelPtes: s.gpuKernelPtes.map((l) => [...l]),
    iommuMappings: s.iommuMappings.map((l) => [...l]),
    cpuVmaps: s.cpuVmaps.map((v) => ({ ...v })),
  };
}

const gpuBit = (g: GpuIndex): number => 1 << g;

function removeId(list: MemId[] | undefined, id: MemId): void {
  if (list === undefined) return;
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
}

/**
 * uvm_mem.c for sysmem DMA allocations on several GPUs. Every method is one kernel function or one step of
 * one; fallible calls ask the fault plan. Errors are returned as NV_STATUS names, never thrown. The caller
 * (the VA space) decides which GPUs may be used; these methods only keep the allocation's own books.
 */
export class UvmMemOps {
  /** uvm_mem_alloc asserts params->size > 0; the specification refuses a zero size as an invalid argument. */
  validateSize(size: bigint): string | undefined {
    return size === 0n ? 'NV_ERR_INVALID_ARGUMENT' : undefined;
  }

  /** uvm_mem_alloc: UVM_PAGE_SIZE_DEFAULT becomes mem_pick_chunk_size(), which is PAGE_SIZE for sysmem. */
  pickChunkSize(pageSize: MemPageSize): bigint {
    const requested = MEM_PAGE_SIZES[pageSize];
    return requested === 0n ? PAGE_SIZE : requested;
  }

  /** mem_alloc_sysmem_dma_chunks asserts chunk_size == PAGE_SIZE: one dma_alloc_coherent page per chunk. */
  chunkSizeSupported(chunkSize: bigint): boolean {
    return chunkSize === PAGE_SIZE;
  }

  /**
   * UVM_ALIGN_UP(size, chunk_size): the physical size. The macro wraps to a small value for sizes within one
   * chunk of 2^64; the specification refuses those (undefined) rather than allocate less than was asked.
   */
  physicalSize(size: bigint, chunkSize: bigint): bigint | undefined {
    const aligned = (size + chunkSize - 1n) & ~(chunkSize - 1n);
    return aligned > U64_MAX ? undefined : aligned;
  }

  /** uvm_gpu_dma_alloc_page: one coherent page for the owner; mapped_cpu_pages_size grows by PAGE_SIZE. */
  dmaAllocPage(space: UvmMemSpace, owner: GpuIndex, _index: bigint): void {
    space.dmaPagesFree -= 1n;
    space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) + PAGE_SIZE;
  }

  /** uvm_parent_gpu_dma_free_page for `count` pages (mem_free_sysmem_dma_chunks). */
  dmaFreePages(space: UvmMemSpace, owner: GpuIndex, count: bigint): void {
    space.dmaPagesFree += count;
    space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) - count * PAGE_SIZE;
  }

  /**
   * The page loop of mem_alloc_sysmem_dma_chunks: one page per chunk; a page that cannot be had (injected
   * failure, or no coherent DMA memory left) frees every page made so far. Returns the error, if any.
   */
  allocDmaPages(space: UvmMemSpace, owner: GpuIndex, chunks: bigint, faults: FaultPlan): string | undefined {
    let made = 0n;
    for (; made < chunks; made++) {
      if (space.dmaPagesFree === 0n || faults.fails('dma_alloc_coherent')) {
        this.dmaFreePages(space, owner, made);
        return 'NV_ERR_NO_MEMORY';
      }
      this.dmaAllocPage(space, owner, made);
    }
    return undefined;
  }

  /** uvm_mem_alloc for sysmem DMA owned by `owner` (uvm_mem_alloc_sysmem_dma with an explicit page size). */
  alloc(space: UvmMemSpace, owner: GpuIndex, size: bigint, pageSize: MemPageSize, faults: FaultPlan): MemOutcome {
    const invalid = this.validateSize(size);
    if (invalid !== undefined) return { ok: false, error: invalid };
    if (faults.fails('uvm_kvmalloc_zero(uvm_mem_t)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const chunkSize = this.pickChunkSize(pageSize);
    if (!this.chunkSizeSupported(chunkSize)) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    const physical = this.physicalSize(size, chunkSize);
    if (physical === undefined) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    const chunks = physical / chunkSize;
    if (faults.fails('uvm_kvmalloc_zero(sysmem.pages, sysmem.va)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    if (faults.fails('mem_alloc_dma_addrs')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const error = this.allocDmaPages(space, owner, chunks, faults);
    if (error !== undefined) return { ok: false, error };
    const id = space.nextMemId++;
    // sysmem_set_mapped_on_gpu_phys(mem, dma_owner): the owner reaches the pages through dma_alloc_coherent.
    space.mems.set(id, { id, dmaOwner: owner, size, chunkSize, chunks, kernelMappedOn: 0, mappedOnPhys: gpuBit(owner), cpuKernelMapped: false });
    return { ok: true, id };
  }

  /** mem_map_cpu_to_sysmem_kernel's protection: decrypted (PAGE_KERNEL_NOENC) for DMA sysmem under SEV. */
  kernelPgprotDecrypted(space: UvmMemSpace): boolean {
    return space.sevEnabled;
  }

  /** uvm_mem_map_cpu_kernel: a no-op when mapped; otherwise vmap() of every page. */
  mapCpuKernel(space: UvmMemSpace, id: MemId, faults: FaultPlan): string | undefined {
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
    if (mem.cpuKernelMapped) return undefined;
    if (faults.fails('vmap')) return 'NV_ERR_NO_MEMORY';
    space.cpuVmaps.push({ mem: id, decrypted: this.kernelPgprotDecrypted(space) });
    mem.cpuKernelMapped = true;
    return undefined;
  }

  /** uvm_mem_unmap_cpu_kernel: vunmap() and clear the CPU bit; a no-op when not mapped. */
  unmapCpuKernel(space: UvmMemSpace, id: MemId): void {
    const mem = space.mems.get(id);
    if (mem === undefined || !mem.cpuKernelMapped) return;
    space.cpuVmaps = space.cpuVmaps.filter((v) => v.mem !== id);
    mem.cpuKernelMapped = false;
  }

  /**
   * uvm_mem_map_gpu_phys: nothing to do on the owner or when already mapped; otherwise sysmem_map_gpu_phys maps
   * every chunk through the IOMMU (each adds chunk_size to that GPU's mapped_cpu_pages_size) and a failure
   * part way unmaps what it mapped.
   */
  mapGpuPhys(space: UvmMemSpace, id: MemId, gpu: GpuIndex, faults: FaultPlan): string | undefined {
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
    if (gpu === mem.dmaOwner || (mem.mappedOnPhys & gpuBit(gpu)) !== 0) return undefined;
    if (faults.fails('mem_alloc_dma_addrs')) return 'NV_ERR_NO_MEMORY';
    for (let i = 0n; i < mem.chunks; i++) {
      if (faults.fails('uvm_parent_gpu_map_cpu_pages')) {
        space.mappedCpuPagesSize[gpu] = (space.mappedCpuPagesSize[gpu] ?? 0n) - i * mem.chunkSize;
        return 'NV_ERR_OPERATING_SYSTEM';
      }
      space.mappedCpuPagesSize[gpu] = (space.mappedCpuPagesSize[gpu] ?? 0n) + mem.chunkSize;
    }
    space.iommuMappings[gpu]?.push(id);
    mem.mappedOnPhys |= gpuBit(gpu);
    return undefined;
  }

  /**
   * uvm_mem_map_gpu_kernel: the physical mapping, a range of the UVM kernel VA, then PTEs in the GPU's kernel
   * address-space tree. A failure after the physical mapping leaves it in place (uvm_mem_free removes it).
   */
  mapGpuKernel(space: UvmMemSpace, id: MemId, gpu: GpuIndex, faults: FaultPlan): string | undefined {
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
    if ((mem.kernelMappedOn & gpuBit(gpu)) !== 0) return undefined;
    const physError = this.mapGpuPhys(space, id, gpu, faults);
    if (physError !== undefined) return physError;
    if (faults.fails('uvm_range_allocator_alloc')) return 'NV_ERR_NO_MEMORY';
    if (faults.fails('uvm_page_table_range_vec_create')) return 'NV_ERR_NO_MEMORY';
    // uvm_page_table_range_vec_write_ptes failing clears and destroys the range vec again (mem_unmap_gpu).
    if (faults.fails('uvm_page_table_range_vec_write_ptes')) return 'NV_ERR_NO_MEMORY';
    space.gpuKernelPtes[gpu]?.push(id);
    mem.kernelMappedOn |= gpuBit(gpu);
    return undefined;
  }

  /** uvm_mem_unmap_gpu_kernel: clear the PTEs and the mapped_on bit; a no-op when not mapped. */
  unmapGpuKernel(space: UvmMemSpace, id: MemId, gpu: GpuIndex): void {
    const mem = space.mems.get(id);
    if (mem === undefined || (mem.kernelMappedOn & gpuBit(gpu)) === 0) return;
    removeId(space.gpuKernelPtes[gpu], id);
    mem.kernelMappedOn &= ~gpuBit(gpu);
  }

  /**
   * uvm_mem_unmap_gpu_phys: on the owner nothing (its pages go with the allocation); elsewhere the kernel
   * mapping goes first, then every IOMMU mapping, each giving its chunk_size back to mapped_cpu_pages_size.
   */
  unmapGpuPhys(space: UvmMemSpace, id: MemId, gpu: GpuIndex): void {
    const mem = space.mems.get(id);
    if (mem === undefined || gpu === mem.dmaOwner || (mem.mappedOnPhys & gpuBit(gpu)) === 0) return;
    this.unmapGpuKernel(space, id, gpu);
    space.mappedCpuPagesSize[gpu] = (space.mappedCpuPagesSize[gpu] ?? 0n) - mem.chunks * mem.chunkSize;
    removeId(space.iommuMappings[gpu], id);
    mem.mappedOnPhys &= ~gpuBit(gpu);
  }

  /**
   * uvm_mem_free: the CPU mapping, the kernel mapping on every GPU, the physical mapping on every GPU, then the
   * pages (mem_free_sysmem_dma_chunks) and the object.
   */
  free(space: UvmMemSpace, id: MemId): void {
    const mem = space.mems.get(id);
    if (mem === undefined) return;
    this.unmapCpuKernel(space, id);
    for (const gpu of bitsOf(mem.kernelMappedOn)) this.unmapGpuKernel(space, id, gpu);
    for (const gpu of bitsOf(mem.mappedOnPhys)) this.unmapGpuPhys(space, id, gpu);
    this.dmaFreePages(space, mem.dmaOwner, mem.chunks);
    space.mems.delete(id);
  }

  /** uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel: uvm_mem_alloc_sysmem_dma, then the CPU mapping; free on failure. */
  allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan): MemOutcome {
    const made = this.alloc(space, owner, size, 'default', faults);
    if (!made.ok) return made;
    const error = this.mapCpuKernel(space, made.id, faults);
    if (error !== undefined) {
      this.free(space, made.id);
      return { ok: false, error };
    }
    return made;
  }
}

/** The GPU indices whose bits are set in a mask, lowest first. */
export function bitsOf(mask: number): GpuIndex[] {
  const out: GpuIndex[] = [];
  for (let g = 0; mask >> g !== 0; g++) if ((mask >> g) & 1) out.push(g);
  return out;
}
