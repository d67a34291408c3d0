// Seeded bugs in uvm_mem.c (model/uvm-mem): each overrides exactly one step of UvmMemOps, the way such code really
// goes wrong. They are seeded into the subsystems that keep sysmem DMA allocations, through the one place each
// creates its uvm_mem steps (DmaPoolModel.createSysmemOps, UvmVaSpaceModel.createMemOps); each subsystem's mutant
// list names the invariant that must catch the bug there.

import type { FaultPlan } from '../../model/common/faults.js';
import { wrapU64 } from '../../model/common/u64.js';
import { bitsOf, PAGE_SIZE, UvmMemOps, type GpuIndex, type MemId, type MemOutcome, type UvmMemSpace } from '../../model/uvm-mem/index.js';

/** uvm_mem_alloc without its size > 0 check: a zero-size allocation of zero chunks. */
export class ZeroSizeAccepted extends UvmMemOps {
  override validateSize(_size: bigint): string | undefined {
    return undefined;
  }
}

/** DMA sysmem with any chunk size before 580: a 64K chunk where mem_alloc_sysmem_dma_chunks supports PAGE_SIZE only. */
export class AnyChunkSizeAccepted extends UvmMemOps {
  override chunkSizeSupported(_chunkSize: bigint): boolean {
    return true;
  }
}

/** UVM_ALIGN_DOWN where UVM_ALIGN_UP was meant: the tail of the last page is not allocated. */
export class AlignDown extends UvmMemOps {
  override physicalSize(size: bigint, chunkSize: bigint): bigint | undefined {
    return size & ~(chunkSize - 1n);
  }
}

/** UVM_ALIGN_UP as the macro does it, wrapping: a size within a page of 2^64 becomes zero chunks. */
export class AlignWraps extends UvmMemOps {
  override physicalSize(size: bigint, chunkSize: bigint): bigint | undefined {
    return wrapU64((size + chunkSize - 1n) & ~(chunkSize - 1n));
  }
}

/** 580: chunks_count computed in pages (physical_size / PAGE_SIZE) although a chunk is larger than a page. */
export class ChunkCountInPages extends UvmMemOps {
  override chunkCount(physicalSize: bigint, _chunkSize: bigint): bigint {
    return physicalSize / PAGE_SIZE;
  }
}

/** A chunk allocation failing part way returns the error but keeps the chunks made so far. */
export class PageFailureKeepsPages extends UvmMemOps {
  override allocDmaChunks(space: UvmMemSpace, owner: GpuIndex, chunks: bigint, chunkSize: bigint, faults: FaultPlan): string | undefined {
    for (let made = 0n; made < chunks; made++) {
      if (space.dmaPagesFree < chunkSize / PAGE_SIZE || faults.fails(this.dmaAllocSite)) return 'NV_ERR_NO_MEMORY';
      this.dmaAllocChunk(space, owner, made, chunkSize);
    }
    return undefined;
  }
}

/** A chunk allocation failing part way gives the chunks back but leaves them counted in mapped_cpu_pages_size. */
export class ChunkFailureKeepsAccounting extends UvmMemOps {
  override allocDmaChunks(space: UvmMemSpace, owner: GpuIndex, chunks: bigint, chunkSize: bigint, faults: FaultPlan): string | undefined {
    const start = faults.asked;
    const error = super.allocDmaChunks(space, owner, chunks, chunkSize, faults);
    const made = BigInt(faults.asked - start - 1); // the failing chunk itself was not made
    if (error !== undefined && made > 0n) space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) + made * chunkSize;
    return error;
  }
}

/** uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel returns the vmap error without uvm_mem_free. */
export class MapCpuFailureKeepsAllocation extends UvmMemOps {
  override allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan, pageSize = 0n): MemOutcome {
    const made = this.alloc(space, owner, size, pageSize, faults);
    if (!made.ok) return made;
    const error = this.mapCpuKernel(space, made.id, faults);
    return error === undefined ? made : { ok: false, error };
  }
}

/** uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel returns the allocation without its CPU mapping. */
export class AllocAndMapSkipsVmap extends UvmMemOps {
  override allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan, pageSize = 0n): MemOutcome {
    return this.alloc(space, owner, size, pageSize, faults);
  }
}

/** The first chunk of every allocation is added to mapped_cpu_pages_size twice. */
export class FirstPageCountedTwice extends UvmMemOps {
  override dmaAllocChunk(space: UvmMemSpace, owner: GpuIndex, index: bigint, chunkSize: bigint): void {
    super.dmaAllocChunk(space, owner, index, chunkSize);
    if (index === 0n) space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) + chunkSize;
  }
}

/** 580: freeing a DMA chunk gives back PAGE_SIZE to mapped_cpu_pages_size (uvm_parent_gpu_dma_free_page kept), not the chunk size. */
export class ChunkFreeGivesBackPageSize extends UvmMemOps {
  override dmaFreeChunks(space: UvmMemSpace, owner: GpuIndex, count: bigint, chunkSize: bigint): void {
    super.dmaFreeChunks(space, owner, count, chunkSize);
    space.mappedCpuPagesSize[owner] = (space.mappedCpuPagesSize[owner] ?? 0n) + count * (chunkSize - PAGE_SIZE);
  }
}

/** uvm_mem_unmap_gpu_phys removes the IOMMU mappings without giving their size back to mapped_cpu_pages_size. */
export class IommuUnmapKeepsAccounting extends UvmMemOps {
  override unmapGpuPhys(space: UvmMemSpace, id: MemId, gpu: GpuIndex): void {
    const before = space.mappedCpuPagesSize[gpu] ?? 0n;
    super.unmapGpuPhys(space, id, gpu);
    space.mappedCpuPagesSize[gpu] = before;
  }
}

/** An IOMMU mapping error of sysmem_map_gpu_phys is reported as NV_ERR_NO_MEMORY instead of NV_ERR_OPERATING_SYSTEM. */
export class IommuFailureReportsNoMemory extends UvmMemOps {
  override mapGpuPhys(space: UvmMemSpace, id: MemId, gpu: GpuIndex, faults: FaultPlan): string | undefined {
    const error = super.mapGpuPhys(space, id, gpu, faults);
    return error === 'NV_ERR_OPERATING_SYSTEM' ? 'NV_ERR_NO_MEMORY' : error;
  }
}

/** mem_map_cpu_to_sysmem_kernel keeps PAGE_KERNEL under SEV: the CPU maps the shared pages encrypted. */
export class CpuMappingLeftEncrypted extends UvmMemOps {
  override kernelPgprotDecrypted(_space: UvmMemSpace): boolean {
    return false;
  }
}

/** uvm_mem_free skips the loop over kernel.mapped_on: the GPU's PTEs keep pointing at freed chunks. */
export class FreeSkipsGpuUnmap extends UvmMemOps {
  override free(space: UvmMemSpace, id: MemId): void {
    const mem = space.mems.get(id);
    if (mem === undefined) return;
    this.unmapCpuKernel(space, id);
    for (const gpu of bitsOf(mem.mappedOnPhys)) if (gpu !== mem.dmaOwner) this.unmapGpuPhys(space, id, gpu);
    this.dmaFreeChunks(space, mem.dmaOwner, mem.chunks, mem.chunkSize);
    space.mems.delete(id);
  }
}

/** uvm_mem_free skips uvm_mem_unmap_cpu_kernel: the vmap outlives the chunks. */
export class FreeSkipsVunmap extends UvmMemOps {
  override free(space: UvmMemSpace, id: MemId): void {
    const mem = space.mems.get(id);
    if (mem === undefined) return;
    for (const gpu of bitsOf(mem.kernelMappedOn)) this.unmapGpuKernel(space, id, gpu);
    for (const gpu of bitsOf(mem.mappedOnPhys)) this.unmapGpuPhys(space, id, gpu);
    this.dmaFreeChunks(space, mem.dmaOwner, mem.chunks, mem.chunkSize);
    space.mems.delete(id);
  }
}
