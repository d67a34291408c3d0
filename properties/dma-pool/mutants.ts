// Seeded bugs in the DMA staging-buffer pool: each overrides exactly one operation of the specification,
// the way such code really goes wrong. Each names the invariant that must catch it.

import type { FaultPlan } from '../../model/common/faults.js';
import { fail, ok, type Result } from '../../model/common/result.js';
import { DMA_BUFFER_SIZE, DmaPoolModel, PAGES_PER_BUFFER, POOL_GPU, type BufferId, type PoolState } from '../../model/dma-pool/index.js';
import { gpuBit, UvmMemOps, type GpuIndex, type MemId, type UvmMemSpace } from '../../model/uvm-mem/index.js';
import { ChunkCountInPages, ChunkFailureKeepsAccounting, ChunkFreeGivesBackPageSize, CpuMappingLeftEncrypted, FreeSkipsVunmap } from '../uvm-mem/mutants.js';
import { mutantOf, type MutantDef } from '../harness/suite.js';

/** alloc hands the buffer out without uvm_page_mask_zero(&encrypted_page_mask). */
class AllocKeepsEncryptedMask extends DmaPoolModel {
  override alloc(s: PoolState, outTracker: boolean, faults: FaultPlan): Result {
    const masks = new Map([...s.buffers].map(([id, b]) => [id, b.encryptedPageMask]));
    const result = super.alloc(s, outTracker, faults);
    if (result.ok) {
      const b = s.buffers.get(result.value as number);
      if (b !== undefined) b.encryptedPageMask = masks.get(b.id) ?? 0n;
    }
    return result;
  }
}

/** alloc's error path forgets to put the buffer back on the free list: the pool leaks it. */
class TrackerFailureLeaksBuffer extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    const taken = !s.held.includes(id); // called from alloc's error path, not by a caller
    if (taken) return ok();
    return super.free(s, id, withTracker, otherGpus);
  }
}

/** alloc's error path returns the buffer to the pool but still records it as handed out. */
class TrackerFailureKeepsBufferHeld extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    const fromAllocError = !s.held.includes(id);
    const result = super.free(s, id, withTracker, otherGpus);
    if (fromAllocError) s.held.push(id);
    return result;
  }
}

/** free adds the buffer to the list without taking it off first if it already is there (no list_del). */
class FreeAddsTwice extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    const result = super.free(s, id, withTracker, otherGpus);
    if (withTracker) s.free.push(id);
    return result;
  }
}

/** expand counts the buffers it meant to make (nb_to_alloc), not the ones it made. */
class ExpandCountsRequested extends DmaPoolModel {
  override expand(s: PoolState, faults: FaultPlan): string | undefined {
    const requested = s.numDmaBuffers;
    const before = s.free.length;
    const error = super.expand(s, faults);
    const made = s.free.length - before;
    if (made > 0) s.numDmaBuffers += requested - made;
    return error;
  }
}

/** expand makes one more buffer than num_dma_buffers (a `<=` loop bound). */
class ExpandOneTooMany extends DmaPoolModel {
  override expand(s: PoolState, faults: FaultPlan): string | undefined {
    s.numDmaBuffers += 1;
    const error = super.expand(s, faults);
    s.numDmaBuffers -= 1;
    const extra = this.createBuffer(s, faults);
    if (extra.ok) {
      s.free.push(extra.buffer.id);
      s.numDmaBuffers += 1;
    }
    return error;
  }
}

/** expand reports the last failure even after a partial success: the caller gets an error and nothing. */
class ExpandFailsOnPartialSuccess extends DmaPoolModel {
  override expand(s: PoolState, faults: FaultPlan): string | undefined {
    const before = { num: s.numDmaBuffers };
    const error = super.expand(s, faults);
    const made = s.numDmaBuffers - before.num;
    return made < before.num && made > 0 ? 'NV_ERR_NO_MEMORY' : error;
  }
}

/** dma_buffer_create's error path frees the struct but not the staging allocation (goto to the wrong label). */
class CreateLeaksStagingOnFailure extends DmaPoolModel {
  override destroyBuffer(s: PoolState, id: BufferId): void {
    const b = s.buffers.get(id);
    const halfMade = b !== undefined && (b.authTag === null || ((s.sysmem.mems.get(b.authTag)?.kernelMappedOn ?? 0) & gpuBit(POOL_GPU)) === 0);
    if (halfMade && b !== undefined) b.alloc = null;
    super.destroyBuffer(s, id);
  }
}

/** deinit destroys the buffers but leaves them on the free list (no list_del), ready to be handed out. */
class DeinitKeepsDestroyedOnList extends DmaPoolModel {
  override deinit(s: PoolState): Result {
    const listed = [...s.free];
    const result = super.deinit(s);
    s.free = listed;
    s.initialized = listed.length > 0;
    s.numDmaBuffers = listed.length;
    return result;
  }
}

/** A failed init keeps the buffers it had made. */
class InitKeepsPartialPool extends DmaPoolModel {
  override init(s: PoolState, count: number, faults: FaultPlan): Result {
    for (let i = 0; i < count; i++) {
      const made = this.createBuffer(s, faults);
      if (!made.ok) return fail(made.error);
      s.free.push(made.buffer.id);
      s.numDmaBuffers++;
    }
    s.initialized = true;
    return ok();
  }
}

/** The auth-tag buffer sized one tag per buffer instead of one per page. */
class AuthTagSizedPerBuffer extends DmaPoolModel {
  protected override createSysmemOps(): UvmMemOps {
    return new (class extends UvmMemOps {
      override allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan, pageSize?: bigint) {
        return super.allocAndMapCpuKernel(space, owner, size === 8192n ? 16n : size, faults, pageSize);
      }
    })(this.memRules);
  }
}

/** The auth-tag buffer is never mapped on the GPU. */
class AuthTagNotGpuMapped extends DmaPoolModel {
  protected override createSysmemOps(): UvmMemOps {
    return new (class extends UvmMemOps {
      override mapGpuKernel(space: UvmMemSpace, id: MemId, gpu: GpuIndex, faults: FaultPlan): string | undefined {
        const mem = space.mems.get(id);
        if (mem !== undefined && mem.size !== 2n * 1024n * 1024n) return faults.fails('uvm_mem_map_gpu_kernel') ? 'NV_ERR_NO_MEMORY' : undefined;
        return super.mapGpuKernel(space, id, gpu, faults);
      }
    })(this.memRules);
  }
}

/** alloc hands out a buffer whose previous user's tracker was never waited for. */
class AllocSkipsTrackerWait extends DmaPoolModel {
  override alloc(s: PoolState, outTracker: boolean, faults: FaultPlan): Result {
    const pending = new Set([...s.buffers.values()].filter((b) => b.trackerPending).map((b) => b.id));
    const result = super.alloc(s, outTracker, faults);
    if (result.ok && pending.has(result.value as number)) {
      const b = s.buffers.get(result.value as number);
      if (b !== undefined) b.trackerPending = true;
    }
    return result;
  }
}

/** alloc's error path destroys the buffer instead of returning it to the pool (and keeps counting it). */
class TrackerFailureDestroysBuffer extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    if (!s.held.includes(id)) {
      this.destroyBuffer(s, id);
      s.numDmaBuffers--;
      return ok();
    }
    return super.free(s, id, withTracker, otherGpus);
  }
}

/** alloc's error path frees the staging memory (half of dma_buffer_destroy_locked) before giving the buffer back. */
class TrackerFailureFreesStaging extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    const b = s.buffers.get(id);
    if (!s.held.includes(id) && b?.alloc != null) this.mem.free(s.sysmem, b.alloc);
    return super.free(s, id, withTracker, otherGpus);
  }
}

/** free gives the auth-tag memory back with the buffer (as if only a holder needed the tags), yet pools the buffer. */
class FreeReleasesAuthTags extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean, otherGpus: boolean): Result {
    const b = s.buffers.get(id);
    if (s.held.includes(id) && b?.authTag != null) this.mem.free(s.sysmem, b.authTag);
    return super.free(s, id, withTracker, otherGpus);
  }
}

/** The staging buffer is sized in pages where bytes are meant (PAGES_PER_BUFFER bytes instead of DMA_BUFFER_SIZE). */
class StagingSizedInPages extends DmaPoolModel {
  protected override createSysmemOps(): UvmMemOps {
    return new (class extends UvmMemOps {
      override allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan, pageSize?: bigint) {
        return super.allocAndMapCpuKernel(space, owner, size === DMA_BUFFER_SIZE ? BigInt(PAGES_PER_BUFFER) : size, faults, size === DMA_BUFFER_SIZE ? 4096n : pageSize);
      }
    })(this.memRules);
  }
}

/** The staging buffer is allocated with uvm_mem_alloc_sysmem_dma alone: never mapped on the CPU. */
class StagingNotCpuMapped extends DmaPoolModel {
  protected override createSysmemOps(): UvmMemOps {
    return new (class extends UvmMemOps {
      override allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan, pageSize = 0n) {
        return size === DMA_BUFFER_SIZE ? this.alloc(space, owner, size, pageSize, faults) : super.allocAndMapCpuKernel(space, owner, size, faults, pageSize);
      }
    })(this.memRules);
  }
}

/** alloc's tracker-failure path skips the free: it returns the error and the caller keeps the buffer anyway. */
class TrackerFailureHandsOutAnyway extends DmaPoolModel {
  override alloc(s: PoolState, outTracker: boolean, faults: FaultPlan): Result {
    const result = super.alloc(s, outTracker, faults);
    if (!result.ok && faults.failures.some((f) => f.site.startsWith('uvm_tracker'))) {
      const id = s.free.pop();
      if (id !== undefined) s.held.push(id);
    }
    return result;
  }
}

/** expand caps nb_to_alloc at a fixed batch of 2 instead of doubling the pool. */
class ExpandCapped extends DmaPoolModel {
  override expand(s: PoolState, faults: FaultPlan): string | undefined {
    const count = s.numDmaBuffers;
    s.numDmaBuffers = Math.min(count, 2);
    const error = super.expand(s, faults);
    s.numDmaBuffers += count - Math.min(count, 2);
    return error;
  }
}

/** deinit destroys every buffer but never counts num_dma_buffers down. */
class DeinitKeepsCount extends DmaPoolModel {
  override deinit(s: PoolState): Result {
    const count = s.numDmaBuffers;
    const result = super.deinit(s);
    s.numDmaBuffers = count;
    return result;
  }
}

/** deinit frees the buffer structs but not their DMA memory (the uvm_mem_free calls are missing). */
class DeinitLeaksDmaMemory extends DmaPoolModel {
  override deinit(s: PoolState): Result {
    for (const id of s.free) {
      s.buffers.delete(id);
      s.numDmaBuffers--;
    }
    s.free = [];
    s.initialized = false;
    return ok();
  }
}

/** sync waits for the tracker of the buffer at the head of the free list only. */
class SyncWaitsForHeadOnly extends DmaPoolModel {
  override sync(s: PoolState): Result {
    const head = s.free[0];
    const b = head === undefined ? undefined : s.buffers.get(head);
    if (b !== undefined) b.trackerPending = false;
    return ok();
  }
}

/** alloc reports every failure as NV_ERR_NO_MEMORY, a failed tracker wait included. */
class AllocReportsNoMemoryForWaitFailure extends DmaPoolModel {
  override alloc(s: PoolState, outTracker: boolean, faults: FaultPlan): Result {
    const result = super.alloc(s, outTracker, faults);
    return result.ok ? result : fail('NV_ERR_NO_MEMORY');
  }
}

/** The staging buffer's kernel CPU mapping is made with the ordinary (encrypted) protection. */
class StagingMappedEncrypted extends DmaPoolModel {
  protected override createSysmemOps(): UvmMemOps {
    return new (class extends UvmMemOps {
      override mapCpuKernel(space: UvmMemSpace, id: MemId, faults: FaultPlan): string | undefined {
        const error = super.mapCpuKernel(space, id, faults);
        const mem = space.mems.get(id);
        if (error === undefined && mem !== undefined && mem.size === DMA_BUFFER_SIZE) space.cpuVmaps = space.cpuVmaps.map((v) => (v.mem === id ? { mem: id, decrypted: false } : v));
        return error;
      }
    })(this.memRules);
  }
}

/** deinit frees every buffer's DMA memory but not the buffer structs (the kfree is missing). */
class DeinitKeepsStructs extends DmaPoolModel {
  override deinit(s: PoolState): Result {
    for (const id of s.free) {
      const b = s.buffers.get(id);
      if (b?.alloc != null) this.mem.free(s.sysmem, b.alloc);
      if (b?.authTag != null) this.mem.free(s.sysmem, b.authTag);
      s.numDmaBuffers--;
    }
    s.free = [];
    s.initialized = false;
    return ok();
  }
}

/** An expansion that made no buffer still adds nb_to_alloc to num_dma_buffers. */
class FailedExpansionCountsRequested extends DmaPoolModel {
  override expand(s: PoolState, faults: FaultPlan): string | undefined {
    const requested = s.numDmaBuffers;
    const error = super.expand(s, faults);
    if (error !== undefined) s.numDmaBuffers += requested;
    return error;
  }
}

/**
 * Upstream's alloc error path (uvm_conf_computing.c 575.51.02 and 580.65.06): uvm_tracker_deinit, then the buffer
 * goes back to the pool with a zeroed tracker that its next use asserts on (docs/findings.md).
 */
class TrackerFailureDeinitsTracker extends DmaPoolModel {
  override recoverTracker(s: PoolState, id: BufferId): void {
    super.recoverTracker(s, id);
    const b = s.buffers.get(id);
    if (b !== undefined) b.trackerInitialized = false;
  }
}

/** A tracker wait that can fail whatever the tracker holds (the global error checked before the loop, not in it). */
class WaitFailsOnEmptyTracker extends DmaPoolModel {
  override waitForBuffer(s: PoolState, id: BufferId, outTracker: boolean, faults: FaultPlan): string | undefined {
    const b = s.buffers.get(id);
    if (b !== undefined && !b.trackerPending && !b.trackerPendingElsewhere && !outTracker && faults.fails('uvm_tracker_wait')) return this.failedWait(b);
    return super.waitForBuffer(s, id, outTracker, faults);
  }
}

/** uvm_tracker_wait_for_other_gpus that does not skip the owner GPU's entries (it waits, and can fail, on them too). */
class OtherGpuWaitIncludesOwner extends DmaPoolModel {
  override waitForBuffer(s: PoolState, id: BufferId, outTracker: boolean, faults: FaultPlan): string | undefined {
    const b = s.buffers.get(id);
    if (b !== undefined && b.trackerPending && !b.trackerPendingElsewhere) {
      if (faults.fails('uvm_tracker_wait_for_other_gpus')) return this.failedWait(b);
      b.trackerPending = false;
    }
    return super.waitForBuffer(s, id, outTracker, faults);
  }
}

/** uvm_tracker_add_tracker_safe without its fallback: out of memory for the out tracker's entries is returned. */
class OutTrackerNoMemoryFails extends DmaPoolModel {
  override waitForBuffer(s: PoolState, id: BufferId, outTracker: boolean, faults: FaultPlan): string | undefined {
    const b = s.buffers.get(id);
    if (b === undefined || !outTracker) return super.waitForBuffer(s, id, outTracker, faults);
    if (b.trackerPendingElsewhere) {
      if (faults.fails('uvm_tracker_wait_for_other_gpus')) return this.failedWait(b);
      b.trackerPendingElsewhere = false;
    }
    if (b.trackerPending && faults.fails('uvm_tracker_reserve') && faults.fails('uvm_tracker_reserve (after remove_completed)')) return 'NV_ERR_NO_MEMORY';
    b.trackerPending = false;
    return undefined;
  }
}

/** free puts the buffer back without merging the caller's tracker into the buffer's. */
class FreeDropsCallerTracker extends DmaPoolModel {
  override mergeCallerTracker(): void {}
}

/** alloc takes the buffer at the tail of the free list (the one freed last) instead of the head. */
class AllocTakesTail extends DmaPoolModel {
  override alloc(s: PoolState, outTracker: boolean, faults: FaultPlan): Result {
    if (s.free.length > 1) s.free.unshift(s.free.pop() as BufferId);
    return super.alloc(s, outTracker, faults);
  }
}

/** init creates one buffer fewer than asked (a loop starting at 1) and counts what it made. */
class InitOneShort extends DmaPoolModel {
  override init(s: PoolState, count: number, faults: FaultPlan): Result {
    if (count <= 1) {
      s.initialized = true;
      return ok();
    }
    return super.init(s, count - 1, faults);
  }
}

/** encrypt marks the page after the one the caller encrypted. */
class EncryptMarksNextPage extends DmaPoolModel {
  override encrypt(s: PoolState, id: BufferId, page: number): Result {
    return super.encrypt(s, id, (page + 1) % PAGES_PER_BUFFER);
  }
}

/** Upstream's pool init: num_dma_buffers = count before any buffer is made, so a failed init leaves it non-zero. */
class InitCountsBeforeCreating extends DmaPoolModel {
  override init(s: PoolState, count: number, faults: FaultPlan): Result {
    s.numDmaBuffers = count;
    for (let i = 0; i < count; i++) {
      const made = this.createBuffer(s, faults);
      if (!made.ok) {
        // conf_computing_dma_buffer_pool_deinit: destroy every free buffer, counting each down.
        for (const id of s.free) {
          this.destroyBuffer(s, id);
          s.numDmaBuffers--;
        }
        s.free = [];
        return fail(made.error);
      }
      s.free.push(made.buffer.id);
    }
    s.initialized = true;
    return ok();
  }
}

/** 580: the staging buffer still allocated in PAGE_SIZE chunks (512 DMA pages), as before 580. */
class StagingAllocatedInPages extends DmaPoolModel {
  protected override createSysmemOps(): UvmMemOps {
    return new (class extends UvmMemOps {
      override allocAndMapCpuKernel(space: UvmMemSpace, owner: GpuIndex, size: bigint, faults: FaultPlan) {
        return super.allocAndMapCpuKernel(space, owner, size, faults, 4096n);
      }
    })(this.memRules);
  }
}

/** A pool model whose uvm_mem steps are `Ops` (a uvm_mem.c bug, properties/uvm-mem/mutants.ts), with the pool's rules. */
function withMemOps(Ops: typeof UvmMemOps): new (version?: string) => DmaPoolModel {
  return class extends DmaPoolModel {
    protected override createSysmemOps(): UvmMemOps {
      return new Ops(this.memRules);
    }
  };
}

const mutant = mutantOf<PoolState>('poolLifecycle');
/** Seeded into both versions: the rule it breaks is the same in 550-575 and 580-595. */
const BOTH = ['uvm-580', 'uvm-575'] as const;

export const poolMutants: readonly MutantDef<PoolState>[] = [
  mutant('allocKeepsEncryptedMask', 'handedOutBufferHasClearEncryptedMask', 5, 'alloc skips uvm_page_mask_zero(encrypted_page_mask)', AllocKeepsEncryptedMask),
  mutant('trackerFailureLeaksBuffer', 'everyBufferIsFreeOrHeld', 4, "alloc's error path drops the buffer instead of returning it to the pool", TrackerFailureLeaksBuffer),
  mutant('trackerFailureKeepsBufferHeld', 'noBufferBothFreeAndHeld', 4, "alloc's error path returns the buffer to the pool yet reports it handed out", TrackerFailureKeepsBufferHeld),
  mutant('freeAddsTwice', 'noDoubleFree', 3, 'free with a tracker adds the buffer to the free list twice', FreeAddsTwice),
  mutant('expandCountsRequested', 'numDmaBuffersCountsEveryBuffer', 4, 'expand adds nb_to_alloc to num_dma_buffers, not the number made', ExpandCountsRequested),
  mutant('expandOneTooMany', 'expansionAtMostDoubles', 3, 'expand makes num_dma_buffers + 1 buffers (off by one)', ExpandOneTooMany),
  mutant('expandFailsOnPartialSuccess', 'failedExpansionLeavesPoolAsItWas', 4, 'expand returns an error after a partial success', ExpandFailsOnPartialSuccess),
  mutant('createLeaksStagingOnFailure', 'noOrphanAllocation', 1, "dma_buffer_create's error path frees the struct but not the staging buffer", CreateLeaksStagingOnFailure),
  mutant('deinitKeepsDestroyedOnList', 'pooledAndHeldBuffersAreLive', 2, 'deinit frees the buffers but leaves them on the free list', DeinitKeepsDestroyedOnList),
  mutant('initKeepsPartialPool', 'deinitLeavesNothingAllocated', 1, 'a failed init keeps the buffers it made', InitKeepsPartialPool),
  mutant('authTagSizedPerBuffer', 'liveBufferIsWholeAndMapped', 1, 'the auth-tag buffer holds one tag, not one per page', AuthTagSizedPerBuffer),
  mutant('authTagNotGpuMapped', 'liveBufferIsWholeAndMapped', 1, 'the auth-tag buffer is never mapped on the GPU', AuthTagNotGpuMapped),
  mutant('chunkFailureKeepsAccounting', 'mappedCpuPagesSizeIsExact', 1, 'a failed page allocation leaves the pages made so far in mapped_cpu_pages_size', withMemOps(ChunkFailureKeepsAccounting)),
  mutant('allocSkipsTrackerWait', 'handedOutBufferHasNoPendingWork', 4, "alloc hands out a buffer without waiting for its previous user's tracker", AllocSkipsTrackerWait),
  mutant('trackerFailureDestroysBuffer', 'failedOperationHandsOutNothing', 4, "alloc's error path destroys the pool's buffer", TrackerFailureDestroysBuffer),
  mutant('trackerFailureFreesStaging', 'pooledAndHeldBuffersAreLive', 4, "alloc's error path frees the staging memory of the buffer it gives back", TrackerFailureFreesStaging),
  mutant('freeReleasesAuthTags', 'pooledAndHeldBuffersAreLive', 3, 'free releases the auth-tag memory of a buffer the pool keeps', FreeReleasesAuthTags),
  mutant('stagingSizedInPages', 'liveBufferIsWholeAndMapped', 1, 'the staging buffer is PAGES_PER_BUFFER bytes, not DMA_BUFFER_SIZE', StagingSizedInPages),
  mutant('stagingNotCpuMapped', 'liveBufferIsWholeAndMapped', 1, 'the staging buffer is never mapped on the CPU', StagingNotCpuMapped),
  mutant('trackerFailureHandsOutAnyway', 'failedOperationHandsOutNothing', 4, "alloc's tracker-failure path returns the error yet leaves the buffer with the caller", TrackerFailureHandsOutAnyway),
  mutant('expandCapped', 'expansionAtMostDoubles', 5, 'expand makes at most 2 buffers at a time instead of doubling', ExpandCapped),
  mutant('deinitKeepsCount', 'deinitLeavesNothingAllocated', 2, 'deinit never counts num_dma_buffers down', DeinitKeepsCount),
  mutant('deinitLeaksDmaMemory', 'deinitLeavesNothingAllocated', 2, 'deinit frees the buffer structs but not their DMA memory', DeinitLeaksDmaMemory),
  mutant('allocReportsNoMemoryForWaitFailure', 'failureReportsTheFailedStep', 4, 'alloc reports a failed tracker wait as NV_ERR_NO_MEMORY', AllocReportsNoMemoryForWaitFailure),
  mutant('stagingMappedEncrypted', 'liveBufferIsWholeAndMapped', 1, 'the staging buffer is mapped on the CPU without the decrypted protection', StagingMappedEncrypted),
  mutant('deinitKeepsStructs', 'deinitLeavesNothingAllocated', 2, 'deinit frees the DMA memory but not the buffer structs', DeinitKeepsStructs),
  mutant('failedExpansionCountsRequested', 'failedExpansionLeavesPoolAsItWas', 3, 'an expansion that made nothing still counts the buffers it meant to make', FailedExpansionCountsRequested),
  mutant('syncWaitsForHeadOnly', 'syncLeavesNoPendingWork', 4, 'sync waits for the tracker of the first free buffer only', SyncWaitsForHeadOnly),
  mutant('trackerFailureDeinitsTracker', 'pooledBufferTrackerIsInitialised', 4, "upstream's alloc error path: uvm_tracker_deinit, then the buffer goes back to the pool", TrackerFailureDeinitsTracker, BOTH),
  mutant('waitFailsOnEmptyTracker', 'trackerStepFailsOnlyOnUnfinishedWork', 2, 'uvm_tracker_wait fails on the global error even when the tracker has no unfinished work', WaitFailsOnEmptyTracker),
  mutant('freeDropsCallerTracker', 'freeKeepsCallersWorkOnBuffer', 3, "free puts the buffer back without the caller's tracker", FreeDropsCallerTracker, BOTH),
  mutant('allocTakesTail', 'allocHandsOutTheHeadBuffer', 2, 'alloc takes the tail of the free list instead of the head', AllocTakesTail),
  mutant('initOneShort', 'initCreatesTheRequestedPool', 1, 'init creates one buffer fewer than asked', InitOneShort),
  mutant('encryptMarksNextPage', 'encryptMarksThatPage', 3, 'encrypt marks the page after the one encrypted', EncryptMarksNextPage),
  mutant('initCountsBeforeCreating', 'deinitLeavesNothingAllocated', 1, "upstream's pool init: num_dma_buffers set to the full count before any buffer is made", InitCountsBeforeCreating, BOTH),
  mutant('stagingAllocatedInPages', 'liveBufferIsWholeAndMapped', 1, '580: the staging buffer allocated in 4 KiB pages instead of one 2 MiB chunk', StagingAllocatedInPages, ['uvm-580']),
  mutant('chunkFreeGivesBackPageSize', 'mappedCpuPagesSizeIsExact', 1, '580: freeing a DMA chunk takes PAGE_SIZE off mapped_cpu_pages_size, not the chunk size', withMemOps(ChunkFreeGivesBackPageSize), ['uvm-580']),
  mutant('cpuMappingLeftEncrypted', 'cpuMappingIsDecryptedUnderEncryption', 1, 'the kernel CPU mapping of DMA sysmem keeps PAGE_KERNEL under SEV', withMemOps(CpuMappingLeftEncrypted), BOTH),
  mutant('freeSkipsVunmap', 'noMappingOutlivesItsMemory', 1, 'uvm_mem_free does not unmap the kernel CPU mapping', withMemOps(FreeSkipsVunmap), BOTH),
  mutant('chunkCountInPages', 'allocationCoversRequestedSize', 1, '580: chunks_count computed in pages although the staging buffer is one 2 MiB chunk', withMemOps(ChunkCountInPages), ['uvm-580']),
];

const reuseMutant = mutantOf<PoolState>('trackerReuse');

/** Seeded bugs in the tracker steps that only a buffer coming round with unfinished work exposes. */
export const reuseMutants: readonly MutantDef<PoolState>[] = [
  reuseMutant('otherGpuWaitIncludesOwner', 'trackerStepFailsOnlyOnUnfinishedWork', 4, "uvm_tracker_wait_for_other_gpus waits for (and fails on) the owner GPU's entries too", OtherGpuWaitIncludesOwner),
  reuseMutant('outTrackerNoMemoryFails', 'failureReportsTheFailedStep', 4, 'uvm_tracker_add_tracker_safe returns NV_ERR_NO_MEMORY instead of waiting', OutTrackerNoMemoryFails),
];
