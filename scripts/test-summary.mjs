// Prints the plain closing line CI reads, "N passed, N failed", from vitest's JSON reports (comma-separated) plus
// named gate checks given as "name=exit-status". A test run's failing exit status with no failed test (a coverage
// threshold, say) counts as one failure, and a missing report as one more, so a broken run never looks green.
import { readFileSync } from 'node:fs';

const [files, ...checks] = process.argv.slice(2);
/** Checks that are test runs: their failed tests are counted from their report already. */
const TEST_RUNS = new Set(['tests and coverage thresholds', 'command-line tests']);
let passed = 0;
let failed = 0;
for (const file of (files ?? '').split(',')) {
  try {
    const report = JSON.parse(readFileSync(file, 'utf8'));
    passed += report.numPassedTests ?? 0;
    failed += (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
  } catch (error) {
    console.error(`no readable test report at ${file}: ${error.message}`);
    failed++;
  }
}
for (const check of checks) {
  const at = check.lastIndexOf('=');
  const name = check.slice(0, at);
  const status = Number(check.slice(at + 1));
  if (status === 0) {
    if (!TEST_RUNS.has(name)) passed++;
  } else {
    console.error(`failed: ${name} (exit ${status})`);
    if (!TEST_RUNS.has(name) || failed === 0) failed++;
  }
}
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
