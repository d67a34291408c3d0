// Ctrl-C as the long-running commands take it: the first press stops the work cleanly, a later one ends the
// process at once. Loads nothing else, so a supervising thread can use it.

/** A second SIGINT this soon after the first is the same Ctrl-C, relayed by npm or tsx to this process again. */
export const SAME_KEYPRESS_MS = 1000;

/**
 * Ctrl-C: the first calls `first` (stop the search cleanly); the same keypress relayed again by the processes above
 * this one (npm, tsx) within SAME_KEYPRESS_MS is ignored; a later one calls `second` (end at once). Returns the
 * function that stops listening.
 */
export function onInterrupt(first: () => void, second: () => void): () => void {
  let firstAt: number | undefined;
  const listener = () => {
    if (firstAt === undefined) {
      firstAt = Date.now();
      first();
    } else if (Date.now() - firstAt >= SAME_KEYPRESS_MS) second();
  };
  process.on('SIGINT', listener);
  return () => process.off('SIGINT', listener);
}
