// The cases of the pool's life that must occur often in what the generator produces: the expansion paths of
// dma_buffer_pool_expand_locked, the error paths of uvm_conf_computing_dma_buffer_alloc and pool init, and a
// failure of each fallible step.
// `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases to carry it.

import type { Step } from '../../model/common/spec.js';
import type { PoolState } from '../../model/dma-pool/index.js';
import type { CaseLabel } from '../harness/suite.js';

const expanding = ({ op, before }: Step<PoolState>) => op.op === 'alloc' && before.free.length === 0;
const grewBy = ({ before, after }: Step<PoolState>) => after.numDmaBuffers - before.numDmaBuffers;

export const poolLabels: readonly CaseLabel<PoolState>[] = [
  {
    name: 'allocExpands',
    description: 'an alloc finds the free list empty and expands the pool',
    minShare: 0.08,
    test: (s) => expanding(s) && grewBy(s) > 0,
  },
  {
    name: 'partialExpansion',
    description: 'an expansion makes some buffers but not all (alloc still succeeds)',
    minShare: 0.015,
    test: (s) => expanding(s) && s.result.ok && grewBy(s) > 0 && grewBy(s) < s.before.numDmaBuffers,
  },
  {
    name: 'failedExpansion',
    description: 'an expansion makes no buffer: alloc fails with the pool unchanged',
    minShare: 0.06,
    test: (s) => expanding(s) && !s.result.ok && grewBy(s) === 0 && !s.faults.some((f) => f.site.startsWith('uvm_tracker')),
  },
  {
    name: 'pendingBufferHandedOut',
    description: "alloc hands out a buffer whose previous user's tracker was pending (the wait is what makes it safe)",
    minShare: 0.07,
    test: (s) => s.op.op === 'alloc' && s.result.ok && s.before.buffers.get(s.result.value as number)?.trackerPending === true,
  },
  {
    name: 'syncWithPendingWork',
    description: "sync runs while a free buffer's last user still has work pending",
    minShare: 0.035,
    test: (s) => s.op.op === 'sync' && s.result.ok && s.before.free.some((id) => s.before.buffers.get(id)?.trackerPending === true),
  },
  {
    name: 'failedInit',
    description: 'pool init fails part way and tears down the buffers it made',
    minShare: 0.09,
    test: (s) => s.op.op === 'init' && !s.result.ok,
  },
  {
    name: 'encryptedBufferReused',
    description: 'alloc hands out a buffer a previous user had encrypted pages in (the mask must be cleared)',
    minShare: 0.04,
    test: (s) => s.op.op === 'alloc' && s.result.ok && (s.before.buffers.get(s.result.value as number)?.encryptedPageMask ?? 0n) !== 0n,
  },
  {
    name: 'reinitAfterDeinit',
    description: 'init runs again after the pool was torn down (by deinit or a failed init)',
    minShare: 0.09,
    test: (s) => s.op.op === 'init' && s.result.ok && s.before.nextBufferId > 0,
  },
  // Every fallible step of the pool's paths is made to fail in some cases: a step that never fails is an error
  // path no property looks at. (Shares measured at about 2.5 times these minimums.)
  ...(
    [
      ['uvm_kvmalloc_zero(dma_buffer)', 0.02],
      ['uvm_kvmalloc_zero(uvm_mem_t)', 0.02],
      ['uvm_kvmalloc_zero(sysmem.pages, sysmem.va)', 0.02],
      ['mem_alloc_dma_addrs', 0.02],
      ['uvm_gpu_dma_alloc', 0.07],
      ['vmap', 0.005],
      ['uvm_mem_map_gpu_kernel', 0.008],
    ] as const
  ).map(
    ([site, minShare]): CaseLabel<PoolState> => ({
      name: `fails:${site}`,
      description: site === 'uvm_gpu_dma_alloc' ? 'the fallible step uvm_gpu_dma_alloc (uvm_gpu_dma_alloc_page before 580) fails' : `the fallible step ${site} fails`,
      minShare,
      // uvm_gpu_dma_alloc_page (550-575) is the same step as uvm_gpu_dma_alloc (580 and later).
      test: (s) => s.faults.some((f) => (site === 'uvm_gpu_dma_alloc' ? f.site.startsWith(site) : f.site === site)),
    }),
  ),
];

/** The cases trackerReuse must generate: buffers coming back with work, every tracker step failing. */
export const reuseLabels: readonly CaseLabel<PoolState>[] = [
  {
    name: 'pendingBufferHandedOut',
    description: "alloc hands out a buffer whose previous user's tracker was pending (the wait is what makes it safe)",
    minShare: 0.07,
    test: (s) => s.op.op === 'alloc' && s.result.ok && s.before.buffers.get(s.result.value as number)?.trackerPending === true,
  },
  {
    name: 'failedTrackerWait',
    description: "alloc fails waiting for (or adding) the buffer's tracker and gives the buffer back",
    minShare: 0.06,
    test: (s) => s.op.op === 'alloc' && !s.result.ok && s.faults.some((f) => f.site.startsWith('uvm_tracker')),
  },
  {
    name: 'otherGpuWorkHandedOut',
    description: "alloc hands out a buffer whose previous user's tracker held work on another GPU (uvm_tracker_wait_for_other_gpus waits for it)",
    minShare: 0.02,
    test: (s) => s.op.op === 'alloc' && s.result.ok && s.before.buffers.get(s.result.value as number)?.trackerPendingElsewhere === true,
  },
  {
    name: 'outTrackerFallsBackToWait',
    description: 'the out tracker cannot take the entries (uvm_tracker_reserve out of memory) and alloc waits instead',
    minShare: 0.005,
    test: (s) => s.op.op === 'alloc' && s.faults.some((f) => f.site === 'uvm_tracker_reserve (after remove_completed)'),
  },
  ...(
    [
      ['uvm_tracker_wait_for_other_gpus', 0.03],
      ['uvm_tracker_reserve', 0.015],
      ['uvm_tracker_wait', 0.015],
    ] as const
  ).map(
    ([site, minShare]): CaseLabel<PoolState> => ({
      name: `fails:${site}`,
      description: `the fallible step ${site} fails`,
      minShare,
      test: (s) => s.faults.some((f) => f.site === site),
    }),
  ),
];
