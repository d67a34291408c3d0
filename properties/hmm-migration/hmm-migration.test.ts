import { describe, expect, it } from 'vitest';
import { U64_MAX } from '../../model/common/u64.js';
import type { Operation } from '../../model/common/values.js';
import { BASE, hmmMigrationSpec, PAGE_SIZE } from '../../model/hmm-migration/index.js';
import { execute } from '../harness/interpreter.js';
import { formatTrace } from '../harness/trace.js';
import { defineSuiteTests } from '../harness/vitest-suite.js';
import { hmmMigrationSuite } from './suite.js';

defineSuiteTests(hmmMigrationSuite);

const TOP = 1n << 64n;
const op = (name: string, args: Operation['args']): Operation => ({ op: name, args });
const maquire = (start: bigint, len: bigint, flags = 0x10) => op('maquire', { start, len, flags });

/** Runs a case on the specification: no invariant may fail; returns each step's status and value. */
function run(ops: Operation[]): string[] {
  const out = execute(hmmMigrationSpec, hmmMigrationSpec.createModel(), ops, { trace: true });
  expect(out.violation, formatTrace(out)).toBeUndefined();
  return out.steps.map((s) => (s.skipped ? 'skipped' : s.result?.ok ? `OK ${String(s.result.value ?? '')}`.trim() : (s.result?.error ?? 'threw')));
}

/** The description of the first page in the state after the last step (e.g. `p0@dev c0[0]=0xa0 ro`). */
function firstPageAfter(ops: Operation[]): string {
  const out = execute(hmmMigrationSpec, hmmMigrationSpec.createModel(), ops, { trace: true });
  expect(out.violation, formatTrace(out)).toBeUndefined();
  return (out.steps.at(-1)?.state ?? '').split(' | ')[0] ?? '';
}

describe('hmm-migration: maquire argument checks at the boundaries', () => {
  it.each([
    ['a range ending exactly at 2^64 (its end wraps to 0)', TOP - PAGE_SIZE, PAGE_SIZE, 0x10, '-ENOMEM'],
    ['a range ending one byte below 2^64', TOP - PAGE_SIZE, PAGE_SIZE - 1n, 0x10, 'OK 0'],
    ['a range wrapping by one byte', TOP - PAGE_SIZE, PAGE_SIZE + 1n, 0x10, '-ENOMEM'],
    ['a zero length', BASE, 0n, 0x10, '-ENOMEM'],
    ['the largest length from 0', 0n, U64_MAX, 0x10, 'OK 0'],
    ['a start unaligned by one', BASE + 1n, PAGE_SIZE, 0x10, '-EINVAL'],
    ['an unaligned start that also wraps (alignment is checked first)', U64_MAX, 1n, 0x10, '-EINVAL'],
    ['an msync flag', BASE, PAGE_SIZE, 0x1, '-EINVAL'],
    ['the sign bit as a flag', BASE, PAGE_SIZE, -2147483648, '-EINVAL'],
    ['no vendor flag at all (the seed accepts it)', BASE, PAGE_SIZE, 0, 'OK 0'],
    ['both vendor flags', BASE, PAGE_SIZE, 0x30, 'OK 0'],
  ])('%s', (_what, start, len, flags, expected) => {
    expect(run([maquire(start, len, flags)])).toEqual([expected]);
  });
});

describe('hmm-migration: examples', () => {
  it('maquire drops the stale copies of both GPUs and reports them; a GPU then reads the CPU value', () => {
    const steps = run([
      op('gpuRead', { gpu: 0, page: 1, faults: [] }),
      op('gpuRead', { gpu: 1, page: 1, faults: [] }),
      op('gpuRead', { gpu: 1, page: 2, faults: [] }),
      op('cpuWrite', { page: 1, value: 7, faults: [] }),
      op('gpuRead', { gpu: 1, page: 1, faults: [] }), // races with the CPU write: not generated, skipped
      maquire(BASE, 2n * PAGE_SIZE + 1n), // unaligned length: covers pages 0..2; only page 1 is dirty
      op('gpuRead', { gpu: 1, page: 1, faults: [] }),
    ]);
    expect(steps).toEqual(['OK 161', 'OK 161', 'OK 162', 'OK', 'skipped', 'OK 2', 'OK 7']);
  });

  it('a CPU access to a device-private page faults it back; a failed fault-back leaves it on the device', () => {
    const steps = run([
      op('migrateToDevice', { first: 0, count: 1, faults: [] }),
      op('cpuRead', { page: 0, faults: [1] }), // alloc_page_vma fails
      op('cpuRead', { page: 0, faults: [0] }), // the page cannot be isolated: the access is retried
      op('cpuWrite', { page: 0, value: 9, faults: [] }),
      op('cpuRead', { page: 0, faults: [] }),
    ]);
    expect(steps).toEqual(['OK 1', 'VM_FAULT_OOM', 'VM_FAULT_RETRY', 'OK', 'OK 9']);
  });

  it('a migration in which one page fails migrate_vma_pages moves the others only', () => {
    // Three pages: steps 0-2 unmap, 3-5 allocate, 6-8 migrate_vma_pages; step 7 is page 1's.
    expect(run([op('migrateToDevice', { first: 0, count: 3, faults: [7] })])).toEqual(['OK 2']);
  });

  it('the device runs out of memory after two chunks: the fifth page stays in system memory', () => {
    expect(run([op('migrateToDevice', { first: 0, count: 5, faults: [] })])).toEqual(['OK 4']);
  });

  it('eviction brings a read-only, GPU-written page back with its data and permission, and frees the chunk', () => {
    const steps = run([
      op('migrateToDevice', { first: 0, count: 2, faults: [] }),
      op('gpuWrite', { gpu: 0, page: 1, value: 5, faults: [] }),
      op('protect', { page: 1, writable: false }),
      op('evict', { chunk: 0 }),
      op('cpuRead', { page: 1, faults: [] }),
      op('cpuWrite', { page: 1, value: 6, faults: [] }),
      op('evict', { chunk: 0 }), // no chunk left: skipped
    ]);
    expect(steps).toEqual(['OK 2', 'OK', 'OK', 'OK 2', 'OK 5', 'SIGSEGV', 'skipped']);
  });

  it('protect takes effect on a device-private page: every store is refused there and nothing moves', () => {
    const ops = [
      op('migrateToDevice', { first: 0, count: 1, faults: [] }),
      op('protect', { page: 0, writable: false }),
      op('cpuWrite', { page: 0, value: 9, faults: [] }), // SIGSEGV before any fault-back
      op('gpuWrite', { gpu: 0, page: 0, value: 9, faults: [] }), // the owning GPU, on its own memory
      op('gpuWrite', { gpu: 1, page: 0, value: 9, faults: [] }),
    ];
    expect(run(ops)).toEqual(['OK 1', 'OK', 'SIGSEGV', '-EPERM', '-EPERM']);
    expect(firstPageAfter(ops)).toBe('p0@dev c0[0]=0xa0 ro');
    const writable = [...ops, op('protect', { page: 0, writable: true }), op('gpuWrite', { gpu: 0, page: 0, value: 9, faults: [] })];
    expect(run(writable).slice(-2)).toEqual(['OK', 'OK']);
    expect(firstPageAfter(writable)).toBe('p0@dev c0[0]=0x09 rw {g0:0x09}');
  });

  it('a read-only page stays read-only on its way to the device and back, by migrate_vma and by a fault', () => {
    const ops = [
      op('protect', { page: 0, writable: false }),
      op('migrateToDevice', { first: 0, count: 1, faults: [] }),
      op('cpuRead', { page: 0, faults: [] }), // faulted back
      op('cpuWrite', { page: 0, value: 9, faults: [] }),
      op('migrateToDevice', { first: 0, count: 1, faults: [] }),
      op('migrateToSystem', { first: 0, count: 1, faults: [] }),
    ];
    expect(run(ops)).toEqual(['OK', 'OK 1', 'OK 160', 'SIGSEGV', 'OK 1', 'OK 1']);
    expect(firstPageAfter(ops)).toMatch(/^p0@sys#\d+=0xa0 ro$/);
  });

  it('GPU 1 has a device page faulted back: -EFAULT when allocation fails, -EBUSY when it cannot be isolated', () => {
    const ops = [
      op('migrateToDevice', { first: 0, count: 1, faults: [] }),
      op('gpuRead', { gpu: 1, page: 0, faults: [1] }), // alloc_page_vma fails
      op('gpuRead', { gpu: 1, page: 0, faults: [0] }), // migrate_vma_unmap fails
      op('gpuRead', { gpu: 0, page: 0, faults: [] }), // the owner reads it in place
    ];
    expect(run(ops)).toEqual(['OK 1', '-EFAULT', '-EBUSY', 'OK 160']);
    expect(firstPageAfter(ops)).toBe('p0@dev c0[0]=0xa0 rw {g0:0xa0}');
    const back = [...ops, op('gpuRead', { gpu: 1, page: 0, faults: [] })];
    expect(run(back).at(-1)).toBe('OK 160');
    expect(firstPageAfter(back)).toMatch(/^p0@sys#\d+=0xa0 rw \{g0:0xa0 g1:0xa0\}$/);
  });

  it('an allocation failure part way back to system memory is -ENOMEM and moves nothing', () => {
    // Two pages collected: steps 0-1 unmap, 2-3 allocate; step 3 is p1's allocation, after p0 got its page.
    expect(run([op('migrateToDevice', { first: 0, count: 2, faults: [] }), op('migrateToSystem', { first: 0, count: 2, faults: [3] })])).toEqual(['OK 2', '-ENOMEM']);
  });

  it('a device page freed by migration is used again; a full device takes no more', () => {
    const steps = run([
      op('migrateToDevice', { first: 0, count: 4, faults: [] }),
      op('migrateToSystem', { first: 0, count: 1, faults: [] }), // frees c0[0]
      op('migrateToDevice', { first: 4, count: 1, faults: [] }),
      op('migrateToDevice', { first: 0, count: 1, faults: [] }), // the device is full
    ]);
    expect(steps).toEqual(['OK 4', 'OK 1', 'OK 1', 'OK 0']);
  });

  it('a fault index counts only the steps taken: a page without a destination asks nothing of migrate_vma_pages', () => {
    // Three pages: steps 0-2 unmap, 3-5 allocate; p0's allocation fails (3), so migrate_vma_pages asks for p1 and p2
    // only: step 6 is p1's.
    expect(run([op('migrateToDevice', { first: 0, count: 3, faults: [3, 6] })])).toEqual(['OK 1']);
  });

  it('evict 0 names the oldest live chunk', () => {
    expect(run([op('migrateToDevice', { first: 0, count: 3, faults: [] }), op('evict', { chunk: 0 })])).toEqual(['OK 3', 'OK 2']);
  });

  it('maquire acts on no page below its start', () => {
    const steps = run([
      op('gpuRead', { gpu: 0, page: 0, faults: [] }),
      op('cpuWrite', { page: 0, value: 7, faults: [] }),
      maquire(BASE + PAGE_SIZE, PAGE_SIZE), // page 1 only
      maquire(BASE, PAGE_SIZE),
    ]);
    expect(steps).toEqual(['OK 160', 'OK', 'OK 0', 'OK 1']);
  });
});

