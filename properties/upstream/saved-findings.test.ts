// Every difference found on real upstream code is saved under counterexamples/upstream/<subsystem>/ (docs/upstream.md).
// Without a tree they still replay here, on the specification, which must pass them: each records where upstream
// and the specification part, and the specification's side of it must not drift. (With a tree in
// GPUMEM_UPSTREAM_<TARGET>, properties/upstream/<target>.test.ts replays them on the real code.)
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { suites } from '../harness/registry.js';
import { replay } from '../harness/replay.js';
import { listCaseFiles, load } from '../harness/store.js';
import { formatTrace } from '../harness/trace.js';

const ROOT = join(import.meta.dirname, '..', '..');
const FOLDER = join(ROOT, 'counterexamples', 'upstream');
const files = listCaseFiles([FOLDER]);

describe('saved upstream findings replay on the specification', () => {
  it('there are some, each found on an upstream build', () => {
    expect(files.length).toBeGreaterThan(0);
    for (const file of files) expect(load(file, suites).target, file).toMatch(/^impl:upstream-/);
  });
  it.each(files.map((f) => relative(FOLDER, f)))('%s', (file) => {
    const ce = load(join(FOLDER, file), suites);
    expect(file.startsWith(`${ce.subsystem}/`), `kept under the folder of its subsystem (${ce.subsystem})`).toBe(true);
    const run = replay(ce, 'model').run;
    expect(run.violation, `the specification fails a saved upstream finding:\n${formatTrace(run)}`).toBeUndefined();
  });
});
