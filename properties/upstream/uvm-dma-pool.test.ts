// The uvm-dma-pool upstream target (upstream/uvm-dma-pool): the shim's own behaviour, checked everywhere with the
// project's C test program, and, when GPUMEM_UPSTREAM_UVM_DMA_POOL names an open-gpu-kernel-modules tree, the
// tree's pool and tracker built unmodified and conformed against the dma-pool specification, with the two upstream
// defects docs/findings.md records reproduced as violations.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FaultPlan } from '../../model/common/faults.js';
import { makeOp } from '../../model/common/schema.js';
import { DRIVER_INITIAL_BUFFERS, emptyPoolSysmem, POOL_GPU, poolMemRules, poolRules, type PoolState } from '../../model/dma-pool/index.js';
import { poolSignatures } from '../../model/dma-pool/operations.js';
import { UvmMemOps } from '../../model/uvm-mem/index.js';
import { parseFixedArgument, withFixedArguments } from '../harness/fixed-arguments.js';
import { execute } from '../harness/interpreter.js';
import { replay } from '../harness/replay.js';
import { modelTarget } from '../harness/targets.js';
import { listCaseFiles, load } from '../harness/store.js';
import { seedFromEnvironment } from '../harness/seed.js';
import { conformanceTarget } from '../harness/conformance-target.js';
import { ProcessImplementation } from '../harness/process-adapter.js';
import { findSuite, suites } from '../harness/registry.js';
import { UpstreamError } from '../../upstream/target.js';
import { target } from '../../upstream/uvm-dma-pool/target.js';
import { run, searchOn, type Conformance } from '../conformance/helpers.js';
import { selectInvariants, type PropertyDef } from '../harness/suite.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HERE = join(ROOT, 'upstream', 'uvm-dma-pool');
const BUILD = join(ROOT, 'upstream', 'build', 'test');

/** A FaultPlan that remembers the name of every fallible step it is asked about, in order. */
class RecordingPlan extends FaultPlan {
  readonly sites: string[] = [];
  override fails(site: string): boolean {
    this.sites.push(site);
    return super.fails(site);
  }
  override firstFailureOf(site: string, count: number): number | undefined {
    for (let i = 0; i < count; i++) this.sites.push(site);
    return super.firstFailureOf(site, count);
  }
}

describe('uvm-dma-pool shim (no upstream tree needed)', () => {
  let lines: Map<string, string>;
  beforeAll(() => {
    mkdirSync(BUILD, { recursive: true });
    const exe = join(BUILD, 'uvm-dma-pool-shim-test');
    execFileSync('gcc', [
      '-std=gnu11', '-D_GNU_SOURCE', '-g', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-Wall', '-Wextra', '-Wno-unused-function',
      '-I', join(HERE, 'test', 'include'), '-I', join(HERE, 'shim', 'include'), '-I', join(HERE, 'shim'), '-I', join(ROOT, 'examples', 'common'),
      '-o', exe, join(HERE, 'test', 'shim_test.c'), join(HERE, 'shim', 'shim.c'), join(ROOT, 'examples', 'common', 'jsonl.c'),
    ], { stdio: ['ignore', 'ignore', 'inherit'] });
    const out = execFileSync(exe, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    lines = new Map(out.trim().split('\n').map((l) => [l.slice(0, l.indexOf(':')), l.slice(l.indexOf(':') + 1).trim()]));
  }, 60_000);

  it("asks the fault plan at the specification's fallible steps of a sysmem DMA allocation, in its order", () => {
    const plan = new RecordingPlan();
    const ops = new UvmMemOps(poolMemRules(poolRules('uvm-575')));
    const space = emptyPoolSysmem(true);
    const made = ops.allocAndMapCpuKernel(space, POOL_GPU, 8192n, plan);
    expect(made.ok).toBe(true);
    if (made.ok) expect(ops.mapGpuKernel(space, made.id, POOL_GPU, plan)).toBeUndefined();
    expect(lines.get('sites')?.split('|')).toEqual(plan.sites);
    expect(lines.get('status')).toBe('NV_OK');
    expect(lines.get('mapped_cpu_pages_size')).toBe(String(space.mappedCpuPagesSize[POOL_GPU]));
    expect(lines.get('after free')).toBe('0');
  });

  it('a fault fails its step, reaches no later one and leaves nothing allocated', () => {
    expect(lines.get('faulted sites')?.split('|')).toHaveLength(3);
    expect(lines.get('faulted status')).toBe('NV_ERR_NO_MEMORY');
    expect(lines.get('faulted live')).toBe('none');
  });

  it('numbers the pool buffers in the order they are made; a failed allocation makes none', () => {
    expect(lines.get('buffers')).toBe('2 ids 0,1 failed null');
    expect(lines.get('buffers after free')).toBe('0');
  });

  it('poisons a deleted list entry and reports its reuse instead of following it', () => {
    expect(lines.get('poisoned')).toBe('next prev');
    expect(lines.get('list assertions')).toMatch(/^1 list\(entry not poisoned \(used after list_del\)\) in list_del/);
  });

  it('reports UVM_ASSERT and mutex misuse on the assertion channel, with the expression and where', () => {
    expect(lines.get('assertions')).toBe('3');
    expect(lines.get('assertion 0')).toMatch(/^uvm_mutex_lock\(.*deadlock.*\) in uvm_mutex_lock/);
    expect(lines.get('assertion 1')).toMatch(/^uvm_mutex_unlock\(.*\) in uvm_mutex_unlock/);
    expect(lines.get('assertion 2')).toMatch(/^UVM_ASSERT\(1 \+ 1 == 3\) in main \(shim_test\.c:\d+\)$/);
  });

  it("a tracker wait's global error is one fallible step, then stays set until the operation ends", () => {
    expect(lines.get('status sites')).toBe('uvm_global_get_status (a tracker wait)');
    expect(lines.get('global')).toBe('NV_ERR_RC_ERROR NV_ERR_RC_ERROR then NV_OK');
  });
});

const FINDINGS = join(ROOT, 'counterexamples', 'upstream', 'dma-pool');
const findings = listCaseFiles([FINDINGS]).map((file) => ({ file, ce: load(file, suites) }));

describe('uvm-dma-pool: trees it cannot use are refused naming what is missing (exit 2 from npm run upstream)', () => {
  const fake = (files: Record<string, string>): string => {
    const dir = mkdtempSync(join(tmpdir(), 'gpumem-uvm-tree-'));
    const uvm = join(dir, 'kernel-open', 'nvidia-uvm');
    mkdirSync(uvm, { recursive: true });
    for (const [name, text] of Object.entries(files)) writeFileSync(join(name === 'version.mk' ? dir : uvm, name), text);
    return dir;
  };
  const headers = { 'uvm_conf_computing.h': '', 'uvm_tracker.h': '', 'uvm_tracker.c': '' };

  it('a missing tree, or a tree without the pool file', () => {
    expect(() => target.detectVersion('/nonexistent/tree')).toThrow(UpstreamError);
    expect(() => target.build(fake(headers), join(BUILD, 'refused'))).toThrow(/has no kernel-open\/nvidia-uvm\/uvm_conf_computing\.c/);
  });

  it('a tree of no known version: what was looked for', () => {
    const dir = fake({ ...headers, 'uvm_conf_computing.c': 'int nothing;\n', 'version.mk': 'NVIDIA_VERSION = 470.10\n' });
    expect(() => target.detectVersion(dir)).toThrow(/unknown open-gpu-kernel-modules tree: looked for version\.mk NVIDIA_VERSION \(470\.10\)/);
  });

  it('a pool function the tree no longer has: its name', () => {
    const pool = [
      'static NV_STATUS dma_buffer_create(void)\n{\n    return uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(UVM_CONF_COMPUTING_DMA_BUFFER_SIZE, 0, 0, 0);\n}\n',
    ].join('');
    const dir = fake({ ...headers, 'uvm_conf_computing.c': pool, 'version.mk': 'NVIDIA_VERSION = 575.51.02\n' });
    let error: unknown;
    try {
      target.build(dir, join(BUILD, 'refused'));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UpstreamError);
    expect((error as UpstreamError).symbol).toBe('dma_buffer_destroy_locked');
    expect((error as UpstreamError).file).toBe('kernel-open/nvidia-uvm/uvm_conf_computing.c');
    expect((error as UpstreamError).tree).toBe(dir);
  });
});

const tree = process.env[target.envVar];
const seed = seedFromEnvironment();
const why = tree === undefined ? ` (skipped: set ${target.envVar} to an open-gpu-kernel-modules tree)` : '';

describe.skipIf(tree === undefined)(`uvm-dma-pool: the tree's pool and tracker against the specification (seed ${seed})${why}`, () => {
  let c: Conformance;
  let version = '';
  beforeAll(() => {
    const t = tree as string;
    version = target.detectVersion(t).specVersion;
    const exe = target.build(t, join(ROOT, 'upstream', 'build', 'test', `uvm-dma-pool-${version}`));
    const suite = findSuite('dma-pool');
    if (suite === undefined) throw new Error('no dma-pool suite');
    const impl = new ProcessImplementation(exe, { timeoutMs: 20_000 });
    const conformTarget = conformanceTarget(suite, impl, 'upstream-uvm-dma-pool', version);
    c = { impl, target: conformTarget, property: conformTarget.suite.properties.find((p) => p.name === 'poolLifecycle') as PropertyDef };
  }, 120_000);
  afterAll(() => c?.impl.close());

  // Upstream's init makes 32 buffers (the target's conformArgs say so); a failed init is a known upstream defect
  // (docs/findings.md), so this search injects no faults into init.
  it('conforms on poolLifecycle with init faults masked', async () => {
    const suite = findSuite('dma-pool') as NonNullable<ReturnType<typeof findSuite>>;
    const fixed = [...(target.conformArgs ?? []).filter((a) => a !== '--fix'), 'init.faults=[]'].map((text) => parseFixedArgument(suite, text));
    const property = withFixedArguments(c.property, fixed);
    const outcome = await searchOn(c, seed, 150, undefined, property);
    expect(outcome.failure?.violation).toBeUndefined();
    expect(outcome.runsDone).toBe(150);
  }, 120_000);

  // The machine's coherent DMA memory (POOL_DMA_PAGES, the shim's UVM_SHIM_DMA_PAGES) runs out in the expansion
  // from 1024 buffers to 2048: upstream keeps what it made, as the specification does.
  it('runs out of coherent DMA memory where the specification does (an expansion cut short)', () => {
    const operations = [makeOp(poolSignatures, 'init', { count: DRIVER_INITIAL_BUFFERS, faults: [] }), ...Array.from({ length: 1025 }, () => makeOp(poolSignatures, 'alloc', { outTracker: false, faults: [] }))];
    const pool = findSuite('dma-pool') as NonNullable<ReturnType<typeof findSuite>>;
    // The pool's size and pages (every invariant after each of a thousand steps on two thousand buffers takes long).
    const own = ['expansionAtMostDoubles', 'numDmaBuffersCountsEveryBuffer', 'mappedCpuPagesSizeIsExact', 'failedOperationHandsOutNothing'];
    const spec = execute(pool.spec, modelTarget(pool, version).createModel(), operations, { invariants: selectInvariants(pool, c.property, own) });
    expect(spec.violation).toBeUndefined();
    expect((spec.state as PoolState).numDmaBuffers).toBeGreaterThan(1024);
    expect((spec.state as PoolState).numDmaBuffers).toBeLessThan(2048);
    const protocol = ['resultMatchesSpecification', 'implementationMemorySafe', 'implementationKeepsRunning', 'implementationAnswersInTime', 'implementationFollowsProtocol', 'implementationAssertionsHold'];
    expect(run(c, operations, [...protocol, ...own]).violation).toBeUndefined();
  }, 120_000);

  // Each known upstream defect (docs/findings.md) saved as found on the real code: it still fails there, the same way.
  it('every saved finding of this version reproduces on the tree with its invariant and message', () => {
    const mine = findings.filter((f) => f.ce.specVersion === version);
    expect(mine.length, `no saved finding of ${version}`).toBeGreaterThan(0);
    for (const { file, ce } of mine) {
      const again = replay(ce, c.target, true);
      expect(again.run.violation?.invariant, file).toBe(ce.violation.invariant);
      expect(again.run.violation?.message, file).toBe(ce.violation.message);
    }
  }, 120_000);
});
