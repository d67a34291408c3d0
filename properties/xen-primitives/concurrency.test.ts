// Hand-written schedules of Revoke under concurrency: a store may complete while the Revoke that takes the page
// away is still running, never after it returned; and the two-step Revoke loses both to a page walk and to a re-map.
import { describe, expect, it } from 'vitest';
import type { Operation } from '../../model/common/values.js';
import { xenPrimitivesSpec } from '../../model/xen-primitives/index.js';
import { execute } from '../harness/interpreter.js';
import { RevokeChecksThenUnmaps } from './concurrency.js';

const op = (name: string, args: Operation['args'] = {}): Operation => ({ op: name, args });
const map = op('map', { page: 0, into: 1, faults: [] });
const revoke = op('startRevoke', { thread: 0, page: 0, frontend: 1 });
const store = op('startAccess', { thread: 1, page: 0, domain: 1, write: true });
const step = (thread: number) => op('step', { thread });

function results(ops: Operation[], model = xenPrimitivesSpec.createModel()): string[] {
  const run = execute(xenPrimitivesSpec, model, ops, { trace: true });
  expect(run.violation, run.violation?.message).toBeUndefined();
  return run.steps.map((s) => {
    const v = s.result?.ok ? (s.result.value as { returned?: string } | undefined) : undefined;
    return typeof v === 'object' && v !== null && 'returned' in v ? String(v.returned) : '';
  });
}

describe('Revoke under concurrency', () => {
  it('a store whose page walk came first completes inside the Revoke window', () => {
    const r = results([map, store, revoke, step(0), step(1), step(0)]);
    expect(r[4]).toBe('access returned OK "written"');
    expect(r[5]).toBe('revoke returned OK 1');
  });

  it('after the shoot-down the same store traps and faults to the backend', () => {
    const r = results([map, store, revoke, step(0), step(0), step(1)]);
    expect(r[5]).toBe('access returned OK "ioreq-fault to d0"');
  });

  it('Revoke does not wait for a hypercall that holds the page', () => {
    const r = results([op('beginHypercall', { page: 0, domain: 0 }), map, revoke, step(0), step(0)]);
    expect(r[4]).toBe('revoke returned OK 1');
  });

  it('the two-step Revoke also lets a page walk between its steps keep a TLB entry', () => {
    const walkInBetween = [map, revoke, step(0), store, step(0), step(1)];
    const run = execute(xenPrimitivesSpec, new RevokeChecksThenUnmaps(), walkInBetween);
    expect(run.violation?.invariant).toBe('noAccessThroughRevokedTranslation');
    const remapInBetween = [map, revoke, step(0), op('remap', { page: 0, from: 1, into: 2, faults: [] }), step(0)];
    // The re-mapped domain keeps a mapping whose parent is gone: the tree from the backend is broken, and no
    // sequential order of the Revoke and the re-map gives these results.
    expect(execute(xenPrimitivesSpec, new RevokeChecksThenUnmaps(), remapInBetween).violation?.invariant).toBe('mappingsFormATreeFromTheBackend');
    const linearizable = xenPrimitivesSpec.invariants.filter((i) => i.name === 'primitivesAreLinearizable');
    expect(execute(xenPrimitivesSpec, new RevokeChecksThenUnmaps(), remapInBetween, { invariants: linearizable }).violation?.step).toBe(4);
    expect(execute(xenPrimitivesSpec, xenPrimitivesSpec.createModel(), walkInBetween).violation).toBeUndefined();
    expect(execute(xenPrimitivesSpec, xenPrimitivesSpec.createModel(), remapInBetween).violation).toBeUndefined();
  });
});
