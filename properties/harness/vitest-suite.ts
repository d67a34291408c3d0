// The vitest face of a subsystem: every property holds on the model within its budget, every mutant is caught
// by the invariant it targets and shrunk, and every saved counterexample of the subsystem still replays.

import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execute } from './interpreter.js';
import { replay } from './replay.js';
import { search, selectInvariants } from './search.js';
import { seedFromEnvironment } from './seed.js';
import { listCaseFiles, load } from './store.js';
import type { AnySuite } from './suite.js';
import { modelTarget, mutantTarget, mutantVersions } from './targets.js';
import { formatTrace } from './trace.js';

export const COUNTEREXAMPLES_DIR = join(import.meta.dirname, '..', '..', 'counterexamples');

export function defineSuiteTests(suite: AnySuite): void {
  const seed = seedFromEnvironment();
  const name = suite.spec.name;

  // Every property on every specification version, each with the property's whole budget.
  const versions = suite.spec.versions.map((v) => v.name);
  const tagged = (text: string, version: string) => (versions.length > 1 ? `${text} (version ${version})` : text);
  describe(`${name}: properties hold on the specification (seed ${seed})`, () => {
    for (const version of versions) {
      for (const property of suite.properties) {
        it(tagged(property.name, version), async () => {
          const outcome = await search(suite, property, modelTarget(suite, version), { seed, runs: property.numRuns });
          const failure = outcome.failure;
          if (failure !== undefined) {
            const again = execute(suite.spec, suite.spec.createModel(version), failure.operations, { trace: true, invariants: selectInvariants(suite, property) });
            expect.fail(`seed ${seed}, version ${version}: ${failure.violation.invariant}: ${failure.violation.message}\n${formatTrace(again)}`);
          }
          expect(outcome.runsDone).toBe(property.numRuns);
        });
      }
    }
  });

  describe(`${name}: every seeded bug is caught by its invariant and shrunk (seed ${seed})`, () => {
    for (const mutant of suite.mutants) for (const version of mutantVersions(suite, mutant.name)) {
      it(tagged(`${mutant.name} breaks ${mutant.breaks}`, version), async () => {
        const property = suite.properties.find((p) => p.name === mutant.property);
        expect(property, `mutant ${mutant.name} names an unknown property`).toBeDefined();
        if (property === undefined) return;
        const target = mutantTarget(suite, mutant.name, version);
        if (target === undefined) return expect.fail('unreachable');
        const outcome = await search(suite, property, target, { seed, runs: property.numRuns, invariants: [mutant.breaks] });
        expect(outcome.failure, `${mutant.name} survived ${outcome.runsDone} runs of ${property.name} (seed ${seed})`).toBeDefined();
        const failure = outcome.failure;
        if (failure === undefined) return;
        expect(failure.violation.invariant).toBe(mutant.breaks);
        // Shrunk: no single operation can be taken away and still expose the bug.
        const invariants = selectInvariants(suite, property, [mutant.breaks]);
        for (let i = 0; i < failure.operations.length; i++) {
          const without = failure.operations.filter((_, j) => j !== i);
          const run = execute(suite.spec, mutant.createModel(version), without, { invariants });
          expect(run.violation, `operation #${i} of the shrunk case is not needed`).toBeUndefined();
        }
      });
    }
  });

  const folder = join(COUNTEREXAMPLES_DIR, name);
  const files = existsSync(folder) ? listCaseFiles([folder]) : [];
  if (files.length === 0) return;
  describe(`${name}: saved counterexamples replay`, () => {
    it.each(files.map((f) => relative(COUNTEREXAMPLES_DIR, f)))('%s', (file) => {
      const ce = load(join(COUNTEREXAMPLES_DIR, file));
      expect(ce.subsystem).toBe(name);
      const onModel = replay(ce, 'model');
      expect(onModel.run.violation, `the specification fails a saved case:\n${formatTrace(onModel.run)}`).toBeUndefined();
      if (ce.target.startsWith('mutant:')) {
        const onMutant = replay(ce, ce.target);
        expect(onMutant.run.violation?.invariant, `the saved case no longer catches ${ce.target}:\n${formatTrace(onMutant.run)}`).toBe(ce.violation.invariant);
      }
    });

    // The traces are what a reader of a failure sees (arguments, results, injected faults, the state after each
    // step, the violated invariant and its message): a change to any of them shows in this committed file.
    // After an intended change: npx vitest run -u, and review the diff.
    it(`traces match counterexamples/${name}/${TRACES_FILE}`, async () => {
      const tracesPath = join(folder, TRACES_FILE);
      const traced = tracedCases(files.map((f) => relative(folder, f)), existsSync(tracesPath) ? readFileSync(tracesPath, 'utf8') : undefined,
        expect.getState().snapshotState.snapshotUpdateState === 'all');
      if (process.env['CI'] !== undefined)
        expect(traced.unlisted, `saved cases without a trace in counterexamples/${name}/${TRACES_FILE}: run npx vitest run properties/${name} -u and review the diff`).toEqual([]);
      const sections = traced.cases.map((file) => join(folder, file)).map((f) => {
        const file = relative(folder, f);
        const ce = load(f);
        const runs = [`On the specification:\n\n\`\`\`\n${formatTrace(replay(ce, 'model').run)}\n\`\`\``];
        if (ce.target.startsWith('mutant:')) runs.push(`On ${ce.target}:\n\n\`\`\`\n${formatTrace(replay(ce, ce.target).run)}\n\`\`\``);
        const version = suite.spec.versions.length > 1 ? ` (specification version ${ce.specVersion})` : '';
        return `## ${file}\n\n${ce.property}, found on ${ce.target}${version}.\n\n${runs.join('\n\n')}\n`;
      });
      const header = `# Traces of the saved ${name} cases\n\nEach saved case replayed on the specification and on the target it was found on. Written by the\ntests; \`npx vitest run -u\` rewrites it after an intended change of a trace.\n`;
      await expect([header, ...sections].join('\n')).toMatchFileSnapshot(join(folder, TRACES_FILE));
    });
  });
}

const TRACES_FILE = 'TRACES.md';

/**
 * Which saved cases the trace file holds: those it lists (a `## <file>` heading each), so that a case a user's
 * search saved into counterexamples/ since does not make npm test fail (it is still replayed); every case when the
 * file is being rewritten (`-u`) or does not exist yet. `unlisted` are the cases left out (CI refuses them: a case
 * committed without its trace).
 */
export function tracedCases(files: readonly string[], traces: string | undefined, updating: boolean): { cases: string[]; unlisted: string[] } {
  if (traces === undefined || updating) return { cases: [...files], unlisted: [] };
  const listed = new Set([...traces.matchAll(/^## (.+)$/gm)].map((m) => m[1]));
  return { cases: files.filter((f) => listed.has(f)), unlisted: files.filter((f) => !listed.has(f)) };
}
