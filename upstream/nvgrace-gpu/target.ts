// The nvgrace-gpu upstream target: Linux drivers/vfio/pci/nvgrace-gpu/main.c compiled unmodified in userspace
// against the project's kernel shim (shim/), with the protocol program (protocol.c) as its caller, and conformed
// against the nvgrace-gpu specification. README.md in this folder says what comes from the tree and what is shimmed.

import { createHash } from 'node:crypto';
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { nvgraceGpuSpec } from '../../model/nvgrace-gpu/index.js';
import { cc, compile } from '../compile.js';
import { UpstreamError, type DetectedVersion, type UpstreamTarget } from '../target.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
/** The driver file, relative to the root of a Linux tree. */
export const DRIVER_FILE = 'drivers/vfio/pci/nvgrace-gpu/main.c';
const SHIM_INCLUDE = join(HERE, 'shim', 'include');
const COMMON = join(ROOT, 'examples', 'common');
/** The project's own sources of the executable (never the tree's), each compiled as its own translation unit. */
const OWN_SOURCES = [join(HERE, 'shim', 'kernel.c'), join(HERE, 'protocol.c'), join(COMMON, 'jsonl.c')];
const OWN_HEADERS = [join(HERE, 'shim', 'include', 'gpumem_kernel.h'), join(HERE, 'shim', 'shim.h'), join(COMMON, 'jsonl.h')];
const CFLAGS = [
  '-std=gnu11', '-D_GNU_SOURCE', '-g', '-O2', '-fno-omit-frame-pointer',
  '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
  // A kernel service the shim does not provide must stop the build, naming it (gcc 12 only warns by default).
  '-Werror=implicit-function-declaration', '-Werror=incompatible-pointer-types',
];

/** The symbols the protocol program needs from the tree's file, and what each means when it is missing. */
const REQUIRED_SYMBOLS: Record<string, string> = {
  shim_module_pci_driver: 'the driver registered with module_pci_driver(), the protocol program\'s entry point',
};


/** The version fields of a Linux tree's top-level Makefile, e.g. "6.14.0-rc2", or undefined without one. */
export function makefileVersion(tree: string): string | undefined {
  const makefile = join(tree, 'Makefile');
  if (!existsSync(makefile)) return undefined;
  const text = readFileSync(makefile, 'utf8').slice(0, 4000);
  const field = (name: string) => new RegExp(`^${name}\\s*=\\s*(.*)$`, 'm').exec(text)?.[1]?.trim();
  const version = field('VERSION');
  const patch = field('PATCHLEVEL');
  if (version === undefined || patch === undefined || version === '' || patch === '') return undefined;
  const sub = field('SUBLEVEL') ?? '0';
  return `${version}.${patch}.${sub === '' ? '0' : sub}${field('EXTRAVERSION') ?? ''}`;
}

/** `git describe` of the tree when it is a git work tree. */
export function gitDescribe(tree: string): string | undefined {
  if (!existsSync(join(tree, '.git'))) return undefined;
  const r = spawnSync('git', ['-C', tree, 'describe', '--tags', '--always', '--dirty'], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

/**
 * Where nvgrace_gpu_init_nvdev_struct sizes the usemem BAR relative to the MEMBLK_SIZE round-down of usemem:
 * 'before' since upstream commit 6a9eb2d125ba, 'after' until it; undefined when either statement is not found.
 */
export function usememBarSizing(source: string): 'before' | 'after' | undefined {
  const start = source.indexOf('nvgrace_gpu_init_nvdev_struct(struct pci_dev');
  if (start < 0) return undefined;
  const body = source.slice(start, start + 8000);
  const sizing = /usemem\.bar_size\s*=\s*roundup_pow_of_two\(/.exec(body);
  const roundDown = /usemem\.memlength\s*=\s*round_down\(/.exec(body);
  if (sizing === null || roundDown === null) return undefined;
  return sizing.index < roundDown.index ? 'before' : 'after';
}

const SIZING_VERSION = { before: 'linux-6a9eb2d', after: 'before-6a9eb2d' } as const;

function driverPath(tree: string): string {
  return join(tree, DRIVER_FILE);
}

function requireTree(tree: string): string {
  if (!existsSync(tree) || !statSync(tree).isDirectory()) throw new UpstreamError(`no such tree: ${tree}`, undefined, undefined, tree);
  const file = driverPath(tree);
  if (!existsSync(file)) throw new UpstreamError(`the tree has no ${DRIVER_FILE}`, DRIVER_FILE, undefined, tree);
  return file;
}



/** A hash of the files' contents (not their paths) and the flags: what a build depends on. */
function hashOf(files: string[], extra: string): string {
  const h = createHash('sha256');
  for (const f of files) h.update(readFileSync(f)).update('\0');
  return h.update(extra).digest('hex').slice(0, 16);
}

/** The project's own objects (shim, protocol program, JSON lines), built once per version of their sources. */
function ownObjects(tree: string): string[] {
  const key = hashOf([...OWN_SOURCES, ...OWN_HEADERS], `${cc()} ${CFLAGS.join(' ')}`);
  const dir = join(ROOT, 'upstream', 'build', 'nvgrace-gpu', `shim-${key}`);
  const objects = OWN_SOURCES.map((src) => join(dir, src.replace(/^.*\//, '').replace(/\.c$/, '.o')));
  if (objects.every((o) => existsSync(o))) return objects;
  mkdirSync(dir, { recursive: true });
  OWN_SOURCES.forEach((src, i) => {
    const obj = objects[i] as string;
    const tmp = `${obj}.${process.pid}.tmp`;
    compile([...CFLAGS, '-Wall', '-Wextra', '-I', COMMON, '-I', SHIM_INCLUDE, '-I', HERE, '-c', src, '-o', tmp], src, tree, false);
    renameSync(tmp, obj);
  });
  return objects;
}

export const target: UpstreamTarget = {
  name: 'nvgrace-gpu',
  subsystem: 'nvgrace-gpu',
  description: `Linux ${DRIVER_FILE} (the vfio-pci variant driver for Grace Hopper coherent device memory), every function of it, driven through its pci_driver and vfio_device_ops`,
  envVar: 'GPUMEM_UPSTREAM_NVGRACE_GPU',

  recognises(tree: string): boolean {
    return existsSync(driverPath(tree));
  },

  detectVersion(tree: string): DetectedVersion {
    const file = requireTree(tree);
    const source = readFileSync(file, 'utf8');
    const made = makefileVersion(tree);
    const git = gitDescribe(tree);
    const sizing = usememBarSizing(source);
    if (sizing === undefined)
      throw new UpstreamError(
        `unknown nvgrace-gpu driver: looked in nvgrace_gpu_init_nvdev_struct() for "usemem.bar_size = roundup_pow_of_two(" and "usemem.memlength = round_down(" (which comes first decides the specification version) and found ${source.includes('nvgrace_gpu_init_nvdev_struct') ? 'not both' : 'no such function'}`,
        DRIVER_FILE, 'nvgrace_gpu_init_nvdev_struct', tree,
      );
    const wanted = SIZING_VERSION[sizing];
    const known = nvgraceGpuSpec.versions.map((v) => v.name);
    const upstream = [made === undefined ? undefined : `Linux ${made}`, git === undefined ? undefined : `git ${git}`].filter((x) => x !== undefined).join(', ') || 'Linux (no Makefile version, not a git tree)';
    const how = `${sizing === 'before' ? 'the usemem BAR is sized before the MEMBLK_SIZE round-down (upstream commit 6a9eb2d125ba and later)' : 'the usemem BAR is sized after the MEMBLK_SIZE round-down (before upstream commit 6a9eb2d125ba)'} in nvgrace_gpu_init_nvdev_struct(); Makefile: ${made ?? 'none'}; git describe: ${git ?? 'not a git tree'}`;
    if (!known.includes(wanted)) {
      const fallback = known[0] ?? wanted;
      return { upstream, specVersion: fallback, how: `${how}; specification version ${wanted} is not defined yet, so the default ${fallback} is used` };
    }
    return { upstream, specVersion: wanted, how };
  },

  build(tree: string, outDir: string): string {
    const file = requireTree(tree);
    mkdirSync(outDir, { recursive: true });
    const exe = join(outDir, 'nvgrace-gpu');
    const stamp = join(outDir, 'nvgrace-gpu.stamp');
    const key = hashOf([file, ...OWN_SOURCES, ...OWN_HEADERS], `${cc()} ${CFLAGS.join(' ')}`);
    if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return exe;

    const objects: string[] = [];
    // The tree's file, as it is: angle-bracket includes (<linux/...>) resolve to the shim's headers.
    const driverObject = join(outDir, 'driver.o');
    // -fno-inline keeps each driver function a frame of its own in sanitizer reports.
    compile([...CFLAGS, '-fno-inline', '-DKBUILD_MODNAME="nvgrace_gpu_vfio_pci"', '-I', SHIM_INCLUDE, '-c', file, '-o', driverObject], DRIVER_FILE, tree, true);
    objects.push(driverObject);
    // The symbols the protocol program takes from the tree's file.
    const defined = execFileSync('nm', ['--defined-only', driverObject], { encoding: 'utf8' });
    for (const [symbol, meaning] of Object.entries(REQUIRED_SYMBOLS))
      if (!new RegExp(`\\b${symbol}\\b`).test(defined))
        throw new UpstreamError(`${DRIVER_FILE} does not define ${symbol}: the shim expects ${meaning}`, DRIVER_FILE, symbol, tree);
    objects.push(...ownObjects(tree));
    const tmp = `${exe}.${process.pid}.tmp`;
    compile([...CFLAGS, '-o', tmp, ...objects], 'the link', tree, false);
    renameSync(tmp, exe);
    writeFileSync(stamp, key);
    return exe;
  },
};
