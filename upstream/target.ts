/**
 * The contract between `npm run upstream` (scripts/upstream.ts) and each upstream target: a set of upstream
 * source files compiled unmodified in userspace against the project's kernel shims, producing an executable
 * that speaks the conformance protocol (docs/conformance.md).
 */

/** A tree that cannot be used: a missing file, a compile error, a symbol the shims expect that the tree lacks. */
export class UpstreamError extends Error {
  constructor(
    message: string,
    readonly file?: string,
    readonly symbol?: string,
    readonly tree?: string,
  ) {
    super(message);
    this.name = 'UpstreamError';
  }
}

/** What version of the upstream a tree is, and which specification version describes it. */
export interface DetectedVersion {
  /** The upstream release or commit, e.g. '575.51.02' or 'v6.12 (git 1a2b3c4)'. */
  readonly upstream: string;
  /** A name from the subsystem's `SubsystemSpec.versions`. */
  readonly specVersion: string;
  /** How it was decided (which file, git describe, which code pattern). */
  readonly how: string;
}

export interface UpstreamTarget {
  readonly name: string; // 'uvm-dma-pool' | 'nvgrace-gpu'
  readonly subsystem: string; // 'dma-pool' | 'nvgrace-gpu'
  readonly description: string; // what is compiled from the tree
  readonly envVar: string; // GPUMEM_UPSTREAM_UVM_DMA_POOL | GPUMEM_UPSTREAM_NVGRACE_GPU
  /** Whether this tree looks like one for this target (files present). */
  recognises(tree: string): boolean;
  /** The upstream version of the tree and the matching specification version; UpstreamError naming what was looked for when unknown. */
  detectVersion(tree: string): DetectedVersion;
  /** Compiles the upstream files unmodified with the shims, -fsanitize=address,undefined, into outDir; returns the executable path. UpstreamError (file, symbol, tree) on a missing file, compile error or missing symbol. */
  build(tree: string, outDir: string): string;
  /** Options `npm run upstream -- conform` adds to `npm run conform` for this target (e.g. a parameter upstream fixes: `--fix init.count=32`). */
  readonly conformArgs?: readonly string[];
}
