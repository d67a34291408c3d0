// The operations: the four primitives the thread asks Xen for (Map, Revoke, Steal, Return) and the operations
// their rules depend on (re-map, grant and ungrant, foreign map and unmap, begin and end of a hypercall that uses a
// page, and a CPU access by a domain). Every internal step is a method, so a seeded bug overrides exactly one.
// Source: 004_a962dd2d5e662cda.txt; README.md next to this file says where the model had to choose.
//
// Error results (the thread names none; these are the model's, see README.md):
//   -EINVAL  the request can never be valid: the backend named as the frontend, a re-map into the backend or into
//            the re-mapping domain itself, a grant to oneself, Steal of a page that is not system RAM, Return of
//            BAR memory, a foreign map of one's own page.
//   -EPERM   the caller has no right over the page: Map or Return of a page the backend does not own (any more),
//            Steal of a page the source domain does not own, a re-map by a domain that holds no mapping of the
//            page, a foreign map by a domain other than the backend.
//   -EFAULT  the page is not the domain's own RAM: used in a hypercall, granted or foreign-mapped. A mapped buffer
//            gets exactly this code, as if the domain did not have the page at all. Also the result of an access
//            to a page a domain cannot reach and was never revoked from.
//   -EBUSY   Steal of a page that is in a hypercall, granted or foreign-mapped; Return of a page that is still
//            mapped into a domain other than its destination, granted, or in a hypercall.
//   -EEXIST  Map or re-map into a domain that already holds a mapping of the page.
//   -ENOMEM  installing the p2m entry failed (an injected fault at `p2m_set_entry`); nothing changes.
// Revoke has no error result.

import type { FaultPlan } from '../common/faults.js';
import { fail, ok, type Result } from '../common/result.js';
import { bool, faultList, int, typedOp, type Signatures } from '../common/schema.js';
import type { Model } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import {
  BACKEND,
  initialXenState,
  NUM_DOMAINS,
  NUM_PAGES,
  type DomId,
  type FaultRoute,
  type Mapping,
  type Page,
  type PageId,
  type XenState,
} from './state.js';

const index = () => int(0, 63);

export const xenSignatures = {
  /** The backend maps one of its pages (RAM or BAR) into frontend `into`. */
  map: { page: index(), into: index(), faults: faultList() },
  /** Domain `from`, which holds a mapping of the page, maps it onward into `into`. */
  remap: { page: index(), from: index(), into: index(), faults: faultList() },
  /** The backend revokes `frontend`'s access to the page, and everything `frontend` re-mapped onward. */
  revoke: { page: index(), frontend: index() },
  /** The backend takes frontend `from`'s RAM page over, leaving it mapped in `from` as if by Map. */
  steal: { page: index(), from: index(), faults: faultList() },
  /** The backend gives one of its RAM pages to frontend `to` as that domain's own page. */
  return: { page: index(), to: index() },
  /** `granter` grants its page to `grantee` (which then maps it). */
  grant: { page: index(), granter: index(), grantee: index() },
  /** The grant at `slot` (modulo the number of grants) is ended. */
  ungrant: { slot: index() },
  /** Privileged domain `by` foreign-maps another domain's page. */
  foreignMap: { page: index(), by: index() },
  /** The foreign mapping at `slot` is removed. */
  foreignUnmap: { slot: index() },
  /** A hypercall issued by `domain` starts using the page (Xen takes a reference to it). */
  beginHypercall: { page: index(), domain: index() },
  /** The hypercall at `slot` completes and drops its reference. */
  endHypercall: { slot: index() },
  /** A CPU read or write of the page by `domain`. */
  access: { page: index(), domain: index(), write: bool() },
} satisfies Signatures;

/** A page or domain argument is taken modulo their number, so that every value a generator draws names one. */
export const pageNamed = (index: number): PageId => index % NUM_PAGES;
export const domainNamed = (index: number): DomId => index % NUM_DOMAINS;

/** The outcome of a successful access: the access went through, or it faulted to an IOREQ server. */
export const accessedValue = (write: boolean): string => (write ? 'written' : 'read');
export const faultValue = (server: DomId): string => `ioreq-fault to d${server}`;

export class XenPrimitivesModel implements Model<XenState> {
  initialState(): XenState {
    return initialXenState();
  }

  precondition(s: XenState, op: Operation): boolean {
    switch (op.op) {
      case 'ungrant':
        return s.grants.length > 0;
      case 'foreignUnmap':
        return s.foreignMappings.length > 0;
      case 'endHypercall':
        return s.hypercalls.length > 0;
      default:
        return op.op in xenSignatures;
    }
  }

  apply(s: XenState, op: Operation, faults: FaultPlan): Result {
    const o = typedOp(xenSignatures, op);
    if (o === undefined) return fail('UNKNOWN_OPERATION');
    switch (o.op) {
      case 'map':
        return this.map(s, pageNamed(o.args.page), domainNamed(o.args.into), faults);
      case 'remap':
        return this.remap(s, pageNamed(o.args.page), domainNamed(o.args.from), domainNamed(o.args.into), faults);
      case 'revoke':
        return this.revoke(s, pageNamed(o.args.page), domainNamed(o.args.frontend));
      case 'steal':
        return this.steal(s, pageNamed(o.args.page), domainNamed(o.args.from), faults);
      case 'return':
        return this.returnPage(s, pageNamed(o.args.page), domainNamed(o.args.to));
      case 'grant':
        return this.grant(s, pageNamed(o.args.page), domainNamed(o.args.granter), domainNamed(o.args.grantee));
      case 'ungrant':
        return this.ungrant(s, o.args.slot);
      case 'foreignMap':
        return this.foreignMap(s, pageNamed(o.args.page), domainNamed(o.args.by));
      case 'foreignUnmap':
        return this.foreignUnmap(s, o.args.slot);
      case 'beginHypercall':
        return this.beginHypercall(s, pageNamed(o.args.page), domainNamed(o.args.domain));
      case 'endHypercall':
        return this.endHypercall(s, o.args.slot);
      case 'access':
        return this.access(s, pageNamed(o.args.page), domainNamed(o.args.domain), o.args.write);
    }
  }

  // ---- Map and re-map -------------------------------------------------------------------------------------

  /** Map: a backend-provided buffer (system RAM or a PCIe BAR page) appears in the frontend's p2m. */
  map(s: XenState, page: PageId, into: DomId, faults: FaultPlan): Result {
    if (into === BACKEND) return fail('-EINVAL');
    if (!this.backendControls(s, page)) return fail('-EPERM');
    if (mappingOf(s, page, into) !== undefined) return fail('-EEXIST');
    const error = this.installMapping(s, { page, into, from: BACKEND }, faults);
    return error === undefined ? ok() : fail(error);
  }

  /**
   * Re-map: a frontend uses a buffer it was given in a Map operation of its own, into a further domain. The
   * thread allows this only because Revoke is transitive (see `collectRevoked`).
   */
  remap(s: XenState, page: PageId, from: DomId, into: DomId, faults: FaultPlan): Result {
    if (from === BACKEND || into === BACKEND || into === from) return fail('-EINVAL');
    if (!this.holdsMappedBuffer(s, page, from)) return fail('-EPERM');
    if (mappingOf(s, page, into) !== undefined) return fail('-EEXIST');
    const error = this.installMapping(s, { page, into, from }, faults);
    return error === undefined ? ok() : fail(error);
  }

  /** Map, Revoke and Return act only on pages the backend owns; after Return it no longer does. */
  backendControls(s: XenState, page: PageId): boolean {
    return pageAt(s, page).owner === BACKEND;
  }

  /** Whether `dom` has the page as a buffer mapped into it (by the backend or by a re-map), not as its own. */
  holdsMappedBuffer(s: XenState, page: PageId, dom: DomId): boolean {
    return mappingOf(s, page, dom) !== undefined;
  }

  /** p2m_set_entry for a mapped buffer: may need a page-table page (fallible); replaces a revoked entry. */
  installMapping(s: XenState, m: Mapping, faults: FaultPlan): string | undefined {
    if (faults.fails('p2m_set_entry')) return '-ENOMEM';
    removeWhere(s.faultRoutes, (r) => r.page === m.page && r.domain === m.into);
    s.mappings.push({ ...m });
    return undefined;
  }

  // ---- Revoke ----------------------------------------------------------------------------------------------

  /**
   * Revoke: no error result, whatever the state (the caller is an MMU notifier, which may not fail). Removes the
   * frontend's mapping of the page and, transitively, every mapping made onward from it; each domain that lost the
   * page gets a fault route, so its next access becomes an IOREQ_TYPE_FAULT for the backend. A page the frontend
   * does not hold as a mapped buffer (never mapped, already revoked, the frontend's own page, a page returned to
   * it) is left alone: the call succeeds and changes nothing. Returns how many mappings were removed.
   */
  revoke(s: XenState, page: PageId, frontend: DomId): Result {
    const lost = this.collectRevoked(s, page, frontend);
    for (const m of lost) {
      removeWhere(s.mappings, (x) => x.page === m.page && x.into === m.into);
      this.routeFault(s, { page: m.page, domain: m.into, server: this.faultServer(s, m) });
    }
    return ok(lost.length);
  }

  /** The frontend's mapping of the page and every mapping derived from it, however many re-maps deep. */
  collectRevoked(s: XenState, page: PageId, frontend: DomId): Mapping[] {
    const first = mappingOf(s, page, frontend);
    if (first === undefined) return [];
    const lost: Mapping[] = [first];
    for (let i = 0; i < lost.length; i++) {
      const parent = lost[i] as Mapping;
      for (const m of s.mappings) if (m.page === page && m.from === parent.into && !lost.includes(m)) lost.push(m);
    }
    return lost;
  }

  /** Faults on a revoked page go to the IOREQ server that provided it: the page's owner, the backend. */
  faultServer(s: XenState, m: Mapping): DomId {
    return pageAt(s, m.page).owner;
  }

  routeFault(s: XenState, route: FaultRoute): void {
    removeWhere(s.faultRoutes, (r) => r.page === route.page && r.domain === route.domain);
    s.faultRoutes.push({ ...route });
  }

  // ---- Steal -----------------------------------------------------------------------------------------------

  /**
   * Steal: frontend `from`'s RAM page becomes the backend's, charged to the backend with one page of quota moved
   * along, and stays mapped in `from` exactly as if the backend had provided it with Map. Refused when the page is
   * not `from`'s own (-EPERM: it was provided by another domain, or `from` does not have it), not system RAM
   * (-EINVAL), or when any other party can reach it or Xen holds it (-EBUSY).
   */
  steal(s: XenState, page: PageId, from: DomId, faults: FaultPlan): Result {
    if (from === BACKEND) return fail('-EINVAL');
    const pg = pageAt(s, page);
    if (pg.owner !== from) return fail('-EPERM');
    if (!this.stealableKind(pg)) return fail('-EINVAL');
    if (this.stealBusyReason(s, page, from) !== undefined) return fail('-EBUSY');
    this.transferOwnership(s, page, from, BACKEND);
    this.moveQuota(s, from, BACKEND);
    const error = this.installMapping(s, { page, into: from, from: BACKEND }, faults);
    if (error !== undefined) {
      this.rollbackSteal(s, page, from);
      return fail(error);
    }
    return ok();
  }

  /** Only system memory can change owner: MMIO and BAR pages have no page_info to transfer. */
  stealableKind(pg: Page): boolean {
    return pg.kind === 'ram';
  }

  /** Why the page cannot be stolen from `from` right now, or undefined when nobody but `from` can touch it. */
  stealBusyReason(s: XenState, page: PageId, from: DomId): string | undefined {
    const h = s.hypercalls.find((x) => x.page === page);
    if (h !== undefined) return `in a hypercall of d${h.domain}`;
    const g = s.grants.find((x) => x.page === page);
    if (g !== undefined) return `granted to d${g.grantee}`;
    const f = s.foreignMappings.find((x) => x.page === page);
    if (f !== undefined) return `foreign-mapped by d${f.by}`;
    const m = s.mappings.find((x) => x.page === page && x.into !== from);
    if (m !== undefined) return `mapped into d${m.into}`;
    return undefined;
  }

  /** A failed Steal puts the page and its quota back where they were. */
  rollbackSteal(s: XenState, page: PageId, from: DomId): void {
    this.transferOwnership(s, page, BACKEND, from);
    this.moveQuota(s, BACKEND, from);
  }

  // ---- Return ----------------------------------------------------------------------------------------------

  /**
   * Return: a backend RAM page becomes frontend `to`'s own page, charged to `to` with one page of quota moved
   * along. The backend's mapping of it into `to` (if any) becomes `to`'s ordinary RAM entry, and every fault
   * route for the page is dropped: from now on the backend can neither Map nor Revoke it. Refused (-EBUSY) while
   * another domain still has the page mapped, or while it is granted or in a hypercall, since the backend could
   * no longer take those accesses back.
   */
  returnPage(s: XenState, page: PageId, to: DomId): Result {
    if (to === BACKEND) return fail('-EINVAL');
    if (!this.backendControls(s, page)) return fail('-EPERM');
    if (pageAt(s, page).kind !== 'ram') return fail('-EINVAL');
    if (this.returnBusyReason(s, page, to) !== undefined) return fail('-EBUSY');
    this.releaseBackendClaims(s, page);
    this.transferOwnership(s, page, BACKEND, to);
    this.moveQuota(s, BACKEND, to);
    return ok();
  }

  returnBusyReason(s: XenState, page: PageId, to: DomId): string | undefined {
    const m = s.mappings.find((x) => x.page === page && x.into !== to);
    if (m !== undefined) return `still mapped into d${m.into}`;
    const g = s.grants.find((x) => x.page === page);
    if (g !== undefined) return `granted to d${g.grantee}`;
    const h = s.hypercalls.find((x) => x.page === page);
    if (h !== undefined) return `in a hypercall of d${h.domain}`;
    const f = s.foreignMappings.find((x) => x.page === page);
    if (f !== undefined) return `foreign-mapped by d${f.by}`;
    return undefined;
  }

  /** Drops every hold the backend has on the page through the p2m: its mappings and its fault routes. */
  releaseBackendClaims(s: XenState, page: PageId): void {
    removeWhere(s.mappings, (m) => m.page === page);
    removeWhere(s.faultRoutes, (r) => r.page === page);
  }

  // ---- Ownership and quota ---------------------------------------------------------------------------------

  /** page_list_del from the old owner, page_list_add to the new one (kept in page order), page_set_owner. */
  transferOwnership(s: XenState, page: PageId, from: DomId, to: DomId): void {
    const old = domainAt(s, from).pageList;
    const at = old.indexOf(page);
    if (at >= 0) old.splice(at, 1);
    const list = domainAt(s, to).pageList;
    const before = list.findIndex((x) => x > page);
    list.splice(before < 0 ? list.length : before, 0, page); // kept in page order
    pageAt(s, page).owner = to;
  }

  /** One page of quota, and the one page charged against it, move from one domain to the other. */
  moveQuota(s: XenState, from: DomId, to: DomId): void {
    const a = domainAt(s, from);
    const b = domainAt(s, to);
    a.quota -= 1;
    a.totPages -= 1;
    b.quota += 1;
    b.totPages += 1;
  }

  // ---- Grants, foreign mappings, hypercalls ----------------------------------------------------------------

  /** A domain may grant only its own RAM; a mapped buffer is refused exactly as a page it does not have. */
  grant(s: XenState, page: PageId, granter: DomId, grantee: DomId): Result {
    if (granter === grantee) return fail('-EINVAL');
    if (!this.mayGrant(s, page, granter)) return fail('-EFAULT');
    s.grants.push({ page, granter, grantee });
    return ok();
  }

  mayGrant(s: XenState, page: PageId, granter: DomId): boolean {
    return ownsRam(s, page, granter);
  }

  /**
   * The grant at `slot` (modulo the number of grants) ends: that one entry, and only it, leaves the table. Another
   * grant of the same page, to the same or another grantee, stays, and keeps the page busy.
   */
  ungrant(s: XenState, slot: number): Result {
    s.grants.splice(slot % s.grants.length, 1);
    return ok();
  }

  /** Only the backend (the device model, privileged over its frontends) foreign-maps, and only others' RAM. */
  foreignMap(s: XenState, page: PageId, by: DomId): Result {
    if (by !== BACKEND) return fail('-EPERM');
    const pg = pageAt(s, page);
    if (pg.owner === by) return fail('-EINVAL');
    if (pg.kind !== 'ram') return fail('-EFAULT');
    s.foreignMappings.push({ page, by });
    return ok();
  }

  /** The foreign mapping at `slot` is removed; any other foreign mapping of the same page stays. */
  foreignUnmap(s: XenState, slot: number): Result {
    s.foreignMappings.splice(slot % s.foreignMappings.length, 1);
    return ok();
  }

  /** A hypercall buffer must be the issuing domain's own RAM; a mapped buffer fails as if absent (-EFAULT). */
  beginHypercall(s: XenState, page: PageId, domain: DomId): Result {
    if (!this.mayUseInHypercall(s, page, domain)) return fail('-EFAULT');
    s.hypercalls.push({ page, domain });
    return ok();
  }

  mayUseInHypercall(s: XenState, page: PageId, domain: DomId): boolean {
    return ownsRam(s, page, domain);
  }

  /** The hypercall at `slot` completes and drops its reference; other hypercalls using the same page keep theirs. */
  endHypercall(s: XenState, slot: number): Result {
    s.hypercalls.splice(slot % s.hypercalls.length, 1);
    return ok();
  }

  // ---- CPU access ------------------------------------------------------------------------------------------

  /**
   * A CPU access by `domain`: goes through when the domain owns the page or has it mapped (by Map, a re-map, a
   * grant or a foreign mapping); is turned into an IOREQ_TYPE_FAULT for the backend when the domain's access was
   * revoked; is refused (-EFAULT) otherwise.
   */
  access(s: XenState, page: PageId, domain: DomId, write: boolean): Result {
    if (this.mayTouch(s, page, domain)) return ok(accessedValue(write));
    const route = s.faultRoutes.find((r) => r.page === page && r.domain === domain);
    if (route !== undefined) {
      domainAt(s, route.server).ioreqFaults += 1;
      return ok(faultValue(route.server));
    }
    return fail('-EFAULT');
  }

  mayTouch(s: XenState, page: PageId, domain: DomId): boolean {
    return (
      pageAt(s, page).owner === domain ||
      mappingOf(s, page, domain) !== undefined ||
      s.grants.some((g) => g.page === page && g.grantee === domain) ||
      s.foreignMappings.some((f) => f.page === page && f.by === domain)
    );
  }
}

export function pageAt(s: XenState, page: PageId): Page {
  return s.pages[page] as Page;
}

function domainAt(s: XenState, dom: DomId) {
  return s.domains[dom] as XenState['domains'][number];
}

export function mappingOf(s: XenState, page: PageId, into: DomId): Mapping | undefined {
  return s.mappings.find((m) => m.page === page && m.into === into);
}

function ownsRam(s: XenState, page: PageId, dom: DomId): boolean {
  const pg = pageAt(s, page);
  return pg.owner === dom && pg.kind === 'ram';
}

function removeWhere<T>(list: T[], pred: (x: T) => boolean): void {
  for (let i = list.length - 1; i >= 0; i--) if (pred(list[i] as T)) list.splice(i, 1);
}
