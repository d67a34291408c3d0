/* gpumem-spec: a stand-in for the tree's uvm_tracker.h (the tracker types only), for the shim's own tests. */
#ifndef GPUMEM_TEST_UVM_TRACKER_H
#define GPUMEM_TEST_UVM_TRACKER_H
#include "uvm_shim_base.h"
typedef struct {
	uvm_channel_t *channel;
	NvU64 value;
} uvm_tracker_entry_t;
typedef struct {
	union {
		uvm_tracker_entry_t static_entries[1];
		uvm_tracker_entry_t *dynamic_entries;
	};
	NvU32 size;
	NvU32 max_size;
} uvm_tracker_t;
#endif
