// Seeded bugs in the DMA staging-buffer pool: each overrides exactly one operation of the specification,
// the way such code really goes wrong. Each names the invariant that must catch it.

import type { FaultPlan } from '../../model/common/faults.js';
import { fail, ok, type Result } from '../../model/common/result.js';
import { DMA_BUFFER_SIZE, DmaPoolModel, PAGES_PER_BUFFER, type BufferId, type PoolState } from '../../model/dma-pool/index.js';
import { SysmemDmaOps, type MemId, type SysmemSpace } from '../../model/uvm-mem/sysmem.js';
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
  override free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    const taken = !s.held.includes(id); // called from alloc's error path, not by a caller
    if (taken) return ok();
    return super.free(s, id, withTracker);
  }
}

/** alloc's error path returns the buffer to the pool but still records it as handed out. */
class TrackerFailureKeepsBufferHeld extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    const fromAllocError = !s.held.includes(id);
    const result = super.free(s, id, withTracker);
    if (fromAllocError) s.held.push(id);
    return result;
  }
}

/** free adds the buffer to the list without taking it off first if it already is there (no list_del). */
class FreeAddsTwice extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    const result = super.free(s, id, withTracker);
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
    const halfMade = b !== undefined && (b.authTag === null || !s.sysmem.mems.get(b.authTag)?.gpuKernelMapped);
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
  protected override createSysmemOps(): SysmemDmaOps {
    return new (class extends SysmemDmaOps {
      override allocSysmemDmaAndMapCpuKernel(space: SysmemSpace, size: bigint, faults: FaultPlan) {
        return super.allocSysmemDmaAndMapCpuKernel(space, size === 8192n ? 16n : size, faults);
      }
    })();
  }
}

/** The auth-tag buffer is never mapped on the GPU. */
class AuthTagNotGpuMapped extends DmaPoolModel {
  protected override createSysmemOps(): SysmemDmaOps {
    return new (class extends SysmemDmaOps {
      override mapGpuKernel(space: SysmemSpace, id: MemId, faults: FaultPlan): string | undefined {
        const mem = space.mems.get(id);
        if (mem !== undefined && mem.size !== 2n * 1024n * 1024n) return faults.fails('uvm_mem_map_gpu_kernel') ? 'NV_ERR_NO_MEMORY' : undefined;
        return super.mapGpuKernel(space, id, faults);
      }
    })();
  }
}

/** A page allocation failing part way leaves the pages made so far counted in mapped_cpu_pages_size. */
class ChunkFailureKeepsAccounting extends DmaPoolModel {
  protected override createSysmemOps(): SysmemDmaOps {
    return new (class extends SysmemDmaOps {
      override allocSysmemDma(space: SysmemSpace, size: bigint, faults: FaultPlan) {
        const start = faults.asked;
        const out = super.allocSysmemDma(space, size, faults);
        const pagesMade = faults.asked - start - 4; // the failing page itself was not made
        if (!out.ok && pagesMade > 0) space.mappedCpuPagesSize += BigInt(pagesMade) * 4096n;
        return out;
      }
    })();
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
  override free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    if (!s.held.includes(id)) {
      this.destroyBuffer(s, id);
      s.numDmaBuffers--;
      return ok();
    }
    return super.free(s, id, withTracker);
  }
}

/** alloc's error path frees the staging memory (half of dma_buffer_destroy_locked) before giving the buffer back. */
class TrackerFailureFreesStaging extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    const b = s.buffers.get(id);
    if (!s.held.includes(id) && b?.alloc != null) this.mem.free(s.sysmem, b.alloc);
    return super.free(s, id, withTracker);
  }
}

/** free gives the auth-tag memory back with the buffer (as if only a holder needed the tags), yet pools the buffer. */
class FreeReleasesAuthTags extends DmaPoolModel {
  override free(s: PoolState, id: BufferId, withTracker: boolean): Result {
    const b = s.buffers.get(id);
    if (s.held.includes(id) && b?.authTag != null) this.mem.free(s.sysmem, b.authTag);
    return super.free(s, id, withTracker);
  }
}

/** The staging buffer is sized in pages where bytes are meant (PAGES_PER_BUFFER bytes instead of DMA_BUFFER_SIZE). */
class StagingSizedInPages extends DmaPoolModel {
  protected override createSysmemOps(): SysmemDmaOps {
    return new (class extends SysmemDmaOps {
      override allocSysmemDmaAndMapCpuKernel(space: SysmemSpace, size: bigint, faults: FaultPlan) {
        return super.allocSysmemDmaAndMapCpuKernel(space, size === DMA_BUFFER_SIZE ? BigInt(PAGES_PER_BUFFER) : size, faults);
      }
    })();
  }
}

/** The staging buffer is allocated with uvm_mem_alloc_sysmem_dma alone: never mapped on the CPU. */
class StagingNotCpuMapped extends DmaPoolModel {
  protected override createSysmemOps(): SysmemDmaOps {
    return new (class extends SysmemDmaOps {
      override allocSysmemDmaAndMapCpuKernel(space: SysmemSpace, size: bigint, faults: FaultPlan) {
        return size === DMA_BUFFER_SIZE ? this.allocSysmemDma(space, size, faults) : super.allocSysmemDmaAndMapCpuKernel(space, size, faults);
      }
    })();
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
  protected override createSysmemOps(): SysmemDmaOps {
    return new (class extends SysmemDmaOps {
      override mapCpuKernel(space: SysmemSpace, id: MemId, faults: FaultPlan): string | undefined {
        const error = super.mapCpuKernel(space, id, faults);
        const mem = space.mems.get(id);
        if (error === undefined && mem !== undefined && mem.size === DMA_BUFFER_SIZE) mem.cpuMappingDecrypted = false;
        return error;
      }
    })();
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

const mutant = mutantOf<PoolState>('poolLifecycle');

export const poolMutants: readonly MutantDef<PoolState>[] = [
  mutant('allocKeepsEncryptedMask', 'handedOutBufferHasClearEncryptedMask', 5, 'alloc skips uvm_page_mask_zero(encrypted_page_mask)', AllocKeepsEncryptedMask),
  mutant('trackerFailureLeaksBuffer', 'everyBufferIsFreeOrHeld', 2, "alloc's error path drops the buffer instead of returning it to the pool", TrackerFailureLeaksBuffer),
  mutant('trackerFailureKeepsBufferHeld', 'noBufferBothFreeAndHeld', 2, "alloc's error path returns the buffer to the pool yet reports it handed out", TrackerFailureKeepsBufferHeld),
  mutant('freeAddsTwice', 'noDoubleFree', 3, 'free with a tracker adds the buffer to the free list twice', FreeAddsTwice),
  mutant('expandCountsRequested', 'numDmaBuffersCountsEveryBuffer', 4, 'expand adds nb_to_alloc to num_dma_buffers, not the number made', ExpandCountsRequested),
  mutant('expandOneTooMany', 'expansionAtMostDoubles', 3, 'expand makes num_dma_buffers + 1 buffers (off by one)', ExpandOneTooMany),
  mutant('expandFailsOnPartialSuccess', 'failedExpansionLeavesPoolAsItWas', 4, 'expand returns an error after a partial success', ExpandFailsOnPartialSuccess),
  mutant('createLeaksStagingOnFailure', 'noOrphanAllocation', 1, "dma_buffer_create's error path frees the struct but not the staging buffer", CreateLeaksStagingOnFailure),
  mutant('deinitKeepsDestroyedOnList', 'pooledAndHeldBuffersAreLive', 2, 'deinit frees the buffers but leaves them on the free list', DeinitKeepsDestroyedOnList),
  mutant('initKeepsPartialPool', 'deinitLeavesNothingAllocated', 1, 'a failed init keeps the buffers it made', InitKeepsPartialPool),
  mutant('authTagSizedPerBuffer', 'liveBufferIsWholeAndMapped', 1, 'the auth-tag buffer holds one tag, not one per page', AuthTagSizedPerBuffer),
  mutant('authTagNotGpuMapped', 'liveBufferIsWholeAndMapped', 1, 'the auth-tag buffer is never mapped on the GPU', AuthTagNotGpuMapped),
  mutant('chunkFailureKeepsAccounting', 'mappedCpuPagesSizeIsExact', 1, 'a failed page allocation leaves the pages made so far in mapped_cpu_pages_size', ChunkFailureKeepsAccounting),
  mutant('allocSkipsTrackerWait', 'handedOutBufferHasNoPendingWork', 4, "alloc hands out a buffer without waiting for its previous user's tracker", AllocSkipsTrackerWait),
  mutant('trackerFailureDestroysBuffer', 'failedOperationHandsOutNothing', 2, "alloc's error path destroys the pool's buffer", TrackerFailureDestroysBuffer),
  mutant('trackerFailureFreesStaging', 'pooledAndHeldBuffersAreLive', 2, "alloc's error path frees the staging memory of the buffer it gives back", TrackerFailureFreesStaging),
  mutant('freeReleasesAuthTags', 'pooledAndHeldBuffersAreLive', 3, 'free releases the auth-tag memory of a buffer the pool keeps', FreeReleasesAuthTags),
  mutant('stagingSizedInPages', 'liveBufferIsWholeAndMapped', 1, 'the staging buffer is PAGES_PER_BUFFER bytes, not DMA_BUFFER_SIZE', StagingSizedInPages),
  mutant('stagingNotCpuMapped', 'liveBufferIsWholeAndMapped', 1, 'the staging buffer is never mapped on the CPU', StagingNotCpuMapped),
  mutant('trackerFailureHandsOutAnyway', 'failedOperationHandsOutNothing', 2, "alloc's tracker-failure path returns the error yet leaves the buffer with the caller", TrackerFailureHandsOutAnyway),
  mutant('expandCapped', 'expansionAtMostDoubles', 5, 'expand makes at most 2 buffers at a time instead of doubling', ExpandCapped),
  mutant('deinitKeepsCount', 'deinitLeavesNothingAllocated', 2, 'deinit never counts num_dma_buffers down', DeinitKeepsCount),
  mutant('deinitLeaksDmaMemory', 'deinitLeavesNothingAllocated', 2, 'deinit frees the buffer structs but not their DMA memory', DeinitLeaksDmaMemory),
  mutant('allocReportsNoMemoryForWaitFailure', 'failureReportsTheFailedStep', 2, 'alloc reports a failed tracker wait as NV_ERR_NO_MEMORY', AllocReportsNoMemoryForWaitFailure),
  mutant('stagingMappedEncrypted', 'liveBufferIsWholeAndMapped', 1, 'the staging buffer is mapped on the CPU without the decrypted protection', StagingMappedEncrypted),
  mutant('deinitKeepsStructs', 'deinitLeavesNothingAllocated', 2, 'deinit frees the DMA memory but not the buffer structs', DeinitKeepsStructs),
  mutant('failedExpansionCountsRequested', 'failedExpansionLeavesPoolAsItWas', 3, 'an expansion that made nothing still counts the buffers it meant to make', FailedExpansionCountsRequested),
  mutant('syncWaitsForHeadOnly', 'syncLeavesNoPendingWork', 4, 'sync waits for the tracker of the first free buffer only', SyncWaitsForHeadOnly),
];
