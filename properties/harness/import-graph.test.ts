// No file of the project imports itself through others: the layers (scripts -> properties -> model) and the files
// inside each stay readable one at a time.
import { describe, expect, it } from 'vitest';
import { importCircles, importsOf, projectGraph } from './import-graph.js';

const ROOT = new URL('../..', import.meta.url).pathname;

describe('import graph', () => {
  it('reads static, re-exported, side-effect and dynamic imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from '../b.js';",
      "export { c } from './c.js';",
      "import './d.js';",
      "const e = await import('./e.js');",
      "import fc from 'fast-check';",
      'import {',
      '  f,',
      "} from './f.mjs';",
    ].join('\n');
    expect(importsOf(ROOT, 'x/y/z.ts', text).sort()).toEqual(['x/b.ts', 'x/y/a.ts', 'x/y/c.ts', 'x/y/d.ts', 'x/y/e.ts', 'x/y/f.mjs']);
  });

  it('finds a circle, and none in a chain', () => {
    const circle = new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', ['a.ts']], ['d.ts', ['a.ts']]]);
    expect(importCircles(circle)).toEqual([['a.ts', 'b.ts', 'c.ts']]);
    expect(importCircles(new Map([['a.ts', ['b.ts']], ['b.ts', ['c.ts']], ['c.ts', []]]))).toEqual([]);
  });

  it('has no circle in model/, properties/, scripts/ and examples/', () => {
    const graph = projectGraph(ROOT);
    expect(graph.size).toBeGreaterThan(100);
    expect(importCircles(graph).map((c) => c.join(' -> '))).toEqual([]);
  });
});
