// How process-worker.mjs starts an implementation: its own module so that a test can start it without a worker.

/**
 * What the child runs first: it waits on its descriptor 3 for the word that the guardian knows its group, then
 * becomes `/bin/sh -c COMMAND` (as spawn's `shell: true` starts it, same pid). Should this process end between the
 * spawn and that word (a SIGTERM then, on a loaded machine), the read meets the end of the pipe and the child
 * exits before the command starts anything the guardian could not kill.
 */
export const HOLD_UNTIL_GUARDED = 'IFS= read -r go <&3 || exit 125; exec 3<&-; exec /bin/sh -c "$1"';
