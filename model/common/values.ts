// The values that operation arguments and results are made of. 64-bit quantities are bigint in memory
// and hexadecimal strings on disk, so a saved case is readable and exact.

export type Value = bigint | number | boolean | string | null | readonly Value[] | { readonly [key: string]: Value };

export type Args = { readonly [name: string]: Value };

/** One step of a test case: an operation by name and its named arguments. Operations are data. */
export interface Operation {
  readonly op: string;
  readonly args: Args;
}

/** Renders a value the way traces and saved files show it: bigint as 0x-hex. */
export function toJson(value: Value): unknown {
  if (typeof value === 'bigint') return '0x' + value.toString(16);
  if (Array.isArray(value)) return value.map((v) => toJson(v as Value));
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    // defineProperty: a key named "__proto__" stays an ordinary field (an assignment would set the prototype).
    for (const [k, v] of Object.entries(value)) Object.defineProperty(out, k, { value: toJson(v as Value), enumerable: true, writable: true, configurable: true });
    return out;
  }
  return value;
}

export function formatValue(value: Value): string {
  return JSON.stringify(toJson(value));
}

export function formatArgs(args: Args): string {
  const parts = Object.entries(args).map(([k, v]) => `${k}=${formatValue(v)}`);
  return parts.length === 0 ? '' : parts.join(' ');
}
