// Operation lists for a UVM VA space, biased toward the error paths and the exact boundaries: registering a GPU
// twice, next to a GPU of the other coherence, after mm teardown, with a fault at each registration step; and
// allocation sizes of 0, one byte either side of a page, of the machine's DMA memory, and of the u64 wrap.

import fc from 'fast-check';
import { operationsOf } from '../../model/common/schema.js';
import { vaSpaceSignatures } from '../../model/uvm-va-space/operations.js';
import { U64_MAX } from '../../model/common/u64.js';
import { DMA_PAGES_TOTAL } from '../../model/uvm-va-space/state.js';
import { PAGE_SIZE } from '../../model/uvm-mem/index.js';

const op = operationsOf(vaSpaceSignatures);

/** Fallible steps of registerGpu: retain, access counters, CC buffer, peers_to_release, enable_peers, heuristics. */
const registrationFaults = fc.oneof(
  { weight: 3, arbitrary: fc.constant<number[]>([]) },
  { weight: 2, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 2 }) },
);

/** Fallible steps of the allocation and mapping calls: the first few, and any page of a small allocation. */
const memFaults = fc.oneof(
  { weight: 6, arbitrary: fc.constant<number[]>([]) },
  { weight: 2, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 2 }) },
  { weight: 1, arbitrary: fc.uniqueArray(fc.integer({ min: 0, max: 40 }), { minLength: 1, maxLength: 2 }) },
);

const anyGpu = fc.integer({ min: 0, max: 4 });
/**
 * The sysmem cases register gpu0 and one or both of gpu1/gpu2 (all non-coherent, so they can coexist): allocations
 * are mostly owned by gpu0, mapped mostly on the other two, and those are the ones unregistered.
 */
const ownerGpu = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.constantFrom(3, 4) });
const mappingGpu = fc.oneof({ weight: 2, arbitrary: fc.constant(0) }, { weight: 5, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.constantFrom(3, 4) });
const leavingGpu = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: anyGpu });
const slot = fc.nat(7);

const pageMultiple = fc
  .tuple(fc.integer({ min: 1, max: 12 }), fc.integer({ min: -1, max: 1 }))
  .map(([k, d]) => BigInt(k) * PAGE_SIZE + BigInt(d));

export const allocationSize = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0n, 1n, PAGE_SIZE - 1n, PAGE_SIZE, PAGE_SIZE + 1n, 2n * PAGE_SIZE, 2n * PAGE_SIZE + 1n) },
  { weight: 3, arbitrary: pageMultiple },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      DMA_PAGES_TOTAL * PAGE_SIZE,
      DMA_PAGES_TOTAL * PAGE_SIZE + 1n,
      1n << 40n,
      U64_MAX - PAGE_SIZE + 1n, // aligned already: 2^52 pages, more than the machine has
      U64_MAX - PAGE_SIZE + 2n, // the first size UVM_ALIGN_UP wraps for
      U64_MAX,
    ),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
);

const pageSize = fc.oneof(
  { weight: 4, arbitrary: fc.constant('default') },
  { weight: 2, arbitrary: fc.constant('4K') },
  { weight: 1, arbitrary: fc.constantFrom('64K', '2M') },
);

export const createOp = fc
  .record({
    sevEnabled: fc.boolean(),
    faults: fc.oneof({ weight: 19, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.uniqueArray(fc.nat(3), { minLength: 1, maxLength: 1 }) }),
  })
  .map((a) => op('create', a));

const registerOp = (gpu: fc.Arbitrary<number>, faults: fc.Arbitrary<number[]>) => fc.record({ gpu, faults }).map((a) => op('registerGpu', a));
const unregisterOp = (gpu: fc.Arbitrary<number>) => fc.record({ gpu }).map((a) => op('unregisterGpu', a));

/**
 * The CC GPU (gpu2) registered with its peers_to_release allocation failing, after its unregister buffer was taken:
 * its fallible steps are the retain (0), the CC buffer (1) and peers_to_release (2). Random fault lists hit this
 * exact step in only about 2% of cases.
 */
const ccRegistrationFailsHoldingBuffer = fc.constant(op('registerGpu', { gpu: 2, faults: [2] }));

export const registrationOperation = fc.oneof(
  { weight: 12, arbitrary: registerOp(anyGpu, registrationFaults) },
  { weight: 1, arbitrary: ccRegistrationFailsHoldingBuffer },
  { weight: 6, arbitrary: unregisterOp(anyGpu) },
  { weight: 2, arbitrary: fc.constant(op('mmShutdown', {})) },
);

/** A VA space's life: created, then GPUs registered and unregistered, with faults and an mm teardown. */
export const registrationLifecycle = fc
  .tuple(createOp, fc.array(registrationOperation, { maxLength: 16, size: 'medium' }))
  .map(([create, rest]) => [create, ...rest]);

/**
 * An allocate-and-map-on-the-CPU call of k pages whose vmap fails: the vmap is the step right after the
 * allocation's 3 + k steps, which random fault indices rarely hit exactly.
 */
const allocThenVmapFails = fc
  .record({ owner: ownerGpu, pages: fc.integer({ min: 1, max: 4 }) })
  .map(({ owner, pages }) => op('memAllocAndMapCpu', { owner, size: BigInt(pages) * PAGE_SIZE, faults: [3 + pages] }));

export const memOperation = fc.oneof(
  { weight: 1, arbitrary: registerOp(mappingGpu, fc.constant<number[]>([])) },
  { weight: 2, arbitrary: unregisterOp(leavingGpu) },
  { weight: 1, arbitrary: allocThenVmapFails },
  { weight: 4, arbitrary: fc.record({ owner: ownerGpu, size: allocationSize, pageSize, faults: memFaults }).map((a) => op('memAlloc', a)) },
  { weight: 3, arbitrary: fc.record({ owner: ownerGpu, size: allocationSize, faults: memFaults }).map((a) => op('memAllocAndMapCpu', a)) },
  { weight: 2, arbitrary: fc.record({ slot, faults: memFaults }).map((a) => op('memMapCpu', a)) },
  { weight: 1, arbitrary: fc.record({ slot }).map((a) => op('memUnmapCpu', a)) },
  { weight: 5, arbitrary: fc.record({ slot, gpu: mappingGpu, faults: memFaults }).map((a) => op('memMapGpu', a)) },
  // Unmaps as often as CPU maps: an unmap only does something when it names a GPU the allocation is mapped on.
  { weight: 2, arbitrary: fc.record({ slot, gpu: mappingGpu }).map((a) => op('memUnmapGpu', a)) },
  { weight: 2, arbitrary: fc.record({ slot, gpu: mappingGpu }).map((a) => op('memUnmapGpuPhys', a)) },
  { weight: 3, arbitrary: fc.record({ slot }).map((a) => op('memFree', a)) },
);

/**
 * A GPU unregistered while another non-owner GPU has an allocation mapped: both of gpu1 and gpu2 (re)registered, an
 * allocation of gpu0, a live allocation mapped on one of them, the other unregistered. unregister_gpu must take
 * away the leaving GPU's mappings only; random operations reach this in under 1 % of cases.
 */
const unregisterBesideAMapping = fc
  .record({ mapped: fc.constantFrom(1, 2), slot, pages: fc.integer({ min: 1, max: 3 }) })
  .map(({ mapped, slot, pages }) => [
    op('registerGpu', { gpu: 1, faults: [] }),
    op('registerGpu', { gpu: 2, faults: [] }),
    op('memAlloc', { owner: 0, size: BigInt(pages) * PAGE_SIZE, pageSize: 'default', faults: [] }),
    op('memMapGpu', { slot, gpu: mapped, faults: [] }),
    op('unregisterGpu', { gpu: 3 - mapped }),
  ]);

/**
 * A VA space with gpu0 and one or both of gpu1/gpu2 registered up front (so allocations and mappings usually name a
 * registered GPU), then allocations, mappings, frees and (un)registrations.
 */
export const sysmemLifecycle = fc
  .tuple(
    createOp,
    fc.subarray([1, 2], { minLength: 1 }),
    fc.array(fc.oneof({ weight: 30, arbitrary: memOperation.map((o) => [o]) }, { weight: 1, arbitrary: unregisterBesideAMapping }), { maxLength: 24, size: 'medium' }),
  )
  .map(([create, gpus, rest]) => [create, ...[0, ...gpus].map((gpu) => op('registerGpu', { gpu, faults: [] })), ...rest.flat()]);
