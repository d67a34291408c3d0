// The command that replays a saved case as it was found: on its target (the seeded bug, or the implementation),
// checking only the invariants the search checked. Printed by every command that saves a case.

import { invocation } from './invocation.js';
import { parseTargetLabel } from './target-label.js';

/** One word of a command line as a POSIX shell reads it back unchanged. */
export function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/**
 * `npm run replay -- FILE` (`npx gpumem-spec replay FILE` where the package is installed), with `--mutant NAME` for a
 * case found on a seeded bug, `--impl COMMAND` for one found on an implementation (`impl`, the command it was started
 * with), and `--invariants A,B` when the search checked only those.
 */
export function replayCommand(file: string, target: string, invariants?: readonly string[], impl?: string): string {
  const parsed = parseTargetLabel(target);
  const on = parsed?.kind === 'mutant' ? ` --mutant ${shellWord(parsed.name)}` : parsed?.kind === 'impl' && impl !== undefined ? ` --impl ${shellWord(impl)}` : '';
  const only = invariants !== undefined ? ` --invariants ${shellWord(invariants.join(','))}` : '';
  return `${invocation('replay')} ${shellWord(file)}${on}${only}`;
}
