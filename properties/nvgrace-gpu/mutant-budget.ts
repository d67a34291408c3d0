// How many runs of nvgraceLifecycle each nvgrace-gpu seeded bug needs to be caught by its invariant, over many
// seeds: `npm test` gives each the property's budget (numRuns), which must cover the worst seed.
//   npx tsx properties/nvgrace-gpu/mutant-budget.ts [FIRST_SEED] [LAST_SEED] [MUTANT...]
// prints, per seeded bug (on the first version it is seeded into), the median and worst runs and how many seeds
// needed more than the budget.
import { search } from '../harness/search.js';
import { mutantTarget } from '../harness/targets.js';
import { nvgraceGpuSuite } from './suite.js';

const [firstArg = '1', lastArg = '1000', ...names] = process.argv.slice(2);
const first = Number(firstArg);
const last = Number(lastArg);
const property = nvgraceGpuSuite.properties[0];
if (property === undefined) throw new Error('no property');
for (const m of nvgraceGpuSuite.mutants) {
  if (names.length > 0 && !names.includes(m.name)) continue;
  const target = mutantTarget(nvgraceGpuSuite, m.name);
  if (target === undefined) continue;
  const runs: number[] = [];
  const missed: number[] = [];
  for (let seed = first; seed <= last; seed++) {
    const outcome = await search(nvgraceGpuSuite, property, target, { seed, runs: 50 * property.numRuns, invariants: [m.breaks] });
    if (outcome.failure === undefined) missed.push(seed);
    else runs.push(outcome.runsDone);
  }
  runs.sort((a, b) => a - b);
  const over = runs.filter((r) => r > property.numRuns).length;
  console.log(
    `${m.name} (${target.version}): median ${runs[Math.floor(runs.length / 2)]} runs, worst ${runs[runs.length - 1]}; ` +
      `${over} of ${last - first + 1} seeds over the budget of ${property.numRuns}${missed.length > 0 ? `; not caught: ${missed.join(' ')}` : ''}`,
  );
}
