// Invariants of the Xen memory primitives for virtio-GPU, each named for what it protects. Every requirement of
// 004_a962dd2d5e662cda.txt is turned into a rule checked after every step. The judges below (who may touch a page,
// what an access must return) read only the state, never the model's methods, so a bug in the model's access path
// or in Revoke is judged against what the page tables say, not against itself.
//
// Places in the seed, as cited below:
//   "Map"       Demi's primitive 1 (Map) and its exception for re-mapping;
//   "Revoke"    Demi's primitive 2 (Revoke) and the paragraph after it (MMU notifiers may not fail);
//   "Steal"     Demi's primitive 3 (Steal), its list of refusals and the quota paragraph;
//   "Return"    Demi's primitive 4 (Return);
//   "reply"     Roger's reply: revocation removes the page from the p2m, faults become IOREQ_TYPE_FAULT for the
//               IOREQ server, MMIO has no page_info and no reference counting, stolen pages and their owner.

import { argsOf, typedOp, type OpOf } from '../common/schema.js';
import type { Invariant, Step } from '../common/spec.js';
import { callText } from '../common/scheduler.js';
import type { Operation } from '../common/values.js';
import { accessedValue, domainNamed, faultValue, pageNamed, xenSignatures } from './operations.js';
import {
  BACKEND,
  PAGE_LAYOUT,
  snapshotXen,
  TOTAL_QUOTA,
  type DomId,
  type FaultRoute,
  type ForeignMapping,
  type Grant,
  type HypercallUse,
  type Mapping,
  type PageId,
  type XenState,
} from './state.js';

const SOURCE = '004_a962dd2d5e662cda.txt';

const pg = (p: PageId) => `p${p}`;
const dm = (d: DomId) => `d${d}`;

/** The domains the page tables let touch the page: its owner, the mapping tree rooted at the owner, grantees
 *  of the owner's grants, and foreign mappers. */
export function reachers(s: XenState, page: PageId): Set<DomId> {
  const owner = (s.pages[page] as XenState['pages'][number]).owner;
  const set = new Set<DomId>([owner]);
  for (let grew = true; grew; ) {
    grew = false;
    for (const m of s.mappings) {
      if (m.page === page && set.has(m.from) && !set.has(m.into)) {
        set.add(m.into);
        grew = true;
      }
    }
  }
  for (const g of s.grants) if (g.page === page && g.granter === owner) set.add(g.grantee);
  for (const f of s.foreignMappings) if (f.page === page && f.by !== owner) set.add(f.by);
  return set;
}

/** The domains whose mapping of the page is `frontend`'s own or was re-mapped, at any depth, from it. */
export function revokedSubtree(s: XenState, page: PageId, frontend: DomId): DomId[] {
  if (!s.mappings.some((m) => m.page === page && m.into === frontend)) return [];
  const out: DomId[] = [frontend];
  for (let i = 0; i < out.length; i++) {
    for (const m of s.mappings) if (m.page === page && m.from === out[i] && !out.includes(m.into)) out.push(m.into);
  }
  return out;
}

/** What a CPU access must return, judged from the state before it. */
export function expectedAccess(s: XenState, page: PageId, dom: DomId, write: boolean): string {
  if (reachers(s, page).has(dom)) return accessedValue(write);
  const route = s.faultRoutes.find((r) => r.page === page && r.domain === dom);
  if (route !== undefined) return faultValue(route.server);
  return '-EFAULT';
}

function outcome(step: Step<XenState>): string {
  return step.result.ok ? String(step.result.value ?? 'OK') : step.result.error;
}

function ownerOf(s: XenState, page: PageId): DomId {
  return (s.pages[page] as XenState['pages'][number]).owner;
}

function hasMapping(s: XenState, page: PageId, dom: DomId): boolean {
  return s.mappings.some((m) => m.page === page && m.into === dom);
}

function routeOf(s: XenState, page: PageId, dom: DomId) {
  return s.faultRoutes.find((r) => r.page === page && r.domain === dom);
}

type XenOp = OpOf<typeof xenSignatures>;

/** Why Steal must be refused, with the code the model documents for it, judged from the state before. */
export function stealRefusal(s: XenState, page: PageId, from: DomId): { reason: string; error: string } | undefined {
  if (from === BACKEND) return { reason: 'the source is the backend itself', error: '-EINVAL' };
  const p = s.pages[page] as XenState['pages'][number];
  if (p.owner !== from) {
    const how = hasMapping(s, page, from) ? `provided to ${dm(from)} by Map` : s.grants.some((g) => g.page === page && g.grantee === from) ? `granted to ${dm(from)}` : `not ${dm(from)}'s`;
    return { reason: `the page is ${how} (owner ${dm(p.owner)})`, error: '-EPERM' };
  }
  if (p.kind !== 'ram') return { reason: `the page is ${p.kind === 'mmio' ? 'MMIO' : 'BAR memory'}, not system RAM`, error: '-EINVAL' };
  const h = s.hypercalls.find((x) => x.page === page);
  if (h !== undefined) return { reason: `the page is in a hypercall of ${dm(h.domain)}`, error: '-EBUSY' };
  const g = s.grants.find((x) => x.page === page);
  if (g !== undefined) return { reason: `the page is granted to ${dm(g.grantee)}`, error: '-EBUSY' };
  const f = s.foreignMappings.find((x) => x.page === page);
  if (f !== undefined) return { reason: `the page is foreign-mapped by ${dm(f.by)}`, error: '-EBUSY' };
  const other = [...reachers(s, page)].find((d) => d !== from);
  if (other !== undefined) return { reason: `the page is reachable by ${dm(other)}`, error: '-EBUSY' };
  return undefined;
}

/**
 * Why a Map, re-map, Return, grant, foreign map or hypercall must be refused, and with which code (README.md,
 * decision 1 and the table of operations), judged from the state before; undefined when nothing forbids it.
 */
export function expectedRefusal(s: XenState, op: Operation): { reason: string; error: string } | undefined {
  const o = typedOp(xenSignatures, op);
  if (o === undefined || !('page' in o.args)) return undefined;
  const page = pageNamed(o.args.page);
  const p = s.pages[page] as XenState['pages'][number];
  const ownRam = (d: DomId) => p.owner === d && p.kind === 'ram';
  switch (o.op) {
    case 'map': {
      const into = domainNamed(o.args.into);
      if (into === BACKEND) return { reason: 'the backend cannot map a page into itself', error: '-EINVAL' };
      if (p.owner !== BACKEND) return { reason: `the backend does not own ${pg(page)}`, error: '-EPERM' };
      if (hasMapping(s, page, into)) return { reason: `${dm(into)} already holds ${pg(page)}`, error: '-EEXIST' };
      return undefined;
    }
    case 'remap': {
      const from = domainNamed(o.args.from);
      const into = domainNamed(o.args.into);
      if (from === BACKEND || into === BACKEND) return { reason: 'the backend takes part in a re-map', error: '-EINVAL' };
      if (into === from) return { reason: 'a re-map into the re-mapping domain itself', error: '-EINVAL' };
      if (!hasMapping(s, page, from)) return { reason: `${dm(from)} holds no mapping of ${pg(page)}`, error: '-EPERM' };
      if (hasMapping(s, page, into)) return { reason: `${dm(into)} already holds ${pg(page)}`, error: '-EEXIST' };
      return undefined;
    }
    case 'return': {
      const to = domainNamed(o.args.to);
      if (to === BACKEND) return { reason: 'a Return to the backend itself', error: '-EINVAL' };
      if (p.owner !== BACKEND) return { reason: `the backend does not own ${pg(page)}`, error: '-EPERM' };
      if (p.kind !== 'ram') return { reason: `${pg(page)} is BAR memory`, error: '-EINVAL' };
      const m = s.mappings.find((x) => x.page === page && x.into !== to);
      if (m !== undefined) return { reason: `${pg(page)} is still mapped into ${dm(m.into)}`, error: '-EBUSY' };
      const held = s.grants.some((x) => x.page === page) || s.hypercalls.some((x) => x.page === page) || s.foreignMappings.some((x) => x.page === page);
      if (held) return { reason: `${pg(page)} is granted, in a hypercall or foreign-mapped`, error: '-EBUSY' };
      return undefined;
    }
    case 'grant': {
      const granter = domainNamed(o.args.granter);
      if (granter === domainNamed(o.args.grantee)) return { reason: 'a grant to oneself', error: '-EINVAL' };
      if (!ownRam(granter)) return { reason: `${pg(page)} is not ${dm(granter)}'s own RAM`, error: '-EFAULT' };
      return undefined;
    }
    case 'foreignMap': {
      const by = domainNamed(o.args.by);
      if (by !== BACKEND) return { reason: `${dm(by)} is not the backend`, error: '-EPERM' };
      if (p.owner === BACKEND) return { reason: `${pg(page)} is the backend's own page`, error: '-EINVAL' };
      if (p.kind !== 'ram') return { reason: `${pg(page)} is not RAM`, error: '-EFAULT' };
      return undefined;
    }
    case 'beginHypercall': {
      const domain = domainNamed(o.args.domain);
      return ownRam(domain) ? undefined : { reason: `${pg(page)} is not ${dm(domain)}'s own RAM`, error: '-EFAULT' };
    }
    default:
      return undefined;
  }
}

/** The operations `refusalsMatchTheirCause` judges (Steal has stealRefusedWhenUnsafe; Revoke never fails). */
const JUDGED_REFUSALS = new Set(['map', 'remap', 'return', 'grant', 'foreignMap', 'beginHypercall']);

/** The tables of holds on a page, each entry begun by one operation and ended, by its slot, by another. */
type HoldTable = 'grants' | 'foreignMappings' | 'hypercalls';
const HOLDS: { readonly [op: string]: HoldTable } = {
  grant: 'grants',
  ungrant: 'grants',
  foreignMap: 'foreignMappings',
  foreignUnmap: 'foreignMappings',
  beginHypercall: 'hypercalls',
  endHypercall: 'hypercalls',
};

type Hold = Grant | ForeignMapping | HypercallUse;

function holdText(h: Hold): string {
  if ('grantee' in h) return `${pg(h.page)}:${dm(h.granter)}->${dm(h.grantee)}`;
  return 'by' in h ? `${pg(h.page)}@${dm(h.by)}` : `${pg(h.page)}@${dm(h.domain)}`;
}

/** The entry a successful grant, foreign map or hypercall start adds, from its arguments. */
function requestedHold(o: XenOp): Hold | undefined {
  switch (o.op) {
    case 'grant':
      return { page: pageNamed(o.args.page), granter: domainNamed(o.args.granter), grantee: domainNamed(o.args.grantee) };
    case 'foreignMap':
      return { page: pageNamed(o.args.page), by: domainNamed(o.args.by) };
    case 'beginHypercall':
      return { page: pageNamed(o.args.page), domain: domainNamed(o.args.domain) };
    default:
      return undefined;
  }
}

/** The slot an ungrant, foreign unmap or hypercall end names (the entry it ends). */
function endedSlot(o: XenOp): number | undefined {
  return o.op === 'ungrant' || o.op === 'foreignUnmap' || o.op === 'endHypercall' ? o.args.slot : undefined;
}

const mapKey = (m: Mapping) => `${m.page}:${m.from}:${m.into}`;
const routeKey = (r: FaultRoute) => `${r.page}:${r.domain}:${r.server}`;

/** A table whose order means nothing (looked up by page and domain, never by slot), as its sorted entries. */
function asSet<T>(entries: readonly T[], key: (e: T) => string): string {
  return entries.map(key).sort().join(' ');
}

/** A table of holds, in order: its slots name the entries. */
function inOrder(entries: readonly Hold[]): string {
  return entries.map(holdText).join(' ');
}

/** What differs between the state an operation should have left and the one it left: the first part named. */
function firstDifference(want: XenState, got: XenState): string | undefined {
  if (asSet(want.mappings, mapKey) !== asSet(got.mappings, mapKey)) return `mappings are ${mapsText(got.mappings)}, not ${mapsText(want.mappings)}`;
  if (asSet(want.faultRoutes, routeKey) !== asSet(got.faultRoutes, routeKey)) return `fault routes are ${routesText(got.faultRoutes)}, not ${routesText(want.faultRoutes)}`;
  for (const table of ['grants', 'foreignMappings', 'hypercalls'] as const) {
    if (inOrder(want[table]) !== inOrder(got[table])) return `${table} are [${inOrder(got[table])}], not [${inOrder(want[table])}]`;
  }
  for (const p of want.pages) {
    const owner = ownerOf(got, p.id);
    if (owner !== p.owner) return `${pg(p.id)} is owned by ${dm(owner)}, not ${dm(p.owner)}`;
  }
  for (const d of want.domains) {
    const g = got.domains[d.id];
    const same = g !== undefined && g.totPages === d.totPages && g.quota === d.quota && g.ioreqFaults === d.ioreqFaults && g.pageList.join() === d.pageList.join();
    if (same) continue;
    const text = (x: XenState['domains'][number] | undefined) =>
      x === undefined ? 'nothing' : `tot/quota ${x.totPages}/${x.quota}, page list [${x.pageList.map(pg).join(' ')}], ${x.ioreqFaults} IOREQ faults`;
    return `${dm(d.id)} has ${text(g)}, not ${text(d)}`;
  }
  return undefined;
}

const mapsText = (ms: readonly Mapping[]) => `[${ms.map((m) => `${pg(m.page)}:${dm(m.from)}->${dm(m.into)}`).join(' ')}]`;
const routesText = (rs: readonly FaultRoute[]) => `[${rs.map((r) => `${pg(r.page)}@${dm(r.domain)}=>${dm(r.server)}`).join(' ')}]`;

/** Ownership of `page` moved from one domain to the other, with one page of quota and charge (page lists in page order). */
function moved(s: XenState, page: PageId, from: DomId, to: DomId): void {
  (s.pages[page] as XenState['pages'][number]).owner = to;
  const a = s.domains[from] as XenState['domains'][number];
  const b = s.domains[to] as XenState['domains'][number];
  a.pageList = a.pageList.filter((x) => x !== page);
  b.pageList = [...b.pageList, page].sort((x, y) => x - y);
  a.quota -= 1;
  a.totPages -= 1;
  b.quota += 1;
  b.totPages += 1;
}

export const xenInvariants: readonly Invariant<XenState>[] = [
  {
    // 004, "Revoke": revocation may not fail (an MMU notifier cannot fail; the backend panics if it does).
    name: 'revokeNeverFails',
    source: `${SOURCE} § primitive 2, Revoke: not allowed to fail; Revoke runs from an MMU notifier that cannot fail`,
    check: ({ op, result }) => {
      const revoke = argsOf(xenSignatures, op, 'revoke');
      if (revoke === undefined || result.ok) return undefined;
      return `revoke(${pg(pageNamed(revoke.page))} from ${dm(domainNamed(revoke.frontend))}) returned ${result.error}: revocation must never fail`;
    },
  },
  {
    // 004, "Revoke" + "Map" exception: after Revoke nothing on or in the frontend, nor anything it re-mapped the
    // buffer to, can touch the page (Revoke must be transitive for re-mapping to be allowed).
    name: 'noAccessAfterRevoke',
    source: `${SOURCE} § primitive 2, Revoke: no operation on or in the frontend can access the pages; primitive 1: re-map only if Revoke is transitive`,
    check: (step) => {
      const { op, before, after, result } = step;
      const revoke = argsOf(xenSignatures, op, 'revoke');
      if (revoke !== undefined) {
        const page = pageNamed(revoke.page);
        const frontend = domainNamed(revoke.frontend);
        for (const d of revokedSubtree(before, page, frontend)) {
          if (hasMapping(after, page, d))
            return d === frontend
              ? `${dm(d)} still has ${pg(page)} mapped after revoke(${pg(page)} from ${dm(frontend)})`
              : `${dm(d)} still has ${pg(page)} mapped after revoke(${pg(page)} from ${dm(frontend)}); it got it through ${dm(frontend)} (revoke is not transitive)`;
        }
        return undefined;
      }
      const access = argsOf(xenSignatures, op, 'access');
      if (access !== undefined && result.ok && !String(result.value).startsWith('ioreq-fault')) {
        const page = pageNamed(access.page);
        const d = domainNamed(access.domain);
        const revoked = routeOf(before, page, d) !== undefined || hasMapping(before, page, d);
        if (revoked && !reachers(before, page).has(d))
          return `${dm(d)} ${String(result.value)} ${pg(page)} after its access was revoked`;
      }
      return undefined;
    },
  },
  {
    // 004, "Revoke" (faults go to the backend, which can intercept them) and "reply" (IOREQ_TYPE_FAULT).
    name: 'faultsAfterRevokeGoToTheBackend',
    source: `${SOURCE} § primitive 2, Revoke: later frontend accesses fault to the backend; reply: IOREQ_TYPE_FAULT for the IOREQ server`,
    check: (step) => {
      const { op, before, after, result } = step;
      const revoke = argsOf(xenSignatures, op, 'revoke');
      if (revoke !== undefined) {
        const page = pageNamed(revoke.page);
        const frontend = domainNamed(revoke.frontend);
        for (const d of revokedSubtree(before, page, frontend)) {
          const r = routeOf(after, page, d);
          if (r === undefined) return `after revoke(${pg(page)} from ${dm(frontend)}), an access by ${dm(d)} would not fault to the backend`;
          if (r.server !== BACKEND) return `after revoke, faults of ${dm(d)} on ${pg(page)} go to ${dm(r.server)}, not to the backend`;
        }
      }
      for (const r of after.faultRoutes) {
        if (r.server !== BACKEND) return `faults of ${dm(r.domain)} on ${pg(r.page)} are delivered to ${dm(r.server)}, not to the backend`;
        if (hasMapping(after, r.page, r.domain)) return `${dm(r.domain)} has ${pg(r.page)} both mapped and revoked`;
      }
      const access = argsOf(xenSignatures, op, 'access');
      if (access !== undefined) {
        const page = pageNamed(access.page);
        const d = domainNamed(access.domain);
        if (routeOf(before, page, d) !== undefined && !reachers(before, page).has(d)) {
          if (outcome(step) !== faultValue(BACKEND)) return `${dm(d)} accessed revoked ${pg(page)}: got ${outcome(step)}, not a fault delivered to the backend`;
          const got = (after.domains[BACKEND]?.ioreqFaults ?? 0) - (before.domains[BACKEND]?.ioreqFaults ?? 0);
          if (got !== 1) return `the backend received ${got} IOREQ faults for one access`;
        }
        if (result.ok && String(result.value).startsWith('ioreq-fault') && routeOf(before, page, d) === undefined)
          return `${dm(d)} faulted to an IOREQ server on ${pg(page)}, which was never revoked from it`;
      }
      return undefined;
    },
  },
  {
    // 004, "Map": the frontend may not use mapped buffers in hypercalls or grants; hypercalls fail as if the
    // frontend did not have the pages.
    name: 'mappedBufferNotUsableInHypercallsOrGrants',
    source: `${SOURCE} § primitive 1, Map: buffers not usable in hypercalls or grants; such hypercalls fail as if the pages were absent`,
    check: ({ op, before, after, result }) => {
      const o = typedOp(xenSignatures, op);
      if (o?.op === 'beginHypercall' || (o?.op === 'grant' && domainNamed(o.args.granter) !== domainNamed(o.args.grantee))) {
        const page = pageNamed(o.args.page);
        const d = domainNamed(o.op === 'grant' ? o.args.granter : o.args.domain);
        if (ownerOf(before, page) !== d) {
          const how = hasMapping(before, page, d) ? 'a buffer mapped into it' : 'a page it does not have';
          if (result.ok) return `${dm(d)} used ${pg(page)}, ${how}, in a ${op.op === 'grant' ? 'grant' : 'hypercall'}`;
          if (result.error !== '-EFAULT') return `${op.op} of ${how} (${pg(page)} by ${dm(d)}) failed with ${result.error}, not -EFAULT as for an absent page`;
        }
      }
      for (const h of after.hypercalls)
        if (hasMapping(after, h.page, h.domain)) return `a hypercall of ${dm(h.domain)} uses ${pg(h.page)}, a buffer mapped into it`;
      for (const g of after.grants)
        if (hasMapping(after, g.page, g.granter)) return `${dm(g.granter)} has granted ${pg(g.page)}, a buffer mapped into it`;
      return undefined;
    },
  },
  {
    // 004, "Steal": refused in a hypercall, MMIO, provided by another domain, foreign-mapped, granted, or
    // accessible to any domain other than the target; otherwise it succeeds.
    name: 'stealRefusedWhenUnsafe',
    source: `${SOURCE} § primitive 3, Steal: the list of cases in which Steal fails`,
    check: ({ op, before, result, faults }) => {
      const steal = argsOf(xenSignatures, op, 'steal');
      if (steal === undefined) return undefined;
      const page = pageNamed(steal.page);
      const from = domainNamed(steal.from);
      const refusal = stealRefusal(before, page, from);
      if (refusal !== undefined) {
        if (result.ok) return `steal(${pg(page)} from ${dm(from)}) succeeded although ${refusal.reason}`;
        if (result.error !== refusal.error) return `steal(${pg(page)} from ${dm(from)}) failed with ${result.error}; ${refusal.reason} calls for ${refusal.error}`;
        return undefined;
      }
      if (!result.ok && !(result.error === '-ENOMEM' && faults.length > 0))
        return `steal(${pg(page)} from ${dm(from)}) refused with ${result.error} although only ${dm(from)} could touch the page`;
      return undefined;
    },
  },
  {
    // 004, "Steal" (frontend quota down, backend quota up by the same amount) and "Return" (the page stops counting
    // against the backend and counts against the frontend): quota is only ever moved, one page per page.
    name: 'quotaIsConserved',
    source: `${SOURCE} § primitive 3, Steal: quotas decreased and increased by the same amount; primitive 4, Return`,
    check: ({ op, before, after, result }) => {
      const sum = after.domains.reduce((n, d) => n + d.quota, 0);
      if (sum !== TOTAL_QUOTA) return `the quotas add up to ${sum}, not ${TOTAL_QUOTA}`;
      const expected = before.domains.map((d) => d.quota);
      const o = typedOp(xenSignatures, op);
      if (result.ok && (o?.op === 'steal' || o?.op === 'return')) {
        const other = domainNamed(o.op === 'steal' ? o.args.from : o.args.to);
        const delta = o.op === 'steal' ? 1 : -1;
        expected[BACKEND] = (expected[BACKEND] ?? 0) + delta;
        expected[other] = (expected[other] ?? 0) - delta;
      }
      for (const d of after.domains) {
        const want = expected[d.id] ?? 0;
        if (d.quota !== want)
          return `${op.op} ${result.ok ? 'succeeded' : 'failed'} and left ${dm(d.id)}'s quota ${d.quota}; exactly one page should have moved (${want})`;
      }
      return undefined;
    },
  },
  {
    // 004, "Return": after Return the backend can no longer use Revoke or Map on the page.
    name: 'returnEndsBackendRights',
    source: `${SOURCE} § primitive 4, Return: the backend is no longer able to use Revoke or Map`,
    check: ({ op, before, after, result }) => {
      const o = typedOp(xenSignatures, op);
      if (o?.op !== 'return' && o?.op !== 'map' && o?.op !== 'remap' && o?.op !== 'revoke') return undefined;
      const page = pageNamed(o.args.page);
      if (o.op === 'return' && result.ok) {
        const to = domainNamed(o.args.to);
        if (ownerOf(after, page) !== to) return `after return(${pg(page)} to ${dm(to)}) the page is owned by ${dm(ownerOf(after, page))}`;
        const m = after.mappings.find((x) => x.page === page);
        if (m !== undefined) return `after return(${pg(page)} to ${dm(to)}) the backend still has it mapped into ${dm(m.into)} (it could still revoke it)`;
        const r = after.faultRoutes.find((x) => x.page === page);
        if (r !== undefined) return `after return(${pg(page)}) faults of ${dm(r.domain)} on it still go to ${dm(r.server)}`;
      }
      if (ownerOf(before, page) === BACKEND) return undefined;
      if ((o.op === 'map' && domainNamed(o.args.into) !== BACKEND) || o.op === 'remap') {
        if (result.ok) return `${op.op} of ${pg(page)} succeeded although the backend does not own it (owner ${dm(ownerOf(before, page))})`;
        if (op.op === 'map' && result.error !== '-EPERM') return `map of ${pg(page)}, which the backend does not own, failed with ${result.error}, not -EPERM`;
      }
      if (op.op === 'revoke') {
        const same = (s: XenState) =>
          JSON.stringify([ownerOf(s, page), s.mappings.filter((m) => m.page === page), s.faultRoutes.filter((r) => r.page === page)]);
        if (same(before) !== same(after)) return `revoke changed ${pg(page)}, which the backend does not own (owner ${dm(ownerOf(before, page))})`;
      }
      return undefined;
    },
  },
  {
    // 004, "Steal"/"Return" (pages become backend-owned and frontend-owned) and "reply" (the page_info owner):
    // a page belongs to exactly one domain, on that domain's page list; BAR and MMIO pages never change hands.
    name: 'everyPageHasExactlyOneOwner',
    source: `${SOURCE} § primitives 3 and 4 (ownership changes hands); reply: page_info owner of stolen pages`,
    check: ({ after }) => {
      for (const p of after.pages) {
        const lists = after.domains.filter((d) => d.pageList.includes(p.id)).map((d) => d.id);
        if (lists.length !== 1) return `${pg(p.id)} is on the page list of ${lists.length === 0 ? 'no domain' : lists.map(dm).join(' and ')}`;
        if (lists[0] !== p.owner) return `${pg(p.id)} is on ${dm(lists[0] as number)}'s page list but owned by ${dm(p.owner)}`;
        if (p.kind !== 'ram' && p.owner !== PAGE_LAYOUT[p.id]?.owner) return `${p.kind} page ${pg(p.id)} changed owner to ${dm(p.owner)}`;
      }
      for (const d of after.domains)
        if (new Set(d.pageList).size !== d.pageList.length) return `${dm(d.id)}'s page list holds a page twice`;
      return undefined;
    },
  },
  {
    // 004, "Revoke" (faults) and "Map" (a mapped buffer is accessible): an access goes through exactly when the
    // page tables give the domain the page, faults to the IOREQ server when revoked, and is refused otherwise.
    name: 'accessMatchesThePageTables',
    source: `${SOURCE} § primitive 1, Map (the frontend accesses the buffer); primitive 2, Revoke (later accesses fault)`,
    check: (step) => {
      const { op, before, after } = step;
      const access = argsOf(xenSignatures, op, 'access');
      if (access === undefined) return undefined;
      const page = pageNamed(access.page);
      const d = domainNamed(access.domain);
      const want = expectedAccess(before, page, d, access.write);
      if (outcome(step) !== want) return `access of ${pg(page)} by ${dm(d)} gave ${outcome(step)}; the page tables say ${want}`;
      const strip = (s: XenState) => JSON.stringify({ ...s, domains: s.domains.map((x) => ({ ...x, ioreqFaults: 0 })) });
      if (strip(before) !== strip(after)) return `an access by ${dm(d)} changed the page tables`;
      return undefined;
    },
  },
  {
    // 004, "Map" exception and "Revoke": re-mapping forms a tree rooted at the backend, which is what lets Revoke
    // find everything a frontend passed on. Only backend pages are mapped, never into their owner, once per domain.
    name: 'mappingsFormATreeFromTheBackend',
    source: `${SOURCE} § primitive 1, Map: the frontend may re-map the buffer provided that Revoke is transitive`,
    check: ({ after }) => {
      const seen = new Set<string>();
      for (const m of after.mappings) {
        const key = `${m.page}:${m.into}`;
        if (seen.has(key)) return `${dm(m.into)} has ${pg(m.page)} mapped twice`;
        seen.add(key);
        const owner = ownerOf(after, m.page);
        if (owner !== BACKEND) return `${pg(m.page)} is mapped into ${dm(m.into)} but owned by ${dm(owner)}, not the backend`;
        if (m.into === owner) return `${pg(m.page)} is mapped into its own owner`;
      }
      for (const m of after.mappings) {
        const rooted = new Set<DomId>([BACKEND]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const x of after.mappings)
            if (x.page === m.page && rooted.has(x.from) && !rooted.has(x.into)) {
              rooted.add(x.into);
              grew = true;
            }
        }
        if (!rooted.has(m.into)) return `${dm(m.into)} has ${pg(m.page)} from ${dm(m.from)}, which does not hold it: no chain leads back to the backend`;
      }
      return undefined;
    },
  },
  {
    // 004, "Steal" and "Return" (the page counts against the backend's, then the frontend's quota) and "reply"
    // (only pages with a page_info are counted): a domain is charged exactly for the RAM pages it owns.
    name: 'chargesMatchOwnership',
    source: `${SOURCE} § primitive 3 and 4: the page counts against the quota of its owner; reply: MMIO has no page_info`,
    check: ({ after }) => {
      for (const d of after.domains) {
        const owned = after.pages.filter((p) => p.owner === d.id && p.kind === 'ram').length;
        if (d.totPages !== owned) return `${dm(d.id)} is charged ${d.totPages} pages but owns ${owned} RAM pages`;
        if (d.totPages > d.quota) return `${dm(d.id)} is charged ${d.totPages} pages, over its quota of ${d.quota}`;
      }
      return undefined;
    },
  },
  {
    // 004, the primitives' failure cases ("Steal fails if ..."): a refused primitive has no effect at all.
    name: 'refusedOperationChangesNothing',
    source: `${SOURCE} § primitive 3, Steal fails if ... (a failure is a refusal, with no partial effect)`,
    check: ({ op, before, after, result }) => {
      if (result.ok) return undefined;
      return JSON.stringify(before) === JSON.stringify(after) ? undefined : `${op.op} failed with ${result.error} but changed the state`;
    },
  },
  {
    // 004, "Steal" (refused while in a hypercall, granted or foreign-mapped) and "Return": a page held by a
    // hypercall, a grant or a foreign mapping stays with the domain that holds it until the hold ends.
    name: 'pagesInUseStayWithTheirHolder',
    source: `${SOURCE} § primitive 3, Steal: pages in a hypercall, granted or foreign mapped; primitive 4, Return`,
    check: ({ after }) => {
      for (const h of after.hypercalls)
        if (ownerOf(after, h.page) !== h.domain) return `a hypercall of ${dm(h.domain)} holds ${pg(h.page)}, now owned by ${dm(ownerOf(after, h.page))}`;
      for (const g of after.grants)
        if (ownerOf(after, g.page) !== g.granter) return `${dm(g.granter)}'s grant of ${pg(g.page)} to ${dm(g.grantee)} outlived its ownership (owner ${dm(ownerOf(after, g.page))})`;
      for (const f of after.foreignMappings) {
        const owner = ownerOf(after, f.page);
        if (owner === f.by) return `${dm(f.by)} foreign-maps ${pg(f.page)}, its own page`;
        if (owner === BACKEND) return `the backend's foreign mapping of ${pg(f.page)} outlived the frontend's ownership`;
      }
      return undefined;
    },
  },
  {
    // 004, "Steal": afterwards the page is backend-owned and in the same state as if it had been provided by Map
    // (mapped in the frontend, by the backend, and reachable by nobody else).
    name: 'stolenPageIsAsIfMapped',
    source: `${SOURCE} § primitive 3, Steal: after success the pages are in the same state as if provided via Map`,
    check: ({ op, after, result }) => {
      const steal = argsOf(xenSignatures, op, 'steal');
      if (steal === undefined || !result.ok) return undefined;
      const page = pageNamed(steal.page);
      const from = domainNamed(steal.from);
      if (ownerOf(after, page) !== BACKEND) return `after steal(${pg(page)} from ${dm(from)}) the page is owned by ${dm(ownerOf(after, page))}`;
      const m = after.mappings.filter((x) => x.page === page);
      if (m.length !== 1 || m[0]?.into !== from || m[0]?.from !== BACKEND)
        return `after steal(${pg(page)} from ${dm(from)}) the page is mapped ${m.length === 0 ? 'nowhere' : m.map((x) => `${dm(x.from)}->${dm(x.into)}`).join(', ')}, not by the backend into ${dm(from)} alone`;
      const who = [...reachers(after, page)].sort();
      if (who.join() !== [BACKEND, from].sort().join()) return `after steal(${pg(page)}) it is reachable by ${who.map(dm).join(', ')}`;
      return undefined;
    },
  },
  {
    // 004, the thread's holds on a page (grants, foreign mappings, hypercalls in progress), whose presence is what
    // makes Steal and Return refuse: starting one records exactly that hold, ending one removes exactly the entry
    // named and nothing else. A page granted to two domains stays busy when one of the grants ends.
    name: 'holdsBeginAndEndOneAtATime',
    source: `${SOURCE} § primitive 3, Steal fails if the pages are in a hypercall, granted or foreign mapped (each hold counts until it ends); primitive 4, Return`,
    check: ({ op, before, after, result }) => {
      const o = typedOp(xenSignatures, op);
      const table = HOLDS[op.op];
      if (o === undefined || table === undefined || !result.ok) return undefined;
      const was = before[table] as readonly Hold[];
      const want = snapshotXen(before);
      let what: string;
      const slot = endedSlot(o);
      const entry = requestedHold(o);
      if (slot !== undefined) {
        const i = slot % was.length;
        what = `${op.op}(slot ${slot}) should end ${holdText(was[i] as Hold)} alone`;
        (want[table] as Hold[]).splice(i, 1);
      } else if (entry !== undefined) {
        what = `${op.op} should add ${holdText(entry)} alone`;
        (want[table] as Hold[]).push(entry);
      } else return undefined;
      const diff = firstDifference(want, after);
      return diff === undefined ? undefined : `${what}: ${diff}`;
    },
  },
  {
    // 004, "Map" (the backend provides a buffer to a frontend) and its re-map exception: a Map or re-map that
    // succeeds installs exactly the entry asked for, recording who provided it (what Revoke follows), replaces a
    // revoked entry of that domain for that page, and touches nothing else.
    name: 'mapInstallsExactlyTheRequestedEntry',
    source: `${SOURCE} § primitive 1, Map: the backend provides a buffer to the frontend, which may re-map it onward provided that Revoke is transitive`,
    check: ({ op, before, after, result }) => {
      const o = typedOp(xenSignatures, op);
      if ((o?.op !== 'map' && o?.op !== 'remap') || !result.ok) return undefined;
      const page = pageNamed(o.args.page);
      const entry: Mapping = { page, into: domainNamed(o.args.into), from: o.op === 'map' ? BACKEND : domainNamed(o.args.from) };
      const want = snapshotXen(before);
      want.mappings.push(entry);
      want.faultRoutes = want.faultRoutes.filter((r) => !(r.page === page && r.domain === entry.into));
      const diff = firstDifference(want, after);
      return diff === undefined ? undefined : `${op.op} of ${pg(page)} by ${dm(entry.from)} into ${dm(entry.into)} returned OK: ${diff}`;
    },
  },
  {
    // 004, "Revoke" and decision 2 of README.md: revoke(page, frontend) takes away that frontend's mapping and what
    // was re-mapped from it, routes those domains' faults to the backend, reports how many it took, and leaves
    // every other mapping (another frontend's, another page's) and every other fault route in place.
    name: 'revokeTakesOnlyTheFrontendsChain',
    source: `${SOURCE} § primitive 2, Revoke: revokes the frontend's access to the pages (and, by the re-map exception, what it passed on)`,
    check: ({ op, before, after, result }) => {
      const revoke = argsOf(xenSignatures, op, 'revoke');
      if (revoke === undefined || !result.ok) return undefined;
      const page = pageNamed(revoke.page);
      const frontend = domainNamed(revoke.frontend);
      const lost = revokedSubtree(before, page, frontend);
      const want = snapshotXen(before);
      want.mappings = want.mappings.filter((m) => !(m.page === page && lost.includes(m.into)));
      want.faultRoutes = want.faultRoutes.filter((r) => !(r.page === page && lost.includes(r.domain)));
      for (const d of lost) want.faultRoutes.push({ page, domain: d, server: BACKEND });
      const what = `revoke(${pg(page)} from ${dm(frontend)})`;
      const diff = firstDifference(want, after);
      if (diff !== undefined) return `${what} should take ${lost.length === 0 ? 'nothing' : lost.map(dm).join(', ')}: ${diff}`;
      if (result.value !== lost.length) return `${what} took ${lost.length} mappings but returned ${String(result.value)}`;
      return undefined;
    },
  },
  {
    // 004, "Steal" and "Return": each moves one page, with its quota and charge, between the frontend and the
    // backend (Steal leaving it mapped in the frontend, Return dropping the backend's entries and fault routes of
    // that page); every other page, hold and counter stays as it was.
    name: 'stealAndReturnMoveExactlyOnePage',
    source: `${SOURCE} § primitive 3, Steal (the page becomes the backend's, as if provided via Map); primitive 4, Return (the page becomes the frontend's)`,
    check: ({ op, before, after, result }) => {
      const o = typedOp(xenSignatures, op);
      if ((o?.op !== 'steal' && o?.op !== 'return') || !result.ok) return undefined;
      const page = pageNamed(o.args.page);
      const want = snapshotXen(before);
      if (o.op === 'steal') {
        const from = domainNamed(o.args.from);
        moved(want, page, from, BACKEND);
        want.mappings.push({ page, into: from, from: BACKEND });
        want.faultRoutes = want.faultRoutes.filter((r) => !(r.page === page && r.domain === from));
      } else {
        moved(want, page, BACKEND, domainNamed(o.args.to));
        want.mappings = want.mappings.filter((m) => m.page !== page);
        want.faultRoutes = want.faultRoutes.filter((r) => r.page !== page);
      }
      const diff = firstDifference(want, after);
      return diff === undefined ? undefined : `${op.op} of ${pg(page)} returned OK: ${diff}`;
    },
  },
  {
    // 004 names no error codes; README.md (decision 1 and the table of operations) gives each refusal of Map,
    // re-map, Return, grant, foreign map and hypercall its code. A request none of those cases covers succeeds,
    // unless its p2m update fails (-ENOMEM).
    name: 'refusalsMatchTheirCause',
    source: `${SOURCE} § primitive 1, Map; primitive 3, Steal fails if ... (one case each); primitive 4, Return; codes: README.md decision 1 (the thread names none)`,
    check: ({ op, before, result, faults }) => {
      if (!JUDGED_REFUSALS.has(op.op)) return undefined;
      const refusal = expectedRefusal(before, op);
      const got = result.ok ? 'OK' : result.error;
      if (refusal !== undefined && got === refusal.error) return undefined;
      const want = refusal?.error ?? (faults.length > 0 ? '-ENOMEM' : 'OK');
      if (got === want) return undefined;
      const call = callText({ op: op.op, args: Object.fromEntries(Object.entries(op.args).filter(([k]) => k !== 'faults')) });
      if (refusal !== undefined) return `${call} gave ${got} although ${refusal.reason}, which calls for ${refusal.error}`;
      return want === 'OK' ? `${call} was refused with ${got}, but no refusal case applies` : `${call} gave ${got} although its p2m update failed (-ENOMEM)`;
    },
  },
];
