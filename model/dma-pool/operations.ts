// Operations of the CC DMA staging-buffer pool. Each method is one kernel function, written from
// 000_e4d5058719a42ede.txt ("uvm_conf_computing_dma_buffer_alloc", "dma_buffer_pool_expand_locked",
// "dma_buffer_create") and the uvm_conf_computing.c functions around them (free, pool init, deinit, sync).
// Internal steps are methods too, so a seeded bug can override exactly one of them.

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { bool, faultList, int, typedOp, type Signatures } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { UvmMemOps, type UvmMemRules } from '../uvm-mem/index.js';
import { poolRules, type PoolVersionRules } from './versions.js';
import {
  AUTH_TAGS_SIZE,
  DMA_BUFFER_SIZE,
  initialPoolState,
  PAGES_PER_BUFFER,
  POOL_GPU,
  type BufferId,
  type DmaBuffer,
  type PoolState,
} from './state.js';

export const poolSignatures = {
  /** conf_computing_dma_buffer_pool_init with `count` initial buffers (the driver uses 32). */
  init: { count: int(1, 64), faults: faultList() },
  /** uvm_conf_computing_dma_buffer_alloc; `outTracker` passes a tracker instead of waiting in the call. */
  alloc: { outTracker: bool(), faults: faultList() },
  /**
   * uvm_conf_computing_dma_buffer_free of the held buffer at `slot` (modulo the number held), with the caller's
   * tracker holding unfinished work (`withTracker`), on the DMA owner GPU and also, with `otherGpus`, on
   * another GPU (a tracker gathered over several GPUs, as uvm_va_block.c's are).
   */
  free: { slot: int(0, 1023), withTracker: bool(), otherGpus: bool() },
  /** The caller encrypts one page of a held buffer (sets its bit in encrypted_page_mask). */
  encrypt: { slot: int(0, 1023), page: int(0, PAGES_PER_BUFFER - 1) },
  /** uvm_conf_computing_dma_buffer_pool_sync: wait for every free buffer's tracker. */
  sync: {},
  /** conf_computing_dma_buffer_pool_deinit. */
  deinit: {},
} satisfies Signatures;

/**
 * uvm_mem.c as a pool version has it; uvm_mem_map_gpu_kernel is one fallible call (the pool maps only on the DMA
 * owner, and its C port and the upstream shim stub uvm_mem.c at that call: model/uvm-mem/README.md).
 */
export function poolMemRules(rules: PoolVersionRules): UvmMemRules {
  return { chunkedDmaAlloc: rules.chunkedDmaAlloc, gpuKernelMapFaults: 'one-call' };
}

type BufferOutcome = { readonly ok: true; readonly buffer: DmaBuffer } | { readonly ok: false; readonly error: string };

export class DmaPoolModel implements Model<PoolState> {
  /** The upstream version followed (versions.ts). */
  readonly rules: PoolVersionRules;
  /** The sysmem allocation steps the pool's buffers are made of. */
  protected readonly mem: UvmMemOps;

  /** `version`: a name of POOL_VERSION_NAMES (the default version when omitted). */
  constructor(version?: string) {
    this.rules = poolRules(version);
    this.mem = this.createSysmemOps();
  }

  /** uvm_mem.c as the pool's version has it (poolMemRules). */
  protected get memRules(): UvmMemRules {
    return poolMemRules(this.rules);
  }

  protected createSysmemOps(): UvmMemOps {
    return new UvmMemOps(this.memRules);
  }

  initialState(): PoolState {
    return initialPoolState(this.rules.name);
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
    const o = typedOp(poolSignatures, op);
    if (o === undefined) return fail('UNKNOWN_OPERATION');
    switch (o.op) {
      case 'init':
        return this.init(s, o.args.count, faults);
      case 'alloc':
        return this.alloc(s, o.args.outTracker, faults);
      case 'free':
        return this.free(s, heldAt(s, o.args.slot), o.args.withTracker, o.args.otherGpus);
      case 'encrypt':
        return this.encrypt(s, heldAt(s, o.args.slot), o.args.page);
      case 'sync':
        return this.sync(s);
      case 'deinit':
        return this.deinit(s);
    }
  }

  /**
   * conf_computing_dma_buffer_pool_init. On a partial failure every buffer made so far is destroyed and the
   * pool is left empty. (Upstream sets num_dma_buffers to the full count before creating any buffer, so after a
   * partial failure its deinit leaves count - made and its `UVM_ASSERT(num_dma_buffers == 0)` fires; the
   * specification states the intended end, nothing allocated and a count of zero: docs/findings.md.)
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
    const error = this.waitForBuffer(s, id, outTracker, faults);
    if (error !== undefined) {
      // error: the buffer goes back to the pool, not to the caller (uvm_conf_computing_dma_buffer_free(pool, buffer, NULL)).
      this.recoverTracker(s, id);
      this.free(s, id, false, false);
      return fail(error);
    }
    return this.handOut(s, id);
  }

  /**
   * The tracker steps of alloc, as uvm_tracker.c (550.40.07-595.45.04) does them; returns the error, if any.
   * - uvm_tracker_wait_for_other_gpus waits only for entries of GPUs other than the DMA owner, and can fail (the
   *   global fatal error, NV_ERR_RC_ERROR here) only inside its wait for one of them that is unfinished.
   * - Then either uvm_tracker_add_tracker_safe(out_tracker, tracker): nothing to do for an empty tracker; when
   *   the out tracker cannot grow (uvm_tracker_reserve out of memory, once more after removing completed
   *   entries) it waits for the buffer's tracker instead: it never returns NV_ERR_NO_MEMORY;
   * - or uvm_tracker_wait(tracker), which fails only while the tracker has unfinished work.
   * A failed wait leaves the tracker cleared (uvm_tracker_clear).
   */
  waitForBuffer(s: PoolState, id: BufferId, outTracker: boolean, faults: FaultPlan): string | undefined {
    const buffer = s.buffers.get(id);
    if (buffer === undefined) return undefined;
    if (buffer.trackerPendingElsewhere) {
      if (faults.fails('uvm_tracker_wait_for_other_gpus')) return this.failedWait(buffer);
      buffer.trackerPendingElsewhere = false;
    }
    if (!buffer.trackerPending) return undefined;
    if (outTracker && !(faults.fails('uvm_tracker_reserve') && faults.fails('uvm_tracker_reserve (after remove_completed)'))) {
      // The caller's out tracker now holds the work: the caller orders its use of the buffer after it.
      buffer.trackerPending = false;
      return undefined;
    }
    if (faults.fails('uvm_tracker_wait')) return this.failedWait(buffer);
    buffer.trackerPending = false;
    return undefined;
  }

  /** A wait that failed on the global error clears the tracker (uvm_tracker_clear) and reports the error. */
  protected failedWait(buffer: DmaBuffer): string {
    buffer.trackerPending = false;
    buffer.trackerPendingElsewhere = false;
    return 'NV_ERR_RC_ERROR';
  }

  /**
   * alloc's error path before the buffer goes back to the pool. Upstream calls uvm_tracker_deinit, which leaves a
   * tracker that its next use asserts on (docs/findings.md); the specification keeps the pooled buffer's tracker
   * initialised: the failed wait already emptied it, so uvm_tracker_deinit followed by uvm_tracker_init (or no
   * deinit at all) is the same empty tracker, and the buffer stays usable.
   */
  recoverTracker(s: PoolState, id: BufferId): void {
    const buffer = s.buffers.get(id);
    if (buffer === undefined) return;
    buffer.trackerInitialized = true;
    buffer.trackerPending = false;
    buffer.trackerPendingElsewhere = false;
  }

  /** uvm_page_mask_zero(encrypted_page_mask); *dma_buffer_out = dma_buffer. */
  handOut(s: PoolState, id: BufferId): Result {
    const buffer = s.buffers.get(id);
    if (buffer !== undefined) buffer.encryptedPageMask = 0n;
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
   * dma_buffer_create: the buffer struct (its tracker initialised), then the staging buffer (allocated with the
   * version's page size and CPU-mapped, then GPU-mapped), then the auth-tag buffer likewise. Any failure destroys
   * everything made so far. (580 frees a half-made staging allocation inside dma_buffer_alloc and 575 in
   * dma_buffer_destroy_locked: the same end.)
   */
  createBuffer(s: PoolState, faults: FaultPlan): BufferOutcome {
    if (faults.fails('uvm_kvmalloc_zero(dma_buffer)')) return { ok: false, error: 'NV_ERR_NO_MEMORY' };
    const buffer: DmaBuffer = {
      id: s.nextBufferId++,
      alloc: null,
      authTag: null,
      trackerInitialized: true,
      trackerPending: false,
      trackerPendingElsewhere: false,
      encryptedPageMask: 0n,
    };
    s.buffers.set(buffer.id, buffer);
    const failed = (error: string): BufferOutcome => {
      this.destroyBuffer(s, buffer.id);
      return { ok: false, error };
    };
    const data = this.mem.allocAndMapCpuKernel(s.sysmem, POOL_GPU, DMA_BUFFER_SIZE, faults, this.rules.stagingPageSize);
    if (!data.ok) return failed(data.error);
    buffer.alloc = data.id;
    const dataMapError = this.mem.mapGpuKernel(s.sysmem, data.id, POOL_GPU, faults);
    if (dataMapError !== undefined) return failed(dataMapError);
    const tags = this.mem.allocAndMapCpuKernel(s.sysmem, POOL_GPU, AUTH_TAGS_SIZE, faults);
    if (!tags.ok) return failed(tags.error);
    buffer.authTag = tags.id;
    const tagMapError = this.mem.mapGpuKernel(s.sysmem, tags.id, POOL_GPU, faults);
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
   * (uvm_tracker_add_tracker_safe here can fail only on the global error, which upstream asserts and ignores:
   * no fault site.)
   */
  free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    removeFrom(s.held, id);
    this.mergeCallerTracker(s, id, withTracker, otherGpus);
    this.poolAdd(s, id);
    return ok();
  }

  /** uvm_tracker_add_tracker_safe(&dma_buffer->tracker, tracker): the caller's unfinished work joins the buffer's. */
  mergeCallerTracker(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): void {
    const buffer = s.buffers.get(id);
    if (!withTracker || buffer === undefined) return;
    buffer.trackerPending = true;
    if (otherGpus) buffer.trackerPendingElsewhere = true;
  }

  /** dma_buffer_pool_add: list_add_tail onto free_dma_buffers (under the pool lock). */
  poolAdd(s: PoolState, id: BufferId): void {
    s.free.push(id);
  }

  encrypt(s: PoolState, id: BufferId, page: number): Result {
    const buffer = s.buffers.get(id) as DmaBuffer;
    buffer.encryptedPageMask |= 1n << BigInt(page);
    return ok();
  }

  /**
   * uvm_conf_computing_dma_buffer_pool_sync: every free buffer's tracker is waited for (a wait that fails on the
   * global error clears the tracker, and sync ignores the status: either way the tracker ends empty).
   */
  sync(s: PoolState): Result {
    for (const id of s.free) {
      const buffer = s.buffers.get(id) as DmaBuffer;
      buffer.trackerPending = false;
      buffer.trackerPendingElsewhere = false;
    }
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
