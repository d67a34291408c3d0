// State of the Xen memory primitives a virtio-GPU backend needs (Map, Revoke, Steal, Return) and of everything
// their rules depend on: page ownership and quotas, mappings of backend buffers and their re-mappings, grants,
// foreign mappings, pages held by in-progress hypercalls, and where a fault on a revoked page is delivered.
// Source: 004_a962dd2d5e662cda.txt (xen-devel, "Xen memory management primitives for GPU virtualization").
//
// The system is deliberately small and fixed: four domains and eight pages. Operation arguments are taken modulo
// these sizes, so any shrunk or edited list of operations still names real domains and pages.

export type DomId = number;
export type PageId = number;

/** The IOREQ server that runs the virtio-GPU device: it provides buffers, steals and returns pages. */
export const BACKEND: DomId = 0;
export const NUM_DOMAINS = 4;

/**
 * - ram:  system memory, backed by a page_info, reference counted and charged to its owner's quota;
 * - bar:  GPU device memory behind a PCIe BAR, which the backend can hand out with Map (no page_info, no quota);
 * - mmio: a frontend's own MMIO range (an emulated or passed-through device's registers; no page_info, no quota).
 */
export type PageKind = 'ram' | 'bar' | 'mmio';

export interface PageLayout {
  readonly kind: PageKind;
  readonly owner: DomId;
}

/**
 * The machine: the backend has two RAM pages and one BAR page to hand out; d1, the main frontend, has two RAM pages
 * and an MMIO page; d2 and d3 (further frontends, or any other guest) have one RAM page each.
 */
export const PAGE_LAYOUT: readonly PageLayout[] = [
  { kind: 'ram', owner: 0 },
  { kind: 'ram', owner: 0 },
  { kind: 'bar', owner: 0 },
  { kind: 'ram', owner: 1 },
  { kind: 'ram', owner: 1 },
  { kind: 'mmio', owner: 1 },
  { kind: 'ram', owner: 2 },
  { kind: 'ram', owner: 3 },
];
export const NUM_PAGES = PAGE_LAYOUT.length;

export interface Page {
  readonly id: PageId;
  readonly kind: PageKind;
  /** page_get_owner(): the domain the page belongs to. */
  owner: DomId;
}

export interface Domain {
  readonly id: DomId;
  /** The domain's page quota (d->max_pages): how many RAM pages it may own. Steal and Return move it. */
  quota: number;
  /** d->tot_pages: RAM pages charged to the domain. */
  totPages: number;
  /** d->page_list: the pages the domain owns (RAM, and the BAR / MMIO pages it is the owner of). */
  pageList: PageId[];
  /** IOREQ_TYPE_FAULT requests this domain has received as an IOREQ server. */
  ioreqFaults: number;
}

/**
 * A backend page present in a domain's p2m without being owned by it. `from` is who put it there: the backend
 * (a Map, or a Steal leaving the page in place) or a domain that re-mapped its own mapping of the page onward.
 */
export interface Mapping {
  readonly page: PageId;
  readonly into: DomId;
  readonly from: DomId;
}

/** A grant-table entry: `granter` lets `grantee` map its page (modelled as granted and mapped). */
export interface Grant {
  readonly page: PageId;
  readonly granter: DomId;
  readonly grantee: DomId;
}

/** A privileged foreign mapping of another domain's page (XENMEM_add_to_physmap gmfn_foreign, privcmd). */
export interface ForeignMapping {
  readonly page: PageId;
  readonly by: DomId;
}

/** A page that an in-progress hypercall issued by `domain` uses (Xen holds a reference until it completes). */
export interface HypercallUse {
  readonly page: PageId;
  readonly domain: DomId;
}

/**
 * A revoked p2m entry: an access by `domain` to `page` is turned into an IOREQ_TYPE_FAULT request to `server`
 * (the p2m_mmio_dm entry plus the IOREQ server's fault rangeset that the thread's reply proposes).
 */
export interface FaultRoute {
  readonly page: PageId;
  readonly domain: DomId;
  readonly server: DomId;
}

export interface XenState {
  domains: Domain[];
  pages: Page[];
  mappings: Mapping[];
  grants: Grant[];
  foreignMappings: ForeignMapping[];
  hypercalls: HypercallUse[];
  faultRoutes: FaultRoute[];
}

export function initialXenState(): XenState {
  const pages = PAGE_LAYOUT.map((l, id): Page => ({ id, kind: l.kind, owner: l.owner }));
  const domains: Domain[] = [];
  for (let id = 0; id < NUM_DOMAINS; id++) {
    const ram = pages.filter((p) => p.owner === id && p.kind === 'ram').length;
    domains.push({ id, quota: ram, totPages: ram, pageList: pages.filter((p) => p.owner === id).map((p) => p.id), ioreqFaults: 0 });
  }
  return { domains, pages, mappings: [], grants: [], foreignMappings: [], hypercalls: [], faultRoutes: [] };
}

/** The sum of all quotas in the initial state; Steal and Return only move quota between domains. */
export const TOTAL_QUOTA = initialXenState().domains.reduce((sum, d) => sum + d.quota, 0);

export function snapshotXen(s: XenState): XenState {
  return {
    domains: s.domains.map((d) => ({ ...d, pageList: [...d.pageList] })),
    pages: s.pages.map((p) => ({ ...p })),
    mappings: s.mappings.map((m) => ({ ...m })),
    grants: s.grants.map((g) => ({ ...g })),
    foreignMappings: s.foreignMappings.map((f) => ({ ...f })),
    hypercalls: s.hypercalls.map((h) => ({ ...h })),
    faultRoutes: s.faultRoutes.map((r) => ({ ...r })),
  };
}

const d = (id: DomId): string => `d${id}`;
const p = (id: PageId): string => `p${id}`;

export function describeXen(s: XenState): string {
  const parts: string[] = [];
  parts.push('tot/quota ' + s.domains.map((x) => `${d(x.id)}=${x.totPages}/${x.quota}`).join(' '));
  const moved = s.pages.filter((pg) => pg.owner !== PAGE_LAYOUT[pg.id]?.owner);
  if (moved.length > 0) parts.push('owners ' + moved.map((pg) => `${p(pg.id)}:${d(pg.owner)}`).join(' '));
  if (s.mappings.length > 0) parts.push('maps ' + s.mappings.map((m) => `${p(m.page)}:${d(m.from)}->${d(m.into)}`).join(' '));
  if (s.grants.length > 0) parts.push('grants ' + s.grants.map((g) => `${p(g.page)}:${d(g.granter)}->${d(g.grantee)}`).join(' '));
  if (s.foreignMappings.length > 0) parts.push('foreign ' + s.foreignMappings.map((f) => `${p(f.page)}@${d(f.by)}`).join(' '));
  if (s.hypercalls.length > 0) parts.push('hypercalls ' + s.hypercalls.map((h) => `${p(h.page)}@${d(h.domain)}`).join(' '));
  if (s.faultRoutes.length > 0) parts.push('faults ' + s.faultRoutes.map((r) => `${p(r.page)}@${d(r.domain)}=>${d(r.server)}`).join(' '));
  const ioreq = s.domains.filter((x) => x.ioreqFaults > 0);
  if (ioreq.length > 0) parts.push('ioreq ' + ioreq.map((x) => `${d(x.id)}=${x.ioreqFaults}`).join(' '));
  return parts.join(' | ');
}
