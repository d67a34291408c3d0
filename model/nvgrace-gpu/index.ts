// The nvgrace-gpu VFIO variant driver (Grace Hopper) as a specification: state, operations, invariants.
import type { SubsystemSpec } from '../common/spec.js';
import { nvgraceInvariants } from './invariants.js';
import { NvgraceGpuModel, nvgraceSignatures } from './operations.js';
import { describeNvgrace, snapshotNvgrace, type NvgraceState } from './state.js';

export const nvgraceGpuSpec: SubsystemSpec<NvgraceState> = {
  name: 'nvgrace-gpu',
  title: 'vfio/nvgrace-gpu: fake BARs over Grace Hopper coherent device memory',
  versions: [
    {
      name: 'linux-6a9eb2d',
      upstream:
        'Linux drivers/vfio/pci/nvgrace-gpu/main.c from commit 6a9eb2d125ba (v6.14, stable 6.12.y/6.13.y backports) to the current tree, on Grace Hopper (resmem carved out): the usemem BAR is sized before the MEMBLK_SIZE round-down',
      checkedAgainst:
        'read: torvalds/linux main.c at 1b0ecb5b (current) and the 6.12-stable backport of 6a9eb2d125ba; conformed: that main.c compiled by npm run upstream, 1500 runs each at device sizes 0x60000001 (BAR4 accesses) and 0x80000000 (both BARs), memphys 0, no difference; the resmem read count differs where resmem has padding (docs/findings.md)',
    },
    {
      name: 'before-6a9eb2d',
      upstream: 'Linux v6.10 (v19 series as merged) to v6.13: the usemem BAR is sized from the rounded-down usemem',
      checkedAgainst: 'read: the v19 series as merged (v6.10) and the 6a9eb2d125ba diff against it',
    },
  ],
  sources: ['001_d5d5d944b120b211.txt'],
  signatures: nvgraceSignatures,
  invariants: nvgraceInvariants,
  createModel: (version?: string) => new NvgraceGpuModel(version),
  snapshot: snapshotNvgrace,
  describe: describeNvgrace,
};

export { NvgraceGpuModel, type RegisterHit } from './operations.js';
export * from './host-mapping.js';
export * from './state.js';
