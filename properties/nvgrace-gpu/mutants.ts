// Seeded bugs in the nvgrace-gpu driver: each overrides exactly one step of the specification, the way such code
// really goes wrong (most are the bugs the v1..v19 review rounds of 001 fixed), and names the invariant that
// must catch it.

import type { FaultPlan } from '../../model/common/faults.js';
import { alignUp, U64_MAX } from '../../model/common/u64.js';
import type { Result } from '../../model/common/result.js';
import {
  MEMBLK_SIZE,
  NvgraceGpuModel,
  PAGE_SHIFT,
  RESMEM_SIZE,
  VFIO_PCI_OFFSET_MASK,
  type DeviceRegion,
  type HostVma,
  type MemRegion,
  type NvgraceState,
  type RegisterHit,
} from '../../model/nvgrace-gpu/index.js';
import { mutantOf, type MutantDef } from '../harness/suite.js';

/** `<=` for `<` at the end of device memory on the read path: one byte past the memory is copied out. */
class ReadOneBytePastMemory extends NvgraceGpuModel {
  override readDeviceCount(region: MemRegion, offset: bigint, count: bigint): bigint {
    if (offset > region.memlength) return 0n;
    const left = region.memlength - offset + 1n;
    return count < left ? count : left;
  }
}

/** The BAR padding reads back as zeros instead of ~0. */
class PaddingReadsZero extends NvgraceGpuModel {
  override fillPastMemory(bytes: number[], count: number): void {
    while (bytes.length < count) bytes.push(0);
  }
}

/** The padding is filled from a 32-bit ~0: an 8-byte read gets ff ff ff ff 00 00 00 00. */
class PaddingOnesOf32Bits extends NvgraceGpuModel {
  override fillPastMemory(bytes: number[], count: number): void {
    const from = bytes.length;
    while (bytes.length < count) bytes.push(bytes.length - from < 4 ? 0xff : 0);
  }
}

/** `<=` for `<` at the end of device memory on the write path: the byte after the memory is written. */
class WriteOneBytePastMemory extends NvgraceGpuModel {
  override writeDeviceCount(region: MemRegion, offset: bigint, count: bigint): bigint {
    if (offset > region.memlength) return 0n;
    const left = region.memlength - offset + 1n;
    return count < left ? count : left;
  }
}

/** The `offset >= memlength` drop is missing: a write into the BAR padding lands past device memory. */
class WritePastMemoryLands extends NvgraceGpuModel {
  override writeDeviceCount(_region: MemRegion, _offset: bigint, count: bigint): bigint {
    return count;
  }
}

/** `offset > bar_size` instead of `>=`: an access starting exactly at the BAR end is accepted. */
class BarEndOffByOne extends NvgraceGpuModel {
  override readMem(region: MemRegion, offset: bigint, count: bigint, faults: FaultPlan): Result {
    if (offset === region.barSize) return { ok: true, value: { count: 0n, data: '' } };
    return super.readMem(region, offset, count, faults);
  }
}

/** The count is not clipped at the BAR end: the read reports (and fills) bytes beyond the BAR. */
class NoClipAtBarEnd extends NvgraceGpuModel {
  override readMem(region: MemRegion, offset: bigint, count: bigint, faults: FaultPlan): Result {
    const result = super.readMem(region, offset, count, faults);
    if (!result.ok || offset >= region.barSize || count <= region.barSize - offset) return result;
    return { ok: true, value: { ...(result.value as object), count } };
  }
}

/** rw_verify_area is not applied (a driver that trusts offset + count): overflowing requests are served. */
class MissingOverflowCheck extends NvgraceGpuModel {
  override rwVerifyArea(): string | undefined {
    return undefined;
  }
}

/** The mmap end offset is computed without check_add_overflow: it wraps and passes the memlength check. */
class MmapEndWraps extends NvgraceGpuModel {
  override mmapEnd(pgoff: bigint, reqLen: bigint): bigint | undefined {
    return ((pgoff << PAGE_SHIFT) + reqLen) & U64_MAX;
  }
}

/** A write loop written as do { } while (--count): a zero-length write still writes one byte. */
class ZeroLengthWriteWritesOneByte extends NvgraceGpuModel {
  override writeMem(region: MemRegion, offset: bigint, count: bigint, seed: number, faults: FaultPlan): Result {
    if (count !== 0n) return super.writeMem(region, offset, count, seed, faults);
    const result = super.writeMem(region, offset, 1n, seed, faults);
    return result.ok ? { ok: true, value: { count: 0n } } : result;
  }
}

/** A write at an unaligned offset lands at the offset rounded down to 8 (an aligned-access helper misused). */
class WriteLandsAligned extends NvgraceGpuModel {
  override copyToDevice(region: MemRegion, offset: bigint, memCount: bigint, seed: number): void {
    super.copyToDevice(region, offset & ~7n, memCount, seed);
  }
}

/** nvgrace_gpu_map_and_read without the mem_count == 0 early return (the v17 code): device memory is mapped anyway. */
class MapsWithoutDeviceBytes extends NvgraceGpuModel {
  override mapAndRead(region: MemRegion, offset: bigint, memCount: bigint, materialise: boolean, faults: FaultPlan) {
    const error = this.mapDeviceMem(region, faults);
    if (error !== undefined) return { ok: false as const, error };
    return super.mapAndRead(region, offset, memCount, materialise, faults);
  }
}

/** bar_size = roundup_pow_of_two computed as 1 << fls(n) instead of fls(n - 1): an exact power of two doubles. */
class BarSizeDoublesExactPower extends NvgraceGpuModel {
  override barSizeFor(memlength: bigint): bigint {
    return 1n << BigInt(memlength.toString(2).length);
  }
}

/** usemem rounded up to MEMBLK_SIZE instead of down: resmem shrinks below 1 GiB. */
class UsememRoundedUp extends NvgraceGpuModel {
  override carveUsemem(memlength: bigint): bigint {
    return alignUp(memlength - RESMEM_SIZE, MEMBLK_SIZE);
  }
}

/** The sizing read-back masks with the BAR size but forgets the 64-bit / prefetchable flag bits. */
class SizingLosesFlags extends NvgraceGpuModel {
  override barReadValue(region: MemRegion): bigint {
    return region.barVal & ~(region.barSize - 1n) & U64_MAX;
  }
}

/** Sub-word reads ignore register_offset: a byte or word read inside the register returns its first bytes. */
class SubWordIgnoresRegisterOffset extends NvgraceGpuModel {
  override barIntersection(s: NvgraceState, pos: number, count: number): RegisterHit | undefined {
    const hit = super.barIntersection(s, pos, count);
    if (hit === undefined || count >= 4) return hit;
    return { ...hit, registerOffset: 0 };
  }
}

/** bar_val stored big-endian (a missing cpu_to_le64): a write to the lower dword lands in the upper one. */
class BarValBigEndian extends NvgraceGpuModel {
  override storeBarBytes(region: MemRegion, registerOffset: number, bytes: readonly number[]): void {
    let v = region.barVal;
    bytes.forEach((b, i) => {
      const shift = BigInt((7 - (registerOffset + i)) * 8);
      v = (v & ~(0xffn << shift)) | (BigInt(b) << shift);
    });
    region.barVal = v;
  }
}

/** The emulated range is taken from PCI_BASE_ADDRESS_0: BAR0 writes are swallowed by the emulation. */
class EmulationSwallowsBar0 extends NvgraceGpuModel {
  override barIntersection(s: NvgraceState, pos: number, count: number): RegisterHit | undefined {
    const hit = super.barIntersection(s, pos, count);
    if (hit !== undefined || pos + count <= 0x10 || pos >= 0x18) return hit;
    return { region: 'resmem', copyOffset: 0, copyCount: Math.min(count, 0x18 - pos), registerOffset: 0 };
  }
}

/** VFIO_DEVICE_RESET clears only the resmem register. */
class ResetKeepsUsememBar extends NvgraceGpuModel {
  override reset(s: NvgraceState): Result {
    if (s.resmem !== null) s.resmem.barVal = 0n;
    return { ok: true };
  }
}

/** The mmap bound is the BAR size, not the device memory: the padding past memory is mapped. */
class MmapUpToBarEnd extends NvgraceGpuModel {
  override mmapLimit(region: MemRegion): bigint {
    return region.barSize;
  }
}

/** resmem is mapped with the default (cacheable) protection: pgprot_writecombine is forgotten. */
class ResmemMappedCacheable extends NvgraceGpuModel {
  override mmapProtection(region: DeviceRegion): HostVma {
    const vma = super.mmapProtection(region);
    return { ...vma, pgprot: 'normal' };
  }
}

/**
 * The region offset is checked against the 40 offset bits before the file position is formed (the rule this
 * specification had): a read past them is -EINVAL instead of reaching the next region index.
 */
class OffsetBeyondRegionRefused extends NvgraceGpuModel {
  override read(s: NvgraceState, bar: 'BAR2' | 'BAR4', offset: bigint, count: bigint, faults: FaultPlan): Result {
    if (offset > VFIO_PCI_OFFSET_MASK) return { ok: false, error: '-EINVAL' };
    return super.read(s, bar, offset, count, faults);
  }
}

/** The resmem read passes iswrite = true to vfio_pci_core_do_io_rw: the user's buffer is written into device memory. */
class ResmemReadPassesIsWrite extends NvgraceGpuModel {
  override mapAndRead(region: MemRegion, offset: bigint, memCount: bigint, materialise: boolean, faults: FaultPlan) {
    const got = super.mapAndRead(region, offset, memCount, materialise, faults);
    if (got.ok && region.name === 'resmem' && memCount > 0n) region.writes.push({ start: offset, end: offset + memCount, seed: 0 });
    return got;
  }
}

/** vfio-pci-core's config read starts at the dword the access is in: unaligned reads outside the registers are shifted. */
class ConfigReadFromDwordStart extends NvgraceGpuModel {
  override coreConfigRead(s: NvgraceState, pos: number, count: number): number[] | undefined {
    return super.coreConfigRead(s, pos & ~3, count);
  }
}

/**
 * The upper half of a 64-bit fake BAR (region 3 or 5) is refused by the driver with -EINVAL instead of being handed
 * to vfio_pci_core_read / write (what this specification once said of offsets in [2^40, 2^41)).
 */
class UpperHalfOfBarRefused extends NvgraceGpuModel {
  override coreRegionAccess(index: number, count: bigint): Result {
    if (count > 0n && (index === 3 || index === 5)) return { ok: false, error: '-EINVAL' };
    return super.coreRegionAccess(index, count);
  }
}

/** remap_pfn_range is given the rest of device memory from the offset instead of req_len: more is mapped than asked. */
class MmapMapsRestOfRegion extends NvgraceGpuModel {
  override mmapRegion(s: NvgraceState, region: MemRegion, pgoff: bigint, reqLen: bigint): Result {
    const result = super.mmapRegion(s, region, pgoff, reqLen);
    const m = s.mappings[s.mappings.length - 1];
    if (result.ok && m !== undefined) s.mappings[s.mappings.length - 1] = { ...m, length: region.memlength - m.offset };
    return result;
  }
}

/** Seeded into linux-6a9eb2d: the usemem BAR sized after the MEMBLK_SIZE round-down, as before 6a9eb2d125ba. */
class UsememBarAfterRoundDown extends NvgraceGpuModel {
  override usememBarBasis(_memlength: bigint, usememLength: bigint): bigint {
    return usememLength;
  }
}

/** Seeded into before-6a9eb2d: the usemem BAR sized before the round-down, as 6a9eb2d125ba does. */
class UsememBarBeforeRoundDown extends NvgraceGpuModel {
  override usememBarBasis(memlength: bigint): bigint {
    return memlength - RESMEM_SIZE;
  }
}

/**
 * Upstream's behaviour (docs/findings.md): nvgrace_gpu_map_and_read keeps what vfio_pci_core_do_io_rw returns (the
 * bytes it moved) in `ret`, and nvgrace_gpu_read_mem returns any nonzero `ret` at once. So a resmem read that
 * reaches device memory returns only its device bytes: a read straddling the end of resmem is short, and its ~0
 * padding is never filled. (usemem's copy_to_user path returns 0 and is not affected.)
 */
class ResmemReadReturnsDeviceCount extends NvgraceGpuModel {
  override readMem(region: MemRegion, offset: bigint, count: bigint, faults: FaultPlan): Result {
    const result = super.readMem(region, offset, count, faults);
    if (!result.ok || region.name !== 'resmem' || offset >= region.memlength) return result;
    const value = result.value as { count: bigint; data?: string };
    const memCount = this.readDeviceCount(region, offset, value.count);
    if (memCount === value.count) return result;
    return { ok: true, value: value.data === undefined ? { count: memCount } : { count: memCount, data: value.data.slice(0, Number(memCount) * 2) } };
  }
}

const mutant = mutantOf<NvgraceState>('nvgraceLifecycle');

export const nvgraceMutants: readonly MutantDef<NvgraceState>[] = [
  mutant('readOneBytePastMemory', 'readPastDeviceMemoryIsAllOnes', 2, '<= for < at the memory end: a read copies the byte after device memory', ReadOneBytePastMemory),
  mutant('paddingReadsZero', 'readPastDeviceMemoryIsAllOnes', 2, 'reads past device memory return zeros, not ~0', PaddingReadsZero),
  mutant('paddingOnesOf32Bits', 'readPastDeviceMemoryIsAllOnes', 2, 'reads past device memory return a 32-bit ~0 zero-extended', PaddingOnesOf32Bits),
  mutant('writeOneBytePastMemory', 'writePastDeviceMemoryIsDropped', 2, '<= for < at the memory end: a write stores the byte after device memory', WriteOneBytePastMemory),
  mutant('writePastMemoryLands', 'writePastDeviceMemoryIsDropped', 2, 'a write into the BAR padding is stored instead of dropped', WritePastMemoryLands),
  mutant('barEndOffByOne', 'accessBeyondBarIsRejected', 2, 'offset > bar_size instead of >=: an access at the BAR end is accepted', BarEndOffByOne),
  mutant('noClipAtBarEnd', 'accessIsTruncatedAtBarEnd', 2, 'the count is not clipped at the BAR end', NoClipAtBarEnd),
  mutant('missingOverflowCheck', 'offsetOverflowIsRejected', 2, 'offset + count overflow is not refused', MissingOverflowCheck),
  mutant('mmapEndWraps', 'offsetOverflowIsRejected', 2, 'the mmap end offset wraps instead of failing with -EOVERFLOW', MmapEndWraps),
  mutant('zeroLengthWriteWritesOneByte', 'zeroLengthAccessHasNoEffect', 2, 'a zero-length write writes one byte (do/while loop)', ZeroLengthWriteWritesOneByte),
  mutant('writeLandsAligned', 'deviceMemoryRoundTrips', 2, 'an unaligned write lands at the offset rounded down to 8', WriteLandsAligned),
  mutant('mapsWithoutDeviceBytes', 'deviceMemoryIsMappedOnlyWhenTouched', 2, 'map_and_read maps device memory before checking mem_count', MapsWithoutDeviceBytes),
  mutant('barSizeDoublesExactPower', 'barSizeIsPowerOfTwoCoveringRegion', 1, 'roundup_pow_of_two via fls(n): an exact power of two doubles', BarSizeDoublesExactPower),
  mutant('usememRoundedUp', 'deviceMemoryIsCarvedExactly', 1, 'usemem rounded up to MEMBLK_SIZE, so resmem is under 1 GiB', UsememRoundedUp),
  mutant('sizingLosesFlags', 'barSizingReadBackMatchesSize', 2, 'the BAR read-back loses the 64-bit prefetchable flag bits', SizingLosesFlags),
  mutant('subWordIgnoresRegisterOffset', 'subWordConfigAccessesAgree', 2, 'byte and word reads inside a BAR register ignore register_offset', SubWordIgnoresRegisterOffset),
  mutant('barValBigEndian', 'barAddressComposesLittleEndian', 2, 'the emulated BAR register is stored big-endian', BarValBigEndian),
  mutant('emulationSwallowsBar0', 'configWritesOutsideBarsGoThrough', 2, 'the emulated range starts at BAR0: BAR0 writes never reach config space', EmulationSwallowsBar0),
  mutant('resetKeepsUsememBar', 'resetClearsBarRegisters', 3, 'VFIO_DEVICE_RESET clears only the resmem register', ResetKeepsUsememBar),
  mutant('mmapUpToBarEnd', 'mmapNeverExposesBeyondDeviceMemory', 2, 'mmap is bounded by the BAR size, mapping the padding', MmapUpToBarEnd),
  mutant('resmemMappedCacheable', 'resmemIsNeverMappedCacheable', 2, 'resmem is mmapped without pgprot_writecombine', ResmemMappedCacheable),
  mutant('offsetBeyondRegionRefused', 'accessGoesToRegionOfFilePosition', 2, 'a read past the 40 offset bits of its region is -EINVAL instead of reaching the next region', OffsetBeyondRegionRefused),
  mutant('resmemReadPassesIsWrite', 'readsChangeNothing', 2, 'the resmem read calls vfio_pci_core_do_io_rw with iswrite = true', ResmemReadPassesIsWrite),
  mutant('configReadFromDwordStart', 'configReadsReturnConfigSpace', 2, 'config reads outside the registers are served from the start of their dword', ConfigReadFromDwordStart),
  mutant('resmemReadReturnsDeviceCount', 'accessIsTruncatedAtBarEnd', 2, 'upstream: a resmem read returns what vfio_pci_core_do_io_rw moved, so a read straddling the end of resmem is short and unpadded', ResmemReadReturnsDeviceCount, ['linux-6a9eb2d', 'before-6a9eb2d']),
  mutant('upperHalfOfBarRefused', 'accessGoesToRegionOfFilePosition', 2, 'the upper half of a 64-bit fake BAR (region 3 or 5) is -EINVAL instead of vfio-pci-core\'s', UpperHalfOfBarRefused),
  mutant('mmapMapsRestOfRegion', 'mmapMapsWhatWasAsked', 2, 'mmap maps the rest of device memory from the offset instead of the length asked', MmapMapsRestOfRegion),
  mutant('usememBarAfterRoundDown', 'barSizeIsPowerOfTwoCoveringRegion', 1, 'linux-6a9eb2d with the usemem BAR sized from the rounded-down usemem (the older rule)', UsememBarAfterRoundDown, ['linux-6a9eb2d']),
  mutant('usememBarBeforeRoundDown', 'barSizeIsPowerOfTwoCoveringRegion', 1, 'before-6a9eb2d with the usemem BAR sized before the round-down (the newer rule)', UsememBarBeforeRoundDown, ['before-6a9eb2d']),
];

