// scripts/nightly-collect.mjs, the nightly workflow's gathering of the shards' cases into one folder laid out as
// committed. Run as the workflow runs it, on shard folders built from committed cases.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const SCRIPT = join(import.meta.dirname, 'nightly-collect.mjs');
const COMMITTED = join(import.meta.dirname, '..', 'counterexamples');
const scratch = mkdtempSync(join(tmpdir(), 'nightly-collect-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Two committed cases of different subsystems, as a shard's `--out found` folder holds them. */
const [poolCase, stage2Case] = ['dma-pool', 'kvm-stage2'].map((subsystem) => {
  const name = readdirSync(join(COMMITTED, subsystem)).filter((f) => f.endsWith('.json')).sort()[0];
  if (name === undefined) throw new Error(`no committed case of ${subsystem}`);
  return { subsystem, name, text: readFileSync(join(COMMITTED, subsystem, name), 'utf8') };
}) as [{ subsystem: string; name: string; text: string }, { subsystem: string; name: string; text: string }];

function collect(input: string, out: string, ...options: string[]) {
  const output = join(scratch, `github-output-${Math.random().toString(36).slice(2)}`);
  writeFileSync(output, '');
  const run = spawnSync(process.execPath, [SCRIPT, input, out, ...options], { encoding: 'utf8', env: { PATH: process.env['PATH'] ?? '', GITHUB_OUTPUT: output } });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr, output: readFileSync(output, 'utf8') };
}

function shard(root: string, index: number, cases: Array<{ subsystem: string; name: string; text: string }>) {
  for (const c of cases) {
    mkdirSync(join(root, `counterexamples-shard-${index}`, c.subsystem), { recursive: true });
    writeFileSync(join(root, `counterexamples-shard-${index}`, c.subsystem, c.name), c.text);
  }
}

describe('nightly-collect', () => {
  it('gathers every shard into counterexamples/<subsystem>/ once, with the replay command', () => {
    const input = join(scratch, 'two-shards');
    shard(input, 1, [poolCase]);
    shard(input, 2, [poolCase, stage2Case]);
    const out = join(scratch, 'two-shards-out');
    const run = collect(input, out, '--run-url', 'https://github.com/o/r/actions/runs/1');
    expect(run.status).toBe(0);
    expect(run.output).toBe('count=2\n');
    const placed = [`counterexamples/${poolCase.subsystem}/${poolCase.name}`, `counterexamples/${stage2Case.subsystem}/${stage2Case.name}`];
    for (const [place, c] of [[placed[0], poolCase], [placed[1], stage2Case]] as const) expect(readFileSync(join(out, place!), 'utf8')).toBe(c.text);
    expect(readdirSync(out).sort()).toEqual(['README.md', 'counterexamples']);
    const readme = readFileSync(join(out, 'README.md'), 'utf8');
    expect(readme).toContain('https://github.com/o/r/actions/runs/1');
    expect(readme).toContain(`npm run replay -- ${placed.join(' ')}\n`);
    expect(readme).toContain(`npx vitest run properties/${poolCase.subsystem} properties/${stage2Case.subsystem} -u`);
  });

  it('leaves out the cases already committed', () => {
    const input = join(scratch, 'known');
    shard(input, 1, [poolCase]);
    const out = join(scratch, 'known-out');
    const run = collect(input, out, '--known', COMMITTED);
    expect(run.status).toBe(0);
    expect(run.output).toBe('count=0\n');
    expect(existsSync(join(out, 'counterexamples'))).toBe(false);
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('No new case.');
  });

  it('refuses a file that is not a counterexample or not named by its content, and still collects the others', () => {
    const input = join(scratch, 'refused');
    shard(input, 1, [poolCase]);
    shard(input, 2, [{ ...stage2Case, text: stage2Case.text.replace('"runs": ', '"runs": 1') }]);
    writeFileSync(join(input, 'counterexamples-shard-2', 'result.json'), '{"results": []}');
    const out = join(scratch, 'refused-out');
    const run = collect(input, out);
    expect(run.status).toBe(1);
    expect(run.output).toBe('count=1\n');
    expect(run.stderr).toContain(`counterexamples-shard-2/${stage2Case.subsystem}/${stage2Case.name}: named ${stage2Case.name}, but its content hashes to`);
    expect(run.stderr).toContain('counterexamples-shard-2/result.json: not a gpumem-spec/counterexample@1 file');
    expect(existsSync(join(out, 'counterexamples', poolCase.subsystem, poolCase.name))).toBe(true);
    expect(existsSync(join(out, 'counterexamples', stage2Case.subsystem))).toBe(false);
  });

  it('finds no case when no shard uploaded any (the download folder does not exist)', () => {
    const out = join(scratch, 'none-out');
    const run = collect(join(scratch, 'no-such-folder'), out);
    expect({ status: run.status, output: run.output }).toEqual({ status: 0, output: 'count=0\n' });
    expect(readFileSync(join(out, 'README.md'), 'utf8')).toContain('No new case.');
  });

  it('takes exactly two folders', () => {
    const run = spawnSync(process.execPath, [SCRIPT, scratch], { encoding: 'utf8' });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('usage: node scripts/nightly-collect.mjs <downloaded-dir> <out-dir>');
  });
});
