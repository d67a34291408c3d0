// Revoke under concurrency. Source: 004_a962dd2d5e662cda.txt, primitive 2: "Once access is revoked, no operation
// on or in the frontend domain can access or modify the pages, and the backend can safely reuse the backing
// memory", and Revoke runs from an MMU notifier, which may not block or fail. A Revoke is therefore two atomic
// steps, as a hypervisor performs it: under the p2m lock it removes the frontend's mapping and everything
// re-mapped from it and routes their faults to the backend; then it shoots down the TLB entries of the domains
// that lost the page, and only then returns. A CPU access is two steps as well: the page walk (which fills a TLB
// entry) when it is issued, and the load or store, which goes through that entry if it is still there and
// traps (and is decided then) if it is not. Every other primitive (Map, re-map, Steal, Return, grants, foreign
// maps, hypercall begin and end, an access as a whole) stays one atomic step, taken between task steps; one
// that takes a page away from a domain shoots its TLB entries down as part of that step.
//
// Operations added:
//   startRevoke(thread, page, frontend)      thread calls Revoke
//   startAccess(thread, page, domain, write) a CPU of `domain` issues a load or store: the page walk happens now
//   step(thread)                             thread runs its next atomic step

import type { FaultPlan } from '../common/faults.js';
import { concurrentInvariants, TaskFrame, withTaskTable, withTasksDescribed, type TaskSignatures } from '../common/concurrent.js';
import { canonicalJson, linearizability } from '../common/linearizability.js';
import { ok, type Result } from '../common/result.js';
import { lockNext, Scheduler, stepSignature, threadArg, type TaskBody, type TaskView, type WithTasks } from '../common/scheduler.js';
import { argsOf, bool, int, makeOp } from '../common/schema.js';
import type { Invariant } from '../common/spec.js';
import type { Operation } from '../common/values.js';
import { reachers, xenInvariants } from './invariants.js';
import { accessedValue, domainNamed, pageNamed, xenSignatures, XenPrimitivesModel } from './operations.js';
import { describeXen, snapshotXen, type DomId, type PageId, type XenState } from './state.js';

const SOURCE = '004_a962dd2d5e662cda.txt';

export type ConcurrentXenState = XenState & WithTasks;

/** The p2m lock of the frontends' p2m tables (one lock in this small machine). */
export const P2M_LOCK = 'p2m';

const index = () => int(0, 63);

export const xenTaskSignatures = {
  /** Thread `thread` calls Revoke (the arguments of `revoke`). */
  startRevoke: { thread: threadArg(), page: index(), frontend: index() },
  /** A CPU of `domain`, on thread `thread`, issues a load or store of the page (the arguments of `access`). */
  startAccess: { thread: threadArg(), page: index(), domain: index(), write: bool() },
  ...stepSignature,
} satisfies TaskSignatures;

export function snapshotConcurrentXen(s: ConcurrentXenState): ConcurrentXenState {
  return withTaskTable<ConcurrentXenState>(snapshotXen(s), s);
}

export function describeConcurrentXen(s: ConcurrentXenState): string {
  return withTasksDescribed(describeXen(s), s, ' | ');
}

/** An access in flight: its page walk succeeded and the TLB entry is still there. */
function holdsTranslation(task: TaskView): boolean {
  return task.call.op === 'access' && task.locals['tlb'] === true;
}

export class ConcurrentXenModel extends XenPrimitivesModel {
  protected readonly scheduler = new Scheduler(snapshotXen as (s: never) => unknown);

  private readonly tasks = TaskFrame.of<ConcurrentXenState, typeof xenTaskSignatures>(this.scheduler, xenTaskSignatures, {
    startRevoke: {
      start: (s, { thread, page, frontend }) =>
        this.scheduler.start(s, thread, makeOp(xenSignatures, 'revoke', { page, frontend }), (task) => this.revokeTask(s, task, pageNamed(page), domainNamed(frontend))),
    },
    startAccess: {
      start: (s, { thread, page, domain, write }) =>
        this.scheduler.start(s, thread, makeOp(xenSignatures, 'access', { page, domain, write }), (task) =>
          this.accessTask(s, task, pageNamed(page), domainNamed(domain), write),
        ),
    },
  });

  /** The sequential initial state: the task table appears with the first task. */
  override initialState(): ConcurrentXenState {
    this.scheduler.reset();
    return super.initialState();
  }

  override precondition(s: ConcurrentXenState, op: Operation): boolean {
    // Any other primitive is one atomic step, taken while no task holds the p2m lock across a step.
    return this.tasks.precondition(s, op, () => !this.scheduler.anyLockHeld(s) && super.precondition(s, op));
  }

  override apply(s: ConcurrentXenState, op: Operation, faults: FaultPlan): Result {
    return this.tasks.apply(s, op, faults, () => {
      const walked = this.translations(s);
      const result = super.apply(s, op, faults);
      this.shootDownLost(s, walked);
      return result;
    });
  }

  // ---- Revoke as a task ----------------------------------------------------------------------------------------

  /** Unmap under the p2m lock, then shoot down the TLBs of the domains that lost the page, then return. */
  *revokeTask(s: ConcurrentXenState, task: TaskView, page: PageId, frontend: DomId): TaskBody {
    yield lockNext(P2M_LOCK, 'p2m lock; remove the mappings, route faults; unlock');
    const lost = this.unmapForRevoke(s, page, frontend);
    task.locals['lost'] = lost;
    this.scheduler.unlock(s, P2M_LOCK);
    yield { at: 'TLB shoot-down of the domains that lost the page' };
    this.shootDown(s, page, lost);
    return ok(lost.length);
  }

  /** The body of Revoke: the frontend's mapping and every re-mapping of it removed, their faults routed. */
  unmapForRevoke(s: ConcurrentXenState, page: PageId, frontend: DomId): DomId[] {
    const lost = this.collectRevoked(s, page, frontend);
    for (const m of lost) {
      s.mappings = s.mappings.filter((x) => !(x.page === m.page && x.into === m.into));
      this.routeFault(s, { page: m.page, domain: m.into, server: this.faultServer(s, m) });
    }
    return lost.map((m) => m.into);
  }

  /** Every in-flight access of the page by one of `domains` loses its TLB entry. */
  shootDown(s: ConcurrentXenState, page: PageId, domains: readonly DomId[]): void {
    for (const task of s.tasks?.running ?? []) {
      if (holdsTranslation(task) && task.locals['page'] === page && domains.includes(task.locals['domain'] as DomId)) task.locals['tlb'] = false;
    }
  }

  // ---- A CPU access as a task ----------------------------------------------------------------------------------

  /** The page walk now (a TLB entry if the domain reaches the page), the load or store when next scheduled. */
  *accessTask(s: ConcurrentXenState, task: TaskView, page: PageId, domain: DomId, write: boolean): TaskBody {
    task.locals['page'] = page;
    task.locals['domain'] = domain;
    task.locals['tlb'] = this.mayTouch(s, page, domain);
    yield { at: write ? 'store through the TLB' : 'load through the TLB' };
    if (task.locals['tlb'] === true) return ok(accessedValue(write));
    // No TLB entry (none was made, or it was shot down): the access traps and is decided now.
    return this.access(s, page, domain, write);
  }

  // ---- TLB entries and atomic steps ------------------------------------------------------------------------------

  /** The in-flight accesses that hold a TLB entry. */
  translations(s: ConcurrentXenState): TaskView[] {
    return (s.tasks?.running ?? []).filter(holdsTranslation);
  }

  /** After an atomic primitive: a TLB entry whose page the domain no longer reaches was shot down by that primitive. */
  shootDownLost(s: ConcurrentXenState, walked: readonly TaskView[]): void {
    for (const task of walked) {
      if (!this.mayTouch(s, task.locals['page'] as PageId, task.locals['domain'] as DomId)) task.locals['tlb'] = false;
    }
  }
}

// ---- Invariants -----------------------------------------------------------------------------------------------

const pg = (p: PageId) => `p${p}`;
const dm = (d: DomId) => `d${d}`;

export const xenConcurrencyInvariants: readonly Invariant<ConcurrentXenState>[] = [
  {
    // 004, primitive 2: once access is revoked no operation in the frontend can access the pages and the backend
    // may reuse the memory. A load or store may still complete through a TLB entry while the Revoke that took
    // the page away is running, never after it returned.
    name: 'noAccessThroughRevokedTranslation',
    source: `${SOURCE} § primitive 2, Revoke: once revoked, no operation in the frontend can access the pages; the backend can safely reuse them`,
    check: ({ before, after }) => {
      const done = after.tasks?.last?.returned;
      const access = done === undefined ? undefined : argsOf(xenSignatures, done.call, 'access');
      if (done === undefined || access === undefined || !done.result.ok) return undefined;
      if (String(done.result.value).startsWith('ioreq-fault')) return undefined;
      const page = pageNamed(access.page);
      const domain = domainNamed(access.domain);
      if (reachers(before, page).has(domain)) return undefined;
      const revoking = (before.tasks?.running ?? []).some((t) => {
        const revoke = argsOf(xenSignatures, t.call, 'revoke');
        return revoke !== undefined && pageNamed(revoke.page) === page && ((t.locals['lost'] as DomId[] | undefined) ?? []).includes(domain);
      });
      if (revoking) return undefined;
      const verb = access.write ? 'wrote' : 'read';
      return `${dm(domain)} ${verb} ${pg(page)} through a TLB entry after the page was taken from it and no Revoke of it is still running: the backend may already reuse the memory`;
    },
  },
  {
    // 004, primitive 2 (the paragraph after it): Revoke runs from an MMU notifier callback, which may not block.
    name: 'revokeNeverBlocks',
    source: `${SOURCE} § primitive 2: Revoke happens from an MMU notifier callback, which may not block, fail or involve userspace`,
    check: ({ after }) => {
      for (const t of after.tasks?.running ?? []) {
        const revoke = argsOf(xenSignatures, t.call, 'revoke');
        if (revoke !== undefined && t.waitsFor !== undefined)
          return `revoke(${pg(pageNamed(revoke.page))} from ${dm(domainNamed(revoke.frontend))}) on T${t.thread} waits for ${t.waitsFor}: an MMU notifier may not block`;
      }
      return undefined;
    },
  },
  linearizability<ConcurrentXenState>(
    'primitivesAreLinearizable',
    `${SOURCE} § primitive 2, Revoke (and primitive 1: re-map allowed only if Revoke is transitive), as concurrent operations`,
    {
      model: () => new XenPrimitivesModel(),
      copy: (s) => snapshotXen(s),
      canonical: (s) => canonicalJson(s),
      describe: describeXen,
    },
  ),
];

/** The Xen primitives' invariants for runs with tasks: the sequential ones at quiescent points, then the concurrent ones. */
export const concurrentXenInvariants: readonly Invariant<ConcurrentXenState>[] = concurrentInvariants(xenInvariants, snapshotConcurrentXen, xenConcurrencyInvariants);
