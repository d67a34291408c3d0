// What makes a green run worth trusting, checked for every subsystem in the registry (new ones included without
// any change here): each property's labelled cases occur in at least their declared share of the generated
// cases; `snapshot` is an exact copy of the state, and the next step leaves it as it was (so an invariant
// comparing before and after compares two real states); and every state a case reaches can be described for
// a trace.

import { describe, expect, it } from 'vitest';
import type { Invariant, Step } from '../../model/common/spec.js';
import { execute } from './interpreter.js';
import { generatedCases, labelStatistics } from './labels.js';
import { suites } from './registry.js';
import { seedFromEnvironment } from './seed.js';

/** Cases per property for the snapshot and trace checks (they look at every state of every step). */
const STATE_CASES = 60;

/**
 * The path of the first object reachable from both `a` and `b` (the same object, not an equal one), or
 * undefined: a diagnosis when a step changed a snapshot (sharing what is never changed is harmless).
 */
function sharedObject(a: unknown, b: unknown, path = 'state', seen = new Set<object>()): string | undefined {
  if (a === null || b === null || typeof a !== 'object' || typeof b !== 'object') return undefined;
  if (a === b) return Object.isFrozen(a) ? undefined : path;
  if (seen.has(a)) return undefined;
  seen.add(a);
  if (a instanceof Map && b instanceof Map) {
    for (const [k, v] of a) {
      const found = sharedObject(v, b.get(k), `${path}.get(${String(k)})`, seen);
      if (found !== undefined) return found;
    }
    return undefined;
  }
  if (a instanceof Set && b instanceof Set) return undefined; // members are compared by toEqual; sets of objects do not occur
  for (const key of Object.keys(a)) {
    const found = sharedObject((a as Record<string, unknown>)[key], (b as Record<string, unknown>)[key], `${path}.${key}`, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function equal(a: unknown, b: unknown): boolean {
  try {
    expect(a).toEqual(b);
    return true;
  } catch {
    return false;
  }
}

const seed = seedFromEnvironment();

describe(`adequacy (seed ${seed})`, () => {
  for (const suite of suites) {
    const name = suite.spec.name;
    for (const property of suite.properties) {
      const labels = property.labels ?? [];
      if (labels.length > 0) {
        it(`${name}/${property.name}: labelled cases occur often enough`, () => {
          expect(new Set(labels.map((l) => l.name)).size, 'label names are unique').toBe(labels.length);
          for (const l of labels) expect(l.minShare > 0 && l.minShare <= 1, `${l.name}: minShare in (0, 1]`).toBe(true);
          const stats = labelStatistics(suite, property, seed, property.numRuns);
          const low = stats.labels.filter((l) => !l.ok).map((l) => `${l.name}: ${l.cases}/${stats.cases} cases, below ${l.minShare}`);
          expect(low, `labels too rare in ${stats.cases} cases of seed ${seed}`).toEqual([]);
        });
      }

      it(`${name}/${property.name}: snapshots are exact, independent copies and every state can be described`, () => {
        const problems: string[] = [];
        // A deep copy of the previous step's state, made when it was reached (undefined when the state holds
        // something structuredClone cannot copy, such as a function: then independence is not checked).
        let previousCopy: unknown;
        const probe: Invariant<unknown> = {
          name: 'probe',
          source: '',
          check: ({ before, after, op }: Step<unknown>) => {
            // `before` was taken before this step ran; the step must not have reached into it.
            if (previousCopy !== undefined && !equal(before, previousCopy)) {
              const shared = sharedObject(before, after);
              problems.push(`${op.op} changed the snapshot taken before it` + (shared === undefined ? '' : ` (it shares ${shared} with the live state)`));
            }
            const copy = suite.spec.snapshot(after);
            if (!equal(copy, after)) problems.push(`after ${op.op}: the snapshot differs from the state`);
            try {
              previousCopy = structuredClone(copy);
            } catch {
              previousCopy = undefined;
            }
            const text = suite.spec.describe(after);
            if (typeof text !== 'string' || text.trim() === '') problems.push(`after ${op.op}: describe() gave ${JSON.stringify(text)}`);
            return problems.length > 0 ? 'stop' : undefined;
          },
        };
        for (const operations of generatedCases(property, seed, Math.min(STATE_CASES, property.numRuns))) {
          previousCopy = undefined;
          const run = execute(suite.spec, suite.spec.createModel(), operations, { invariants: [probe] });
          if (run.violation !== undefined && run.violation.invariant !== 'probe') problems.push(`${run.violation.invariant}: ${run.violation.message}`);
          if (problems.length > 0) break;
        }
        expect(problems).toEqual([]);
      });
    }
  }
});
