// scripts/test-summary.mjs, the closing line of .ci/run that CI reads: "N passed, N failed" from vitest's JSON
// reports and the gate checks, exit 1 whenever anything failed or nothing passed.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'test-summary.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'test-summary-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

function report(name: string, passed: number, failed: number, failedSuites = 0): string {
  const file = join(scratch, name);
  writeFileSync(file, JSON.stringify({ numPassedTests: passed, numFailedTests: failed, numFailedTestSuites: failedSuites }));
  return file;
}

function summary(files: string[], checks: Record<string, number>) {
  const args = [files.join(','), ...Object.entries(checks).map(([name, status]) => `${name}=${status}`)];
  const run = spawnSync(process.execPath, [SCRIPT, ...args], { encoding: 'utf8' });
  return { status: run.status, line: run.stdout.trim(), stderr: run.stderr };
}

const GREEN = { 'mutant kill matrix is current': 0, 'tests and coverage thresholds': 0, 'command-line tests': 0 };

describe('test-summary', () => {
  it('adds the tests of every report and counts a gate check that is not a test run as one test', () => {
    expect(summary([report('a', 300, 0), report('b', 20, 0)], GREEN)).toMatchObject({ status: 0, line: '321 passed, 0 failed' });
  });

  it('counts failed tests and failed files (a file that did not load) from the reports, not again from the exit status', () => {
    const run = summary([report('c', 298, 2, 1), report('d', 20, 0)], { ...GREEN, 'tests and coverage thresholds': 1 });
    expect(run).toMatchObject({ status: 1, line: '319 passed, 3 failed' });
    expect(run.stderr).toContain('failed: tests and coverage thresholds (exit 1)');
  });

  it('counts a failing test run with no failed test (a coverage threshold) as one failure', () => {
    expect(summary([report('e', 300, 0), report('f', 20, 0)], { ...GREEN, 'tests and coverage thresholds': 1 })).toMatchObject({ status: 1, line: '321 passed, 1 failed' });
  });

  it('counts a stale kill matrix as one failure', () => {
    expect(summary([report('g', 300, 0)], { ...GREEN, 'mutant kill matrix is current': 1 })).toMatchObject({ status: 1, line: '300 passed, 1 failed' });
  });

  it('counts a missing or unreadable report as a failure, so a run that never started is not green', () => {
    const garbled = join(scratch, 'garbled');
    writeFileSync(garbled, '{"numPassedTests": 3');
    const run = summary([join(scratch, 'missing'), garbled], GREEN);
    expect(run).toMatchObject({ status: 1, line: '1 passed, 2 failed' });
    expect(run.stderr).toContain('no readable test report at');
  });

  it('fails when nothing passed at all', () => {
    expect(summary([report('h', 0, 0)], { 'tests and coverage thresholds': 0 })).toMatchObject({ status: 1, line: '0 passed, 0 failed' });
  });
});
