// State of the sysmem DMA allocations (uvm_mem_t backed by coherent DMA chunks) of one set of GPUs: each
// allocation with its DMA owner and kernel mappings, the mappings themselves (GPU page tables, IOMMU mappings, the
// kernel vmap area), the per-GPU mapped_cpu_pages_size accounting, and the coherent DMA memory left.
// Source: 000_e4d5058719a42ede.txt ("uvm_mem_alloc", "mem_alloc_sysmem_dma_chunks", "uvm_gpu_dma_alloc_page",
// "uvm_mem_map_cpu_kernel", "mem_map_cpu_to_sysmem_kernel") and uvm_mem.c / uvm_gpu.c around them.

export const PAGE_SIZE = 4096n;

export type MemId = number;

/** GPU index (0-based) among the GPUs the allocations are made for. */
export type GpuIndex = number;

/** The page_size argument of uvm_mem_alloc: UVM_PAGE_SIZE_DEFAULT (0) or an explicit size. */
export const MEM_PAGE_SIZES = { default: 0n, '4K': 4096n, '64K': 65536n, '2M': 2n * 1024n * 1024n } as const;
export type MemPageSize = keyof typeof MEM_PAGE_SIZES;

export interface UvmDmaMem {
  readonly id: MemId;
  /** mem->dma_owner: the GPU whose device the chunks were allocated for (dma_alloc_coherent). */
  readonly dmaOwner: GpuIndex;
  /** mem->size, as the caller asked. */
  readonly size: bigint;
  /** mem->chunk_size: PAGE_SIZE, or (580 and later) any page-aligned size the caller asks for. */
  readonly chunkSize: bigint;
  /** mem->chunks_count = UVM_ALIGN_UP(size, chunk_size) / chunk_size: one coherent DMA allocation per chunk. */
  readonly chunks: bigint;
  /** mem->kernel.mapped_on, GPU part: bit g set when mapped in GPU g's kernel address space. */
  kernelMappedOn: number;
  /** mem->sysmem.mapped_on_phys: bit g set when GPU g has DMA addresses for the chunks. */
  mappedOnPhys: number;
  /** mem->kernel.mapped_on, CPU part (a vmap() of the chunks exists). */
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
  /** g_uvm_global.sev_enabled: system memory is encrypted, so memory a device reads must be mapped decrypted. */
  readonly sevEnabled: boolean;
  /** Coherent DMA memory the system can still hand out, in pages. */
  dmaPagesFree: bigint;
  readonly dmaPagesTotal: bigint;
  /** parent_gpu->mapped_cpu_pages_size, per GPU: bytes of DMA chunks allocated for it or IOMMU-mapped on it. */
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

export const gpuBit = (g: GpuIndex): number => 1 << g;

/** The GPU indices whose bits are set in a mask, lowest first. */
export function bitsOf(mask: number): GpuIndex[] {
  const out: GpuIndex[] = [];
  for (let g = 0; mask >> g !== 0; g++) if ((mask >> g) & 1) out.push(g);
  return out;
}

/** The coherent DMA pages one allocation holds (a chunk of chunk_size is chunk_size / PAGE_SIZE pages). */
export function dmaPagesOf(m: UvmDmaMem): bigint {
  return m.chunks * (m.chunkSize / PAGE_SIZE);
}

/** Whether the allocation's kernel CPU mapping (if any) was made with the decrypted protection. */
export function cpuMappingDecrypted(s: UvmMemSpace, id: MemId): boolean {
  return s.cpuVmaps.some((v) => v.mem === id && v.decrypted);
}
