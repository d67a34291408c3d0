// How the user starts this project's commands, so that a command printed for them to run next (a replay, a resume,
// a usage line) is one they can type: `npm run replay --` in a clone of this repository, `npx gpumem-spec replay`
// in a project that installed the package. The gpumem-spec executable sets BIN_VARIABLE for itself, and so for its
// worker threads and the processes it starts.

export const BIN_VARIABLE = 'GPUMEM_SPEC_BIN';

/** The words that start `command` (check, replay, conform, mutants, upstream) with its options to follow. */
export function invocation(command: string, env: NodeJS.ProcessEnv = process.env): string {
  return env[BIN_VARIABLE] === '1' ? `npx gpumem-spec ${command}` : `npm run ${command} --`;
}
