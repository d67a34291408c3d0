// Compiling a target's sources, shared by the upstream targets: the C compiler (CC, default gcc) run in the C
// locale, and a failure turned into an UpstreamError that names the file, the symbol the diagnostics name, and the tree.
import { spawnSync } from 'node:child_process';
import { UpstreamError } from './target.js';

export function cc(): string {
  return process.env['CC'] ?? 'gcc';
}

/** The first few diagnostics of a compiler run, with the symbol they name when there is one. */
export function diagnostics(stderr: string): { text: string; symbol?: string } {
  const lines = stderr.split('\n').filter((l) => /\b(error|undefined reference)\b/.test(l));
  const text = (lines.length > 0 ? lines : stderr.split('\n')).slice(0, 6).join('\n').trim();
  const symbol =
    /implicit declaration of function ['‘]([^'’]+)['’]/.exec(stderr)?.[1] ??
    /undefined reference to [`‘]([^'’]+)['’]/.exec(stderr)?.[1] ??
    /['‘]([A-Za-z_][A-Za-z0-9_]*)['’] undeclared/.exec(stderr)?.[1] ??
    /has no member named ['‘]([^'’]+)['’]/.exec(stderr)?.[1] ??
    /unknown type name ['‘]([^'’]+)['’]/.exec(stderr)?.[1];
  return symbol === undefined ? { text } : { text, symbol };
}

/**
 * Runs the compiler; on failure throws naming `file` (as the user knows it) and the symbol. `fromTree`: the file is
 * the user's tree's, so a missing symbol is a service the shim lacks or one the tree no longer has.
 */
export function compile(args: string[], file: string, tree: string, fromTree: boolean): void {
  const r = spawnSync(cc(), args, { encoding: 'utf8', env: { ...process.env, LC_ALL: 'C' } });
  if (r.error !== undefined) throw new UpstreamError(`cannot run the C compiler ${cc()}: ${r.error.message}`, file, undefined, tree);
  if (r.status !== 0) {
    const d = diagnostics(r.stderr);
    const named = d.symbol === undefined ? '' : ` (symbol ${d.symbol}${fromTree ? ': a service or type the shim does not provide, or one the tree no longer has' : ''})`;
    throw new UpstreamError(`${file} does not compile against the shim${named}:\n${d.text}`, file, d.symbol, tree);
  }
}
