/** The shell line process-worker.mjs starts an implementation with: `sh -c LINE NAME COMMAND`, COMMAND run only after `go` on fd 3. */
export declare const HOLD_UNTIL_GUARDED: string;
