// State of one nvgrace-gpu VFIO device: the device memory carved into usemem and resmem, the two fake 64-bit
// BARs that expose them, the emulated BAR registers in config space, the rest of config space, the kernel's
// lazy mappings of device memory and the user mappings made through mmap.
// Source: 001_d5d5d944b120b211.txt and the merged drivers/vfio/pci/nvgrace-gpu/main.c (struct mem_region).

import { hex } from '../common/u64.js';
import type { DeviceRegion, MemType } from './host-mapping.js';

/** MEMBLK_SIZE: usemem is a whole number of these (an ABI value shared with the GPU firmware and guest driver). */
export const MEMBLK_SIZE = 512n * 1024n * 1024n;
/** The size carved out of the end of device memory for resmem before usemem is rounded to MEMBLK_SIZE. */
export const RESMEM_SIZE = 1024n * 1024n * 1024n;
export const PAGE_SIZE = 4096n;
export const PAGE_SHIFT = 12n;
/** VFIO_PCI_OFFSET_SHIFT: a region's offsets occupy the low 40 bits of the device file position. */
export const VFIO_PCI_OFFSET_SHIFT = 40n;
export const VFIO_PCI_OFFSET_MASK = (1n << VFIO_PCI_OFFSET_SHIFT) - 1n;
/** Page offsets inside one region in vma->vm_pgoff. */
export const VFIO_PCI_PGOFF_MASK = (1n << (VFIO_PCI_OFFSET_SHIFT - PAGE_SHIFT)) - 1n;
/** LLONG_MAX: the largest loff_t. */
export const LOFF_MAX = (1n << 63n) - 1n;
/** MAX_RW_COUNT (INT_MAX & PAGE_MASK): vfs_read/vfs_write never pass more to the driver. */
export const MAX_RW_COUNT = 0x7fff_f000n;
/** Region indices of the fake BARs (VFIO_PCI_BAR2_REGION_INDEX, VFIO_PCI_BAR4_REGION_INDEX). */
export const RESMEM_REGION_INDEX = 2;
export const USEMEM_REGION_INDEX = 4;
/** Config-space offsets of the emulated 64-bit BAR registers (PCI_BASE_ADDRESS_2, PCI_BASE_ADDRESS_4). */
export const PCI_BASE_ADDRESS_2 = 0x18;
export const PCI_BASE_ADDRESS_4 = 0x20;
export const BAR_REGISTER_BYTES = 8;
/** PCI_BASE_ADDRESS_MEM_TYPE_64 | PCI_BASE_ADDRESS_MEM_PREFETCH (bit 0 = 0: memory space). */
export const BAR_FLAGS = 0x4n | 0x8n;
/** pdev->cfg_size of a PCI Express function. */
export const PCI_CFG_SPACE_EXP_SIZE = 4096;

/** VFIO_PCI_ROM_REGION_INDEX, VFIO_PCI_CONFIG_REGION_INDEX and VFIO_PCI_NUM_REGIONS (BAR0..5, ROM, config, VGA). */
export const VFIO_PCI_ROM_REGION_INDEX = 6;
export const CONFIG_REGION_INDEX = 7;
export const VFIO_PCI_NUM_REGIONS = 9;

export type BarName = 'BAR2' | 'BAR4';

/**
 * The upstream versions specified (SubsystemSpec.versions in index.ts). They differ in one rule: since upstream
 * commit 6a9eb2d125ba the usemem BAR size is roundup_pow_of_two(device memory - 1 GiB), taken before usemem is
 * rounded down to MEMBLK_SIZE; before it, the BAR size was taken from the rounded-down usemem.
 */
export const NVGRACE_VERSIONS = ['linux-6a9eb2d', 'before-6a9eb2d'] as const;
export type NvgraceVersion = (typeof NVGRACE_VERSIONS)[number];
export const DEFAULT_NVGRACE_VERSION: NvgraceVersion = 'linux-6a9eb2d';

export function nvgraceVersion(name: string | undefined): NvgraceVersion {
  if (name === undefined) return DEFAULT_NVGRACE_VERSION;
  const v = NVGRACE_VERSIONS.find((x) => x === name);
  if (v === undefined) throw new Error(`unknown nvgrace-gpu specification version "${name}" (known: ${NVGRACE_VERSIONS.join(', ')})`);
  return v;
}

/** One write into device memory: bytes [start, end) hold (seed + (x - start)) & 0xff at offset x. */
export interface Extent {
  readonly start: bigint;
  readonly end: bigint;
  readonly seed: number;
}

export interface MemRegion {
  readonly name: DeviceRegion;
  /** memphys: host physical base of the region. */
  readonly memphys: bigint;
  /** memlength: bytes of real device memory in the region. */
  readonly memlength: bigint;
  /** bar_size: the size the fake BAR reports. */
  readonly barSize: bigint;
  /** bar_val: the emulated BAR register as a 64-bit value (its bytes are little-endian in config space). */
  barVal: bigint;
  /** Whether the driver has memremap'ed (usemem) or ioremap_wc'ed (resmem) the region for read/write. */
  kernelMapped: boolean;
  /** Writes that reached device memory, oldest first (later ones win where they overlap). */
  writes: Extent[];
}

/** A user mapping established by mmap of a region. */
export interface UserMapping {
  readonly region: DeviceRegion;
  /** Offset of the mapping inside the region (vm_pgoff << PAGE_SHIFT). */
  readonly offset: bigint;
  readonly length: bigint;
  /** Host physical address of the first mapped page. */
  readonly phys: bigint;
  /** Memory type of the VMA's page protection. */
  readonly pgprot: MemType;
  readonly allowAnyUncached: boolean;
}

export interface NvgraceState {
  /** The upstream version whose rules the device follows (fixed when the model is created). */
  readonly version: NvgraceVersion;
  /** 'none' before probe; 'nvgrace' with the fake BARs; 'vfio-pci-core' when the driver fell back (no device memory properties). */
  mode: 'none' | 'nvgrace' | 'vfio-pci-core';
  usemem: MemRegion | null;
  resmem: MemRegion | null;
  /** Config-space bytes outside the emulated registers, as vfio-pci-core keeps them (absent bytes read as 0). */
  config: Map<number, number>;
  mappings: UserMapping[];
}

export function initialNvgraceState(version: NvgraceVersion = DEFAULT_NVGRACE_VERSION): NvgraceState {
  return { version, mode: 'none', usemem: null, resmem: null, config: new Map(), mappings: [] };
}

export function snapshotNvgrace(s: NvgraceState): NvgraceState {
  const region = (r: MemRegion | null): MemRegion | null => (r === null ? null : { ...r, writes: [...r.writes] });
  return {
    version: s.version,
    mode: s.mode,
    usemem: region(s.usemem),
    resmem: region(s.resmem),
    config: new Map(s.config),
    mappings: [...s.mappings],
  };
}

/**
 * Device memory no write has reached holds whatever was there before; the model gives it a known pattern so that
 * reads of it are checkable and distinguishable from the all-ones of the BAR padding (offset 0 reads 0x5a in
 * usemem and 0xa5 in resmem, and each next byte one more, modulo 256).
 */
export function initialSalt(region: DeviceRegion): number {
  return region === 'usemem' ? 0x5a : 0xa5;
}

/** The byte the model's store holds at `offset` of a region (offsets at or beyond memlength have no device byte). */
export function storedByte(region: { readonly name: DeviceRegion; readonly writes: readonly Extent[] }, offset: bigint): number {
  for (let i = region.writes.length - 1; i >= 0; i--) {
    const w = region.writes[i] as Extent;
    if (offset >= w.start && offset < w.end) return Number((BigInt(w.seed) + offset - w.start) & 0xffn);
  }
  return Number((BigInt(initialSalt(region.name)) + offset) & 0xffn);
}

export function regionOf(s: NvgraceState, bar: BarName): MemRegion | null {
  return bar === 'BAR2' ? s.resmem : s.usemem;
}

export function regionIndex(bar: BarName): number {
  return bar === 'BAR2' ? RESMEM_REGION_INDEX : USEMEM_REGION_INDEX;
}

/** The 64-bit value a guest reads from an emulated BAR register: address bits above the size, plus the flags. */
export function barRegisterImage(barVal: bigint, barSize: bigint): bigint {
  return (barVal & ~(barSize - 1n) & ((1n << 64n) - 1n)) | BAR_FLAGS;
}

export function describeNvgrace(s: NvgraceState): string {
  if (s.mode === 'none') return 'not probed';
  if (s.mode === 'vfio-pci-core') return 'no device memory properties: plain vfio-pci-core device';
  const r = (x: MemRegion | null) =>
    x === null
      ? ''
      : `${x.name}: memlength=${hex(x.memlength)} bar_size=${hex(x.barSize)} bar_val=${hex(x.barVal)}` +
        `${x.kernelMapped ? ' kmapped' : ''}${x.writes.length > 0 ? ` writes=${x.writes.length}` : ''}`;
  const maps = s.mappings.map((m) => `${m.region}[${hex(m.offset)}+${hex(m.length)}]:${m.pgprot}`);
  return `${r(s.usemem)}; ${r(s.resmem)}${maps.length > 0 ? `; mmaps ${maps.join(' ')}` : ''}${s.config.size > 0 ? `; cfg bytes=${s.config.size}` : ''}`;
}
