// The seed of a test run: GPUMEM_SEED if set (a number, or "random"), else a fixed default so that the gate
// is reproducible. Every run prints the seed it used.
export const DEFAULT_SEED = 20261123;

export function seedFromEnvironment(): number {
  const raw = process.env['GPUMEM_SEED'];
  if (raw === undefined || raw === '') return DEFAULT_SEED;
  if (raw === 'random') return (Math.random() * 0x7fffffff) | 0;
  const n = Number(raw);
  if (!Number.isSafeInteger(n)) throw new Error(`GPUMEM_SEED must be an integer or "random", not ${JSON.stringify(raw)}`);
  return n | 0;
}
