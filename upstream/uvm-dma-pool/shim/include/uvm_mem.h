/*
 * gpumem-spec shim of uvm_mem.c as the pool uses it: sysmem DMA allocations with their kernel CPU and GPU
 * mappings. Each fallible step asks the fault plan in the order model/uvm-mem (UvmMemOps, the pool's rules) gives:
 * uvm_kvmalloc_zero(uvm_mem_t), the page arrays, mem_alloc_dma_addrs, one DMA allocation per chunk, then vmap
 * (CPU mapping) and uvm_mem_map_gpu_kernel. Allocations are numbered from 1 in the order they succeed.
 */
#ifndef GPUMEM_UVM_SHIM_MEM_H
#define GPUMEM_UVM_SHIM_MEM_H
#include "uvm_shim_base.h"

struct uvm_mem_struct {
	uvm_gpu_t *dma_owner;
	NvU64 size;
	NvU64 chunk_size;
	size_t chunks;
	int id;
	bool cpu_mapped, cpu_decrypted, gpu_mapped;
	uvm_mem_t *next; /* every live allocation, in the order made */
};

typedef struct {
	NvU64 size;
	NvU64 page_size;
	uvm_gpu_t *backing_gpu;
	uvm_gpu_t *dma_owner;
	struct mm_struct *mm;
	bool zero;
} uvm_mem_alloc_params_t;

NV_STATUS uvm_mem_alloc(const uvm_mem_alloc_params_t *params, uvm_mem_t **mem_out);
NV_STATUS uvm_mem_map_cpu_kernel(uvm_mem_t *mem);
NV_STATUS uvm_mem_map_gpu_kernel(uvm_mem_t *mem, uvm_gpu_t *gpu);
void uvm_mem_free(uvm_mem_t *mem);
NV_STATUS uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(NvU64 size, uvm_gpu_t *dma_owner, struct mm_struct *mm, uvm_mem_t **mem_out);

/* The machine's coherent DMA memory in 4 KiB pages: 4 GiB (the specification's POOL_DMA_PAGES). */
#define UVM_SHIM_DMA_PAGES (1ULL << 20)

/* The live allocations and mapped_cpu_pages_size, for the protocol's state. */
extern uvm_mem_t *uvm_shim_mems;
extern int uvm_shim_next_mem_id;
extern NvU64 uvm_shim_mapped_cpu_pages_size;
/* 580 and later: DMA chunks of any size (uvm_gpu_dma_alloc); before, PAGE_SIZE chunks only. */
extern bool uvm_shim_chunked_dma_alloc;
#endif
