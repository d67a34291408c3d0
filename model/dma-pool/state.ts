// State of the Confidential-Computing DMA staging-buffer pool of one GPU.
// Source: 000_e4d5058719a42ede.txt, "uvm_conf_computing_dma_buffer_alloc" and the uvm_conf_computing.c
// sections it quotes (dma_buffer_pool_expand_locked, dma_buffer_create).

import { emptyUvmMemSpace, PAGE_SIZE, snapshotUvmMemSpace, type MemId, type UvmMemSpace } from '../uvm-mem/index.js';
import { DEFAULT_POOL_VERSION, type PoolVersionName } from './versions.js';

/** UVM_CONF_COMPUTING_DMA_BUFFER_SIZE: one VA block (2 MiB) of staging memory per buffer. */
export const DMA_BUFFER_SIZE = 2n * 1024n * 1024n;
/** UVM_CONF_COMPUTING_AUTH_TAG_SIZE: one 16-byte authentication tag per page of the buffer. */
export const AUTH_TAG_SIZE = 16n;
/** dma_buffer_create: (UVM_CONF_COMPUTING_DMA_BUFFER_SIZE / PAGE_SIZE) * UVM_CONF_COMPUTING_AUTH_TAG_SIZE. */
export const AUTH_TAGS_SIZE = (DMA_BUFFER_SIZE / PAGE_SIZE) * AUTH_TAG_SIZE;
/** Pages in one buffer: the width of encrypted_page_mask. */
export const PAGES_PER_BUFFER = Number(DMA_BUFFER_SIZE / PAGE_SIZE);
/** conf_computing_dma_buffer_pool_init creates this many buffers. */
export const DRIVER_INITIAL_BUFFERS = 32;

export type BufferId = number;

export interface DmaBuffer {
  readonly id: BufferId;
  /** The 2 MiB staging buffer, or null before it is made. */
  alloc: MemId | null;
  /** The buffer of authentication tags, or null before it is made. */
  authTag: MemId | null;
  /**
   * Whether the buffer's tracker is initialised (uvm_tracker_init in dma_buffer_create): a tracker that
   * uvm_tracker_deinit zeroed has no entry storage, and upstream's next use of it asserts
   * `tracker->dynamic_entries != NULL` (uvm_tracker_get_entries).
   */
  trackerInitialized: boolean;
  /** The buffer's tracker holds unfinished work on the DMA owner GPU's channels (its last users' copies). */
  trackerPending: boolean;
  /** The buffer's tracker holds unfinished work on other GPUs' channels (a caller's tracker spanning GPUs). */
  trackerPendingElsewhere: boolean;
  /** encrypted_page_mask: pages of the buffer that hold encrypted data, one bit per page. */
  encryptedPageMask: bigint;
}

export interface PoolState {
  /** The specification version the pool follows (versions.ts): fixed for a run. */
  readonly version: PoolVersionName;
  initialized: boolean;
  /** num_dma_buffers: how many buffers the pool owns, free or held. */
  numDmaBuffers: number;
  /** free_dma_buffers, in list order (alloc takes the head, free adds at the tail). */
  free: BufferId[];
  /** Buffers handed out to callers and not yet freed, in the order they were handed out. */
  held: BufferId[];
  /** Every buffer struct that exists (uvm_kvmalloc'ed and not yet uvm_kvfree'd). */
  buffers: Map<BufferId, DmaBuffer>;
  nextBufferId: BufferId;
  /** The sysmem allocations of the pool's GPU, the DMA owner (GPU 0, the only one the pool uses). */
  sysmem: UvmMemSpace;
}

/** The pool's one GPU: the DMA owner of every buffer. */
export const POOL_GPU = 0;

/**
 * The pool machine's coherent DMA memory: 4 GiB, 2040 buffers with their tags. A real machine runs out, and so a pool
 * that grows without end (num_dma_buffers doubled by a count that is wrong) ends in NV_ERR_NO_MEMORY here too,
 * not in a model of millions of buffers. No case generated on the specification comes near it: 18 504 pages at
 * most (36 buffers) over seeds 1-40 at three times each property's budget, on both versions.
 */
export const POOL_DMA_PAGES = 1n << 20n;

/** The pool's allocations: one GPU, the machine's POOL_DMA_PAGES of coherent DMA memory. */
export function emptyPoolSysmem(sevEnabled: boolean): UvmMemSpace {
  return emptyUvmMemSpace(1, sevEnabled, POOL_DMA_PAGES);
}

export function initialPoolState(version: PoolVersionName = DEFAULT_POOL_VERSION, sevEnabled = true): PoolState {
  return {
    version,
    initialized: false,
    numDmaBuffers: 0,
    free: [],
    held: [],
    buffers: new Map(),
    nextBufferId: 0,
    sysmem: emptyPoolSysmem(sevEnabled),
  };
}

export function snapshotPool(s: PoolState): PoolState {
  return {
    version: s.version,
    initialized: s.initialized,
    numDmaBuffers: s.numDmaBuffers,
    free: [...s.free],
    held: [...s.held],
    buffers: new Map([...s.buffers].map(([id, b]) => [id, { ...b }])),
    nextBufferId: s.nextBufferId,
    sysmem: snapshotUvmMemSpace(s.sysmem),
  };
}

export function describePool(s: PoolState): string {
  if (!s.initialized && s.buffers.size === 0 && s.numDmaBuffers === 0) return 'pool: not initialised';
  const ids = (xs: BufferId[]) => '[' + xs.map((x) => 'b' + x).join(' ') + ']';
  const all = [...s.buffers.values()];
  const pending = all.filter((b) => b.trackerPending || b.trackerPendingElsewhere).map((b) => 'b' + b.id + (b.trackerPendingElsewhere ? (b.trackerPending ? '+other-gpu' : ':other-gpu') : ''));
  const deinit = all.filter((b) => !b.trackerInitialized).map((b) => 'b' + b.id);
  return (
    `num_dma_buffers=${s.numDmaBuffers} free=${ids(s.free)} held=${ids(s.held)}` +
    (pending.length > 0 ? ` tracker-pending={${pending.join(' ')}}` : '') +
    (deinit.length > 0 ? ` tracker-deinitialised={${deinit.join(' ')}}` : '') +
    ` mems=${s.sysmem.mems.size} mapped_cpu_pages_size=0x${(s.sysmem.mappedCpuPagesSize[POOL_GPU] ?? 0n).toString(16)}`
  );
}
