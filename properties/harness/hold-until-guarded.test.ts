// An implementation starts only once the guardian knows its process group: if the process that spawned it ends
// before saying so (a SIGTERM between spawn and guard), the command never runs, so nothing it would start is left
// behind (properties/conformance/cli.test.ts holds the whole path: replay ended by SIGTERM leaves nothing running).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HOLD_UNTIL_GUARDED } from './hold-until-guarded.mjs';

const scratch = mkdtempSync(join(tmpdir(), 'gpumem-hold-'));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

/** Starts `command` held, then closes descriptor 3 after writing `word`; resolves with the exit status. */
function start(command: string, word: string): Promise<number | null> {
  return new Promise((resolve, reject) => {
    const child = spawn('/bin/sh', ['-c', HOLD_UNTIL_GUARDED, 'gpumem-implementation', command], { stdio: ['ignore', 'ignore', 'ignore', 'pipe'] });
    child.on('error', reject);
    child.on('exit', (code) => resolve(code));
    const go = child.stdio[3];
    if (go === null || go === undefined || !('end' in go)) throw new Error('no descriptor 3');
    go.end(word);
  });
}

describe('HOLD_UNTIL_GUARDED', () => {
  it('runs the command, as sh -c runs it, once told to go', async () => {
    const made = join(scratch, 'went');
    expect(await start(`touch '${made}' && exit 7`, 'go\n')).toBe(7);
    expect(existsSync(made)).toBe(true);
  });

  it('never runs the command when its starter goes away first (the pipe ends without the word)', async () => {
    const made = join(scratch, 'held');
    expect(await start(`touch '${made}'`, '')).toBe(125);
    expect(existsSync(made)).toBe(false);
  });

  it('closes descriptor 3 before the command runs', async () => {
    expect(await start('[ -e /proc/self/fd/3 ] && exit 3; exit 0', 'go\n')).toBe(0);
  });
});
