// Where a case that `npm test` finds goes: a scratch folder outside the repository (as `npm run check` saves the
// cases of a seeded bug), so that nothing a test run sees is lost and nothing committed changes. CI points
// GPUMEM_FOUND_DIR at a folder of its workspace and uploads it.

import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Failure } from './search.js';
import { FORMAT, save, serialize, type Counterexample } from './store.js';
import type { AnySuite, PropertyDef } from './suite.js';
import type { Target } from './targets.js';

export const FOUND_DIR_VARIABLE = 'GPUMEM_FOUND_DIR';

/** GPUMEM_FOUND_DIR (relative to the working directory) if set, else `$TMPDIR/gpumem-spec/found`. */
export function foundDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[FOUND_DIR_VARIABLE];
  return chosen === undefined || chosen === '' ? join(tmpdir(), 'gpumem-spec', 'found') : resolve(chosen);
}

/** The record `npm run check` saves for a failure of `property` on `target`. */
export function counterexampleOf(suite: AnySuite, property: PropertyDef, target: Target, failure: Failure): Counterexample {
  return {
    format: FORMAT,
    subsystem: suite.spec.name,
    property: property.name,
    target: target.label,
    specVersion: target.version,
    seed: failure.seed,
    path: failure.path,
    runs: failure.runs,
    violation: failure.violation,
    operations: failure.operations,
  };
}

/** A word as a POSIX shell reads it back unchanged (as scripts/cli.ts's shellWord, which properties/ cannot import). */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The command that replays a saved case as it was found: on its target, checking the invariants the search checked. */
export function replayCommand(file: string, target: string, invariants?: readonly string[]): string {
  const mutant = target.startsWith('mutant:') ? ` --mutant ${shellWord(target.slice('mutant:'.length))}` : '';
  const only = invariants !== undefined ? ` --invariants ${shellWord(invariants.join(','))}` : '';
  return `npm run replay -- ${shellWord(file)}${mutant}${only}`;
}

export interface Saved {
  /** The file written, or undefined when it could not be (the lines then hold the whole case). */
  readonly file?: string;
  /** What a failure message adds: where the case is and how to replay it. */
  readonly lines: string;
}

/**
 * Saves a case found by a test under foundDir(). A case that cannot be saved is printed whole instead, so that
 * the failure message still carries it.
 */
export function saveFound(ce: Counterexample, invariants?: readonly string[], dir = foundDir()): Saved {
  try {
    const { path } = save(ce, dir);
    return { file: path, lines: `saved: ${path}\nreplay: ${replayCommand(path, ce.target, invariants)}` };
  } catch (error) {
    const why = (error as NodeJS.ErrnoException).code ?? (error as Error).message;
    return { lines: `could not save the case under ${dir} (${why}); here it is, to save as a .json file and replay:\n${serialize(ce)}` };
  }
}
