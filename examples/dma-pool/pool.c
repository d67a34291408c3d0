/* See pool.h. Build with -DBUG_FREE_RETURNS_TWICE for the variant whose free path returns a buffer twice. */
#include "pool.h"

#include <stdlib.h>
#include <string.h>

const char *nv_status_name(nv_status status)
{
	switch (status) {
	case NV_OK:
		return "NV_OK";
	case NV_ERR_NO_MEMORY:
		return "NV_ERR_NO_MEMORY";
	case NV_ERR_RC_ERROR:
		return "NV_ERR_RC_ERROR";
	case NV_ERR_INVALID_ARGUMENT:
		return "NV_ERR_INVALID_ARGUMENT";
	}
	return "NV_ERR_GENERIC";
}

/* ---- sysmem DMA allocations (uvm_mem.c) ---- */

static void mem_free(struct sysmem *space, struct uvm_mem *mem)
{
	struct uvm_mem **link;

	if (!mem)
		return;
	mem->gpu_mapped = false;
	mem->cpu_mapped = false;
	space->mapped_cpu_pages_size -= mem->chunks * PAGE_SIZE;
	for (link = &space->mems; *link; link = &(*link)->next) {
		if (*link == mem) {
			*link = mem->next;
			break;
		}
	}
	free(mem->dma_addrs);
	free(mem);
}

static uint64_t dma_pages_used(const struct sysmem *space)
{
	const struct uvm_mem *m;
	uint64_t pages = 0;

	for (m = space->mems; m; m = m->next)
		pages += m->chunks * (m->chunk_size / PAGE_SIZE);
	return pages;
}

/* uvm_mem_alloc + mem_alloc_sysmem_dma_chunks */
static nv_status mem_alloc_sysmem_dma(struct sysmem *space, uint64_t size, struct fault_plan *faults, struct uvm_mem **out)
{
	struct uvm_mem *mem, **tail;
	size_t chunks, made;
	uint64_t used;

	if (size == 0)
		return NV_ERR_INVALID_ARGUMENT;
	if (fault_fails(faults)) /* uvm_kvmalloc_zero(uvm_mem_t) */
		return NV_ERR_NO_MEMORY;
	chunks = (size_t)((size + PAGE_SIZE - 1) / PAGE_SIZE);
	if (fault_fails(faults)) /* uvm_kvmalloc_zero(sysmem.pages, sysmem.va) */
		return NV_ERR_NO_MEMORY;
	if (fault_fails(faults)) /* mem_alloc_dma_addrs */
		return NV_ERR_NO_MEMORY;
	mem = calloc(1, sizeof(*mem));
	mem->dma_addrs = calloc(chunks, sizeof(*mem->dma_addrs));
	if (!mem || !mem->dma_addrs)
		abort();
	used = dma_pages_used(space);
	for (made = 0; made < chunks; made++) {
		/* no coherent memory left (asks no fault plan), or uvm_gpu_dma_alloc_page fails */
		if (used + made >= POOL_DMA_PAGES || fault_fails(faults)) {
			/* mem_free_sysmem_dma_chunks: give back the pages made so far */
			space->mapped_cpu_pages_size -= made * PAGE_SIZE;
			free(mem->dma_addrs);
			free(mem);
			return NV_ERR_NO_MEMORY;
		}
		mem->dma_addrs[made] = 0x100000000ULL + (uint64_t)made * PAGE_SIZE;
		space->mapped_cpu_pages_size += PAGE_SIZE;
	}
	mem->id = space->next_mem_id++;
	mem->size = size;
	mem->chunk_size = PAGE_SIZE;
	mem->chunks = chunks;
	for (tail = &space->mems; *tail; tail = &(*tail)->next)
		;
	*tail = mem;
	*out = mem;
	return NV_OK;
}

/* uvm_mem_map_cpu_kernel: decrypted (shared with the device) when SEV is on */
static nv_status mem_map_cpu_kernel(struct sysmem *space, struct uvm_mem *mem, struct fault_plan *faults)
{
	if (mem->cpu_mapped)
		return NV_OK;
	if (fault_fails(faults)) /* vmap */
		return NV_ERR_NO_MEMORY;
	mem->cpu_mapped = true;
	mem->cpu_decrypted = space->sev_enabled;
	return NV_OK;
}

static nv_status mem_map_gpu_kernel(struct uvm_mem *mem, struct fault_plan *faults)
{
	if (mem->gpu_mapped)
		return NV_OK;
	if (fault_fails(faults)) /* uvm_mem_map_gpu_kernel */
		return NV_ERR_NO_MEMORY;
	mem->gpu_mapped = true;
	return NV_OK;
}

/* uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel */
static nv_status mem_alloc_and_map_cpu(struct sysmem *space, uint64_t size, struct fault_plan *faults, struct uvm_mem **out)
{
	struct uvm_mem *mem;
	nv_status status = mem_alloc_sysmem_dma(space, size, faults, &mem);

	if (status != NV_OK)
		return status;
	status = mem_map_cpu_kernel(space, mem, faults);
	if (status != NV_OK) {
		mem_free(space, mem);
		return status;
	}
	*out = mem;
	return NV_OK;
}

/* ---- the pool's lists ---- */

static void list_push(struct buffer_list *list, struct dma_buffer *buffer)
{
	if (list->count == list->capacity) {
		list->capacity = list->capacity ? 2 * list->capacity : 4;
		list->items = realloc(list->items, list->capacity * sizeof(*list->items));
		if (!list->items)
			abort();
	}
	list->items[list->count++] = buffer;
}

static struct dma_buffer *list_pop_head(struct buffer_list *list)
{
	struct dma_buffer *head = list->items[0];

	memmove(list->items, list->items + 1, (list->count - 1) * sizeof(*list->items));
	list->count--;
	return head;
}

static void list_remove(struct buffer_list *list, struct dma_buffer *buffer)
{
	for (size_t i = 0; i < list->count; i++) {
		if (list->items[i] == buffer) {
			memmove(list->items + i, list->items + i + 1, (list->count - i - 1) * sizeof(*list->items));
			list->count--;
			return;
		}
	}
}

/* ---- buffers (uvm_conf_computing.c) ---- */

/* dma_buffer_destroy_locked */
static void dma_buffer_destroy(struct dma_pool *pool, struct dma_buffer *buffer)
{
	struct dma_buffer **link;

	mem_free(&pool->sysmem, buffer->alloc);
	mem_free(&pool->sysmem, buffer->auth_tag);
	for (link = &pool->buffers; *link; link = &(*link)->next) {
		if (*link == buffer) {
			*link = buffer->next;
			break;
		}
	}
	free(buffer);
}

/* dma_buffer_create: the staging buffer, then the auth tags, each allocated, CPU-mapped, then GPU-mapped */
static nv_status dma_buffer_create(struct dma_pool *pool, struct fault_plan *faults, struct dma_buffer **out)
{
	struct dma_buffer *buffer, **tail;
	struct uvm_mem *mem;
	nv_status status;

	if (fault_fails(faults)) /* uvm_kvmalloc_zero(dma_buffer) */
		return NV_ERR_NO_MEMORY;
	buffer = calloc(1, sizeof(*buffer));
	if (!buffer)
		abort();
	buffer->id = pool->next_buffer_id++;
	buffer->tracker_initialized = true; /* uvm_tracker_init */
	for (tail = &pool->buffers; *tail; tail = &(*tail)->next)
		;
	*tail = buffer;

	status = mem_alloc_and_map_cpu(&pool->sysmem, DMA_BUFFER_SIZE, faults, &mem);
	if (status != NV_OK)
		goto err;
	buffer->alloc = mem;
	status = mem_map_gpu_kernel(buffer->alloc, faults);
	if (status != NV_OK)
		goto err;
	status = mem_alloc_and_map_cpu(&pool->sysmem, AUTH_TAGS_SIZE, faults, &mem);
	if (status != NV_OK)
		goto err;
	buffer->auth_tag = mem;
	status = mem_map_gpu_kernel(buffer->auth_tag, faults);
	if (status != NV_OK)
		goto err;
	*out = buffer;
	return NV_OK;
err:
	dma_buffer_destroy(pool, buffer);
	return status;
}

/* dma_buffer_pool_expand_locked: double the pool; partial success is success */
static nv_status pool_expand(struct dma_pool *pool, struct fault_plan *faults)
{
	size_t i, to_alloc = pool->num_dma_buffers;
	nv_status status = NV_OK;

	for (i = 0; i < to_alloc; i++) {
		struct dma_buffer *buffer;
		status = dma_buffer_create(pool, faults, &buffer);
		if (status != NV_OK)
			break;
		list_push(&pool->free, buffer);
	}
	pool->num_dma_buffers += i;
	return i == 0 ? status : NV_OK;
}

void pool_setup(struct dma_pool *pool)
{
	memset(pool, 0, sizeof(*pool));
	pool->sysmem.next_mem_id = 1;
	pool->sysmem.sev_enabled = true;
}

void pool_teardown(struct dma_pool *pool)
{
	while (pool->buffers)
		dma_buffer_destroy(pool, pool->buffers);
	free(pool->free.items);
	free(pool->held.items);
	pool_setup(pool);
}

/* conf_computing_dma_buffer_pool_init: on a partial failure nothing stays allocated */
nv_status pool_init(struct dma_pool *pool, size_t count, struct fault_plan *faults)
{
	for (size_t i = 0; i < count; i++) {
		struct dma_buffer *buffer;
		nv_status status = dma_buffer_create(pool, faults, &buffer);
		if (status != NV_OK) {
			while (pool->free.count > 0)
				dma_buffer_destroy(pool, list_pop_head(&pool->free));
			pool->num_dma_buffers = 0;
			return status;
		}
		list_push(&pool->free, buffer);
		pool->num_dma_buffers++;
	}
	pool->initialized = true;
	return NV_OK;
}

/* uvm_conf_computing_dma_buffer_free: the caller's tracker (if any) is merged; the buffer goes to the tail */
void pool_free(struct dma_pool *pool, struct dma_buffer *buffer, bool with_tracker, bool other_gpus)
{
	list_remove(&pool->held, buffer);
	if (with_tracker) {
		buffer->tracker_pending = true;
		if (other_gpus)
			buffer->tracker_pending_elsewhere = true;
#ifdef BUG_FREE_RETURNS_TWICE
		/* Put the buffer back as soon as its tracker is recorded ... */
		list_push(&pool->free, buffer);
#endif
	}
	/* ... and (again, in the buggy variant) on the common path. */
	list_push(&pool->free, buffer);
}

/* A wait that fails on the global error clears the tracker (uvm_tracker_clear). */
static nv_status tracker_failed(struct dma_buffer *buffer)
{
	buffer->tracker_pending = false;
	buffer->tracker_pending_elsewhere = false;
	return NV_ERR_RC_ERROR;
}

/*
 * The tracker steps of alloc (uvm_tracker.c): uvm_tracker_wait_for_other_gpus waits only for other GPUs' entries and
 * fails only while one is unfinished; uvm_tracker_add_tracker_safe has nothing to do for an empty tracker and answers
 * out-of-memory (uvm_tracker_reserve, tried twice) by waiting; uvm_tracker_wait fails only while work is unfinished.
 */
static nv_status wait_for_buffer(struct dma_buffer *buffer, bool out_tracker, struct fault_plan *faults)
{
	if (buffer->tracker_pending_elsewhere) {
		if (fault_fails(faults)) /* uvm_tracker_wait_for_other_gpus */
			return tracker_failed(buffer);
		buffer->tracker_pending_elsewhere = false;
	}
	if (!buffer->tracker_pending)
		return NV_OK;
	/* uvm_tracker_reserve, then again after uvm_tracker_remove_completed */
	if (out_tracker && !(fault_fails(faults) && fault_fails(faults))) {
		buffer->tracker_pending = false; /* the caller's out_tracker now orders against it */
		return NV_OK;
	}
	if (fault_fails(faults)) /* uvm_tracker_wait */
		return tracker_failed(buffer);
	buffer->tracker_pending = false;
	return NV_OK;
}

/* uvm_conf_computing_dma_buffer_alloc */
nv_status pool_alloc(struct dma_pool *pool, bool out_tracker, struct fault_plan *faults, struct dma_buffer **out)
{
	struct dma_buffer *buffer;
	nv_status status;

	if (pool->free.count == 0) {
		status = pool_expand(pool, faults);
		if (status != NV_OK)
			return status;
	}
	buffer = list_pop_head(&pool->free);

	status = wait_for_buffer(buffer, out_tracker, faults);
	if (status != NV_OK) {
		/* error: the tracker stays initialised (the failed wait emptied it); back to the pool, not to the caller */
		buffer->tracker_initialized = true;
		list_push(&pool->free, buffer);
		return status;
	}
	memset(buffer->encrypted_page_mask, 0, sizeof(buffer->encrypted_page_mask));
	list_push(&pool->held, buffer);
	*out = buffer;
	return NV_OK;
}

void pool_encrypt(struct dma_buffer *buffer, size_t page)
{
	buffer->encrypted_page_mask[page / 64] |= 1ULL << (page % 64);
}

/* uvm_conf_computing_dma_buffer_pool_sync: wait for every free buffer's tracker */
void pool_sync(struct dma_pool *pool)
{
	for (size_t i = 0; i < pool->free.count; i++) {
		pool->free.items[i]->tracker_pending = false;
		pool->free.items[i]->tracker_pending_elsewhere = false;
	}
}

/* conf_computing_dma_buffer_pool_deinit: destroy every free buffer, counting each down */
void pool_deinit(struct dma_pool *pool)
{
	for (size_t i = 0; i < pool->free.count; i++) {
		dma_buffer_destroy(pool, pool->free.items[i]);
		pool->num_dma_buffers--;
	}
	pool->free.count = 0;
	pool->initialized = false;
}
