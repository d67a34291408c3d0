// Seeded bugs in HMM migration, eviction and maquire: each overrides exactly one method of the specification,
// the way such code really goes wrong, and names the invariant that must catch it.

import { U64_MAX, wrapU64 } from '../../model/common/u64.js';
import type { FaultPlan } from '../../model/common/faults.js';
import { fail, ok, type Result } from '../../model/common/result.js';
import {
  backingAt,
  BASE,
  CHUNK_PAGES,
  DEVICE_GPU,
  HmmMigrationModel,
  MA_PROC_AMD,
  MA_PROC_NVIDIA,
  MS_ASYNC,
  MAX_CHUNKS,
  MS_SYNC,
  NPAGES,
  PAGE_SIZE,
  pageAddress,
  siteFor,
  type Backing,
  type HmmState,
  type Chunk,
  type Location,
  type MigrateEntry,
  type MigrateTarget,
} from '../../model/hmm-migration/index.js';
import type { MutantDef } from '../harness/suite.js';

/** The driver allocates the device page but never copies into it (copy_highpage forgotten). */
class MigrateSkipsCopy extends HmmMigrationModel {
  override copyPage(s: HmmState, from: Location, to: Location): void {
    if (to.kind === 'device') return;
    super.copyPage(s, from, to);
  }
}

/** Finalize installs the new page but does not carry the page-cache CPU-dirty tag over to it. */
class MigrationLosesDirtyTag extends HmmMigrationModel {
  override finalize(s: HmmState, entries: MigrateEntry[]): void {
    super.finalize(s, entries);
    for (const e of entries) {
      const entry = s.pages[e.page];
      if (entry !== undefined && e.migrate && e.dst !== null) entry.cpuDirty = false;
    }
  }
}

/** Finalize restores a failed entry's old mapping but never frees its destination page: the page is half-moved. */
class FailedEntryKeepsDestination extends HmmMigrationModel {
  override finalize(s: HmmState, entries: MigrateEntry[]): void {
    super.finalize(s, entries.filter((e) => e.migrate || e.dst === null));
  }
}

/** Finalize looks only at the destination, not at MIGRATE_PFN_MIGRATE: a page that failed migrate_vma_pages moves anyway. */
class FinalizeIgnoresMigrateFlag extends HmmMigrationModel {
  override finalize(s: HmmState, entries: MigrateEntry[]): void {
    for (const e of entries) if (e.dst !== null) e.migrate = true;
    super.finalize(s, entries);
  }
}

/** Finalize switches a migrated page to its new page but does not free the old one. */
class MigratedKeepsSource extends HmmMigrationModel {
  override finalize(s: HmmState, entries: MigrateEntry[]): void {
    const sources: [Location, Backing][] = [];
    for (const e of entries) {
      const held = backingAt(s, e.src);
      if (e.migrate && e.dst !== null && held !== undefined) sources.push([e.src, { ...held }]);
    }
    super.finalize(s, entries);
    for (const [loc, held] of sources) {
      if (loc.kind === 'system') s.frames.set(loc.frame, held);
      else {
        const chunk = s.chunks.get(loc.chunk);
        if (chunk !== undefined) chunk.slots[loc.slot] = held;
      }
    }
  }
}

/** Eviction allocates the system page but forgets copy_highpage. */
class EvictWithoutCopy extends HmmMigrationModel {
  override evictCopyPage(s: HmmState, e: MigrateEntry): void {
    e.dst = this.newFrame(s, e.page);
    e.dstWrite = e.write;
  }
}

/** Eviction never sets MIGRATE_PFN_WRITE in dst_pfns: every evicted page comes back read-only. */
class EvictDropsWriteFlag extends HmmMigrationModel {
  override evictCopyPage(s: HmmState, e: MigrateEntry): void {
    super.evictCopyPage(s, e);
    e.dstWrite = false;
  }
}

/** Eviction counts npages = end_pfn - start_pfn (no + 1): the chunk's last page is never collected. */
class EvictSkipsLastPage extends HmmMigrationModel {
  override collectChunk(s: HmmState, chunkId: number): MigrateEntry[] {
    return super.collectChunk(s, chunkId).filter((e) => e.src.kind !== 'device' || e.src.slot < CHUNK_PAGES - 1);
  }
}

/** maquire tests `start + len > ULONG_MAX` as if the sum could not wrap: len 0 and a range ending at 2^64 pass. */
class MaquireWrapCheckOverflows extends HmmMigrationModel {
  override checkMaquireArgs(start: bigint, len: bigint, flags: number): string | undefined {
    if ((flags & ~(MA_PROC_NVIDIA | MA_PROC_AMD)) !== 0) return '-EINVAL';
    if (start % PAGE_SIZE !== 0n) return '-EINVAL';
    if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return '-EINVAL';
    if (start + len > U64_MAX + 1n) return '-ENOMEM';
    return undefined;
  }
}

/** maquire's flag mask also lets the msync bits through. */
class MaquireAcceptsMsyncFlags extends HmmMigrationModel {
  override checkMaquireArgs(start: bigint, len: bigint, flags: number): string | undefined {
    if ((flags & ~(MA_PROC_NVIDIA | MA_PROC_AMD | MS_ASYNC | MS_SYNC)) !== 0) return '-EINVAL';
    if (start % PAGE_SIZE !== 0n) return '-EINVAL';
    if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return '-EINVAL';
    if (wrapU64(start + len) <= start) return '-ENOMEM';
    return undefined;
  }
}

/** maquire forgets offset_in_page(start). */
class MaquireAcceptsUnalignedStart extends HmmMigrationModel {
  override checkMaquireArgs(start: bigint, len: bigint, flags: number): string | undefined {
    if ((flags & ~(MA_PROC_NVIDIA | MA_PROC_AMD)) !== 0) return '-EINVAL';
    if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return '-EINVAL';
    if (wrapU64(start + len) <= start) return '-ENOMEM';
    return undefined;
  }
}

/** maquire drops the GPU copies but forgets radix_tree_tag_clear(PAGECACHE_TAG_CPU_DIRTY). */
class MaquireKeepsDirtyTag extends HmmMigrationModel {
  override acquirePage(s: HmmState, p: number): number {
    const dirty = s.pages[p]?.cpuDirty ?? false;
    const dropped = super.acquirePage(s, p);
    const entry = s.pages[p];
    if (entry !== undefined && dirty) entry.cpuDirty = true;
    return dropped;
  }
}

/** maquire counts the GPU copies of every page of the range, clean or not (it drops only the stale ones). */
class MaquireCountsCleanPages extends HmmMigrationModel {
  override acquirePage(s: HmmState, p: number): number {
    const entry = s.pages[p];
    const held = entry === undefined ? 0 : entry.copies.filter((c) => c !== null).length;
    const dropped = super.acquirePage(s, p);
    return Math.max(dropped, held);
  }
}

/** maquire drops the GPU copies of every page of the range, clean ones included. */
class MaquireDropsCleanCopies extends HmmMigrationModel {
  override acquirePage(s: HmmState, p: number): number {
    const entry = s.pages[p];
    if (entry !== undefined && !entry.cpuDirty) {
      entry.copies = entry.copies.map(() => null);
      return 0;
    }
    return super.acquirePage(s, p);
  }
}

/** maquire drops only GPU_NVIDIA's copy (the seed's single pagecache_get_gpu_page lookup) yet clears the tag. */
class MaquireDropsOnlyFirstGpu extends HmmMigrationModel {
  override acquirePage(s: HmmState, p: number): number {
    const entry = s.pages[p];
    if (entry === undefined || !entry.cpuDirty) return 0;
    const dropped = entry.copies[0] !== null ? 1 : 0;
    entry.copies[0] = null;
    entry.cpuDirty = false;
    return dropped;
  }
}

/** maquire walks pages up to (start + len) / PAGE_SIZE + 1 inclusive, as the seed's `end` does: one page too far. */
class MaquireSeedEndBound extends HmmMigrationModel {
  override acquireRange(start: bigint, len: bigint): number[] {
    const end = start + len;
    const out: number[] = [];
    for (let p = 0; p < NPAGES; p++) {
      const at = pageAddress(p);
      if (at + PAGE_SIZE > start && end >= BASE && BigInt(p) <= (end - BASE) / PAGE_SIZE + 1n) out.push(p);
    }
    return out;
  }
}

/** dmirror_devmem_alloc_page compares the chunk count with `>`: a third chunk is created past the device's memory. */
class AllocChunkPastCapacity extends HmmMigrationModel {
  override allocDevicePage(s: HmmState, p: number, faults: FaultPlan): Location | undefined {
    if (faults.fails(siteFor('dmirror_devmem_alloc_page', p))) return undefined;
    for (const chunk of [...s.chunks.values()].sort((x, y) => x.id - y.id)) {
      const slot = chunk.slots.indexOf(null);
      if (slot >= 0) {
        chunk.slots[slot] = { page: p, value: 0 };
        return { kind: 'device', chunk: chunk.id, slot };
      }
    }
    if (s.chunks.size > MAX_CHUNKS) return undefined;
    const chunk: Chunk = this.allocateChunk(s);
    chunk.slots[0] = { page: p, value: 0 };
    return { kind: 'device', chunk: chunk.id, slot: 0 };
  }
}

/** dmirror_migrate_alloc_and_copy sets MIGRATE_PFN_WRITE on every destination: a read-only page is writable once on the device. */
class ToDeviceGrantsWrite extends HmmMigrationModel {
  override allocAndCopy(s: HmmState, entries: MigrateEntry[], target: MigrateTarget, faults: FaultPlan): string | undefined {
    const error = super.allocAndCopy(s, entries, target, faults);
    if (target === 'device') for (const e of entries) if (e.dst !== null) e.dstWrite = true;
    return error;
  }
}

/** The to-system copy (dmirror_devmem_fault_alloc_and_copy) never carries MIGRATE_PFN_WRITE: every page comes back read-only. */
class ToSystemDropsWrite extends HmmMigrationModel {
  override allocAndCopy(s: HmmState, entries: MigrateEntry[], target: MigrateTarget, faults: FaultPlan): string | undefined {
    const error = super.allocAndCopy(s, entries, target, faults);
    if (target === 'system') for (const e of entries) e.dstWrite = false;
    return error;
  }
}

/** mprotect changes present entries only and skips device-private swap entries (no make_readable_device_private_entry). */
class ProtectSkipsDevicePrivatePages extends HmmMigrationModel {
  override protect(s: HmmState, p: number, writable: boolean): Result {
    if (s.pages[p]?.loc.kind === 'device') return ok();
    return super.protect(s, p, writable);
  }
}

/** The CPU fault path runs migrate_to_ram for a device-private page before it checks the write permission, then stores. */
class CpuStoreMigratesReadOnlyPage extends HmmMigrationModel {
  override cpuWrite(s: HmmState, p: number, value: number, faults: FaultPlan): Result {
    const entry = s.pages[p];
    if (entry === undefined || entry.loc.kind !== 'device') return super.cpuWrite(s, p, value, faults);
    const error = this.cpuFault(s, p, faults);
    if (error !== undefined) return fail(error);
    if (!this.writePage(s, p, value)) return fail('VM_FAULT_SIGBUS');
    entry.cpuDirty = true;
    return ok();
  }
}

/** The owning device stores to its own device-private page through its mirror without checking the write tag (mprotect not honoured). */
class DeviceGpuWritesReadOnlyPage extends HmmMigrationModel {
  override gpuWrite(s: HmmState, gpu: number, p: number, value: number, faults: FaultPlan): Result {
    const entry = s.pages[p];
    if (entry === undefined || gpu !== DEVICE_GPU || entry.loc.kind !== 'device') return super.gpuWrite(s, gpu, p, value, faults);
    if (!this.writePage(s, p, value)) return fail('-EFAULT');
    entry.copies = entry.copies.map((_, g) => (g === gpu ? value : null));
    return ok();
  }
}

/** hmm_range_fault is given the device's dev_private_owner for every GPU: GPU 1 uses GPU 0's device-private memory in place. */
class PeerGpuUsesDeviceMemoryInPlace extends HmmMigrationModel {
  override gpuFault(s: HmmState, gpu: number, p: number, faults: FaultPlan): string | undefined {
    void s;
    void gpu;
    void p;
    void faults;
    return undefined;
  }
}

/** migrate_to_ram marks the page it brings back CPU-dirty, as if the CPU had stored to it, even for a load. */
class FaultBackMarksPageDirty extends HmmMigrationModel {
  override faultToRam(s: HmmState, p: number, faults: FaultPlan): 'VM_FAULT_OOM' | 'VM_FAULT_RETRY' | undefined {
    const error = super.faultToRam(s, p, faults);
    const entry = s.pages[p];
    if (error === undefined && entry !== undefined) entry.cpuDirty = true;
    return error;
  }
}

/** The driver passes migrate_vma_setup an end one page short: the last page of the range is never collected. */
class MigrateRangeOneShort extends HmmMigrationModel {
  override setup(s: HmmState, pages: readonly number[], target: MigrateTarget, faults: FaultPlan): MigrateEntry[] {
    return super.setup(s, pages.slice(0, -1), target, faults);
  }
}

/** Finalize's restore path rebuilds a failed entry without its page-cache tag: the page loses PAGECACHE_TAG_CPU_DIRTY. */
class FailedMigrationDropsDirtyTag extends HmmMigrationModel {
  override finalize(s: HmmState, entries: MigrateEntry[]): void {
    super.finalize(s, entries);
    for (const e of entries) {
      const entry = s.pages[e.page];
      if (entry !== undefined && !(e.migrate && e.dst !== null)) entry.cpuDirty = false;
    }
  }
}

/** Finalize drops every GPU's cached copy of a page it moves to the device, as if the GPUs would now read device memory instead. */
class FinalizeDropsGpuCopies extends HmmMigrationModel {
  override finalize(s: HmmState, entries: MigrateEntry[]): void {
    super.finalize(s, entries);
    for (const e of entries) {
      const entry = s.pages[e.page];
      if (entry !== undefined && e.migrate && e.dst?.kind === 'device') entry.copies = entry.copies.map(() => null);
    }
  }
}

/** Eviction reports the chunk's size (npages), not the pages it brought back. */
class EvictReportsChunkSize extends HmmMigrationModel {
  override evict(s: HmmState, chunkId: number): Result {
    const result = super.evict(s, chunkId);
    return result.ok ? ok(CHUNK_PAGES) : result;
  }
}

/** The GPU page-cache lookup is by page only: a GPU with no copy of its own is handed another GPU's copy, stale or not. */
class GpuCacheLookupIgnoresGpu extends HmmMigrationModel {
  override gpuRead(s: HmmState, gpu: number, p: number, faults: FaultPlan): Result {
    const entry = s.pages[p];
    const other = entry?.copies.find((c) => c !== null);
    if (entry === undefined || entry.copies[gpu] !== null || other === undefined || other === null) return super.gpuRead(s, gpu, p, faults);
    entry.copies[gpu] = other;
    return ok(other);
  }
}

const mutant = (
  name: string,
  property: string,
  breaks: string,
  minimalLength: number,
  description: string,
  Model: new () => HmmMigrationModel,
): MutantDef<HmmState> => ({ name, property, breaks, minimalLength, description, createModel: () => new Model() });

export const hmmMutants: readonly MutantDef<HmmState>[] = [
  mutant('migrateSkipsCopy', 'hmmLifecycle', 'readReturnsLastWrite', 1, 'the device page is allocated but copy_highpage is skipped', MigrateSkipsCopy),
  mutant('migrationLosesDirtyTag', 'hmmLifecycle', 'readReturnsLastWrite', 3, 'finalize does not carry the CPU-dirty tag to the new page, so a stale GPU copy looks current', MigrationLosesDirtyTag),
  mutant('gpuCacheLookupIgnoresGpu', 'maquireSession', 'readReturnsLastWrite', 3, "a GPU without its own copy of a page is handed another GPU's copy, stale after a CPU store", GpuCacheLookupIgnoresGpu),
  mutant('maquireDropsOnlyFirstGpu', 'maquireSession', 'readReturnsLastWrite', 3, "maquire drops only GPU 0's copy yet clears the dirty tag", MaquireDropsOnlyFirstGpu),
  mutant('failedEntryKeepsDestination', 'hmmLifecycle', 'failedMigrationLeavesPageInPlace', 1, "finalize restores a failed entry but leaves its destination page allocated (half-moved)", FailedEntryKeepsDestination),
  mutant('finalizeIgnoresMigrateFlag', 'hmmLifecycle', 'failedMigrationLeavesPageInPlace', 1, 'finalize moves every entry with a destination, even one migrate_vma_pages gave up on', FinalizeIgnoresMigrateFlag),
  mutant('migratedKeepsSource', 'hmmLifecycle', 'noPageInTwoPlacesAtOnce', 1, 'finalize does not free the old system page of a page it moved', MigratedKeepsSource),
  mutant('evictWithoutCopy', 'evictionCycle', 'evictionPreservesContents', 2, 'eviction allocates the system page but skips copy_highpage', EvictWithoutCopy),
  mutant('evictDropsWriteFlag', 'evictionCycle', 'evictionKeepsWritePermission', 2, 'eviction never sets MIGRATE_PFN_WRITE in dst_pfns', EvictDropsWriteFlag),
  mutant('evictSkipsLastPage', 'evictionCycle', 'evictionFreesTheChunk', 2, 'eviction walks end_pfn - start_pfn pages (no + 1) and releases the chunk anyway', EvictSkipsLastPage),
  mutant('maquireWrapCheckOverflows', 'maquireSession', 'maquireRejectsBadArguments', 1, 'the wrap check tests start + len > ULONG_MAX as if the sum could not wrap', MaquireWrapCheckOverflows),
  mutant('maquireAcceptsMsyncFlags', 'maquireSession', 'maquireRejectsBadArguments', 1, "maquire's flag mask lets MS_ASYNC / MS_SYNC through", MaquireAcceptsMsyncFlags),
  mutant('maquireAcceptsUnalignedStart', 'maquireSession', 'maquireRejectsBadArguments', 1, 'maquire forgets the offset_in_page(start) check', MaquireAcceptsUnalignedStart),
  mutant('maquireKeepsDirtyTag', 'maquireSession', 'maquireDropsEveryStaleGpuCopy', 2, 'maquire drops the GPU copies but forgets radix_tree_tag_clear(PAGECACHE_TAG_CPU_DIRTY)', MaquireKeepsDirtyTag),
  mutant('maquireCountsCleanPages', 'maquireSession', 'maquireCountIsExact', 2, "maquire counts clean pages' GPU copies in its result", MaquireCountsCleanPages),
  mutant('maquireDropsCleanCopies', 'maquireSession', 'maquireLeavesCleanPagesAlone', 2, "maquire drops clean pages' GPU copies too", MaquireDropsCleanCopies),
  mutant('allocChunkPastCapacity', 'evictionCycle', 'deviceMemoryWithinCapacity', 1, 'dmirror_devmem_alloc_page tests chunks > MAX (not >=) and creates a chunk past the device memory', AllocChunkPastCapacity),
  mutant('toDeviceGrantsWrite', 'protectionCycle', 'migrationKeepsWritePermission', 2, 'the to-device copy sets MIGRATE_PFN_WRITE on every destination: a read-only page becomes writable on the device', ToDeviceGrantsWrite),
  mutant('toSystemDropsWrite', 'protectionCycle', 'migrationKeepsWritePermission', 2, 'the to-system copy (migrate_to_ram and HMM_DMIRROR_MIGRATE_TO_SYS) never carries MIGRATE_PFN_WRITE: pages come back read-only', ToSystemDropsWrite),
  mutant('protectSkipsDevicePrivatePages', 'protectionCycle', 'protectSetsWritePermission', 2, 'mprotect skips device-private entries: a page on the device keeps its old write permission', ProtectSkipsDevicePrivatePages),
  mutant('cpuStoreMigratesReadOnlyPage', 'protectionCycle', 'storeToReadOnlyPageFaults', 3, 'a CPU store to a read-only device-private page migrates it back and stores instead of SIGSEGV', CpuStoreMigratesReadOnlyPage),
  mutant('deviceGpuWritesReadOnlyPage', 'protectionCycle', 'storeToReadOnlyPageFaults', 3, 'the owning GPU stores to its read-only device-private page through its mirror instead of -EPERM', DeviceGpuWritesReadOnlyPage),
  mutant('peerGpuUsesDeviceMemoryInPlace', 'protectionCycle', 'onlyItsOwnerTouchesDevicePrivateMemory', 2, "GPU 1 reaches GPU 0's device-private memory in place instead of having it faulted back", PeerGpuUsesDeviceMemoryInPlace),
  mutant('faultBackMarksPageDirty', 'hmmLifecycle', 'accessEffectIsExact', 2, 'migrate_to_ram tags the page CPU-dirty even when the access was a load', FaultBackMarksPageDirty),
  mutant('migrateRangeOneShort', 'hmmLifecycle', 'migrationMovesEveryPageItCan', 1, 'migrate_vma_setup is given an end one page short: the last page of the range never moves', MigrateRangeOneShort),
  mutant('failedMigrationDropsDirtyTag', 'hmmLifecycle', 'failedMigrationLeavesPageInPlace', 2, "finalize's restore path drops the CPU-dirty tag of a page whose migration failed", FailedMigrationDropsDirtyTag),
  mutant('finalizeDropsGpuCopies', 'hmmLifecycle', 'migrationKeepsPageCacheState', 2, "finalize drops the GPU copies of every page it moves to the device", FinalizeDropsGpuCopies),
  mutant('evictReportsChunkSize', 'evictionCycle', 'evictionFreesTheChunk', 2, 'eviction returns the chunk size (npages), not the number of pages it brought back', EvictReportsChunkSize),
  mutant('maquireSeedEndBound', 'maquireSession', 'maquireLeavesCleanPagesAlone', 2, "maquire walks to (start + len) / PAGE_SIZE + 1 inclusive, acting on a page past the range", MaquireSeedEndBound),
];
