// Specification versions: every subsystem says which upstream it specifies, every seeded bug names versions that
// exist, a saved case records its version and is refused with a clear message when the version is unknown, and
// the command line lists the versions and refuses an unknown one.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { suites } from './registry.js';
import { CounterexampleError, listCaseFiles, parse, serialize } from './store.js';
import { defaultVersion, modelTarget, mutantTarget, mutantVersions, versionNames } from './targets.js';

const ROOT = join(import.meta.dirname, '..', '..');
const run = promisify(execFile);

describe('specification versions', () => {
  for (const suite of suites) {
    const name = suite.spec.name;
    it(`${name}: declares its versions, each with the upstream it specifies and what it was checked against`, () => {
      expect(suite.spec.versions.length).toBeGreaterThan(0);
      const names = versionNames(suite);
      expect(new Set(names).size).toBe(names.length);
      for (const v of suite.spec.versions) {
        expect(v.name, name).toMatch(/^[a-z0-9][a-z0-9.+-]*$/);
        expect(v.upstream.length, `${name}/${v.name}: upstream`).toBeGreaterThan(10);
        expect(v.checkedAgainst.length, `${name}/${v.name}: checkedAgainst`).toBeGreaterThan(3);
      }
    });
    it(`${name}: every seeded bug is seeded into versions of the subsystem, and its target is of that version`, () => {
      for (const m of suite.mutants) {
        const versions = mutantVersions(suite, m.name);
        expect(versions.length, m.name).toBeGreaterThan(0);
        for (const v of versions) {
          expect(versionNames(suite), `${m.name} names version ${v}`).toContain(v);
          expect(mutantTarget(suite, m.name, v)?.version).toBe(v);
        }
        expect(mutantTarget(suite, m.name)?.version).toBe(versions[0]);
      }
    });
  }

  const suite = suites[0];
  if (suite === undefined) throw new Error('no subsystem registered');
  const file = listCaseFiles([join(ROOT, 'counterexamples', suite.spec.name)])[0];
  if (file === undefined) throw new Error(`no saved ${suite.spec.name} case to build on`);
  const saved = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;

  it('a saved case records its version, and loads back with it', () => {
    const ce = parse(readFileSync(file, 'utf8'), file, suites);
    expect(versionNames(suite)).toContain(ce.specVersion);
    expect(serialize(ce)).toContain(`"specVersion": "${ce.specVersion}"`);
    expect(parse(serialize(ce), 'again', suites).specVersion).toBe(ce.specVersion);
  });

  it('a case saved before versions existed is of the default version', () => {
    const { specVersion: _dropped, ...old } = saved;
    expect(parse(JSON.stringify(old), 'old.json', suites).specVersion).toBe(defaultVersion(suite));
  });

  it('an unknown or malformed version is refused naming the file, the field and the known versions', () => {
    const bad = (specVersion: unknown) => () => parse(JSON.stringify({ ...saved, specVersion }), 'bad.json', suites);
    expect(bad('no-such-version')).toThrow(CounterexampleError);
    expect(bad('no-such-version')).toThrow(`bad.json: specVersion: unknown specification version "no-such-version" of ${suite.spec.name} (known: ${versionNames(suite).join(', ')})`);
    expect(bad(42)).toThrow('bad.json: specVersion: expected a string');
    expect(bad('x'.repeat(10_000))).toThrow(/"x{80}" of/);
  });

  it('a target of an unknown version is refused', () => {
    expect(() => modelTarget(suite, 'no-such-version')).toThrow(`unknown specification version "no-such-version" of ${suite.spec.name}`);
  });

  it('npm run check lists every version and invariant (with its source), and refuses an unknown version', async () => {
    const tsx = ['--import', 'tsx', join(ROOT, 'scripts', 'check.ts')];
    const [listed, refused] = await Promise.all([
      run(process.execPath, [...tsx, '--list', '--json'], { cwd: ROOT }),
      run(process.execPath, [...tsx, '--subsystem', suite.spec.name, '--spec-version', 'no-such-version', '--runs', '1'], { cwd: ROOT }).then(
        () => expect.fail('an unknown version was accepted'),
        (error: { code: number; stderr: string }) => error,
      ),
    ]);
    const list = JSON.parse(listed.stdout) as { subsystems: { name: string; versions: { name: string; upstream: string }[]; invariants: { name: string; source: string }[] }[] };
    for (const s of suites) {
      const entry = list.subsystems.find((x) => x.name === s.spec.name);
      expect(entry?.versions.map((v) => v.name)).toEqual(versionNames(s));
      expect(entry?.invariants).toEqual(s.spec.invariants.map((i) => ({ name: i.name, source: i.source })));
    }
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(`unknown specification version "no-such-version" of ${suite.spec.name}; valid: ${versionNames(suite).join(', ')}`);
  });
});
