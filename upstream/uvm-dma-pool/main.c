/*
 * gpumem-spec: the upstream CC DMA staging-buffer pool behind the conformance protocol (docs/conformance.md),
 * subsystem dma-pool. The pool functions and the tracker are the user's tree's, compiled unmodified
 * (pool_from_tree.c is generated from uvm_conf_computing.c at build time; uvm_tracker.c is compiled as it is);
 * this file only turns each request into the caller's calls and reports the observable state in the
 * specification's shape. An assertion the upstream code or a shim raised during the operation is listed in the
 * answer's "assertions".
 *
 * The caller's side, as the specification describes it:
 * - free(withTracker) hands over a tracker holding unfinished work on a channel of the DMA owner (and, with
 *   otherGpus, on a channel of a second GPU); each free's work is on its own channel, so waiting for one buffer
 *   does not finish another's.
 * - alloc(outTracker) passes a tracker that already holds the caller's own unfinished work (so merging the
 *   buffer's tracker into it needs memory, as the specification's uvm_tracker_reserve steps say), and the caller
 *   orders its use of the buffer after that tracker: its work is finished before the next request.
 * - init makes upstream's fixed 32 buffers whatever `count` says (run conform with init's count fixed at 32).
 */
#include <stdio.h>
#include <stdlib.h>

#include "shim.h"
#include "uvm_gpu.h"
#include "uvm_mem.h"

NV_STATUS gpumem_pool_init(uvm_conf_computing_dma_buffer_pool_t *pool);
void gpumem_pool_deinit(uvm_conf_computing_dma_buffer_pool_t *pool);

static uvm_gpu_t owner = { .id = 0, .name = "GPU0 (DMA owner)" };
static uvm_gpu_t other = { .id = 1, .name = "GPU1" };
#define POOL (&owner.conf_computing.dma_buffer_pool)

static bool initialized;
static uvm_conf_computing_dma_buffer_t *held[UVM_SHIM_MAX_BUFFERS];
static size_t held_count;
static uvm_channel_t *channels[1 << 16];
static size_t channel_count;

static uvm_channel_t *new_channel(uvm_gpu_t *gpu)
{
	char name[32];
	if (channel_count == sizeof(channels) / sizeof(channels[0])) {
		fprintf(stderr, "too many channels in one run\n");
		abort();
	}
	snprintf(name, sizeof(name), "ch%zu", channel_count);
	return channels[channel_count++] = uvm_shim_channel(gpu, name);
}

static int buffer_id(const void *buffer)
{
	for (size_t i = 0; i < uvm_shim_buffer_count; i++)
		if (uvm_shim_buffers[i].buffer == buffer)
			return uvm_shim_buffers[i].id;
	return -1;
}

/* The tracker's entries read directly (not through uvm_tracker_get_entries, which asserts on a deinitialised tracker). */
static const uvm_tracker_entry_t *entries_of(const uvm_tracker_t *tracker)
{
	if (tracker->max_size == 0)
		return NULL;
	return tracker->max_size == ARRAY_SIZE(tracker->static_entries) ? tracker->static_entries : tracker->dynamic_entries;
}

static bool pending_on(const uvm_tracker_t *tracker, bool on_owner)
{
	const uvm_tracker_entry_t *entries = entries_of(tracker);
	for (NvU32 i = 0; entries != NULL && i < tracker->size; i++) {
		const uvm_tracker_entry_t *e = &entries[i];
		if (e->channel != NULL && e->channel->completed < e->value && (e->channel->gpu == &owner) == on_owner)
			return true;
	}
	return false;
}

static void reset(void)
{
	/* Everything is released directly: upstream code is not asked to clean up after a run. */
	while (uvm_shim_buffer_count > 0) {
		uvm_conf_computing_dma_buffer_t *b = uvm_shim_buffers[0].buffer;
		if (b->tracker.max_size > ARRAY_SIZE(b->tracker.static_entries))
			free(b->tracker.dynamic_entries);
		uvm_kvfree(b);
	}
	uvm_shim_reset_mems();
	uvm_shim_next_buffer_id = 0;
	memset(POOL, 0, sizeof(*POOL));
	held_count = 0;
	initialized = false;
	while (channel_count > 0)
		free(channels[--channel_count]);
	uvm_shim_clear_assertions();
}

static void write_state(struct out *out)
{
	const uvm_mem_t *m;
	const char *sep = "";
	uint64_t pages = 0; /* coherent DMA pages the live allocations hold */

	out_printf(out, "\"state\":{\"initialized\":%s,\"numDmaBuffers\":%zu,\"nextBufferId\":%d,\"free\":[", initialized ? "true" : "false",
		   POOL->num_dma_buffers, uvm_shim_next_buffer_id);
	if (POOL->free_dma_buffers.next != NULL) {
		const struct list_head *node;
		size_t guard = 0;
		for (node = POOL->free_dma_buffers.next; node != &POOL->free_dma_buffers && node != LIST_POISON1 && guard < UVM_SHIM_MAX_BUFFERS;
		     node = node->next, guard++)
			out_printf(out, "%s%d", guard ? "," : "", buffer_id(container_of(node, uvm_conf_computing_dma_buffer_t, node)));
	}
	out_printf(out, "],\"held\":[");
	for (size_t i = 0; i < held_count; i++)
		out_printf(out, "%s%d", i ? "," : "", buffer_id(held[i]));
	out_printf(out, "],\"buffers\":{");
	for (size_t i = 0; i < uvm_shim_buffer_count; i++, sep = ",") {
		const uvm_conf_computing_dma_buffer_t *b = uvm_shim_buffers[i].buffer;
		int id = uvm_shim_buffers[i].id;
		int top = (int)ARRAY_SIZE(b->encrypted_page_mask.bitmap) - 1;
		out_printf(out, "%s\"%d\":{\"id\":%d,\"alloc\":", sep, id, id);
		out_printf(out, b->alloc ? "%d" : "null", b->alloc ? b->alloc->id : 0);
		out_printf(out, ",\"authTag\":");
		out_printf(out, b->auth_tag ? "%d" : "null", b->auth_tag ? b->auth_tag->id : 0);
		out_printf(out, ",\"trackerInitialized\":%s,\"trackerPending\":%s,\"trackerPendingElsewhere\":%s,\"encryptedPageMask\":\"0x",
			   b->tracker.max_size != 0 ? "true" : "false", pending_on(&b->tracker, true) ? "true" : "false",
			   pending_on(&b->tracker, false) ? "true" : "false");
		while (top > 0 && b->encrypted_page_mask.bitmap[top] == 0)
			top--;
		out_printf(out, "%lx", b->encrypted_page_mask.bitmap[top]);
		for (int w = top - 1; w >= 0; w--)
			out_printf(out, "%016lx", b->encrypted_page_mask.bitmap[w]);
		out_printf(out, "\"}");
	}
	/* The model's sysmem state (model/uvm-mem): one GPU, the DMA owner (0); UVM_SHIM_DMA_PAGES of coherent memory. */
	out_printf(out, "},\"sysmem\":{\"mems\":{");
	sep = "";
	for (m = uvm_shim_mems; m; m = m->next, sep = ",") {
		out_printf(out, "%s\"%d\":{\"id\":%d,\"dmaOwner\":0,\"size\":", sep, m->id, m->id);
		out_u64(out, m->size);
		out_printf(out, ",\"chunkSize\":");
		out_u64(out, m->chunk_size);
		out_printf(out, ",\"chunks\":");
		out_u64(out, m->chunks);
		out_printf(out, ",\"kernelMappedOn\":%d,\"mappedOnPhys\":1,\"cpuKernelMapped\":%s}", m->gpu_mapped ? 1 : 0,
			   m->cpu_mapped ? "true" : "false");
		pages += m->chunks * (m->chunk_size / 4096);
	}
	out_printf(out, "},\"nextMemId\":%d,\"sevEnabled\":%s,\"dmaPagesTotal\":", uvm_shim_next_mem_id, g_uvm_global.sev_enabled ? "true" : "false");
	out_u64(out, UVM_SHIM_DMA_PAGES);
	out_printf(out, ",\"dmaPagesFree\":");
	out_u64(out, UVM_SHIM_DMA_PAGES - pages);
	out_printf(out, ",\"mappedCpuPagesSize\":[");
	out_u64(out, uvm_shim_mapped_cpu_pages_size);
	out_printf(out, "],\"gpuKernelPtes\":[[");
	sep = "";
	for (m = uvm_shim_mems; m; m = m->next)
		if (m->gpu_mapped) {
			out_printf(out, "%s%d", sep, m->id);
			sep = ",";
		}
	out_printf(out, "]],\"iommuMappings\":[[]],\"cpuVmaps\":[");
	sep = "";
	for (m = uvm_shim_mems; m; m = m->next)
		if (m->cpu_mapped) {
			out_printf(out, "%s{\"mem\":%d,\"decrypted\":%s}", sep, m->id, m->cpu_decrypted ? "true" : "false");
			sep = ",";
		}
	out_printf(out, "]}}");
}

static void write_assertions(struct out *out)
{
	size_t n = uvm_shim_assertion_count();
	if (n == 0)
		return;
	out_printf(out, ",\"assertions\":[");
	for (size_t i = 0; i < n; i++) {
		const char *text = uvm_shim_assertion(i);
		out_printf(out, "%s\"", i ? "," : "");
		for (; *text; text++)
			out_printf(out, *text == '"' || *text == '\\' ? "\\%c" : "%c", *text);
		out_printf(out, "\"");
	}
	out_printf(out, "]");
}

static uvm_conf_computing_dma_buffer_t *take_held(long long slot)
{
	size_t i = (size_t)slot % held_count;
	uvm_conf_computing_dma_buffer_t *b = held[i];
	memmove(&held[i], &held[i + 1], (held_count - i - 1) * sizeof(held[0]));
	held_count--;
	return b;
}

/* The caller finishes the work its tracker holds (it orders its use of the buffer after it). */
static void finish_work_of(uvm_tracker_t *tracker)
{
	const uvm_tracker_entry_t *entries = entries_of(tracker);
	for (NvU32 i = 0; entries != NULL && i < tracker->size; i++)
		if (entries[i].channel != NULL && entries[i].channel->completed < entries[i].value)
			entries[i].channel->completed = entries[i].value;
}

static void apply(const char *op, const struct json *args, struct out *out)
{
	struct fault_plan faults;
	long long n = 0;
	bool flag = false, other_gpus = false;
	NV_STATUS status = NV_OK;
	int value = -1;

	fault_plan_load(&faults, args);
	uvm_shim_site_count = 0;
	uvm_shim_begin_operation(&faults);
	uvm_shim_clear_assertions();
	if (strcmp(op, "init") == 0) {
		status = gpumem_pool_init(POOL);
		initialized = status == NV_OK;
	} else if (strcmp(op, "alloc") == 0 && json_bool(json_get(args, "outTracker"), &flag)) {
		uvm_conf_computing_dma_buffer_t *buffer = NULL;
		uvm_tracker_t out_tracker = UVM_TRACKER_INIT();
		if (flag) {
			uvm_tracker_entry_t mine = uvm_shim_push_work(new_channel(&owner));
			uvm_tracker_add_entry(&out_tracker, &mine);
		}
		status = uvm_conf_computing_dma_buffer_alloc(POOL, &buffer, flag ? &out_tracker : NULL);
		if (status == NV_OK) {
			held[held_count++] = buffer;
			value = buffer_id(buffer);
		}
		finish_work_of(&out_tracker);
		uvm_tracker_deinit(&out_tracker);
	} else if (strcmp(op, "free") == 0 && held_count > 0 && json_int(json_get(args, "slot"), &n) &&
		   json_bool(json_get(args, "withTracker"), &flag)) {
		uvm_tracker_t tracker = UVM_TRACKER_INIT();
		json_bool(json_get(args, "otherGpus"), &other_gpus);
		if (flag) {
			uvm_tracker_entry_t work = uvm_shim_push_work(new_channel(&owner));
			uvm_tracker_add_entry(&tracker, &work);
			if (other_gpus) {
				work = uvm_shim_push_work(new_channel(&other));
				uvm_tracker_add_entry(&tracker, &work);
			}
		}
		uvm_conf_computing_dma_buffer_free(POOL, take_held(n), flag ? &tracker : NULL);
		uvm_tracker_deinit(&tracker);
	} else if (strcmp(op, "encrypt") == 0 && held_count > 0 && json_int(json_get(args, "slot"), &n)) {
		long long page = 0;
		uvm_conf_computing_dma_buffer_t *b = held[(size_t)n % held_count];
		size_t bits = 8 * sizeof(b->encrypted_page_mask.bitmap[0]);
		json_int(json_get(args, "page"), &page);
		page %= (long long)PAGES_PER_UVM_VA_BLOCK;
		b->encrypted_page_mask.bitmap[(size_t)page / bits] |= 1UL << ((size_t)page % bits);
	} else if (strcmp(op, "sync") == 0) {
		uvm_conf_computing_dma_buffer_pool_sync(POOL);
	} else if (strcmp(op, "deinit") == 0) {
		gpumem_pool_deinit(POOL);
		initialized = false;
	} else {
		/* startAlloc, startFree, step: this build is sequential (run it on the poolLifecycle property) */
		out_printf(out, "{\"unsupported\":true}");
		return;
	}
	uvm_shim_begin_operation(NULL);
	if (status != NV_OK)
		out_printf(out, "{\"result\":{\"ok\":false,\"error\":\"%s\"},", nvstatusToString(status));
	else if (value >= 0)
		out_printf(out, "{\"result\":{\"ok\":true,\"value\":%d},", value);
	else
		out_printf(out, "{\"result\":{\"ok\":true},");
	write_state(out);
	write_assertions(out);
	out_printf(out, "}");
}

int main(void)
{
	jsonl_serve(reset, apply);
	reset();
	return 0;
}
