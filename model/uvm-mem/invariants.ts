// Invariants of sysmem DMA allocations, each named for what it protects. They hold of the allocations alone, so
// every subsystem that keeps some (the DMA staging-buffer pool, the VA space) checks them on its own state through
// a view: `uvmMemInvariants(view)` gives them, by name, for the subsystem to list.

import type { Invariant } from '../common/spec.js';
import { dmaPagesOf, gpuBit, type GpuIndex, type UvmMemSpace } from './state.js';

const SOURCE = '000_e4d5058719a42ede.txt';

/** Where a subsystem's state keeps its allocations, and how its traces name a GPU. */
export interface UvmMemView<S> {
  readonly mem: (s: S) => UvmMemSpace;
  readonly gpuName: (g: GpuIndex) => string;
}

/** The names, in the order uvmMemInvariants lists them. */
export const UVM_MEM_INVARIANT_NAMES = ['allocationCoversRequestedSize', 'mappedCpuPagesSizeIsExact', 'cpuMappingIsDecryptedUnderEncryption', 'noMappingOutlivesItsMemory'] as const;
export type UvmMemInvariantName = (typeof UVM_MEM_INVARIANT_NAMES)[number];

const hex = (x: bigint) => '0x' + x.toString(16);

export function uvmMemInvariants<S>(view: UvmMemView<S>): { readonly [name in UvmMemInvariantName]: Invariant<S> } {
  const { mem: memOf, gpuName } = view;
  return {
    allocationCoversRequestedSize: {
      // 000, "uvm_mem_alloc": physical_size = UVM_ALIGN_UP(size, chunk_size); chunks_count = physical_size / chunk_size.
      name: 'allocationCoversRequestedSize',
      source: `${SOURCE} § uvm_mem_alloc (UVM_ALIGN_UP(mem->size, mem->chunk_size))`,
      check: ({ after }) => {
        for (const m of memOf(after).mems.values()) {
          const physical = m.chunks * m.chunkSize;
          if (physical < m.size) return `m${m.id}: ${m.chunks} chunks of ${hex(m.chunkSize)} (${hex(physical)} B) do not cover the ${hex(m.size)} B asked for`;
          if (physical - m.chunkSize >= m.size) return `m${m.id}: ${m.chunks} chunks for ${hex(m.size)} B is more than aligning up gives`;
        }
        return undefined;
      },
    },
    mappedCpuPagesSizeIsExact: {
      // 000, "uvm_gpu_dma_alloc_page": atomic64_add(PAGE_SIZE, &mapped_cpu_pages_size) per page, and the same taken
      // back per page freed (580 and later, uvm_gpu.c uvm_gpu_dma_alloc / uvm_parent_gpu_dma_free: the chunk size per
      // chunk); uvm_gpu.c's IOMMU map/unmap of the chunks for other GPUs adds/subtracts their size on those GPUs.
      name: 'mappedCpuPagesSizeIsExact',
      source: `${SOURCE} § uvm_gpu_dma_alloc_page (atomic64_add(PAGE_SIZE, &parent_gpu->mapped_cpu_pages_size)); uvm_gpu.c 580.65.06 uvm_gpu_dma_alloc; uvm_gpu.c uvm_parent_gpu_map_cpu_pages`,
      check: ({ after }) => {
        const mem = memOf(after);
        const want = mem.mappedCpuPagesSize.map(() => 0n);
        let pages = 0n;
        for (const m of mem.mems.values()) {
          pages += dmaPagesOf(m);
          want[m.dmaOwner] = (want[m.dmaOwner] ?? 0n) + m.chunks * m.chunkSize;
          for (let g = 0; g < want.length; g++) if (g !== m.dmaOwner && m.mappedOnPhys & gpuBit(g)) want[g] = (want[g] ?? 0n) + m.chunks * m.chunkSize;
        }
        for (let g = 0; g < want.length; g++) {
          const have = mem.mappedCpuPagesSize[g] ?? 0n;
          if (have !== want[g]) return `${gpuName(g)}: mapped_cpu_pages_size=${hex(have)} but its live DMA chunks and IOMMU mappings make ${hex(want[g] ?? 0n)}`;
        }
        if (mem.dmaPagesFree + pages !== mem.dmaPagesTotal) return `${pages} DMA pages are allocated and ${mem.dmaPagesFree} free, of ${mem.dmaPagesTotal}`;
        return undefined;
      },
    },
    cpuMappingIsDecryptedUnderEncryption: {
      // 000, "mem_map_cpu_to_sysmem_kernel": if (sev_enabled && uvm_mem_is_sysmem_dma(mem)) prot = uvm_pgprot_decrypted(PAGE_KERNEL_NOENC).
      name: 'cpuMappingIsDecryptedUnderEncryption',
      source: `${SOURCE} § mem_map_cpu_to_sysmem_kernel (uvm_pgprot_decrypted(PAGE_KERNEL_NOENC) under SEV)`,
      check: ({ after }) => {
        const mem = memOf(after);
        if (!mem.sevEnabled) return undefined;
        const bad = mem.cpuVmaps.find((v) => !v.decrypted);
        return bad === undefined ? undefined : `m${bad.mem} is vmap()ed encrypted under SEV: the CPU and the GPU would see different bytes`;
      },
    },
    noMappingOutlivesItsMemory: {
      // 000, "uvm_mem_map_cpu_kernel" and uvm_mem.c's uvm_mem_free ("Clear all mappings and free the memory"):
      // every PTE, IOMMU mapping and vmap is of a live allocation and recorded in its mapped_on masks.
      name: 'noMappingOutlivesItsMemory',
      source: `${SOURCE} § uvm_mem_map_cpu_kernel / mem_set_mapped_on_cpu_kernel; uvm_mem.c uvm_mem_free`,
      check: ({ after }) => {
        const mem = memOf(after);
        const gpus = mem.mappedCpuPagesSize.length;
        for (let g = 0; g < gpus; g++) {
          for (const id of mem.gpuKernelPtes[g] ?? []) {
            const m = mem.mems.get(id);
            if (m === undefined) return `${gpuName(g)}'s kernel page tables still map m${id}, which was freed`;
            if ((m.kernelMappedOn & gpuBit(g)) === 0) return `${gpuName(g)} maps m${id} but its kernel.mapped_on lacks ${gpuName(g)}`;
          }
          for (const id of mem.iommuMappings[g] ?? []) {
            const m = mem.mems.get(id);
            if (m === undefined) return `${gpuName(g)} still has IOMMU mappings of m${id}, which was freed`;
            if ((m.mappedOnPhys & gpuBit(g)) === 0) return `${gpuName(g)} has IOMMU mappings of m${id} but its mapped_on_phys lacks ${gpuName(g)}`;
          }
        }
        for (const v of mem.cpuVmaps) {
          const m = mem.mems.get(v.mem);
          if (m === undefined) return `a kernel vmap of m${v.mem} outlives the allocation`;
          if (!m.cpuKernelMapped) return `m${v.mem} is vmap()ed but not marked mapped on the CPU`;
        }
        for (const m of mem.mems.values()) {
          for (let g = 0; g < gpus; g++) {
            if (m.kernelMappedOn & gpuBit(g) && !(mem.gpuKernelPtes[g] ?? []).includes(m.id)) return `m${m.id} is marked mapped on ${gpuName(g)} without PTEs there`;
            if (m.kernelMappedOn & gpuBit(g) && !(m.mappedOnPhys & gpuBit(g))) return `m${m.id} is kernel-mapped on ${gpuName(g)} without DMA addresses for it`;
            if (g !== m.dmaOwner && m.mappedOnPhys & gpuBit(g) && !(mem.iommuMappings[g] ?? []).includes(m.id)) return `m${m.id} is marked phys-mapped on ${gpuName(g)} without IOMMU mappings`;
          }
          if (m.cpuKernelMapped && !mem.cpuVmaps.some((v) => v.mem === m.id)) return `m${m.id} is marked mapped on the CPU without a vmap`;
        }
        return undefined;
      },
    },
  };
}
