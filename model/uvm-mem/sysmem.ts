// Sysmem DMA allocations (uvm_mem_t backed by coherent DMA pages) and their CPU and GPU kernel mappings.
// Source: 000_e4d5058719a42ede.txt, sections "uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel", "uvm_mem_alloc",
// "mem_alloc_sysmem_dma_chunks", "uvm_gpu_dma_alloc_page" and "mem_map_cpu_to_sysmem_kernel".
// The DMA staging-buffer pool builds its buffers from these; the UVM VA-space subsystem specifies them in full.

import type { FaultPlan } from '../common/faults.js';
import { alignUp } from '../common/u64.js';

export const PAGE_SIZE = 4096n;

export type MemId = number;

export interface SysmemDma {
  readonly id: MemId;
  /** The size the caller asked for. */
  readonly size: bigint;
  /** uvm_mem_alloc picks PAGE_SIZE for DMA sysmem; mem_alloc_sysmem_dma_chunks supports nothing else. */
  readonly chunkSize: bigint;
  /** ALIGN_UP(size, chunk_size) / chunk_size: one coherent DMA page per chunk. */
  readonly chunks: number;
  cpuKernelMapped: boolean;
  /** The kernel CPU mapping was made with a decrypted (shared) pgprot. */
  cpuMappingDecrypted: boolean;
  gpuKernelMapped: boolean;
}

export interface SysmemSpace {
  mems: Map<MemId, SysmemDma>;
  nextMemId: MemId;
  /** parent_gpu->mapped_cpu_pages_size: bytes of coherent DMA pages currently allocated for the GPU. */
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
 */
export class SysmemDmaOps {
  /** uvm_mem_alloc + mem_alloc_sysmem_dma_chunks (000, "uvm_mem_alloc", "mem_alloc_sysmem_dma_chunks"). */
  allocSysmemDma(space: SysmemSpace, size: bigint, faults: FaultPlan): MemOutcome {
    // uvm_mem_alloc asserts size > 0; the specification refuses it as an invalid argument.
    if (size === 0n) return { ok: false, error: 'NV_ERR_INVALID_ARGUMENT' };
    if (faults.fails('uvm_kvmalloc_zero(uvm_mem_t)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const chunkSize = PAGE_SIZE;
    const chunks = Number(alignUp(size, chunkSize) / chunkSize);
    if (faults.fails('uvm_kvmalloc_zero(sysmem.pages, sysmem.va)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    if (faults.fails('mem_alloc_dma_addrs')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const failedAt = faults.firstFailureOf('uvm_gpu_dma_alloc_page', chunks);
    if (failedAt !== undefined) {
      // mem_free_sysmem_dma_chunks gives back the pages made so far: their accounting never outlives them.
      return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    }
    const id = space.nextMemId++;
    space.mems.set(id, { id, size, chunkSize, chunks, cpuKernelMapped: false, cpuMappingDecrypted: false, gpuKernelMapped: false });
    // uvm_gpu_dma_alloc_page adds PAGE_SIZE to mapped_cpu_pages_size for every page it hands out.
    space.mappedCpuPagesSize += BigInt(chunks) * PAGE_SIZE;
    return { ok: true, id };
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
    space.mappedCpuPagesSize -= BigInt(mem.chunks) * PAGE_SIZE;
    space.mems.delete(id);
  }

  /** uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel (000): allocate, then map on the CPU; free on failure. */
  allocSysmemDmaAndMapCpuKernel(space: SysmemSpace, size: bigint, faults: FaultPlan): MemOutcome {
    const made = this.allocSysmemDma(space, size, faults);
    if (!made.ok) return made;
    const error = this.mapCpuKernel(space, made.id, faults);
    if (error !== undefined) {
      this.free(space, made.id);
      return { ok: false, error };
    }
    return made;
  }
}
