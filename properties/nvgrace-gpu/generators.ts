// Operation lists for nvgrace-gpu. A case is a probe (the device memory size, from tiny to huge, exact powers of
// two and one byte over, whole GiB with a tail) followed by accesses. Offsets, counts and lengths are drawn as an
// anchor of the probed layout (the end of device memory, the end of the BAR, the end of the region's offset bits,
// a region 2^40 bytes further, ...) plus a small delta, then made concrete; the anchor and delta shrink, so a
// shrunk case stays at the boundary it found.

import fc from 'fast-check';
import { operationsOf } from '../../model/common/schema.js';
import { roundUpPowerOfTwo, U64_MAX, wrapU64 } from '../../model/common/u64.js';
import type { Operation } from '../../model/common/values.js';
import {
  LOFF_MAX,
  MAX_RW_COUNT,
  MEMBLK_SIZE,
  PAGE_SHIFT,
  PAGE_SIZE,
  PCI_BASE_ADDRESS_2,
  PCI_BASE_ADDRESS_4,
  PCI_CFG_SPACE_EXP_SIZE,
  regionIndex,
  RESMEM_SIZE,
  VFIO_PCI_OFFSET_MASK,
  VFIO_PCI_OFFSET_SHIFT,
  VFIO_PCI_PGOFF_MASK,
  type BarName,
} from '../../model/nvgrace-gpu/index.js';
import { nvgraceSignatures } from '../../model/nvgrace-gpu/operations.js';

const op = operationsOf(nvgraceSignatures);
const GiB = 1n << 30n;
/** A shrunk alternative moves to the first (the most boundary-like) alternative when the case still fails there. */
const CROSS = { withCrossShrink: true } as const;

/** Device memory sizes: refused ones, the 1.5 GiB threshold, powers of two, one byte over, real parts, huge. */
export const memlengthArb: fc.Arbitrary<bigint> = fc.oneof(
  CROSS,
  {
    weight: 5,
    arbitrary: fc.constantFrom(
      0n, 1n, 4096n, GiB - 1n, GiB, GiB + 1n,
      GiB + MEMBLK_SIZE - 1n, GiB + MEMBLK_SIZE, GiB + MEMBLK_SIZE + 1n,
      2n * GiB, 2n * GiB + 1n, 3n * GiB, 4n * GiB - 1n, 4n * GiB, 4n * GiB + 1n,
      96n * GiB, 96n * GiB + 0x1234n, 0x17_a000_0000n, 480n * GiB,
      1n << 40n, (1n << 40n) + 1n, 1n << 63n, (1n << 63n) + GiB + MEMBLK_SIZE, U64_MAX,
    ),
  },
  { weight: 2, arbitrary: fc.integer({ min: 30, max: 63 }).chain((k) => fc.constantFrom(1n << BigInt(k), (1n << BigInt(k)) + 1n, (1n << BigInt(k)) - 1n)) },
  // Whole GiB plus a tail that is not a whole memblock: resmem is then more than 1 GiB, so its BAR has padding too.
  { weight: 4, arbitrary: fc.tuple(fc.integer({ min: 2, max: 512 }), fc.bigInt({ min: 1n, max: MEMBLK_SIZE - 1n })).map(([g, tail]) => BigInt(g) * GiB + tail) },
  { weight: 2, arbitrary: fc.bigInt({ min: GiB, max: 1n << 44n }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
);

export const memphysArb: fc.Arbitrary<bigint> = fc.oneof(
  CROSS,
  { weight: 6, arbitrary: fc.constantFrom(0n, 0x4000_0000_0000n, 0x4000_4000_0000n) },
  { weight: 1, arbitrary: fc.constantFrom(U64_MAX - GiB, U64_MAX & ~(PAGE_SIZE - 1n), 1n << 63n) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 1n << 52n }).map((x) => x & ~(PAGE_SIZE - 1n)) },
);

/**
 * The layout a probe of this size gives (the generator's own arithmetic, only to aim offsets). The usemem BAR
 * end depends on the specification version, so both candidates are kept: sized from the rounded-down usemem
 * (before-6a9eb2d) and from memlength - 1 GiB (linux-6a9eb2d); `altBar` picks the second.
 */
interface Layout {
  readonly memlength: { readonly BAR2: bigint; readonly BAR4: bigint };
  readonly barSize: { readonly BAR2: bigint; readonly BAR4: bigint };
  readonly altUsememBar: bigint;
}

function layoutOf(memlength: bigint): Layout {
  const usemem = memlength > RESMEM_SIZE ? ((memlength - RESMEM_SIZE) / MEMBLK_SIZE) * MEMBLK_SIZE : MEMBLK_SIZE;
  const resmem = memlength > usemem ? memlength - usemem : RESMEM_SIZE;
  const bar = (x: bigint) => (x > 1n << 63n ? 1n << 63n : roundUpPowerOfTwo(x));
  const alt = memlength > RESMEM_SIZE ? bar(memlength - RESMEM_SIZE) : bar(usemem);
  return { memlength: { BAR2: resmem, BAR4: usemem }, barSize: { BAR2: bar(resmem), BAR4: bar(usemem) }, altUsememBar: alt };
}

function barEndOf(l: Layout, bar: BarName, alt: boolean): bigint {
  return alt && bar === 'BAR4' ? l.altUsememBar : l.barSize[bar];
}

/**
 * `nextRegion`: the offset is `hop` whole regions (2^40 bytes each) past the BAR's own, so the file position
 * names another region index (BAR2 + 2 hops is usemem, BAR4 + 3 hops and BAR2 + 5 hops config space, the others
 * vfio-pci-core's), aimed inside that region by `inner`.
 */
type Anchor = 'zero' | 'memEnd' | 'barEnd' | 'offsetMask' | 'nextRegion' | 'raw';
type Inner = 'zero' | 'memEnd' | 'barEnd' | 'register';

const anchor = fc.oneof(
  CROSS,
  { weight: 5, arbitrary: fc.constant<Anchor>('memEnd') },
  { weight: 2, arbitrary: fc.constant<Anchor>('zero') },
  { weight: 2, arbitrary: fc.constant<Anchor>('barEnd') },
  { weight: 1, arbitrary: fc.constant<Anchor>('offsetMask') },
  { weight: 2, arbitrary: fc.constant<Anchor>('nextRegion') },
  { weight: 1, arbitrary: fc.constant<Anchor>('raw') },
);
const hopArb = fc.integer({ min: 1, max: 5 });
const innerArb = fc.constantFrom<Inner>('memEnd', 'zero', 'barEnd', 'register');
const delta = fc.oneof(
  CROSS,
  { weight: 3, arbitrary: fc.constant(0) },
  { weight: 4, arbitrary: fc.integer({ min: -8, max: 8 }) },
  { weight: 1, arbitrary: fc.integer({ min: -4096, max: 4096 }) },
);
const rawU64 = fc.oneof(fc.bigInt({ min: 0n, max: U64_MAX }), fc.bigInt({ min: 0n, max: 1n << 41n }));

/** `pastMemEnd`: from an offset inside device memory, a count that runs `width` bytes past its end (a straddle). */
type CountSel = 'width' | 'zero' | 'huge' | 'overflowByOne' | 'pastBarEnd' | 'pastMemEnd' | 'maxRw' | 'raw';
const countSel = fc.oneof(
  CROSS,
  { weight: 12, arbitrary: fc.constant<CountSel>('width') },
  { weight: 9, arbitrary: fc.constant<CountSel>('pastMemEnd') },
  { weight: 5, arbitrary: fc.constant<CountSel>('zero') },
  { weight: 1, arbitrary: fc.constant<CountSel>('huge') },
  { weight: 1, arbitrary: fc.constant<CountSel>('overflowByOne') },
  { weight: 2, arbitrary: fc.constant<CountSel>('pastBarEnd') },
  { weight: 1, arbitrary: fc.constant<CountSel>('maxRw') },
  { weight: 1, arbitrary: fc.constant<CountSel>('raw') },
);
const width = fc.oneof(CROSS, { weight: 6, arbitrary: fc.constantFrom(1n, 2n, 4n, 8n) }, { weight: 2, arbitrary: fc.constantFrom(3n, 5n, 7n, 16n, 64n, 65n) });
const faults = fc.oneof(CROSS, { weight: 6, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.constant<number[]>([0]) });
const barArb = fc.constantFrom<BarName>('BAR4', 'BAR2');

interface AccessSpec {
  readonly kind: 'read' | 'write';
  readonly bar: BarName;
  readonly anchor: Anchor;
  readonly hop: number;
  readonly inner: Inner;
  readonly altBar: boolean;
  readonly delta: number;
  readonly raw: bigint;
  readonly countSel: CountSel;
  readonly width: bigint;
  readonly rawCount: bigint;
  readonly seed: number;
  readonly faults: number[];
}

const accessSpec = fc.record({
  kind: fc.constantFrom<'read' | 'write'>('read', 'write'),
  bar: barArb,
  anchor,
  hop: hopArb,
  inner: innerArb,
  altBar: fc.boolean(),
  delta,
  raw: rawU64,
  countSel,
  width,
  rawCount: rawU64,
  seed: fc.integer({ min: 0, max: 255 }),
  faults,
});

/** Where `inner` aims inside the region `hop` regions past `bar`'s. */
function innerBase(s: AccessSpec, l: Layout): bigint {
  const target = regionIndex(s.bar) + s.hop;
  if (target === 4) return s.inner === 'zero' ? 0n : s.inner === 'memEnd' ? l.memlength.BAR4 : barEndOf(l, 'BAR4', s.altBar);
  if (target === 7) return s.inner === 'zero' ? 0n : s.inner === 'memEnd' ? BigInt(PCI_BASE_ADDRESS_2) : s.inner === 'barEnd' ? BigInt(PCI_BASE_ADDRESS_4) : BigInt(PCI_BASE_ADDRESS_2 + 4);
  return 0n;
}

function anchored(s: AccessSpec, l: Layout): bigint {
  const a = s.anchor;
  if (a === 'raw') return s.raw;
  const base =
    a === 'zero' ? 0n
    : a === 'memEnd' ? l.memlength[s.bar]
    : a === 'barEnd' ? barEndOf(l, s.bar, s.altBar)
    : a === 'offsetMask' ? VFIO_PCI_OFFSET_MASK + 1n
    : (BigInt(s.hop) << VFIO_PCI_OFFSET_SHIFT) + innerBase(s, l);
  return wrapU64(base + BigInt(s.delta));
}

function concreteAccess(s: AccessSpec, l: Layout): Operation {
  const offset = anchored(s, l);
  const pos = (BigInt(regionIndex(s.bar)) << VFIO_PCI_OFFSET_SHIFT) + offset;
  const count =
    s.countSel === 'width' ? s.width
    : s.countSel === 'zero' ? 0n
    : s.countSel === 'huge' ? U64_MAX
    : s.countSel === 'overflowByOne' ? wrapU64(LOFF_MAX - pos + 1n)
    : s.countSel === 'pastBarEnd' ? wrapU64(barEndOf(l, s.bar, s.altBar) - offset + 1n)
    : s.countSel === 'pastMemEnd' ? (offset < l.memlength[s.bar] ? l.memlength[s.bar] - offset + s.width : s.width)
    : s.countSel === 'maxRw' ? MAX_RW_COUNT + 1n
    : s.rawCount;
  const args = { bar: s.bar, offset, count, faults: s.faults };
  return s.kind === 'read' ? op('read', args) : op('write', { ...args, seed: s.seed });
}

const cfgOffset = fc.oneof(
  CROSS,
  { weight: 3, arbitrary: fc.constantFrom(PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_4, PCI_BASE_ADDRESS_2 + 4, PCI_BASE_ADDRESS_4 + 4) },
  { weight: 4, arbitrary: fc.tuple(fc.constantFrom(PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_4), fc.integer({ min: -3, max: 7 })).map(([b, d]) => b + d) },
  // The plain config bytes next to the registers (BAR0/BAR1 below, the subsystem IDs above).
  { weight: 3, arbitrary: fc.integer({ min: 0x10, max: 0x17 }) },
  { weight: 2, arbitrary: fc.integer({ min: 0x28, max: 0x2f }) },
  { weight: 1, arbitrary: fc.integer({ min: PCI_CFG_SPACE_EXP_SIZE - 8, max: PCI_CFG_SPACE_EXP_SIZE - 1 }) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: PCI_CFG_SPACE_EXP_SIZE - 1 }) },
);
const cfgCount = fc.oneof(CROSS, { weight: 6, arbitrary: fc.constantFrom(4, 1, 2, 8) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: 8 }) });
const cfgValue = fc.oneof(
  CROSS,
  { weight: 3, arbitrary: fc.constantFrom(0xffff_ffffn, U64_MAX, 0n) },
  { weight: 4, arbitrary: fc.bigInt({ min: 0n, max: U64_MAX }) },
  { weight: 1, arbitrary: fc.bigInt({ min: 0n, max: 1n << 52n }).map((x) => x & ~0xfffn) },
);

export const cfgReadOp = fc.record({ offset: cfgOffset, count: cfgCount }).map((args) => op('cfgRead', args));
const cfgWriteArgs = fc.record({ offset: cfgOffset, count: cfgCount, value: cfgValue });
export const cfgWriteOp = cfgWriteArgs.map((args) => op('cfgWrite', args));

type PgSel = 'zero' | 'memEnd' | 'barEnd' | 'mask' | 'raw';
type LenSel = 'pages' | 'fit' | 'barFit' | 'overflow' | 'huge' | 'zero' | 'raw';
interface MmapSpec {
  readonly bar: BarName;
  readonly pg: PgSel;
  readonly pgDelta: number;
  readonly rawPg: bigint;
  readonly len: LenSel;
  readonly lenPages: number;
  readonly lenDelta: number;
  readonly rawLen: bigint;
}

const mmapSpec = fc.record({
  bar: barArb,
  pg: fc.oneof(
  CROSS,
    { weight: 4, arbitrary: fc.constant<PgSel>('zero') },
    { weight: 3, arbitrary: fc.constant<PgSel>('memEnd') },
    { weight: 1, arbitrary: fc.constant<PgSel>('barEnd') },
    { weight: 1, arbitrary: fc.constant<PgSel>('mask') },
    { weight: 1, arbitrary: fc.constant<PgSel>('raw') },
  ),
  pgDelta: fc.integer({ min: -3, max: 3 }),
  rawPg: fc.bigInt({ min: 0n, max: U64_MAX }),
  len: fc.oneof(
  CROSS,
    { weight: 3, arbitrary: fc.constant<LenSel>('pages') },
    { weight: 3, arbitrary: fc.constant<LenSel>('fit') },
    { weight: 2, arbitrary: fc.constant<LenSel>('barFit') },
    { weight: 1, arbitrary: fc.constant<LenSel>('overflow') },
    { weight: 1, arbitrary: fc.constant<LenSel>('huge') },
    { weight: 1, arbitrary: fc.constant<LenSel>('zero') },
    { weight: 1, arbitrary: fc.constant<LenSel>('raw') },
  ),
  lenPages: fc.integer({ min: 1, max: 4 }),
  lenDelta: fc.integer({ min: -2, max: 2 }),
  rawLen: fc.bigInt({ min: 0n, max: U64_MAX }),
});

function concreteMmap(s: MmapSpec, l: Layout): Operation {
  const mem = l.memlength[s.bar];
  const pages = (x: bigint) => x >> PAGE_SHIFT;
  const pgBase = s.pg === 'zero' ? 0n : s.pg === 'memEnd' ? pages(mem) : s.pg === 'barEnd' ? pages(l.barSize[s.bar]) : s.pg === 'mask' ? VFIO_PCI_PGOFF_MASK : 0n;
  const pgoff = s.pg === 'raw' ? s.rawPg : wrapU64(pgBase + BigInt(s.pgDelta));
  const start = (pgoff << PAGE_SHIFT) & U64_MAX;
  const lenDelta = BigInt(s.lenDelta) * PAGE_SIZE;
  const length =
    s.len === 'pages' ? BigInt(s.lenPages) * PAGE_SIZE
    : s.len === 'fit' ? wrapU64(mem - start + lenDelta)
    : s.len === 'barFit' ? wrapU64(l.barSize[s.bar] - start + lenDelta)
    : s.len === 'overflow' ? wrapU64(U64_MAX - start + 1n + lenDelta)
    : s.len === 'huge' ? U64_MAX
    : s.len === 'zero' ? 0n
    : s.rawLen;
  return op('mmap', { bar: s.bar, pgoff, length });
}

type Spec =
  | { readonly t: 'access'; readonly s: AccessSpec }
  | { readonly t: 'mmap'; readonly s: MmapSpec }
  | { readonly t: 'op'; readonly op: Operation }
  | { readonly t: 'ops'; readonly ops: readonly Operation[] };

/** A config write and, right after it, a read a few bytes around it: what the write left is read back. */
const cfgWriteThenRead = fc
  .tuple(cfgWriteArgs, fc.integer({ min: -3, max: 3 }), cfgCount)
  .map(([write, shift, count]): Spec => {
    const offset = Math.min(PCI_CFG_SPACE_EXP_SIZE - 1, Math.max(0, write.offset + shift));
    return { t: 'ops', ops: [op('cfgWrite', write), op('cfgRead', { offset, count })] };
  });

const spec: fc.Arbitrary<Spec> = fc.oneof(
  CROSS,
  { weight: 8, arbitrary: accessSpec.map((s): Spec => ({ t: 'access', s })) },
  { weight: 3, arbitrary: cfgReadOp.map((op): Spec => ({ t: 'op', op })) },
  { weight: 3, arbitrary: cfgWriteOp.map((op): Spec => ({ t: 'op', op })) },
  { weight: 2, arbitrary: cfgWriteThenRead },
  { weight: 3, arbitrary: mmapSpec.map((s): Spec => ({ t: 'mmap', s })) },
  { weight: 2, arbitrary: fc.constant<Spec>({ t: 'op', op: op('reset', {}) }) },
);

/** A device's life: probed with some device memory size, then any sequence of accesses. */
export const nvgraceLifecycle: fc.Arbitrary<Operation[]> = fc
  .tuple(memphysArb, memlengthArb, fc.array(spec, { maxLength: 12 }))
  .map(([memphys, memlength, specs]) => {
    const l = layoutOf(memlength);
    const ops = specs.flatMap((x) => (x.t === 'access' ? [concreteAccess(x.s, l)] : x.t === 'mmap' ? [concreteMmap(x.s, l)] : x.t === 'op' ? [x.op] : x.ops));
    return [op('probe', { memphys, memlength }), ...ops];
  });
