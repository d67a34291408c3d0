// Operations of the CC DMA staging-buffer pool. Each method is one kernel function, written from
// 000_e4d5058719a42ede.txt ("uvm_conf_computing_dma_buffer_alloc", "dma_buffer_pool_expand_locked",
// "dma_buffer_create") and the uvm_conf_computing.c functions around them (free, pool init, deinit, sync).
// Internal steps are methods too, so a seeded bug can override exactly one of them.

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { bool, faultList, int, type Signature } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import type { Args, Operation } from '../common/values.js';
import { SysmemDmaOps } from '../uvm-mem/sysmem.js';
import {
  AUTH_TAGS_SIZE,
  DMA_BUFFER_SIZE,
  initialPoolState,
  PAGES_PER_BUFFER,
  type BufferId,
  type DmaBuffer,
  type PoolState,
} from './state.js';

export const poolSignatures: { readonly [op: string]: Signature } = {
  /** conf_computing_dma_buffer_pool_init with `count` initial buffers (the driver uses 32). */
  init: { count: int(1, 64), faults: faultList() },
  /** uvm_conf_computing_dma_buffer_alloc; `outTracker` passes a tracker instead of waiting in the call. */
  alloc: { outTracker: bool(), faults: faultList() },
  /** uvm_conf_computing_dma_buffer_free of the held buffer at `slot` (modulo the number held). */
  free: { slot: int(0, 1023), withTracker: bool() },
  /** The caller encrypts one page of a held buffer (sets its bit in encrypted_page_mask). */
  encrypt: { slot: int(0, 1023), page: int(0, PAGES_PER_BUFFER - 1) },
  /** uvm_conf_computing_dma_buffer_pool_sync: wait for every free buffer's tracker. */
  sync: {},
  /** conf_computing_dma_buffer_pool_deinit. */
  deinit: {},
};

type BufferOutcome = { readonly ok: true; readonly buffer: DmaBuffer } | { readonly ok: false; readonly error: string };

export class DmaPoolModel implements Model<PoolState> {
  /** The sysmem allocation steps the pool's buffers are made of. */
  protected readonly mem = this.createSysmemOps();

  protected createSysmemOps(): SysmemDmaOps {
    return new SysmemDmaOps();
  }

  initialState(): PoolState {
    return initialPoolState();
  }

  precondition(s: PoolState, op: Operation): boolean {
    switch (op.op) {
      case 'init':
        return !s.initialized;
      case 'alloc':
      case 'sync':
        // uvm_conf_computing_dma_buffer_alloc asserts num_dma_buffers > 0: the pool must exist.
        return s.initialized && s.numDmaBuffers > 0;
      case 'free':
      case 'encrypt':
        return s.held.length > 0;
      case 'deinit':
        // "All DMA buffers must be freed prior to GPU deinit" (uvm_conf_computing.h).
        return s.initialized && s.held.length === 0;
      default:
        return false;
    }
  }

  apply(s: PoolState, op: Operation, faults: FaultPlan): Result {
    const a: Args = op.args;
    switch (op.op) {
      case 'init':
        return this.init(s, a['count'] as number, faults);
      case 'alloc':
        return this.alloc(s, a['outTracker'] as boolean, faults);
      case 'free':
        return this.free(s, heldAt(s, a['slot'] as number), a['withTracker'] as boolean);
      case 'encrypt':
        return this.encrypt(s, heldAt(s, a['slot'] as number), a['page'] as number);
      case 'sync':
        return this.sync(s);
      case 'deinit':
        return this.deinit(s);
      default:
        return fail('UNKNOWN_OPERATION');
    }
  }

  /**
   * conf_computing_dma_buffer_pool_init. On a partial failure every buffer made so far is destroyed and the
   * pool is left empty. (The driver sets num_dma_buffers to the full count before creating any buffer, so its
   * deinit assertion `num_dma_buffers == 0` would not hold after a partial failure; the specification states
   * the intended end: nothing allocated and a count of zero.)
   */
  init(s: PoolState, count: number, faults: FaultPlan): Result {
    for (let i = 0; i < count; i++) {
      const made = this.createBuffer(s, faults);
      if (!made.ok) {
        for (const id of s.free) this.destroyBuffer(s, id);
        s.free = [];
        s.numDmaBuffers = 0;
        return fail(made.error);
      }
      s.free.push(made.buffer.id);
      s.numDmaBuffers++;
    }
    s.initialized = true;
    return ok();
  }

  /** uvm_conf_computing_dma_buffer_alloc (000, "uvm_conf_computing_dma_buffer_alloc"). */
  alloc(s: PoolState, outTracker: boolean, faults: FaultPlan): Result {
    if (s.free.length === 0) {
      const error = this.expand(s, faults);
      if (error !== undefined) return fail(error);
    }
    const id = s.free.shift() as BufferId;
    const buffer = s.buffers.get(id) as DmaBuffer;
    let error: string | undefined;
    if (faults.fails('uvm_tracker_wait_for_other_gpus')) error = 'NV_ERR_RC_ERROR';
    else if (outTracker) {
      if (faults.fails('uvm_tracker_add_tracker_safe')) error = 'NV_ERR_NO_MEMORY';
    } else if (faults.fails('uvm_tracker_wait')) error = 'NV_ERR_RC_ERROR';
    else buffer.trackerPending = false;
    if (error !== undefined) {
      // The error path deinitialises the tracker and gives the buffer back to the pool, not to the caller.
      buffer.trackerPending = false;
      this.free(s, id, false);
      return fail(error);
    }
    // With an out tracker the caller waits; the buffer's own work is now the caller's to order against.
    if (outTracker) buffer.trackerPending = false;
    buffer.encryptedPageMask = 0n;
    s.held.push(id);
    return ok(id);
  }

  /**
   * dma_buffer_pool_expand_locked: try to double the pool. Partial success is success; the count grows by
   * the number of buffers actually made; only when none could be made is the error returned.
   */
  expand(s: PoolState, faults: FaultPlan): string | undefined {
    const toAlloc = s.numDmaBuffers;
    let made = 0;
    let error: string | undefined;
    for (; made < toAlloc; made++) {
      const outcome = this.createBuffer(s, faults);
      if (!outcome.ok) {
        error = outcome.error;
        break;
      }
      s.free.push(outcome.buffer.id);
    }
    s.numDmaBuffers += made;
    return made === 0 ? error : undefined;
  }

  /**
   * dma_buffer_create: the buffer struct, then the staging buffer (allocated and CPU-mapped, then GPU-mapped),
   * then the auth-tag buffer likewise. Any failure destroys everything made so far.
   */
  createBuffer(s: PoolState, faults: FaultPlan): BufferOutcome {
    if (faults.fails('uvm_kvmalloc_zero(dma_buffer)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const buffer: DmaBuffer = { id: s.nextBufferId++, alloc: null, authTag: null, trackerPending: false, encryptedPageMask: 0n };
    s.buffers.set(buffer.id, buffer);
    const failed = (error: string): BufferOutcome => {
      this.destroyBuffer(s, buffer.id);
      return { ok: false, error };
    };
    const data = this.mem.allocSysmemDmaAndMapCpuKernel(s.sysmem, DMA_BUFFER_SIZE, faults);
    if (!data.ok) return failed(data.error);
    buffer.alloc = data.id;
    const dataMapError = this.mem.mapGpuKernel(s.sysmem, data.id, faults);
    if (dataMapError !== undefined) return failed(dataMapError);
    const tags = this.mem.allocSysmemDmaAndMapCpuKernel(s.sysmem, AUTH_TAGS_SIZE, faults);
    if (!tags.ok) return failed(tags.error);
    buffer.authTag = tags.id;
    const tagMapError = this.mem.mapGpuKernel(s.sysmem, tags.id, faults);
    if (tagMapError !== undefined) return failed(tagMapError);
    return { ok: true, buffer };
  }

  /** dma_buffer_destroy_locked: off the list, wait the tracker out, free both allocations and the struct. */
  destroyBuffer(s: PoolState, id: BufferId): void {
    const buffer = s.buffers.get(id);
    if (buffer === undefined) return;
    if (buffer.alloc !== null) this.mem.free(s.sysmem, buffer.alloc);
    if (buffer.authTag !== null) this.mem.free(s.sysmem, buffer.authTag);
    s.buffers.delete(id);
  }

  /**
   * uvm_conf_computing_dma_buffer_free: the caller's tracker (if any) is added to the buffer's, so whoever
   * takes the buffer next waits for the caller's work; then the buffer goes to the tail of the free list.
   */
  free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    const buffer = s.buffers.get(id) as DmaBuffer;
    removeFrom(s.held, id);
    if (withTracker) buffer.trackerPending = true;
    s.free.push(id);
    return ok();
  }

  encrypt(s: PoolState, id: BufferId, page: number): Result {
    const buffer = s.buffers.get(id) as DmaBuffer;
    buffer.encryptedPageMask |= 1n << BigInt(page);
    return ok();
  }

  /** uvm_conf_computing_dma_buffer_pool_sync: every free buffer's tracker is waited for. */
  sync(s: PoolState): Result {
    for (const id of s.free) (s.buffers.get(id) as DmaBuffer).trackerPending = false;
    return ok();
  }

  /** conf_computing_dma_buffer_pool_deinit: destroy every free buffer, counting each one down. */
  deinit(s: PoolState): Result {
    for (const id of s.free) {
      this.destroyBuffer(s, id);
      s.numDmaBuffers--;
    }
    s.free = [];
    s.initialized = false;
    return ok();
  }
}

function heldAt(s: PoolState, slot: number): BufferId {
  return s.held[slot % s.held.length] as BufferId;
}

function removeFrom(list: BufferId[], id: BufferId): void {
  const at = list.indexOf(id);
  if (at >= 0) list.splice(at, 1);
}
