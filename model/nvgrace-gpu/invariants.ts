// Invariants of the nvgrace-gpu variant driver, each named for what it protects. Every check restates the rule
// from the source on its own (from `before`, the operation and its result) rather than asking the model, so a
// seeded bug in any one step of the model is measured against the rule, not against itself.

import type { Result } from '../common/result.js';
import type { Invariant, Step } from '../common/spec.js';
import { alignUp, hex, isPowerOfTwo, U64_MAX } from '../common/u64.js';
import type { DeviceRegion } from './host-mapping.js';
import { byteOf, rangeIntersect } from './operations.js';
import {
  BAR_FLAGS,
  BAR_REGISTER_BYTES,
  barRegisterImage,
  LOFF_MAX,
  MAX_RW_COUNT,
  MEMBLK_SIZE,
  PAGE_SHIFT,
  PAGE_SIZE,
  PCI_BASE_ADDRESS_2,
  PCI_BASE_ADDRESS_4,
  PCI_CFG_SPACE_EXP_SIZE,
  regionIndex,
  regionOf,
  RESMEM_SIZE,
  storedByte,
  storesAgree,
  VFIO_PCI_OFFSET_MASK,
  VFIO_PCI_OFFSET_SHIFT,
  VFIO_PCI_PGOFF_MASK,
  type BarName,
  type Extent,
  type MemRegion,
  type NvgraceState,
} from './state.js';

const SEED = '001_d5d5d944b120b211.txt';
const DRIVER = 'merged drivers/vfio/pci/nvgrace-gpu/main.c';

type S = NvgraceState;

/** What a read or write asked for, and what the rules say it amounts to, computed from the state before it. */
interface AccessFacts {
  readonly bar: BarName;
  readonly region: MemRegion;
  readonly offset: bigint;
  readonly count: bigint;
  /** The file position plus the count does not fit in loff_t (or the count in ssize_t). */
  readonly overflows: boolean;
  readonly beyondBar: boolean;
  /** Bytes the access covers once the VFS clamp and the BAR end have clipped it. */
  readonly clipped: bigint;
  /** Of those, the bytes that are device memory. */
  readonly memCount: bigint;
}

function accessFacts(step: Step<S>): AccessFacts | undefined {
  const { op, before } = step;
  if (op.op !== 'read' && op.op !== 'write') return undefined;
  const bar = op.args['bar'] as BarName;
  const region = regionOf(before, bar);
  if (region === null) return undefined;
  const offset = op.args['offset'] as bigint;
  const count = op.args['count'] as bigint;
  const pos = (BigInt(regionIndex(bar)) << VFIO_PCI_OFFSET_SHIFT) + offset;
  const overflows = offset <= VFIO_PCI_OFFSET_MASK && (count > LOFF_MAX || pos + count > LOFF_MAX);
  const beyondBar = offset >= region.barSize;
  const vfsCount = count > MAX_RW_COUNT ? MAX_RW_COUNT : count;
  const clipped = beyondBar ? 0n : min(vfsCount, region.barSize - offset);
  const memCount = offset >= region.memlength ? 0n : min(clipped, region.memlength - offset);
  return { bar, region, offset, count, overflows, beyondBar, clipped, memCount };
}

/** The first difference between two states, for "has no effect" checks; undefined when they are the same. */
function difference(a: S, b: S): string | undefined {
  for (const name of ['usemem', 'resmem'] as const) {
    const x = a[name];
    const y = b[name];
    if (x === null || y === null) {
      if (x !== y) return `${name} appeared or vanished`;
      continue;
    }
    if (x.barVal !== y.barVal) return `${name} bar_val ${hex(x.barVal)} -> ${hex(y.barVal)}`;
    if (x.kernelMapped !== y.kernelMapped) return `${name} kernel mapping ${x.kernelMapped} -> ${y.kernelMapped}`;
    const at = storesAgree(name, x.writes, y.writes, U64_MAX);
    if (at !== undefined) return `${name} device byte at ${hex(at)} changed`;
  }
  if (a.config.size !== b.config.size || [...a.config].some(([k, v]) => b.config.get(k) !== v)) return 'config space changed';
  if (a.mappings.length !== b.mappings.length) return 'a user mapping was added or removed';
  return undefined;
}

function isError(result: Result, error: string): boolean {
  return !result.ok && result.error === error;
}

function resultCount(result: Result): bigint | undefined {
  if (!result.ok || result.value === undefined || typeof result.value !== 'object' || result.value === null) return undefined;
  const c = (result.value as { readonly count?: unknown }).count;
  return typeof c === 'bigint' ? c : undefined;
}

function readData(result: Result): number[] | undefined {
  if (!result.ok || result.value === undefined || typeof result.value !== 'object' || result.value === null) return undefined;
  const d = (result.value as { readonly data?: unknown }).data;
  if (typeof d !== 'string') return undefined;
  const out: number[] = [];
  for (let i = 0; i + 1 < d.length; i += 2) out.push(parseInt(d.slice(i, i + 2), 16));
  return out;
}

/** The emulated register a config access meets, the driver's way: the resmem register first. */
function registerHit(before: S, pos: number, count: number) {
  const r = rangeIntersect(pos, count, PCI_BASE_ADDRESS_2, BAR_REGISTER_BYTES);
  if (r !== undefined && before.resmem !== null) return { region: 'resmem' as DeviceRegion, base: PCI_BASE_ADDRESS_2, ...r };
  const u = rangeIntersect(pos, count, PCI_BASE_ADDRESS_4, BAR_REGISTER_BYTES);
  if (u !== undefined && before.usemem !== null) return { region: 'usemem' as DeviceRegion, base: PCI_BASE_ADDRESS_4, ...u };
  return undefined;
}

/** A config read that lies wholly inside one emulated register, with the register's image before it. */
function containedRegisterRead(step: Step<S>) {
  const { op, before, result } = step;
  if (op.op !== 'cfgRead' || !result.ok) return undefined;
  const pos = op.args['offset'] as number;
  const count = op.args['count'] as number;
  for (const [name, base] of [['resmem', PCI_BASE_ADDRESS_2], ['usemem', PCI_BASE_ADDRESS_4]] as const) {
    const region = before[name];
    if (region === null || pos < base || pos + count > base + BAR_REGISTER_BYTES) continue;
    const image = barRegisterImage(region.barVal, region.barSize);
    const aligned = (count === 4 && (pos === base || pos === base + 4)) || (count === 8 && pos === base);
    return { name, base, pos, count, image, aligned, value: result.value as bigint, region };
  }
  return undefined;
}

function expectedBytes(image: bigint, from: number, count: number): bigint {
  let v = 0n;
  for (let i = 0; i < count; i++) v |= BigInt(byteOf(image, from + i)) << BigInt(8 * i);
  return v;
}

export const nvgraceInvariants: readonly Invariant<S>[] = [
  {
    // 001, layout figure and "make the usable memory size memblock (MEMBLK_SIZE) aligned"; driver nvgrace_gpu_init_nvdev_struct.
    name: 'deviceMemoryIsCarvedExactly',
    source: `${SEED} § memory layout, MEMBLK_SIZE; ${DRIVER} nvgrace_gpu_init_nvdev_struct`,
    check: ({ op, result, after }) => {
      if (op.op !== 'probe') return undefined;
      const memphys = op.args['memphys'] as bigint;
      const memlength = op.args['memlength'] as bigint;
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
      const usemem = memlength >= RESMEM_SIZE ? ((memlength - RESMEM_SIZE) / MEMBLK_SIZE) * MEMBLK_SIZE : 0n;
      const acceptable = usemem > 0n && memphys % PAGE_SIZE === 0n && memphys + usemem <= U64_MAX && usemem <= 1n << 63n;
      if (acceptable && !result.ok) return `probe refused a device of ${hex(memlength)} bytes at ${hex(memphys)} with ${result.error}`;
      return undefined;
    },
  },
  {
    // 001, "PCI BARs need to be aligned to the power-of-2 ... the actual memory on the device may not"; driver roundup_pow_of_two.
    name: 'barSizeIsPowerOfTwoCoveringRegion',
    source: `${SEED} § "PCI BARs need to be aligned to the power-of-2"; ${DRIVER} bar_size = roundup_pow_of_two(memlength)`,
    check: ({ after }) => {
      for (const r of [after.usemem, after.resmem]) {
        if (r === null) continue;
        if (!isPowerOfTwo(r.barSize)) return `${r.name} BAR size ${hex(r.barSize)} is not a power of two`;
        if (r.barSize < r.memlength) return `${r.name} BAR of ${hex(r.barSize)} bytes does not cover ${hex(r.memlength)} bytes of memory`;
        if (r.barSize / 2n >= r.memlength) return `${r.name} BAR of ${hex(r.barSize)} bytes is not the smallest power of two covering ${hex(r.memlength)}`;
      }
      return undefined;
    },
  },
  {
    // 001, "A read ... from the last device PFN up to the next power-of-2 aligned physical address results in reading ~0".
    name: 'readPastDeviceMemoryIsAllOnes',
    source: `${SEED} § "results in reading ~0 and dropped writes"; ${DRIVER} nvgrace_gpu_read_mem`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined || step.op.op !== 'read') return undefined;
      const data = readData(step.result);
      if (data === undefined) return undefined;
      for (let i = 0; i < data.length; i++) {
        const at = f.offset + BigInt(i);
        if (at >= f.region.memlength && data[i] !== 0xff)
          return `${f.region.name} read at ${hex(f.offset)} returned 0x${(data[i] as number).toString(16)} at ${hex(at)}, past the end of device memory (${hex(f.region.memlength)}), not 0xff`;
      }
      return undefined;
    },
  },
  {
    // 001, "results in reading ~0 and dropped writes"; driver nvgrace_gpu_write_mem ("Drop access outside the available device memory").
    name: 'writePastDeviceMemoryIsDropped',
    source: `${SEED} § "results in reading ~0 and dropped writes"; ${DRIVER} nvgrace_gpu_write_mem`,
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
    source: `${SEED} § v6 -> v7 (EINVAL for offset beyond region size); ${DRIVER} nvgrace_gpu_read_mem / write_mem`,
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
    source: `${SEED} § fake BARs sized to the power of two; ${DRIVER} "Clip short the read request beyond reported BAR size"`,
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
    source: `${SEED} § v6 -> v7 (overflow conditions); ${DRIVER} nvgrace_gpu_mmap check_add_overflow; VFS rw_verify_area`,
    check: (step) => {
      const { op, result, before, after } = step;
      const f = accessFacts(step);
      if (f !== undefined) {
        if (!f.overflows) return undefined;
        if (!isError(result, '-EINVAL')) return `${op.op} of ${hex(f.count)} bytes at ${hex(f.offset)} overflows the file position but was not refused with -EINVAL`;
        const changed = difference(before, after);
        return changed === undefined ? undefined : `an overflowing ${op.op} changed the device: ${changed}`;
      }
      if (op.op !== 'mmap') return undefined;
      const pgoff = op.args['pgoff'] as bigint;
      const length = op.args['length'] as bigint;
      const reqLen = alignUp(length, PAGE_SIZE);
      if (length === 0n || reqLen === 0n || pgoff > VFIO_PCI_PGOFF_MASK) return undefined;
      if ((pgoff << PAGE_SHIFT) + reqLen <= U64_MAX) return undefined;
      if (!isError(result, '-EOVERFLOW')) return `mmap of ${hex(reqLen)} bytes at page ${hex(pgoff)} overflows the end offset but returned ${result.ok ? 'OK' : result.error}`;
      return after.mappings.length === before.mappings.length ? undefined : 'an overflowing mmap left a mapping behind';
    },
  },
  {
    // 001, v17 -> v18 "return early in nvgrace_gpu_map_and_read[write] when mem_count is 0".
    name: 'zeroLengthAccessHasNoEffect',
    source: `${SEED} § v17 -> v18 (return early when mem_count is 0); ${DRIVER} nvgrace_gpu_map_and_read / map_and_write`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined || f.count !== 0n) return undefined;
      const changed = difference(step.before, step.after);
      if (changed !== undefined) return `a zero-length ${step.op.op} at ${hex(f.offset)} changed the device: ${changed}`;
      const got = resultCount(step.result);
      return step.result.ok && got !== 0n ? `a zero-length ${step.op.op} reported ${got === undefined ? 'no count' : hex(got)} bytes` : undefined;
    },
  },
  {
    // 001, "the device memory is cache coherent ... used like a regular RAM"; driver copy_to_user / copy_from_user on the mapping.
    name: 'deviceMemoryRoundTrips',
    source: `${SEED} § "used like a regular RAM"; ${DRIVER} nvgrace_gpu_map_and_read / map_and_write`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined) return undefined;
      const { op, result, after } = step;
      if (op.op === 'read') {
        const data = readData(result);
        if (data === undefined) return undefined;
        for (let i = 0; i < data.length; i++) {
          const at = f.offset + BigInt(i);
          if (at >= f.region.memlength) break;
          const want = storedByte(f.region, at);
          if (data[i] !== want) return `${f.region.name} read at ${hex(f.offset)} returned 0x${(data[i] as number).toString(16)} at ${hex(at)}; device memory holds 0x${want.toString(16)}`;
        }
        return undefined;
      }
      const now = regionOf(after, f.bar);
      if (now === null) return 'the region vanished';
      const expected: Extent[] = [...f.region.writes];
      if (result.ok && f.memCount > 0n) expected.push({ start: f.offset, end: f.offset + f.memCount, seed: op.args['seed'] as number });
      const at = storesAgree(now.name, now.writes, expected, now.memlength);
      if (at === undefined) return undefined;
      return `after ${result.ok ? '' : 'a failed '}write of ${hex(f.count)} bytes at ${hex(f.offset)}, ${now.name} byte ${hex(at)} holds 0x${storedByte(now, at).toString(16)}, not 0x${storedByte({ name: now.name, writes: expected }, at).toString(16)}`;
    },
  },
  {
    // 001, v17 -> v18 (return early when mem_count is 0: no memremap/ioremap for an access that touches no device memory).
    name: 'deviceMemoryIsMappedOnlyWhenTouched',
    source: `${SEED} § v17 -> v18; ${DRIVER} nvgrace_gpu_map_and_read / map_and_write before nvgrace_gpu_map_device_mem`,
    check: (step) => {
      const f = accessFacts(step);
      if (f === undefined) return undefined;
      const now = regionOf(step.after, f.bar);
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
    source: `${SEED} § fake BARs' config space registers, v15 -> v16 ("mask with BAR size and add flag"); ${DRIVER} nvgrace_gpu_get_read_value`,
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
    source: `${SEED} § v13 -> v14 (sub-word access); ${DRIVER} nvgrace_gpu_read_config_emu (register_offset, copy_count)`,
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
    source: `${SEED} § v13 -> v14 (endian-ness); ${DRIVER} __le64 bar_val, nvgrace_gpu_write_config_emu`,
    check: ({ op, before, after, result }) => {
      if (op.op !== 'cfgWrite') return undefined;
      const pos = op.args['offset'] as number;
      const count = op.args['count'] as number;
      const value = op.args['value'] as bigint;
      const hit = registerHit(before, pos, count);
      if (hit === undefined) return undefined;
      const was = before[hit.region] as MemRegion;
      const now = after[hit.region] as MemRegion;
      let want = was.barVal;
      for (let i = 0; i < hit.copyCount; i++) {
        const shift = BigInt(8 * (hit.registerOffset + i));
        want = (want & ~(0xffn << shift)) | (BigInt(byteOf(value, hit.copyOffset + i)) << shift);
      }
      if (now.barVal !== want)
        return `${count}-byte write of ${hex(value)} at 0x${pos.toString(16)} left the ${hit.region} register at ${hex(now.barVal)}; little-endian composition gives ${hex(want)} (lower dword at 0x${hit.base.toString(16)}, upper at 0x${(hit.base + 4).toString(16)})`;
      const other = hit.region === 'resmem' ? 'usemem' : 'resmem';
      if (before[other]?.barVal !== after[other]?.barVal) return `a write to the ${hit.region} register changed the ${other} register`;
      if (!result.ok || result.value !== hit.copyCount) return `write to the ${hit.region} register returned ${result.ok ? String(result.value) : result.error}, not ${hit.copyCount}`;
      return undefined;
    },
  },
  {
    // Driver nvgrace_gpu_write_config_emu: anything that meets no emulated register goes to vfio_pci_core_write.
    name: 'configWritesOutsideBarsGoThrough',
    source: `${SEED} § "provides emulation for these fake BARs' PCI config space offset registers"; ${DRIVER} nvgrace_gpu_write_config_emu`,
    check: ({ op, before, after, result }) => {
      if (op.op !== 'cfgWrite') return undefined;
      const pos = op.args['offset'] as number;
      const count = op.args['count'] as number;
      const value = op.args['value'] as bigint;
      const hit = registerHit(before, pos, count);
      if (hit !== undefined) {
        const changed = [...after.config].some(([k, v]) => before.config.get(k) !== v) || after.config.size !== before.config.size;
        return changed ? `a write to the emulated ${hit.region} register also reached config space` : undefined;
      }
      if (pos + count > PCI_CFG_SPACE_EXP_SIZE) return undefined;
      if (!result.ok || result.value !== count) return `config write of ${count} bytes at 0x${pos.toString(16)} returned ${result.ok ? String(result.value) : result.error}`;
      for (let i = 0; i < count; i++)
        if ((after.config.get(pos + i) ?? 0) !== byteOf(value, i)) return `config write at 0x${pos.toString(16)} did not reach config byte 0x${(pos + i).toString(16)}`;
      if (before.usemem?.barVal !== after.usemem?.barVal || before.resmem?.barVal !== after.resmem?.barVal)
        return `config write at 0x${pos.toString(16)}, outside the emulated registers, changed a BAR register`;
      return undefined;
    },
  },
  {
    // Driver nvgrace_gpu_ioctl VFIO_DEVICE_RESET -> nvgrace_gpu_init_fake_bar_emu_regs.
    name: 'resetClearsBarRegisters',
    source: `${SEED} § emulated fake BAR registers; ${DRIVER} nvgrace_gpu_init_fake_bar_emu_regs on VFIO_DEVICE_RESET`,
    check: ({ op, after }) => {
      if (op.op !== 'reset') return undefined;
      for (const r of [after.usemem, after.resmem]) if (r !== null && r.barVal !== 0n) return `${r.name} BAR register is ${hex(r.barVal)} after reset`;
      return undefined;
    },
  },
  {
    // 001, v3 -> v4 "Mapping the available device memory using sparse mmap. The region outside the device memory is handled by read/write ops".
    name: 'mmapNeverExposesBeyondDeviceMemory',
    source: `${SEED} § v3 -> v4 (sparse mmap of the available device memory); ${DRIVER} nvgrace_gpu_mmap (end > memlength)`,
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
    source: `${SEED} § "mapped as a separate region in Qemu VMA with pgprot_writecombine()"; ${DRIVER} nvgrace_gpu_mmap (VM_ALLOW_ANY_UNCACHED)`,
    check: ({ after }) => {
      const bad = after.mappings.find((m) => m.region === 'resmem' && (m.pgprot !== 'normal-nc' || !m.allowAnyUncached));
      return bad === undefined ? undefined : `resmem mapped with ${bad.pgprot}${bad.allowAnyUncached ? '' : ' without VM_ALLOW_ANY_UNCACHED'}, not write-combining Normal-NC`;
    },
  },
];

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
