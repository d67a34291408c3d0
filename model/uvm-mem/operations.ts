// Operations on sysmem DMA allocations (uvm_mem.c for sysmem DMA, with the uvm_gpu.c DMA helpers it calls). Each
// method is one kernel function or one step of one, so that a seeded bug can override exactly one of them; fallible
// calls ask the fault plan; errors are returned as NV_STATUS names, never thrown. The callers (the DMA staging-buffer
// pool, the VA space) decide which GPUs may be used; these methods keep the allocations' own books.
// Sources: 000_e4d5058719a42ede.txt ("uvm_mem_alloc", "mem_alloc_sysmem_dma_chunks", "uvm_gpu_dma_alloc_page",
// "uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel", "uvm_mem_map_cpu_kernel", "mem_map_cpu_to_sysmem_kernel") and
// uvm_mem.c around them (uvm_mem_map_gpu_kernel, uvm_mem_map_gpu_phys, uvm_mem_unmap_*, uvm_mem_free); 580.65.06
// uvm_mem.c / uvm_gpu.c for chunks larger than a page (uvm_gpu_dma_alloc, uvm_parent_gpu_dma_free).

import { FaultPlan } from '../common/faults.js';
import { U64_MAX } from '../common/u64.js';
import { bitsOf, gpuBit, PAGE_SIZE, type GpuIndex, type MemId, type UvmMemSpace } from './state.js';

export type MemOutcome = { readonly ok: true; readonly id: MemId } | { readonly ok: false; readonly error: string };

/** The rules an instance of the operations follows. */
export interface UvmMemRules {
  /**
   * 580.x and later: mem_alloc_sysmem_dma_chunks takes chunks of any page-aligned size, one uvm_gpu_dma_alloc each,
   * and mapped_cpu_pages_size moves by the chunk size. Up to 575.x: PAGE_SIZE chunks only, one
   * uvm_gpu_dma_alloc_page each.
   */
  readonly chunkedDmaAlloc: boolean;
  /**
   * Where uvm_mem_map_gpu_kernel can fail. `steps`: at each of its fallible steps (on a GPU other than the DMA owner
   * the IOMMU mapping's mem_alloc_dma_addrs and one uvm_parent_gpu_map_cpu_pages per chunk, then
   * uvm_range_allocator_alloc, uvm_page_table_range_vec_create, uvm_page_table_range_vec_write_ptes), as the VA space
   * specifies it. `one-call`: the call as a whole, one fault site `uvm_mem_map_gpu_kernel` that fails before anything
   * is mapped, as the DMA staging-buffer pool sees it (its C port and the upstream shim stub uvm_mem.c at that call).
   */
  readonly gpuKernelMapFaults: 'steps' | 'one-call';
}

/** uvm_mem.c as 550.40.07-575.x has it, every fallible step of the GPU mapping a fault site (the VA space's view). */
export const UVM_MEM_575: UvmMemRules = { chunkedDmaAlloc: false, gpuKernelMapFaults: 'steps' };

/** The fault plan of a step taken as part of one fallible call that did not fail: nothing in it fails. */
const NONE_FAIL = (): FaultPlan => new FaultPlan();

export class UvmMemOps {
  constructor(readonly rules: UvmMemRules = UVM_MEM_575) {}

  /** The per-chunk allocation step (a fault site) in this generation of uvm_gpu.c. */
  get dmaAllocSite(): string {
    return this.rules.chunkedDmaAlloc ? 'uvm_gpu_dma_alloc' : 'uvm_gpu_dma_alloc_page';
  }

  /** uvm_mem_alloc asserts params->size > 0; the specification refuses a zero size as an invalid argument. */
  validateSize(size: bigint): string | undefined {
    return size === 0n ? 'NV_ERR_INVALID_ARGUMENT' : undefined;
  }

  /** uvm_mem_alloc: UVM_PAGE_SIZE_DEFAULT (0) becomes mem_pick_chunk_size(), which is PAGE_SIZE for sysmem. */
  pickChunkSize(pageSize: bigint): bigint {
    return pageSize === 0n ? PAGE_SIZE : pageSize;
  }

  /**
   * mem_alloc_sysmem_dma_chunks: before 580 it asserts chunk_size == PAGE_SIZE (one dma_alloc_coherent page per
   * chunk); from 580 a chunk is any multiple of PAGE_SIZE.
   */
  chunkSizeSupported(chunkSize: bigint): boolean {
    return this.rules.chunkedDmaAlloc ? chunkSize >= PAGE_SIZE && chunkSize % PAGE_SIZE === 0n : chunkSize === PAGE_SIZE;
  }

  /**
   * UVM_ALIGN_UP(size, chunk_size): the physical size. The macro wraps to a small value for sizes within one
   * chunk of 2^64; the specification refuses those (undefined) rather than allocate less than was asked.
   */
  physicalSize(size: bigint, chunkSize: bigint): bigint | undefined {
    const aligned = (size + chunkSize - 1n) & ~(chunkSize - 1n);
    return aligned > U64_MAX ? undefined : aligned;
  }

  /** mem->chunks_count = physical_size / chunk_size. */
  chunkCount(physicalSize: bigint, chunkSize: bigint): bigint {
    return physicalSize / chunkSize;
  }

  /**
   * uvm_gpu_dma_alloc_page / uvm_gpu_dma_alloc: one coherent chunk for the owner; mapped_cpu_pages_size grows by
   * the chunk's size (PAGE_SIZE before 580).
   */
  dmaAllocChunk(space: UvmMemSpace, owner: GpuIndex, _index: bigint, chunkSize: bigint): void {
    space.dmaPagesFree -= chunkSize / PAGE_SIZE;
    space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) + chunkSize;
  }

  /** uvm_parent_gpu_dma_free_page / uvm_parent_gpu_dma_free for `count` chunks (mem_free_sysmem_dma_chunks). */
  dmaFreeChunks(space: UvmMemSpace, owner: GpuIndex, count: bigint, chunkSize: bigint): void {
    space.dmaPagesFree += count * (chunkSize / PAGE_SIZE);
    space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) - count * chunkSize;
  }

  /**
   * The chunk loop of mem_alloc_sysmem_dma_chunks: one coherent allocation per chunk; a chunk that cannot be had
   * (injected failure, or no coherent DMA memory left, which asks no fault plan) frees every chunk made so far.
   * Returns the error, if any.
   */
  allocDmaChunks(space: UvmMemSpace, owner: GpuIndex, chunks: bigint, chunkSize: bigint, faults: FaultPlan): string | undefined {
    const fit = space.dmaPagesFree / (chunkSize / PAGE_SIZE);
    const reachable = chunks < fit ? chunks : fit;
    const failedAt = faults.firstFailureOf(this.dmaAllocSite, Number(reachable));
    const made = failedAt === undefined ? reachable : BigInt(failedAt);
    for (let i = 0n; i < made; i++) this.dmaAllocChunk(space, owner, i, chunkSize);
    if (made === chunks) return undefined;
    this.dmaFreeChunks(space, owner, made, chunkSize);
    return 'NV_ERR_NO_MEMORY';
  }

  /**
   * uvm_mem_alloc for sysmem DMA owned by `owner` (uvm_mem_alloc_sysmem_dma with page size `pageSize`, 0 for
   * UVM_PAGE_SIZE_DEFAULT). Errors: a zero size, a chunk size the generation does not support, or a size that
   * aligns past 2^64: NV_ERR_INVALID_ARGUMENT; any allocation step: NV_ERR_NO_MEMORY, with nothing left behind.
   * The new allocation is mapped physically on its owner (dma_alloc_coherent) and nowhere else.
   */
  alloc(space: UvmMemSpace, owner: GpuIndex, size: bigint, pageSize: bigint, faults: FaultPlan): MemOutcome {
    const invalid = this.validateSize(size);
    if (invalid !== undefined) return { ok: false, error: invalid };
    if (faults.fails('uvm_kvmalloc_zero(uvm_mem_t)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const chunkSize = this.pickChunkSize(pageSize);
    if (!this.chunkSizeSupported(chunkSize)) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    const physical = this.physicalSize(size, chunkSize);
    if (physical === undefined) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    const chunks = this.chunkCount(physical, chunkSize);
    if (faults.fails('uvm_kvmalloc_zero(sysmem.pages, sysmem.va)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    if (faults.fails('mem_alloc_dma_addrs')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const error = this.allocDmaChunks(space, owner, chunks, chunkSize, faults);
    if (error !== undefined) return { ok: false, error };
    const id = space.nextMemId++;
    // sysmem_set_mapped_on_gpu_phys(mem, dma_owner): the owner reaches the chunks through dma_alloc_coherent.
    space.mems.set(id, { id, dmaOwner: owner, size, chunkSize, chunks, kernelMappedOn: 0, mappedOnPhys: gpuBit(owner), cpuKernelMapped: false });
    return { ok: true, id };
  }

  /** mem_map_cpu_to_sysmem_kernel's protection: decrypted (PAGE_KERNEL_NOENC) for DMA sysmem under SEV. */
  kernelPgprotDecrypted(space: UvmMemSpace): boolean {
    return space.sevEnabled;
  }

  /** uvm_mem_map_cpu_kernel: a no-op when mapped; otherwise vmap() of every chunk. An unknown id: NV_ERR_INVALID_ARGUMENT. */
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
   * every chunk through the IOMMU (each adds chunk_size to that GPU's mapped_cpu_pages_size, NV_ERR_OPERATING_SYSTEM
   * on a mapping error) and a failure part way unmaps what it mapped.
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
   * uvm_mem_map_gpu_kernel: a no-op when mapped; otherwise the physical mapping, a range of the UVM kernel VA, then
   * PTEs in the GPU's kernel address-space tree. A failure after the physical mapping leaves it in place
   * (uvm_mem_free removes it). Where it can fail is the rules' `gpuKernelMapFaults`.
   */
  mapGpuKernel(space: UvmMemSpace, id: MemId, gpu: GpuIndex, faults: FaultPlan): string | undefined {
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
    if ((mem.kernelMappedOn & gpuBit(gpu)) !== 0) return undefined;
    if (this.rules.gpuKernelMapFaults === 'one-call') {
      if (faults.fails('uvm_mem_map_gpu_kernel')) return 'NV_ERR_NO_MEMORY';
      return this.mapGpuKernelSteps(space, id, gpu, NONE_FAIL());
    }
    return this.mapGpuKernelSteps(space, id, gpu, faults);
  }

  /** The steps of uvm_mem_map_gpu_kernel after its no-op test. */
  mapGpuKernelSteps(space: UvmMemSpace, id: MemId, gpu: GpuIndex, faults: FaultPlan): string | undefined {
    const physError = this.mapGpuPhys(space, id, gpu, faults);
    if (physError !== undefined) return physError;
    if (faults.fails('uvm_range_allocator_alloc')) return 'NV_ERR_NO_MEMORY';
    if (faults.fails('uvm_page_table_range_vec_create')) return 'NV_ERR_NO_MEMORY';
    // uvm_page_table_range_vec_write_ptes failing clears and destroys the range vec again (mem_unmap_gpu).
    if (faults.fails('uvm_page_table_range_vec_write_ptes')) return 'NV_ERR_NO_MEMORY';
    const mem = space.mems.get(id);
    if (mem === undefined) return 'NV_ERR_INVALID_ARGUMENT';
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
   * uvm_mem_unmap_gpu_phys: on the owner nothing (its chunks go with the allocation); elsewhere the kernel
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
   * chunks (mem_free_sysmem_dma_chunks) and the object. A no-op for an unknown id (uvm_mem_free(NULL)).
   */
  free(space: UvmMemSpace, id: MemId): void {
    const mem = space.mems.get(id);
    if (mem === undefined) return;
    this.unmapCpuKernel(space, id);
    for (const gpu of bitsOf(mem.kernelMappedOn)) this.unmapGpuKernel(space, id, gpu);
    for (const gpu of bitsOf(mem.mappedOnPhys)) this.unmapGpuPhys(space, id, gpu);
    this.dmaFreeChunks(space, mem.dmaOwner, mem.chunks, mem.chunkSize);
    space.mems.delete(id);
  }

  /**
   * uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel: uvm_mem_alloc_sysmem_dma, then the CPU mapping; free on failure.
   * (580's dma_buffer_alloc does the same with an explicit page size: uvm_mem_alloc, then uvm_mem_map_cpu_kernel.)
   */
  allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan, pageSize = 0n): MemOutcome {
    const made = this.alloc(space, owner, size, pageSize, faults);
    if (!made.ok) return made;
    const error = this.mapCpuKernel(space, made.id, faults);
    if (error !== undefined) {
      this.free(space, made.id);
      return { ok: false, error };
    }
    return made;
  }
}

function removeId(list: MemId[] | undefined, id: MemId): void {
  if (list === undefined) return;
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
}
