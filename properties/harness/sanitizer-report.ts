// What an implementation printed on stderr when it failed, made readable: the frames of an unsymbolized sanitizer
// report named (addr2line, each address once), the report cut from its ERROR line to its SUMMARY, and a one-line
// summary of it for a violation message.

import { execFileSync } from 'node:child_process';
import { statSync } from 'node:fs';

const symbols = new Map<string, string>();

/**
 * Names the frames of an unsymbolized sanitizer report (`#3 0x… (/path/binary+0x1a2b)`) with addr2line, as
 * `#3 0x… in function file.c:123`, for frames in the implementation's own binaries. The sanitizers run with
 * symbolize=0 because their own symbolization costs a fraction of a second per crash, and a shrinker meets
 * the same crash many times: here each address is looked up once. Frames that cannot be named stay as they are.
 */
export function symbolize(stderr: string): string {
  const frame = /^(\s*#\d+ 0x[0-9a-f]+)\s+\(([^()+\s]+)\+(0x[0-9a-f]+)\)\s*$/gm;
  const wanted = new Map<string, Set<string>>();
  const keyOf = (module: string, offset: string): string | undefined => {
    try {
      const st = statSync(module);
      return `${module}:${st.size}:${st.mtimeMs}:${offset}`;
    } catch {
      return undefined;
    }
  };
  for (const m of stderr.matchAll(frame)) {
    const [, , module, offset] = m;
    if (module === undefined || offset === undefined || /^\/(usr\/)?lib/.test(module)) continue;
    const key = keyOf(module, offset);
    if (key !== undefined && !symbols.has(key)) {
      if (!wanted.has(module)) wanted.set(module, new Set());
      wanted.get(module)?.add(offset);
    }
  }
  for (const [module, offsets] of wanted) {
    const list = [...offsets];
    let out: string[] = [];
    try {
      out = execFileSync('addr2line', ['-f', '-e', module, ...list], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 }).split('\n');
    } catch {
      // no addr2line: the frames stay unnamed
    }
    list.forEach((offset, i) => {
      const fn = out[2 * i] ?? '??';
      const where = (out[2 * i + 1] ?? '??').replace(/ \(discriminator \d+\)$/, '');
      const key = keyOf(module, offset);
      if (key !== undefined) symbols.set(key, fn === '??' ? '' : `${fn} ${where}`);
    });
  }
  return stderr.replace(frame, (line, head: string, module: string, offset: string) => {
    const key = keyOf(module, offset);
    const name = key === undefined ? undefined : symbols.get(key);
    return name ? `${head} in ${name}` : line;
  });
}

/** The part of stderr worth showing: a sanitizer report from its ERROR line to its SUMMARY, else the tail. */
export function stderrExcerpt(stderr: string, tailLines = 20): string {
  const start = stderr.search(/==\d+==ERROR: [A-Za-z]+Sanitizer|^\S+:\d+:\d+: runtime error: /m);
  if (start >= 0) {
    const rest = stderr.slice(start);
    const summary = /^SUMMARY: .*$/m.exec(rest);
    return (summary ? rest.slice(0, summary.index + summary[0].length) : rest).trimEnd();
  }
  return stderr.trimEnd().split('\n').slice(-tailLines).join('\n');
}

/**
 * A sanitizer report in stderr, summarized in one line: the error, the first frames in the implementation's
 * own code (not the sanitizer's runtime), and the SUMMARY line's location. Undefined when there is none.
 */
export function sanitizerReport(stderr: string): string | undefined {
  const asan = /==\d+==ERROR: (AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer|MemorySanitizer|ThreadSanitizer): ([^\n]*)/.exec(stderr);
  const ubsan = /^([^\s:]+:\d+:\d+): runtime error: ([^\n]*)/m.exec(stderr);
  if (asan === null && ubsan === null) return undefined;
  if (asan === null && ubsan !== null) return `UndefinedBehaviorSanitizer: ${ubsan[2]} at ${ubsan[1]}`;
  const [, tool, what] = asan as RegExpExecArray;
  const body = stderr.slice((asan as RegExpExecArray).index);
  const access = /^(READ|WRITE) of size \d+/m.exec(body)?.[0];
  // The first stack of the report is the faulting access; the allocation and free stacks follow it.
  const stack = /^\s*#0 [\s\S]*?(?=\n\s*\n|\n\S|(?![\s\S]))/m.exec(body)?.[0] ?? '';
  const frames: string[] = [];
  for (const m of stack.matchAll(/^\s*#\d+ 0x[0-9a-f]+ in (\S+) (\S+)/gm)) {
    const [, fn, where] = m;
    if (fn === undefined || where === undefined) continue;
    if (/sanitizer|libasan|libubsan|libc-start|libc_start|sysdeps/.test(where) || /^(__interceptor_|__asan|__ubsan|_start$)/.test(fn)) continue;
    frames.push(`${fn} (${where.split('/').pop()})`);
    if (frames.length === 3) break;
  }
  const clean = (what ?? '').replace(/ on address 0x[0-9a-f]+ at pc 0x[0-9a-f]+ bp 0x[0-9a-f]+ sp 0x[0-9a-f]+/, '').replace(/ on 0x[0-9a-f]+/, '');
  return `${tool}: ${clean}${access ? ` (${access})` : ''}${frames.length > 0 ? ` in ${frames.join(' <- ')}` : ''}`;
}
