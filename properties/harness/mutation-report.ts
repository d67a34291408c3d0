// StrykerJS JSON reports (coverage/mutation/mutation.json, one per run) summarised: the mutation score per file
// and in all, and every surviving mutant (file, line, mutator, replacement) for examination in
// docs/mutation-survivors.md. Several reports (one per subsystem, say) are merged; a file in a later report
// replaces the same file in an earlier one.

import { readFileSync } from 'node:fs';

/** The parts of the mutation-testing-report-schema (v2) this reads. */
export interface StrykerMutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
export interface StrykerReport {
  readonly files: Readonly<Record<string, { readonly mutants: readonly StrykerMutant[] }>>;
}

export interface FileScore {
  readonly file: string;
  readonly mutants: number;
  /** Killed or timed out: the suite noticed the change. */
  readonly detected: number;
  readonly survived: number;
  readonly noCoverage: number;
  /** Compile and runtime errors, ignored mutants: not counted in the score (as Stryker does). */
  readonly invalid: number;
  readonly score: number;
}

const DETECTED = new Set(['Killed', 'Timeout']);
const INVALID = new Set(['CompileError', 'RuntimeError', 'Ignored', 'Pending']);

export function readReport(path: string): StrykerReport {
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new Error(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { files?: unknown }).files !== 'object') {
    throw new Error(`${path}: not a StrykerJS JSON report (no "files")`);
  }
  return parsed as StrykerReport;
}

export function scoreOf(file: string, mutants: readonly StrykerMutant[]): FileScore {
  const valid = mutants.filter((m) => !INVALID.has(m.status));
  const detected = valid.filter((m) => DETECTED.has(m.status)).length;
  const survived = valid.filter((m) => m.status === 'Survived').length;
  const noCoverage = valid.filter((m) => m.status === 'NoCoverage').length;
  return {
    file,
    mutants: valid.length,
    detected,
    survived,
    noCoverage,
    invalid: mutants.length - valid.length,
    score: valid.length === 0 ? 100 : (100 * detected) / valid.length,
  };
}

const pct = (x: number) => `${x.toFixed(1)} %`;

/** The summary of `paths`: as JSON, or as the Markdown tables of docs/mutation-survivors.md (with `survivors`, every survivor too). */
export function mutationReport(paths: readonly string[], options: { survivors?: boolean; json?: boolean }): string[] {
  const files = new Map<string, readonly StrykerMutant[]>();
  for (const path of paths) for (const [file, f] of Object.entries(readReport(path).files)) files.set(file, f.mutants);
  const names = [...files.keys()].sort();
  const rows = names.map((file) => scoreOf(file, files.get(file) ?? []));
  const all = scoreOf('all', names.flatMap((file) => files.get(file) ?? []));
  const survivors = names.flatMap((file) =>
    (files.get(file) ?? [])
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .map((m) => ({ file, line: m.location.start.line, status: m.status, mutator: m.mutatorName, replacement: m.replacement ?? '' }))
      .sort((a, b) => a.line - b.line),
  );
  if (options.json === true) return [JSON.stringify({ files: rows, all, ...(options.survivors === true ? { survivors } : {}) }, null, 2)];
  const out = ['| file | mutants | detected (killed or timed out) | survived | no coverage | score |', '| --- | ---: | ---: | ---: | ---: | ---: |'];
  for (const r of [...rows, all]) {
    const name = r.file === 'all' ? '**all measured**' : r.file;
    out.push(`| ${name} | ${r.mutants} | ${r.detected} | ${r.survived} | ${r.noCoverage} | ${r.file === 'all' ? `**${pct(r.score)}**` : pct(r.score)} |`);
  }
  if (options.survivors === true) {
    let current = '';
    for (const s of survivors) {
      if (s.file !== current) {
        current = s.file;
        out.push(`\n## ${s.file}\n\n| line | mutation | | verdict |\n| ---: | --- | --- | --- |`);
      }
      const replacement = s.replacement.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 80);
      out.push(`| ${s.line} | ${s.mutator} → \`${replacement}\` | ${s.status === 'Survived' ? 'survived' : 'no coverage'} | |`);
    }
  }
  return out;
}
