import { describe, expect, it } from 'vitest';
import { statusOf } from '../../model/common/result.js';
import type { Operation } from '../../model/common/values.js';
import { xenPrimitivesSpec, XenPrimitivesModel, type XenState } from '../../model/xen-primitives/index.js';
import { execute } from '../harness/interpreter.js';
import { defineSuiteTests } from '../harness/vitest-suite.js';
import { xenPrimitivesSuite } from './suite.js';

defineSuiteTests(xenPrimitivesSuite);

const op = (name: string, args: Operation['args'] = {}): Operation => ({
  op: name,
  args: ['map', 'remap', 'steal'].includes(name) && !('faults' in args) ? { ...args, faults: [] } : args,
});

/** Runs the operations on the specification, checks every invariant, and returns each status and the final state. */
function run(ops: Operation[]): { status: string[]; state: XenState } {
  const checked = execute(xenPrimitivesSpec, new XenPrimitivesModel(), ops);
  expect(checked.violation, checked.violation?.message).toBeUndefined();
  const status = checked.steps.map(({ result: r }) => (r === undefined ? 'skipped' : r.ok && r.value !== undefined ? String(r.value) : statusOf(r)));
  return { status, state: checked.state };
}

describe('xen-primitives: the thread, case by case', () => {
  it('Revoke is transitive: everything re-mapped from the frontend faults to the backend afterwards', () => {
    const { status, state } = run([
      op('map', { page: 0, into: 1 }),
      op('remap', { page: 0, from: 1, into: 2 }),
      op('remap', { page: 0, from: 2, into: 3 }),
      op('revoke', { page: 0, frontend: 1 }),
      op('access', { page: 0, domain: 1, write: true }),
      op('access', { page: 0, domain: 2, write: false }),
      op('access', { page: 0, domain: 3, write: true }),
    ]);
    expect(status).toEqual(['OK', 'OK', 'OK', '3', 'ioreq-fault to d0', 'ioreq-fault to d0', 'ioreq-fault to d0']);
    expect(state.mappings).toEqual([]);
    expect(state.domains[0]?.ioreqFaults).toBe(3);
  });

  it('Revoke of a middle link keeps the links above it', () => {
    const { status } = run([
      op('map', { page: 2, into: 1 }),
      op('remap', { page: 2, from: 1, into: 2 }),
      op('remap', { page: 2, from: 2, into: 3 }),
      op('revoke', { page: 2, frontend: 2 }),
      op('access', { page: 2, domain: 1, write: true }),
      op('access', { page: 2, domain: 3, write: true }),
    ]);
    expect(status).toEqual(['OK', 'OK', 'OK', '2', 'written', 'ioreq-fault to d0']);
  });

  it('Revoke succeeds in every state: in a hypercall, granted, twice, never mapped, after Return', () => {
    const { status } = run([
      op('map', { page: 0, into: 1 }),
      op('beginHypercall', { page: 0, domain: 0 }),
      op('grant', { page: 0, granter: 0, grantee: 2 }),
      op('revoke', { page: 0, frontend: 1 }),
      op('revoke', { page: 0, frontend: 1 }),
      op('revoke', { page: 1, frontend: 3 }),
      op('revoke', { page: 0, frontend: 0 }),
      op('steal', { page: 3, from: 1 }),
      op('return', { page: 3, to: 1 }),
      op('revoke', { page: 3, frontend: 1 }),
      op('access', { page: 3, domain: 1, write: true }),
    ]);
    expect(status).toEqual(['OK', 'OK', 'OK', '1', '0', '0', '0', 'OK', 'OK', '0', 'written']);
  });

  it('a mapped buffer fails in hypercalls and grants exactly as a page the frontend does not have', () => {
    const { status } = run([
      op('map', { page: 0, into: 1 }),
      op('beginHypercall', { page: 0, domain: 1 }),
      op('beginHypercall', { page: 1, domain: 1 }),
      op('grant', { page: 0, granter: 1, grantee: 2 }),
      op('grant', { page: 1, granter: 1, grantee: 2 }),
      op('access', { page: 0, domain: 1, write: true }),
    ]);
    expect(status).toEqual(['OK', '-EFAULT', '-EFAULT', '-EFAULT', '-EFAULT', 'written']);
  });

  it('Steal is refused for each case the thread lists, with its own code', () => {
    const { status } = run([
      op('grant', { page: 3, granter: 1, grantee: 2 }),
      op('steal', { page: 3, from: 1 }),
      op('ungrant', { slot: 0 }),
      op('foreignMap', { page: 3, by: 0 }),
      op('steal', { page: 3, from: 1 }),
      op('foreignUnmap', { slot: 0 }),
      op('beginHypercall', { page: 3, domain: 1 }),
      op('steal', { page: 3, from: 1 }),
      op('endHypercall', { slot: 0 }),
      op('steal', { page: 5, from: 1 }),
      op('map', { page: 0, into: 1 }),
      op('steal', { page: 0, from: 1 }),
      op('steal', { page: 6, from: 1 }),
      op('steal', { page: 0, from: 0 }),
      op('steal', { page: 3, from: 1 }),
    ]);
    expect(status).toEqual(['OK', '-EBUSY', 'OK', 'OK', '-EBUSY', 'OK', 'OK', '-EBUSY', 'OK', '-EINVAL', 'OK', '-EPERM', '-EPERM', '-EINVAL', 'OK']);
  });

  it('Steal and Return move exactly one page of quota each way; after Return the backend has no hold on the page', () => {
    const { status, state } = run([
      op('steal', { page: 3, from: 1 }),
      op('map', { page: 3, into: 2 }),
      op('return', { page: 3, to: 1 }),
      op('revoke', { page: 3, frontend: 2 }),
      op('return', { page: 3, to: 1 }),
      op('map', { page: 3, into: 2 }),
      op('revoke', { page: 3, frontend: 1 }),
      op('access', { page: 3, domain: 1, write: false }),
      op('access', { page: 3, domain: 2, write: false }),
    ]);
    expect(status).toEqual(['OK', 'OK', '-EBUSY', '1', 'OK', '-EPERM', '0', 'read', '-EFAULT']);
    expect(state.domains.map((d) => [d.totPages, d.quota])).toEqual([
      [2, 2],
      [2, 2],
      [1, 1],
      [1, 1],
    ]);
    expect(state.pages[3]?.owner).toBe(1);
  });

  it('a failed p2m update during Steal leaves page, quota and mappings as they were', () => {
    const { status, state } = run([op('steal', { page: 3, from: 1, faults: [0] })]);
    expect(status).toEqual(['-ENOMEM']);
    expect(state).toEqual(xenPrimitivesSpec.createModel().initialState());
  });
  it('a page granted to two domains stays busy when one grant ends; each slot operation ends exactly its entry', () => {
    const { status, state } = run([
      op('grant', { page: 3, granter: 1, grantee: 2 }),
      op('grant', { page: 3, granter: 1, grantee: 3 }),
      op('ungrant', { slot: 4 }),
      op('steal', { page: 3, from: 1 }),
      op('access', { page: 3, domain: 3, write: false }),
      op('access', { page: 3, domain: 2, write: false }),
      op('foreignMap', { page: 4, by: 0 }),
      op('foreignMap', { page: 4, by: 0 }),
      op('foreignUnmap', { slot: 1 }),
      op('steal', { page: 4, from: 1 }),
      op('beginHypercall', { page: 6, domain: 2 }),
      op('beginHypercall', { page: 6, domain: 2 }),
      op('endHypercall', { slot: 3 }),
      op('steal', { page: 6, from: 2 }),
    ]);
    expect(status).toEqual(['OK', 'OK', 'OK', '-EBUSY', 'read', '-EFAULT', 'OK', 'OK', 'OK', '-EBUSY', 'OK', 'OK', 'OK', '-EBUSY']);
    expect(state.grants).toEqual([{ page: 3, granter: 1, grantee: 3 }]);
    expect(state.foreignMappings).toEqual([{ page: 4, by: 0 }]);
    expect(state.hypercalls).toEqual([{ page: 6, domain: 2 }]);
  });

  it('ending a grant, a foreign mapping or a hypercall when there is none is skipped, not applied', () => {
    const { status, state } = run([op('ungrant', { slot: 0 }), op('foreignUnmap', { slot: 1 }), op('endHypercall', { slot: 2 })]);
    expect(status).toEqual(['skipped', 'skipped', 'skipped']);
    expect(state).toEqual(xenPrimitivesSpec.createModel().initialState());
  });

  it('Map, re-map, Return, grant and foreign map refuse with the code of their case', () => {
    const { status } = run([
      op('map', { page: 0, into: 0 }),
      op('map', { page: 3, into: 2 }),
      op('map', { page: 0, into: 1, faults: [0] }),
      op('map', { page: 0, into: 1 }),
      op('map', { page: 0, into: 1 }),
      op('remap', { page: 0, from: 0, into: 2 }),
      op('remap', { page: 0, from: 1, into: 1 }),
      op('remap', { page: 0, from: 2, into: 3 }),
      op('remap', { page: 0, from: 1, into: 2, faults: [0] }),
      op('map', { page: 0, into: 2 }),
      op('remap', { page: 0, from: 1, into: 2 }),
      op('return', { page: 1, to: 0 }),
      op('return', { page: 3, to: 2 }),
      op('return', { page: 2, to: 1 }),
      op('return', { page: 0, to: 1 }),
      op('grant', { page: 3, granter: 1, grantee: 1 }),
      op('grant', { page: 5, granter: 1, grantee: 2 }),
      op('beginHypercall', { page: 5, domain: 1 }),
      op('foreignMap', { page: 3, by: 2 }),
      op('foreignMap', { page: 0, by: 0 }),
      op('foreignMap', { page: 5, by: 0 }),
      op('foreignMap', { page: 3, by: 0 }),
      op('return', { page: 1, to: 2 }),
    ]);
    expect(status).toEqual([
      '-EINVAL', '-EPERM', '-ENOMEM', 'OK', '-EEXIST',
      '-EINVAL', '-EINVAL', '-EPERM', '-ENOMEM', 'OK', '-EEXIST',
      '-EINVAL', '-EPERM', '-EINVAL', '-EBUSY',
      '-EINVAL', '-EFAULT', '-EFAULT',
      '-EPERM', '-EINVAL', '-EFAULT', 'OK', 'OK',
    ]);
  });

  it('Revoke, Map and Return leave other pages and other domains alone', () => {
    const { status, state } = run([
      op('map', { page: 0, into: 1 }),
      op('map', { page: 0, into: 2 }),
      op('map', { page: 1, into: 1 }),
      op('revoke', { page: 1, frontend: 1 }),
      op('revoke', { page: 0, frontend: 1 }),
      op('access', { page: 0, domain: 2, write: true }),
      op('map', { page: 0, into: 3 }),
      op('access', { page: 1, domain: 1, write: false }),
      op('return', { page: 2, to: 1 }),
      op('steal', { page: 6, from: 2 }),
      op('revoke', { page: 6, frontend: 2 }),
      op('return', { page: 6, to: 2 }),
      op('access', { page: 0, domain: 1, write: false }),
    ]);
    expect(status).toEqual(['OK', 'OK', 'OK', '1', '1', 'written', 'OK', 'ioreq-fault to d0', '-EINVAL', 'OK', '1', 'OK', 'ioreq-fault to d0']);
    expect(state.faultRoutes).toEqual([
      { page: 1, domain: 1, server: 0 },
      { page: 0, domain: 1, server: 0 },
    ]);
  });
});
