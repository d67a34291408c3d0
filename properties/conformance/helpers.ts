// Shared by the conformance tests: building the C examples, opening implementations, and one search.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Operation } from '../../model/common/values.js';
import { conformanceTarget, type ConformanceTarget } from '../harness/conformance-target.js';
import type { Implementation } from '../harness/implementation.js';
import { execute, type Execution } from '../harness/interpreter.js';
import { ProcessImplementation } from '../harness/process-adapter.js';
import { findSuite } from '../harness/registry.js';
import { search, type SearchOutcome } from '../harness/search.js';
import { type PropertyDef, selectInvariants } from '../harness/suite.js';

export const ROOT = join(import.meta.dirname, '..', '..');
export const EXAMPLES = join(ROOT, 'examples');
export const BUILD = join(EXAMPLES, 'build');
export const FAKES = join(EXAMPLES, 'fakes');

/** Builds the named examples with the sanitizers (a no-op when up to date); returns their paths. */
export function buildExamples(...names: string[]): string[] {
  execFileSync(join(EXAMPLES, 'build.sh'), names, { stdio: ['ignore', 'ignore', 'inherit'] });
  return names.map((n) => join(BUILD, n));
}

export interface Conformance {
  readonly impl: Implementation;
  readonly target: ConformanceTarget;
  readonly property: PropertyDef;
}

/** Whether a process runs (a zombie waiting for its parent to collect it does not). */
export function isRunning(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return false;
  }
}

export function conformance(subsystem: string, command: string, timeoutMs = 5000): Conformance {
  const suite = findSuite(subsystem);
  if (suite === undefined) throw new Error(`no subsystem ${subsystem}`);
  const impl = new ProcessImplementation(command, { timeoutMs });
  const target = conformanceTarget(suite, impl, command.split('/').pop() ?? command);
  return { impl, target, property: target.suite.properties[0] as PropertyDef };
}

export function conformanceOf(subsystem: string, impl: Implementation, name: string): Conformance {
  const suite = findSuite(subsystem);
  if (suite === undefined) throw new Error(`no subsystem ${subsystem}`);
  const target = conformanceTarget(suite, impl, name);
  return { impl, target, property: target.suite.properties[0] as PropertyDef };
}

export function searchOn(c: Conformance, seed: number, runs: number, invariants?: readonly string[], property = c.property): Promise<SearchOutcome> {
  return search(c.target.suite, property, c.target, { seed, runs, ...(invariants ? { invariants } : {}) });
}

export function run(c: Conformance, operations: readonly Operation[], invariants?: readonly string[]): Execution {
  return execute(c.target.suite.spec, c.target.createModel(), operations, { trace: true, invariants: selectInvariants(c.target.suite, c.property, invariants) });
}

/** No single operation of the case can go and still leave a violation of the same invariant. */
export function isOneMinimal(c: Conformance, operations: readonly Operation[], invariant: string): boolean {
  return operations.every((_, i) => {
    const without = operations.filter((__, j) => j !== i);
    return run(c, without, [invariant]).violation === undefined;
  });
}
