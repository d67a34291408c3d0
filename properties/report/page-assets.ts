// The report page's own CSS and script, inlined into the file (no network, system fonts only). The script only
// opens and closes the case blocks; the page reads the same without it.

export const PAGE_STYLE = `
:root { color-scheme: light; --fg: #1b1f24; --muted: #5b636d; --line: #d6dae0; --bad: #b3261e; --good: #1e6b35; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1600px; padding: 1rem 1.5rem 4rem; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); }
code, .state { font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
h1 { margin: 0.2rem 0 0.5rem; }
h2 { margin-top: 2.5rem; padding-top: 0.5rem; border-top: 3px solid var(--fg); }
h3 { margin-top: 1.6rem; }
a { color: #0b57d0; }
.muted { color: var(--muted); }
.warn { color: var(--bad); margin-left: 0.4rem; }
.links li { margin: 0.15rem 0; }
nav { margin: 0.6rem 0; }
nav a { margin-right: 0.6rem; }
.scroll { overflow-x: auto; max-width: 100%; }
table { border-collapse: collapse; margin: 0.4rem 0 1rem; }
th, td { border: 1px solid var(--line); padding: 2px 6px; vertical-align: top; text-align: left; }
td.num { text-align: right; white-space: nowrap; }
caption { text-align: left; padding: 0.3rem 0; }
table.heatmap th.inv { vertical-align: bottom; padding: 4px 2px; }
table.heatmap th.inv span { writing-mode: vertical-rl; transform: rotate(180deg); white-space: nowrap; font-weight: normal; font-size: 12px; }
table.heatmap th.corner { vertical-align: bottom; font-weight: normal; color: var(--muted); }
table.heatmap tbody th { font-weight: normal; white-space: nowrap; font-family: ui-monospace, "DejaVu Sans Mono", Menlo, Consolas, monospace; font-size: 12px; }
table.heatmap td { min-width: 2.2em; text-align: center; font-size: 11px; padding: 1px 2px; }
table.heatmap tr.version th { background: #eef1f5; font-family: inherit; font-size: 13px; font-weight: bold; }
table.heatmap tr.mutant:hover td, table.heatmap tr.mutant:hover th { outline: 1px solid #8892a0; }
td.breaks { outline: 2px solid var(--fg); outline-offset: -2px; font-weight: bold; }
.c1 { background: #08306b; color: #fff; }
.c2 { background: #2171b5; color: #fff; }
.c3 { background: #6baed6; color: #000; }
.c4 { background: #c6dbef; color: #000; }
.c5 { background: #eff6fc; color: #000; }
.partial { background: repeating-linear-gradient(45deg, #fde0c5, #fde0c5 3px, #fff 3px, #fff 6px); color: #000; }
.none { background: #fff; }
.swatch { display: inline-block; margin: 0 0.2rem; padding: 0 0.4rem; border: 1px solid var(--line); font-size: 12px; }
a.case-link { font-family: system-ui, sans-serif; font-size: 11px; }
table.labels .bar { position: relative; width: 180px; height: 12px; background: #eef1f5; display: inline-block; vertical-align: middle; }
table.labels .fill { position: absolute; left: 0; top: 0; bottom: 0; background: #2171b5; }
table.labels .min { position: absolute; top: -3px; bottom: -3px; width: 2px; background: var(--bad); }
table.labels tr.low td { background: #fdecea; }
details.case { border: 1px solid var(--line); border-radius: 4px; margin: 0.4rem 0; padding: 0.3rem 0.6rem; }
details.case[open] { background: #fbfcfd; }
details.case summary { cursor: pointer; }
table.steps tr.failing td, table.timeline tr.failing td { background: #fdecea; }
table.steps tr.skipped td { color: var(--muted); }
table.steps tr.violation td { background: #fdecea; color: var(--bad); border-top: 0; }
table.steps code.state { white-space: pre-wrap; }
.source { color: var(--muted); }
td.mark { color: var(--bad); border: 0; white-space: nowrap; }
.ok-note { color: var(--good); }
.stale { border-left: 4px solid var(--bad); background: #fdecea; padding: 0.3rem 0.8rem; margin: 0.6rem 0; }
table.heatmap td.missing { color: var(--bad); text-align: left; font-style: italic; }
.meta { margin: 0.4rem 0; }
details.state-full pre { max-height: 24rem; overflow: auto; background: #f4f6f8; padding: 0.4rem; }
`;

export const PAGE_SCRIPT = `
(function () {
  var cases = function () { return document.querySelectorAll('details.case'); };
  document.getElementById('expand-all').addEventListener('click', function () { cases().forEach(function (d) { d.open = true; }); });
  document.getElementById('collapse-all').addEventListener('click', function () { cases().forEach(function (d) { d.open = false; }); });
  // A link from the heatmap to a case opens it.
  function openTarget() {
    var id = decodeURIComponent(location.hash.slice(1));
    var el = id ? document.getElementById(id) : null;
    if (el && el.tagName === 'DETAILS') { el.open = true; el.scrollIntoView(); }
  }
  window.addEventListener('hashchange', openTarget);
  openTarget();
})();
`;
