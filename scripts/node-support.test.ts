// scripts/node-support.mjs, the check every npm script runs first: one plain line and exit 1 on a Node outside
// package.json's engines, silence and exit 0 inside it. Run as npm runs it (a separate node process), with the
// version faked by its --node-version option.
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { satisfies } from './node-support.mjs';

const SCRIPT = join(import.meta.dirname, 'node-support.mjs');
const MANIFEST = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8')) as { engines: { node: string }; scripts: Record<string, string> };
const ENGINES = MANIFEST.engines.node;
/** npm's own lifecycle scripts: run by npm around install and pack, not by a user as `npm run X`. */
const LIFECYCLE = new Set(['prepare', 'prepack', 'postpack', 'prepublishOnly', 'preinstall', 'install', 'postinstall']);

function check(version: string, range?: string) {
  const args = [SCRIPT, '--node-version', version, ...(range === undefined ? [] : ['--range', range])];
  const run = spawnSync(process.execPath, args, { encoding: 'utf8' });
  return { status: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe(`node-support against engines ${ENGINES}`, () => {
  it('is the range the dependencies need (vite, under vitest)', () => {
    expect(ENGINES).toBe('^20.19.0 || >=22.12.0');
  });

  // The script run as npm runs it: one refusal and one acceptance end to end; the range itself is checked in process
  // below (a node process per version would take seconds of npm test).
  it.each(['18.20.0', '20.12.0'])('refuses Node %s in one line naming the range and the version', (version) => {
    const run = check(version);
    expect(run.status).toBe(1);
    expect(run.stdout).toBe('');
    const lines = run.stderr.trimEnd().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain(`needs Node ${ENGINES}`);
    expect(lines[0]).toContain(`this is Node ${version}.`);
  });

  it('accepts a supported Node silently', () => {
    expect(check('22.12.0')).toEqual({ status: 0, stdout: '', stderr: '' });
  });

  it('refuses every version below the range and accepts every one in it', () => {
    for (const version of ['18.20.0', '20.0.0', '20.12.0', '20.18.3', '21.7.3', '22.11.0', '16.20.2']) expect({ version, ok: satisfies(version, ENGINES) }).toEqual({ version, ok: false });
    for (const version of ['20.19.0', '20.20.2', '22.12.0', '22.20.0', '24.0.0', '25.1.0', 'v24.11.1']) expect({ version, ok: satisfies(version, ENGINES) }).toEqual({ version, ok: true });
  });

  it('runs first in every npm script, so that none of them starts on an unsupported Node', () => {
    const scripts = Object.keys(MANIFEST.scripts).filter((name) => !LIFECYCLE.has(name));
    const unchecked = scripts.filter((name) => !MANIFEST.scripts[name]?.startsWith('node scripts/node-support.mjs && '));
    expect(unchecked, 'start these scripts with "node scripts/node-support.mjs && " in package.json').toEqual([]);
    expect(scripts).toContain('test');
  });

  it('accepts the Node running the tests (the suite only starts on a supported one)', () => {
    const run = spawnSync(process.execPath, [SCRIPT], { encoding: 'utf8' });
    expect({ status: run.status, stderr: run.stderr }).toEqual({ status: 0, stderr: '' });
  });

  it('reports an unreadable version instead of passing it', () => {
    const run = check('twenty');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("unreadable version 'twenty'");
  });

  it('reads every comparator an engines range may use', () => {
    const cases: Array<[string, string, number]> = [
      ['~20.19.0', '20.19.5', 0], ['~20.19.0', '20.20.0', 1], ['~20.19.0', '20.18.9', 1],
      ['^0.3.1', '0.3.9', 0], ['^0.3.1', '0.4.0', 1],
      ['>=18 <20', '19.9.9', 0], ['>=18 <20', '20.0.0', 1], ['>= 18 < 20', '18.0.0', 0],
      ['>20.0.0 <=20.19.0', '20.19.0', 0], ['>20.0.0 <=20.19.0', '20.0.0', 1], ['>20.0.0 <=20.19.0', '20.19.1', 1],
      ['=22.12.0', '22.12.0', 0], ['22.12.0', '22.12.1', 1], ['^20.19.0 || ^22.12.0 || >=24', '23.0.0', 1],
    ];
    for (const [range, version, status] of cases) expect({ range, version, ok: satisfies(version, range) }).toEqual({ range, version, ok: status === 0 });
  });

  it('reports an unreadable range instead of passing it', () => {
    for (const range of ['lts', '>=20.x', '20 ||']) expect(() => satisfies('24.0.0', range), range).toThrow();
    const run = check('24.0.0', 'lts');
    expect(run.status).toBe(2);
    expect(run.stderr).toContain('cannot check the Node version');
  });
});
