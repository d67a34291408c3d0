// Seeded bugs of the Xen primitives: each is the specification with exactly one method overridden, the way a
// hypervisor implementation of the thread's proposal could plausibly get it wrong.

import type { FaultPlan } from '../../model/common/faults.js';
import { fail, ok, type Result } from '../../model/common/result.js';
import { BACKEND, XenPrimitivesModel, type DomId, type Page, type PageId, type XenState } from '../../model/xen-primitives/index.js';
import type { Mapping } from '../../model/xen-primitives/state.js';
import { mutantOf, type MutantDef } from '../harness/suite.js';

/** Revoke removes the frontend's own mapping only; what it re-mapped onward stays mapped. */
class RevokeNotTransitive extends XenPrimitivesModel {
  override collectRevoked(s: XenState, page: PageId, frontend: DomId): Mapping[] {
    return super.collectRevoked(s, page, frontend).slice(0, 1);
  }
}

/** Revoke refuses while a hypercall holds a reference to the page (as removing a referenced p2m entry might). */
class RevokeBusyWhileInHypercall extends XenPrimitivesModel {
  override revoke(s: XenState, page: PageId, frontend: DomId): Result {
    if (s.hypercalls.some((h) => h.page === page)) return fail('-EBUSY');
    return super.revoke(s, page, frontend);
  }
}

/** Revoke routes a re-mapped domain's faults to the domain it got the buffer from, not to the backend. */
class RevokeRoutesFaultsToTheRemapper extends XenPrimitivesModel {
  override faultServer(_s: XenState, m: Mapping): DomId {
    return m.from;
  }
}

/** The CPU access path keeps using a translation that Revoke removed (no flush of the revoked entry). */
class AccessUsesStaleTranslation extends XenPrimitivesModel {
  override mayTouch(s: XenState, page: PageId, domain: DomId): boolean {
    return super.mayTouch(s, page, domain) || s.faultRoutes.some((r) => r.page === page && r.domain === domain);
  }
}

/** The CPU access path ignores grant mappings: a grantee cannot read the page it was granted. */
class AccessIgnoresGrantMappings extends XenPrimitivesModel {
  override mayTouch(s: XenState, page: PageId, domain: DomId): boolean {
    const grants = s.grants;
    s.grants = [];
    try {
      return super.mayTouch(s, page, domain);
    } finally {
      s.grants = grants;
    }
  }
}

/** A frontend may grant a buffer that the backend mapped into it. */
class GrantAcceptsMappedBuffer extends XenPrimitivesModel {
  override mayGrant(s: XenState, page: PageId, granter: DomId): boolean {
    return super.mayGrant(s, page, granter) || this.holdsMappedBuffer(s, page, granter);
  }
}

/** A frontend may pass a buffer the backend mapped into it to a hypercall. */
class HypercallAcceptsMappedBuffer extends XenPrimitivesModel {
  override mayUseInHypercall(s: XenState, page: PageId, domain: DomId): boolean {
    return super.mayUseInHypercall(s, page, domain) || this.holdsMappedBuffer(s, page, domain);
  }
}

/** Steal does not look at the grant table. */
class StealIgnoresGrants extends XenPrimitivesModel {
  override stealBusyReason(s: XenState, page: PageId, from: DomId): string | undefined {
    const grants = s.grants;
    s.grants = [];
    try {
      return super.stealBusyReason(s, page, from);
    } finally {
      s.grants = grants;
    }
  }
}

/** Steal does not look for foreign mappings of the page. */
class StealIgnoresForeignMappings extends XenPrimitivesModel {
  override stealBusyReason(s: XenState, page: PageId, from: DomId): string | undefined {
    const foreign = s.foreignMappings;
    s.foreignMappings = [];
    try {
      return super.stealBusyReason(s, page, from);
    } finally {
      s.foreignMappings = foreign;
    }
  }
}

/** Steal does not check for references held by in-progress hypercalls. */
class StealIgnoresHypercalls extends XenPrimitivesModel {
  override stealBusyReason(s: XenState, page: PageId, from: DomId): string | undefined {
    const held = s.hypercalls;
    s.hypercalls = [];
    try {
      return super.stealBusyReason(s, page, from);
    } finally {
      s.hypercalls = held;
    }
  }
}

/** Steal accepts any page the frontend owns, MMIO included. */
class StealAllowsMmio extends XenPrimitivesModel {
  override stealableKind(pg: Page): boolean {
    return pg.kind !== 'bar';
  }
}

/** Ownership moves but the quota (max_pages) stays put; only tot_pages follows the page. */
class QuotaNotMoved extends XenPrimitivesModel {
  override moveQuota(s: XenState, from: DomId, to: DomId): void {
    const quotas = s.domains.map((d) => d.quota);
    super.moveQuota(s, from, to);
    for (const d of s.domains) d.quota = quotas[d.id] ?? d.quota;
  }
}

/** Return credits the frontend's quota twice (the quota update runs in both the backend and the frontend path). */
class QuotaMovedTwiceOnReturn extends XenPrimitivesModel {
  override moveQuota(s: XenState, from: DomId, to: DomId): void {
    super.moveQuota(s, from, to);
    if (from === BACKEND) {
      const dest = s.domains[to];
      const back = s.domains[BACKEND];
      if (dest !== undefined && back !== undefined) {
        dest.quota += 1;
        back.quota -= 1;
      }
    }
  }
}

/** Return hands the page over but leaves the backend's p2m claims (mapping, fault routes) in place. */
class ReturnLeavesBackendMapping extends XenPrimitivesModel {
  override releaseBackendClaims(): void {}
}

/** Moving a page adds it to the new owner's page list without taking it off the old one. */
class TransferLeavesPageOnOldList extends XenPrimitivesModel {
  override transferOwnership(s: XenState, page: PageId, from: DomId, to: DomId): void {
    super.transferOwnership(s, page, from, to);
    const old = s.domains[from];
    if (old !== undefined && !old.pageList.includes(page)) old.pageList.push(page);
  }
}

/** Steal moves quota and tot_pages but the page_info keeps the frontend as owner (the reply's question). */
class StealLeavesFrontendAsOwner extends XenPrimitivesModel {
  override transferOwnership(s: XenState, page: PageId, from: DomId, to: DomId): void {
    if (to !== BACKEND) super.transferOwnership(s, page, from, to);
  }
}

/** A re-map does not check that the re-mapping domain holds the buffer at all. */
class RemapWithoutHoldingTheBuffer extends XenPrimitivesModel {
  override holdsMappedBuffer(): boolean {
    return true;
  }
}

/** Steal's error path gives the page back but not its quota. */
class StealRollbackKeepsQuota extends XenPrimitivesModel {
  override rollbackSteal(s: XenState, page: PageId, from: DomId): void {
    this.transferOwnership(s, page, BACKEND, from);
  }
}

/** Return does not check for hypercalls still holding the page. */
class ReturnIgnoresHypercalls extends XenPrimitivesModel {
  override returnBusyReason(s: XenState, page: PageId, to: DomId): string | undefined {
    const held = s.hypercalls;
    s.hypercalls = [];
    try {
      return super.returnBusyReason(s, page, to);
    } finally {
      s.hypercalls = held;
    }
  }
}

/** Steal transfers the page but does not leave it mapped in the frontend (the frontend loses its memory). */
class StealWithoutMapping extends XenPrimitivesModel {
  override steal(s: XenState, page: PageId, from: DomId, faults: FaultPlan): Result {
    const result = super.steal(s, page, from, faults);
    if (result.ok) s.mappings = s.mappings.filter((m) => !(m.page === page && m.into === from));
    return result;
  }
}

/** Ending a grant ends every grant of that page (the grant is looked up by page, not by its entry). */
class UngrantEndsEveryGrantOfThePage extends XenPrimitivesModel {
  override ungrant(s: XenState, slot: number): Result {
    const page = s.grants[slot % s.grants.length]?.page;
    s.grants = s.grants.filter((g) => g.page !== page);
    return ok();
  }
}

/** Removing one foreign mapping removes every foreign mapping of that page. */
class ForeignUnmapEndsEveryForeignMappingOfThePage extends XenPrimitivesModel {
  override foreignUnmap(s: XenState, slot: number): Result {
    const page = s.foreignMappings[slot % s.foreignMappings.length]?.page;
    s.foreignMappings = s.foreignMappings.filter((f) => f.page !== page);
    return ok();
  }
}

/** A completing hypercall drops the references of every hypercall using the same page. */
class EndHypercallEndsEveryHypercallOfThePage extends XenPrimitivesModel {
  override endHypercall(s: XenState, slot: number): Result {
    const page = s.hypercalls[slot % s.hypercalls.length]?.page;
    s.hypercalls = s.hypercalls.filter((h) => h.page !== page);
    return ok();
  }
}

/** A hypercall is accepted but takes no reference to its page, so nothing stops a Steal or Return meanwhile. */
class BeginHypercallTakesNoReference extends XenPrimitivesModel {
  override beginHypercall(s: XenState, page: PageId, domain: DomId): Result {
    return this.mayUseInHypercall(s, page, domain) ? ok() : fail('-EFAULT');
  }
}

/** A re-map records the backend, not the re-mapping domain, as the provider: Revoke of that domain misses it. */
class RemapRecordsTheBackendAsProvider extends XenPrimitivesModel {
  override remap(s: XenState, page: PageId, from: DomId, into: DomId, faults: FaultPlan): Result {
    const result = super.remap(s, page, from, into, faults);
    if (result.ok) s.mappings = s.mappings.map((m) => (m.page === page && m.into === into ? { ...m, from: BACKEND } : m));
    return result;
  }
}

/** Revoke from one frontend takes the page away from every frontend that has it mapped. */
class RevokeTakesEveryMappingOfThePage extends XenPrimitivesModel {
  override collectRevoked(s: XenState, page: PageId, frontend: DomId): Mapping[] {
    return super.collectRevoked(s, page, frontend).length === 0 ? [] : s.mappings.filter((m) => m.page === page);
  }
}

/** Return clears the destination's whole fault rangeset, not only the returned page's routes. */
class ReturnClearsTheFrontendsFaultRoutes extends XenPrimitivesModel {
  override returnPage(s: XenState, page: PageId, to: DomId): Result {
    const result = super.returnPage(s, page, to);
    if (result.ok) s.faultRoutes = s.faultRoutes.filter((r) => r.domain !== to);
    return result;
  }
}

/** Return is refused while the backend foreign-maps any page at all, not only the one returned. */
class ReturnBusyWhileAnyPageIsForeignMapped extends XenPrimitivesModel {
  override returnBusyReason(s: XenState, page: PageId, to: DomId): string | undefined {
    const f = s.foreignMappings[0];
    return super.returnBusyReason(s, page, to) ?? (f === undefined ? undefined : `foreign-mapped by d${f.by}`);
  }
}

/** A domain may grant its page to itself (the self-grant check is missing). */
class GrantToOneselfAccepted extends XenPrimitivesModel {
  override grant(s: XenState, page: PageId, granter: DomId, grantee: DomId): Result {
    if (granter !== grantee || !this.mayGrant(s, page, granter)) return super.grant(s, page, granter, grantee);
    s.grants.push({ page, granter, grantee });
    return ok();
  }
}

/** A revoked access is answered with the IOREQ fault, but the request never reaches the backend's IOREQ server. */
class RevokedAccessNotDelivered extends XenPrimitivesModel {
  override access(s: XenState, page: PageId, domain: DomId, write: boolean): Result {
    const counts = s.domains.map((d) => d.ioreqFaults);
    const result = super.access(s, page, domain, write);
    for (const d of s.domains) d.ioreqFaults = counts[d.id] ?? d.ioreqFaults;
    return result;
  }
}

/** Steal answers every refusal with -EINVAL, as upstream steal_page() does, losing the reason the thread asks for. */
class StealAnswersEveryRefusalWithEinval extends XenPrimitivesModel {
  override steal(s: XenState, page: PageId, from: DomId, faults: FaultPlan): Result {
    const result = super.steal(s, page, from, faults);
    return !result.ok && (result.error === '-EPERM' || result.error === '-EBUSY') ? fail('-EINVAL') : result;
  }
}

/** Steal is refused while any page at all is granted (the grant table is searched without the page). */
class StealBusyWhileAnyPageIsGranted extends XenPrimitivesModel {
  override stealBusyReason(s: XenState, page: PageId, from: DomId): string | undefined {
    const g = s.grants[0];
    return super.stealBusyReason(s, page, from) ?? (g === undefined ? undefined : `granted to d${g.grantee}`);
  }
}

const mutant = mutantOf<XenState>('primitives');

export const xenMutants: readonly MutantDef<XenState>[] = [
  mutant('revokeNotTransitive', 'noAccessAfterRevoke', 3, 'Revoke leaves the mappings the frontend made onward in place', RevokeNotTransitive),
  mutant('accessUsesStaleTranslation', 'noAccessAfterRevoke', 3, 'the access path honours a revoked translation', AccessUsesStaleTranslation),
  mutant('revokeBusyWhileInHypercall', 'revokeNeverFails', 2, 'Revoke returns -EBUSY while a hypercall holds the page', RevokeBusyWhileInHypercall),
  mutant('revokeRoutesFaultsToTheRemapper', 'faultsAfterRevokeGoToTheBackend', 3, "a re-mapped domain's faults go to the frontend it got the page from", RevokeRoutesFaultsToTheRemapper),
  mutant('grantAcceptsMappedBuffer', 'mappedBufferNotUsableInHypercallsOrGrants', 2, 'a frontend can grant a buffer mapped into it', GrantAcceptsMappedBuffer),
  mutant('hypercallAcceptsMappedBuffer', 'mappedBufferNotUsableInHypercallsOrGrants', 2, 'a frontend can use a mapped buffer in a hypercall', HypercallAcceptsMappedBuffer),
  mutant('stealIgnoresGrants', 'stealRefusedWhenUnsafe', 2, 'Steal succeeds on a granted page', StealIgnoresGrants),
  mutant('stealIgnoresForeignMappings', 'stealRefusedWhenUnsafe', 2, 'Steal succeeds on a foreign-mapped page', StealIgnoresForeignMappings),
  mutant('stealIgnoresHypercalls', 'stealRefusedWhenUnsafe', 2, 'Steal succeeds on a page in a hypercall', StealIgnoresHypercalls),
  mutant('stealAllowsMmio', 'stealRefusedWhenUnsafe', 1, 'Steal accepts an MMIO page', StealAllowsMmio),
  mutant('quotaNotMoved', 'quotaIsConserved', 1, 'Steal and Return move the page but not its quota', QuotaNotMoved),
  mutant('quotaMovedTwiceOnReturn', 'quotaIsConserved', 1, 'Return moves two pages of quota for one page', QuotaMovedTwiceOnReturn),
  mutant('returnLeavesBackendMapping', 'returnEndsBackendRights', 2, "Return leaves the backend's mapping and fault routes of the page in place", ReturnLeavesBackendMapping),
  mutant('transferLeavesPageOnOldList', 'everyPageHasExactlyOneOwner', 1, "a page changing owner stays on the old owner's page list", TransferLeavesPageOnOldList),
  mutant('accessIgnoresGrantMappings', 'accessMatchesThePageTables', 2, 'a grantee cannot access the page granted to it', AccessIgnoresGrantMappings),
  mutant('remapWithoutHoldingTheBuffer', 'mappingsFormATreeFromTheBackend', 1, 'any domain can re-map a page it does not hold', RemapWithoutHoldingTheBuffer),
  mutant('stealLeavesFrontendAsOwner', 'chargesMatchOwnership', 1, 'Steal moves quota and charge but the page stays owned by the frontend', StealLeavesFrontendAsOwner),
  mutant('stealRollbackKeepsQuota', 'refusedOperationChangesNothing', 1, "Steal's error path returns the page but not its quota", StealRollbackKeepsQuota),
  mutant('returnIgnoresHypercalls', 'pagesInUseStayWithTheirHolder', 2, 'Return gives away a page a hypercall still holds', ReturnIgnoresHypercalls),
  mutant('stealWithoutMapping', 'stolenPageIsAsIfMapped', 1, 'Steal takes the page without leaving it mapped in the frontend', StealWithoutMapping),
  mutant('ungrantEndsEveryGrantOfThePage', 'holdsBeginAndEndOneAtATime', 3, 'ending one grant of a page granted to two domains ends both', UngrantEndsEveryGrantOfThePage),
  mutant('foreignUnmapEndsEveryForeignMappingOfThePage', 'holdsBeginAndEndOneAtATime', 3, 'removing one foreign mapping of a page removes them all', ForeignUnmapEndsEveryForeignMappingOfThePage),
  mutant('endHypercallEndsEveryHypercallOfThePage', 'holdsBeginAndEndOneAtATime', 3, 'one completing hypercall drops the references of every hypercall on the page', EndHypercallEndsEveryHypercallOfThePage),
  mutant('beginHypercallTakesNoReference', 'holdsBeginAndEndOneAtATime', 1, 'a hypercall takes no reference to its page', BeginHypercallTakesNoReference),
  mutant('remapRecordsTheBackendAsProvider', 'mapInstallsExactlyTheRequestedEntry', 2, 'a re-map is recorded as provided by the backend, so Revoke of the re-mapping domain misses it', RemapRecordsTheBackendAsProvider),
  mutant('revokeTakesEveryMappingOfThePage', 'revokeTakesOnlyTheFrontendsChain', 3, 'Revoke from one frontend takes the page from every frontend', RevokeTakesEveryMappingOfThePage),
  mutant('returnClearsTheFrontendsFaultRoutes', 'stealAndReturnMoveExactlyOnePage', 3, "Return clears the destination's fault routes of every page", ReturnClearsTheFrontendsFaultRoutes),
  mutant('returnBusyWhileAnyPageIsForeignMapped', 'refusalsMatchTheirCause', 2, 'Return is refused while any page is foreign-mapped', ReturnBusyWhileAnyPageIsForeignMapped),
  mutant('stealAnswersEveryRefusalWithEinval', 'stealRefusedWhenUnsafe', 1, 'Steal refuses a page it may not take with -EINVAL whatever the reason', StealAnswersEveryRefusalWithEinval),
  mutant('stealBusyWhileAnyPageIsGranted', 'stealRefusedWhenUnsafe', 2, 'Steal is refused while any page is granted', StealBusyWhileAnyPageIsGranted),
  mutant('revokedAccessNotDelivered', 'faultsAfterRevokeGoToTheBackend', 3, 'a revoked access faults but the backend never receives the IOREQ request', RevokedAccessNotDelivered),
  mutant('grantToOneselfAccepted', 'refusalsMatchTheirCause', 1, 'a domain can grant its page to itself', GrantToOneselfAccepted),
];
