/*
 * gpumem-spec's implementations of the kernel and UVM services declared in include/ (see uvm_shim_base.h).
 * Project code; the upstream files it serves are compiled from the user's tree.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>

#include "shim.h"
#include "uvm_channel.h"
#include "uvm_gpu.h"
#include "uvm_mem.h"
#include "uvm_push.h"

uvm_global_t g_uvm_global = { .conf_computing_enabled = true, .sev_enabled = true };

/* ------------------------------------------------------------------------------------------ fault plan */

static struct fault_plan *faults;
static NV_STATUS global_status = NV_OK;

void uvm_shim_begin_operation(struct fault_plan *plan)
{
	faults = plan;
	global_status = NV_OK;
}

const char *uvm_shim_sites[UVM_SHIM_MAX_SITES];
size_t uvm_shim_site_count;

bool uvm_shim_fails(const char *site)
{
	if (uvm_shim_site_count < UVM_SHIM_MAX_SITES)
		uvm_shim_sites[uvm_shim_site_count++] = site;
	return faults != NULL && fault_fails(faults);
}

/* ------------------------------------------------------------------------------------------ assertions */

static char assertions[UVM_SHIM_MAX_ASSERTIONS][320];
static size_t assertion_count;

void uvm_shim_assert_failed(const char *kind, const char *expr, const char *file, int line, const char *func)
{
	const char *base = strrchr(file, '/');
	fprintf(stderr, "gpumem-shim: %s(%s) failed in %s (%s:%d)\n", kind, expr, func, base ? base + 1 : file, line);
	if (assertion_count < UVM_SHIM_MAX_ASSERTIONS)
		snprintf(assertions[assertion_count++], sizeof(assertions[0]), "%s(%s) in %s (%s:%d)", kind, expr, func,
			 base ? base + 1 : file, line);
}

size_t uvm_shim_assertion_count(void)
{
	return assertion_count;
}

const char *uvm_shim_assertion(size_t i)
{
	return i < assertion_count ? assertions[i] : "";
}

void uvm_shim_clear_assertions(void)
{
	assertion_count = 0;
}

bool uvm_shim_list_valid(const struct list_head *entry, const char *func)
{
	if (entry == LIST_POISON1 || entry == LIST_POISON2 || entry->next == LIST_POISON1 || entry->prev == LIST_POISON2) {
		uvm_shim_assert_failed("list", "entry not poisoned (used after list_del)", __FILE__, __LINE__, func);
		return false;
	}
	return true;
}

/* ------------------------------------------------------------------------------------------ kvmalloc */

/* Every live dma_buffer struct, numbered in the order made (the specification's buffer ids). */
struct uvm_shim_buffer uvm_shim_buffers[UVM_SHIM_MAX_BUFFERS];
size_t uvm_shim_buffer_count;
int uvm_shim_next_buffer_id;

static void *allocate(size_t size, bool zero)
{
	void *p;
	if (uvm_shim_fails(size == sizeof(uvm_conf_computing_dma_buffer_t) ? "uvm_kvmalloc_zero(dma_buffer)" : "uvm_kvmalloc"))
		return NULL;
	p = zero ? calloc(1, size) : malloc(size);
	if (p == NULL)
		abort();
	/* The pool's buffer structs are the only allocations of this size: number them as they are made. */
	if (size == sizeof(uvm_conf_computing_dma_buffer_t) && uvm_shim_buffer_count < UVM_SHIM_MAX_BUFFERS)
		uvm_shim_buffers[uvm_shim_buffer_count++] = (struct uvm_shim_buffer){ p, uvm_shim_next_buffer_id++ };
	return p;
}

void *uvm_kvmalloc(size_t size)
{
	return allocate(size, false);
}

void *uvm_kvmalloc_zero(size_t size)
{
	return allocate(size, true);
}

void *uvm_kvrealloc(void *p, size_t new_size)
{
	void *q;
	if (uvm_shim_fails("uvm_kvrealloc"))
		return NULL;
	q = realloc(p, new_size);
	if (q == NULL)
		abort();
	return q;
}

void uvm_kvfree(void *p)
{
	for (size_t i = 0; i < uvm_shim_buffer_count; i++) {
		if (uvm_shim_buffers[i].buffer == p) {
			memmove(&uvm_shim_buffers[i], &uvm_shim_buffers[i + 1], (uvm_shim_buffer_count - i - 1) * sizeof(uvm_shim_buffers[0]));
			uvm_shim_buffer_count--;
			break;
		}
	}
	free(p);
}

/* ------------------------------------------------------------------------------------------ mutex */

void uvm_mutex_init(uvm_mutex_t *mutex, uvm_lock_order_t order)
{
	mutex->locked = false;
	mutex->order = order;
	mutex->acquisitions = 0;
}

void uvm_mutex_lock(uvm_mutex_t *mutex)
{
	if (mutex->locked)
		uvm_shim_assert_failed("uvm_mutex_lock", "mutex not already held (deadlock)", __FILE__, __LINE__, __func__);
	mutex->locked = true;
	mutex->acquisitions++;
}

void uvm_mutex_unlock(uvm_mutex_t *mutex)
{
	if (!mutex->locked)
		uvm_shim_assert_failed("uvm_mutex_unlock", "mutex held", __FILE__, __LINE__, __func__);
	mutex->locked = false;
}

/* ------------------------------------------------------------------------------------------ global status, channels */

/*
 * A wait that still has unfinished work asks the global status; a fault of the plan there is the fatal error
 * a tracker wait fails on (NV_ERR_RC_ERROR, as the specification reports it). The error stays set for the rest
 * of the operation, as upstream's global error does, so the assertions that compare against it hold.
 */
NV_STATUS uvm_global_get_status(void)
{
	if (global_status == NV_OK && uvm_shim_fails("uvm_global_get_status (a tracker wait)"))
		global_status = NV_ERR_RC_ERROR;
	return global_status;
}

bool uvm_channel_is_value_completed(uvm_channel_t *channel, NvU64 value)
{
	return channel->completed >= value;
}

NV_STATUS uvm_channel_check_errors(uvm_channel_t *channel)
{
	channel->completed = channel->queued;
	return NV_OK;
}

uvm_gpu_t *uvm_channel_get_gpu(uvm_channel_t *channel)
{
	return channel->gpu;
}

NvU64 uvm_channel_tracking_semaphore_get_gpu_va(uvm_channel_t *channel)
{
	(void)channel;
	return 0;
}

void uvm_channel_print_pending_pushes(uvm_channel_t *channel)
{
	(void)channel;
}

const char *uvm_gpu_name(uvm_gpu_t *gpu)
{
	return gpu->name;
}

void uvm_push_get_tracker_entry(uvm_push_t *push, uvm_tracker_entry_t *entry)
{
	(void)push;
	uvm_shim_assert_failed("shim", "uvm_push_get_tracker_entry is not used by the pool", __FILE__, __LINE__, __func__);
	entry->channel = NULL;
	entry->value = 0;
}

NV_STATUS uvm_push_wait(uvm_push_t *push)
{
	(void)push;
	uvm_shim_assert_failed("shim", "uvm_push_wait is not used by the pool", __FILE__, __LINE__, __func__);
	return NV_OK;
}

uvm_channel_t *uvm_shim_channel(uvm_gpu_t *gpu, const char *name)
{
	uvm_channel_t *channel = calloc(1, sizeof(*channel));
	if (channel == NULL)
		abort();
	channel->gpu = gpu;
	snprintf(channel->name, sizeof(channel->name), "%s", name);
	return channel;
}

uvm_tracker_entry_t uvm_shim_push_work(uvm_channel_t *channel)
{
	return (uvm_tracker_entry_t){ .channel = channel, .value = ++channel->queued };
}

/* ------------------------------------------------------------------------------------------ uvm_mem */

uvm_mem_t *uvm_shim_mems;
int uvm_shim_next_mem_id = 1;
NvU64 uvm_shim_mapped_cpu_pages_size;
#ifdef GPUMEM_UVM_580
bool uvm_shim_chunked_dma_alloc = true;
#else
bool uvm_shim_chunked_dma_alloc = false;
#endif

static NvU64 dma_pages_used(void)
{
	NvU64 pages = 0;
	for (const uvm_mem_t *m = uvm_shim_mems; m; m = m->next)
		pages += (NvU64)m->chunks * (m->chunk_size / PAGE_SIZE);
	return pages;
}

NV_STATUS uvm_mem_alloc(const uvm_mem_alloc_params_t *params, uvm_mem_t **mem_out)
{
	NvU64 chunk = params->page_size == UVM_PAGE_SIZE_DEFAULT ? PAGE_SIZE : params->page_size;
	uvm_mem_t *mem, **tail;
	size_t chunks;

	if (params->size == 0 || (!uvm_shim_chunked_dma_alloc && chunk != PAGE_SIZE))
		return NV_ERR_INVALID_ARGUMENT;
	if (uvm_shim_fails("uvm_kvmalloc_zero(uvm_mem_t)"))
		return NV_ERR_NO_MEMORY;
	chunks = (size_t)((params->size + chunk - 1) / chunk);
	if (uvm_shim_fails("uvm_kvmalloc_zero(sysmem.pages, sysmem.va)") || uvm_shim_fails("mem_alloc_dma_addrs"))
		return NV_ERR_NO_MEMORY;
	/* Each chunk: no coherent memory left (asks no fault plan), or the fault plan fails the allocation. */
	NvU64 used = dma_pages_used();
	for (size_t i = 0; i < chunks; i++, used += chunk / PAGE_SIZE)
		if (used + chunk / PAGE_SIZE > UVM_SHIM_DMA_PAGES ||
		    uvm_shim_fails(uvm_shim_chunked_dma_alloc ? "uvm_gpu_dma_alloc" : "uvm_gpu_dma_alloc_page"))
			return NV_ERR_NO_MEMORY;
	mem = calloc(1, sizeof(*mem));
	if (mem == NULL)
		abort();
	mem->dma_owner = params->dma_owner;
	mem->size = params->size;
	mem->chunk_size = chunk;
	mem->chunks = chunks;
	mem->id = uvm_shim_next_mem_id++;
	for (tail = &uvm_shim_mems; *tail; tail = &(*tail)->next)
		;
	*tail = mem;
	uvm_shim_mapped_cpu_pages_size += (NvU64)chunks * chunk;
	*mem_out = mem;
	return NV_OK;
}

NV_STATUS uvm_mem_map_cpu_kernel(uvm_mem_t *mem)
{
	if (mem->cpu_mapped)
		return NV_OK;
	if (uvm_shim_fails("vmap"))
		return NV_ERR_NO_MEMORY;
	mem->cpu_mapped = true;
	mem->cpu_decrypted = g_uvm_global.sev_enabled;
	return NV_OK;
}

NV_STATUS uvm_mem_map_gpu_kernel(uvm_mem_t *mem, uvm_gpu_t *gpu)
{
	(void)gpu;
	if (mem->gpu_mapped)
		return NV_OK;
	if (uvm_shim_fails("uvm_mem_map_gpu_kernel"))
		return NV_ERR_NO_MEMORY;
	mem->gpu_mapped = true;
	return NV_OK;
}

void uvm_mem_free(uvm_mem_t *mem)
{
	uvm_mem_t **link;
	if (mem == NULL)
		return;
	for (link = &uvm_shim_mems; *link && *link != mem; link = &(*link)->next)
		;
	if (*link == NULL) {
		uvm_shim_assert_failed("shim", "uvm_mem_free of a live allocation", __FILE__, __LINE__, __func__);
		return;
	}
	*link = mem->next;
	uvm_shim_mapped_cpu_pages_size -= (NvU64)mem->chunks * mem->chunk_size;
	free(mem);
}

NV_STATUS uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(NvU64 size, uvm_gpu_t *dma_owner, struct mm_struct *mm, uvm_mem_t **mem_out)
{
	uvm_mem_alloc_params_t params = { .size = size, .page_size = UVM_PAGE_SIZE_DEFAULT, .dma_owner = dma_owner, .mm = mm };
	uvm_mem_t *mem;
	NV_STATUS status = uvm_mem_alloc(&params, &mem);
	if (status != NV_OK)
		return status;
	status = uvm_mem_map_cpu_kernel(mem);
	if (status != NV_OK) {
		uvm_mem_free(mem);
		return status;
	}
	*mem_out = mem;
	return NV_OK;
}

void uvm_shim_reset_mems(void)
{
	while (uvm_shim_mems != NULL) {
		uvm_mem_t *next = uvm_shim_mems->next;
		free(uvm_shim_mems);
		uvm_shim_mems = next;
	}
	uvm_shim_next_mem_id = 1;
	uvm_shim_mapped_cpu_pages_size = 0;
}

const char *nvstatusToString(NV_STATUS status)
{
	switch (status) {
	case NV_OK: return "NV_OK";
	case NV_ERR_NO_MEMORY: return "NV_ERR_NO_MEMORY";
	case NV_ERR_RC_ERROR: return "NV_ERR_RC_ERROR";
	case NV_ERR_INVALID_ARGUMENT: return "NV_ERR_INVALID_ARGUMENT";
	case NV_ERR_INVALID_STATE: return "NV_ERR_INVALID_STATE";
	case NV_ERR_TIMEOUT_RETRY: return "NV_ERR_TIMEOUT_RETRY";
	case NV_WARN_MORE_PROCESSING_REQUIRED: return "NV_WARN_MORE_PROCESSING_REQUIRED";
	}
	return "NV_ERR_GENERIC";
}
