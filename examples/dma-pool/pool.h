/*
 * A userspace port of the UVM Confidential-Computing DMA staging-buffer pool (uvm_conf_computing.c) and the
 * sysmem DMA allocations it is built from (uvm_mem.c), written from the source document
 * ../shared/seeds/000_e4d5058719a42ede.txt. The allocator calls that can fail ask a fault plan, in the same
 * order as the specification (model/dma-pool), so the suite can fail any one of them. It follows specification
 * version uvm-575 (open-gpu-kernel-modules 550-575: the staging buffer is 512 DMA pages of 4 KiB):
 * npm run conform -- --subsystem dma-pool --spec-version uvm-575 --impl examples/build/dma-pool
 */
#ifndef GPUMEM_DMA_POOL_H
#define GPUMEM_DMA_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "../common/jsonl.h"

#define PAGE_SIZE 4096ULL
#define DMA_BUFFER_SIZE (2ULL * 1024 * 1024)
#define AUTH_TAG_SIZE 16ULL
#define AUTH_TAGS_SIZE ((DMA_BUFFER_SIZE / PAGE_SIZE) * AUTH_TAG_SIZE)
#define PAGES_PER_BUFFER ((size_t)(DMA_BUFFER_SIZE / PAGE_SIZE))

typedef enum { NV_OK, NV_ERR_NO_MEMORY, NV_ERR_RC_ERROR, NV_ERR_INVALID_ARGUMENT } nv_status;
const char *nv_status_name(nv_status status);

/* A sysmem DMA allocation: one coherent page per chunk, mapped for the CPU and on the GPU. */
struct uvm_mem {
	int id;
	uint64_t size;
	uint64_t chunk_size;
	size_t chunks;
	uint64_t *dma_addrs; /* one per chunk */
	bool cpu_mapped, cpu_decrypted, gpu_mapped;
	struct uvm_mem *next; /* every live allocation, in the order made */
};

/* The machine's coherent DMA memory in 4 KiB pages: 4 GiB (the specification's POOL_DMA_PAGES). */
#define POOL_DMA_PAGES (1ULL << 20)

struct sysmem {
	struct uvm_mem *mems;
	int next_mem_id;
	uint64_t mapped_cpu_pages_size; /* parent_gpu->mapped_cpu_pages_size */
	bool sev_enabled;
};

struct dma_buffer {
	int id;
	struct uvm_mem *alloc;
	struct uvm_mem *auth_tag;
	bool tracker_initialized;      /* uvm_tracker_init'ed and not deinitialised */
	bool tracker_pending;          /* unfinished work on the DMA owner GPU */
	bool tracker_pending_elsewhere; /* unfinished work on other GPUs */
	uint64_t encrypted_page_mask[PAGES_PER_BUFFER / 64];
	struct dma_buffer *next; /* every buffer that exists, in the order made */
};

struct buffer_list {
	struct dma_buffer **items;
	size_t count, capacity;
};

struct dma_pool {
	bool initialized;
	size_t num_dma_buffers;
	struct buffer_list free;      /* free_dma_buffers: alloc takes the head, free adds at the tail */
	struct buffer_list held;      /* handed out, in hand-out order */
	struct dma_buffer *buffers;
	int next_buffer_id;
	struct sysmem sysmem;
};

void pool_setup(struct dma_pool *pool);
void pool_teardown(struct dma_pool *pool);
nv_status pool_init(struct dma_pool *pool, size_t count, struct fault_plan *faults);
nv_status pool_alloc(struct dma_pool *pool, bool out_tracker, struct fault_plan *faults, struct dma_buffer **out);
void pool_free(struct dma_pool *pool, struct dma_buffer *buffer, bool with_tracker, bool other_gpus);
void pool_encrypt(struct dma_buffer *buffer, size_t page);
void pool_sync(struct dma_pool *pool);
void pool_deinit(struct dma_pool *pool);

#endif
