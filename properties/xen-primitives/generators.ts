// Operation lists for the Xen primitives, biased toward the states the thread worries about: a backend buffer
// mapped and re-mapped several domains deep, revoked (once or twice) while a hypercall holds it or a grant is
// out, a frontend page granted, foreign-mapped or in a hypercall when Steal comes, and Return followed by the
// backend's attempts to Map or Revoke again. Indices are taken modulo the domains and pages by the model.

import fc from 'fast-check';
import { operationsOf } from '../../model/common/schema.js';
import { xenSignatures } from '../../model/xen-primitives/operations.js';
import type { Operation } from '../../model/common/values.js';
import { BACKEND, PAGE_LAYOUT } from '../../model/xen-primitives/state.js';

/** Pages the backend acts on: p0 (its RAM) mostly, p3 (d1's RAM, once stolen) often, any page (BAR, MMIO) now and then. */
const backendPage = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 2, arbitrary: fc.constant(3) }, { weight: 2, arbitrary: fc.nat(7) });
/** Pages a frontend acts on: p3 (d1's RAM) mostly, p0 (the backend's buffer, once mapped) often, p5 (d1's MMIO) and any page now and then. */
const frontendPage = fc.oneof(
  { weight: 6, arbitrary: fc.constant(3) },
  { weight: 2, arbitrary: fc.constant(0) },
  { weight: 1, arbitrary: fc.constant(5) },
  { weight: 1, arbitrary: fc.nat(7) },
);
/** Any page, p0 and p3 (where the scenarios happen) mostly. */
const anyPage = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(0, 3) }, { weight: 2, arbitrary: fc.nat(7) });
/** Frontends d1 and d2 mostly, so map / re-map / revoke chains meet; d0 (the backend) and d3 now and then. */
const frontend = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(1, 2) }, { weight: 1, arbitrary: fc.nat(3) });
/** Any domain, the backend and d1 often (the backend foreign-maps and holds its own pages in hypercalls). */
const anyDomain = fc.oneof({ weight: 4, arbitrary: fc.constantFrom(0, 1, 2) }, { weight: 1, arbitrary: fc.nat(3) });
const slot = fc.nat(3);

/** Injected p2m_set_entry failures: rare enough that chains get built, frequent enough to test rollbacks. */
const faults = fc.oneof({ weight: 5, arbitrary: fc.constant<number[]>([]) }, { weight: 1, arbitrary: fc.constant([0]) });

const op = operationsOf(xenSignatures);

export const mapOp = fc.record({ page: backendPage, into: frontend, faults }).map((a) => op('map', a));
/** Re-maps mostly go to a different frontend than the one re-mapping (the same one is an -EINVAL corner). */
export const remapOp = fc
  .record({ page: backendPage, from: frontend, into: frontend, same: fc.nat(7), faults })
  .map(({ page, from, into, same, faults }) => op('remap', { page, from, into: same === 0 || into !== from ? into : 3 - (from % 3), faults }));
export const revokeOp = fc.record({ page: backendPage, frontend }).map((a) => op('revoke', a));
export const stealOp = fc.record({ page: frontendPage, from: frontend, faults }).map((a) => op('steal', a));
export const returnOp = fc.record({ page: backendPage, to: frontend }).map((a) => op('return', a));
export const grantOp = fc.record({ page: frontendPage, granter: anyDomain, grantee: anyDomain }).map((a) => op('grant', a));
export const ungrantOp = fc.record({ slot }).map((a) => op('ungrant', a));
export const foreignMapOp = fc.record({ page: frontendPage, by: anyDomain }).map((a) => op('foreignMap', a));
export const foreignUnmapOp = fc.record({ slot }).map((a) => op('foreignUnmap', a));
export const beginHypercallOp = fc.record({ page: frontendPage, domain: anyDomain }).map((a) => op('beginHypercall', a));
export const endHypercallOp = fc.record({ slot }).map((a) => op('endHypercall', a));
export const accessOp = fc.record({ page: anyPage, domain: anyDomain, write: fc.boolean() }).map((a) => op('access', a));

export const xenOperation = fc.oneof(
  { weight: 6, arbitrary: mapOp },
  { weight: 5, arbitrary: remapOp },
  { weight: 6, arbitrary: revokeOp },
  { weight: 5, arbitrary: stealOp },
  { weight: 4, arbitrary: returnOp },
  { weight: 3, arbitrary: grantOp },
  { weight: 2, arbitrary: ungrantOp },
  { weight: 3, arbitrary: foreignMapOp },
  { weight: 2, arbitrary: foreignUnmapOp },
  { weight: 3, arbitrary: beginHypercallOp },
  { weight: 2, arbitrary: endHypercallOp },
  { weight: 6, arbitrary: accessOp },
);

const chains = fc.constantFrom<number[]>([1, 2, 3], [2, 1, 3], [1, 3, 2], [2, 3, 1], [3, 1, 2], [3, 2, 1]);

/** Map page into chain[0], then re-map it link by link `depth` times; the ops and the last link. */
function handDown(page: number, chain: readonly number[], depth: number): { ops: Operation[]; last: number } {
  const [a = 1, b = 2, c = 3] = chain;
  const ops = [op('map', { page, into: a, faults: [] })];
  if (depth >= 1) ops.push(op('remap', { page, from: a, into: b, faults: [] }));
  if (depth >= 2) ops.push(op('remap', { page, from: b, into: c, faults: [] }));
  return { ops, last: chain[depth] as number };
}

/**
 * A buffer handed down a chain and taken back: the backend maps page p into frontend a, which may re-map it into
 * b, which may re-map it into c (three different frontends); then, optionally, the last link tries to grant the buffer or use it in a
 * hypercall, the backend revokes it from one link of the chain, and one link touches it. Shrinks toward a single
 * Map.
 */
export const bufferChain = fc
  .record({
    page: backendPage,
    chain: chains,
    depth: fc.nat(2),
    misuse: fc.option(fc.constantFrom('grant', 'beginHypercall'), { freq: 3 }),
    revokeAt: fc.option(fc.nat(2), { freq: 2 }),
    probeAt: fc.option(fc.nat(2), { freq: 2 }),
    write: fc.boolean(),
  })
  .map(({ page, chain, depth, misuse, revokeAt, probeAt, write }): Operation[] => {
    const { ops, last } = handDown(page, chain, depth);
    if (misuse === 'grant') ops.push(op('grant', { page, granter: last, grantee: last === 3 ? 1 : last + 1 }));
    if (misuse === 'beginHypercall') ops.push(op('beginHypercall', { page, domain: last }));
    if (revokeAt !== null) ops.push(op('revoke', { page, frontend: chain[Math.min(revokeAt, depth)] as number }));
    if (probeAt !== null) ops.push(op('access', { page, domain: chain[Math.min(probeAt, depth)] as number, write }));
    return ops;
  });

/**
 * Revoke while a hypercall uses the page (Revoke never fails, even then): a buffer handed down a chain, the
 * backend starts a hypercall on its own buffer (a frontend may not use a mapped buffer in one; bufferChain tries
 * that), revokes the buffer from one link, and then the hypercall may end and the last link may touch the page.
 * Shrinks toward Map, hypercall, Revoke.
 */
export const revokeUnderHypercall = fc
  .record({
    page: backendPage,
    chain: chains,
    depth: fc.nat(2),
    revokeAt: fc.nat(2),
    end: fc.boolean(),
    probe: fc.boolean(),
    write: fc.boolean(),
  })
  .map(({ page, chain, depth, revokeAt, end, probe, write }): Operation[] => {
    const { ops, last } = handDown(page, chain, depth);
    ops.push(op('beginHypercall', { page, domain: 0 }));
    ops.push(op('revoke', { page, frontend: chain[Math.min(revokeAt, depth)] as number }));
    if (end) ops.push(op('endHypercall', { slot: 0 }));
    if (probe) ops.push(op('access', { page, domain: last, write }));
    return ops;
  });

/**
 * A page held, then handed over: a grant, a foreign mapping or a hypercall takes hold of the page (or nothing
 * does), the holder may touch it, then Steal (of a frontend page), Return (of a backend page) or both in turn
 * try to move it.
 * The holder is usually the one that can hold the page (its owner; the backend for a foreign mapping), sometimes
 * any domain. Shrinks toward the bare Steal.
 */
export const holdThenMove = fc
  .record({
    move: fc.constantFrom('steal', 'return', 'stealThenReturn'),
    stealPage: frontendPage,
    returnPage: backendPage,
    hold: fc.option(fc.constantFrom('grant', 'foreignMap', 'beginHypercall'), { freq: 4 }),
    anyHolder: fc.option(fc.nat(3), { freq: 4 }),
    grantee: frontend,
    dom: frontend,
    probe: fc.boolean(),
  })
  .map(({ move, stealPage, returnPage, hold, anyHolder, grantee, dom, probe }): Operation[] => {
    const page = move === 'return' ? returnPage : stealPage;
    const holder = anyHolder ?? (hold === 'foreignMap' || move === 'return' ? 0 : dom);
    const ops: Operation[] = [];
    const to = grantee === holder ? (holder + 1) % 4 : grantee;
    if (hold === 'grant') ops.push(op('grant', { page, granter: holder, grantee: to }));
    if (hold === 'foreignMap') ops.push(op('foreignMap', { page, by: holder }));
    if (hold === 'beginHypercall') ops.push(op('beginHypercall', { page, domain: holder }));
    if (probe) ops.push(op('access', { page, domain: hold === 'grant' ? to : holder, write: false }));
    if (move !== 'return') ops.push(op('steal', { page, from: dom, faults: [] }));
    if (move !== 'steal') ops.push(op('return', { page, to: dom }));
    return ops;
  });

/** The operation that ends a hold of each kind, by its slot. */
const ENDS = { grant: 'ungrant', foreignMap: 'foreignUnmap', beginHypercall: 'endHypercall' } as const;

/**
 * One page held several times over: granted by its owner to two or three domains (the same one twice now and
 * then), foreign-mapped two or three times by the backend, or used by two or three hypercalls of its owner. Then
 * one hold ends, by its slot, and the page is moved (Steal from a frontend owner, Return of a backend page: both
 * must still be refused) or touched by a holder. Shrinks toward two holds and the end of one.
 */
export const sharedHold = fc
  .record({
    kind: fc.constantFrom('grant', 'grant', 'foreignMap', 'beginHypercall'),
    page: fc.oneof({ weight: 4, arbitrary: fc.constant(3) }, { weight: 1, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(4, 6, 7) }),
    count: fc.integer({ min: 2, max: 3 }),
    rotate: fc.nat(2),
    twice: fc.nat(4),
    slot: fc.nat(3),
    then: fc.constantFrom('move', 'access', 'move', 'none'),
    write: fc.boolean(),
  })
  .map(({ kind, page: wanted, count, rotate, twice, slot, then, write }): Operation[] => {
    // Foreign maps are of a frontend's page; the backend's own page is only granted or used in a hypercall.
    const page = kind === 'foreignMap' && wanted === 0 ? 3 : wanted;
    const owner = PAGE_LAYOUT[page]?.owner ?? BACKEND;
    const others = [0, 1, 2, 3].filter((d) => d !== owner);
    const grantees = Array.from({ length: count }, (_, i) => others[(rotate + (twice === 0 ? 0 : i)) % others.length] as number);
    const ops: Operation[] = [];
    for (const grantee of grantees) {
      if (kind === 'grant') ops.push(op('grant', { page, granter: owner, grantee }));
      if (kind === 'foreignMap') ops.push(op('foreignMap', { page, by: BACKEND }));
      if (kind === 'beginHypercall') ops.push(op('beginHypercall', { page, domain: owner }));
    }
    ops.push(op(ENDS[kind], { slot }));
    if (then === 'move') ops.push(owner === BACKEND ? op('return', { page, to: 1 }) : op('steal', { page, from: owner, faults: [] }));
    if (then === 'access') ops.push(op('access', { page, domain: kind === 'grant' ? (grantees[count - 1] as number) : kind === 'foreignMap' ? BACKEND : owner, write }));
    return ops;
  });

/** Any sequence of the primitives and the operations around them, with the four scenarios mixed in. */
export const xenSequences = fc
  .array(
    fc.oneof(
      { weight: 6, arbitrary: xenOperation.map((o) => [o]) },
      { weight: 1, arbitrary: bufferChain },
      { weight: 1, arbitrary: holdThenMove },
      { weight: 1, arbitrary: revokeUnderHypercall },
      { weight: 1, arbitrary: sharedHold },
    ),
    { maxLength: 20, size: 'medium' },
  )
  .map((blocks) => blocks.flat());
