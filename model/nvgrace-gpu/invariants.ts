// Invariants of the nvgrace-gpu variant driver, each named for what it protects. Every check restates the rule
// from the source on its own (from `before`, the operation and its result) rather than asking the model, so a
// seeded bug in any one step of the model is measured against the rule, not against itself.

import type { Result } from '../common/result.js';
import { argsOf, typedOp } from '../common/schema.js';
import type { Invariant, Step } from '../common/spec.js';
import { alignUp, hex, isPowerOfTwo, U64_MAX } from '../common/u64.js';
import type { DeviceRegion } from './host-mapping.js';
import { nvgraceSignatures } from './operations.js';
import {
  BAR_FLAGS,
  BAR_REGISTER_BYTES,
  LOFF_MAX,
  MAX_RW_COUNT,
  MEMBLK_SIZE,
  PAGE_SHIFT,
  PAGE_SIZE,
  PCI_BASE_ADDRESS_2,
  PCI_BASE_ADDRESS_4,
  PCI_CFG_SPACE_EXP_SIZE,
  RESMEM_SIZE,
  VFIO_PCI_OFFSET_MASK,
  VFIO_PCI_OFFSET_SHIFT,
  type BarName,
  type Extent,
  type MemRegion,
  type NvgraceState,
} from './state.js';

const SOURCE = '001_d5d5d944b120b211.txt';
const DRIVER = 'merged drivers/vfio/pci/nvgrace-gpu/main.c';

type S = NvgraceState;

// ------------------------------------------------------------------------------------------------------------
// The rules' own arithmetic. None of it is imported from the model (operations.ts or the helpers of state.ts):
// a slip in the model's helpers would otherwise be made identically by the check and go unseen.

/** Region indices of the device file (VFIO_PCI_*_REGION_INDEX): BAR2 is resmem, BAR4 usemem. */
const BAR_INDEX: { readonly [b in BarName]: number } = { BAR2: 2, BAR4: 4 };
const CONFIG_INDEX = 7;
/** VFIO_PCI_NUM_REGIONS: BAR0..BAR5, ROM, config, VGA (nvgrace-gpu adds no device-specific region). */
const NUM_REGIONS = 9;
const ROM_INDEX = 6;
/** Page-offset bits of one region in vm_pgoff. */
const PGOFF_BITS = VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT;

/** The fake BAR region a region index names, or undefined for any other index (2 -> resmem, 4 -> usemem). */
function memRegionAt(s: S, index: number): MemRegion | undefined {
  const r = index === 4 ? s.usemem : index === 2 ? s.resmem : null;
  return r === null || r.memlength === 0n ? undefined : r;
}

/** The byte a region's device memory holds at `offset`: the last write covering it, else the initial pattern. */
function deviceByte(name: DeviceRegion, writes: readonly Extent[], offset: bigint): number {
  for (let i = writes.length - 1; i >= 0; i--) {
    const w = writes[i] as Extent;
    if (w.start <= offset && offset < w.end) return Number((BigInt(w.seed) + (offset - w.start)) % 256n);
  }
  return Number(((name === 'usemem' ? 0x5an : 0xa5n) + offset) % 256n);
}

/**
 * The first offset below `limit` where two write histories leave different bytes (undefined when none). Between
 * two consecutive write boundaries each history is a run rising by one per byte, so the boundaries suffice.
 */
function firstDifference(name: DeviceRegion, a: readonly Extent[], b: readonly Extent[], limit: bigint): bigint | undefined {
  const points = [0n, ...[...a, ...b].flatMap((w) => [w.start, w.end])].filter((p) => p >= 0n && p < limit);
  points.sort((x, y) => (x < y ? -1 : x > y ? 1 : 0));
  return points.find((p) => deviceByte(name, a, p) !== deviceByte(name, b, p));
}

/** The 64-bit value the emulated register of a region reads as: address bits above the size, plus the flags. */
function registerImage(r: MemRegion): bigint {
  return (r.barVal & ~(r.barSize - 1n) & U64_MAX) | BAR_FLAGS;
}

function byteOfValue(value: bigint, k: number): number {
  return Number((value >> BigInt(8 * k)) & 0xffn);
}

/** Where [bufStart, bufStart + bufCount) meets [regStart, regStart + regCount), as vfio_pci_core_range_intersect_range says. */
function overlap(bufStart: number, bufCount: number, regStart: number, regCount: number) {
  if (bufStart <= regStart && bufStart + bufCount > regStart)
    return { copyOffset: regStart - bufStart, copyCount: Math.min(regCount, bufStart + bufCount - regStart), registerOffset: 0 };
  if (bufStart > regStart && bufStart < regStart + regCount)
    return { copyOffset: 0, copyCount: Math.min(bufCount, regStart + regCount - bufStart), registerOffset: bufStart - regStart };
  return undefined;
}

/** What a read or write names: its device file position and count, and where the position leads. */
interface AccessPosition {
  readonly op: 'read' | 'write';
  readonly bar: BarName;
  readonly pos: bigint;
  readonly count: bigint;
  /** A write's data: byte i is (seed + i) & 0xff (0 for a read). */
  readonly seed: number;
  /** The file position plus the count does not fit in loff_t (or the count in ssize_t): the VFS refuses it. */
  readonly overflows: boolean;
  /** VFIO_PCI_OFFSET_TO_INDEX(pos) and the offset inside that region. */
  readonly index: number;
  readonly offset: bigint;
  /** The count the driver is handed (the VFS clamps it to MAX_RW_COUNT). */
  readonly vfsCount: bigint;
}

function accessPosition(step: Step<S>): AccessPosition | undefined {
  const op = typedOp(nvgraceSignatures, step.op);
  if (op?.op !== 'read' && op?.op !== 'write') return undefined;
  const { bar, count } = op.args;
  const seed = op.op === 'write' ? op.args.seed : 0;
  const pos = BigInt(BAR_INDEX[bar]) * (1n << VFIO_PCI_OFFSET_SHIFT) + op.args.offset;
  const overflows = count > LOFF_MAX || pos + count > LOFF_MAX;
  const index = Number(pos / (1n << VFIO_PCI_OFFSET_SHIFT));
  const offset = pos % (1n << VFIO_PCI_OFFSET_SHIFT);
  return { op: op.op, bar, pos, count, seed, overflows, index, offset, vfsCount: count > MAX_RW_COUNT ? MAX_RW_COUNT : count };
}

/** What a read or write asked for, and what the rules say it amounts to, computed from the state before it. */
interface AccessFacts {
  readonly index: number;
  readonly region: MemRegion;
  /** The offset inside the region the file position selects. */
  readonly offset: bigint;
  readonly count: bigint;
  readonly beyondBar: boolean;
  /** Bytes the access covers once the VFS clamp and the BAR end have clipped it. */
  readonly clipped: bigint;
  /** Of those, the bytes that are device memory. */
  readonly memCount: bigint;
  /** A write's data: byte i is (seed + i) & 0xff (0 for a read). */
  readonly seed: number;
}

/** The facts of a read or write the VFS lets through to one of the fake BAR regions; undefined for any other. */
function accessFacts(step: Step<S>): AccessFacts | undefined {
  const p = accessPosition(step);
  if (p === undefined || p.overflows) return undefined;
  const region = memRegionAt(step.before, p.index);
  if (region === undefined) return undefined;
  const beyondBar = p.offset >= region.barSize;
  const clipped = beyondBar ? 0n : min(p.vfsCount, region.barSize - p.offset);
  const memCount = p.offset >= region.memlength ? 0n : min(clipped, region.memlength - p.offset);
  return { index: p.index, region, offset: p.offset, count: p.count, beyondBar, clipped, memCount, seed: p.seed };
}

/** The region of `after` with the same name as a region of `before`. */
function regionAfter(after: S, region: MemRegion): MemRegion | null {
  return after[region.name];
}

/** The first difference between two states, for "has no effect" checks; undefined when they are the same. */
function difference(a: S, b: S, ignoreKernelMapping = false): string | undefined {
  for (const name of ['usemem', 'resmem'] as const) {
    const x = a[name];
    const y = b[name];
    if (x === null || y === null) {
      if (x !== y) return `${name} appeared or vanished`;
      continue;
    }
    if (x.barVal !== y.barVal) return `${name} bar_val ${hex(x.barVal)} -> ${hex(y.barVal)}`;
    if (!ignoreKernelMapping && x.kernelMapped !== y.kernelMapped) return `${name} kernel mapping ${x.kernelMapped} -> ${y.kernelMapped}`;
    const at = firstDifference(name, x.writes, y.writes, U64_MAX);
    if (at !== undefined) return `${name} device byte at ${hex(at)} changed`;
  }
  if (a.config.size !== b.config.size || [...a.config].some(([k, v]) => b.config.get(k) !== v)) return 'config space changed';
  if (a.mappings.length !== b.mappings.length) return 'a user mapping was added or removed';
  return undefined;
}

function isError(result: Result, error: string): boolean {
  return !result.ok && result.error === error;
}

function resultField(result: Result, field: string): unknown {
  if (!result.ok || result.value === undefined || typeof result.value !== 'object' || result.value === null) return undefined;
  return (result.value as { readonly [k: string]: unknown })[field];
}

function resultCount(result: Result): bigint | undefined {
  const c = resultField(result, 'count');
  return typeof c === 'bigint' ? c : undefined;
}

/** The region index a result says the access was handed to vfio-pci-core with, if it says so. */
function passedToCore(result: Result): number | undefined {
  const i = resultField(result, 'vfioPciCore');
  return typeof i === 'number' ? i : undefined;
}

function readData(result: Result): number[] | undefined {
  const d = resultField(result, 'data');
  if (typeof d !== 'string') return undefined;
  const out: number[] = [];
  for (let i = 0; i + 1 < d.length; i += 2) out.push(parseInt(d.slice(i, i + 2), 16));
  return out;
}

function describeResult(result: Result): string {
  if (!result.ok) return result.error;
  const core = passedToCore(result);
  return core !== undefined ? `passed to vfio-pci-core (index ${core})` : 'OK';
}

/** The emulated register a config access meets, the driver's way: the resmem register first. */
function registerHit(before: S, pos: number, count: number) {
  const r = overlap(pos, count, PCI_BASE_ADDRESS_2, BAR_REGISTER_BYTES);
  if (r !== undefined) return before.resmem === null ? undefined : { region: 'resmem' as DeviceRegion, base: PCI_BASE_ADDRESS_2, ...r };
  const u = overlap(pos, count, PCI_BASE_ADDRESS_4, BAR_REGISTER_BYTES);
  if (u !== undefined && before.usemem !== null) return { region: 'usemem' as DeviceRegion, base: PCI_BASE_ADDRESS_4, ...u };
  return undefined;
}

/**
 * A config-space access, whichever way it came: cfgRead / cfgWrite, or a region read / write whose file position
 * is in the config region (index 7). `bytes` are the bytes a read returned (when the result carries them),
 * `byteAt` the bytes a write carries, `written` what a write reported.
 */
interface ConfigAccess {
  readonly kind: 'read' | 'write';
  readonly pos: number;
  readonly count: number;
  readonly bytes?: readonly number[];
  readonly byteAt: (i: number) => number;
  readonly written?: bigint;
}

function configAccess(step: Step<S>): ConfigAccess | undefined {
  const { result } = step;
  const op = typedOp(nvgraceSignatures, step.op);
  if (op?.op === 'cfgRead' || op?.op === 'cfgWrite') {
    const { offset: pos, count } = op.args;
    if (op.op === 'cfgRead') {
      const read = result.ok ? result.value : undefined;
      const bytes = typeof read === 'bigint' ? Array.from({ length: count }, (_, i) => byteOfValue(read, i)) : undefined;
      return { kind: 'read', pos, count, ...(bytes ? { bytes } : {}), byteAt: () => 0 };
    }
    const value = op.args.value;
    const written = result.ok && typeof result.value === 'number' ? BigInt(result.value) : undefined;
    return { kind: 'write', pos, count, byteAt: (i) => byteOfValue(value, i), ...(written !== undefined ? { written } : {}) };
  }
  const p = accessPosition(step);
  if (p === undefined || p.overflows || p.index !== CONFIG_INDEX || p.offset + p.vfsCount > BigInt(Number.MAX_SAFE_INTEGER)) return undefined;
  const seed = p.seed;
  const data = readData(result);
  const written = p.op === 'write' ? resultCount(result) : undefined;
  return {
    kind: p.op,
    pos: Number(p.offset),
    count: Number(p.vfsCount),
    ...(data ? { bytes: data } : {}),
    byteAt: (i) => (seed + i) % 256,
    ...(written !== undefined ? { written } : {}),
  };
}

/** A config read that lies wholly inside one emulated register, with the register's image before it. */
function containedRegisterRead(step: Step<S>) {
  const c = configAccess(step);
  if (c === undefined || c.kind !== 'read' || c.bytes === undefined || c.count === 0) return undefined;
  for (const [name, base] of [['resmem', PCI_BASE_ADDRESS_2], ['usemem', PCI_BASE_ADDRESS_4]] as const) {
    const region = step.before[name];
    if (region === null || c.pos < base || c.pos + c.count > base + BAR_REGISTER_BYTES) continue;
    const image = registerImage(region);
    const aligned = (c.count === 4 && (c.pos === base || c.pos === base + 4)) || (c.count === 8 && c.pos === base);
    const value = c.bytes.reduce((v, b, i) => v | (BigInt(b) << BigInt(8 * i)), 0n);
    return { name, base, pos: c.pos, count: c.count, image, aligned, value, region };
  }
  return undefined;
}

function expectedBytes(image: bigint, from: number, count: number): bigint {
  let v = 0n;
  for (let i = 0; i < count; i++) v |= BigInt(byteOfValue(image, from + i)) << BigInt(8 * i);
  return v;
}

/** The usemem BAR size the version's rule gives for a device of `memlength` bytes carved into `usemem`. */
function usememBarBasis(version: S['version'], memlength: bigint, usemem: bigint): bigint {
  // Since 6a9eb2d125ba: roundup_pow_of_two(memlength - 1 GiB), taken before the MEMBLK_SIZE round-down.
  return version === 'linux-6a9eb2d' ? memlength - RESMEM_SIZE : usemem;
}

function smallestPowerOfTwoAtLeast(x: bigint): bigint {
  let p = 1n;
  while (p < x) p *= 2n;
  return p;
}

export const nvgraceInvariants: readonly Invariant<S>[] = [
  {
    // 001, layout figure and "make the usable memory size memblock (MEMBLK_SIZE) aligned"; driver nvgrace_gpu_init_nvdev_struct.
    name: 'deviceMemoryIsCarvedExactly',
    source: `${SOURCE} § memory layout, MEMBLK_SIZE; ${DRIVER} nvgrace_gpu_init_nvdev_struct`,
    check: ({ op, result, before, after }) => {
      const probe = argsOf(nvgraceSignatures, op, 'probe');
      if (probe === undefined) return undefined;
      const { memphys, memlength } = probe;
      if (result.ok && after.mode === 'nvgrace') {
        const u = after.usemem;
        const r = after.resmem;
        if (u === null || r === null) return 'probe succeeded without both regions';
        if (u.memlength === 0n || u.memlength % MEMBLK_SIZE !== 0n) return `usemem length ${hex(u.memlength)} is not a nonzero multiple of MEMBLK_SIZE`;
        if (u.memlength + r.memlength !== memlength) return `usemem ${hex(u.memlength)} + resmem ${hex(r.memlength)} != device memory ${hex(memlength)}`;
        if (r.memlength < RESMEM_SIZE || r.memlength >= RESMEM_SIZE + MEMBLK_SIZE)
          return `resmem is ${hex(r.memlength)} bytes: not the 1 GiB carve-out plus less than one memblock`;
        if (u.memphys !== memphys || r.memphys !== memphys + u.memlength) return 'resmem does not start where usemem ends';
        return undefined;
      }
      // A size the driver accepts must be accepted: at least 1 GiB + one memblock, a page-aligned base, base + usemem within u64.
      // (The model refuses a BAR size roundup_pow_of_two cannot give: one sized from more than 2^63 bytes.)
      const usemem = memlength >= RESMEM_SIZE ? ((memlength - RESMEM_SIZE) / MEMBLK_SIZE) * MEMBLK_SIZE : 0n;
      const basis = usememBarBasis(before.version, memlength, usemem);
      const acceptable = usemem > 0n && memphys % PAGE_SIZE === 0n && memphys + usemem <= U64_MAX && basis <= 1n << 63n;
      if (acceptable && !result.ok) return `probe refused a device of ${hex(memlength)} bytes at ${hex(memphys)} with ${result.error}`;
      return undefined;
    },
  },
  {
    // 001, "PCI BARs need to be aligned to the power-of-2 ... the actual memory on the device may not"; driver roundup_pow_of_two.
    // The usemem BAR's basis is the version's rule: memlength - 1 GiB since 6a9eb2d125ba, the rounded-down usemem before.
    name: 'barSizeIsPowerOfTwoCoveringRegion',
    source: `${SOURCE} § "PCI BARs need to be aligned to the power-of-2"; ${DRIVER} bar_size = roundup_pow_of_two(...), usemem sized before round_down since 6a9eb2d125ba`,
    check: ({ after }) => {
      for (const r of [after.usemem, after.resmem]) {
        if (r === null) continue;
        if (!isPowerOfTwo(r.barSize)) return `${r.name} BAR size ${hex(r.barSize)} is not a power of two`;
        if (r.barSize < r.memlength) return `${r.name} BAR of ${hex(r.barSize)} bytes does not cover ${hex(r.memlength)} bytes of memory`;
      }
      const u = after.usemem;
      const r = after.resmem;
      if (u === null || r === null) return undefined;
      if (r.barSize !== smallestPowerOfTwoAtLeast(r.memlength)) return `resmem BAR of ${hex(r.barSize)} bytes is not the smallest power of two covering ${hex(r.memlength)}`;
      const basis = usememBarBasis(after.version, u.memlength + r.memlength, u.memlength);
      const want = smallestPowerOfTwoAtLeast(basis);
      if (u.barSize !== want)
        return `usemem BAR of ${hex(u.barSize)} bytes; ${after.version} sizes it roundup_pow_of_two(${hex(basis)}) = ${hex(want)}${after.version === 'linux-6a9eb2d' ? ' (device memory - 1 GiB, before the MEMBLK_SIZE round-down)' : ' (the rounded-down usemem)'}`;
      return undefined;
    },
  },
  {
    // 001, "A read ... from the last device PFN up to the next power-of-2 aligned physical address results in reading ~0".
    name: 'readPastDeviceMemoryIsAllOnes',
    source: `${SOURCE} § "results in reading ~0 and dropped writes"; ${DRIVER} nvgrace_gpu_read_mem`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined || step.op.op !== 'read') return undefined;
      const data = readData(step.result);
      if (data === undefined) return undefined;
      for (const [i, byte] of data.entries()) {
        const at = f.offset + BigInt(i);
        if (at >= f.region.memlength && byte !== 0xff)
          return `${f.region.name} read at ${hex(f.offset)} returned 0x${byte.toString(16)} at ${hex(at)}, past the end of device memory (${hex(f.region.memlength)}), not 0xff`;
      }
      return undefined;
    },
  },
  {
    // 001, "results in reading ~0 and dropped writes"; driver nvgrace_gpu_write_mem ("Drop access outside the available device memory").
    name: 'writePastDeviceMemoryIsDropped',
    source: `${SOURCE} § "results in reading ~0 and dropped writes"; ${DRIVER} nvgrace_gpu_write_mem`,
    check: ({ after }) => {
      for (const r of [after.usemem, after.resmem]) {
        if (r === null) continue;
        const past = r.writes.find((w) => w.end > r.memlength);
        if (past !== undefined)
          return `a write reached ${r.name} bytes [${hex(past.start)}, ${hex(past.end)}), past the end of device memory at ${hex(r.memlength)}`;
      }
      return undefined;
    },
  },
  {
    // 001, v6 -> v7 "Added code to return EINVAL for offset beyond region size"; driver "offset >= bar_size ... -EINVAL".
    name: 'accessBeyondBarIsRejected',
    source: `${SOURCE} § v6 -> v7 (EINVAL for offset beyond region size); ${DRIVER} nvgrace_gpu_read_mem / write_mem`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined || !f.beyondBar) return undefined;
      if (!isError(step.result, '-EINVAL')) return `${step.op.op} at ${hex(f.offset)}, at or past the ${hex(f.region.barSize)}-byte BAR, was not refused with -EINVAL`;
      const changed = difference(step.before, step.after);
      return changed === undefined ? undefined : `a refused ${step.op.op} past the BAR changed the device: ${changed}`;
    },
  },
  {
    // Driver comment: "reads/writes extending beyond the reported size are truncated"; the VFS clamps to MAX_RW_COUNT.
    name: 'accessIsTruncatedAtBarEnd',
    source: `${SOURCE} § fake BARs sized to the power of two; ${DRIVER} "Clip short the read request beyond reported BAR size"`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined || !step.result.ok) return undefined;
      const got = resultCount(step.result);
      if (got !== f.clipped) return `${step.op.op} of ${hex(f.count)} bytes at ${hex(f.offset)} reported ${got === undefined ? 'no count' : hex(got)} bytes, expected ${hex(f.clipped)} (clipped at the BAR end ${hex(f.region.barSize)})`;
      const data = readData(step.result);
      if (data !== undefined && BigInt(data.length) !== f.clipped) return `read returned ${data.length} bytes of data for a count of ${hex(f.clipped)}`;
      return undefined;
    },
  },
  {
    // 001, v6 -> v7 "Handled out-of-bound and overflow conditions at various places to validate input offset and length".
    name: 'offsetOverflowIsRejected',
    source: `${SOURCE} § v6 -> v7 (overflow conditions); ${DRIVER} nvgrace_gpu_mmap check_add_overflow; VFS rw_verify_area`,
    check: (step) => {
      const { op, result, before, after } = step;
      const p = accessPosition(step);
      if (p !== undefined) {
        if (!p.overflows) return undefined;
        if (!isError(result, '-EINVAL')) return `${op.op} of ${hex(p.count)} bytes at file position ${hex(p.pos)} overflows loff_t but was not refused with -EINVAL`;
        const changed = difference(before, after);
        return changed === undefined ? undefined : `an overflowing ${op.op} changed the device: ${changed}`;
      }
      const mmap = argsOf(nvgraceSignatures, op, 'mmap');
      if (mmap === undefined) return undefined;
      const { length } = mmap;
      const reqLen = alignUp(length, PAGE_SIZE);
      if (length === 0n || reqLen === 0n) return undefined;
      const vmPgoff = BigInt(BAR_INDEX[mmap.bar]) * (1n << PGOFF_BITS) + mmap.pgoff;
      // do_mmap: the file page offset + the pages must not wrap; nvgrace_gpu_mmap: PFN_PHYS(pgoff) + req_len must not.
      const wraps = vmPgoff + reqLen / PAGE_SIZE > U64_MAX;
      const region = memRegionAt(before, Number(vmPgoff / (1n << PGOFF_BITS)));
      const endWraps = region !== undefined && (vmPgoff % (1n << PGOFF_BITS)) * PAGE_SIZE + reqLen > U64_MAX;
      if (!wraps && !endWraps) return undefined;
      if (!isError(result, '-EOVERFLOW')) return `mmap of ${hex(reqLen)} bytes at file page ${hex(vmPgoff)} overflows ${wraps ? 'the page offset' : 'the end offset'} but returned ${describeResult(result)}`;
      return after.mappings.length === before.mappings.length ? undefined : 'an overflowing mmap left a mapping behind';
    },
  },
  {
    // 001, v17 -> v18 "return early in nvgrace_gpu_map_and_read[write] when mem_count is 0".
    name: 'zeroLengthAccessHasNoEffect',
    source: `${SOURCE} § v17 -> v18 (return early when mem_count is 0); ${DRIVER} nvgrace_gpu_map_and_read / map_and_write`,
    check: (step) => {
      const f = accessPosition(step);
      if (f === undefined || f.count !== 0n) return undefined;
      const changed = difference(step.before, step.after);
      if (changed !== undefined) return `a zero-length ${step.op.op} at file position ${hex(f.pos)} changed the device: ${changed}`;
      const got = resultCount(step.result);
      return step.result.ok && got !== 0n ? `a zero-length ${step.op.op} reported ${got === undefined ? 'no count' : hex(got)} bytes` : undefined;
    },
  },
  {
    // 001, "the device memory is cache coherent ... used like a regular RAM"; driver copy_to_user / copy_from_user on the mapping.
    name: 'deviceMemoryRoundTrips',
    source: `${SOURCE} § "used like a regular RAM"; ${DRIVER} nvgrace_gpu_map_and_read / map_and_write`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined) return undefined;
      const { op, result, after } = step;
      if (op.op === 'read') {
        const data = readData(result);
        if (data === undefined) return undefined;
        for (const [i, byte] of data.entries()) {
          const at = f.offset + BigInt(i);
          if (at >= f.region.memlength) break;
          const want = deviceByte(f.region.name, f.region.writes, at);
          if (byte !== want) return `${f.region.name} read at ${hex(f.offset)} returned 0x${byte.toString(16)} at ${hex(at)}; device memory holds 0x${want.toString(16)}`;
        }
        return undefined;
      }
      const now = regionAfter(after, f.region);
      if (now === null) return 'the region vanished';
      const expected: Extent[] = [...f.region.writes];
      if (result.ok && f.memCount > 0n) expected.push({ start: f.offset, end: f.offset + f.memCount, seed: f.seed });
      const at = firstDifference(now.name, now.writes, expected, now.memlength);
      if (at === undefined) return undefined;
      return `after ${result.ok ? '' : 'a failed '}write of ${hex(f.count)} bytes at ${hex(f.offset)}, ${now.name} byte ${hex(at)} holds 0x${deviceByte(now.name, now.writes, at).toString(16)}, not 0x${deviceByte(now.name, expected, at).toString(16)}`;
    },
  },
  {
    // 001, v17 -> v18 (return early when mem_count is 0: no memremap/ioremap for an access that touches no device memory).
    name: 'deviceMemoryIsMappedOnlyWhenTouched',
    source: `${SOURCE} § v17 -> v18; ${DRIVER} nvgrace_gpu_map_and_read / map_and_write before nvgrace_gpu_map_device_mem`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined) return undefined;
      const now = regionAfter(step.after, f.region);
      if (now === null) return undefined;
      const touched = step.result.ok && f.memCount > 0n;
      if (!touched && now.kernelMapped !== f.region.kernelMapped)
        return `${step.op.op} at ${hex(f.offset)} touched no device memory yet ${f.region.kernelMapped ? 'unmapped' : 'mapped'} ${f.region.name} in the kernel`;
      if (touched && !now.kernelMapped) return `${step.op.op} reached ${f.region.name} device memory without mapping it`;
      return undefined;
    },
  },
  {
    // 001, "The variant driver provides emulation for these fake BARs' PCI config space offset registers"; driver nvgrace_gpu_get_read_value.
    name: 'barSizingReadBackMatchesSize',
    source: `${SOURCE} § fake BARs' config space registers, v15 -> v16 ("mask with BAR size and add flag"); ${DRIVER} nvgrace_gpu_get_read_value`,
    check: (step) => {
      const r = containedRegisterRead(step);
      if (r === undefined || !r.aligned) return undefined;
      const want = expectedBytes(r.image, r.pos - r.base, r.count);
      if (r.value === want) return undefined;
      const sizing = r.region.barVal === U64_MAX ? ` (after sizing with all ones; BAR size ${hex(r.region.barSize)}, flags 0x${BAR_FLAGS.toString(16)})` : '';
      return `${r.count}-byte read of the ${r.name} BAR register at 0x${r.pos.toString(16)} returned ${hex(r.value)}, expected ${hex(want)}${sizing}`;
    },
  },
  {
    // 001, v13 -> v14 "Added the missing implementation of sub-word access to fake BARs' PCI config access".
    name: 'subWordConfigAccessesAgree',
    source: `${SOURCE} § v13 -> v14 (sub-word access); ${DRIVER} nvgrace_gpu_read_config_emu (register_offset, copy_count)`,
    check: (step) => {
      const r = containedRegisterRead(step);
      if (r === undefined || r.aligned) return undefined;
      const want = expectedBytes(r.image, r.pos - r.base, r.count);
      return r.value === want
        ? undefined
        : `${r.count}-byte read at 0x${r.pos.toString(16)} inside the ${r.name} BAR register returned ${hex(r.value)}; the register's bytes there are ${hex(want)}`;
    },
  },
  {
    // 001, v13 -> v14 "Handled endian-ness in the PCI config space access"; driver bar_val is __le64.
    name: 'barAddressComposesLittleEndian',
    source: `${SOURCE} § v13 -> v14 (endian-ness); ${DRIVER} __le64 bar_val, nvgrace_gpu_write_config_emu`,
    check: (step) => {
      const { before, after, result } = step;
      const c = configAccess(step);
      if (c === undefined || c.kind !== 'write') return undefined;
      const { pos, count } = c;
      const hit = registerHit(before, pos, count);
      if (hit === undefined) return undefined;
      const was = before[hit.region] as MemRegion;
      const now = after[hit.region] as MemRegion;
      let want = was.barVal;
      for (let i = 0; i < hit.copyCount; i++) {
        const shift = BigInt(8 * (hit.registerOffset + i));
        want = (want & ~(0xffn << shift)) | (BigInt(c.byteAt(hit.copyOffset + i)) << shift);
      }
      if (now.barVal !== want)
        return `${count}-byte write at 0x${pos.toString(16)} left the ${hit.region} register at ${hex(now.barVal)}; little-endian composition gives ${hex(want)} (lower dword at 0x${hit.base.toString(16)}, upper at 0x${(hit.base + 4).toString(16)})`;
      const other = hit.region === 'resmem' ? 'usemem' : 'resmem';
      if (before[other]?.barVal !== after[other]?.barVal) return `a write to the ${hit.region} register changed the ${other} register`;
      if (c.written !== BigInt(hit.copyCount)) return `write to the ${hit.region} register returned ${c.written === undefined ? describeResult(result) : String(c.written)}, not ${hit.copyCount}`;
      return undefined;
    },
  },
  {
    // Driver nvgrace_gpu_write_config_emu: anything that meets no emulated register goes to vfio_pci_core_write.
    name: 'configWritesOutsideBarsGoThrough',
    source: `${SOURCE} § "provides emulation for these fake BARs' PCI config space offset registers"; ${DRIVER} nvgrace_gpu_write_config_emu`,
    check: (step) => {
      const { before, after, result } = step;
      const c = configAccess(step);
      if (c === undefined || c.kind !== 'write') return undefined;
      const { pos, count } = c;
      const hit = registerHit(before, pos, count);
      if (hit !== undefined) {
        const changed = [...after.config].some(([k, v]) => before.config.get(k) !== v) || after.config.size !== before.config.size;
        return changed ? `a write to the emulated ${hit.region} register also reached config space` : undefined;
      }
      if (pos + count > PCI_CFG_SPACE_EXP_SIZE) return undefined;
      if (c.written !== BigInt(count)) return `config write of ${count} bytes at 0x${pos.toString(16)} returned ${c.written === undefined ? describeResult(result) : String(c.written)}`;
      for (let i = 0; i < count; i++)
        if ((after.config.get(pos + i) ?? 0) !== c.byteAt(i)) return `config write at 0x${pos.toString(16)} did not reach config byte 0x${(pos + i).toString(16)}`;
      if (before.usemem?.barVal !== after.usemem?.barVal || before.resmem?.barVal !== after.resmem?.barVal)
        return `config write at 0x${pos.toString(16)}, outside the emulated registers, changed a BAR register`;
      return undefined;
    },
  },
  {
    // Driver nvgrace_gpu_ioctl VFIO_DEVICE_RESET -> nvgrace_gpu_init_fake_bar_emu_regs.
    name: 'resetClearsBarRegisters',
    source: `${SOURCE} § emulated fake BAR registers; ${DRIVER} nvgrace_gpu_init_fake_bar_emu_regs on VFIO_DEVICE_RESET`,
    check: ({ op, after }) => {
      if (op.op !== 'reset') return undefined;
      for (const r of [after.usemem, after.resmem]) if (r !== null && r.barVal !== 0n) return `${r.name} BAR register is ${hex(r.barVal)} after reset`;
      return undefined;
    },
  },
  {
    // 001, v3 -> v4 "Mapping the available device memory using sparse mmap. The region outside the device memory is handled by read/write ops".
    name: 'mmapNeverExposesBeyondDeviceMemory',
    source: `${SOURCE} § v3 -> v4 (sparse mmap of the available device memory); ${DRIVER} nvgrace_gpu_mmap (end > memlength)`,
    check: ({ after }) => {
      for (const m of after.mappings) {
        const r = after[m.region];
        if (r === null) return `a mapping of ${m.region} exists without the region`;
        if (m.offset + m.length > r.memlength)
          return `${m.region} mapping [${hex(m.offset)}, ${hex(m.offset + m.length)}) reaches past the end of device memory at ${hex(r.memlength)}`;
        if (m.phys !== r.memphys + m.offset) return `${m.region} mapping at offset ${hex(m.offset)} maps physical ${hex(m.phys)}, not ${hex(r.memphys + m.offset)}`;
      }
      return undefined;
    },
  },
  {
    // 001, "resmem is mapped pgprot_writecombine(), that sets the Qemu VMA page properties (pgprot) as NORMAL_NC".
    name: 'resmemIsNeverMappedCacheable',
    source: `${SOURCE} § "mapped as a separate region in Qemu VMA with pgprot_writecombine()"; ${DRIVER} nvgrace_gpu_mmap (VM_ALLOW_ANY_UNCACHED)`,
    check: ({ after }) => {
      const bad = after.mappings.find((m) => m.region === 'resmem' && (m.pgprot !== 'normal-nc' || !m.allowAnyUncached));
      return bad === undefined ? undefined : `resmem mapped with ${bad.pgprot}${bad.allowAnyUncached ? '' : ' without VM_ALLOW_ANY_UNCACHED'}, not write-combining Normal-NC`;
    },
  },
  {
    // 001, "maps the uncached carved out region to the next available PCI BAR (i.e. comprising of region 2 and 3) ...
    // region 4 and 5"; the driver picks the region from the file position (VFIO_PCI_OFFSET_TO_INDEX), not from the
    // BAR the caller meant: an offset past a region's 40 offset bits is the next region, not an error.
    name: 'accessGoesToRegionOfFilePosition',
    source: `${SOURCE} § "comprising of region 2 and 3", "region 4 and 5"; ${DRIVER} nvgrace_gpu_read / nvgrace_gpu_write (VFIO_PCI_OFFSET_TO_INDEX), vfio_pci_core_read / write`,
    check: (step) => {
      const p = accessPosition(step);
      if (p === undefined || p.overflows) return undefined;
      const { result, before, after, faults } = step;
      const where = `${p.op} at file position ${hex(p.pos)} (region index ${p.index}, offset ${hex(p.offset)})`;
      const core = passedToCore(result);
      const region = memRegionAt(before, p.index);
      if (region !== undefined) {
        if (core !== undefined) return `${where} is ${region.name}'s, yet it was passed to vfio-pci-core`;
        if (p.offset >= region.barSize || result.ok) return undefined;
        // The only other refusal: memremap / ioremap_wc failed on the first access that touches device memory.
        const mapFailed = result.error === '-ENOMEM' && faults.length > 0 && !region.kernelMapped && p.offset < region.memlength && p.vfsCount > 0n;
        return mapFailed ? undefined : `${where}, inside the ${hex(region.barSize)}-byte ${region.name} BAR, was refused with ${result.error}`;
      }
      if (p.index === CONFIG_INDEX) {
        if (core !== undefined) return `${where} is in config space (region ${CONFIG_INDEX}), which the driver emulates, yet it was passed to vfio-pci-core`;
        const inside = p.vfsCount === 0n || p.offset + p.vfsCount <= BigInt(PCI_CFG_SPACE_EXP_SIZE);
        return inside && !result.ok ? `${where}, inside config space, was refused with ${result.error}` : undefined;
      }
      // Any other region is vfio-pci-core's: 0 bytes for a zero count, -EINVAL past the last region, else its business.
      const want = p.vfsCount === 0n ? 'count 0' : p.index >= NUM_REGIONS ? '-EINVAL' : `passed to vfio-pci-core (index ${p.index})`;
      const got = p.vfsCount === 0n && resultCount(result) === 0n ? 'count 0' : describeResult(result);
      if (got !== want) return `${where} is not a region of the variant driver: expected ${want}, got ${got}`;
      const changed = difference(before, after);
      return changed === undefined ? undefined : `${where}, handed to vfio-pci-core, changed the nvgrace device: ${changed}`;
    },
  },
  {
    // 001, "used like a regular RAM": reading it is copy_to_user / vfio_pci_core_do_io_rw with iswrite false, and the
    // config read is vfio_pci_core_read with the register's bytes copied out; none of them stores anything.
    name: 'readsChangeNothing',
    source: `${SOURCE} § "used like a regular RAM"; ${DRIVER} nvgrace_gpu_map_and_read (do_io_rw iswrite=false), nvgrace_gpu_read_config_emu`,
    check: ({ op, before, after }) => {
      if (op.op !== 'read' && op.op !== 'cfgRead') return undefined;
      // Mapping device memory into the kernel on first use is the one thing a read may do (deviceMemoryIsMappedOnlyWhenTouched).
      const changed = difference(before, after, true);
      return changed === undefined ? undefined : `${op.op} changed the device: ${changed}`;
    },
  },
  {
    // Driver nvgrace_gpu_read_config_emu: vfio_pci_core_read serves the access first; only the bytes of the one
    // register it meets are replaced. vfio_config_do_rw refuses an access past cfg_size with -EFAULT.
    name: 'configReadsReturnConfigSpace',
    source: `${SOURCE} § "provides emulation for these fake BARs' PCI config space offset registers"; ${DRIVER} nvgrace_gpu_read_config_emu (vfio_pci_core_read first)`,
    check: (step) => {
      const c = configAccess(step);
      if (c === undefined || c.kind !== 'read' || c.count === 0) return undefined;
      const at = (x: number) => `0x${x.toString(16)}`;
      const inside = c.pos + c.count <= PCI_CFG_SPACE_EXP_SIZE;
      if (!inside) return step.result.ok ? `config read of ${c.count} bytes at ${at(c.pos)}, past cfg_size, returned OK` : undefined;
      if (!step.result.ok) return `config read of ${c.count} bytes at ${at(c.pos)}, inside config space, was refused with ${step.result.error}`;
      if (c.bytes === undefined) return undefined;
      const hit = registerHit(step.before, c.pos, c.count);
      for (let i = 0; i < c.count; i++) {
        if (hit !== undefined && i >= hit.copyOffset && i < hit.copyOffset + hit.copyCount) continue;
        const want = step.before.config.get(c.pos + i) ?? 0;
        if (c.bytes[i] !== want) return `config read at ${at(c.pos)} returned ${at(c.bytes[i] ?? -1)} at ${at(c.pos + i)}, outside the emulated register; config space holds ${at(want)}`;
      }
      return undefined;
    },
  },
  {
    // 001, v3 -> v4 sparse mmap of the device memory; driver nvgrace_gpu_mmap: the region from vm_pgoff's index, the
    // offset from its low 28 bits, remap_pfn_range of req_len bytes from PHYS_PFN(memphys) + pgoff when the mapping
    // ends within device memory. Another index is vfio_pci_core_mmap's (-EINVAL from the ROM on).
    name: 'mmapMapsWhatWasAsked',
    source: `${SOURCE} § v3 -> v4 (sparse mmap of the available device memory); ${DRIVER} nvgrace_gpu_mmap (remap_pfn_range, end > memlength), vfio_pci_core_mmap`,
    check: ({ op, before, after, result }) => {
      const mmap = argsOf(nvgraceSignatures, op, 'mmap');
      if (mmap === undefined) return undefined;
      const { length } = mmap;
      const reqLen = alignUp(length, PAGE_SIZE);
      const vmPgoff = BigInt(BAR_INDEX[mmap.bar]) * (1n << PGOFF_BITS) + mmap.pgoff;
      // A zero, wrapping or overflowing request is the mm layer's and offsetOverflowIsRejected's.
      if (length === 0n || reqLen === 0n || vmPgoff + reqLen / PAGE_SIZE > U64_MAX) return undefined;
      if (after.mappings.length < before.mappings.length) return 'mmap removed a mapping';
      const added = after.mappings.slice(before.mappings.length);
      const index = Number(vmPgoff / (1n << PGOFF_BITS));
      const region = memRegionAt(before, index);
      const what = `mmap of ${hex(reqLen)} bytes at file page ${hex(vmPgoff)} (region index ${index})`;
      if (region === undefined) {
        const want = index >= ROM_INDEX ? '-EINVAL' : `passed to vfio-pci-core (index ${index})`;
        if (describeResult(result) !== want) return `${what} is not a region of the variant driver: expected ${want}, got ${describeResult(result)}`;
        return added.length === 0 ? undefined : `${what}, handed to vfio-pci-core, added an nvgrace mapping`;
      }
      const offset = (vmPgoff % (1n << PGOFF_BITS)) * PAGE_SIZE;
      if (offset + reqLen > U64_MAX) return undefined;
      if (offset + reqLen > region.memlength) return result.ok ? `${what} ends past ${region.name}'s device memory (${hex(region.memlength)}) yet succeeded` : undefined;
      if (!result.ok) return `${what} lies inside ${region.name}'s device memory but was refused with ${result.error}`;
      const m = added[0];
      if (added.length !== 1 || m === undefined) return `a successful ${what} added ${added.length} mappings`;
      if (m.region !== region.name || m.offset !== offset || m.length !== reqLen || m.phys !== region.memphys + offset)
        return `${what} mapped ${m.region}[${hex(m.offset)}, +${hex(m.length)}) at physical ${hex(m.phys)}; asked for ${region.name}[${hex(offset)}, +${hex(reqLen)}) at ${hex(region.memphys + offset)}`;
      return undefined;
    },
  },
];

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
