// The seed of a test run: GPUMEM_SEED if set (a number, or "random"), else a fixed default so that the gate
// is reproducible. Every run prints the seed it used (seed-setup.ts, once per run, before the tests).
export const DEFAULT_SEED = 20261123;

/** Seeds are 32-bit signed integers, the range of fast-check's seeds: a larger one would silently wrap around. */
export const SEED_RANGE = { min: -0x80000000, max: 0x7fffffff } as const;

export function seedFromEnvironment(): number {
  const raw = process.env['GPUMEM_SEED'];
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  if (raw === 'random') return (Math.random() * 0x7fffffff) | 0;
  const n = Number(raw);
  const shown = raw.length > 60 ? `${JSON.stringify(raw.slice(0, 60))}… (${raw.length} characters)` : JSON.stringify(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < SEED_RANGE.min || n > SEED_RANGE.max)
    throw new Error(`GPUMEM_SEED must be "random" or a whole number from ${SEED_RANGE.min} to ${SEED_RANGE.max}, not ${shown}`);
  return n;
}
