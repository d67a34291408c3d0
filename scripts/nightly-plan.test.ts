// scripts/nightly-plan.mjs, the nightly workflow's check of its inputs, run as the workflow runs it: inputs in the
// environment, outputs appended to the files GITHUB_OUTPUT and GITHUB_STEP_SUMMARY name.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'nightly-plan.mjs');
const scratch = mkdtempSync(join(tmpdir(), 'nightly-plan-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

let runs = 0;
function plan(inputs: { SEED?: string; MINUTES?: string; SHARDS?: string; RUN_ID?: string }) {
  const output = join(scratch, `output-${++runs}`);
  const summary = join(scratch, `summary-${runs}`);
  writeFileSync(output, '');
  writeFileSync(summary, '');
  const env = { PATH: process.env['PATH'] ?? '', GITHUB_OUTPUT: output, GITHUB_STEP_SUMMARY: summary, ...inputs };
  const run = spawnSync(process.execPath, [SCRIPT], { env, encoding: 'utf8' });
  const outputs = Object.fromEntries(readFileSync(output, 'utf8').trim().split('\n').filter((l) => l !== '').map((l) => l.split('=', 2) as [string, string]));
  return { status: run.status, stderr: run.stderr, outputs, summary: readFileSync(summary, 'utf8') };
}

describe('nightly-plan', () => {
  it('turns valid inputs into the seed, the seconds and the shard matrix', () => {
    const run = plan({ SEED: '-7', MINUTES: '30', SHARDS: '4', RUN_ID: '99' });
    expect(run.status).toBe(0);
    expect(run.outputs).toEqual({ seed: '-7', seconds: '1800', count: '4', shards: '[1,2,3,4]' });
    expect(run.summary).toContain('seed **-7**, 4 shards of 30 min');
    expect(run.summary).toContain('npm run check -- --seed=-7 --shard I/4 --time 1800');
  });

  it('derives the seed from the run id when none is given, within 32 bits', () => {
    const run = plan({ SEED: '', MINUTES: '1', SHARDS: '1', RUN_ID: '12345678901' });
    expect(run.status).toBe(0);
    expect(run.outputs).toEqual({ seed: String(12345678901 % 2147483647), seconds: '60', count: '1', shards: '[1]' });
  });

  it('accepts the bounds of every input', () => {
    expect(plan({ SEED: '-2147483648', MINUTES: '180', SHARDS: '64' }).outputs.seed).toBe('-2147483648');
    expect(plan({ SEED: '2147483647', MINUTES: '1', SHARDS: '1' }).outputs.count).toBe('1');
    expect(plan({ SEED: ' 5 ', MINUTES: '2', SHARDS: '3' }).outputs).toEqual({ seed: '5', seconds: '120', count: '3', shards: '[1,2,3]' });
  });

  it.each([
    [{ SEED: '1', MINUTES: '30', SHARDS: '1-2' }, "shards must be a whole number from 1 to 64, got '1-2'"],
    [{ SEED: '1', MINUTES: '30', SHARDS: '0' }, 'shards must be a whole number from 1 to 64, got 0'],
    [{ SEED: '1', MINUTES: '30', SHARDS: '65' }, 'shards must be a whole number from 1 to 64, got 65'],
    [{ SEED: '1', MINUTES: '30', SHARDS: '-4' }, "shards must be a whole number from 1 to 64, got '-4'"],
    [{ SEED: '1', MINUTES: '30m', SHARDS: '4' }, "minutes must be a whole number from 1 to 180, got '30m'"],
    [{ SEED: '1', MINUTES: '0', SHARDS: '4' }, 'minutes must be a whole number from 1 to 180, got 0'],
    [{ SEED: '1', MINUTES: '181', SHARDS: '4' }, 'minutes must be a whole number from 1 to 180, got 181'],
    [{ SEED: '1', MINUTES: '', SHARDS: '4' }, "minutes must be a whole number from 1 to 180, got ''"],
    [{ SEED: '2147483648', MINUTES: '30', SHARDS: '4' }, 'seed must be an integer from -2147483648 to 2147483647, got 2147483648'],
    [{ SEED: '-2147483649', MINUTES: '30', SHARDS: '4' }, 'seed must be an integer from -2147483648 to 2147483647, got -2147483649'],
    [{ SEED: '1-2', MINUTES: '30', SHARDS: '4' }, "seed must be an integer from -2147483648 to 2147483647, got '1-2'"],
    [{ SEED: '--1', MINUTES: '30', SHARDS: '4' }, "seed must be an integer from -2147483648 to 2147483647, got '--1'"],
    [{ SEED: '1e3', MINUTES: '30', SHARDS: '4' }, "seed must be an integer from -2147483648 to 2147483647, got '1e3'"],
    [{ SEED: '', MINUTES: '30', SHARDS: '4', RUN_ID: '' }, "no seed given and the run id '' is not a number to derive one from"],
  ])('refuses %o: %s', (inputs, message) => {
    const run = plan(inputs);
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n')).toEqual([message]);
    expect(run.outputs).toEqual({});
  });

  it('names every malformed input at once', () => {
    const run = plan({ SEED: 'x', MINUTES: 'y', SHARDS: 'z' });
    expect(run.status).toBe(2);
    expect(run.stderr.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['seed', 'minutes', 'shards']);
  });
});
