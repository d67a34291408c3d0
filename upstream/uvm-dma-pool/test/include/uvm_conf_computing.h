/*
 * gpumem-spec: a stand-in for the tree's uvm_conf_computing.h, so that the shim's own tests build without an
 * upstream tree. It declares only what shim.c needs: the pool and buffer types (not upstream's layout).
 */
#ifndef GPUMEM_TEST_UVM_CONF_COMPUTING_H
#define GPUMEM_TEST_UVM_CONF_COMPUTING_H
#include "uvm_shim_base.h"
#include "uvm_tracker.h"
typedef struct {
	struct list_head free_dma_buffers;
	size_t num_dma_buffers;
	uvm_mutex_t lock;
} uvm_conf_computing_dma_buffer_pool_t;
typedef struct {
	uvm_mem_t *alloc;
	uvm_tracker_t tracker;
	uvm_mem_t *auth_tag;
	char padding[3000];
	struct list_head node;
} uvm_conf_computing_dma_buffer_t;
#endif
