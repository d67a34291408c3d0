// The nvgrace-gpu VFIO variant driver (Grace Hopper) as a specification: state, operations, invariants.
import type { SubsystemSpec } from '../common/spec.js';
import { nvgraceInvariants } from './invariants.js';
import { NvgraceGpuModel, nvgraceSignatures } from './operations.js';
import { describeNvgrace, snapshotNvgrace, type NvgraceState } from './state.js';

export const nvgraceGpuSpec: SubsystemSpec<NvgraceState> = {
  name: 'nvgrace-gpu',
  title: 'vfio/nvgrace-gpu: fake BARs over Grace Hopper coherent device memory',
  versions: [{ name: 'linux-6.12', upstream: 'Linux drivers/vfio/pci/nvgrace-gpu/main.c as merged', checkedAgainst: 'read' }],
  sources: ['001_d5d5d944b120b211.txt'],
  signatures: nvgraceSignatures,
  invariants: nvgraceInvariants,
  createModel: () => new NvgraceGpuModel(),
  snapshot: snapshotNvgrace,
  describe: describeNvgrace,
};

export { NvgraceGpuModel, type RegisterHit } from './operations.js';
export * from './host-mapping.js';
export * from './state.js';
