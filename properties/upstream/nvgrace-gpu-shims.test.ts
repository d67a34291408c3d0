// The nvgrace-gpu upstream target without an upstream tree: the kernel shim's own tests (upstream/nvgrace-gpu/
// test/shim-test.c: fault sites fire in the order they are reached, the assertion channel, emulated device memory,
// the user buffer's bounds as AddressSanitizer reports), the errors of `npm run upstream` (missing tree, a file that
// does not compile naming the symbol, a symbol the shim expects that the tree lacks, an unknown driver version),
// and a failed assertion reported through the protocol becoming an implementationAssertionsHold violation,
// using a stand-in driver of the project's own (test/fake-driver.c).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conformanceTarget } from '../harness/conformance-target.js';
import { ProcessImplementation } from '../harness/process-adapter.js';
import { findSuite } from '../harness/registry.js';
import { execute } from '../harness/interpreter.js';
import { selectInvariants } from '../harness/suite.js';
import { DRIVER_FILE, target, usememBarSizing } from '../../upstream/nvgrace-gpu/target.js';
import { UpstreamError } from '../../upstream/target.js';

const ROOT = join(import.meta.dirname, '..', '..');
const HERE = join(ROOT, 'upstream', 'nvgrace-gpu');
const BUILD = join(ROOT, 'upstream', 'build', 'test');
const SHIM_TEST = join(BUILD, 'nvgrace-shim-test');

let trees: string;

/** A tree whose driver file is `text`. */
function tree(name: string, text: string): string {
  const dir = join(trees, name);
  mkdirSync(join(dir, 'drivers/vfio/pci/nvgrace-gpu'), { recursive: true });
  writeFileSync(join(dir, DRIVER_FILE), text);
  return dir;
}

function upstreamError(f: () => unknown): UpstreamError {
  try {
    f();
  } catch (error) {
    if (error instanceof UpstreamError) return error;
    throw error;
  }
  throw new Error('no UpstreamError');
}

beforeAll(() => {
  trees = mkdtempSync(join(tmpdir(), 'gpumem-upstream-'));
  mkdirSync(BUILD, { recursive: true });
  // Built once per version of its sources (the build folder is kept between runs).
  const sources = [join(HERE, 'test', 'shim-test.c'), join(HERE, 'shim', 'kernel.c'), join(HERE, 'shim', 'shim.h'), join(HERE, 'shim', 'include', 'gpumem_kernel.h'), join(ROOT, 'examples', 'common', 'jsonl.c')];
  const key = createHash('sha256').update(sources.map((f) => readFileSync(f, 'utf8')).join('\0')).digest('hex');
  const stamp = `${SHIM_TEST}.stamp`;
  if (existsSync(SHIM_TEST) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return;
  execFileSync(process.env['CC'] ?? 'gcc', [
    '-std=gnu11', '-D_GNU_SOURCE', '-g', '-O1', '-fsanitize=address,undefined', '-fno-sanitize-recover=all', '-Wall', '-Wextra',
    '-I', join(ROOT, 'examples', 'common'), '-I', join(HERE, 'shim', 'include'), '-I', join(HERE, 'shim'),
    '-o', SHIM_TEST, join(HERE, 'test', 'shim-test.c'), join(HERE, 'shim', 'kernel.c'), join(ROOT, 'examples', 'common', 'jsonl.c'),
  ]);
  writeFileSync(stamp, key);
}, 120_000);
afterAll(() => rmSync(trees, { recursive: true, force: true }));

describe('nvgrace-gpu kernel shim (no upstream tree needed)', () => {
  it('its own checks pass: fault sites in order, assertion channel, device memory, user buffer', () => {
    const out = execFileSync(SHIM_TEST, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const lines = out.trim().split('\n');
    expect(lines.filter((l) => l.startsWith('FAIL'))).toEqual([]);
    expect(lines.filter((l) => l.startsWith('ok ')).length).toBeGreaterThanOrEqual(20);
    expect(out).toContain('ok fault sites: memremap then ioremap_wc are asked, in the order they are reached');
    expect(out).toContain('ok assertions: WARN_ON from driver code is reported with its condition, file and line');
    expect(lines.at(-1)).toBe('0 failed');
  });

  it.each([
    ['user-overflow', 'the caller\'s 0x64-byte buffer (past its end)', 'copy_to_user:'],
    ['device-overflow', 'a 0x2000-byte mapping of device memory at 0x200000 (past its end)', 'copy_to_user source:'],
  ])('an access past a window is an AddressSanitizer report saying what was accessed (%s)', (mode, why, frame) => {
    const r = spawnSync(SHIM_TEST, [mode], { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'symbolize=0' } });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain(why);
    expect(r.stderr).toMatch(/ERROR: AddressSanitizer: use-after-poison/);
    expect(r.stderr).toContain(`gpumem-shim: invalid access: ${frame}`);
  });
});

describe('npm run upstream: errors name the file, the symbol and the tree', () => {
  it('a missing tree', () => {
    const e = upstreamError(() => target.build(join(trees, 'nowhere'), join(trees, 'out')));
    expect(e.tree).toBe(join(trees, 'nowhere'));
    expect(e.message).toMatch(/no such tree/);
  });

  it('a tree without the driver file', () => {
    mkdirSync(join(trees, 'empty'), { recursive: true });
    const e = upstreamError(() => target.detectVersion(join(trees, 'empty')));
    expect([e.file, e.tree]).toEqual([DRIVER_FILE, join(trees, 'empty')]);
  });

  it('a file that calls a kernel service the shim does not provide', () => {
    const t = tree('unknown-service', '#include <linux/vfio_pci_core.h>\nint f(void) { return nvgrace_new_kernel_service(1); }\n');
    const e = upstreamError(() => target.build(t, join(trees, 'out-unknown')));
    expect([e.file, e.symbol, e.tree]).toEqual([DRIVER_FILE, 'nvgrace_new_kernel_service', t]);
    expect(e.message).toMatch(/does not compile against the shim/);
  });

  it('a file without the symbol the shim expects (module_pci_driver)', () => {
    const t = tree('no-module', `#define FAKE_WITHOUT_MODULE\n#include "${join(HERE, 'test', 'fake-driver.c')}"\n`);
    const e = upstreamError(() => target.build(t, join(trees, 'out-no-module')));
    expect([e.file, e.symbol, e.tree]).toEqual([DRIVER_FILE, 'shim_module_pci_driver', t]);
  });

  it('the version: which of sizing the usemem BAR and rounding usemem down comes first; unknown otherwise', () => {
    const body = (first: string, second: string) => `static int\nnvgrace_gpu_init_nvdev_struct(struct pci_dev *pdev)\n{\n\t${first};\n\t${second};\n}\n`;
    const sizing = 'nvdev->usemem.bar_size = roundup_pow_of_two(nvdev->usemem.memlength)';
    const rounding = 'nvdev->usemem.memlength = round_down(nvdev->usemem.memlength, MEMBLK_SIZE)';
    expect(usememBarSizing(body(sizing, rounding))).toBe('before');
    expect(usememBarSizing(body(rounding, sizing))).toBe('after');
    const versions = findSuite('nvgrace-gpu')?.spec.versions.map((v) => v.name) ?? [];
    const detected = target.detectVersion(tree('after', body(rounding, sizing))).specVersion;
    expect(versions).toContain(detected);
    if (versions.includes('before-6a9eb2d')) expect(detected).toBe('before-6a9eb2d');
    const e = upstreamError(() => target.detectVersion(tree('unknown-version', 'static int nvgrace_gpu_probe(void) { return 0; }\n')));
    expect([e.file, e.symbol]).toEqual([DRIVER_FILE, 'nvgrace_gpu_init_nvdev_struct']);
    expect(e.message).toMatch(/looked in nvgrace_gpu_init_nvdev_struct\(\) for/);
  });
});

describe('a failed assertion through the protocol is a violation', () => {
  it('implementationAssertionsHold: the write that breaks the mutex rule, with the file and line the shim names', () => {
    const t = tree('fake', `#include "${join(HERE, 'test', 'fake-driver.c')}"\n`);
    const exe = target.build(t, join(BUILD, 'fake-driver'));
    const suite = findSuite('nvgrace-gpu');
    if (suite === undefined) throw new Error('no nvgrace-gpu suite');
    const impl = new ProcessImplementation(exe, { timeoutMs: 10_000 });
    try {
      const conf = conformanceTarget(suite, impl, 'fake-driver');
      const property = conf.suite.properties[0];
      if (property === undefined) throw new Error('no property');
      const invariants = selectInvariants(conf.suite, property, ['implementationAssertionsHold']);
      const probe = { op: 'probe', args: { memphys: 0x4000_0000_0000n, memlength: 0x2_0000_0000n } };
      const write = (count: bigint) => ({ op: 'write', args: { bar: 'BAR4', offset: 0n, count, seed: 1, faults: [] } });
      const clean = execute(conf.suite.spec, conf.createModel(), [probe, write(1n)], { invariants });
      expect(clean.violation).toBeUndefined();
      const broken = execute(conf.suite.spec, conf.createModel(), [probe, write(1n), write(2n), write(1n)], { invariants });
      expect(broken.violation?.invariant).toBe('implementationAssertionsHold');
      expect(broken.violation?.step).toBe(2);
      expect(broken.violation?.message).toMatch(/mutex_unlock of a mutex that is not held \(fake-driver\.c:\d+\)/);
    } finally {
      impl.close();
    }
  });
});
