// The Xen memory primitives for virtio-GPU (Map, Revoke, Steal, Return) as a specification.
import type { SubsystemSpec } from '../common/spec.js';
import { xenInvariants } from './invariants.js';
import { XenPrimitivesModel, xenSignatures } from './operations.js';
import { describeXen, snapshotXen, type XenState } from './state.js';

export const xenPrimitivesSpec: SubsystemSpec<XenState> = {
  name: 'xen-primitives',
  title: 'Xen memory primitives for GPU virtualization (Map, Revoke, Steal, Return)',
  sources: ['004_a962dd2d5e662cda.txt'],
  signatures: xenSignatures,
  invariants: xenInvariants,
  createModel: () => new XenPrimitivesModel(),
  snapshot: snapshotXen,
  describe: describeXen,
};

export { XenPrimitivesModel } from './operations.js';
export * from './state.js';
