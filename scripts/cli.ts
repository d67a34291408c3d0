// Shared pieces of the command-line front ends: usage errors (exit 2) and name resolution with the valid
// names listed, so a typo never silently runs nothing.

import { accessSync, constants, existsSync, mkdirSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { suites } from '../properties/harness/registry.js';
import type { AnySuite, PropertyDef } from '../properties/harness/suite.js';

export const EXIT = { ok: 0, violation: 1, usage: 2, interrupted: 130 } as const;

export class UsageError extends Error {}

export function usageError(message: string): never {
  throw new UsageError(message);
}

/** The longest part of a user's argument echoed in a message; the rest is counted, not printed. */
export const ECHO_LIMIT = 60;

/** A user's value as a message shows it: quoted, and cut to ECHO_LIMIT characters (with the length of the whole). */
export function quoted(raw: string): string {
  if (raw.length <= ECHO_LIMIT) return JSON.stringify(raw);
  return `${JSON.stringify(raw.slice(0, ECHO_LIMIT))}… (${raw.length} characters)`;
}

/** Cuts every overlong word of a message (an option name echoed by the argument parser, say). */
export function clipWords(message: string): string {
  return message.replace(/\S{100,}/g, (word) => `${word.slice(0, ECHO_LIMIT)}… (${word.length} characters)`);
}

export function resolveSuite(name: string): AnySuite {
  const suite = suites.find((s) => s.spec.name === name);
  return suite ?? usageError(`unknown subsystem ${quoted(name)}; valid: ${suites.map((s) => s.spec.name).join(', ')}`);
}

export function resolveProperty(suite: AnySuite, name: string): PropertyDef {
  const property = suite.properties.find((p) => p.name === name);
  return property ?? usageError(`unknown property ${quoted(name)} of ${suite.spec.name}; valid: ${suite.properties.map((p) => p.name).join(', ')}`);
}

export function parseInteger(flag: string, raw: string | undefined, min: number): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < min) usageError(`--${flag} takes a whole number >= ${min}, not ${quoted(raw)}`);
  return n;
}

/** Seeds are 32-bit signed integers (fast-check's and the batch seeds' range): a larger one would silently wrap. */
export const SEED_MIN = -0x80000000;
export const SEED_MAX = 0x7fffffff;

export function parseSeed(flag: string, raw: string | undefined): number | undefined {
  if (raw === undefined) return undefined;
  const n = Number(raw);
  if (raw.trim() === '' || !Number.isSafeInteger(n) || n < SEED_MIN || n > SEED_MAX)
    usageError(`--${flag} takes a whole number from ${SEED_MIN} to ${SEED_MAX}, not ${quoted(raw)}`);
  return n;
}

/**
 * Worker threads: at least one, at most one per core (each worker holds its own copy of the registry, about
 * 25 MB, and more workers than cores only share the same cores). A larger request is capped, with a note.
 */
export function parseWorkers(raw: string | undefined, cores = availableParallelism()): { workers: number; note?: string } {
  const asked = parseInteger('workers', raw, 1);
  if (asked === undefined) return { workers: cores };
  if (asked > cores) return { workers: cores, note: `--workers ${asked} is more than the ${cores} core${cores === 1 ? '' : 's'} of this machine; using ${cores}` };
  return { workers: asked };
}

/**
 * Checks, before any search, that counterexamples can be written under `dir`: creates it if missing and writes
 * and removes a probe file. A regular file, an unwritable folder or any other failure is a usage error.
 */
export function checkOutDir(dir: string): void {
  const flag = `--out ${quoted(dir)}`;
  if (dir === '') usageError('--out needs a folder');
  try {
    if (!statSync(dir).isDirectory()) usageError(`${flag} is not a folder`);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT') usageError(`${flag} cannot be used (${code ?? (error as Error).message})`);
    try {
      makeFolders(dir);
    } catch (made) {
      usageError(`${flag} cannot be created (${(made as NodeJS.ErrnoException).code ?? (made as Error).message})`);
    }
  }
  const probe = join(dir, `.gpumem-spec-probe-${process.pid}.tmp`);
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    writeFileSync(probe, '', { flag: 'wx' });
    unlinkSync(probe);
  } catch (error) {
    usageError(`${flag} is not writable (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`);
  }
}

/**
 * `mkdir -p`, one level at a time: Node's recursive mkdirSync never returns for some paths (under /proc, say,
 * where every level reports ENOENT).
 */
function makeFolders(dir: string): void {
  const missing: string[] = [];
  for (let p = resolve(dir); !existsSync(p); p = dirname(p)) {
    missing.unshift(p);
    if (dirname(p) === p) break;
  }
  for (const p of missing) mkdirSync(p);
}

export { shellWord } from '../properties/harness/replay-command.js';

/** --shard I/N as the search takes it (0-based index). */
export function parseShard(raw: string | undefined): { index: number; count: number } | undefined {
  if (raw === undefined) return undefined;
  const m = /^(\d+)\/(\d+)$/.exec(raw);
  const [i, n] = m ? [Number(m[1]), Number(m[2])] : [NaN, NaN];
  if (!(Number.isSafeInteger(i) && Number.isSafeInteger(n) && i >= 1 && i <= n)) usageError(`--shard takes I/N with 1 <= I <= N, not ${quoted(raw)}`);
  return { index: i - 1, count: n };
}

/** A comma-separated list of names (--invariants A,B), or undefined. */
export function parseList(raw: string | undefined): string[] | undefined {
  return raw?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
}

/** Runs a command's main, mapping usage errors to exit 2 and anything unexpected to a report and exit 2. */
export async function main(run: () => Promise<number>): Promise<void> {
  try {
    process.exitCode = await run();
  } catch (error) {
    if (error instanceof UsageError || (error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      process.stderr.write(`error: ${clipWords((error as Error).message)}\n(see --help)\n`);
      process.exitCode = EXIT.usage;
    } else {
      process.stderr.write(`internal error: ${(error as Error).stack ?? String(error)}\n`);
      process.exitCode = EXIT.usage;
    }
  }
}
