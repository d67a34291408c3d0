// Operations of the nvgrace-gpu VFIO variant driver. Each method is one kernel function (or one step inside
// one), written from 001_d5d5d944b120b211.txt and the merged drivers/vfio/pci/nvgrace-gpu/main.c; the VFS and
// vfio-pci-core layers in front of the driver are methods too, so that a seeded bug can replace exactly one step.
// Where the model had to choose, or where the cover letter and the merged driver differ, the comment says which
// one the model follows (README.md lists them all).

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { faultList, int, oneOf, typedOp, u64, type Signatures } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import { alignDown, alignUp, checkedAdd, roundUpPowerOfTwo, U64_MAX } from '../common/u64.js';
import type { Operation } from '../common/values.js';
import { nvgraceHostVma, type DeviceRegion, type HostVma } from './host-mapping.js';
import {
  BAR_REGISTER_BYTES,
  barRegisterImage,
  CONFIG_REGION_INDEX,
  initialNvgraceState,
  LOFF_MAX,
  MAX_RW_COUNT,
  MEMBLK_SIZE,
  PAGE_SHIFT,
  PAGE_SIZE,
  PCI_BASE_ADDRESS_2,
  PCI_BASE_ADDRESS_4,
  PCI_CFG_SPACE_EXP_SIZE,
  nvgraceVersion,
  regionIndex,
  RESMEM_REGION_INDEX,
  RESMEM_SIZE,
  storedByte,
  USEMEM_REGION_INDEX,
  VFIO_PCI_NUM_REGIONS,
  VFIO_PCI_OFFSET_MASK,
  VFIO_PCI_ROM_REGION_INDEX,
  VFIO_PCI_OFFSET_SHIFT,
  VFIO_PCI_PGOFF_MASK,
  type BarName,
  type MemRegion,
  type NvgraceState,
  type NvgraceVersion,
} from './state.js';

/** Reads of at most this many bytes return their data (larger ones return only how many bytes were read). */
export const MAX_READ_DATA = 64n;

const bar = () => oneOf('BAR2', 'BAR4');

export const nvgraceSignatures = {
  /** nvgrace_gpu_probe with the ACPI properties nvidia,gpu-mem-base-pa and nvidia,gpu-mem-size. */
  probe: { memphys: u64(), memlength: u64() },
  /** read(2) of `count` bytes at `offset` inside a fake BAR region (nvgrace_gpu_read -> nvgrace_gpu_read_mem). */
  read: { bar: bar(), offset: u64(), count: u64(), faults: faultList() },
  /** write(2) of `count` bytes whose byte i is (seed + i) & 0xff (nvgrace_gpu_write -> nvgrace_gpu_write_mem). */
  write: { bar: bar(), offset: u64(), count: u64(), seed: int(0, 255), faults: faultList() },
  /** read(2) of config space (nvgrace_gpu_read_config_emu); the result is the bytes read, little-endian. */
  cfgRead: { offset: int(0, PCI_CFG_SPACE_EXP_SIZE - 1), count: int(1, 8) },
  /** write(2) of config space: the low `count` bytes of `value`, little-endian (nvgrace_gpu_write_config_emu). */
  cfgWrite: { offset: int(0, PCI_CFG_SPACE_EXP_SIZE - 1), count: int(1, 8), value: u64() },
  /** mmap(2) of a fake BAR region: `length` bytes from page `pgoff` of the region (nvgrace_gpu_mmap). */
  mmap: { bar: bar(), pgoff: u64(), length: u64() },
  /** ioctl VFIO_DEVICE_RESET (nvgrace_gpu_ioctl: the emulated BAR registers go back to zero). */
  reset: {},
} satisfies Signatures;

/** Where an access meets an 8-byte emulated register (vfio_pci_core_range_intersect_range). */
export interface RegisterHit {
  readonly region: DeviceRegion;
  /** Offset of the overlap inside the caller's buffer. */
  readonly copyOffset: number;
  readonly copyCount: number;
  /** Offset of the overlap inside the register. */
  readonly registerOffset: number;
}

type MapOutcome = { readonly ok: true; readonly bytes: number[] | null } | { readonly ok: false; readonly error: string };

export class NvgraceGpuModel implements Model<NvgraceState> {
  /** The upstream version whose rules this model follows (README "Versions"). */
  readonly version: NvgraceVersion;

  constructor(version?: string) {
    this.version = nvgraceVersion(version);
  }

  initialState(): NvgraceState {
    return initialNvgraceState(this.version);
  }

  precondition(s: NvgraceState, op: Operation): boolean {
    if (op.op === 'probe') return s.mode === 'none';
    // Every other operation is on an nvgrace device (the plain vfio-pci-core fallback is not specified here).
    return s.mode === 'nvgrace' && op.op in nvgraceSignatures;
  }

  apply(s: NvgraceState, op: Operation, faults: FaultPlan): Result {
    const o = typedOp(nvgraceSignatures, op);
    if (o === undefined) return fail('UNKNOWN_OPERATION');
    switch (o.op) {
      case 'probe':
        return this.probe(s, o.args.memphys, o.args.memlength);
      case 'read':
        return this.read(s, o.args.bar, o.args.offset, o.args.count, faults);
      case 'write':
        return this.write(s, o.args.bar, o.args.offset, o.args.count, o.args.seed, faults);
      case 'cfgRead':
        return this.readConfigEmu(s, o.args.offset, o.args.count);
      case 'cfgWrite':
        return this.writeConfigEmu(s, o.args.offset, o.args.count, o.args.value);
      case 'mmap':
        return this.mmap(s, o.args.bar, o.args.pgoff, o.args.length);
      case 'reset':
        return this.reset(s);
    }
  }

  // ---------------------------------------------------------------------------------------------- probe

  /**
   * nvgrace_gpu_probe: fetch the memory properties, then carve the device memory. A size of 0 (the C2C link is
   * down) makes nvgrace_gpu_fetch_memory_property fail, and the probe then registers the device with the plain
   * vfio-pci-core ops: it succeeds, but without fake BARs.
   */
  probe(s: NvgraceState, memphys: bigint, memlength: bigint): Result {
    if (memlength === 0n) {
      s.mode = 'vfio-pci-core';
      return ok('vfio-pci-core');
    }
    const error = this.initNvdevStruct(s, memphys, memlength);
    if (error !== undefined) return fail(error);
    s.mode = 'nvgrace';
    return ok('nvgrace');
  }

  /**
   * nvgrace_gpu_init_nvdev_struct on Grace Hopper (the MIG hardware bug: resmem is carved out):
   * usemem = round_down(memlength - 1 GiB, MEMBLK_SIZE), resmem = the rest, at the end of device memory.
   * The usemem BAR size depends on the version: since 6a9eb2d125ba it is taken from memlength - 1 GiB before the
   * round-down (usememBarBasis). (Grace Blackwell, with no carve-out, is not specified.)
   */
  initNvdevStruct(s: NvgraceState, memphys: bigint, memlength: bigint): string | undefined {
    // The driver takes the base as the firmware gives it; nvgrace_gpu_mmap maps from PHYS_PFN(memphys), so a base
    // that is not page aligned would expose the bytes below device memory in the first page. The model refuses it.
    if (memphys % PAGE_SIZE !== 0n) return '-EINVAL';
    if (memlength < RESMEM_SIZE) return '-EOVERFLOW'; // check_sub_overflow(memlength, RESMEM_SIZE, ...)
    const usememLength = this.carveUsemem(memlength);
    if (usememLength === 0n) return '-EINVAL';
    const resmemPhys = checkedAdd(memphys, usememLength);
    if (resmemPhys === undefined || usememLength > memlength) return '-EOVERFLOW';
    const resmemLength = memlength - usememLength;
    const usememBasis = this.usememBarBasis(memlength, usememLength);
    // roundup_pow_of_two of a length above 2^63 shifts by 64, which C leaves undefined; the driver has no check.
    // The model refuses such a size instead of giving the BAR a size that does not exist.
    if (usememBasis > 1n << 63n || resmemLength > 1n << 63n) return '-EOVERFLOW';
    s.usemem = this.newRegion('usemem', memphys, usememLength, this.barSizeFor(usememBasis));
    s.resmem = this.newRegion('resmem', resmemPhys, resmemLength, this.barSizeFor(resmemLength));
    return undefined;
  }

  /** The usemem length: what is left after RESMEM_SIZE, rounded down to MEMBLK_SIZE. */
  carveUsemem(memlength: bigint): bigint {
    return alignDown(memlength - RESMEM_SIZE, MEMBLK_SIZE);
  }

  /**
   * The length the usemem BAR is sized from. Since 6a9eb2d125ba (linux-6a9eb2d): memlength - 1 GiB, before the
   * round-down to MEMBLK_SIZE (so 0x60000001 bytes of device memory give 512 MiB of usemem behind a 1 GiB BAR).
   * Before it (before-6a9eb2d): the rounded-down usemem length itself.
   */
  usememBarBasis(memlength: bigint, usememLength: bigint): bigint {
    return this.version === 'linux-6a9eb2d' ? memlength - RESMEM_SIZE : usememLength;
  }

  /** bar_size = roundup_pow_of_two(length). */
  barSizeFor(length: bigint): bigint {
    return roundUpPowerOfTwo(length);
  }

  newRegion(name: DeviceRegion, memphys: bigint, memlength: bigint, barSize: bigint): MemRegion {
    return { name, memphys, memlength, barSize, barVal: 0n, kernelMapped: false, writes: [] };
  }

  // ----------------------------------------------------------------------------------- region read/write

  /** The device file position of `offset` in a fake BAR's region: VFIO_PCI_INDEX_TO_OFFSET(index) + offset. */
  filePosition(bar: BarName, offset: bigint): bigint {
    return (BigInt(regionIndex(bar)) << VFIO_PCI_OFFSET_SHIFT) + offset;
  }

  /**
   * The VFS in front of every read and write (rw_verify_area, then the MAX_RW_COUNT clamp) on the device file
   * position. vfio files have no FMODE_UNSIGNED_OFFSET, so a count above SSIZE_MAX or a position + count beyond
   * LLONG_MAX is -EINVAL. Returns the error, or undefined when the access may go on.
   */
  rwVerifyArea(pos: bigint, count: bigint): string | undefined {
    if (count > LOFF_MAX) return '-EINVAL'; // (ssize_t)count < 0
    if (pos + count > LOFF_MAX) return '-EINVAL'; // pos < 0 or (loff_t)(pos + count) < 0
    return undefined;
  }

  /** VFIO_PCI_OFFSET_TO_INDEX: the region a file position is in is its bits from VFIO_PCI_OFFSET_SHIFT up. */
  positionIndex(pos: bigint): number {
    return Number(pos >> VFIO_PCI_OFFSET_SHIFT);
  }

  /** nvgrace_gpu_memregion: index 4 is usemem, index 2 is resmem when there is one; any other index is none. */
  memregion(s: NvgraceState, index: number): MemRegion | null {
    if (index === USEMEM_REGION_INDEX) return s.usemem;
    if (index === RESMEM_REGION_INDEX && s.resmem !== null && s.resmem.memlength !== 0n) return s.resmem;
    return null;
  }

  read(s: NvgraceState, bar: BarName, offset: bigint, count: bigint, faults: FaultPlan): Result {
    const pos = this.filePosition(bar, offset);
    const error = this.rwVerifyArea(pos, count);
    if (error !== undefined) return fail(error);
    return this.nvgraceRead(s, pos, count > MAX_RW_COUNT ? MAX_RW_COUNT : count, faults);
  }

  write(s: NvgraceState, bar: BarName, offset: bigint, count: bigint, seed: number, faults: FaultPlan): Result {
    const pos = this.filePosition(bar, offset);
    const error = this.rwVerifyArea(pos, count);
    if (error !== undefined) return fail(error);
    return this.nvgraceWrite(s, pos, count > MAX_RW_COUNT ? MAX_RW_COUNT : count, seed, faults);
  }

  /**
   * nvgrace_gpu_read: the region is chosen from the file position, not from the BAR the caller meant. A fake BAR's
   * index goes to nvgrace_gpu_read_mem at the offset inside that region (so BAR2 + 2^41 is usemem); the config
   * index to the config emulation; anything else to vfio_pci_core_read.
   */
  nvgraceRead(s: NvgraceState, pos: bigint, count: bigint, faults: FaultPlan): Result {
    const index = this.positionIndex(pos);
    const offset = pos & VFIO_PCI_OFFSET_MASK;
    const region = this.memregion(s, index);
    if (region !== null) return this.readMem(region, offset, count, faults);
    if (index === CONFIG_REGION_INDEX) return this.readConfigRegion(s, offset, count);
    return this.coreRegionAccess(index, count);
  }

  /** nvgrace_gpu_write: as nvgraceRead. */
  nvgraceWrite(s: NvgraceState, pos: bigint, count: bigint, seed: number, faults: FaultPlan): Result {
    const index = this.positionIndex(pos);
    const offset = pos & VFIO_PCI_OFFSET_MASK;
    const region = this.memregion(s, index);
    if (region !== null) return this.writeMem(region, offset, count, seed, faults);
    if (index === CONFIG_REGION_INDEX) return this.writeConfigRegion(s, offset, count, seed);
    return this.coreRegionAccess(index, count);
  }

  /**
   * vfio_pci_core_read / vfio_pci_core_write of a region the variant driver does not emulate (BAR0, BAR3 and BAR5,
   * the ROM, VGA): what it does depends on the physical device, which is not specified here, so the result only
   * names the region it was handed to. A zero count returns 0 before any region is looked at, and an index past
   * the last region (nvgrace-gpu adds no device-specific regions) is -EINVAL.
   */
  coreRegionAccess(index: number, count: bigint): Result {
    if (count === 0n) return ok({ count: 0n });
    if (index >= VFIO_PCI_NUM_REGIONS) return fail('-EINVAL');
    return ok({ vfioPciCore: index });
  }

  /** A read of the config region through the device file: the config emulation, its bytes in address order. */
  readConfigRegion(s: NvgraceState, offset: bigint, count: bigint): Result {
    if (count === 0n) return ok({ count: 0n, data: '' }); // vfio_pci_core_read returns 0 at once
    if (offset + count > BigInt(PCI_CFG_SPACE_EXP_SIZE)) return fail('-EFAULT');
    const bytes = this.configEmuRead(s, Number(offset), Number(count));
    if (bytes === undefined) return fail('-EFAULT');
    return ok(count <= MAX_READ_DATA ? { count, data: hexBytes(bytes) } : { count });
  }

  /** A write of the config region through the device file: byte i is (seed + i) & 0xff. */
  writeConfigRegion(s: NvgraceState, offset: bigint, count: bigint, seed: number): Result {
    if (count === 0n) return ok({ count: 0n });
    if (offset >= BigInt(PCI_CFG_SPACE_EXP_SIZE)) return fail('-EFAULT');
    const written = this.configEmuWrite(s, Number(offset), Number(count), (i) => (seed + i) & 0xff);
    return written === undefined ? fail('-EFAULT') : ok({ count: BigInt(written) });
  }

  /**
   * nvgrace_gpu_read_mem: refuse a start at or past the BAR end, clip the count at the BAR end, read the part that
   * is device memory, and fill the rest (the BAR padding past the end of device memory) with ~0.
   */
  readMem(region: MemRegion, offset: bigint, count: bigint, faults: FaultPlan): Result {
    if (offset >= region.barSize) return fail('-EINVAL');
    const clipped = min(count, region.barSize - offset);
    const memCount = this.readDeviceCount(region, offset, clipped);
    const materialise = clipped <= MAX_READ_DATA;
    const got = this.mapAndRead(region, offset, memCount, materialise, faults);
    if (!got.ok) return fail(got.error);
    if (got.bytes === null) return ok({ count: clipped });
    this.fillPastMemory(got.bytes, Number(clipped));
    return ok({ count: clipped, data: hexBytes(got.bytes) });
  }

  /** mem_count of a read: the bytes of [offset, offset + count) that are device memory. */
  readDeviceCount(region: MemRegion, offset: bigint, count: bigint): bigint {
    return offset >= region.memlength ? 0n : min(count, region.memlength - offset);
  }

  /** nvgrace_gpu_map_and_read: nothing to do (and nothing mapped) for an empty device part. */
  mapAndRead(region: MemRegion, offset: bigint, memCount: bigint, materialise: boolean, faults: FaultPlan): MapOutcome {
    if (memCount === 0n) return { ok: true, bytes: materialise ? [] : null };
    const error = this.mapDeviceMem(region, faults);
    if (error !== undefined) return { ok: false, error };
    return { ok: true, bytes: materialise ? this.copyFromDevice(region, offset, memCount) : null };
  }

  /** copy_to_user from memaddr + offset (usemem) or vfio_pci_core_do_io_rw on ioaddr (resmem). */
  copyFromDevice(region: MemRegion, offset: bigint, memCount: bigint): number[] {
    const bytes: number[] = [];
    for (let i = 0n; i < memCount; i++) bytes.push(storedByte(region, offset + i));
    return bytes;
  }

  /** The put_user loop: every byte past the device part of the read is 0xff. */
  fillPastMemory(bytes: number[], count: number): void {
    while (bytes.length < count) bytes.push(0xff);
  }

  /**
   * nvgrace_gpu_write_mem: refuse a start at or past the BAR end, clip at the BAR end, drop the part past the end
   * of device memory, and report the whole clipped count as written.
   */
  writeMem(region: MemRegion, offset: bigint, count: bigint, seed: number, faults: FaultPlan): Result {
    if (offset >= region.barSize) return fail('-EINVAL');
    const clipped = min(count, region.barSize - offset);
    const memCount = this.writeDeviceCount(region, offset, clipped);
    const error = this.mapAndWrite(region, offset, memCount, seed, faults);
    if (error !== undefined) return fail(error);
    return ok({ count: clipped });
  }

  /** mem_count of a write: 0 when the write starts past device memory (goto exitfn), else clipped at its end. */
  writeDeviceCount(region: MemRegion, offset: bigint, count: bigint): bigint {
    return offset >= region.memlength ? 0n : min(count, region.memlength - offset);
  }

  /** nvgrace_gpu_map_and_write. */
  mapAndWrite(region: MemRegion, offset: bigint, memCount: bigint, seed: number, faults: FaultPlan): string | undefined {
    if (memCount === 0n) return undefined;
    const error = this.mapDeviceMem(region, faults);
    if (error !== undefined) return error;
    this.copyToDevice(region, offset, memCount, seed);
    return undefined;
  }

  /** copy_from_user into memaddr + offset (usemem) or vfio_pci_core_do_io_rw on ioaddr (resmem). */
  copyToDevice(region: MemRegion, offset: bigint, memCount: bigint, seed: number): void {
    region.writes.push({ start: offset, end: offset + memCount, seed });
  }

  /**
   * nvgrace_gpu_map_device_mem: the first access that touches device memory maps the region into the kernel,
   * memremap(MEMREMAP_WB) for usemem and ioremap_wc for resmem; either can fail with -ENOMEM.
   */
  mapDeviceMem(region: MemRegion, faults: FaultPlan): string | undefined {
    if (region.kernelMapped) return undefined;
    if (faults.fails(region.name === 'usemem' ? 'memremap' : 'ioremap_wc')) return '-ENOMEM';
    region.kernelMapped = true;
    return undefined;
  }

  // ------------------------------------------------------------------------------------- config space

  /**
   * Which emulated register an access meets: the resmem register (PCI_BASE_ADDRESS_2) is tried first, then the
   * usemem one (PCI_BASE_ADDRESS_4). An access that straddles both is served for the first one only, as in the
   * driver.
   */
  barIntersection(s: NvgraceState, pos: number, count: number): RegisterHit | undefined {
    const resmem = rangeIntersect(pos, count, PCI_BASE_ADDRESS_2, BAR_REGISTER_BYTES);
    if (resmem !== undefined && s.resmem !== null) return { region: 'resmem', ...resmem };
    const usemem = rangeIntersect(pos, count, PCI_BASE_ADDRESS_4, BAR_REGISTER_BYTES);
    if (usemem !== undefined && s.usemem !== null) return { region: 'usemem', ...usemem };
    return undefined;
  }

  /** nvgrace_gpu_get_read_value: the address bits the size leaves writable, with the 64-bit prefetchable flags. */
  barReadValue(region: MemRegion): bigint {
    return barRegisterImage(region.barVal, region.barSize);
  }

  /** copy_from_user into (u8 *)&bar_val + register_offset: bar_val is __le64, so byte k is bits [8k, 8k + 8). */
  storeBarBytes(region: MemRegion, registerOffset: number, bytes: readonly number[]): void {
    let v = region.barVal;
    bytes.forEach((b, i) => {
      const shift = BigInt((registerOffset + i) * 8);
      v = (v & ~(0xffn << shift)) | (BigInt(b) << shift);
    });
    region.barVal = v;
  }

  /** vfio_pci_core_read of config space: vfio_config_do_rw refuses an access past cfg_size with -EFAULT. */
  coreConfigRead(s: NvgraceState, pos: number, count: number): number[] | undefined {
    if (pos + count > PCI_CFG_SPACE_EXP_SIZE) return undefined;
    const bytes: number[] = [];
    for (let i = 0; i < count; i++) bytes.push(s.config.get(pos + i) ?? 0);
    return bytes;
  }

  coreConfigWrite(s: NvgraceState, pos: number, bytes: readonly number[]): boolean {
    if (pos + bytes.length > PCI_CFG_SPACE_EXP_SIZE) return false;
    bytes.forEach((b, i) => s.config.set(pos + i, b));
    return true;
  }

  /** nvgrace_gpu_read_config_emu: the core read first, then the emulated register's bytes laid over it. */
  configEmuRead(s: NvgraceState, pos: number, count: number): number[] | undefined {
    const bytes = this.coreConfigRead(s, pos, count);
    if (bytes === undefined) return undefined;
    const hit = this.barIntersection(s, pos, count);
    if (hit !== undefined) {
      const image = this.barReadValue(s[hit.region] as MemRegion);
      for (let i = 0; i < hit.copyCount; i++) bytes[hit.copyOffset + i] = byteOf(image, hit.registerOffset + i);
    }
    return bytes;
  }

  /**
   * nvgrace_gpu_write_config_emu: an access that meets an emulated register updates only the register's bytes and
   * returns that many (a short write: bytes of the access outside the register are not written anywhere);
   * anything else goes to vfio-pci-core. Returns the bytes written, or undefined for -EFAULT.
   */
  configEmuWrite(s: NvgraceState, pos: number, count: number, byteAt: (i: number) => number): number | undefined {
    const hit = this.barIntersection(s, pos, count);
    if (hit !== undefined) {
      this.storeBarBytes(s[hit.region] as MemRegion, hit.registerOffset, Array.from({ length: hit.copyCount }, (_, i) => byteAt(hit.copyOffset + i)));
      return hit.copyCount;
    }
    if (pos + count > PCI_CFG_SPACE_EXP_SIZE) return undefined;
    return this.coreConfigWrite(s, pos, Array.from({ length: count }, (_, i) => byteAt(i))) ? count : undefined;
  }

  /** cfgRead: the config emulation, the bytes read as a little-endian value. */
  readConfigEmu(s: NvgraceState, pos: number, count: number): Result {
    const bytes = this.configEmuRead(s, pos, count);
    return bytes === undefined ? fail('-EFAULT') : ok(leValue(bytes));
  }

  /** cfgWrite: the config emulation with the low `count` bytes of `value`, little-endian. */
  writeConfigEmu(s: NvgraceState, pos: number, count: number, value: bigint): Result {
    const written = this.configEmuWrite(s, pos, count, (i) => byteOf(value, i));
    return written === undefined ? fail('-EFAULT') : ok(written);
  }

  /** VFIO_DEVICE_RESET: nvgrace_gpu_init_fake_bar_emu_regs zeroes both emulated registers. */
  reset(s: NvgraceState): Result {
    for (const r of [s.resmem, s.usemem]) if (r !== null) r.barVal = 0n;
    return ok();
  }

  // ---------------------------------------------------------------------------------------------- mmap

  /**
   * mmap of a fake BAR. The mm layer first: a zero length is -EINVAL, a length whose page alignment wraps is
   * -ENOMEM, and a page offset + length that wraps is -EOVERFLOW (do_mmap). The model gives the driver any VMA
   * length (it does not bound it by TASK_SIZE, which on a real system refuses far smaller lengths with -ENOMEM
   * first) so that the driver's own overflow checks are reachable. As for read and write, the region is chosen
   * from the file page offset: a page offset beyond the region's 28 page-offset bits names the next region index.
   */
  mmap(s: NvgraceState, bar: BarName, pgoff: bigint, length: bigint): Result {
    if (length === 0n) return fail('-EINVAL');
    const reqLen = alignUp(length, PAGE_SIZE);
    if (reqLen === 0n) return fail('-ENOMEM');
    const vmPgoff = (BigInt(regionIndex(bar)) << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) + pgoff;
    if (vmPgoff + (reqLen >> PAGE_SHIFT) > U64_MAX) return fail('-EOVERFLOW');
    const index = Number(vmPgoff >> (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT));
    const region = this.memregion(s, index);
    if (region === null) return this.coreMmap(index);
    return this.mmapRegion(s, region, vmPgoff & VFIO_PCI_PGOFF_MASK, reqLen);
  }

  /**
   * vfio_pci_core_mmap of a region the variant driver does not map: only BARs can be mapped (an index from the
   * ROM on is -EINVAL); whether a BAR can depends on the physical device, so the result names the region.
   */
  coreMmap(index: number): Result {
    if (index >= VFIO_PCI_ROM_REGION_INDEX) return fail('-EINVAL');
    return ok({ vfioPciCore: index });
  }

  /**
   * nvgrace_gpu_mmap: the start pfn and the end offset must not overflow (-EOVERFLOW); the mapping must end
   * within device memory, never in the BAR padding (-EINVAL); resmem gets the write-combining protection and
   * VM_ALLOW_ANY_UNCACHED; then the region is remap_pfn_range'd.
   */
  mmapRegion(s: NvgraceState, region: MemRegion, pgoff: bigint, reqLen: bigint): Result {
    const startPfn = checkedAdd(region.memphys >> PAGE_SHIFT, pgoff);
    const end = this.mmapEnd(pgoff, reqLen);
    if (startPfn === undefined || end === undefined) return fail('-EOVERFLOW');
    if (end > this.mmapLimit(region)) return fail('-EINVAL');
    const vma = this.mmapProtection(region.name);
    s.mappings.push({
      region: region.name,
      offset: pgoff << PAGE_SHIFT,
      length: reqLen,
      phys: startPfn << PAGE_SHIFT,
      pgprot: vma.pgprot,
      allowAnyUncached: vma.flags.allowAnyUncached,
    });
    return ok();
  }

  /** end = PFN_PHYS(pgoff) + req_len, or undefined where check_add_overflow reports an overflow. */
  mmapEnd(pgoff: bigint, reqLen: bigint): bigint | undefined {
    const base = pgoff << PAGE_SHIFT;
    return base > U64_MAX ? undefined : checkedAdd(base, reqLen);
  }

  /** A mapping may reach up to the end of device memory (memlength), not to the end of the BAR. */
  mmapLimit(region: MemRegion): bigint {
    return region.memlength;
  }

  /** The VMA protection and flags the mapping gets (see host-mapping.ts). */
  mmapProtection(region: DeviceRegion): HostVma {
    return nvgraceHostVma(region);
  }
}

/** vfio_pci_core_range_intersect_range. */
export function rangeIntersect(
  bufStart: number,
  bufCount: number,
  regStart: number,
  regCount: number,
): { copyOffset: number; copyCount: number; registerOffset: number } | undefined {
  if (bufStart <= regStart && bufStart + bufCount > regStart)
    return { copyOffset: regStart - bufStart, copyCount: Math.min(regCount, bufStart + bufCount - regStart), registerOffset: 0 };
  if (bufStart > regStart && bufStart < regStart + regCount)
    return { copyOffset: 0, copyCount: Math.min(bufCount, regStart + regCount - bufStart), registerOffset: bufStart - regStart };
  return undefined;
}

export function byteOf(value: bigint, k: number): number {
  return Number((value >> BigInt(8 * k)) & 0xffn);
}

export function leValue(bytes: readonly number[]): bigint {
  return bytes.reduce((v, b, i) => v | (BigInt(b) << BigInt(8 * i)), 0n);
}

export function hexBytes(bytes: readonly number[]): string {
  return bytes.map((b) => b.toString(16).padStart(2, '0')).join('');
}

function min(a: bigint, b: bigint): bigint {
  return a < b ? a : b;
}
