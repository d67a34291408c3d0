// Opening an implementation from the command line: `module:<path>` is a TypeScript or JavaScript module, anything
// else a shell command started as a child process speaking the JSON-lines protocol (docs/conformance.md).

import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type Implementation, type OpenOptions, timed } from './implementation.js';
import { ProcessImplementation } from './process-adapter.js';

/** A name for an implementation from its command: the program's file name without extension. */
export function implementationName(command: string): string {
  const moduleMatch = /^module:(.*)$/.exec(command.trim());
  const words = (moduleMatch ? (moduleMatch[1] ?? '') : command).trim().split(/\s+/).filter((w) => w.length > 0 && !w.startsWith('-') && !/^[A-Z_][A-Z0-9_]*=/.test(w));
  const runners = ['node', 'tsx', 'npx', 'sh', 'bash', 'exec', 'env', 'python3', 'valgrind', 'timeout'];
  const program = words.find((w) => w.includes('/')) ?? words.find((w) => !runners.includes(w)) ?? 'impl';
  const base = program.split('/').pop() ?? program;
  return base.replace(/\.[a-z]+$/i, '').replace(/[^A-Za-z0-9._-]/g, '_') || 'impl';
}

/**
 * `module:<path>` imports a TypeScript or JavaScript module exporting `createImplementation(subsystem)`
 * (or a default export of that function); anything else is a shell command started as a child process.
 */
export async function openImplementation(spec: string, subsystem: string, options: OpenOptions = {}): Promise<Implementation> {
  const moduleMatch = /^module:(.+)$/.exec(spec.trim());
  if (moduleMatch) {
    const url = pathToFileURL(resolve(options.cwd ?? process.cwd(), (moduleMatch[1] ?? '').trim())).href;
    const mod = (await import(url)) as { createImplementation?: (s: string) => Implementation; default?: (s: string) => Implementation };
    const create = mod.createImplementation ?? mod.default;
    if (typeof create !== 'function') throw new Error(`${moduleMatch[1]} exports no createImplementation(subsystem) function`);
    return timed(create(subsystem));
  }
  return new ProcessImplementation(spec, options);
}
