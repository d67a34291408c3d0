// The cases of HMM migration, eviction and maquire that must occur often in what the generators produce.
// hmmLifecycle: each way a migrate_vma leaves a page where it was (a failed unmap or device allocation, a
// migrate_vma_pages refusal after the copy, an -ENOMEM part way through the to-system copy, whose earlier
// destinations must be freed), an access that faults a device-private page back (and one where that fails), and a
// CPU-dirty page with a stale GPU copy changing place (its tag must go with it).
// maquireSession: a maquire that drops copies, and each argument check at its boundary (flags, an unaligned start,
// a zero length, a range reaching 2^64, an unaligned length that is accepted and rounded out to whole pages).
// evictionCycle: eviction of writable and of read-only pages (the permission must be kept either way), of a chunk
// whose last page is in use and of a chunk with no page in use, and device memory running out.
// Eviction itself cannot fail (alloc_page(__GFP_NOFAIL), every page isolated), so no label asks for that.
// `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases to carry it
// (about half the least share measured over seeds 1-5 and the default seed).

import { argsOf, typedOp } from '../../model/common/schema.js';
import type { Step } from '../../model/common/spec.js';
import { CHUNK_PAGES, DEVICE_GPU, MA_PROC_AMD, MA_PROC_NVIDIA, MS_ASYNC, MS_SYNC, PAGE_SIZE, pageOfSite, pagesTouched, type HmmState } from '../../model/hmm-migration/index.js';
import { hmmSignatures } from '../../model/hmm-migration/operations.js';
import type { CaseLabel } from '../harness/suite.js';

type S = Step<HmmState>;
const TOP = 1n << 64n;

const isMigration = ({ op }: S) => op.op === 'migrateToDevice' || op.op === 'migrateToSystem';
/** The pages [first, first + count) a migration names. */
const rangeOf = ({ op }: S): number[] => {
  const o = typedOp(hmmSignatures, op);
  return o?.op === 'migrateToDevice' || o?.op === 'migrateToSystem' ? Array.from({ length: o.args.count }, (_, i) => o.args.first + i) : [];
};
const onDevice = (state: HmmState, p: number) => state.pages[p]?.loc.kind === 'device';
const failedAt = (s: S, fn: string) => s.faults.some((f) => f.site.startsWith(`${fn}:`));
/** Pages of the range in system memory before a migration to the device: the ones it tries to move. */
const toDeviceCandidates = (s: S) => rangeOf(s).filter((p) => !onDevice(s.before, p)).length;

/**
 * A CPU access, or a GPU 1 access, to a device-private page that has to fault it back to system memory first (a
 * GPU 1 read of a page it caches, and a store refused for permission, do not get that far).
 */
function faultsBack({ op, before }: S): boolean {
  const o = typedOp(hmmSignatures, op);
  if (o?.op !== 'cpuRead' && o?.op !== 'cpuWrite' && o?.op !== 'gpuRead' && o?.op !== 'gpuWrite') return false;
  const entry = before.pages[o.args.page];
  if (entry === undefined || entry.loc.kind !== 'device') return false;
  if ((o.op === 'cpuWrite' || o.op === 'gpuWrite') && !entry.writable) return false;
  if (o.op === 'cpuRead' || o.op === 'cpuWrite') return true;
  const gpu = o.args.gpu;
  return gpu !== DEVICE_GPU && !(o.op === 'gpuRead' && entry.copies[gpu] !== null);
}

/** maquire's arguments, when the step is a maquire. */
function maquire({ op }: S) {
  const a = argsOf(hmmSignatures, op, 'maquire');
  if (a === undefined) return undefined;
  const { flags, start } = a;
  return { start, len: a.len, flags, flagsOk: (flags & ~(MA_PROC_NVIDIA | MA_PROC_AMD)) === 0, startOk: start % PAGE_SIZE === 0n };
}

/** The pages of the chunk an evict released, as they were before it. */
const evictedPages = ({ op, before, after }: S): number[] =>
  op.op !== 'evict' ? [] : before.pages.flatMap((e, p) => (e.loc.kind === 'device' && !after.chunks.has(e.loc.chunk) ? [p] : []));

export const hmmLifecycleLabels: readonly CaseLabel<HmmState>[] = [
  {
    name: 'toDevicePageStays',
    description: 'migrate_vma to the device cannot isolate a page or get it a device page: that page stays in system memory, the rest move',
    minShare: 0.05,
    test: (s) => s.op.op === 'migrateToDevice' && (failedAt(s, 'migrate_vma_unmap') || failedAt(s, 'dmirror_devmem_alloc_page')),
  },
  {
    name: 'migrateVmaPagesRefuses',
    description: 'migrate_vma_pages gives up on a page after its destination was allocated and filled (finalize must restore it and free the destination)',
    minShare: 0.03,
    test: (s) => isMigration(s) && failedAt(s, 'migrate_vma_pages'),
  },
  {
    name: 'toSystemFailsPartWay',
    description: 'migrate_vma to system memory: alloc_page_vma fails after an earlier page got its destination; -ENOMEM and no page moves',
    minShare: 0.01,
    test: (s) => {
      if (s.op.op !== 'migrateToSystem' || s.result.ok) return false;
      const failing = s.faults.find((f) => f.site.startsWith('alloc_page_vma:'));
      const failingPage = failing === undefined ? undefined : pageOfSite(failing.site);
      if (failingPage === undefined) return false;
      return rangeOf(s).some((p) => p < failingPage && onDevice(s.before, p) && !s.faults.some((f) => f.site === `migrate_vma_unmap:p${p}`));
    },
  },
  {
    name: 'accessFaultsPageBack',
    description: 'a CPU access, or another GPU, touches a device-private page: migrate_to_ram brings it back and the access completes',
    minShare: 0.05,
    test: (s) => faultsBack(s) && s.result.ok,
  },
  {
    name: 'faultBackFails',
    description: 'faulting a device-private page back fails (VM_FAULT_OOM / VM_FAULT_RETRY, -EFAULT / -EBUSY for a GPU): the page stays on the device',
    minShare: 0.015,
    test: (s) => faultsBack(s) && !s.result.ok,
  },
  {
    name: 'staleCopyPageMoves',
    description: 'a CPU-dirty page with a stale GPU copy moves to or from the device (the dirty tag must move with it)',
    minShare: 0.01,
    test: (s) =>
      (isMigration(s) || faultsBack(s) || s.op.op === 'evict') &&
      s.before.pages.some((e, p) => e.cpuDirty && e.copies.some((c) => c !== null) && e.loc.kind !== s.after.pages[p]?.loc.kind),
  },
];

export const maquireSessionLabels: readonly CaseLabel<HmmState>[] = [
  {
    name: 'maquireDropsCopies',
    description: 'maquire drops the GPU copies of a CPU-dirty page in its range (returns a count above 0)',
    minShare: 0.02,
    test: (s) => s.op.op === 'maquire' && s.result.ok && (s.result.value as number) > 0,
  },
  {
    name: 'maquireMsyncFlags',
    description: "flags carry msync's MS_ASYNC or MS_SYNC (nothing else outside MA_PROC_*): -EINVAL from the flag mask",
    minShare: 0.035,
    test: (s) => {
      const m = maquire(s);
      return m !== undefined && !m.flagsOk && (m.flags & ~(MA_PROC_NVIDIA | MA_PROC_AMD | MS_ASYNC | MS_SYNC)) === 0;
    },
  },
  {
    name: 'maquireUnalignedStart',
    description: 'valid flags and a start that is not page aligned: -EINVAL from offset_in_page(start)',
    minShare: 0.15,
    test: (s) => {
      const m = maquire(s);
      return m !== undefined && m.flagsOk && !m.startOk;
    },
  },
  {
    name: 'maquireZeroLength',
    description: 'valid flags and start, len == 0: -ENOMEM from start + len <= start',
    minShare: 0.03,
    test: (s) => {
      const m = maquire(s);
      return m !== undefined && m.flagsOk && m.startOk && m.len === 0n;
    },
  },
  {
    name: 'maquireRangeReachesTop',
    description: 'valid flags and start, a range ending at 2^64 or wrapping past it: -ENOMEM (the end wraps in 64 bits)',
    minShare: 0.1,
    test: (s) => {
      const m = maquire(s);
      return m !== undefined && m.flagsOk && m.startOk && m.len > 0n && m.start + m.len >= TOP;
    },
  },
  {
    name: 'maquireUnalignedLength',
    description: 'maquire accepts a length that is not a whole number of pages and covers a modelled page (the last one only in part)',
    minShare: 0.07,
    test: (s) => {
      const m = maquire(s);
      return m !== undefined && s.result.ok && m.len % PAGE_SIZE !== 0n && pagesTouched(m.start, m.len).length > 0;
    },
  },
];

export const evictionCycleLabels: readonly CaseLabel<HmmState>[] = [
  {
    name: 'evictWritablePage',
    description: 'an evicted chunk holds a writable page (MIGRATE_PFN_WRITE must reach dst_pfns)',
    minShare: 0.15,
    test: (s) => evictedPages(s).some((p) => s.before.pages[p]?.writable === true),
  },
  {
    name: 'evictReadOnlyPage',
    description: 'an evicted chunk holds a page made read-only while on the device (it must come back read-only)',
    minShare: 0.012,
    test: (s) => evictedPages(s).some((p) => s.before.pages[p]?.writable === false),
  },
  {
    name: 'evictLastPageInUse',
    description: "the last page of the evicted chunk is in use (the one an end_pfn - start_pfn walk misses)",
    minShare: 0.09,
    test: (s) => s.op.op === 'evict' && s.before.pages.some((e) => e.loc.kind === 'device' && e.loc.slot === CHUNK_PAGES - 1 && !s.after.chunks.has(e.loc.chunk)),
  },
  {
    name: 'evictEmptyChunk',
    description: 'a live chunk with no page in use is evicted (returns 0; the chunk is still released)',
    minShare: 0.012,
    test: (s) => s.op.op === 'evict' && s.result.ok && s.result.value === 0,
  },
  {
    name: 'deviceMemoryFull',
    description: 'migrate_vma to the device finds every chunk full and no room for another: pages stay in system memory without any fault',
    minShare: 0.045,
    test: (s) => s.op.op === 'migrateToDevice' && s.result.ok && s.faults.length === 0 && (s.result.value as number) < toDeviceCandidates(s),
  },
];

/** Pages whose location kind changed in the step (migrated, faulted back or evicted). */
const movedPages = ({ before, after }: S): number[] => before.pages.flatMap((e, p) => (e.loc.kind !== after.pages[p]?.loc.kind ? [p] : []));

// protectionCycle: write permission wherever the page lives. Read-only pages moved each way (the permission must go with
// them), mprotect of a device-private page (it must take effect there), stores to a read-only page on the device by the CPU
// and by the owning GPU (both refused, nothing moves), and a load or store by GPU 1 that must fault a device page back.
export const protectionCycleLabels: readonly CaseLabel<HmmState>[] = [
  {
    name: 'readOnlyPageToDevice',
    description: 'a read-only page moves to the device (it must stay read-only there)',
    minShare: 0.06,
    test: (s) => movedPages(s).some((p) => s.after.pages[p]?.loc.kind === 'device' && s.before.pages[p]?.writable === false),
  },
  {
    name: 'pageBackToSystem',
    description: 'a page moves back to system memory, by migrate_vma or by the fault of an access (its permission must come with it)',
    minShare: 0.08,
    test: (s) => s.op.op !== 'evict' && movedPages(s).some((p) => s.after.pages[p]?.loc.kind === 'system'),
  },
  {
    name: 'protectDevicePage',
    description: 'mprotect of a page that lives in device-private memory',
    minShare: 0.08,
    test: (s) => {
      const protect = argsOf(hmmSignatures, s.op, 'protect');
      return protect !== undefined && onDevice(s.before, protect.page);
    },
  },
  {
    name: 'cpuStoreReadOnlyDevicePage',
    description: 'a CPU store to a read-only page that lives on the device (SIGSEGV before any fault-back)',
    minShare: 0.05,
    test: (s) => {
      const store = argsOf(hmmSignatures, s.op, 'cpuWrite');
      return store !== undefined && onDevice(s.before, store.page) && s.before.pages[store.page]?.writable === false;
    },
  },
  {
    name: 'deviceGpuStoreReadOnlyDevicePage',
    description: 'the owning GPU stores to a read-only page in its own device-private memory (-EPERM)',
    minShare: 0.025,
    test: (s) => {
      const store = argsOf(hmmSignatures, s.op, 'gpuWrite');
      return store !== undefined && store.gpu === DEVICE_GPU && onDevice(s.before, store.page) && s.before.pages[store.page]?.writable === false;
    },
  },
  {
    name: 'peerGpuFaultsDevicePageBack',
    description: "GPU 1 loads or stores a page in GPU 0's device-private memory: it is faulted back to system memory first",
    minShare: 0.015,
    test: (s) => faultsBack(s) && s.op.op.startsWith('gpu') && s.result.ok,
  },
];
