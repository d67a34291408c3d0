// Where a case that `npm test` finds goes: a scratch folder outside the repository (as `npm run check` saves the
// cases of a seeded bug), so that nothing a test run sees is lost and nothing committed changes. CI points
// GPUMEM_FOUND_DIR at a folder of its workspace and uploads it.

import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { replayCommand } from './replay-command.js';
import { save, serialize, type Counterexample } from './store.js';

export const FOUND_DIR_VARIABLE = 'GPUMEM_FOUND_DIR';

/** GPUMEM_FOUND_DIR (relative to the working directory) if set, else `$TMPDIR/gpumem-spec/found`. */
export function foundDir(env: NodeJS.ProcessEnv = process.env): string {
  const chosen = env[FOUND_DIR_VARIABLE];
  return chosen === undefined || chosen === '' ? join(tmpdir(), 'gpumem-spec', 'found') : resolve(chosen);
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
