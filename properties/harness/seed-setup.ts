// Vitest global setup: fixes the seed of the whole run once and prints it once, in the default reporter's output
// (which shows test-group names, and so the seed in them, only for failing or slow tests). GPUMEM_SEED=random is
// drawn here and handed to every test file through the environment, so that all of them search from the same
// seed and the line printed repeats the run.
import { seedFromEnvironment } from './seed.js';

/** Resolves the run's seed into GPUMEM_SEED and writes the line that names it. */
export function announceSeed(write: (line: string) => void): number {
  const seed = seedFromEnvironment();
  process.env['GPUMEM_SEED'] = String(seed);
  write(`gpumem-spec: seed ${seed} (GPUMEM_SEED=${seed} repeats this run)\n`);
  return seed;
}

export default function setup(): void {
  announceSeed((line) => process.stdout.write(line));
}
