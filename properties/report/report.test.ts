// The report's parts, in-process: escaping, the committed kill matrix read back to the grids the matrix library
// computes (so the reader follows the writer), a stale matrix refused, and a hostile case file shown as text.
// The page in a real browser: browser.test.ts (npm run test:cli).

import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildMatrix } from '../harness/kill-matrix/matrix.js';
import { renderMarkdown } from '../harness/kill-matrix/render.js';
import { suites } from '../harness/registry.js';
import { DEFAULT_SEED } from '../harness/seed.js';
import { gridsOfMatrix } from './compute.js';
import { expectedRows, MatrixError, parseMatrixMarkdown, reconcile } from './heatmap.js';
import { escapeHtml, html } from './html.js';
import { committedHeatmap, writeReport } from './report.js';

const ROOT = join(import.meta.dirname, '..', '..');
const MATRIX = join(ROOT, 'docs', 'mutants.md');
const scratch = mkdtempSync(join(tmpdir(), 'gpumem-report-test-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe('html', () => {
  it('escapes every interpolated value, and only once', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&</a>`)).toBe('&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;&lt;/a&gt;');
    const inner = html`<b>${'<i>'}</b>`;
    expect(html`<p title="${'"><script>'}">${inner}${['<', 1, null, undefined]}</p>`.markup).toBe('<p title="&quot;&gt;&lt;script&gt;"><b>&lt;i&gt;</b>&lt;1</p>');
  });
});

describe('kill matrix', () => {
  it('reads the committed docs/mutants.md: every subsystem, and each bug in it caught by some invariant', () => {
    const grids = parseMatrixMarkdown(readFileSync(MATRIX, 'utf8'), 'docs/mutants.md');
    expect(grids.seeds.length).toBeGreaterThan(0);
    expect(grids.subsystems.map((s) => s.subsystem)).toEqual(suites.map((s) => s.spec.name));
    for (const sub of grids.subsystems) {
      expect(sub.rows.length, sub.subsystem).toBeGreaterThan(0);
      for (const row of sub.rows) {
        expect([...row.grid.keys()], `${row.name}: a row in every grid`).toEqual(sub.properties.map((p) => p.name));
        expect([...row.grid.values()].some((g) => [...g.values()].some((t) => /^\d+$/.test(t))), `${row.name} @ ${row.version}`).toBe(true);
      }
    }
    // Laid against the suite: the registry's rows, whether or not the file has caught up with them.
    const heatmap = reconcile(grids);
    for (const suite of suites)
      expect(heatmap.subsystems.find((s) => s.subsystem === suite.spec.name)?.rows.map((r) => `${r.name} @ ${r.version}`)).toEqual(
        expectedRows(suite).map((r) => `${r.name} @ ${r.version}`),
      );
  });

  it('parses what the matrix library writes into the grids it computed', async () => {
    const kvm = suites.find((s) => s.spec.name === 'kvm-stage2');
    const dma = suites.find((s) => s.spec.name === 'dma-pool');
    if (kvm === undefined || dma === undefined) throw new Error('kvm-stage2 and dma-pool are registered');
    // One bug of a one-version subsystem and one of a several-version subsystem, from two seeds, small budgets.
    const parts = [
      await buildMatrix({ seed: DEFAULT_SEED, seeds: 2, runs: 60, subsystems: [kvm], mutant: kvm.mutants[0]?.name as string, workers: 1 }),
      await buildMatrix({ seed: DEFAULT_SEED, seeds: 2, runs: 60, subsystems: [dma], mutant: dma.mutants.find((m) => (m.versions?.length ?? 0) > 1)?.name as string, workers: 1 }),
    ];
    for (const matrix of parts) {
      const parsed = parseMatrixMarkdown(renderMarkdown(matrix), 'rendered');
      expect(parsed.subsystems.flatMap((s) => s.rows).length).toBeGreaterThan(0);
      expect({ ...parsed, origin: '' }).toEqual({ ...gridsOfMatrix(matrix, 'computed'), origin: '' });
    }
  });

  it('marks a bug the file lacks and lists a bug the suite no longer has', () => {
    const text = readFileSync(MATRIX, 'utf8')
      .split('\n')
      .filter((l) => !l.startsWith('| `initOneShort @ uvm-580` |'))
      .map((l) => l.replace('| `allocTakesTail @ uvm-580` |', '| `allocTakesTheTail @ uvm-580` |'))
      .join('\n');
    const heatmap = reconcile(parseMatrixMarkdown(text, 'docs/mutants.md'));
    const dma = heatmap.subsystems.find((s) => s.subsystem === 'dma-pool');
    expect(dma?.rows.find((r) => r.name === 'initOneShort' && r.version === 'uvm-580')?.missing).toBe(true);
    expect(dma?.rows.find((r) => r.name === 'allocTakesTail' && r.version === 'uvm-580')?.missing).toBe(true);
    expect(dma?.rows.filter((r) => !r.missing).length).toBeGreaterThan(0);
    expect(heatmap.stale.join('\n')).toMatch(/dma-pool: no row for .*initOneShort @ uvm-580/);
    expect(heatmap.stale.join('\n')).toMatch(/dma-pool: rows of bugs no longer in the suite: allocTakesTheTail @ uvm-580/);
  });

  it('refuses a file that is not a kill matrix, naming the command that writes one', () => {
    expect(() => parseMatrixMarkdown('# notes\n', 'docs/mutants.md')).toThrow(MatrixError);
    expect(() => parseMatrixMarkdown('# notes\n', 'docs/mutants.md')).toThrow(/docs\/mutants\.md:1: .*npm run mutants -- --write FILE/);
  });
});

describe('page', () => {
  it('shows a hostile case file as text: no markup of its own reaches the page', async () => {
    const cases = join(scratch, 'cases', 'dma-pool');
    mkdirSync(cases, { recursive: true });
    const original = join(ROOT, 'counterexamples', 'dma-pool', 'fc025f33782a3cd4.json');
    const ce = JSON.parse(readFileSync(original, 'utf8')) as Record<string, unknown>;
    const hostile = '<script>window.__injected = 1</script>';
    ce['target'] = `impl:${hostile}`;
    ce['violation'] = { ...(ce['violation'] as object), message: '<img src=x onerror="window.__injected = 2">', source: '"><b>source</b>' };
    writeFileSync(join(cases, 'hostile.json'), JSON.stringify(ce));
    copyFileSync(original, join(cases, 'plain.json'));
    writeFileSync(join(cases, 'broken.json'), JSON.stringify({ format: '<script>window.__injected = 3</script>' }));
    const out = join(scratch, 'out', 'report.html');
    const summary = await writeReport({ out, cases: [join(scratch, 'cases')], heatmap: committedHeatmap(MATRIX), labelSeed: DEFAULT_SEED, labelRuns: 20, root: scratch });
    expect(summary.cases).toBe(2);
    expect(summary.unreadable).toBe(1);
    const page = readFileSync(out, 'utf8');
    expect(page.match(/<script/g)?.length, 'only the page script').toBe(1);
    expect(page).not.toContain('<img');
    expect(page).not.toContain('<b>source');
    expect(page).toContain(escapeHtml(hostile));
    // The file that cannot be read is listed, with the reason, as text.
    expect(page).toMatch(/<section id="unreadable"><h2>Case files that cannot be read \(1\)<\/h2><ul><li><code>[^<]*broken\.json: format: expected [^<]*&lt;script&gt;window.__injected = 3&lt;\/script&gt;/);
    // Nothing generated: both links say how to make them.
    expect(page).toContain('not generated — run <code>npm run coverage</code>');
    expect(page).toContain('not generated — run <code>npm run mutation</code>');
    for (const suite of suites) expect(page).toContain(`data-subsystem="${suite.spec.name}"`);
  });

  it('draws a matrix that is behind the suite with the rows it lacks marked, and says so', async () => {
    const matrix = join(scratch, 'stale-mutants.md');
    writeFileSync(matrix, readFileSync(MATRIX, 'utf8').split('\n').filter((l) => !l.startsWith('| `initOneShort @ uvm-580` |')).join('\n'));
    const out = join(scratch, 'stale.html');
    const summary = await writeReport({ out, cases: [], heatmap: committedHeatmap(matrix), labelSeed: DEFAULT_SEED, labelRuns: 10, root: scratch });
    expect(summary.stale.join('\n')).toContain('initOneShort @ uvm-580');
    const page = readFileSync(out, 'utf8');
    expect(page).toMatch(/<tr class="mutant missing" id="[^"]*" data-mutant="initOneShort" data-version="uvm-580">/);
    expect(page).toContain(`${escapeHtml(matrix)} is behind the suite`);
    expect(page.match(/<tr class="mutant[ "]/g)?.length).toBe(suites.reduce((n, suite) => n + expectedRows(suite).length, 0));
  });
});
