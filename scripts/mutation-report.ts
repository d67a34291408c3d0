// npm run mutation:report -- REPORT.json [REPORT.json ...] [--survivors] [--json]
// Summarises StrykerJS JSON reports (coverage/mutation/mutation.json, one per run): the mutation score per file
// and in all, and with --survivors every surviving mutant (file, line, mutator, replacement) for examination in
// docs/mutation-survivors.md. Several reports (one per subsystem, say) are merged; a file in a later report
// replaces the same file in an earlier one.

import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { EXIT, main, usageError } from './cli.js';

const HELP = `usage: npm run mutation:report -- REPORT.json [REPORT.json ...] [--survivors] [--json]

  REPORT.json   a StrykerJS JSON report (jsonReporter; npm run mutation writes coverage/mutation/mutation.json)
  --survivors   also list every surviving mutant, per file
  --json        the figures as JSON

Exit status: 0 printed, 2 usage error or unreadable report.`;

/** The parts of the mutation-testing-report-schema (v2) this reads. */
interface StrykerMutant {
  readonly mutatorName: string;
  readonly replacement?: string;
  readonly status: string;
  readonly location: { readonly start: { readonly line: number; readonly column: number } };
}
interface StrykerReport {
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
    throw usageError(`${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (typeof parsed !== 'object' || parsed === null || typeof (parsed as { files?: unknown }).files !== 'object') {
    throw usageError(`${path}: not a StrykerJS JSON report (no "files")`);
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

await main(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { survivors: { type: 'boolean' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) throw usageError('give at least one report (coverage/mutation/mutation.json)');
  const files = new Map<string, readonly StrykerMutant[]>();
  for (const path of positionals) for (const [file, f] of Object.entries(readReport(path).files)) files.set(file, f.mutants);
  const names = [...files.keys()].sort();
  const rows = names.map((file) => scoreOf(file, files.get(file) ?? []));
  const all = scoreOf('all', names.flatMap((file) => files.get(file) ?? []));
  const survivors = names.flatMap((file) =>
    (files.get(file) ?? [])
      .filter((m) => m.status === 'Survived' || m.status === 'NoCoverage')
      .map((m) => ({ file, line: m.location.start.line, status: m.status, mutator: m.mutatorName, replacement: m.replacement ?? '' }))
      .sort((a, b) => a.line - b.line),
  );
  if (values.json) {
    console.log(JSON.stringify({ files: rows, all, ...(values.survivors ? { survivors } : {}) }, null, 2));
    return EXIT.ok;
  }
  console.log('| file | mutants | detected (killed or timed out) | survived | no coverage | score |');
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const r of [...rows, all]) {
    const name = r.file === 'all' ? '**all measured**' : r.file;
    console.log(`| ${name} | ${r.mutants} | ${r.detected} | ${r.survived} | ${r.noCoverage} | ${r.file === 'all' ? `**${pct(r.score)}**` : pct(r.score)} |`);
  }
  if (values.survivors) {
    let current = '';
    for (const s of survivors) {
      if (s.file !== current) {
        current = s.file;
        console.log(`\n## ${s.file}\n\n| line | mutation | | verdict |\n| ---: | --- | --- | --- |`);
      }
      const replacement = s.replacement.replace(/\s+/g, ' ').replace(/\|/g, '\\|').slice(0, 80);
      console.log(`| ${s.line} | ${s.mutator} → \`${replacement}\` | ${s.status === 'Survived' ? 'survived' : 'no coverage'} | |`);
    }
  }
  return EXIT.ok;
});
