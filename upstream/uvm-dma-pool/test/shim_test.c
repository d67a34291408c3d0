/*
 * gpumem-spec: tests of the uvm-dma-pool shim itself, without an upstream tree (properties/upstream/shims.test.ts
 * builds and runs this). Each check prints one line "name: value" that the test compares.
 */
#include <stdio.h>

#include "shim.h"
#include "uvm_gpu.h"
#include "uvm_mem.h"

static uvm_gpu_t gpu = { .id = 0, .name = "GPU0" };

static void print_sites(const char *name)
{
	printf("%s:", name);
	for (size_t i = 0; i < uvm_shim_site_count; i++)
		printf("%s%s", i ? "|" : " ", uvm_shim_sites[i]);
	printf("\n");
	uvm_shim_site_count = 0;
}

int main(void)
{
	struct fault_plan none = { .count = 0 }, third = { .failing = { 2 }, .count = 1 };
	uvm_mem_t *mem = NULL;
	NV_STATUS status;

	/* The fallible steps of an 8 KiB sysmem DMA allocation, mapped for the CPU and on the GPU, in order. */
	uvm_shim_begin_operation(&none);
	status = uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(2 * PAGE_SIZE, &gpu, NULL, &mem);
	if (status == NV_OK)
		status = uvm_mem_map_gpu_kernel(mem, &gpu);
	print_sites("sites");
	printf("status: %s\n", nvstatusToString(status));
	printf("mapped_cpu_pages_size: %llu\n", (unsigned long long)uvm_shim_mapped_cpu_pages_size);
	uvm_mem_free(mem);
	printf("after free: %llu\n", (unsigned long long)uvm_shim_mapped_cpu_pages_size);

	/* A fault at step 2 fails that step and no later one is reached; nothing is left allocated. */
	uvm_shim_begin_operation(&third);
	status = uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(2 * PAGE_SIZE, &gpu, NULL, &mem);
	print_sites("faulted sites");
	printf("faulted status: %s\n", nvstatusToString(status));
	printf("faulted live: %s\n", uvm_shim_mems == NULL ? "none" : "some");

	/* The buffer structs are numbered as they are made; a failed allocation makes none. */
	{
		struct fault_plan first = { .failing = { 0 }, .count = 1 };
		void *a, *b, *c;
		uvm_shim_begin_operation(&none);
		a = uvm_kvmalloc_zero(sizeof(uvm_conf_computing_dma_buffer_t));
		uvm_shim_begin_operation(&first);
		b = uvm_kvmalloc_zero(sizeof(uvm_conf_computing_dma_buffer_t));
		uvm_shim_begin_operation(&none);
		c = uvm_kvmalloc_zero(sizeof(uvm_conf_computing_dma_buffer_t));
		printf("buffers: %zu ids %d,%d failed %s\n", uvm_shim_buffer_count, uvm_shim_buffers[0].id, uvm_shim_buffers[1].id, b == NULL ? "null" : "made");
		uvm_kvfree(a);
		uvm_kvfree(c);
		printf("buffers after free: %zu\n", uvm_shim_buffer_count);
	}

	/* A list entry used after list_del is caught by its poison, reported, and not followed. */
	{
		struct list_head head, entry;
		INIT_LIST_HEAD(&head);
		list_add_tail(&entry, &head);
		list_del(&entry);
		list_del(&entry);
		printf("poisoned: %s %s\n", entry.next == LIST_POISON1 ? "next" : "-", entry.prev == LIST_POISON2 ? "prev" : "-");
		printf("list assertions: %zu %s\n", uvm_shim_assertion_count(), uvm_shim_assertion(0));
		uvm_shim_clear_assertions();
	}

	/* UVM_ASSERT and the mutex's own checks go to the assertion channel; execution goes on. */
	{
		uvm_mutex_t lock;
		uvm_mutex_init(&lock, UVM_LOCK_ORDER_CONF_COMPUTING_DMA_BUFFER_POOL);
		uvm_mutex_lock(&lock);
		uvm_assert_mutex_locked(&lock);
		uvm_mutex_lock(&lock);
		uvm_mutex_unlock(&lock);
		uvm_mutex_unlock(&lock);
		UVM_ASSERT(1 + 1 == 3);
		printf("assertions: %zu\n", uvm_shim_assertion_count());
		for (size_t i = 0; i < uvm_shim_assertion_count(); i++)
			printf("assertion %zu: %s\n", i, uvm_shim_assertion(i));
	}

	/* A tracker wait's global error: asked once, then sticky for the rest of the operation. */
	uvm_shim_site_count = 0;
	{
		struct fault_plan fail = { .failing = { 0 }, .count = 1 };
		NV_STATUS a, b;
		uvm_shim_begin_operation(&fail);
		a = uvm_global_get_status();
		b = uvm_global_get_status();
		print_sites("status sites");
		uvm_shim_begin_operation(&none);
		printf("global: %s %s then %s\n", nvstatusToString(a), nvstatusToString(b), nvstatusToString(uvm_global_get_status()));
	}
	return 0;
}
