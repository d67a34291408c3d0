// Sysmem DMA allocations (uvm_mem.c) as one model: its state, its operations and its invariants, used by the DMA
// staging-buffer pool (model/dma-pool) and the UVM VA space (model/uvm-va-space). Not a subsystem of its own: each
// user keeps a UvmMemSpace in its state, runs UvmMemOps on it and lists uvmMemInvariants among its invariants.
export * from './state.js';
export * from './operations.js';
export * from './invariants.js';
