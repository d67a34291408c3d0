// The project's import graph, read from the source text: every relative `import … from './x.js'`, `export … from`
// and `import('./x.js')` of a .ts or .mjs file. Type-only imports count too: a circle of types is still two files
// that cannot be understood one without the other. Used by a test that fails on any import circle.

import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';

const SOURCE = /\.(ts|mjs)$/;
const SPECIFIER = /(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm;

/** Every .ts and .mjs file under `dirs` (relative to `root`), skipping node_modules. */
export function sourceFiles(root: string, dirs: readonly string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (entry.name !== 'node_modules') walk(path);
      } else if (SOURCE.test(entry.name)) out.push(relative(root, path));
    }
  };
  for (const dir of dirs) walk(resolve(root, dir));
  return out.sort();
}

/** The files `file` imports, as paths relative to `root` (a `.js` specifier names the `.ts` file beside it). */
export function importsOf(root: string, file: string, text = readFileSync(join(root, file), 'utf8')): string[] {
  const found = new Set<string>();
  for (const m of text.matchAll(SPECIFIER)) {
    const target = relative(root, resolve(root, dirname(file), m[1] as string));
    found.add(target.replace(/\.js$/, '.ts'));
  }
  return [...found];
}

/**
 * Import circles found by a depth-first walk, each as the files around it (from its first in sorted order): none
 * when the graph has none, and at least one for every tangle of files that import each other.
 */
export function importCircles(graph: ReadonlyMap<string, readonly string[]>): string[][] {
  const circles = new Map<string, string[]>();
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, 'open');
    stack.push(file);
    for (const next of graph.get(file) ?? []) {
      if (!graph.has(next)) continue;
      if (state.get(next) === 'open') {
        const circle = stack.slice(stack.indexOf(next));
        const first = circle.indexOf([...circle].sort()[0] as string);
        const rotated = [...circle.slice(first), ...circle.slice(0, first)];
        circles.set(rotated.join(' -> '), rotated);
      } else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, 'done');
  };
  for (const file of [...graph.keys()].sort()) if (state.get(file) === undefined) visit(file);
  return [...circles.values()];
}

/** The import graph of the project's own code. */
export function projectGraph(root: string, dirs: readonly string[] = ['model', 'properties', 'scripts', 'examples']): Map<string, string[]> {
  return new Map(sourceFiles(root, dirs).map((file) => [file, importsOf(root, file)]));
}
