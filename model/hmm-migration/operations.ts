// Operations on the address range: CPU and GPU accesses, mprotect, migrate_vma in both directions, eviction
// of a device-private chunk, and the `maquire` system call. Written from 003_af321b1ea2953044.txt
// ("page 迁移": nv_migrate_vma; "dmirror_device_evict_chunk"; SYSCALL_DEFINE3(maquire, ...)), with the phase
// semantics of migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize as the HMM test driver uses them.
// Every phase and every internal step is a method, so a seeded bug overrides exactly one of them.

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { bool, faultList, int, typedOp, u64, type Signatures } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import { wrapU64 } from '../common/u64.js';
import type { Operation } from '../common/values.js';
import {
  backingAt,
  CHUNK_PAGES,
  DEVICE_GPU,
  initialHmmState,
  liveChunkAt,
  MA_PROC_AMD,
  MA_PROC_NVIDIA,
  MAX_CHUNKS,
  MS_ASYNC,
  MS_SYNC,
  NGPUS,
  NPAGES,
  PAGE_SIZE,
  pagesTouched,
  siteFor,
  type Chunk,
  type HmmState,
  type Location,
} from './state.js';

const page = () => int(0, NPAGES - 1);

export const hmmSignatures = {
  /** A CPU load from the page; a device-private page is first faulted back to system memory (migrate_to_ram). */
  cpuRead: { page: page(), faults: faultList() },
  /** A CPU store of `value` to the page; marks it CPU-dirty. */
  cpuWrite: { page: page(), value: int(0, 255), faults: faultList() },
  /** A GPU load: from its cached copy if it holds one, else from the page (which it then caches). */
  gpuRead: { gpu: int(0, NGPUS - 1), page: page(), faults: faultList() },
  /** A GPU store: written through to the page; the other GPUs' copies are invalidated. */
  gpuWrite: { gpu: int(0, NGPUS - 1), page: page(), value: int(0, 255), faults: faultList() },
  /** mprotect of one page: grant or revoke write permission. */
  protect: { page: page(), writable: bool() },
  /** migrate_vma of pages [first, first + count) from system memory to the device's private memory. */
  migrateToDevice: { first: page(), count: int(1, NPAGES), faults: faultList() },
  /** migrate_vma of pages [first, first + count) from device-private memory back to system memory. */
  migrateToSystem: { first: page(), count: int(1, NPAGES), faults: faultList() },
  /** dmirror_device_evict_chunk of the live chunk at `chunk` (modulo the number live, in id order), then its release. */
  evict: { chunk: int(0, 1023) },
  /** The maquire(start, len, flags) system call. */
  maquire: { start: u64(), len: u64(), flags: int(-2147483648, 2147483647) },
} satisfies Signatures;

export type MigrateTarget = 'device' | 'system';

/** One src/dst pair of a migrate_vma (or migrate_device_range) call, with the MIGRATE_PFN_* bits that matter. */
export interface MigrateEntry {
  readonly page: number;
  readonly src: Location;
  /** MIGRATE_PFN_WRITE of the source entry. */
  readonly write: boolean;
  /** MIGRATE_PFN_MIGRATE: the page is still on its way; cleared when any phase gives up on it. */
  migrate: boolean;
  /** The destination page, once allocated and filled. */
  dst: Location | null;
  /** MIGRATE_PFN_WRITE of the destination entry: the permission the new page-table entry gets. */
  dstWrite: boolean;
}

export interface MigrateOutcome {
  /** Pages whose entry now points at their new page. */
  readonly moved: number;
  /** The driver's allocate-and-copy phase failed as a whole (the to-system path stops at the first failure). */
  readonly error?: string;
}

/** Why a fault back to system memory did not complete. */
type RamFaultError = 'VM_FAULT_OOM' | 'VM_FAULT_RETRY';

export class HmmMigrationModel implements Model<HmmState> {
  initialState(): HmmState {
    return initialHmmState();
  }

  precondition(s: HmmState, op: Operation): boolean {
    const o = typedOp(hmmSignatures, op);
    if (o === undefined) return false;
    switch (o.op) {
      case 'gpuRead': {
        // The programming model of the GPU page cache: a GPU that cached a page the CPU has since written
        // must acquire it (maquire) before reading it again. Programs that race are not generated.
        const entry = s.pages[o.args.page];
        return entry !== undefined && !(entry.cpuDirty && entry.copies[o.args.gpu] !== null);
      }
      case 'migrateToDevice':
      case 'migrateToSystem':
        return o.args.first + o.args.count <= NPAGES;
      case 'evict':
        return s.chunks.size > 0;
      case 'cpuRead':
      case 'cpuWrite':
      case 'gpuWrite':
      case 'protect':
      case 'maquire':
        return true;
    }
  }

  apply(s: HmmState, op: Operation, faults: FaultPlan): Result {
    const o = typedOp(hmmSignatures, op);
    if (o === undefined) return fail('UNKNOWN_OPERATION');
    switch (o.op) {
      case 'cpuRead':
        return this.cpuRead(s, o.args.page, faults);
      case 'cpuWrite': {
        const { page: p, value } = o.args;
        const result = this.cpuWrite(s, p, value, faults);
        if (result.ok) s.lastWritten[p] = value;
        return result;
      }
      case 'gpuRead':
        return this.gpuRead(s, o.args.gpu, o.args.page, faults);
      case 'gpuWrite': {
        const { gpu, page: p, value } = o.args;
        const result = this.gpuWrite(s, gpu, p, value, faults);
        if (result.ok) s.lastWritten[p] = value;
        return result;
      }
      case 'protect':
        return this.protect(s, o.args.page, o.args.writable);
      case 'migrateToDevice':
        return this.migrateToDevice(s, rangeOf(o.args), faults);
      case 'migrateToSystem':
        return this.migrateToSystem(s, rangeOf(o.args), faults);
      case 'evict':
        return this.evict(s, liveChunkAt(s, o.args.chunk));
      case 'maquire':
        return this.maquire(s, o.args.start, o.args.len, o.args.flags);
    }
  }

  // ---- accesses -------------------------------------------------------------------------------------------

  /** A CPU load. A device-private page faults and dev_pagemap_ops.migrate_to_ram brings it back first. */
  cpuRead(s: HmmState, p: number, faults: FaultPlan): Result {
    const error = this.cpuFault(s, p, faults);
    if (error !== undefined) return fail(error);
    const data = this.readPage(s, p);
    return data === undefined ? fail('VM_FAULT_SIGBUS') : ok(data);
  }

  /** A CPU store. The permission is checked first (no migration for a store that cannot happen). */
  cpuWrite(s: HmmState, p: number, value: number, faults: FaultPlan): Result {
    const entry = s.pages[p];
    if (entry === undefined || !entry.writable) return fail('SIGSEGV');
    const error = this.cpuFault(s, p, faults);
    if (error !== undefined) return fail(error);
    if (!this.writePage(s, p, value)) return fail('VM_FAULT_SIGBUS');
    // The page-cache tag PAGECACHE_TAG_CPU_DIRTY that maquire looks for. GPU copies are left alone: they
    // become stale, and it is maquire's job to drop them before a GPU uses the page again.
    entry.cpuDirty = true;
    return ok();
  }

  /** A GPU load: its cached copy if it has one, else the page itself, which it then caches. */
  gpuRead(s: HmmState, gpu: number, p: number, faults: FaultPlan): Result {
    const entry = s.pages[p];
    if (entry === undefined) return fail('-EFAULT');
    const cached = entry.copies[gpu];
    if (cached !== null && cached !== undefined) return ok(cached);
    const error = this.gpuFault(s, gpu, p, faults);
    if (error !== undefined) return fail(error);
    const data = this.readPage(s, p);
    if (data === undefined) return fail('-EFAULT');
    entry.copies[gpu] = data;
    return ok(data);
  }

  /** A GPU store: hmm_range_fault with HMM_PFN_REQ_WRITE, then the write; other GPUs' copies are invalidated. */
  gpuWrite(s: HmmState, gpu: number, p: number, value: number, faults: FaultPlan): Result {
    const entry = s.pages[p];
    if (entry === undefined || !entry.writable) return fail('-EPERM');
    const error = this.gpuFault(s, gpu, p, faults);
    if (error !== undefined) return fail(error);
    if (!this.writePage(s, p, value)) return fail('-EFAULT');
    entry.copies = entry.copies.map((_, g) => (g === gpu ? value : null));
    return ok();
  }

  /** mprotect of one page: changes the write bit of its entry, wherever the page lives. */
  protect(s: HmmState, p: number, writable: boolean): Result {
    const entry = s.pages[p];
    if (entry === undefined) return fail('-ENOMEM');
    entry.writable = writable;
    return ok();
  }

  /** The CPU cannot touch device-private memory: its fault handler migrates the page back to system memory. */
  cpuFault(s: HmmState, p: number, faults: FaultPlan): string | undefined {
    if (s.pages[p]?.loc.kind !== 'device') return undefined;
    return this.faultToRam(s, p, faults);
  }

  /**
   * A GPU reaches system memory and its own device memory directly; device-private memory of another device
   * is not its to touch, so hmm_range_fault faults the page back to system memory first. A failure surfaces
   * as hmm_range_fault's -EFAULT (VM_FAULT_ERROR) or -EBUSY (retry).
   */
  gpuFault(s: HmmState, gpu: number, p: number, faults: FaultPlan): string | undefined {
    if (s.pages[p]?.loc.kind !== 'device' || gpu === DEVICE_GPU) return undefined;
    const error = this.faultToRam(s, p, faults);
    if (error === undefined) return undefined;
    return error === 'VM_FAULT_OOM' ? '-EFAULT' : '-EBUSY';
  }

  /** dmirror_devmem_fault: a one-page migrate_vma to system memory. */
  faultToRam(s: HmmState, p: number, faults: FaultPlan): RamFaultError | undefined {
    const outcome = this.migrateVma(s, [p], 'system', faults);
    if (outcome.error !== undefined) return 'VM_FAULT_OOM';
    // The page was busy (not isolated, or its mapping could not be moved): the access is retried.
    return outcome.moved === 1 ? undefined : 'VM_FAULT_RETRY';
  }

  readPage(s: HmmState, p: number): number | undefined {
    const entry = s.pages[p];
    return entry === undefined ? undefined : backingAt(s, entry.loc)?.value;
  }

  writePage(s: HmmState, p: number, value: number): boolean {
    const entry = s.pages[p];
    const backing = entry === undefined ? undefined : backingAt(s, entry.loc);
    if (backing === undefined) return false;
    backing.value = value;
    return true;
  }

  // ---- migrate_vma ----------------------------------------------------------------------------------------

  /** The HMM_DMIRROR_MIGRATE_TO_DEV path: pages that cannot move stay where they are; returns how many moved. */
  migrateToDevice(s: HmmState, pages: readonly number[], faults: FaultPlan): Result {
    const outcome = this.migrateVma(s, pages, 'device', faults);
    return outcome.error === undefined ? ok(outcome.moved) : fail(outcome.error);
  }

  /** The HMM_DMIRROR_MIGRATE_TO_SYS path; an allocation failure aborts the whole call with -ENOMEM. */
  migrateToSystem(s: HmmState, pages: readonly number[], faults: FaultPlan): Result {
    const outcome = this.migrateVma(s, pages, 'system', faults);
    return outcome.error === undefined ? ok(outcome.moved) : fail(outcome.error);
  }

  /**
   * nv_migrate_vma (003, "page 迁移"): migrate_vma_setup; the driver's allocate-and-copy; only if that
   * succeeded, migrate_vma_pages; and migrate_vma_finalize in every case.
   */
  migrateVma(s: HmmState, pages: readonly number[], target: MigrateTarget, faults: FaultPlan): MigrateOutcome {
    const entries = this.setup(s, pages, target, faults);
    const error = this.allocAndCopy(s, entries, target, faults);
    if (error === undefined) this.migratePages(s, entries, faults);
    else this.abandon(entries);
    this.finalize(s, entries);
    const moved = entries.filter((e) => e.migrate && e.dst !== null).length;
    return error === undefined ? { moved } : { moved, error };
  }

  /**
   * migrate_vma_setup: collect the pages of the range that live in the source memory (MIGRATE_VMA_SELECT_SYSTEM,
   * or SELECT_DEVICE_PRIVATE for the device's own pages), then lock, isolate and unmap each one. A page that
   * cannot be isolated or unmapped loses MIGRATE_PFN_MIGRATE.
   */
  setup(s: HmmState, pages: readonly number[], target: MigrateTarget, faults: FaultPlan): MigrateEntry[] {
    const from = target === 'device' ? 'system' : 'device';
    const entries: MigrateEntry[] = [];
    for (const p of pages) {
      const entry = s.pages[p];
      if (entry === undefined || entry.loc.kind !== from) continue;
      entries.push({ page: p, src: entry.loc, write: entry.writable, migrate: true, dst: null, dstWrite: false });
    }
    for (const e of entries) if (faults.fails(siteFor('migrate_vma_unmap', e.page))) e.migrate = false;
    return entries;
  }

  /**
   * The driver's allocate-and-copy (dmirror_migrate_alloc_and_copy / dmirror_devmem_fault_alloc_and_copy):
   * a destination page for every entry still migrating, filled with the source's data, with MIGRATE_PFN_WRITE
   * carried over. Towards the device a page that gets no destination is simply not migrated; towards system
   * memory the first allocation failure ends the phase with an error.
   */
  allocAndCopy(s: HmmState, entries: MigrateEntry[], target: MigrateTarget, faults: FaultPlan): string | undefined {
    for (const e of entries) {
      if (!e.migrate) continue;
      const dst = target === 'device' ? this.allocDevicePage(s, e.page, faults) : this.allocSystemPage(s, e.page, faults);
      if (dst === undefined) {
        if (target === 'system') return '-ENOMEM';
        continue;
      }
      this.copyPage(s, e.src, dst);
      e.dst = dst;
      e.dstWrite = e.write;
    }
    return undefined;
  }

  /** The driver gives up on the call: no entry goes on to migrate_vma_pages, so none may move. */
  abandon(entries: MigrateEntry[]): void {
    for (const e of entries) e.migrate = false;
  }

  /** migrate_vma_pages: move each page's mapping to its destination; one that cannot be moved stays behind. */
  migratePages(s: HmmState, entries: MigrateEntry[], faults: FaultPlan): void {
    void s;
    for (const e of entries) {
      if (!e.migrate || e.dst === null) continue;
      if (faults.fails(siteFor('migrate_vma_pages', e.page))) e.migrate = false;
    }
  }

  /**
   * migrate_vma_finalize / migrate_device_finalize: a migrated entry's page-table entry now points at the new
   * page with the destination's write permission, and the old page is freed; any other entry gets its old
   * mapping back and its destination page (if one was allocated) is freed.
   */
  finalize(s: HmmState, entries: MigrateEntry[]): void {
    for (const e of entries) {
      const entry = s.pages[e.page];
      if (entry === undefined) continue;
      if (e.migrate && e.dst !== null) {
        entry.loc = e.dst;
        entry.writable = e.dstWrite;
        this.freePage(s, e.src);
      } else if (e.dst !== null) {
        this.freePage(s, e.dst);
      }
    }
  }

  /**
   * dmirror_devmem_alloc_page: a free device-private page of the device, from a new chunk
   * (dmirror_allocate_chunk) when every live chunk is full, none once the device memory is used up.
   */
  allocDevicePage(s: HmmState, p: number, faults: FaultPlan): Location | undefined {
    if (faults.fails(siteFor('dmirror_devmem_alloc_page', p))) return undefined;
    const ids = [...s.chunks.keys()].sort((x, y) => x - y);
    for (const id of ids) {
      const chunk = s.chunks.get(id) as Chunk;
      const slot = chunk.slots.indexOf(null);
      if (slot >= 0) {
        chunk.slots[slot] = { page: p, value: 0 };
        return { kind: 'device', chunk: id, slot };
      }
    }
    if (s.chunks.size >= MAX_CHUNKS) return undefined;
    const chunk = this.allocateChunk(s);
    chunk.slots[0] = { page: p, value: 0 };
    return { kind: 'device', chunk: chunk.id, slot: 0 };
  }

  /** dmirror_allocate_chunk: a new chunk whose pages are all free. */
  allocateChunk(s: HmmState): Chunk {
    const chunk: Chunk = { id: s.nextChunk++, slots: new Array<null>(CHUNK_PAGES).fill(null) };
    s.chunks.set(chunk.id, chunk);
    return chunk;
  }

  /** alloc_page_vma for the to-system direction (its data is whatever the frame held: modelled as 0). */
  allocSystemPage(s: HmmState, p: number, faults: FaultPlan): Location | undefined {
    if (faults.fails(siteFor('alloc_page_vma', p))) return undefined;
    return this.newFrame(s, p);
  }

  newFrame(s: HmmState, p: number): Location {
    const frame = s.nextFrame++;
    s.frames.set(frame, { page: p, value: 0 });
    return { kind: 'system', frame };
  }

  /** copy_highpage. */
  copyPage(s: HmmState, from: Location, to: Location): void {
    const src = backingAt(s, from);
    const dst = backingAt(s, to);
    if (src !== undefined && dst !== undefined) dst.value = src.value;
  }

  /** __free_page for a frame; dmirror_devmem_free (back on the device's free list) for a device page. */
  freePage(s: HmmState, loc: Location): void {
    if (loc.kind === 'system') {
      s.frames.delete(loc.frame);
      return;
    }
    const chunk = s.chunks.get(loc.chunk);
    if (chunk !== undefined) chunk.slots[loc.slot] = null;
  }

  // ---- eviction -------------------------------------------------------------------------------------------

  /**
   * dmirror_device_evict_chunk followed by the chunk's release (dmirror_device_remove_chunks): every page of
   * the chunk comes back to system memory with its data and write permission, then the chunk is gone.
   * Returns how many pages were evicted.
   */
  evict(s: HmmState, chunkId: number): Result {
    const entries = this.collectChunk(s, chunkId);
    for (const e of entries) this.evictCopyPage(s, e);
    this.finalize(s, entries);
    this.releaseChunk(s, chunkId);
    return ok(entries.length);
  }

  /** migrate_device_range over every pfn of the chunk: each page in use becomes an entry. */
  collectChunk(s: HmmState, chunkId: number): MigrateEntry[] {
    const chunk = s.chunks.get(chunkId);
    const entries: MigrateEntry[] = [];
    if (chunk === undefined) return entries;
    for (let slot = 0; slot < CHUNK_PAGES; slot++) {
      const backing = chunk.slots[slot];
      if (backing === null || backing === undefined) continue;
      const writable = s.pages[backing.page]?.writable ?? false;
      entries.push({ page: backing.page, src: { kind: 'device', chunk: chunkId, slot }, write: writable, migrate: true, dst: null, dstWrite: false });
    }
    return entries;
  }

  /** alloc_page(__GFP_NOFAIL), copy_highpage, and MIGRATE_PFN_WRITE carried from src_pfns to dst_pfns. */
  evictCopyPage(s: HmmState, e: MigrateEntry): void {
    const dst = this.newFrame(s, e.page);
    this.copyPage(s, e.src, dst);
    e.dst = dst;
    e.dstWrite = e.write;
  }

  /** memunmap_pages + kfree of the chunk. */
  releaseChunk(s: HmmState, chunkId: number): void {
    s.chunks.delete(chunkId);
  }

  // ---- maquire --------------------------------------------------------------------------------------------

  /**
   * SYSCALL_DEFINE3(maquire, start, len, flags) (003): after the argument checks, every CPU-dirty page of the
   * range has its GPU copies dropped and its dirty tag cleared; the result is how many copies were dropped.
   */
  maquire(s: HmmState, start: bigint, len: bigint, flags: number): Result {
    const error = this.checkMaquireArgs(start, len, flags);
    if (error !== undefined) return fail(error);
    let dropped = 0;
    for (const p of this.acquireRange(start, len)) dropped += this.acquirePage(s, p);
    return ok(dropped);
  }

  /** The checks at the top of maquire, in the seed's order and with the seed's error codes. */
  checkMaquireArgs(start: bigint, len: bigint, flags: number): string | undefined {
    if ((flags & ~(MA_PROC_NVIDIA | MA_PROC_AMD)) !== 0) return '-EINVAL';
    if (start % PAGE_SIZE !== 0n) return '-EINVAL';
    if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return '-EINVAL';
    // `start + len <= start` in unsigned long arithmetic: a zero length, a range that wraps past the top of
    // the address space, and one that ends exactly at 2^64 (its end wraps to 0) all fail with -ENOMEM.
    if (wrapU64(start + len) <= start) return '-ENOMEM';
    return undefined;
  }

  /** The pages of the range: every page a byte of [start, start + len) falls in. */
  acquireRange(start: bigint, len: bigint): number[] {
    return pagesTouched(start, len);
  }

  /** One page of the range: if the CPU dirtied it, drop every GPU copy and clear the tag. Returns copies dropped. */
  acquirePage(s: HmmState, p: number): number {
    const entry = s.pages[p];
    if (entry === undefined || !entry.cpuDirty) return 0;
    const dropped = entry.copies.filter((c) => c !== null).length;
    entry.copies = entry.copies.map(() => null);
    entry.cpuDirty = false;
    return dropped;
  }
}

/** The pages [first, first + count) of a migrate_vma. */
export function rangeOf({ first, count }: { readonly first: number; readonly count: number }): number[] {
  return Array.from({ length: count }, (_, i) => first + i);
}
