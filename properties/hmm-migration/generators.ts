// Operation lists for HMM migration, eviction and maquire. Accesses and migrations pick pages of the small
// range; fault indices land on the first steps of an operation (each page's unmap, allocation and
// migrate_vma_pages steps); maquire's arguments are drawn across the whole u64 range with a strong bias
// toward the modelled pages and the edges of the address space.

import fc from 'fast-check';
import { operationsOf } from '../../model/common/schema.js';
import { hmmSignatures } from '../../model/hmm-migration/operations.js';
import { MA_PROC_AMD, MA_PROC_NVIDIA, MS_ASYNC, MS_SYNC, NGPUS, NPAGES, PAGE_SIZE, BASE } from '../../model/hmm-migration/index.js';
import { U64_MAX } from '../../model/common/u64.js';
import type { Operation } from '../../model/common/values.js';

const TOP = 1n << 64n;
const op = operationsOf(hmmSignatures);

/** Mostly the first two pages, so that writes, cached copies, migrations and maquire meet on the same page. */
const page = fc.oneof({ weight: 3, arbitrary: fc.nat(1) }, { weight: 2, arbitrary: fc.nat(NPAGES - 1) });
const gpu = fc.nat(NGPUS - 1);
const value = fc.integer({ min: 1, max: 255 });

/** An access faults at most one page back (three fallible steps); a migration has three per page. */
const accessFaults = fc.oneof(
  { weight: 4, arbitrary: fc.constant<number[]>([]) },
  { weight: 1, arbitrary: fc.uniqueArray(fc.nat(2), { minLength: 1, maxLength: 1 }) },
);
const migrateFaults = fc.oneof(
  { weight: 3, arbitrary: fc.constant<number[]>([]) },
  { weight: 2, arbitrary: fc.uniqueArray(fc.nat(3 * NPAGES - 1), { minLength: 1, maxLength: 2 }) },
);

export const cpuReadOp = fc.record({ page, faults: accessFaults }).map((a) => op('cpuRead', a));
export const cpuWriteOp = fc.record({ page, value, faults: accessFaults }).map((a) => op('cpuWrite', a));
export const gpuReadOp = fc.record({ gpu, page, faults: accessFaults }).map((a) => op('gpuRead', a));
export const gpuWriteOp = fc.record({ gpu, page, value, faults: accessFaults }).map((a) => op('gpuWrite', a));
export const protectOp = fc.record({ page, writable: fc.boolean() }).map((a) => op('protect', a));

/** [first, first + count) always inside the range: count is folded into what is left after `first`. */
const pageRange = fc.tuple(page, fc.nat(NPAGES - 1)).map(([first, c]) => ({ first, count: 1 + (c % (NPAGES - first)) }));
export const migrateToDeviceOp = fc.record({ range: pageRange, faults: migrateFaults }).map(({ range, faults }) => op('migrateToDevice', { ...range, faults }));
/**
 * Towards system memory the case that matters is an alloc_page_vma failure after an earlier page got its
 * destination (-ENOMEM part way: every destination must be freed, no page may move). With n pages collected the
 * allocations are fault indices n..2n-1, so a single fault at 3..5 is such a failure for n = 2, 3 or 4; and the
 * whole range is named more often than not, so that several device-private pages are collected at all.
 */
const toSystemFaults = fc.oneof(
  { weight: 1, arbitrary: migrateFaults },
  { weight: 1, arbitrary: fc.integer({ min: 3, max: 5 }).map((i) => [i]) },
);
const toSystemRange = fc.oneof({ weight: 1, arbitrary: pageRange }, { weight: 2, arbitrary: fc.constant({ first: 0, count: NPAGES }) });
export const migrateToSystemOp = fc.record({ range: toSystemRange, faults: toSystemFaults }).map(({ range, faults }) => op('migrateToSystem', { ...range, faults }));
export const evictOp = fc.nat(3).map((chunk) => op('evict', { chunk }));

// ---- maquire arguments -------------------------------------------------------------------------------------

const u64 = fc.bigInt({ min: 0n, max: U64_MAX });
/** 0, +1 or -1 byte, mostly 0: unaligned by one is where the checks and the rounding live. */
const nudge = fc.oneof({ weight: 6, arbitrary: fc.constant(0n) }, { weight: 1, arbitrary: fc.constant(1n) }, { weight: 1, arbitrary: fc.constant(-1n) });
const wrap = (x: bigint): bigint => BigInt.asUintN(64, x);

/** A start at or around the modelled pages (one page before the range to one page after). */
const startNearPages = fc.tuple(fc.oneof({ weight: 2, arbitrary: fc.nat(1) }, { weight: 3, arbitrary: fc.integer({ min: -1, max: NPAGES }) }), nudge).map(([k, d]) => wrap(BASE + BigInt(k) * PAGE_SIZE + d));
/** A length of whole pages, give or take a byte. */
const lenInPages = fc.tuple(fc.oneof({ weight: 2, arbitrary: fc.integer({ min: 1, max: 2 }) }, { weight: 3, arbitrary: fc.integer({ min: 0, max: NPAGES + 1 }) }), nudge).map(([k, d]) => wrap(BigInt(k) * PAGE_SIZE + d));

const edgeStarts = fc.constantFrom(0n, 1n, PAGE_SIZE - 1n, PAGE_SIZE, 1n << 47n, 1n << 63n, TOP - PAGE_SIZE, TOP - 2n * PAGE_SIZE, U64_MAX);
const edgeLens = fc.constantFrom(0n, 1n, PAGE_SIZE - 1n, PAGE_SIZE, PAGE_SIZE + 1n, 1n << 63n, U64_MAX - PAGE_SIZE + 1n, U64_MAX);

/** (start, len) pairs: near the pages, at the edges, ending exactly at 2^64 or wrapping past it by a byte. */
const maquireRange = fc.oneof(
  { weight: 8, arbitrary: fc.tuple(startNearPages, lenInPages) },
  { weight: 2, arbitrary: fc.tuple(fc.oneof(startNearPages, edgeStarts), nudge).map(([s, d]): [bigint, bigint] => [s, wrap(TOP - s + d)]) },
  { weight: 2, arbitrary: fc.tuple(edgeStarts, fc.oneof(edgeLens, lenInPages)) },
  { weight: 1, arbitrary: fc.tuple(u64.map((x) => x - (x % PAGE_SIZE)), u64) },
  { weight: 1, arbitrary: fc.tuple(u64, u64) },
);

const goodFlags = fc.constantFrom(MA_PROC_NVIDIA, MA_PROC_AMD, MA_PROC_NVIDIA | MA_PROC_AMD, 0);
const badFlags = fc.oneof(
  fc.constantFrom(MS_ASYNC, MS_SYNC, MS_ASYNC | MS_SYNC, MA_PROC_NVIDIA | MS_ASYNC, MA_PROC_AMD | MS_SYNC, 0x40, 0x11, -2147483648, -1),
  fc.integer({ min: -2147483648, max: 2147483647 }),
);
const flags = fc.oneof({ weight: 6, arbitrary: goodFlags }, { weight: 1, arbitrary: badFlags });

export const maquireOp = fc.record({ range: maquireRange, flags }).map(({ range: [start, len], flags }) => op('maquire', { start, len, flags }));

// ---- whole cases ---------------------------------------------------------------------------------------------

/** Everything at once: accesses by the CPU and both GPUs, migrations both ways, eviction, maquire. */
export const hmmOperation = fc.oneof(
  { weight: 4, arbitrary: cpuWriteOp },
  { weight: 2, arbitrary: cpuReadOp },
  { weight: 4, arbitrary: gpuReadOp },
  { weight: 2, arbitrary: gpuWriteOp },
  { weight: 1, arbitrary: protectOp },
  { weight: 4, arbitrary: migrateToDeviceOp },
  // As often as migrations to the device: a to-system migration only finds pages on the device some of the time.
  { weight: 4, arbitrary: migrateToSystemOp },
  { weight: 2, arbitrary: evictOp },
  { weight: 3, arbitrary: maquireOp },
);
export const hmmLifecycle = fc.array(hmmOperation, { maxLength: 24 });

/** GPUs cache pages, the CPU dirties some, then maquire calls with boundary arguments. */
export const maquireSession = fc.array(
  fc.oneof(
    { weight: 3, arbitrary: gpuReadOp },
    { weight: 3, arbitrary: cpuWriteOp },
    { weight: 1, arbitrary: gpuWriteOp },
    { weight: 5, arbitrary: maquireOp },
  ),
  { maxLength: 12 },
);

/** Pages moved to the device, written and re-protected there, then their chunk evicted. */
export const evictionCycle = fc.array(
  fc.oneof(
    { weight: 4, arbitrary: migrateToDeviceOp },
    { weight: 2, arbitrary: protectOp },
    { weight: 2, arbitrary: gpuWriteOp },
    { weight: 1, arbitrary: cpuWriteOp },
    { weight: 1, arbitrary: migrateToSystemOp },
    { weight: 3, arbitrary: evictOp },
  ),
  { maxLength: 12 },
);

/**
 * Write permission wherever a page lives: pages re-protected in system memory and on the device, moved both ways
 * (by migrate_vma and by the faults of accesses), stored to by the CPU, the owning GPU and the other GPU, and evicted.
 * Mostly page 0, and mostly made read-only, so that a read-only page is met on the device by each kind of store.
 */
const focusPage = fc.oneof({ weight: 3, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.nat(NPAGES - 1) });
const focusRange = fc.tuple(focusPage, fc.nat(NPAGES - 1)).map(([first, c]) => ({ first, count: 1 + (c % (NPAGES - first)) }));
const protectFocus = fc.record({ page: focusPage, writable: fc.oneof({ weight: 2, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }) }).map((a) => op('protect', a));
const toDeviceFocus = fc.record({ range: focusRange, faults: migrateFaults }).map(({ range, faults }) => op('migrateToDevice', { ...range, faults }));
const toSystemFocus = fc.record({ range: focusRange, faults: migrateFaults }).map(({ range, faults }) => op('migrateToSystem', { ...range, faults }));
const cpuWriteFocus = fc.record({ page: focusPage, value, faults: accessFaults }).map((a) => op('cpuWrite', a));
const cpuReadFocus = fc.record({ page: focusPage, faults: accessFaults }).map((a) => op('cpuRead', a));
const gpuWriteFocus = fc.record({ gpu, page: focusPage, value, faults: accessFaults }).map((a) => op('gpuWrite', a));
const gpuReadFocus = fc.record({ gpu, page: focusPage, faults: accessFaults }).map((a) => op('gpuRead', a));

/** A store to a read-only page on the device: page 0 moved there, made read-only, then a store by the CPU or either GPU. */
const storeToReadOnlyDevicePage = fc
  .tuple(fc.boolean(), fc.oneof(cpuWriteFocus, gpuWriteFocus))
  .map(([protectFirst, store]): Operation[] => {
    const moveOp = op('migrateToDevice', { first: 0, count: 1, faults: [] });
    const protectOp0 = op('protect', { page: 0, writable: false });
    return [...(protectFirst ? [protectOp0, moveOp] : [moveOp, protectOp0]), { op: store.op, args: { ...store.args, page: 0 } }];
  });

export const protectionCycle = fc
  .array(
    fc.oneof(
      { weight: 3, arbitrary: protectFocus.map((o) => [o]) },
      { weight: 3, arbitrary: toDeviceFocus.map((o) => [o]) },
      { weight: 2, arbitrary: toSystemFocus.map((o) => [o]) },
      { weight: 2, arbitrary: cpuWriteFocus.map((o) => [o]) },
      { weight: 1, arbitrary: cpuReadFocus.map((o) => [o]) },
      { weight: 3, arbitrary: gpuWriteFocus.map((o) => [o]) },
      { weight: 2, arbitrary: gpuReadFocus.map((o) => [o]) },
      { weight: 1, arbitrary: evictOp.map((o) => [o]) },
      { weight: 1, arbitrary: storeToReadOnlyDevicePage },
    ),
    { maxLength: 8 },
  )
  .map((groups) => groups.flat());
