// The uvm-dma-pool upstream target: the Confidential-Computing DMA staging-buffer pool of NVIDIA's
// open-gpu-kernel-modules (kernel-open/nvidia-uvm/uvm_conf_computing.c) and the tracker it waits on
// (uvm_tracker.c), compiled unmodified in userspace against the project's shims (shim/), with the protocol
// program (main.c) as the pool's caller, conformed against the dma-pool specification. README.md in this
// folder says what comes from the tree, what is shimmed, and how the pool's functions are taken from the tree.

import { createHash } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { dmaPoolSpec } from '../../model/dma-pool/index.js';
import { cc, compile } from '../compile.js';
import { UpstreamError, type DetectedVersion, type UpstreamTarget } from '../target.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const ROOT = resolve(HERE, '..', '..');
/** Where the UVM driver lives in an open-gpu-kernel-modules tree. */
export const UVM_DIR = 'kernel-open/nvidia-uvm';
const POOL_FILE = 'uvm_conf_computing.c';
/** Files of the tree compiled or included as they are (copied into the build folder, so that every other driver header resolves to the shim's). */
const TREE_FILES = ['uvm_conf_computing.h', 'uvm_tracker.h', 'uvm_tracker.c'];
const SHIM = join(HERE, 'shim');
const SHIM_INCLUDE = join(SHIM, 'include');
const COMMON = join(ROOT, 'examples', 'common');
const OWN_SOURCES = [join(SHIM, 'shim.c'), join(HERE, 'main.c'), join(COMMON, 'jsonl.c')];
const OWN_HEADERS = [join(SHIM, 'shim.h'), join(COMMON, 'jsonl.h'), ...['uvm_shim_base.h', 'uvm_channel.h', 'uvm_gpu.h', 'uvm_mem.h', 'uvm_push.h'].map((h) => join(SHIM_INCLUDE, h))];
const CFLAGS = [
  '-std=gnu11', '-D_GNU_SOURCE', '-g', '-O1', '-fno-omit-frame-pointer',
  '-fsanitize=address,undefined', '-fno-sanitize-recover=all',
  '-Wno-unused-function', '-Wno-unused-variable',
  // A service the shim does not provide must stop the build, naming it (gcc 12 only warns by default).
  '-Werror=implicit-function-declaration', '-Werror=incompatible-pointer-types',
];

/**
 * The pool's functions, in the order uvm_conf_computing.c defines them: they form one contiguous block of the
 * file, from the first to the last, which the build takes verbatim (with whatever the tree has between them,
 * such as 580's dma_buffer_alloc and auth_tag_alloc).
 */
export const POOL_FUNCTIONS = [
  'dma_buffer_destroy_locked',
  'dma_buffer_pool_to_gpu',
  'dma_buffer_create',
  'uvm_conf_computing_dma_buffer_pool_sync',
  'conf_computing_dma_buffer_pool_deinit',
  'dma_buffer_pool_add',
  'conf_computing_dma_buffer_pool_init',
  'dma_buffer_pool_expand_locked',
  'uvm_conf_computing_dma_buffer_alloc',
  'uvm_conf_computing_dma_buffer_free',
] as const;

/** 580 and later allocate the staging buffer as one 2 MiB chunk (uvm_conf_computing.c's dma_buffer_alloc). */
const CHUNKED_STAGING = /static NV_STATUS dma_buffer_alloc\(uvm_gpu_t \*gpu, uvm_conf_computing_dma_buffer_t \*dma_buffer\)[\s\S]{0,600}UVM_PAGE_SIZE_2M/;

/** The UVM folder of a tree given either as the repository root or as kernel-open/nvidia-uvm itself. */
export function uvmDir(tree: string): string {
  return existsSync(join(tree, UVM_DIR, POOL_FILE)) ? join(tree, UVM_DIR) : tree;
}

function requireTree(tree: string): string {
  if (!existsSync(tree) || !statSync(tree).isDirectory()) throw new UpstreamError(`no such tree: ${tree}`, undefined, undefined, tree);
  const dir = uvmDir(tree);
  for (const f of [POOL_FILE, ...TREE_FILES])
    if (!existsSync(join(dir, f))) throw new UpstreamError(`the tree has no ${UVM_DIR}/${f}`, `${UVM_DIR}/${f}`, undefined, tree);
  return dir;
}

/** NVIDIA_VERSION of the tree's version.mk (the repository root's), if there is one. */
export function releaseOf(tree: string): string | undefined {
  for (const candidate of [join(tree, 'version.mk'), join(tree, '..', '..', 'version.mk')]) {
    if (!existsSync(candidate)) continue;
    const m = /^NVIDIA_VERSION\s*=\s*(\S+)/m.exec(readFileSync(candidate, 'utf8'));
    if (m?.[1] !== undefined) return m[1];
  }
  return undefined;
}

/** The body of a C function defined at the start of a line, from its first line to the `}` that closes it. */
function functionSpan(source: string, name: string): { start: number; end: number } | undefined {
  const head = new RegExp(`^(?:static\\s+)?[A-Za-z_][\\w\\s\\*]*?\\b${name}\\s*\\(`, 'm').exec(source);
  if (head === null) return undefined;
  const close = /^\}\s*$/m;
  close.lastIndex = 0;
  const rest = source.slice(head.index);
  const m = close.exec(rest);
  if (m === null) return undefined;
  return { start: head.index, end: head.index + m.index + m[0].length };
}

/**
 * The pool's block of uvm_conf_computing.c, verbatim, and the #line that points a diagnostic or an assertion back
 * at the tree's file. Throws naming the function the tree lacks.
 */
export function poolBlock(source: string, file: string, tree: string): string {
  const spans = POOL_FUNCTIONS.map((name) => {
    const span = functionSpan(source, name);
    if (span === undefined)
      throw new UpstreamError(`${UVM_DIR}/${POOL_FILE} does not define ${name}, one of the pool functions the shim drives`, `${UVM_DIR}/${POOL_FILE}`, name, tree);
    return span;
  });
  const start = Math.min(...spans.map((s) => s.start));
  const end = Math.max(...spans.map((s) => s.end));
  const line = source.slice(0, start).split('\n').length;
  return `#line ${line} "${file}"\n${source.slice(start, end)}\n`;
}




export const target: UpstreamTarget = {
  name: 'uvm-dma-pool',
  subsystem: 'dma-pool',
  description: `open-gpu-kernel-modules ${UVM_DIR}: the CC DMA staging-buffer pool of ${POOL_FILE} (${POOL_FUNCTIONS.length} functions, verbatim) and all of uvm_tracker.c`,
  envVar: 'GPUMEM_UPSTREAM_UVM_DMA_POOL',
  // conf_computing_dma_buffer_pool_init makes a fixed 32 buffers (num_dma_buffers = 32): the generated inits say so too.
  conformArgs: ['--fix', 'init.count=32'],

  recognises(tree: string): boolean {
    return existsSync(join(uvmDir(tree), POOL_FILE)) && existsSync(join(uvmDir(tree), 'uvm_tracker.c'));
  },

  detectVersion(tree: string): DetectedVersion {
    const dir = requireTree(tree);
    const source = readFileSync(join(dir, POOL_FILE), 'utf8');
    const release = releaseOf(tree) ?? releaseOf(dir);
    const chunked = CHUNKED_STAGING.test(source);
    const major = release === undefined ? undefined : Number(release.split('.')[0]);
    const byRelease = major === undefined || !Number.isInteger(major) ? undefined : major >= 580 ? 'uvm-580' : major >= 550 ? 'uvm-575' : undefined;
    const byCode = chunked ? 'uvm-580' : source.includes('uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(UVM_CONF_COMPUTING_DMA_BUFFER_SIZE') ? 'uvm-575' : undefined;
    const looked = `version.mk NVIDIA_VERSION (${release ?? 'none'}); in ${POOL_FILE}, dma_buffer_alloc with UVM_PAGE_SIZE_2M (580 and later) or uvm_mem_alloc_sysmem_dma_and_map_cpu_kernel(UVM_CONF_COMPUTING_DMA_BUFFER_SIZE (550-575)`;
    const wanted = byCode ?? byRelease;
    if (wanted === undefined) throw new UpstreamError(`unknown open-gpu-kernel-modules tree: looked for ${looked} and recognised neither`, `${UVM_DIR}/${POOL_FILE}`, 'dma_buffer_create', tree);
    if (byRelease !== undefined && byCode !== undefined && byRelease !== byCode)
      throw new UpstreamError(`release ${release} says ${byRelease} but the code of ${POOL_FILE} says ${byCode}: a modified tree; looked for ${looked}`, `${UVM_DIR}/${POOL_FILE}`, 'dma_buffer_create', tree);
    const known = dmaPoolSpec.versions.map((v) => v.name);
    if (!known.includes(wanted)) throw new UpstreamError(`the tree is ${wanted} but the dma-pool specification defines only ${known.join(', ')}`, `${UVM_DIR}/${POOL_FILE}`, undefined, tree);
    return { upstream: `open-gpu-kernel-modules ${release ?? '(no version.mk)'}`, specVersion: wanted, how: looked };
  },

  build(tree: string, outDir: string): string {
    const dir = requireTree(tree);
    const version = this.detectVersion(tree).specVersion;
    const src = join(outDir, 'src');
    mkdirSync(src, { recursive: true });
    const exe = join(outDir, 'uvm-dma-pool');
    const stamp = join(outDir, 'uvm-dma-pool.stamp');
    const inputs = [join(dir, POOL_FILE), ...TREE_FILES.map((f) => join(dir, f)), ...OWN_SOURCES, ...OWN_HEADERS];
    const h = createHash('sha256');
    for (const f of inputs) h.update(f).update('\0').update(readFileSync(f)).update('\0');
    const key = h.update(`${cc()} ${CFLAGS.join(' ')} ${version}`).digest('hex').slice(0, 16);
    if (existsSync(exe) && existsSync(stamp) && readFileSync(stamp, 'utf8') === key) return exe;

    // The tree's files go into the build folder as they are; the pool's block is taken verbatim from its file.
    for (const f of TREE_FILES) copyFileSync(join(dir, f), join(src, f));
    const poolSource = readFileSync(join(dir, POOL_FILE), 'utf8');
    const generated = [
      '/* Generated by npm run upstream from the tree named in the #line below: the pool functions of uvm_conf_computing.c, verbatim. */',
      '#include "uvm_gpu.h"',
      '#include "uvm_mem.h"',
      '#include "uvm_kvmalloc.h"',
      poolBlock(poolSource, join(dir, POOL_FILE), tree),
      '/* gpumem-spec: the pool init and deinit are static upstream; these give the protocol program a way in. */',
      '#line 1 "gpumem-spec pool entry points"',
      'NV_STATUS gpumem_pool_init(uvm_conf_computing_dma_buffer_pool_t *pool) { return conf_computing_dma_buffer_pool_init(pool); }',
      'void gpumem_pool_deinit(uvm_conf_computing_dma_buffer_pool_t *pool) { conf_computing_dma_buffer_pool_deinit(pool); }',
      '',
    ].join('\n');
    writeFileSync(join(src, 'pool_from_tree.c'), generated);

    const include = ['-I', src, '-I', SHIM_INCLUDE, '-I', SHIM, '-I', COMMON];
    const defines = version === 'uvm-580' ? ['-DGPUMEM_UVM_580=1'] : [];
    const units: [string, string][] = [
      [join(src, 'pool_from_tree.c'), `${UVM_DIR}/${POOL_FILE}`],
      [join(src, 'uvm_tracker.c'), `${UVM_DIR}/uvm_tracker.c`],
      ...OWN_SOURCES.map((s): [string, string] => [s, s]),
    ];
    const objects: string[] = [];
    for (const [file, shown] of units) {
      const obj = join(outDir, file.replace(/^.*\//, '').replace(/\.c$/, '.o'));
      compile([...CFLAGS, ...defines, ...include, '-c', file, '-o', obj], shown, tree, shown.startsWith(UVM_DIR));
      objects.push(obj);
    }
    const tmp = `${exe}.${process.pid}.tmp`;
    compile([...CFLAGS, '-o', tmp, ...objects], 'the link', tree, false);
    renameSync(tmp, exe);
    writeFileSync(stamp, key);
    return exe;
  },
};
