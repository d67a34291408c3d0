// Invariants of HMM migration, chunk eviction and maquire, each named for what it protects.

import type { Invariant } from '../common/spec.js';
import { hex, U64_MAX } from '../common/u64.js';
import type { Operation } from '../common/values.js';
import {
  backingAt,
  backingsOf,
  liveChunkAt,
  MA_PROC_AMD,
  MA_PROC_NVIDIA,
  MS_ASYNC,
  MS_SYNC,
  NPAGES,
  PAGE_SIZE,
  pageOfSite,
  pagesTouched,
  sameLocation,
  type HmmState,
  type Location,
} from './state.js';

const SEED = '003_af321b1ea2953044.txt';

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

function migrateRange(op: Operation): number[] {
  const first = op.args['first'] as number;
  const count = op.args['count'] as number;
  return Array.from({ length: count }, (_, i) => first + i).filter((p) => p < NPAGES);
}

/** The maquire verdict, stated directly from the seed's checks (in C's unsigned long arithmetic). */
function maquireVerdict(op: Operation): string | undefined {
  const start = op.args['start'] as bigint;
  const len = op.args['len'] as bigint;
  const flags = op.args['flags'] as number;
  const known = MA_PROC_NVIDIA | MA_PROC_AMD;
  if ((flags | known) !== known) return '-EINVAL'; // a bit other than the two GPU vendors
  if (start % PAGE_SIZE !== 0n) return '-EINVAL'; // offset_in_page(start)
  if ((flags & MS_ASYNC) !== 0 && (flags & MS_SYNC) !== 0) return '-EINVAL';
  if (len === 0n || start + len > U64_MAX) return '-ENOMEM'; // start + len <= start once the sum wraps mod 2^64
  return undefined;
}

/** Pages a successful maquire had to act on: in its range and CPU-dirty before the call. */
function staleInRange(before: HmmState, op: Operation): Set<number> {
  const start = op.args['start'] as bigint;
  const len = op.args['len'] as bigint;
  return new Set(pagesTouched(start, len).filter((p) => before.pages[p]?.cpuDirty === true));
}

export const hmmInvariants: readonly Invariant<HmmState>[] = [
  {
    // 003, "page 迁移", "dmirror_device_evict_chunk" (copy_highpage), maquire: any read returns the last value written.
    name: 'readReturnsLastWrite',
    source: `${SEED} § page 迁移 (nv_migrate_vma), dmirror_device_evict_chunk (copy_highpage), maquire`,
    check: ({ op, result, after }) => {
      if ((op.op === 'cpuRead' || op.op === 'gpuRead') && result.ok) {
        const p = op.args['page'] as number;
        const who = op.op === 'cpuRead' ? 'the CPU' : `GPU ${op.args['gpu'] as number}`;
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
    source: `${SEED} § page 迁移 (migrate_vma_setup / migrate_vma_pages / migrate_vma_finalize)`,
    check: ({ op, result, before, after, faults }) => {
      const failed = new Set<number>();
      for (const f of faults) {
        const p = pageOfSite(f.site);
        if (p !== undefined) failed.add(p);
      }
      const migrating = op.op === 'migrateToDevice' || op.op === 'migrateToSystem';
      if (migrating && !result.ok) for (const p of migrateRange(op)) failed.add(p);
      for (const p of failed) {
        const why = notInPlace(before, after, p);
        if (why !== undefined) return `the migration of p${p} failed, yet ${why}`;
      }
      if (!migrating || !result.ok) return undefined;
      const target = op.op === 'migrateToDevice' ? 'device' : 'system';
      let moved = 0;
      for (const p of migrateRange(op)) {
        const was = before.pages[p];
        const is = after.pages[p];
        if (was !== undefined && is !== undefined && was.loc.kind !== target && is.loc.kind === target) {
          moved++;
          continue;
        }
        const why = notInPlace(before, after, p);
        if (why !== undefined) return `p${p} was not migrated, yet ${why}`;
      }
      return result.value === moved ? undefined : `${op.op} reported ${String(result.value)} pages migrated, but ${moved} moved`;
    },
  },
  {
    // 003, "dmirror_device_evict_chunk": copy_highpage(dpage, spage) for every page of the chunk.
    name: 'evictionPreservesContents',
    source: `${SEED} § dmirror_device_evict_chunk (copy_highpage)`,
    check: ({ op, before, after }) => {
      if (op.op !== 'evict') return undefined;
      const id = liveChunkAt(before, op.args['chunk'] as number);
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
    source: `${SEED} § dmirror_device_evict_chunk (MIGRATE_PFN_WRITE carried to dst_pfns)`,
    check: ({ op, before, after }) => {
      if (op.op !== 'evict') return undefined;
      const id = liveChunkAt(before, op.args['chunk'] as number);
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
    source: `${SEED} § dmirror_device_evict_chunk (npages = end_pfn - start_pfn + 1)`,
    check: ({ op, before, after }) => {
      if (op.op !== 'evict') return undefined;
      const id = liveChunkAt(before, op.args['chunk'] as number);
      if (after.chunks.has(id)) return `c${id} is still live after its eviction`;
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
    source: `${SEED} § SYSCALL_DEFINE3(maquire) (argument checks before down_read)`,
    check: ({ op, result }) => {
      if (op.op !== 'maquire') return undefined;
      const expected = maquireVerdict(op);
      const call = `maquire(${hex(op.args['start'] as bigint)}, ${hex(op.args['len'] as bigint)}, ${(op.args['flags'] as number).toString()})`;
      if (expected === undefined) return result.ok ? undefined : `${call} is valid but returned ${result.error}`;
      if (result.ok) return `${call} returned OK, but must fail with ${expected}`;
      return result.error === expected ? undefined : `${call} returned ${result.error}, but must fail with ${expected}`;
    },
  },
  {
    // 003, SYSCALL_DEFINE3(maquire): __delete_from_page_cache_gpu and radix_tree_tag_clear for every CPU-dirty page.
    name: 'maquireDropsEveryStaleGpuCopy',
    source: `${SEED} § SYSCALL_DEFINE3(maquire) (__delete_from_page_cache_gpu, radix_tree_tag_clear)`,
    check: ({ op, result, before, after }) => {
      if (op.op !== 'maquire' || !result.ok) return undefined;
      for (const p of staleInRange(before, op)) {
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
    source: `${SEED} § SYSCALL_DEFINE3(maquire) (return stat_gpu_deleted)`,
    check: ({ op, result, before }) => {
      if (op.op !== 'maquire' || !result.ok) return undefined;
      let expected = 0;
      for (const p of staleInRange(before, op)) expected += before.pages[p]?.copies.filter((c) => c !== null).length ?? 0;
      return result.value === expected ? undefined : `maquire returned ${String(result.value)}, but ${expected} stale GPU copies were in its range`;
    },
  },
  {
    // 003, SYSCALL_DEFINE3(maquire): only CPU-dirty pages (find_get_taged_pages_idx) of the range are touched.
    name: 'maquireLeavesCleanPagesAlone',
    source: `${SEED} § SYSCALL_DEFINE3(maquire) (find_get_taged_pages_idx PAGECACHE_TAG_CPU_DIRTY)`,
    check: ({ op, result, before, after }) => {
      if (op.op !== 'maquire') return undefined;
      const acted = result.ok ? staleInRange(before, op) : new Set<number>();
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
    source: `${SEED} § page 迁移 (migrate_vma_finalize), dmirror_device_evict_chunk (migrate_device_finalize)`,
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
];
