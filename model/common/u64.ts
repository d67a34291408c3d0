// Unsigned 64-bit arithmetic on bigint, as the kernel does it on u64 / loff_t / size_t.
// Every helper keeps its result in [0, 2^64) and says explicitly when the kernel's arithmetic would wrap.

export const U64_MAX = (1n << 64n) - 1n;
export const U32_MAX = (1n << 32n) - 1n;

export function isU64(x: bigint): boolean {
  return x >= 0n && x <= U64_MAX;
}

/** Wraps like C unsigned addition (mod 2^64). */
export function wrapU64(x: bigint): bigint {
  return BigInt.asUintN(64, x);
}

/** a + b, or undefined where the kernel's check_add_overflow() would report an overflow. */
export function checkedAdd(a: bigint, b: bigint): bigint | undefined {
  const sum = a + b;
  return sum > U64_MAX ? undefined : sum;
}

/** Rounds x up to a multiple of align (a power of two), as ALIGN()/round_up() do; may wrap like the macro. */
export function alignUp(x: bigint, align: bigint): bigint {
  return wrapU64((x + align - 1n) & ~(align - 1n));
}

export function alignDown(x: bigint, align: bigint): bigint {
  return x & ~(align - 1n);
}

export function isAligned(x: bigint, align: bigint): boolean {
  return (x & (align - 1n)) === 0n;
}

export function isPowerOfTwo(x: bigint): boolean {
  return x > 0n && (x & (x - 1n)) === 0n;
}

/** The smallest power of two >= x, as roundup_pow_of_two(); x must be in [1, 2^63]. */
export function roundUpPowerOfTwo(x: bigint): bigint {
  if (x <= 1n) return 1n;
  return 1n << BigInt((x - 1n).toString(2).length);
}

export function hex(x: bigint): string {
  return '0x' + x.toString(16);
}
