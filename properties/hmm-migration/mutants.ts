// Seeded bugs in HMM migration, eviction and maquire: each overrides exactly one method of the specification,
// the way such code really goes wrong, and names the invariant that must catch it.

import { U64_MAX, wrapU64 } from '../../model/common/u64.js';
import {
  backingAt,
  BASE,
  CHUNK_PAGES,
  HmmMigrationModel,
  MA_PROC_AMD,
  MA_PROC_NVIDIA,
  MS_ASYNC,
  MS_SYNC,
  NPAGES,
  PAGE_SIZE,
  pageAddress,
  type Backing,
  type HmmState,
  type Location,
  type MigrateEntry,
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
  mutant('maquireSeedEndBound', 'maquireSession', 'maquireLeavesCleanPagesAlone', 2, "maquire walks to (start + len) / PAGE_SIZE + 1 inclusive, acting on a page past the range", MaquireSeedEndBound),
];
