// Operation lists for the CC DMA staging-buffer pool, biased toward the error paths: a fault index lands
// on the first steps of an operation, on the boundary between a buffer's staging and auth-tag halves, or
// anywhere in an expansion of a few buffers.

import fc from 'fast-check';
import { operationsOf } from '../../model/common/schema.js';
import { poolSignatures } from '../../model/dma-pool/operations.js';

/**
 * Fallible steps per dma_buffer_create: the struct, the staging buffer (3 + its DMA chunks + vmap + GPU map), the
 * auth tags (3 + 2 pages + vmap + GPU map). uvm-575: 512 chunks of 4 KiB; uvm-580: one 2 MiB chunk.
 */
export const FALLIBLE_STEPS_PER_BUFFER_575 = 1 + (3 + 512 + 2) + (3 + 2 + 2);
export const FALLIBLE_STEPS_PER_BUFFER_580 = 1 + (3 + 1 + 2) + (3 + 2 + 2);
/** The same generator runs on every version: fault indices aim at the boundaries of both. */
export const FALLIBLE_STEPS_PER_BUFFER_BY_VERSION = [FALLIBLE_STEPS_PER_BUFFER_580, FALLIBLE_STEPS_PER_BUFFER_575] as const;

const perBuffer = fc.constantFrom(...FALLIBLE_STEPS_PER_BUFFER_BY_VERSION);
const faultIndex = fc.oneof(
  // The tracker steps of an alloc that does not expand (0-2), or the first steps of a create.
  { weight: 3, arbitrary: fc.integer({ min: 0, max: 2 }) },
  { weight: 2, arbitrary: fc.integer({ min: 3, max: 8 }) },
  // The first steps of the k-th buffer of an expansion: a partial success.
  {
    weight: 4,
    arbitrary: fc.tuple(perBuffer, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 8 })).map(([n, k, d]) => k * n + d),
  },
  // Around the end of the first buffer: the auth-tag half, and the tracker steps right after an expansion.
  { weight: 2, arbitrary: perBuffer.chain((n) => fc.integer({ min: Math.max(0, n - 10), max: n + 3 })) },
  { weight: 2, arbitrary: perBuffer.chain((n) => fc.integer({ min: 0, max: 4 * n + 2 })) },
  // A step of the first buffer made, the same place in both versions' counts: with 580's 14 steps every site of a
  // create (its DMA chunks at 4, 10 and 11), with 575's the struct, the first allocation and its first DMA pages.
  { weight: 3, arbitrary: fc.integer({ min: 3, max: 13 }) },
  // ... and its DMA allocations in particular (580: mem_alloc_dma_addrs at 3 and 9, a chunk at 4, 10, 11; 575: pages).
  { weight: 3, arbitrary: fc.constantFrom(3, 4, 9, 10, 11) },
  // Any step of one of the first buffers: with 580's 14 steps each site in turn; with 575's mostly a DMA page.
  {
    weight: 3,
    arbitrary: fc.tuple(perBuffer, fc.integer({ min: 0, max: 3 }), fc.nat(524)).map(([n, k, step]) => k * n + (step % n)),
  },
);

/** One tracker step of an alloc that does not expand, or two neighbouring ones (the boolean shrinks to one). */
const trackerFaults = fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()).map(([k, pair]) => (pair ? [k, k + 1] : [k]));

/**
 * Mostly no fault, else one or two; a plain array so the shrinker can take every fault away. Now and then two
 * neighbouring tracker steps fail together (both uvm_tracker_reserve attempts, or a reserve and the wait after it).
 */
export const faults = fc.oneof(
  { withCrossShrink: true },
  { weight: 8, arbitrary: fc.uniqueArray(faultIndex, { maxLength: 2 }) },
  { weight: 4, arbitrary: trackerFaults },
);

const op = operationsOf(poolSignatures);

/**
 * Init fails less often than the other calls: a pool that never comes up exercises nothing else, and a failing
 * init is still one case in three or so. An empty list is the first choice, so the shrinker can take the faults away.
 */
const initFaults = fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: fc.constant<number[]>([]) }, { weight: 2, arbitrary: faults });
export const initOp = fc.record({ count: fc.integer({ min: 1, max: 4 }), faults: initFaults }).map((a) => op('init', a));
/** An alloc's own tracker steps come first when it does not expand: they fail in one alloc in five or so. */
const allocFaults = fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: faults }, { weight: 1, arbitrary: trackerFaults });
export const allocOp = fc.record({ outTracker: fc.boolean(), faults: allocFaults }).map((a) => op('alloc', a));
/**
 * Two callers in three give the buffer back with unfinished work (what makes the next alloc's tracker steps, and
 * their failures, possible); most callers' trackers hold work on the DMA owner only, one in four also on another GPU.
 */
export const freeOp = fc
  .record({ slot: fc.nat(7), withTracker: fc.oneof({ weight: 2, arbitrary: fc.constant(true) }, { weight: 1, arbitrary: fc.constant(false) }), otherGpus: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) })
  .map((a) => op('free', a));
export const encryptOp = fc.record({ slot: fc.nat(7), page: fc.oneof(fc.constantFrom(0, 511), fc.nat(511)) }).map((a) => op('encrypt', a));

export const poolOperation = fc.oneof(
  { weight: 6, arbitrary: allocOp },
  { weight: 5, arbitrary: freeOp },
  { weight: 2, arbitrary: encryptOp },
  { weight: 1, arbitrary: fc.constant(op('sync', {})) },
  { weight: 1, arbitrary: fc.constant(op('deinit', {})) },
  { weight: 3, arbitrary: initOp },
);

/**
 * A pool's life: any sequence of calls, including deinit and re-init. Calls before the first init are
 * skipped by their precondition; keeping init an ordinary element lets the shrinker remove or replace it.
 */
export const poolLifecycle = fc.oneof(
  { withCrossShrink: true },
  { weight: 4, arbitrary: fc.array(poolOperation, { minLength: 1, maxLength: 30, size: 'max' }) },
  // One life in five mostly allocates: every buffer is held, and the pool expands again and again (from two
  // buffers up, an expansion can stop part way).
  { weight: 1, arbitrary: fc.array(fc.oneof({ weight: 8, arbitrary: allocOp }, { weight: 1, arbitrary: freeOp }, { weight: 2, arbitrary: initOp }), { minLength: 1, maxLength: 30, size: 'max' }) },
);

/**
 * A buffer going round: small pools, most buffers given back with the caller's unfinished work (on other GPUs too),
 * allocs whose tracker steps fail, now and then a sync. What uvm_conf_computing_dma_buffer_alloc's tracker steps do
 * and how they fail is exercised here far more often than in a whole pool life.
 */
const reuseOperation = fc.oneof(
  { weight: 5, arbitrary: fc.record({ outTracker: fc.boolean(), faults: fc.oneof({ withCrossShrink: true }, { weight: 1, arbitrary: fc.constant<number[]>([]) }, { weight: 2, arbitrary: trackerFaults }) }).map((a) => op('alloc', a)) },
  { weight: 4, arbitrary: freeOp },
  { weight: 1, arbitrary: encryptOp },
  { weight: 1, arbitrary: fc.constant(op('sync', {})) },
);
export const trackerReuse = fc
  .tuple(fc.integer({ min: 1, max: 2 }), fc.array(reuseOperation, { minLength: 1, maxLength: 16, size: 'max' }))
  .map(([count, ops]) => [op('init', { count, faults: [] }), ...ops]);

