/* gpumem-spec: what the protocol main (main.c) and the shim tests use of the shim (shim.c). */
#ifndef GPUMEM_UVM_SHIM_H
#define GPUMEM_UVM_SHIM_H
#include "jsonl.h"
#include "uvm_shim_base.h"
#include "uvm_channel.h"
#include "uvm_tracker.h"

#define UVM_SHIM_MAX_ASSERTIONS 16
#define UVM_SHIM_MAX_BUFFERS 4096

/* Starts one protocol operation: its fault plan, and a cleared global error. */
void uvm_shim_begin_operation(struct fault_plan *plan);
/* Asks the fault plan whether the next fallible step fails; the step's name is logged (the shim's tests read it). */
bool uvm_shim_fails(const char *site);
#define UVM_SHIM_MAX_SITES 4096
extern const char *uvm_shim_sites[UVM_SHIM_MAX_SITES];
extern size_t uvm_shim_site_count;

size_t uvm_shim_assertion_count(void);
const char *uvm_shim_assertion(size_t i);
void uvm_shim_clear_assertions(void);

struct uvm_shim_buffer {
	void *buffer;
	int id;
};
extern struct uvm_shim_buffer uvm_shim_buffers[UVM_SHIM_MAX_BUFFERS];
extern size_t uvm_shim_buffer_count;
extern int uvm_shim_next_buffer_id;

uvm_channel_t *uvm_shim_channel(uvm_gpu_t *gpu, const char *name);
/* Pushes one piece of unfinished work on the channel and returns its tracker entry. */
uvm_tracker_entry_t uvm_shim_push_work(uvm_channel_t *channel);
void uvm_shim_reset_mems(void);
#endif
