/* gpumem-spec shim: pushes exist only as tracker entries (uvm_tracker.c's add_push paths are never taken). */
#ifndef GPUMEM_UVM_SHIM_PUSH_H
#define GPUMEM_UVM_SHIM_PUSH_H
#include "uvm_shim_base.h"
#include "uvm_tracker.h"
void uvm_push_get_tracker_entry(uvm_push_t *push, uvm_tracker_entry_t *entry);
NV_STATUS uvm_push_wait(uvm_push_t *push);
#endif
