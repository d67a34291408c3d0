// State of a small process address range whose pages move between system memory and the device-private
// memory of a GPU (HMM migration), and which GPUs may cache (the GPU page cache that `maquire` keeps coherent).
// Source: 003_af321b1ea2953044.txt, sections "page 迁移" (nv_migrate_vma), "dmirror_device_evict_chunk" and the
// SYSCALL_DEFINE3(maquire, ...) listing.

import { hex } from '../common/u64.js';

export const PAGE_SIZE = 4096n;
/** Pages in the modelled range. */
export const NPAGES = 5;
/** Address of the first page (page aligned). */
export const BASE = 0x7f0000400000n;
/** End of the range (exclusive). */
export const RANGE_END = BASE + BigInt(NPAGES) * PAGE_SIZE;
/** GPUs that may hold a copy of a page. GPU 0 also owns the device-private memory (the dmirror device). */
export const NGPUS = 2;
export const DEVICE_GPU = 0;
/** Pages per device-private chunk (DEVMEM_CHUNK_SIZE / PAGE_SIZE, scaled down). */
export const CHUNK_PAGES = 2;
/** Chunks the device can have at once: its device memory. */
export const MAX_CHUNKS = 2;

/** maquire flags (ucm.h) and the msync flags its check also tests. */
export const MA_PROC_NVIDIA = 0x10;
export const MA_PROC_AMD = 0x20;
export const MS_ASYNC = 0x1;
export const MS_SYNC = 0x4;

/** Contents a page holds before anything writes it: distinct per page, so a copy from the wrong page shows. */
export function initialValue(page: number): number {
  return 0xa0 + page;
}

/** Where a page's data lives: a system-memory frame, or one slot of a device-private chunk. */
export type Location =
  | { readonly kind: 'system'; readonly frame: number }
  | { readonly kind: 'device'; readonly chunk: number; readonly slot: number };

/** One physical page (a system frame or a device-private page's backing): which virtual page it holds, and its data. */
export interface Backing {
  page: number;
  value: number;
}

export interface Chunk {
  readonly id: number;
  /** One entry per device-private page of the chunk: the data it backs, or null while the page is free. */
  slots: (Backing | null)[];
}

export interface PageEntry {
  /** What the CPU page-table entry (or device-private swap entry) points at. */
  loc: Location;
  /** Write permission of the entry (MIGRATE_PFN_WRITE when it is migrated). */
  writable: boolean;
  /** PAGECACHE_TAG_CPU_DIRTY: the CPU has written the page since the last maquire over it. */
  cpuDirty: boolean;
  /** Per GPU, the value of its cached copy of the page, or null when it holds none. */
  copies: (number | null)[];
}

export interface HmmState {
  pages: PageEntry[];
  /** System-memory frames in use, by frame number. */
  frames: Map<number, Backing>;
  nextFrame: number;
  /** Live device-private chunks of the device, by chunk id. */
  chunks: Map<number, Chunk>;
  nextChunk: number;
  /** The specification's record: the last value successfully written to each page (not kernel state). */
  lastWritten: number[];
}

export function initialHmmState(): HmmState {
  const frames = new Map<number, Backing>();
  const pages: PageEntry[] = [];
  for (let p = 0; p < NPAGES; p++) {
    frames.set(p + 1, { page: p, value: initialValue(p) });
    pages.push({ loc: { kind: 'system', frame: p + 1 }, writable: true, cpuDirty: false, copies: new Array<number | null>(NGPUS).fill(null) });
  }
  return {
    pages,
    frames,
    nextFrame: NPAGES + 1,
    chunks: new Map(),
    nextChunk: 0,
    lastWritten: pages.map((_, p) => initialValue(p)),
  };
}

export function pageAddress(page: number): bigint {
  return BASE + BigInt(page) * PAGE_SIZE;
}

/** The physical page a location names, or undefined when it names nothing live (a freed frame or chunk). */
export function backingAt(s: HmmState, loc: Location): Backing | undefined {
  if (loc.kind === 'system') return s.frames.get(loc.frame);
  return s.chunks.get(loc.chunk)?.slots[loc.slot] ?? undefined;
}

export function sameLocation(a: Location, b: Location): boolean {
  if (a.kind === 'system') return b.kind === 'system' && a.frame === b.frame;
  return b.kind === 'device' && a.chunk === b.chunk && a.slot === b.slot;
}

/** Every live physical page that says it holds `page`. */
export function backingsOf(s: HmmState, page: number): Location[] {
  const out: Location[] = [];
  for (const [frame, b] of s.frames) if (b.page === page) out.push({ kind: 'system', frame });
  for (const chunk of s.chunks.values())
    chunk.slots.forEach((b, slot) => {
      if (b !== null && b.page === page) out.push({ kind: 'device', chunk: chunk.id, slot });
    });
  return out;
}

/**
 * The pages a maquire over [start, start + len) covers: every page that any byte of the range touches
 * (start is page aligned and the range does not wrap once the argument checks have passed).
 */
export function pagesTouched(start: bigint, len: bigint): number[] {
  const end = start + len;
  const out: number[] = [];
  for (let p = 0; p < NPAGES; p++) {
    const at = pageAddress(p);
    if (at < end && at + PAGE_SIZE > start) out.push(p);
  }
  return out;
}

/** The live chunk an `evict` argument names: index modulo the number of live chunks, in id order. */
export function liveChunkAt(s: HmmState, index: number): number {
  const ids = [...s.chunks.keys()].sort((x, y) => x - y);
  return ids[index % ids.length] as number;
}

/** Fault sites name the page they concern with this suffix, so invariants can tell which page failed. */
export function siteFor(kernelFunction: string, page: number): string {
  return `${kernelFunction}:p${page}`;
}

export function pageOfSite(site: string): number | undefined {
  const m = /:p(\d+)$/.exec(site);
  return m === null ? undefined : Number(m[1]);
}

export function snapshotHmm(s: HmmState): HmmState {
  return {
    pages: s.pages.map((p) => ({ loc: { ...p.loc }, writable: p.writable, cpuDirty: p.cpuDirty, copies: [...p.copies] })),
    frames: new Map([...s.frames].map(([f, b]) => [f, { ...b }])),
    nextFrame: s.nextFrame,
    chunks: new Map([...s.chunks].map(([id, c]) => [id, { id: c.id, slots: c.slots.map((b) => (b === null ? null : { ...b })) }])),
    nextChunk: s.nextChunk,
    lastWritten: [...s.lastWritten],
  };
}

function describeLocation(loc: Location): string {
  return loc.kind === 'system' ? `sys#${loc.frame}` : `dev c${loc.chunk}[${loc.slot}]`;
}

function byte(v: number): string {
  return '0x' + v.toString(16).padStart(2, '0');
}

export function describeHmm(s: HmmState): string {
  const pages = s.pages.map((p, i) => {
    const b = backingAt(s, p.loc);
    const copies = p.copies.map((c, g) => (c === null ? '' : `g${g}:${byte(c)}`)).filter((x) => x !== '');
    return (
      `p${i}@${describeLocation(p.loc)}=${b === undefined ? 'FREED' : byte(b.value)}` +
      (p.writable ? ' rw' : ' ro') +
      (p.cpuDirty ? ' dirty' : '') +
      (copies.length > 0 ? ` {${copies.join(' ')}}` : '')
    );
  });
  const chunks = [...s.chunks.values()].map((c) => `c${c.id}[${c.slots.map((b) => (b === null ? '-' : 'p' + b.page)).join(' ')}]`);
  return `${pages.join(' | ')} ; chunks ${chunks.length === 0 ? 'none' : chunks.join(' ')} ; range ${hex(BASE)}..${hex(RANGE_END)}`;
}
