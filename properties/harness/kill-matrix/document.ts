// docs/mutants.md as a checked document: --write replaces it (atomically), --check says whether it is what the
// suite produces now and, if not, where the first difference is.
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

export function writeDocument(file: string, text: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, file);
}

/** The lines explaining why `file` is not `text`; empty when it is. */
export function staleness(file: string, text: string): string[] {
  const current = readFileSync(file, 'utf8');
  if (current === text) return [];
  const a = current.split('\n');
  const b = text.split('\n');
  let line = 0;
  while (line < a.length && a[line] === b[line]) line++;
  return [
    `${file} is out of date (first difference at line ${line + 1}):`,
    `  file: ${a[line] ?? '(end of file)'}`,
    `  now:  ${b[line] ?? '(end of file)'}`,
    `regenerate it with: npm run mutants -- --write ${file}`,
  ];
}
