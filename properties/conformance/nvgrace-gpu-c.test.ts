// The nvgrace-gpu region read/write in C (examples/nvgrace-gpu), built with AddressSanitizer: the port
// conforms, and the variant whose device-memory count is one byte too long is caught by result comparison
// (the byte after device memory in its last page reads as 00, not ff) and by AddressSanitizer (when device
// memory ends on a page boundary, the read goes into the guard page past it), each shrunk to probe + read.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { seedFromEnvironment } from '../harness/seed.js';
import { buildExamples, conformance, isOneMinimal, searchOn, type Conformance } from './helpers.js';

const seed = seedFromEnvironment();
/**
 * Runs each bug search may take. The search stops at the first case that shows the bug, so this only bounds the
 * unlucky seeds. Measured over seeds 1..2000 with properties/nvgrace-gpu/conformance-budget.ts (the same searches
 * on the specification plus a check of the step where the port's extra byte shows; the same run number as the real
 * port on every seed compared, 1..10 and 1..20): AddressSanitizer mean 145 runs, worst 1182 (seed 598); result
 * comparison mean 130, worst 1071 (seed 1661). (The former budget of 2000 missed seed 616799387, about 1 seed in
 * 100; measured before the generators got straddling counts, it missed 14 and 5 of seeds 1..2000.) The runs needed
 * are close to geometric, so 10 000 leaves a seed unfound with a probability near exp(-10000 / 145). A change to the
 * nvgrace-gpu generators changes these figures: measure again (the script's header says how).
 */
const BUG_SEARCH_RUNS = 10_000;
let good: Conformance;
let buggy: Conformance;

beforeAll(() => {
  const [goodPath, badPath] = buildExamples('nvgrace-gpu', 'nvgrace-gpu-past-end');
  good = conformance('nvgrace-gpu', goodPath as string);
  buggy = conformance('nvgrace-gpu', badPath as string);
}, 120_000);
afterAll(() => {
  good?.impl.close();
  buggy?.impl.close();
});

describe(`nvgrace-gpu in C (seed ${seed})`, () => {
  it('the port conforms (config space, mmap and reset are answered unsupported)', async () => {
    const outcome = await searchOn(good, seed, 200);
    expect(outcome.failure?.violation).toBeUndefined();
    expect(good.impl.stats?.unsupported?.['cfgRead']).toBeGreaterThan(0);
  });

  it('reading one byte past device memory is caught by result comparison (probe, read)', async () => {
    const outcome = await searchOn(buggy, seed, BUG_SEARCH_RUNS, ['resultMatchesSpecification']);
    const f = outcome.failure;
    expect(f?.violation.invariant).toBe('resultMatchesSpecification');
    expect(f?.operations.map((o) => o.op)).toEqual(['probe', 'read']);
    expect(f?.violation.message).toMatch(/"data":"[0-9a-f]*00[f]*"}, the specification OK .*"data":"[0-9a-f]*ff[f]*"}/);
    expect(isOneMinimal(buggy, f?.operations ?? [], 'resultMatchesSpecification')).toBe(true);
  });

  it('... and by AddressSanitizer (probe, read)', async () => {
    const outcome = await searchOn(buggy, seed, BUG_SEARCH_RUNS, ['implementationMemorySafe']);
    const f = outcome.failure;
    expect(f?.violation.invariant).toBe('implementationMemorySafe');
    expect(f?.operations.map((o) => o.op)).toEqual(['probe', 'read']);
    expect(f?.violation.message).toMatch(/^AddressSanitizer: use-after-poison \(READ of size 1\) in copy_from_device/);
  });
});
