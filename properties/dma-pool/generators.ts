// Operation lists for the CC DMA staging-buffer pool, biased toward the error paths: a fault index lands
// on the first steps of an operation, on the boundary between a buffer's staging and auth-tag halves, or
// anywhere in an expansion of a few buffers.

import fc from 'fast-check';
import type { Operation } from '../../model/common/values.js';

/** Fallible steps per dma_buffer_create: struct, 2 MiB buffer (3 + 512 pages + vmap + GPU map), auth tags (3 + 2 + 2). */
export const FALLIBLE_STEPS_PER_BUFFER = 1 + (3 + 512 + 2) + (3 + 2 + 2);

const faultIndex = fc.oneof(
  { weight: 4, arbitrary: fc.integer({ min: 0, max: 8 }) },
  // The first steps of the k-th buffer of an expansion: a partial success.
  {
    weight: 2,
    arbitrary: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 8 })).map(([k, d]) => k * FALLIBLE_STEPS_PER_BUFFER + d),
  },
  { weight: 2, arbitrary: fc.integer({ min: FALLIBLE_STEPS_PER_BUFFER - 10, max: FALLIBLE_STEPS_PER_BUFFER + 3 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0, max: 4 * FALLIBLE_STEPS_PER_BUFFER + 2 }) },
);

/** Mostly no fault, else one or two; a plain array so the shrinker can take every fault away. */
export const faults = fc.uniqueArray(faultIndex, { maxLength: 2 });

const op = (name: string, args: Operation['args']): Operation => ({ op: name, args });

/**
 * Init fails less often than the other calls: a pool that never comes up exercises nothing else, and a failing
 * init is still one case in three or so. An empty list is the first choice, so the shrinker can take the faults away.
 */
const initFaults = fc.oneof({ withCrossShrink: true }, { weight: 3, arbitrary: fc.constant<number[]>([]) }, { weight: 2, arbitrary: faults });
export const initOp = fc.record({ count: fc.integer({ min: 1, max: 4 }), faults: initFaults }).map((a) => op('init', a));
export const allocOp = fc.record({ outTracker: fc.boolean(), faults }).map((a) => op('alloc', a));
export const freeOp = fc.record({ slot: fc.nat(7), withTracker: fc.boolean() }).map((a) => op('free', a));
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
