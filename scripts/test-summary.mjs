// Prints the plain closing line CI reads, "N passed, N failed", from vitest's JSON report plus named gate
// checks given as "name=exit-status". A failing exit status with no failed test (a coverage threshold, say)
// counts as one failure, and a missing report as one more, so a broken run never looks green.
import { readFileSync } from 'node:fs';

const [file, ...checks] = process.argv.slice(2);
let passed = 0;
let failed = 0;
try {
  const report = JSON.parse(readFileSync(file, 'utf8'));
  passed = report.numPassedTests ?? 0;
  failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
} catch (error) {
  console.error(`no readable test report at ${file}: ${error.message}`);
  failed++;
}
for (const check of checks) {
  const at = check.lastIndexOf('=');
  const name = check.slice(0, at);
  const status = Number(check.slice(at + 1));
  if (status === 0) {
    if (name !== 'tests and coverage thresholds') passed++;
  } else {
    console.error(`failed: ${name} (exit ${status})`);
    if (name !== 'tests and coverage thresholds' || failed === 0) failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
