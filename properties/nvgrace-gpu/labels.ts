// The cases of the nvgrace-gpu region accesses that must occur often in what the generator produces: the
// boundaries of the fake BARs (the end of device memory, where the ~0 reads and dropped writes begin, and the end
// of the BAR). `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases.

import { typedOp } from '../../model/common/schema.js';
import type { Step } from '../../model/common/spec.js';
import type { NvgraceState } from '../../model/nvgrace-gpu/index.js';
import { nvgraceSignatures } from '../../model/nvgrace-gpu/operations.js';
import { regionOf } from '../../model/nvgrace-gpu/state.js';

/** The region index a read or write's file position names, when it is not the BAR's own (2^40 bytes per region). */
function otherIndex(s: Step<NvgraceState>): number | undefined {
  const op = typedOp(nvgraceSignatures, s.op);
  if (op?.op !== 'read' && op?.op !== 'write') return undefined;
  const own = op.args.bar === 'BAR2' ? 2n : 4n;
  const index = own + op.args.offset / (1n << 40n);
  return index === own ? undefined : Number(index);
}
import type { CaseLabel } from '../harness/suite.js';

/**
 * The accessed byte range [offset, offset + count) of a read or write inside its BAR's own region (an offset below
 * 2^40), with the region as it was; undefined for any other access.
 */
function access(s: Step<NvgraceState>) {
  const op = typedOp(nvgraceSignatures, s.op);
  if (op?.op !== 'read' && op?.op !== 'write') return undefined;
  const { bar, offset, count } = op.args;
  if (offset >= 1n << 40n) return undefined;
  const region = regionOf(s.before, bar);
  if (region === null) return undefined;
  return { region, offset, end: offset + count, count };
}

export const nvgraceLabels: readonly CaseLabel<NvgraceState>[] = [
  {
    name: 'accessCrossesIntoAnotherRegion',
    description: 'a read or write at an offset of 2^40 or more: its file position names another region index than its BAR',
    minShare: 0.1,
    test: (s) => otherIndex(s) !== undefined,
  },
  {
    name: 'accessReachesAnotherFakeBarOrConfig',
    description: 'a read or write whose offset past its BAR reaches usemem (BAR2 + 2^41) or config space (region 7)',
    minShare: 0.04,
    test: (s) => {
      const i = otherIndex(s);
      return i === 4 || i === 7;
    },
  },
  {
    name: 'accessStartsAtMemoryEnd',
    description: 'a read or write starts exactly at the end of device memory (the first byte of the BAR padding)',
    minShare: 0.08,
    test: (s) => {
      const a = access(s);
      return a !== undefined && a.offset === a.region.memlength;
    },
  },
  {
    name: 'accessStraddlesMemoryEnd',
    description: 'a read or write covers the last byte of device memory and the first byte after it',
    minShare: 0.06,
    test: (s) => {
      const a = access(s);
      return a !== undefined && a.offset < a.region.memlength && a.end > a.region.memlength;
    },
  },
  {
    name: 'accessReachesBarEnd',
    description: 'a read or write reaches or passes the end of the BAR',
    minShare: 0.18,
    test: (s) => {
      const a = access(s);
      return a !== undefined && a.count > 0n && a.end >= a.region.barSize;
    },
  },
];
