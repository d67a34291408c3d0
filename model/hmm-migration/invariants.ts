// Invariants of HMM migration, chunk eviction and maquire, each named for what it protects.

import { argsOf, typedOp, type ArgsOf, type OpOf } from '../common/schema.js';
import type { Invariant } from '../common/spec.js';
import { hex, U64_MAX } from '../common/u64.js';
import type { Operation } from '../common/values.js';
import {
  backingAt,
  backingsOf,
  CHUNK_PAGES,
  DEVICE_GPU,
  liveChunkAt,
  MA_PROC_AMD,
  MA_PROC_NVIDIA,
  MS_ASYNC,
  MAX_CHUNKS,
  MS_SYNC,
  NPAGES,
  PAGE_SIZE,
  pageOfSite,
  pagesTouched,
  sameLocation,
  type HmmState,
  type Location,
} from './state.js';
import { hmmSignatures } from './operations.js';

const SOURCE = '003_af321b1ea2953044.txt';
/** Upstream code read where the seed is silent (torvalds/linux). */
const TEST_HMM = 'upstream lib/test_hmm.c';
const MIGRATE_DEVICE = 'upstream mm/migrate_device.c';

const ACCESSES = ['cpuRead', 'cpuWrite', 'gpuRead', 'gpuWrite'];

type HmmOp = OpOf<typeof hmmSignatures>;
/** A CPU or GPU load or store, with its typed arguments. */
type Access = Extract<HmmOp, { readonly op: 'cpuRead' | 'cpuWrite' | 'gpuRead' | 'gpuWrite' }>;

function accessOf(op: Operation): Access | undefined {
  const o = typedOp(hmmSignatures, op);
  switch (o?.op) {
    case 'cpuRead':
    case 'cpuWrite':
    case 'gpuRead':
    case 'gpuWrite':
      return o;
    default:
      return undefined;
  }
}

/** The GPU of a GPU access; undefined for the CPU. */
function gpuOf(a: Access): number | undefined {
  return a.op === 'gpuRead' || a.op === 'gpuWrite' ? a.args.gpu : undefined;
}

/** Whether the step is an access that reached the page's memory (not a GPU read served from its own copy). */
function reachedMemory({ op, before }: { op: Operation; before: HmmState }): boolean {
  const a = accessOf(op);
  if (a === undefined) return false;
  if (a.op !== 'gpuRead') return true;
  return before.pages[a.args.page]?.copies[a.args.gpu] === null;
}

/** Says how a page other than p differs from before (place, permission, data, a stray copy, dirty tag, GPU copies); undefined when none does. */
function otherPagesChanged(before: HmmState, after: HmmState, p: number): string | undefined {
  for (let q = 0; q < after.pages.length; q++) {
    if (q === p) continue;
    const why = notInPlace(before, after, q) ?? cacheStateChanged(before, after, q);
    if (why !== undefined) return why;
  }
  return undefined;
}

function where(loc: Location): string {
  return loc.kind === 'system' ? `system frame #${loc.frame}` : `device chunk c${loc.chunk} page ${loc.slot}`;
}

function byte(v: number | undefined): string {
  return v === undefined ? 'nothing' : '0x' + v.toString(16).padStart(2, '0');
}

/** Says how page p is not exactly where, and as, it was before the step; undefined when it is. */
function notInPlace(before: HmmState, after: HmmState, p: number): string | undefined {
  const was = before.pages[p];
  const is = after.pages[p];
  if (was === undefined || is === undefined) return undefined;
  if (!sameLocation(was.loc, is.loc)) return `p${p} moved from ${where(was.loc)} to ${where(is.loc)}`;
  if (was.writable !== is.writable) return `p${p} write permission changed ${was.writable} -> ${is.writable}`;
  const data = backingAt(after, is.loc);
  if (data === undefined) return `p${p}'s page at ${where(is.loc)} was freed`;
  const old = backingAt(before, was.loc);
  if (old !== undefined && old.value !== data.value) return `p${p}'s data changed ${byte(old.value)} -> ${byte(data.value)}`;
  const stray = backingsOf(after, p).find((loc) => !sameLocation(loc, is.loc));
  if (stray !== undefined) return `p${p} is half-moved: ${where(stray)} still holds it besides ${where(is.loc)}`;
  return undefined;
}

/** Says how page p's page-cache state (CPU-dirty tag, GPU copies) differs from before the step; undefined when it does not. */
function cacheStateChanged(before: HmmState, after: HmmState, p: number): string | undefined {
  const was = before.pages[p];
  const is = after.pages[p];
  if (was === undefined || is === undefined) return undefined;
  if (was.cpuDirty !== is.cpuDirty) return `p${p}'s CPU-dirty tag changed ${was.cpuDirty} -> ${is.cpuDirty}`;
  const g = was.copies.findIndex((c, i) => c !== is.copies[i]);
  if (g >= 0) return `GPU ${g}'s copy of p${p} changed ${byte(was.copies[g] ?? undefined)} -> ${byte(is.copies[g] ?? undefined)}`;
  return undefined;
}

/** A migrate_vma in either direction: where it moves pages to, and the pages of its range. */
function migrationOf(op: Operation): { readonly target: 'device' | 'system'; readonly pages: number[] } | undefined {
  const o = typedOp(hmmSignatures, op);
  if (o?.op !== 'migrateToDevice' && o?.op !== 'migrateToSystem') return undefined;
  const { first, count } = o.args;
  return { target: o.op === 'migrateToDevice' ? 'device' : 'system', pages: Array.from({ length: count }, (_, i) => first + i).filter((p) => p < NPAGES) };
}

type MaquireArgs = ArgsOf<typeof hmmSignatures.maquire>;

/** The maquire verdict, stated directly from the seed's checks (in C's unsigned long arithmetic). */
function maquireVerdict({ start, len, flags }: MaquireArgs): string | undefined {
  const known = MA_PROC_NVIDIA | MA_PROC_AMD;
  if ((flags | known) !== known) return '-EINVAL'; // a bit other than the two GPU vendors
  if (start % PAGE_SIZE !== 0n) return '-EINVAL'; // offset_in_page(start)
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return '-EINVAL';
  if (len === 0n || start + len > U64_MAX) return '-ENOMEM'; // start + len <= start once the sum wraps mod 2^64
  return undefined;
}

/** Pages a successful maquire had to act on: in its range and CPU-dirty before the call. */
function staleInRange(before: HmmState, { start, len }: MaquireArgs): Set<number> {
  return new Set(pagesTouched(start, len).filter((p) => before.pages[p]?.cpuDirty === true));
}

export const hmmInvariants: readonly Invariant<HmmState>[] = [
  {
    // 003, "page 迁移", "dmirror_device_evict_chunk" (copy_highpage), maquire: any read returns the last value written.
    name: 'readReturnsLastWrite',
    source: `${SOURCE} § page 迁移 (nv_migrate_vma), dmirror_device_evict_chunk (copy_highpage), maquire`,
    check: ({ op, result, after }) => {
      const a = accessOf(op);
      if ((a?.op === 'cpuRead' || a?.op === 'gpuRead') && result.ok) {
        const p = a.args.page;
        const who = a.op === 'cpuRead' ? 'the CPU' : `GPU ${a.args.gpu}`;
        if (result.value !== after.lastWritten[p])
          return `${who} read ${byte(result.value as number)} from p${p}, but ${byte(after.lastWritten[p])} was written last`;
      }
      for (let p = 0; p < after.pages.length; p++) {
        const entry = after.pages[p];
        if (entry === undefined) continue;
        const last = after.lastWritten[p];
        const data = backingAt(after, entry.loc);
        if (data !== undefined && data.value !== last)
          return `p${p} holds ${byte(data.value)} at ${where(entry.loc)}, but ${byte(last)} was written last`;
        if (entry.cpuDirty) continue; // copies may be stale until the next maquire; GPUs must acquire first
        const stale = entry.copies.findIndex((c) => c !== null && c !== last);
        if (stale >= 0)
          return `GPU ${stale} caches ${byte(entry.copies[stale] ?? undefined)} for p${p}, which is not marked CPU-dirty, but ${byte(last)} was written last`;
      }
      return undefined;
    },
  },
  {
    // 003, "page 迁移": a page whose migration fails in any phase keeps its old mapping (migrate_vma_finalize).
    name: 'failedMigrationLeavesPageInPlace',
    source: `${SOURCE} § page 迁移 (migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize)`,
    check: ({ op, result, before, after, faults }) => {
      const failed = new Set<number>();
      for (const f of faults) {
        const p = pageOfSite(f.site);
        if (p !== undefined) failed.add(p);
      }
      const migration = migrationOf(op);
      if (migration !== undefined && !result.ok) for (const p of migration.pages) failed.add(p);
      for (const p of failed) {
        const why = notInPlace(before, after, p) ?? cacheStateChanged(before, after, p);
        if (why !== undefined) return `the migration of p${p} failed, yet ${why}`;
      }
      if (migration === undefined || !result.ok) return undefined;
      const { target } = migration;
      let moved = 0;
      for (const p of migration.pages) {
        const was = before.pages[p];
        const is = after.pages[p];
        if (was !== undefined && is !== undefined && was.loc.kind !== target && is.loc.kind === target) {
          moved++;
          continue;
        }
        const why = notInPlace(before, after, p) ?? cacheStateChanged(before, after, p);
        if (why !== undefined) return `p${p} was not migrated, yet ${why}`;
      }
      return result.value === moved ? undefined : `${op.op} reported ${String(result.value)} pages migrated, but ${moved} moved`;
    },
  },
  {
    // 003, "dmirror_device_evict_chunk": copy_highpage(dpage, spage) for every page of the chunk.
    name: 'evictionPreservesContents',
    source: `${SOURCE} § dmirror_device_evict_chunk (copy_highpage)`,
    check: ({ op, before, after }) => {
      const evict = argsOf(hmmSignatures, op, 'evict');
      if (evict === undefined) return undefined;
      const id = liveChunkAt(before, evict.chunk);
      const chunk = before.chunks.get(id);
      if (chunk === undefined) return undefined;
      for (const held of chunk.slots) {
        if (held === null) continue;
        const entry = after.pages[held.page];
        const data = entry === undefined ? undefined : backingAt(after, entry.loc);
        if (data === undefined || data.value !== held.value)
          return `evicting c${id} turned p${held.page}'s data ${byte(held.value)} into ${byte(data?.value)}`;
      }
      return undefined;
    },
  },
  {
    // 003, "dmirror_device_evict_chunk": if (src_pfns[i] & MIGRATE_PFN_WRITE) dst_pfns[i] |= MIGRATE_PFN_WRITE.
    name: 'evictionKeepsWritePermission',
    source: `${SOURCE} § dmirror_device_evict_chunk (MIGRATE_PFN_WRITE carried to dst_pfns)`,
    check: ({ op, before, after }) => {
      const evict = argsOf(hmmSignatures, op, 'evict');
      if (evict === undefined) return undefined;
      const id = liveChunkAt(before, evict.chunk);
      for (const held of before.chunks.get(id)?.slots ?? []) {
        if (held === null) continue;
        const was = before.pages[held.page]?.writable;
        const is = after.pages[held.page]?.writable;
        if (was !== is) return `evicting c${id} changed p${held.page}'s write permission ${String(was)} -> ${String(is)}`;
      }
      return undefined;
    },
  },
  {
    // 003, "dmirror_device_evict_chunk": npages = end_pfn - start_pfn + 1, the whole chunk, so it can be released.
    name: 'evictionFreesTheChunk',
    source: `${SOURCE} § dmirror_device_evict_chunk (npages = end_pfn - start_pfn + 1)`,
    check: ({ op, result, before, after }) => {
      const evict = argsOf(hmmSignatures, op, 'evict');
      if (evict === undefined) return undefined;
      const id = liveChunkAt(before, evict.chunk);
      if (after.chunks.has(id)) return `c${id} is still live after its eviction`;
      const held = before.chunks.get(id)?.slots.filter((b) => b !== null).length ?? 0;
      if (result.ok && result.value !== held) return `evicting c${id} reported ${String(result.value)} pages, but it held ${held}`;
      for (let p = 0; p < after.pages.length; p++) {
        const loc = after.pages[p]?.loc;
        if (loc?.kind === 'device' && loc.chunk === id) return `p${p} still lives in c${id}, which eviction released (use after free)`;
      }
      return undefined;
    },
  },
  {
    // 003, SYSCALL_DEFINE3(maquire): bad flags, offset_in_page(start), MS_ASYNC|MS_SYNC -> -EINVAL; start + len <= start -> -ENOMEM.
    name: 'maquireRejectsBadArguments',
    source: `${SOURCE} § SYSCALL_DEFINE3(maquire) (argument checks before down_read)`,
    check: ({ op, result }) => {
      const maquire = argsOf(hmmSignatures, op, 'maquire');
      if (maquire === undefined) return undefined;
      const expected = maquireVerdict(maquire);
      const call = `maquire(${hex(maquire.start)}, ${hex(maquire.len)}, ${maquire.flags.toString()})`;
      if (expected === undefined) return result.ok ? undefined : `${call} is valid but returned ${result.error}`;
      if (result.ok) return `${call} returned OK, but must fail with ${expected}`;
      return result.error === expected ? undefined : `${call} returned ${result.error}, but must fail with ${expected}`;
    },
  },
  {
    // 003, SYSCALL_DEFINE3(maquire): __delete_from_page_cache_gpu and radix_tree_tag_clear for every CPU-dirty page.
    name: 'maquireDropsEveryStaleGpuCopy',
    source: `${SOURCE} § SYSCALL_DEFINE3(maquire) (__delete_from_page_cache_gpu, radix_tree_tag_clear)`,
    check: ({ op, result, before, after }) => {
      const maquire = argsOf(hmmSignatures, op, 'maquire');
      if (maquire === undefined || !result.ok) return undefined;
      for (const p of staleInRange(before, maquire)) {
        const entry = after.pages[p];
        if (entry === undefined) continue;
        const kept = entry.copies.findIndex((c) => c !== null);
        if (kept >= 0) return `GPU ${kept} still caches CPU-dirtied p${p} after maquire over it`;
        if (entry.cpuDirty) return `p${p} is still tagged CPU-dirty after maquire over it`;
      }
      return undefined;
    },
  },
  {
    // 003, SYSCALL_DEFINE3(maquire): stat_gpu_deleted++ per GPU page deleted; that count is the return value.
    name: 'maquireCountIsExact',
    source: `${SOURCE} § SYSCALL_DEFINE3(maquire) (return stat_gpu_deleted)`,
    check: ({ op, result, before }) => {
      const maquire = argsOf(hmmSignatures, op, 'maquire');
      if (maquire === undefined || !result.ok) return undefined;
      let expected = 0;
      for (const p of staleInRange(before, maquire)) expected += before.pages[p]?.copies.filter((c) => c !== null).length ?? 0;
      return result.value === expected ? undefined : `maquire returned ${String(result.value)}, but ${expected} stale GPU copies were in its range`;
    },
  },
  {
    // 003, SYSCALL_DEFINE3(maquire): only CPU-dirty pages (find_get_taged_pages_idx) of the range are touched.
    name: 'maquireLeavesCleanPagesAlone',
    source: `${SOURCE} § SYSCALL_DEFINE3(maquire) (find_get_taged_pages_idx PAGECACHE_TAG_CPU_DIRTY)`,
    check: ({ op, result, before, after }) => {
      const maquire = argsOf(hmmSignatures, op, 'maquire');
      if (maquire === undefined) return undefined;
      const acted = result.ok ? staleInRange(before, maquire) : new Set<number>();
      for (let p = 0; p < after.pages.length; p++) {
        const was = before.pages[p];
        const is = after.pages[p];
        if (was === undefined || is === undefined) continue;
        const why = notInPlace(before, after, p);
        if (why !== undefined) return `maquire must not move or change pages, yet ${why}`;
        if (acted.has(p)) continue;
        const what = result.ok ? (was.cpuDirty ? 'outside the range' : 'clean') : 'and the call failed';
        if (was.cpuDirty !== is.cpuDirty) return `p${p} is ${what}, yet maquire changed its dirty tag`;
        const g = was.copies.findIndex((c, i) => c !== is.copies[i]);
        if (g >= 0) return `p${p} is ${what}, yet maquire changed GPU ${g}'s copy ${byte(was.copies[g] ?? undefined)} -> ${byte(is.copies[g] ?? undefined)}`;
      }
      return undefined;
    },
  },
  {
    // 003, "page 迁移" / "dmirror_device_evict_chunk": finalize keeps exactly one of src and dst per entry.
    name: 'noPageInTwoPlacesAtOnce',
    source: `${SOURCE} § page 迁移 (migrate_vma_finalize), dmirror_device_evict_chunk (migrate_device_finalize)`,
    check: ({ after }) => {
      for (let p = 0; p < after.pages.length; p++) {
        const entry = after.pages[p];
        if (entry === undefined) continue;
        const held = backingsOf(after, p);
        if (held.length > 1) return `p${p} is in two places at once: ${held.map(where).join(' and ')}`;
        const only = held[0];
        if (only === undefined || !sameLocation(only, entry.loc))
          return `p${p}'s entry points at ${where(entry.loc)}, which does not hold it${only === undefined ? '' : ` (it is at ${where(only)})`}`;
      }
      return undefined;
    },
  },
  {
    // 003, "page 迁移" allocates device pages (dmirror_devmem_alloc_page); upstream lib/test_hmm.c dmirror_allocate_chunk adds a
    // chunk only when request_free_mem_region finds device memory for it, else the page is simply not migrated.
    name: 'deviceMemoryWithinCapacity',
    source: `${SOURCE} § page 迁移 (device pages for migrate_vma), dmirror_device_evict_chunk (a chunk's pfn range); ${TEST_HMM} dmirror_allocate_chunk (request_free_mem_region), dmirror_devmem_alloc_page`,
    check: ({ after }) => {
      if (after.chunks.size > MAX_CHUNKS) return `${after.chunks.size} device-private chunks are live, but the device has memory for ${MAX_CHUNKS}`;
      for (const chunk of after.chunks.values())
        if (chunk.slots.length !== CHUNK_PAGES) return `c${chunk.id} has ${chunk.slots.length} pages, but a chunk is ${CHUNK_PAGES} pages`;
      return undefined;
    },
  },
  {
    // 003, "page 迁移" / dmirror_device_evict_chunk carry MIGRATE_PFN_WRITE from src to dst; upstream migrate_vma_collect_pmd sets
    // it from the entry's write bit and the migration entry it installs is writable exactly when it is set.
    name: 'migrationKeepsWritePermission',
    source: `${SOURCE} § page 迁移 (migrate_vma), dmirror_device_evict_chunk (MIGRATE_PFN_WRITE carried to dst_pfns); ${MIGRATE_DEVICE} migrate_vma_collect_pmd (MIGRATE_PFN_WRITE, make_writable_migration_entry); ${TEST_HMM} dmirror_migrate_alloc_and_copy, dmirror_devmem_fault_alloc_and_copy`,
    check: ({ op, before, after }) => {
      if (op.op !== 'migrateToDevice' && op.op !== 'migrateToSystem' && !ACCESSES.includes(op.op)) return undefined;
      for (let p = 0; p < after.pages.length; p++) {
        const was = before.pages[p];
        const is = after.pages[p];
        if (was === undefined || is === undefined || was.writable === is.writable) continue;
        const how = was.loc.kind === is.loc.kind ? `stayed in ${where(is.loc)}` : `moved from ${where(was.loc)} to ${where(is.loc)}`;
        return `p${p} ${how} and its write permission changed ${was.writable} -> ${is.writable} (only mprotect may change it)`;
      }
      return undefined;
    },
  },
  {
    // mprotect of one page (003, the `protect` operation of the migrated range): upstream change_pte_range (mm/mprotect.c) turns a
    // writable device-private entry into a readable one, and the mmu notifier drops the device's mirror of it.
    name: 'protectSetsWritePermission',
    source: `${SOURCE} § page 迁移 (pages of a migrated VMA keep its protection); upstream mm/mprotect.c change_pte_range (make_readable_device_private_entry); ${TEST_HMM} dmirror_interval_invalidate`,
    check: ({ op, result, before, after }) => {
      const protect = argsOf(hmmSignatures, op, 'protect');
      if (protect === undefined || !result.ok) return undefined;
      const { page: p, writable } = protect;
      const entry = after.pages[p];
      const was = before.pages[p];
      if (entry === undefined || was === undefined) return undefined;
      if (entry.writable !== writable)
        return `protect(p${p}, ${writable ? 'rw' : 'ro'}) returned OK, but p${p} in ${where(entry.loc)} is still ${entry.writable ? 'writable' : 'read-only'}`;
      if (!sameLocation(was.loc, entry.loc)) return `protect moved p${p} from ${where(was.loc)} to ${where(entry.loc)}`;
      const why = cacheStateChanged(before, after, p) ?? otherPagesChanged(before, after, p);
      return why === undefined ? undefined : `protect of p${p} must change nothing else, yet ${why}`;
    },
  },
  {
    // A store needs write permission wherever the page lives: the CPU's fault handler refuses it (SIGSEGV) before any
    // migrate_to_ram; a GPU's hmm_range_fault with HMM_PFN_REQ_WRITE refuses it (-EPERM), and the device writes only
    // through a mirror entry tagged writable (upstream lib/test_hmm.c dmirror_do_write, DPT_XA_TAG_WRITE).
    name: 'storeToReadOnlyPageFaults',
    source: `${SOURCE} § page 迁移 (MIGRATE_PFN_WRITE), dmirror_device_evict_chunk; ${TEST_HMM} dmirror_do_write (DPT_XA_TAG_WRITE), dmirror_fault (HMM_PFN_REQ_WRITE)`,
    check: ({ op, result, before, after }) => {
      const store = accessOf(op);
      if (store?.op !== 'cpuWrite' && store?.op !== 'gpuWrite') return undefined;
      const p = store.args.page;
      const was = before.pages[p];
      if (was === undefined) return undefined;
      const who = store.op === 'cpuWrite' ? 'a CPU store' : `a store by GPU ${store.args.gpu}`;
      const refusal = store.op === 'cpuWrite' ? 'SIGSEGV' : '-EPERM';
      if (was.writable) {
        if (!result.ok && result.error === refusal) return `${who} to writable p${p} in ${where(was.loc)} was refused with ${refusal}`;
        return undefined;
      }
      if (result.ok) return `${who} to read-only p${p} in ${where(was.loc)} succeeded`;
      if (result.error !== refusal) return `${who} to read-only p${p} failed with ${result.error}, not ${refusal}`;
      const why = notInPlace(before, after, p) ?? cacheStateChanged(before, after, p) ?? otherPagesChanged(before, after, p);
      return why === undefined ? undefined : `${who} to read-only p${p} was refused, yet ${why}`;
    },
  },
  {
    // The CPU cannot address device-private memory (its fault handler calls migrate_to_ram); a GPU other than its owner gets it
    // faulted back by hmm_range_fault, whose dev_private_owner names only the owning device (upstream lib/test_hmm.c dmirror_fault).
    name: 'onlyItsOwnerTouchesDevicePrivateMemory',
    source: `${SOURCE} § page 迁移 (MIGRATE_VMA_SELECT_SYSTEM, device-private pages); ${TEST_HMM} dmirror_devmem_fault (migrate_to_ram), dmirror_fault (dev_private_owner)`,
    check: ({ op, result, before, after }) => {
      const access = accessOf(op);
      if (!result.ok || access === undefined || !reachedMemory({ op, before })) return undefined;
      const gpu = gpuOf(access);
      if (gpu === DEVICE_GPU) return undefined;
      const p = access.args.page;
      const loc = after.pages[p]?.loc;
      if (loc === undefined || loc.kind === 'system') return undefined;
      return `${gpu === undefined ? 'the CPU' : `GPU ${gpu}`} ${op.op.endsWith('Read') ? 'read' : 'wrote'} p${p} in place in ${where(loc)}, device-private memory it cannot address`;
    },
  },
  {
    // 003, maquire's page cache: a CPU store tags the page PAGECACHE_TAG_CPU_DIRTY; a GPU load caches the page, a GPU store
    // updates its own copy and invalidates the others'; nothing else of the page cache, and no other page, changes.
    name: 'accessEffectIsExact',
    source: `${SOURCE} § SYSCALL_DEFINE3(maquire) (PAGECACHE_TAG_CPU_DIRTY, pagecache_get_gpu_page), page 迁移 (migrate_to_ram)`,
    check: ({ op, result, before, after }) => {
      const access = accessOf(op);
      if (access === undefined || !result.ok) return undefined;
      const p = access.args.page;
      const was = before.pages[p];
      const is = after.pages[p];
      if (was === undefined || is === undefined) return undefined;
      const gpu = gpuOf(access);
      const dirty = op.op === 'cpuWrite' ? true : was.cpuDirty;
      if (is.cpuDirty !== dirty) return `${op.op} of p${p} left its CPU-dirty tag ${is.cpuDirty}, but it must be ${dirty}`;
      const copies = was.copies.map((c, g) => {
        if (op.op === 'gpuRead') return g === gpu ? (result.value as number) : c;
        if (access.op === 'gpuWrite') return g === gpu ? access.args.value : null;
        return c;
      });
      const g = copies.findIndex((c, i) => c !== is.copies[i]);
      if (g >= 0) return `${op.op} of p${p} left GPU ${g}'s copy ${byte(is.copies[g] ?? undefined)}, but it must be ${byte(copies[g] ?? undefined)}`;
      const why = otherPagesChanged(before, after, p);
      return why === undefined ? undefined : `${op.op} of p${p} must touch no other page, yet ${why}`;
    },
  },
  {
    // Upstream migrate_vma_setup: from device memory to system memory every page marked MIGRATE_PFN_MIGRATE must be migrated;
    // towards the device lib/test_hmm.c dmirror_migrate_alloc_and_copy skips a page only when no device page can be allocated.
    name: 'migrationMovesEveryPageItCan',
    source: `${SOURCE} § page 迁移 (migrate_vma_setup / migrate_vma_pages); ${MIGRATE_DEVICE} migrate_vma_setup (device to system: every collected page migrates); ${TEST_HMM} dmirror_migrate_alloc_and_copy`,
    check: ({ op, result, before, after, faults }) => {
      const migration = migrationOf(op);
      if (migration === undefined || !result.ok) return undefined;
      const { target } = migration;
      const failedAt = (p: number, ...fns: string[]) => faults.some((f) => pageOfSite(f.site) === p && fns.some((fn) => f.site.startsWith(`${fn}:`)));
      // Device pages free before the call: each page that reaches allocation, in range order, takes one while any is left.
      let free = Infinity;
      if (target === 'device') {
        free = MAX_CHUNKS * CHUNK_PAGES;
        for (const chunk of before.chunks.values()) free -= chunk.slots.filter((b) => b !== null).length;
      }
      for (const p of migration.pages) {
        const was = before.pages[p];
        const is = after.pages[p];
        if (was === undefined || is === undefined || was.loc.kind === target) continue;
        if (failedAt(p, 'migrate_vma_unmap', 'dmirror_devmem_alloc_page', 'alloc_page_vma')) continue;
        if (free <= 0) continue; // the device was out of memory when this page needed a device page
        free--;
        if (failedAt(p, 'migrate_vma_pages') || is.loc.kind === target) continue;
        return `p${p} in ${where(was.loc)} failed no step${target === 'device' ? ' and the device had memory for it' : ''}, yet ${op.op} left it there`;
      }
      return undefined;
    },
  },
  {
    // 003, maquire: PAGECACHE_TAG_CPU_DIRTY and the GPU copies are the page cache's, by file index, not the physical page's, so
    // moving the physical page (migrate_vma either way, eviction) leaves them as they were.
    name: 'migrationKeepsPageCacheState',
    source: `${SOURCE} § SYSCALL_DEFINE3(maquire) (radix tree tags by page index, pagecache_get_gpu_page), page 迁移, dmirror_device_evict_chunk`,
    check: ({ op, before, after }) => {
      if (op.op !== 'migrateToDevice' && op.op !== 'migrateToSystem' && op.op !== 'evict') return undefined;
      for (let p = 0; p < after.pages.length; p++) {
        const why = cacheStateChanged(before, after, p);
        if (why !== undefined) return `${op.op} must leave the page cache alone, yet ${why}`;
      }
      return undefined;
    },
  },
];
