// How many runs the two searches of properties/conformance/nvgrace-gpu-c.test.ts need to find the bug of the
// buggy C port, over many seeds: a test that must find a bug needs a budget that covers the worst seed.
//
//   npx tsx properties/nvgrace-gpu/conformance-budget.ts model asan|result FIRST LAST [MAX_RUNS]
//   npx tsx properties/nvgrace-gpu/conformance-budget.ts impl  asan|result FIRST LAST [MAX_RUNS]   (examples/build.sh first)
//
// `impl` runs the test's own search against examples/build/nvgrace-gpu-past-end (seconds per seed). `model` runs
// the same search (same property, same batch seeds, so the same cases in the same order) on the specification
// with one extra check that says on which step the port's one-byte-too-long device read shows: `asan`, it
// reaches the guard page past device memory (device memory ends on a page boundary); `result`, it returns the
// 00 after device memory in its last page instead of ff (it does not). The model takes milliseconds per seed, so
// thousands of seeds can be measured; `impl` over a few seeds shows both give the same run numbers. Prints one
// line per seed, then the distribution and the worst seed.
import { join } from 'node:path';
import { argsOf } from '../../model/common/schema.js';
import type { Invariant } from '../../model/common/spec.js';
import { MAX_RW_COUNT, type NvgraceState } from '../../model/nvgrace-gpu/index.js';
import { nvgraceSignatures } from '../../model/nvgrace-gpu/operations.js';
import { BUILD, conformance, searchOn } from '../conformance/helpers.js';
import { search } from '../harness/search.js';
import type { SubsystemSuite } from '../harness/suite.js';
import { modelTarget } from '../harness/targets.js';
import { nvgraceGpuSuite } from './suite.js';

const [mode = 'model', which = 'asan', firstArg = '1', lastArg = '1000', maxArg = '50000'] = process.argv.slice(2);
const first = Number(firstArg);
const last = Number(lastArg);
const maxRuns = Number(maxArg);
const PAGE = 4096n;

/**
 * The buggy port (region.c with BUG_READ_PAST_END) copies min(count, memlength - offset + 1) device bytes; the
 * extra byte is in a poisoned guard page exactly when device memory ends on a page boundary. It copies only for
 * reads whose data is returned (clipped count <= 64) that succeed (the memremap fault plan did not fail them).
 */
const portReadsPastMemory: Invariant<NvgraceState> = {
  name: 'portReadsPastMemory',
  source: 'examples/nvgrace-gpu/region.c BUG_READ_PAST_END',
  check: ({ op, before, result }) => {
    const read = argsOf(nvgraceSignatures, op, 'read');
    if (read === undefined || !result.ok) return undefined;
    const pos = (read.bar === 'BAR2' ? 2n << 40n : 4n << 40n) + read.offset;
    const index = pos >> 40n;
    const r = index === 4n ? before.usemem : index === 2n ? before.resmem : null;
    if (r === null) return undefined;
    const offset = pos & ((1n << 40n) - 1n);
    const { count } = read;
    if (offset >= r.barSize || offset >= r.memlength) return undefined;
    const vfs = count > MAX_RW_COUNT ? MAX_RW_COUNT : count;
    const clipped = vfs < r.barSize - offset ? vfs : r.barSize - offset;
    if (clipped > 64n || clipped <= r.memlength - offset) return undefined;
    return (r.memlength % PAGE === 0n) === (which === 'asan') ? 'the extra byte shows' : undefined;
  },
};

async function runsNeeded(seed: number): Promise<number | undefined> {
  if (mode === 'model') {
    const suite: SubsystemSuite<NvgraceState> = { ...nvgraceGpuSuite, spec: { ...nvgraceGpuSuite.spec, invariants: [...nvgraceGpuSuite.spec.invariants, portReadsPastMemory] } };
    const property = suite.properties[0];
    if (property === undefined) throw new Error('no property');
    const outcome = await search(suite, property, modelTarget(suite), { seed, runs: maxRuns, invariants: [portReadsPastMemory.name] });
    return outcome.failure === undefined ? undefined : outcome.runsDone;
  }
  const invariant = which === 'asan' ? 'implementationMemorySafe' : 'resultMatchesSpecification';
  const outcome = await searchOn(buggy, seed, maxRuns, [invariant]);
  return outcome.failure?.violation.invariant === invariant ? outcome.runsDone : undefined;
}

const buggy = conformance('nvgrace-gpu', join(BUILD, 'nvgrace-gpu-past-end'));
const found: { seed: number; runs: number }[] = [];
const missed: number[] = [];
try {
  for (let seed = first; seed <= last; seed++) {
    const runs = await runsNeeded(seed);
    if (runs === undefined) missed.push(seed);
    else found.push({ seed, runs });
    console.log(`seed ${seed}: ${runs ?? `not caught within ${maxRuns}`}`);
  }
} finally {
  buggy.impl.close();
}
const sorted = [...found].sort((a, b) => a.runs - b.runs);
const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]?.runs;
const worst = sorted[sorted.length - 1];
console.log(
  `${mode} ${which}: seeds ${first}..${last}: caught on ${found.length}, median ${at(0.5)} runs, p90 ${at(0.9)}, p99 ${at(0.99)}, ` +
    `worst ${worst?.runs} (seed ${worst?.seed}); not caught within ${maxRuns}: ${missed.join(' ') || 'none'}`,
);
