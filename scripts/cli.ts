// Shared pieces of the command-line front ends: usage errors (exit 2) and name resolution with the valid
// names listed, so a typo never silently runs nothing.

import { suites } from '../properties/harness/registry.js';
import type { AnySuite, PropertyDef } from '../properties/harness/suite.js';

export const EXIT = { ok: 0, violation: 1, usage: 2, interrupted: 130 } as const;

export class UsageError extends Error {}

export function usageError(message: string): never {
  throw new UsageError(message);
}

export function resolveSuite(name: string): AnySuite {
  const suite = suites.find((s) => s.spec.name === name);
  return suite ?? usageError(`unknown subsystem "${name}"; valid: ${suites.map((s) => s.spec.name).join(', ')}`);
}

export function resolveProperty(suite: AnySuite, name: string): PropertyDef {
  const property = suite.properties.find((p) => p.name === name);
  return property ?? usageError(`unknown property "${name}" of ${suite.spec.name}; valid: ${suite.properties.map((p) => p.name).join(', ')}`);
}

export function parseInteger(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < min) usageError(`--${flag} takes a whole number >= ${min}, not "${raw}"`);
  return n;
}

/** Runs a command's main, mapping usage errors to exit 2 and anything unexpected to a report and exit 2. */
export async function main(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${(error as Error).message}\n(see --help)\n`);
      process.exitCode = EXIT.usage;
    } else {
      process.stderr.write(`internal error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = EXIT.usage;
    }
  }
}
