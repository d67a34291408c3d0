// The upstream versions of the pool the specification follows. The pool's code (uvm_conf_computing.c, the
// dma_buffer_* functions and uvm_conf_computing_dma_buffer_alloc/_free) is the same in every release from 550.40.07
// to 575.64.05, and again the same from 580.65.06 to 595.45.04; uvm_tracker.c does not change across either range
// in what the pool uses. What 580 changed (open-gpu-kernel-modules, kernel-open/nvidia-uvm/uvm_conf_computing.c
// dma_buffer_alloc, uvm_mem.c mem_alloc_sysmem_dma_chunks, uvm_gpu.c uvm_gpu_dma_alloc): the 2 MiB staging buffer
// is one 2 MiB DMA chunk (uvm_mem_alloc with page_size UVM_PAGE_SIZE_2M) instead of 512 pages, and
// mapped_cpu_pages_size moves by the chunk size.

/** The version names, as `--spec-version` takes them; the first is the default (the current upstream). */
export const POOL_VERSION_NAMES = ['uvm-580', 'uvm-575'] as const;
export type PoolVersionName = (typeof POOL_VERSION_NAMES)[number];
export const DEFAULT_POOL_VERSION: PoolVersionName = 'uvm-580';

export interface PoolVersionRules {
  readonly name: PoolVersionName;
  /** uvm_mem.c allocates DMA sysmem in chunks of any size (uvm_gpu_dma_alloc) rather than PAGE_SIZE pages only. */
  readonly chunkedDmaAlloc: boolean;
  /** The page_size the staging buffer is allocated with: its chunk size. */
  readonly stagingPageSize: bigint;
}

const RULES: { readonly [name in PoolVersionName]: PoolVersionRules } = {
  'uvm-580': { name: 'uvm-580', chunkedDmaAlloc: true, stagingPageSize: 2n * 1024n * 1024n },
  'uvm-575': { name: 'uvm-575', chunkedDmaAlloc: false, stagingPageSize: 4096n },
};

export function isPoolVersion(name: string): name is PoolVersionName {
  return (POOL_VERSION_NAMES as readonly string[]).includes(name);
}

/** The rules of a version; the default version when none is named. An unknown name is a usage error. */
export function poolRules(version?: string): PoolVersionRules {
  if (version === undefined) return RULES[DEFAULT_POOL_VERSION];
  if (!isPoolVersion(version)) throw new Error(`unknown dma-pool specification version "${version}" (known: ${POOL_VERSION_NAMES.join(', ')})`);
  return RULES[version];
}
