// Invariants of the CC DMA staging-buffer pool, each named for what it protects.

import { argsOf } from '../common/schema.js';
import type { Invariant } from '../common/spec.js';
import { cpuMappingDecrypted, gpuBit, PAGE_SIZE, uvmMemInvariants } from '../uvm-mem/index.js';
import { poolSignatures } from './operations.js';
import { AUTH_TAGS_SIZE, DMA_BUFFER_SIZE, POOL_GPU, type BufferId, type DmaBuffer, type PoolState } from './state.js';
import { poolRules } from './versions.js';

/** The coherent DMA pages one buffer takes: its staging memory and its authentication tags. */
const BUFFER_DMA_PAGES = (DMA_BUFFER_SIZE + AUTH_TAGS_SIZE) / PAGE_SIZE;

const SOURCE = '000_e4d5058719a42ede.txt';

function duplicate<T>(xs: readonly T[]): T | undefined {
  const seen = new Set<T>();
  for (const x of xs) {
    if (seen.has(x)) return x;
    seen.add(x);
  }
  return undefined;
}

/** The sysmem invariants (model/uvm-mem), on the pool's allocations. */
const sysmem = uvmMemInvariants<PoolState>({ mem: (s) => s.sysmem, gpuName: () => 'the DMA owner GPU' });

export const poolInvariants: readonly Invariant<PoolState>[] = [
  {
    // 000, "uvm_conf_computing_dma_buffer_alloc": list_del_init takes a buffer off the free list before it is handed out.
    name: 'noBufferBothFreeAndHeld',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (list_del_init before hand-out)`,
    check: ({ after }) => {
      const held = new Set(after.held);
      const both = after.free.find((id) => held.has(id));
      return both === undefined ? undefined : `b${both} is on the free list and held by a caller (use after free)`;
    },
  },
  {
    // 000, "uvm_conf_computing_dma_buffer_free": a buffer goes back to the list once per free.
    name: 'noDoubleFree',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_free (dma_buffer_pool_add once)`,
    check: ({ after }) => {
      const twice = duplicate(after.free);
      if (twice !== undefined) return `b${twice} is on the free list twice (double free)`;
      const heldTwice = duplicate(after.held);
      return heldTwice === undefined ? undefined : `b${heldTwice} is handed out to two callers`;
    },
  },
  {
    // 000, "dma_buffer_create": only buffers whose allocations exist are ever pooled or handed out.
    name: 'pooledAndHeldBuffersAreLive',
    source: `${SOURCE} § dma_buffer_create / dma_buffer_destroy_locked`,
    check: ({ after }) => {
      for (const id of [...after.free, ...after.held]) {
        const b = after.buffers.get(id);
        if (b === undefined) return `b${id} is listed but its struct was freed (use after free)`;
        if (b.alloc === null || !after.sysmem.mems.has(b.alloc)) return `b${id} is listed but its staging memory was freed`;
        if (b.authTag === null || !after.sysmem.mems.has(b.authTag)) return `b${id} is listed but its auth-tag memory was freed`;
      }
      return undefined;
    },
  },
  {
    // 000, "dma_buffer_pool_expand_locked": every buffer made is added to the pool; none is dropped.
    name: 'everyBufferIsFreeOrHeld',
    source: `${SOURCE} § dma_buffer_pool_expand_locked (dma_buffer_pool_add for each buffer made)`,
    check: ({ after }) => {
      const listed = new Set([...after.free, ...after.held]);
      for (const id of after.buffers.keys()) if (!listed.has(id)) return `b${id} exists but is neither free nor held (leak)`;
      return undefined;
    },
  },
  {
    // 000, "dma_buffer_pool_expand_locked": num_dma_buffers += i, the number actually created.
    name: 'numDmaBuffersCountsEveryBuffer',
    source: `${SOURCE} § dma_buffer_pool_expand_locked (num_dma_buffers += i)`,
    check: ({ after }) =>
      after.numDmaBuffers === after.buffers.size
        ? undefined
        : `num_dma_buffers=${after.numDmaBuffers} but ${after.buffers.size} buffers exist`,
  },
  {
    // 000, "dma_buffer_create": any failure destroys what was made, so no allocation outlives its buffer.
    name: 'noOrphanAllocation',
    source: `${SOURCE} § dma_buffer_create (goto err: dma_buffer_destroy_locked)`,
    check: ({ after }) => {
      const owned = new Set<number>();
      for (const b of after.buffers.values()) {
        if (b.alloc !== null) owned.add(b.alloc);
        if (b.authTag !== null) owned.add(b.authTag);
      }
      for (const id of after.sysmem.mems.keys()) if (!owned.has(id)) return `sysmem allocation m${id} belongs to no buffer (leak)`;
      return undefined;
    },
  },
  sysmem.mappedCpuPagesSizeIsExact,
  {
    // 000, "dma_buffer_create": auth_tags_size = (DMA_BUFFER_SIZE / PAGE_SIZE) * AUTH_TAG_SIZE; both halves GPU-mapped;
    // "mem_map_cpu_to_sysmem_kernel": under SEV the kernel CPU mapping of DMA pages is decrypted.
    name: 'liveBufferIsWholeAndMapped',
    source: `${SOURCE} § dma_buffer_create (auth_tags_size, uvm_mem_map_gpu_kernel)`,
    check: ({ after }) => {
      for (const id of [...after.free, ...after.held]) {
        const b = after.buffers.get(id);
        const data = b?.alloc == null ? undefined : after.sysmem.mems.get(b.alloc);
        const tags = b?.authTag == null ? undefined : after.sysmem.mems.get(b.authTag);
        if (data === undefined || tags === undefined) continue; // pooledAndHeldBuffersAreLive reports it
        if (data.size !== DMA_BUFFER_SIZE) return `b${id} staging buffer is 0x${data.size.toString(16)} bytes, not DMA_BUFFER_SIZE`;
        // 580.65.06 uvm_conf_computing.c dma_buffer_alloc: page_size UVM_PAGE_SIZE_2M (one chunk); before 580 PAGE_SIZE pages.
        const chunk = poolRules(after.version).stagingPageSize;
        if (data.chunkSize !== chunk) return `b${id} staging buffer is made of 0x${data.chunkSize.toString(16)}-byte chunks, but ${after.version} allocates it in 0x${chunk.toString(16)}-byte chunks`;
        if (tags.size !== AUTH_TAGS_SIZE) return `b${id} auth-tag buffer is 0x${tags.size.toString(16)} bytes, not 0x${AUTH_TAGS_SIZE.toString(16)}`;
        const gpuMapped = (m: typeof data) => (m.kernelMappedOn & gpuBit(POOL_GPU)) !== 0;
        if (!gpuMapped(data) || !gpuMapped(tags)) return `b${id} is pooled but not mapped on its GPU`;
        if (!data.cpuKernelMapped || !tags.cpuKernelMapped) return `b${id} is pooled but not mapped on the CPU`;
        // The pool exists only under Confidential Computing: the GPU reads these pages, so the CPU maps them decrypted.
        if (!cpuMappingDecrypted(after.sysmem, data.id) || !cpuMappingDecrypted(after.sysmem, tags.id)) return `b${id} is mapped encrypted on the CPU: the GPU would read ciphertext`;
      }
      return undefined;
    },
  },
  {
    // 000, "uvm_conf_computing_dma_buffer_alloc": uvm_page_mask_zero(&encrypted_page_mask) before hand-out.
    name: 'handedOutBufferHasClearEncryptedMask',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (uvm_page_mask_zero)`,
    check: ({ op, result, after }) => {
      if (op.op !== 'alloc' || !result.ok) return undefined;
      const b = after.buffers.get(result.value as number);
      return b === undefined || b.encryptedPageMask === 0n
        ? undefined
        : `b${b.id} handed out with encrypted_page_mask=0x${b.encryptedPageMask.toString(16)} from its last user`;
    },
  },
  {
    // 000, "uvm_conf_computing_dma_buffer_alloc": the buffer is handed out only after its tracker was waited for.
    name: 'handedOutBufferHasNoPendingWork',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (uvm_tracker_wait / add to out_tracker)`,
    check: ({ op, result, after }) => {
      if (op.op !== 'alloc' || !result.ok) return undefined;
      const b = after.buffers.get(result.value as number);
      if (b?.trackerPendingElsewhere === true) return `b${b.id} handed out while its previous user's work on another GPU is pending`;
      return b === undefined || !b.trackerPending ? undefined : `b${b.id} handed out while its previous user's work is pending`;
    },
  },
  {
    // 000, "uvm_conf_computing_dma_buffer_alloc": on error nothing is handed out and the pool keeps its buffers.
    name: 'failedOperationHandsOutNothing',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (error: uvm_conf_computing_dma_buffer_free)`,
    check: ({ op, result, before, after }) => {
      if (result.ok) return undefined;
      if (after.held.join() !== before.held.join()) return `failed ${op.op} changed what callers hold`;
      const lost = [...before.buffers.keys()].find((id) => !after.buffers.has(id));
      if (op.op === 'alloc' && lost !== undefined) return `failed alloc destroyed b${lost}, which the pool owned`;
      return undefined;
    },
  },
  {
    // 000, "dma_buffer_create" / "uvm_conf_computing_dma_buffer_alloc": a failed call returns the status of the step
    // that ended it (if (status != NV_OK) goto err / return status; a failure a partial expansion absorbed does not
    // count): allocations and mappings report NV_ERR_NO_MEMORY, a tracker wait the channel error (NV_ERR_RC_ERROR).
    name: 'failureReportsTheFailedStep',
    source: `${SOURCE} § dma_buffer_create, uvm_conf_computing_dma_buffer_alloc (return status)`,
    check: ({ op, result, faults, after }) => {
      if (result.ok || (op.op !== 'alloc' && op.op !== 'init')) return undefined;
      const failed = faults[faults.length - 1];
      // No injected fault: only the machine's coherent DMA memory running out (POOL_DMA_PAGES) fails a call so.
      if (failed === undefined && result.error === 'NV_ERR_NO_MEMORY' && after.sysmem.dmaPagesFree < BUFFER_DMA_PAGES) return undefined;
      if (failed === undefined) return `${op.op} failed with ${result.error} although no step failed`;
      // uvm_tracker.c uvm_tracker_add_tracker_safe: out of memory for the out tracker's entries is answered by waiting.
      if (failed.site.startsWith('uvm_tracker_reserve'))
        return `${op.op} failed with ${result.error} after ${failed.site}, but uvm_tracker_add_tracker_safe answers out-of-memory by waiting, never with an error`;
      const expected = failed.site === 'uvm_tracker_wait' || failed.site === 'uvm_tracker_wait_for_other_gpus' ? 'NV_ERR_RC_ERROR' : 'NV_ERR_NO_MEMORY';
      return result.error === expected ? undefined : `${op.op} failed with ${result.error}, but the step that ended it, ${failed.site}, gives ${expected}`;
    },
  },
  {
    // 000, "dma_buffer_pool_expand_locked": only when not one buffer could be made does alloc fail for lack of
    // buffers, and then the pool is exactly as it was. (A later tracker failure is a different error path.)
    name: 'failedExpansionLeavesPoolAsItWas',
    source: `${SOURCE} § dma_buffer_pool_expand_locked (if (i == 0) return status)`,
    check: ({ op, result, before, after, faults }) => {
      if (op.op !== 'alloc' || result.ok || faults.some((f) => f.site.startsWith('uvm_tracker'))) return undefined;
      if (after.numDmaBuffers !== before.numDmaBuffers || after.free.join() !== before.free.join())
        return `alloc failed in expansion yet the pool changed: num_dma_buffers ${before.numDmaBuffers} -> ${after.numDmaBuffers}, free [${after.free.join(' ')}]`;
      if (after.sysmem.mappedCpuPagesSize[POOL_GPU] !== before.sysmem.mappedCpuPagesSize[POOL_GPU]) return 'alloc failed in expansion but DMA pages stayed allocated';
      return undefined;
    },
  },
  {
    // 000, "dma_buffer_pool_expand_locked": nb_to_alloc = num_dma_buffers, so an expansion at most doubles the pool,
    // and exactly doubles it unless a fault is injected or the machine's coherent DMA memory runs out.
    name: 'expansionAtMostDoubles',
    source: `${SOURCE} § dma_buffer_pool_expand_locked (nb_to_alloc = num_dma_buffers)`,
    check: ({ op, before, after }) => {
      const alloc = argsOf(poolSignatures, op, 'alloc');
      if (alloc === undefined || before.free.length !== 0 || !before.initialized) return undefined;
      const { faults } = alloc;
      if (after.numDmaBuffers > 2 * before.numDmaBuffers) return `expansion grew the pool ${before.numDmaBuffers} -> ${after.numDmaBuffers}`;
      const roomForAnother = after.sysmem.dmaPagesFree >= BUFFER_DMA_PAGES;
      if (faults.length === 0 && roomForAnother && after.numDmaBuffers !== 2 * before.numDmaBuffers)
        return `fault-free expansion grew the pool ${before.numDmaBuffers} -> ${after.numDmaBuffers}, not double`;
      return undefined;
    },
  },
  {
    // 000 (uvm_conf_computing.c around it), "uvm_conf_computing_dma_buffer_pool_sync": every free buffer's tracker is waited for.
    name: 'syncLeavesNoPendingWork',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_pool_sync (uvm_tracker_wait for each free buffer)`,
    check: ({ op, result, after }) => {
      if (op.op !== 'sync' || !result.ok) return undefined;
      const pending = after.free.find((id) => after.buffers.get(id)?.trackerPending === true || after.buffers.get(id)?.trackerPendingElsewhere === true);
      return pending === undefined ? undefined : `b${pending} is free with its last user's work still pending after sync`;
    },
  },
  {
    // 000, uvm_conf_computing.c pool deinit (and a failed init): every buffer destroyed, count 0, no DMA page left.
    name: 'deinitLeavesNothingAllocated',
    source: `${SOURCE} § conf_computing_dma_buffer_pool_deinit (UVM_ASSERT(num_dma_buffers == 0))`,
    check: ({ op, result, after }) => {
      const teardown = (op.op === 'deinit' && result.ok) || (op.op === 'init' && !result.ok);
      if (!teardown) return undefined;
      if (after.buffers.size !== 0) return `${after.buffers.size} buffers survive ${op.op === 'init' ? 'a failed init' : 'deinit'}`;
      if (after.numDmaBuffers !== 0) return `num_dma_buffers=${after.numDmaBuffers} after ${op.op}`;
      if (after.sysmem.mems.size !== 0 || after.sysmem.mappedCpuPagesSize.some((v) => v !== 0n)) return `DMA memory still allocated after ${op.op}`;
      return undefined;
    },
  },
  {
    // 000, "dma_buffer_create" (uvm_tracker_init) and uvm_tracker.c uvm_tracker_get_entries (575.51.02/580.65.06):
    // a tracker that uvm_tracker_deinit zeroed has no entry storage, and every later use of it asserts
    // `tracker->dynamic_entries != NULL`. A buffer the pool may hand out again must have an initialised tracker.
    name: 'pooledBufferTrackerIsInitialised',
    source: `${SOURCE} § dma_buffer_create (uvm_tracker_init); uvm_tracker.c uvm_tracker_get_entries (UVM_ASSERT(tracker->dynamic_entries != NULL))`,
    check: ({ after }) => {
      for (const id of [...after.free, ...after.held]) {
        const b = after.buffers.get(id);
        if (b !== undefined && !b.trackerInitialized)
          return `b${id} is ${after.free.includes(id) ? 'back in the pool' : 'held'} with a deinitialised tracker: its next use asserts tracker->dynamic_entries != NULL`;
      }
      return undefined;
    },
  },
  {
    // uvm_tracker.c (550.40.07-595.45.04) uvm_tracker_wait / wait_for_entry_with_spin: the global error is checked
    // only inside the loop over unfinished entries, and uvm_tracker_wait_for_other_gpus skips the owner GPU's
    // entries; uvm_tracker_add_tracker_safe needs memory only when the buffer's tracker has entries to add.
    name: 'trackerStepFailsOnlyOnUnfinishedWork',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (uvm_tracker_wait_for_other_gpus, uvm_tracker_add_tracker_safe or uvm_tracker_wait); uvm_tracker.c 575.51.02/580.65.06 (global error checked only while an entry is unfinished)`,
    check: ({ op, result, before, after, faults }) => {
      if (op.op !== 'alloc') return undefined;
      const tracker = faults.filter((f) => f.site.startsWith('uvm_tracker'));
      if (tracker.length === 0) return undefined;
      const id = result.ok ? (result.value as BufferId) : after.free[after.free.length - 1];
      if (id === undefined) return undefined;
      const had: DmaBuffer | undefined = before.buffers.get(id);
      for (const f of tracker) {
        if (f.site === 'uvm_tracker_wait_for_other_gpus' && had?.trackerPendingElsewhere !== true)
          return `uvm_tracker_wait_for_other_gpus failed on b${id}, whose tracker had no unfinished work on another GPU (it skips the owner GPU's entries and fails only while waiting for one)`;
        if (f.site !== 'uvm_tracker_wait_for_other_gpus' && had?.trackerPending !== true)
          return `${f.site} failed on b${id}, whose tracker had no unfinished work on its own GPU (upstream fails only while an entry is unfinished)`;
      }
      return undefined;
    },
  },
  {
    // uvm_conf_computing.c conf_computing_dma_buffer_pool_init (575.51.02, 580.65.06): a pool that comes up owns the
    // buffers it was asked for, all free, each with an empty tracker.
    name: 'initCreatesTheRequestedPool',
    source: `${SOURCE} § uvm_conf_computing.c conf_computing_dma_buffer_pool_init (dma_buffer_create, dma_buffer_pool_add for each of num_dma_buffers)`,
    check: ({ op, result, after }) => {
      const init = argsOf(poolSignatures, op, 'init');
      if (init === undefined || !result.ok) return undefined;
      const { count } = init;
      if (!after.initialized) return 'init succeeded but the pool is not initialised';
      if (after.numDmaBuffers !== count || after.free.length !== count || after.held.length !== 0)
        return `init(count=${count}) succeeded with num_dma_buffers=${after.numDmaBuffers}, ${after.free.length} free and ${after.held.length} held`;
      const busy = after.free.find((id) => after.buffers.get(id)?.trackerPending !== false || after.buffers.get(id)?.trackerPendingElsewhere !== false);
      return busy === undefined ? undefined : `init made b${busy} with work already on its tracker`;
    },
  },
  {
    // 000, "uvm_conf_computing_dma_buffer_alloc": list_first_entry + list_del_init: the buffer handed out is the head
    // of the free list (after an expansion: the first buffer it added), and only it leaves the list.
    name: 'allocHandsOutTheHeadBuffer',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (list_first_entry, list_del_init)`,
    check: ({ op, result, before, after }) => {
      if (op.op !== 'alloc' || !result.ok) return undefined;
      const id = result.value as BufferId;
      const made = [...after.buffers.keys()].filter((b) => !before.buffers.has(b));
      const list = before.free.length > 0 ? before.free : made;
      if (list[0] !== id) return `alloc handed out b${id}, but the head of the free list was b${list[0] ?? '?'}`;
      if (after.free.join() !== list.slice(1).join()) return `alloc left the free list [${after.free.join(' ')}], not [${list.slice(1).join(' ')}]`;
      if (after.held.join() !== [...before.held, id].join()) return `alloc left the held buffers [${after.held.join(' ')}], not [${[...before.held, id].join(' ')}]`;
      return undefined;
    },
  },
  {
    // uvm_conf_computing.c uvm_conf_computing_dma_buffer_free (575.51.02, 580.65.06): the caller's tracker is added to
    // the buffer's (uvm_tracker_add_tracker_safe), so its unfinished work stays on the buffer for the next alloc to
    // wait for; then exactly that buffer goes to the tail of the free list (dma_buffer_pool_add, list_add_tail).
    name: 'freeKeepsCallersWorkOnBuffer',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_free (uvm_tracker_add_tracker_safe(&dma_buffer->tracker, tracker); dma_buffer_pool_add)`,
    check: ({ op, result, before, after }) => {
      const free = argsOf(poolSignatures, op, 'free');
      if (free === undefined || !result.ok || before.held.length === 0) return undefined;
      const id = before.held[free.slot % before.held.length] as BufferId;
      const { withTracker } = free;
      const otherGpus = withTracker && free.otherGpus;
      if (after.free.join() !== [...before.free, id].join()) return `free of b${id} left the free list [${after.free.join(' ')}], not [${[...before.free, id].join(' ')}]`;
      if (after.held.join() !== before.held.filter((b) => b !== id).join()) return `free of b${id} left the held buffers [${after.held.join(' ')}]`;
      const was = before.buffers.get(id);
      const now = after.buffers.get(id);
      if (was === undefined || now === undefined) return undefined;
      if (now.trackerPending !== (was.trackerPending || withTracker))
        return withTracker ? `free dropped the caller's tracker: b${id} goes back without the caller's unfinished work` : `free without a tracker changed b${id}'s tracker`;
      if (now.trackerPendingElsewhere !== (was.trackerPendingElsewhere || otherGpus))
        return otherGpus ? `free dropped the caller's work on another GPU: b${id} goes back without it` : `free changed b${id}'s work on other GPUs`;
      return undefined;
    },
  },
  {
    // The caller's side of encrypted_page_mask (000, "uvm_conf_computing_dma_buffer_alloc" clears it for the next
    // user): marking a page sets exactly that page's bit.
    name: 'encryptMarksThatPage',
    source: `${SOURCE} § uvm_conf_computing_dma_buffer_alloc (encrypted_page_mask, one bit per page of the buffer)`,
    check: ({ op, result, before, after }) => {
      const encrypt = argsOf(poolSignatures, op, 'encrypt');
      if (encrypt === undefined || !result.ok || before.held.length === 0) return undefined;
      const id = before.held[encrypt.slot % before.held.length] as BufferId;
      const { page } = encrypt;
      const was = before.buffers.get(id)?.encryptedPageMask ?? 0n;
      const now = after.buffers.get(id)?.encryptedPageMask ?? 0n;
      const expected = was | (1n << BigInt(page));
      return now === expected ? undefined : `encrypt of page ${page} of b${id} left encrypted_page_mask=0x${now.toString(16)}, not 0x${expected.toString(16)}`;
    },
  },
  // The other sysmem invariants (model/uvm-mem/README.md), after the pool's own.
  sysmem.allocationCoversRequestedSize,
  sysmem.cpuMappingIsDecryptedUnderEncryption,
  sysmem.noMappingOutlivesItsMemory,
];
