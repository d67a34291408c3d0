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
  versions: [{ name: 'proposal', upstream: 'the design proposal of seed 004 (the primitives are not upstream)', checkedAgainst: 'read' }],
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
