/*
 * gpumem-spec shim of the channel layer under uvm_tracker.c. A channel is a queue of work identified by
 * increasing values; work completes when a waiter polls the channel for errors (the GPU makes progress while
 * someone spins on it), so unfinished work stays unfinished until somebody waits for it.
 */
#ifndef GPUMEM_UVM_SHIM_CHANNEL_H
#define GPUMEM_UVM_SHIM_CHANNEL_H
#include "uvm_shim_base.h"

struct uvm_channel_struct {
	uvm_gpu_t *gpu;
	char name[32];
	NvU64 queued;    /* the value of the newest work pushed */
	NvU64 completed; /* the value of the newest work finished */
};

bool uvm_channel_is_value_completed(uvm_channel_t *channel, NvU64 value);
NV_STATUS uvm_channel_check_errors(uvm_channel_t *channel);
uvm_gpu_t *uvm_channel_get_gpu(uvm_channel_t *channel);
NvU64 uvm_channel_tracking_semaphore_get_gpu_va(uvm_channel_t *channel);
void uvm_channel_print_pending_pushes(uvm_channel_t *channel);
const char *uvm_gpu_name(uvm_gpu_t *gpu);
#endif
