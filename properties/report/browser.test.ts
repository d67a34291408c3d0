// `npm run report` as a user runs it, and the page it writes opened in a real headless Chromium (playwright-core
// drives the system's /usr/bin/chromium, or CHROMIUM_PATH; no browser is downloaded): it loads with no console
// error and no request beyond the file itself, every subsystem's section shows, the heatmap has one row per seeded
// bug on each version it is seeded into, a schedule's timeline has a column per thread, a heatmap link opens its
// case, and a case file carrying `<script>` is shown as text. Part of npm run test:cli (it starts npm and a browser).

import { spawn } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { chromium, type BrowserContext } from 'playwright-core';
import { afterAll, describe, expect, it } from 'vitest';
import { suites } from '../harness/registry.js';
import { expectedRows } from './heatmap.js';

const ROOT = join(import.meta.dirname, '..', '..');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
const HOSTILE = '<script>window.__injected = 1</script>';

const scratch = mkdtempSync(join(tmpdir(), 'gpumem-report-browser-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function npmRunReport(args: readonly string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn('npm', ['run', '--silent', 'report', '--', ...args], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', fail);
    child.on('close', (code) => done({ code, stdout, stderr }));
  });
}

/** The saved cases plus two of one race case: as it is, and with `<script>` in its target and markup in its message. */
function casesWithHostileOne(): string {
  const dir = join(scratch, 'extra', 'dma-pool');
  mkdirSync(dir, { recursive: true });
  const race = join(ROOT, 'counterexamples', 'dma-pool', 'fc025f33782a3cd4.json');
  const ce = JSON.parse(readFileSync(race, 'utf8')) as Record<string, unknown>;
  ce['target'] = `impl:${HOSTILE}`;
  ce['violation'] = { ...(ce['violation'] as object), message: '<img src=x onerror="window.__injected = 2">' };
  writeFileSync(join(dir, 'hostile.json'), JSON.stringify(ce));
  copyFileSync(race, join(dir, 'race.json'));
  return join(scratch, 'extra');
}

async function openReport(file: string, visit: (ctx: BrowserContext) => Promise<void>): Promise<void> {
  const context = await chromium.launchPersistentContext(mkdtempSync(join(scratch, 'profile-')), { executablePath: CHROMIUM, headless: true, args: FLAGS });
  try {
    await visit(context);
  } finally {
    await context.close();
  }
}

const present = existsSync(CHROMIUM);
// In CI a missing browser is a failure (.ci/run installs it); elsewhere the test says why it does not run.
const browserTest = present || process.env['CI'] !== undefined ? it : it.skip;

describe(`npm run report in headless Chromium (${CHROMIUM}${present ? '' : ': not installed; apt-get install chromium, or set CHROMIUM_PATH'})`, () => {
  browserTest('the page loads with no error and no network, shows every subsystem, every seeded bug, a timeline by thread, and hostile text as text', async () => {
    expect(existsSync(CHROMIUM), `no Chromium at ${CHROMIUM}: install it (apt-get install -y --no-install-recommends chromium) or set CHROMIUM_PATH`).toBe(true);
    const out = join(scratch, 'out', 'report.html');
    const started = Date.now();
    const made = await npmRunReport(['--out', out, '--cases', 'counterexamples', '--cases', casesWithHostileOne(), '--label-runs', '100']);
    const generationMs = Date.now() - started;
    expect(made.code, made.stderr).toBe(0);
    expect(made.stdout).toMatch(/^seed -?\d+$/m);
    expect(made.stdout).toMatch(/^written: .*report\.html/m);

    await openReport(out, async (context) => {
      const page = await context.newPage();
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`console ${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      page.on('request', (r) => requests.push(r.url()));
      const url = pathToFileURL(out).href;
      await page.goto(url, { waitUntil: 'load' });

      for (const suite of suites) {
        const section = page.locator(`section.subsystem[data-subsystem="${suite.spec.name}"]`);
        expect(await section.isVisible(), `${suite.spec.name} section`).toBe(true);
        expect(await section.locator('h2').innerText()).toContain(suite.spec.name);
        const rows = await section.locator('table.heatmap tr.mutant').count();
        expect(rows, `${suite.spec.name}: heatmap rows`).toBe(expectedRows(suite).length);
      }
      const all = suites.reduce((n, s) => n + expectedRows(s).length, 0);
      expect(await page.locator('table.heatmap tr.mutant').count()).toBe(all);

      // The hostile case: its target shown literally in the summary; nothing it carried ran or rendered.
      const hostile = page.locator('details.case summary', { hasText: HOSTILE });
      expect(await hostile.count()).toBe(1);
      expect(await hostile.isVisible()).toBe(true);
      expect(await page.evaluate(() => (window as unknown as { __injected?: number }).__injected)).toBeUndefined();
      expect(await page.evaluate(() => [document.scripts.length, document.images.length])).toEqual([1, 0]);

      // The race case opened from its heatmap row: its step table and its timeline, a column per thread.
      await page.locator('tr.mutant[data-mutant="allocDropsLockAcrossExpansion"] a.case-link').first().click();
      const race = page.locator('details.case[data-target="mutant:allocDropsLockAcrossExpansion"]').first();
      expect(await race.evaluate((d) => (d as HTMLDetailsElement).open)).toBe(true);
      expect(await race.locator('table.steps').isVisible()).toBe(true);
      expect(await race.locator('table.steps tr.violation').innerText()).toContain('takenBufferIsLiveAndExclusive');
      expect(await race.locator('table.timeline thead th').allInnerTexts()).toEqual(['step', 'other', 'T0', 'T1']);

      // The coverage link: to the report when it exists, else how to make it.
      const coverage = page.locator('ul.links li', { hasText: 'Coverage of the model' });
      if (existsSync(join(ROOT, 'coverage', 'model', 'index.html'))) {
        const href = await coverage.locator('a').getAttribute('href');
        expect(existsSync(fileURLToPath(new URL(href ?? '', url)))).toBe(true);
      } else expect(await coverage.innerText()).toContain('not generated — run npm run coverage');

      expect(problems).toEqual([]);
      expect(requests.filter((r) => r !== url && !r.startsWith(`${url}#`))).toEqual([]);
    });
    console.log(`npm run report: ${generationMs} ms; the whole test: ${Date.now() - started} ms (out ${resolve(out)})`);
  });
});
