// The vitest face of a subsystem: every property holds on the model within its budget, every mutant is caught
// by the invariant it targets and shrunk, and every saved counterexample of the subsystem still replays.
// A case a test finds is saved as `npm run check` saves one, in a scratch folder (found.ts), with its replay command.

import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { execute } from './interpreter.js';
import { replay } from './replay.js';
import { saveFound } from './found.js';
import { type Failure, search } from './search.js';
import { seedFromEnvironment } from './seed.js';
import { counterexampleOf, listCaseFiles, load } from './store.js';
import { type AnySuite, type MutantDef, type PropertyDef, selectInvariants } from './suite.js';
import { mutantLabel, mutantOf } from './target-label.js';
import { modelTarget, mutantVersions, type Target } from './targets.js';
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
          const checked = await checkProperty(suite, property, modelTarget(suite, version), seed);
          if (checked.failure !== undefined) expect.fail(checked.failure.message);
          expect(checked.runsDone).toBe(property.numRuns);
        });
      }
    }
  });

  describe(`${name}: every seeded bug is caught by its invariant and shrunk (seed ${seed})`, () => {
    for (const mutant of suite.mutants) for (const version of mutantVersions(suite, mutant.name)) {
      it(tagged(`${mutant.name} breaks ${mutant.breaks}`, version), async () => {
        const checked = await checkSeededBug(suite, mutant, version, seed);
        if (checked.problem !== undefined) expect.fail(checked.problem);
        expect(checked.caught?.violation.invariant).toBe(mutant.breaks);
      });
    }
  });

  const folder = join(COUNTEREXAMPLES_DIR, name);
  const files = existsSync(folder) ? listCaseFiles([folder]) : [];
  if (files.length === 0) return;
  describe(`${name}: saved counterexamples replay`, () => {
    it.each(files.map((f) => relative(COUNTEREXAMPLES_DIR, f)))('%s', (file) => {
      const ce = load(join(COUNTEREXAMPLES_DIR, file), [suite]);
      expect(ce.subsystem).toBe(name);
      const onModel = replay(ce, 'model');
      expect(onModel.run.violation, `the specification fails a saved case:\n${formatTrace(onModel.run)}`).toBeUndefined();
      if (mutantOf(ce.target) !== undefined) {
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
        const ce = load(f, [suite]);
        const runs = [`On the specification:\n\n\`\`\`\n${formatTrace(replay(ce, 'model').run)}\n\`\`\``];
        if (mutantOf(ce.target) !== undefined) runs.push(`On ${ce.target}:\n\n\`\`\`\n${formatTrace(replay(ce, ce.target).run)}\n\`\`\``);
        const version = suite.spec.versions.length > 1 ? ` (specification version ${ce.specVersion})` : '';
        return `## ${file}\n\n${ce.property}, found on ${ce.target}${version}.\n\n${runs.join('\n\n')}\n`;
      });
      const header = `# Traces of the saved ${name} cases\n\nEach saved case replayed on the specification and on the target it was found on. Written by the\ntests; \`npx vitest run -u\` rewrites it after an intended change of a trace.\n`;
      await expect([header, ...sections].join('\n')).toMatchFileSnapshot(join(folder, TRACES_FILE));
    });
  });
}

export interface PropertyCheck {
  readonly runsDone: number;
  /** A violation: its trace, where the case was saved and the command that replays it (`file` if it was saved). */
  readonly failure?: { readonly message: string; readonly file?: string };
}

/**
 * One property on one target within the property's budget, as npm test runs it on the specification. A violation
 * is saved under foundDir() (GPUMEM_FOUND_DIR) as `npm run check` saves one, and described with its trace, the
 * file and the command that replays it.
 */
export async function checkProperty(suite: AnySuite, property: PropertyDef, target: Target, seed: number): Promise<PropertyCheck> {
  const outcome = await search(suite, property, target, { seed, runs: property.numRuns });
  const failure = outcome.failure;
  if (failure === undefined) return { runsDone: outcome.runsDone };
  const again = execute(suite.spec, target.createModel(), failure.operations, { trace: true, invariants: selectInvariants(suite, property) });
  const saved = saveFound(counterexampleOf(suite, property, target, failure));
  const message = `seed ${seed}, version ${target.version}: ${failure.violation.invariant}: ${failure.violation.message}\n${formatTrace(again)}\n${saved.lines}`;
  return { runsDone: outcome.runsDone, failure: saved.file === undefined ? { message } : { message, file: saved.file } };
}

export interface SeededBugCheck {
  /** The shrunk case the search found, if it found one. */
  readonly caught?: Failure;
  /** Why the seeded bug fails its test; a case in hand is saved as checkProperty saves one. */
  readonly problem?: string;
}

/**
 * A seeded bug must be caught within its property's budget, by the invariant it breaks, with a 1-minimal case
 * (no single operation can be taken away and still expose it). When it is caught but wrongly (another invariant,
 * such as the model throwing, or a case with a needless operation), that case is saved; a bug that survives the
 * budget leaves no case, and the message gives the seed and runs that missed it.
 */
export async function checkSeededBug(suite: AnySuite, mutant: MutantDef<unknown>, version: string, seed: number): Promise<SeededBugCheck> {
  const property = suite.properties.find((p) => p.name === mutant.property);
  if (property === undefined) return { problem: `mutant ${mutant.name} names an unknown property ${mutant.property}` };
  const target: Target = { label: mutantLabel(mutant.name), version, createModel: () => mutant.createModel(version) };
  const only = [mutant.breaks];
  const outcome = await search(suite, property, target, { seed, runs: property.numRuns, invariants: only });
  const caught = outcome.failure;
  if (caught === undefined) return { problem: `${mutant.name} survived ${outcome.runsDone} runs of ${property.name} (seed ${seed}, version ${version})` };
  let problem: string | undefined;
  if (caught.violation.invariant !== mutant.breaks) problem = `${mutant.name} is caught by ${caught.violation.invariant}, not ${mutant.breaks}: ${caught.violation.message}`;
  else {
    const invariants = selectInvariants(suite, property, only);
    const needless = caught.operations.findIndex((_, i) => execute(suite.spec, mutant.createModel(version), caught.operations.filter((_, j) => j !== i), { invariants }).violation !== undefined);
    if (needless >= 0) problem = `operation #${needless} of the shrunk case is not needed`;
  }
  if (problem === undefined) return { caught };
  const saved = saveFound(counterexampleOf(suite, property, target, caught), only);
  return { caught, problem: `${problem} (seed ${seed}, version ${version})\n${saved.lines}` };
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
