/* gpumem-spec shim: a GPU is a name and the per-GPU Confidential-Computing state that holds the pool. */
#ifndef GPUMEM_UVM_SHIM_GPU_H
#define GPUMEM_UVM_SHIM_GPU_H
#include "uvm_shim_base.h"
#include "uvm_conf_computing.h"

struct uvm_gpu_struct {
	int id;
	const char *name;
	struct {
		uvm_conf_computing_dma_buffer_pool_t dma_buffer_pool;
	} conf_computing;
};
#endif
