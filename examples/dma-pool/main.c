/*
 * The DMA staging-buffer pool (pool.c) behind the conformance protocol: each request is one pool call, each
 * answer its result and the pool's observable state in the specification's JSON shape (docs/conformance.md).
 * Buffers are named by creation order and handles are slots into the held list, as in the specification.
 * It follows specification version uvm-575 (550-575: 4 KiB DMA pages). The port is sequential: the specification's concurrent operations (startAlloc, startFree, step, which
 * interleave calls from several channels) are answered unsupported.
 */
#include <stdio.h>
#include <string.h>

#include "pool.h"

static struct dma_pool pool;

static void reset(void)
{
	pool_teardown(&pool);
}

static void write_state(struct out *out)
{
	const struct dma_buffer *b;
	const struct uvm_mem *m;
	const char *sep = "";
	uint64_t pages = 0; /* coherent DMA pages the live allocations hold */

	out_printf(out, "\"state\":{\"initialized\":%s,\"numDmaBuffers\":%zu,\"nextBufferId\":%d,\"free\":[",
		   pool.initialized ? "true" : "false", pool.num_dma_buffers, pool.next_buffer_id);
	for (size_t i = 0; i < pool.free.count; i++)
		out_printf(out, "%s%d", i ? "," : "", pool.free.items[i]->id);
	out_printf(out, "],\"held\":[");
	for (size_t i = 0; i < pool.held.count; i++)
		out_printf(out, "%s%d", i ? "," : "", pool.held.items[i]->id);
	out_printf(out, "],\"buffers\":{");
	for (b = pool.buffers; b; b = b->next, sep = ",") {
		int top = (int)(PAGES_PER_BUFFER / 64) - 1;
		out_printf(out, "%s\"%d\":{\"id\":%d,\"alloc\":", sep, b->id, b->id);
		out_printf(out, b->alloc ? "%d" : "null", b->alloc ? b->alloc->id : 0);
		out_printf(out, ",\"authTag\":");
		out_printf(out, b->auth_tag ? "%d" : "null", b->auth_tag ? b->auth_tag->id : 0);
		out_printf(out, ",\"trackerInitialized\":%s,\"trackerPending\":%s,\"trackerPendingElsewhere\":%s,\"encryptedPageMask\":\"0x",
			   b->tracker_initialized ? "true" : "false", b->tracker_pending ? "true" : "false",
			   b->tracker_pending_elsewhere ? "true" : "false");
		while (top > 0 && b->encrypted_page_mask[top] == 0)
			top--;
		out_printf(out, "%llx", (unsigned long long)b->encrypted_page_mask[top]);
		for (int w = top - 1; w >= 0; w--)
			out_printf(out, "%016llx", (unsigned long long)b->encrypted_page_mask[w]);
		out_printf(out, "\"}");
	}
	/* The model's sysmem state (model/uvm-mem): one GPU, the DMA owner (0); POOL_DMA_PAGES of coherent memory. */
	out_printf(out, "},\"sysmem\":{\"mems\":{");
	sep = "";
	for (m = pool.sysmem.mems; m; m = m->next, sep = ",") {
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
	out_printf(out, "},\"nextMemId\":%d,\"sevEnabled\":%s,\"dmaPagesTotal\":", pool.sysmem.next_mem_id, pool.sysmem.sev_enabled ? "true" : "false");
	out_u64(out, POOL_DMA_PAGES);
	out_printf(out, ",\"dmaPagesFree\":");
	out_u64(out, POOL_DMA_PAGES - pages);
	out_printf(out, ",\"mappedCpuPagesSize\":[");
	out_u64(out, pool.sysmem.mapped_cpu_pages_size);
	out_printf(out, "],\"gpuKernelPtes\":[[");
	sep = "";
	for (m = pool.sysmem.mems; m; m = m->next)
		if (m->gpu_mapped) {
			out_printf(out, "%s%d", sep, m->id);
			sep = ",";
		}
	out_printf(out, "]],\"iommuMappings\":[[]],\"cpuVmaps\":[");
	sep = "";
	for (m = pool.sysmem.mems; m; m = m->next)
		if (m->cpu_mapped) {
			out_printf(out, "%s{\"mem\":%d,\"decrypted\":%s}", sep, m->id, m->cpu_decrypted ? "true" : "false");
			sep = ",";
		}
	out_printf(out, "]}}");
}

static struct dma_buffer *held_at(long long slot)
{
	return pool.held.items[(size_t)slot % pool.held.count];
}

static void apply(const char *op, const struct json *args, struct out *out)
{
	struct fault_plan faults;
	long long n = 0;
	bool flag = false;
	nv_status status = NV_OK;
	int value = -1;

	fault_plan_load(&faults, args);
	if (strcmp(op, "init") == 0 && json_int(json_get(args, "count"), &n)) {
		status = pool_init(&pool, (size_t)n, &faults);
	} else if (strcmp(op, "alloc") == 0 && json_bool(json_get(args, "outTracker"), &flag)) {
		struct dma_buffer *buffer;
		status = pool_alloc(&pool, flag, &faults, &buffer);
		if (status == NV_OK)
			value = buffer->id;
	} else if (strcmp(op, "free") == 0 && pool.held.count > 0 && json_int(json_get(args, "slot"), &n) &&
		   json_bool(json_get(args, "withTracker"), &flag)) {
		bool other_gpus = false;

		json_bool(json_get(args, "otherGpus"), &other_gpus);
		pool_free(&pool, held_at(n), flag, other_gpus);
	} else if (strcmp(op, "encrypt") == 0 && pool.held.count > 0 && json_int(json_get(args, "slot"), &n)) {
		long long page = 0;
		json_int(json_get(args, "page"), &page);
		pool_encrypt(held_at(n), (size_t)page);
	} else if (strcmp(op, "sync") == 0) {
		pool_sync(&pool);
	} else if (strcmp(op, "deinit") == 0) {
		pool_deinit(&pool);
	} else {
		/* startAlloc, startFree, step: this port is sequential (run it on the poolLifecycle property) */
		out_printf(out, "{\"unsupported\":true}");
		return;
	}
	if (status != NV_OK)
		out_printf(out, "{\"result\":{\"ok\":false,\"error\":\"%s\"},", nv_status_name(status));
	else if (value >= 0)
		out_printf(out, "{\"result\":{\"ok\":true,\"value\":%d},", value);
	else
		out_printf(out, "{\"result\":{\"ok\":true},");
	write_state(out);
	out_printf(out, "}");
}

int main(void)
{
	pool_setup(&pool);
	jsonl_serve(reset, apply);
	pool_teardown(&pool);
	return 0;
}
