// The Xen memory primitives for virtio-GPU (Map, Revoke, Steal, Return) as a specification. Revoke and CPU
// accesses also run as tasks on several threads (concurrent.ts); the sequential invariants hold at every
// quiescent point and concurrent histories are linearizable.
import type { SubsystemSpec } from '../common/spec.js';
import { concurrentXenInvariants, ConcurrentXenModel, describeConcurrentXen, snapshotConcurrentXen, xenTaskSignatures } from './concurrent.js';
import { xenSignatures } from './operations.js';
import type { XenState } from './state.js';

export const xenPrimitivesSpec: SubsystemSpec<XenState> = {
  name: 'xen-primitives',
  title: 'Xen memory primitives for GPU virtualization (Map, Revoke, Steal, Return)',
  // One version: the primitives are a design proposal (seed 004) with no upstream implementation to follow. The
  // nearest upstream code, whose differences README.md lists, was read in xen.git at 4.23-dev (c447b7308b13).
  versions: [
    {
      name: 'proposal',
      upstream: 'the xen-devel design proposal of seed 004 (Map, Revoke, Steal, Return); no Xen release implements the primitives',
      checkedAgainst:
        'read against xen.git staging 4.23-dev-196-gc447b7308b13 (steal_page in xen/arch/x86/mm.c and xen/arch/arm/mm.c, assign_pages in xen/common/page_alloc.c): the nearest upstream code, not an implementation',
    },
  ],
  sources: ['004_a962dd2d5e662cda.txt'],
  signatures: { ...xenSignatures, ...xenTaskSignatures },
  invariants: concurrentXenInvariants,
  createModel: () => new ConcurrentXenModel(),
  snapshot: snapshotConcurrentXen,
  describe: describeConcurrentXen,
};

export { XenPrimitivesModel } from './operations.js';
export { ConcurrentXenModel, P2M_LOCK, type ConcurrentXenState } from './concurrent.js';
export * from './state.js';
