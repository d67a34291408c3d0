// What an operation returns: success with an optional value, or the kernel's error code by name.
// A refused request is a result, never an exception: an exception thrown by the model is itself a bug.

import { formatValue, type Value } from './values.js';

export type Result =
  | { readonly ok: true; readonly value?: Value }
  | { readonly ok: false; readonly error: string };

export function ok(value?: Value): Result {
  return value === undefined ? { ok: true } : { ok: true, value };
}

export function fail(error: string): Result {
  return { ok: false, error };
}

/** The status a kernel engineer would print: the value on success, the error code otherwise. */
export function statusOf(result: Result): string {
  return result.ok ? 'OK' : result.error;
}

/** A result as traces, timelines, task tables and conformance messages show it: `OK 0x1000`, `OK`, `-ENOMEM`. */
export function formatResult(result: Result): string {
  return statusOf(result) + (result.ok && result.value !== undefined ? ` ${formatValue(result.value)}` : '');
}
