// The report page: one HTML file with its CSS and script inline (no server, no network, no external fonts),
// a section per subsystem with its kill-matrix heatmap, its generators' label shares against their minimums and
// its saved counterexamples as step tables (and timelines by thread for schedules). Every piece of data goes
// through the `html` template, which escapes it.

import { createHash } from 'node:crypto';
import type { LabelStatistics } from '../harness/labels.js';
import { replayCommand } from '../harness/replay-command.js';
import type { AnySuite } from '../harness/suite.js';
import { columnName } from '../harness/timeline.js';
import type { CaseReport, Cases } from './cases.js';
import { cellValue, regenerate, type Heatmap, type HeatmapRow, type HeatmapSubsystem } from './heatmap.js';
import { html, raw, type Html } from './html.js';
import { PAGE_SCRIPT, PAGE_STYLE } from './page-assets.js';

/** A report of another tool, linked relatively when it exists. */
export interface LinkedReport {
  readonly title: string;
  /** Relative to the report file; undefined when the report is absent. */
  readonly href: string | undefined;
  /** Where it would be, and the command that makes it. */
  readonly path: string;
  readonly command: string;
}

export interface PageData {
  readonly suites: readonly AnySuite[];
  readonly heatmap: Heatmap;
  readonly cases: Cases;
  readonly labels: readonly LabelStatistics[];
  readonly labelSeed: number;
  readonly links: readonly LinkedReport[];
}

// Only the page's own script may run (by its hash), whatever a case file holds: a second line of defence behind escaping.
const SCRIPT_HASH = `sha256-${createHash('sha256').update(PAGE_SCRIPT).digest('base64')}`;

const percent = (x: number) => `${(x * 100).toFixed(1)} %`;

/** Unique, stable, attribute-safe ids. */
function slug(...parts: readonly string[]): string {
  return parts.map((p) => p.replace(/[^A-Za-z0-9_-]+/g, '_')).join('--');
}

function bugId(subsystem: string, row: HeatmapRow): string {
  return slug('bug', subsystem, row.name, row.version);
}

/** The colour class of a heatmap cell: darker is caught sooner. */
function heatClass(runs: number): string {
  if (runs <= 1) return 'c1';
  if (runs < 10) return 'c2';
  if (runs < 100) return 'c3';
  if (runs < 1000) return 'c4';
  return 'c5';
}

/**
 * One cell of a bug's row: the invariant checked alone under each property of the subsystem. Shown: the fewest
 * median runs among the properties that catch the bug from every seed; else the most seeds any property caught it
 * in; the title lists every property.
 */
function heatCell(sub: HeatmapSubsystem, row: HeatmapRow, invariant: string, seeds: number): Html {
  let best: number | undefined;
  let partial = 0;
  const detail: string[] = [];
  for (const p of sub.properties) {
    if (!p.columns.includes(invariant)) continue;
    const text = row.grid.get(p.name)?.get(invariant);
    const value = cellValue(text, seeds);
    if ('runs' in value) {
      best = best === undefined ? value.runs : Math.min(best, value.runs);
      detail.push(`${p.name} ${value.runs} runs`);
    } else {
      partial = Math.max(partial, value.caughtSeeds);
      detail.push(`${p.name} ${value.caughtSeeds === 0 ? '·' : `${value.caughtSeeds}/${seeds} seeds`}`);
    }
  }
  const breaks = row.breaks === invariant;
  const cls = [best !== undefined ? heatClass(best) : partial > 0 ? 'partial' : 'none', breaks ? 'breaks' : ''].filter((c) => c !== '').join(' ');
  const text = best !== undefined ? String(best) : partial > 0 ? `${partial}/${seeds}` : '';
  // Empty cells (most of them) get no title: the page stays small.
  if (text === '' && !breaks) return html`<td class="none"></td>`;
  const title = `${invariant}${breaks ? ' (declared to break)' : ''}: ${detail.join('; ')}`;
  return html`<td class="${cls}" title="${title}">${text}</td>`;
}

function heatmapTable(suite: AnySuite, sub: HeatmapSubsystem, heatmap: Heatmap, cases: readonly CaseReport[]): Html {
  const seeds = heatmap.seeds.length;
  const invariants = [...suite.spec.invariants.map((i) => i.name)];
  const used = new Set(sub.properties.flatMap((p) => p.columns));
  const columns = [...invariants, ...[...used].filter((c) => !invariants.includes(c))];
  const sources = new Map(suite.spec.invariants.map((i) => [i.name, i.source]));
  const versions = suite.spec.versions.map((v) => v);
  const groups = versions.map((v) => ({ version: v, rows: sub.rows.filter((r) => r.version === v.name) })).filter((g) => g.rows.length > 0);
  const body = groups.map((g) => {
    const heading =
      versions.length > 1 ? html`<tr class="version"><th colspan="${columns.length + 1}" title="${g.version.upstream}">version ${g.version.name}</th></tr>` : html``;
    const rows = g.rows.map((row) => {
      // Every case saved from this bug (a case may be of another version than the rows the bug has).
      const found = cases.filter((c) => c.counterexample.target === `mutant:${row.name}`);
      const links = found.map((c, k) => {
        const other = c.counterexample.specVersion !== row.version ? ` (${c.counterexample.specVersion})` : '';
        return html` <a class="case-link" href="#${caseId(c)}" title="saved case ${c.file}">case${found.length > 1 ? ` ${k + 1}` : ''}${other}</a>`;
      });
      const cells = row.missing
        ? html`<td class="missing" colspan="${columns.length}">not in ${heatmap.origin}: newer than the matrix read</td>`
        : columns.map((c) => heatCell(sub, row, c, seeds));
      return html`<tr class="mutant${row.missing ? ' missing' : ''}" id="${bugId(sub.subsystem, row)}" data-mutant="${row.name}" data-version="${row.version}"><th scope="row" title="${row.description}\nproperty ${row.property}; declared to break ${row.breaks}">${row.name}${links}</th>${cells}</tr>`;
    });
    return [heading, rows];
  });
  return html`<div class="scroll"><table class="heatmap" data-subsystem="${sub.subsystem}">
<thead><tr><th class="corner">seeded bug \\ invariant</th>${columns.map((c) => html`<th class="inv" scope="col" title="${c}\n${sources.get(c) ?? 'the model threw an exception (a refused request must be a result)'}"><span>${c}</span></th>`)}</tr></thead>
<tbody>${body}</tbody></table></div>`;
}

function labelTables(stats: readonly LabelStatistics[]): Html {
  if (stats.length === 0) return html`<p class="muted">No property of this subsystem declares labelled cases.</p>`;
  return html`${stats.map((s) => {
    // The bars share one scale per table, up to the largest share or minimum in it, so a 2 % minimum is visible.
    const scale = Math.min(1, Math.max(0.01, ...s.labels.flatMap((l) => [l.share, l.minShare])) * 1.1);
    return html`<table class="labels" data-property="${s.property}">
<caption><code>${s.property}</code>: share of the first ${s.cases} generated cases (seed ${s.seed})</caption>
<thead><tr><th>label</th><th>cases</th><th>share</th><th>minimum</th><th class="bar-head">share (bar) against minimum (red line), scale 0–${percent(scale)}</th><th>what it is</th></tr></thead>
<tbody>${s.labels.map((l) => {
      const width = Math.min(100, (l.share / scale) * 100).toFixed(1);
      const mark = Math.min(100, (l.minShare / scale) * 100).toFixed(1);
      return html`<tr class="${l.ok ? 'ok' : 'low'}"><td><code>${l.name}</code></td><td class="num">${l.cases}</td><td class="num">${percent(l.share)}</td><td class="num">${percent(l.minShare)}</td><td><div class="bar" title="${percent(l.share)} of cases; at least ${percent(l.minShare)} required"><div class="fill" style="width:${width}%"></div><div class="min" style="left:${mark}%"></div></div>${l.ok ? '' : html`<strong class="warn">too rare</strong>`}</td><td>${l.description}</td></tr>`;
    })}</tbody></table>`;
  })}`;
}

function caseId(c: CaseReport): string {
  return slug('case', c.counterexample.subsystem, c.file);
}

function stepTable(c: CaseReport): Html {
  const failing = c.violation?.step;
  const rows = c.steps.map((s) => {
    const cls = s.index === failing ? 'failing' : s.skipped ? 'skipped' : '';
    const result = s.skipped ? html`<span class="muted">skipped: precondition does not hold</span>` : s.result === undefined ? html`<strong>threw</strong>` : s.result;
    const row = html`<tr class="${cls}"><td class="num">#${s.index}</td><td><code>${s.op}</code></td><td><code>${s.args}</code></td><td>${s.faults.join(', ')}</td><td><code>${result}</code></td><td><code class="state">${s.state ?? ''}</code></td></tr>`;
    if (s.index !== failing || c.violation === undefined) return row;
    return html`${row}<tr class="violation"><td colspan="6">✗ <strong>${c.violation.invariant}</strong>: ${c.violation.message}<br><span class="source">source: ${c.violation.source}</span></td></tr>`;
  });
  return html`<table class="steps"><thead><tr><th>step</th><th>operation</th><th>arguments</th><th>faults injected</th><th>result</th><th>state after the step</th></tr></thead><tbody>${rows}</tbody></table>`;
}

function timelineTable(c: CaseReport): Html {
  const t = c.timeline;
  if (t === undefined) return html``;
  const failing = c.violation?.step;
  return html`<h4>Timeline (a column per thread)</h4><div class="scroll"><table class="timeline"><thead><tr><th>step</th>${t.columns.map((col) => html`<th>${columnName(col)}</th>`)}</tr></thead>
<tbody>${t.rows.map(
    (r) =>
      html`<tr class="${r.index === failing ? 'failing' : ''}"><td class="num">#${r.index}</td>${t.columns.map((col) => html`<td>${col === r.column ? html`<code>${r.text}</code>` : ''}</td>`)}${r.index === failing && c.violation !== undefined ? html`<td class="mark">✗ ${c.violation.invariant}</td>` : ''}</tr>`,
  )}</tbody></table></div>`;
}

function caseBlock(c: CaseReport): Html {
  const ce = c.counterexample;
  const saved = ce.violation;
  const last = c.violation === undefined ? undefined : c.steps.find((s) => s.index === c.violation?.step);
  const outcome =
    c.violation === undefined
      ? html`<p class="ok-note">No violation on <code>${c.replayedOn}</code>: every invariant held after every step.</p>`
      : html`<p>State after the failing step #${c.violation.step}: <code class="state">${last?.state ?? '(not described: the operation threw)'}</code></p>`;
  return html`<details class="case" id="${caseId(c)}" data-target="${ce.target}">
<summary><code>${c.file}</code>: ${ce.property}, found on <code>${ce.target}</code> (${ce.specVersion}): ✗ ${saved.invariant} after step #${saved.step} of ${ce.operations.length}</summary>
<p class="meta">Found by seed ${ce.seed} after ${ce.runs} runs (shrink path "${ce.path}"). Replayed on <code>${c.replayedOn}</code>, version ${ce.specVersion}.${c.note === undefined ? '' : html` <em>${c.note}.</em>`}
Saved violation: <strong>${saved.invariant}</strong>: ${saved.message} <span class="source">(source: ${saved.source})</span></p>
<div class="scroll">${stepTable(c)}</div>
${outcome}
<details class="state-full"><summary>The whole state when the replay ended${c.violation === undefined ? '' : html` (after step #${c.violation.step})`}, as JSON</summary><pre class="state">${c.finalState}</pre></details>
${timelineTable(c)}
<p class="muted">Replay it: <code>${replayCommand(c.file, ce.target)}</code></p>
</details>`;
}

function subsystemSection(suite: AnySuite, data: PageData): Html {
  const name = suite.spec.name;
  const sub = data.heatmap.subsystems.find((s) => s.subsystem === name);
  const cases = data.cases.cases.filter((c) => c.counterexample.subsystem === name);
  const stats = data.labels.filter((l) => l.subsystem === name);
  const caught = sub?.rows.length ?? 0;
  const stale = data.heatmap.stale.filter((line) => line.startsWith(`${name}:`) || line.startsWith(`${name}/`));
  return html`<section class="subsystem" id="${slug('subsystem', name)}" data-subsystem="${name}">
<h2>${name}: ${suite.spec.title}</h2>
<p class="muted">Versions: ${suite.spec.versions.map((v) => v.name).join(', ')}. Properties: ${suite.properties.map((p) => p.name).join(', ')}.</p>
<h3>Kill matrix: ${caught} seeded bugs × ${suite.spec.invariants.length} invariants</h3>
${stale.length === 0 ? '' : html`<p class="stale">The matrix read is behind this subsystem: ${stale.join('; ')}.</p>`}
${sub === undefined ? '' : heatmapTable(suite, sub, data.heatmap, cases)}
<h3>Generators: labelled cases against their minimum shares</h3>
${labelTables(stats)}
<h3>Saved counterexamples (${cases.length})</h3>
${cases.length === 0 ? html`<p class="muted">None saved.</p>` : cases.map(caseBlock)}
</section>`;
}

export function renderPage(data: PageData): string {
  const rows = data.heatmap.subsystems.reduce((n, s) => n + s.rows.length, 0);
  const seeds = data.heatmap.seeds;
  const body = html`<header>
<h1>gpumem-spec report</h1>
<p>${data.suites.length} subsystems; ${rows} seeded bugs (each on every version it is seeded into) in the kill matrix from <code>${data.heatmap.origin}</code>, over seeds ${seeds.join(', ')};
${data.cases.cases.length} saved counterexamples; label shares measured from seed ${data.labelSeed}.</p>
${
  data.heatmap.stale.length === 0
    ? ''
    : html`<div class="stale"><strong>${data.heatmap.origin} is behind the suite</strong> (rows it lacks are marked; <code>${regenerate(data.heatmap.origin)}</code> brings it up to date, <code>npm run report -- --compute</code> computes one now):<ul>${data.heatmap.stale.map((l) => html`<li>${l}</li>`)}</ul></div>`
}
<ul class="links">${data.links.map(
    (l) => html`<li>${l.title}: ${l.href === undefined ? html`<span class="muted">not generated — run <code>${l.command}</code> (it writes <code>${l.path}</code>)</span>` : html`<a href="${l.href}">${l.path}</a>`}</li>`,
  )}</ul>
<nav><strong>Subsystems:</strong> ${data.suites.map((s) => html`<a href="#${slug('subsystem', s.spec.name)}">${s.spec.name}</a> `)}
<button type="button" id="expand-all">open every case</button> <button type="button" id="collapse-all">close every case</button></nav>
<p class="legend">Heatmap: a row per seeded bug, a column per invariant (checked alone, under every property of the subsystem); a cell gives the
median runs to catch the bug when every seed did (the fewest among the properties; hover for each), <code>k/${seeds.length}</code> when only k seeds did,
empty when none did; the outlined cell is the invariant the bug is declared to break.
<span class="swatch c1">1</span><span class="swatch c2">2–9</span><span class="swatch c3">10–99</span><span class="swatch c4">100–999</span><span class="swatch c5">1000+</span><span class="swatch partial">k/${seeds.length}</span><span class="swatch none">not caught</span></p>
</header>
<main>
${data.suites.map((s) => subsystemSection(s, data))}
${
  data.cases.unreadable.length === 0
    ? ''
    : html`<section id="unreadable"><h2>Case files that cannot be read (${data.cases.unreadable.length})</h2><ul>${data.cases.unreadable.map((u) => html`<li><code>${u.error}</code></li>`)}</ul></section>`
}
</main>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; script-src '${SCRIPT_HASH}'">
<title>gpumem-spec report</title>
<style>${raw(PAGE_STYLE)}</style>
</head>
<body>
${body}
<script>${raw(PAGE_SCRIPT)}</script>
</body>
</html>
`.markup;
}
