// Operation lists for the CC DMA staging-buffer pool, biased toward the error paths: a fault index lands
// on the first steps of an operation, on the boundary between a buffer's staging and auth-tag halves, or
// anywhere in an expansion of a few buffers.

import fc from 'fast-check';
import type { Operation } from '../../model/common/values.js';

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
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 8 }) },
  // The first steps of the k-th buffer of an expansion: a partial success.
  {
    weight: 2,
    arbitrary: fc.tuple(perBuffer, fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 8 })).map(([n, k, d]) => k * n + d),
  },
  // Around the end of the first buffer: the auth-tag half, and the tracker steps right after an expansion.
  { weight: 2, arbitrary: perBuffer.chain((n) => fc.integer({ min: Math.max(0, n - 10), max: n + 3 })) },
  { weight: 2, arbitrary: perBuffer.chain((n) => fc.integer({ min: 0, max: 4 * n + 2 })) },
);

/**
 * Mostly no fault, else one or two; a plain array so the shrinker can take every fault away. Now and then two
 * neighbouring tracker steps fail together (both uvm_tracker_reserve attempts, or a reserve and the wait after it).
 */
export const faults = fc.oneof(
  { withCrossShrink: true },
  { weight: 9, arbitrary: fc.uniqueArray(faultIndex, { maxLength: 2 }) },
  // (the boolean shrinks to false: one fault, so a case that needs only one shows only one)
  { weight: 1, arbitrary: fc.tuple(fc.integer({ min: 0, max: 2 }), fc.boolean()).map(([k, pair]) => (pair ? [k, k + 1] : [k])) },
);

const op = (name: string, args: Operation['args']): Operation => ({ op: name, args });

/**
 * Init fails less often than the other calls: a pool that never comes up exercises nothing else, and a failing
 * init is still one case in three or so. An empty list is the first choice, so the shrinker can take the faults away.
 */
const initFaults = fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: fc.constant<number[]>([]) }, { weight: 2, arbitrary: faults });
export const initOp = fc.record({ count: fc.integer({ min: 1, max: 4 }), faults: initFaults }).map((a) => op('init', a));
export const allocOp = fc.record({ outTracker: fc.boolean(), faults }).map((a) => op('alloc', a));
/** Most callers' trackers hold work on the DMA owner only; one in four also on another GPU. */
export const freeOp = fc
  .record({ slot: fc.nat(7), withTracker: fc.boolean(), otherGpus: fc.oneof({ weight: 3, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) })
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
export const poolLifecycle = fc.array(poolOperation, { minLength: 1, maxLength: 30, size: 'max' });
