// Revoke under concurrency: schedules in which a Revoke runs while CPUs of the frontends load and store the
// buffer, the frontend re-maps it onward, and hypercalls hold the page; and the races a hypervisor could have
// (each a mutant overriding one step of ConcurrentXenModel).

import fc from 'fast-check';
import { startsOf } from '../../model/common/concurrent.js';
import { operationsOf } from '../../model/common/schema.js';
import { xenSignatures } from '../../model/xen-primitives/operations.js';
import { xenTaskSignatures } from '../../model/xen-primitives/concurrent.js';
import { ok } from '../../model/common/result.js';
import { endedStretch, lockNext, overlapping, type TaskBody, type TaskView } from '../../model/common/scheduler.js';
import type { Operation } from '../../model/common/values.js';
import { ConcurrentXenModel, P2M_LOCK, type ConcurrentXenState, type DomId, type PageId, type XenState } from '../../model/xen-primitives/index.js';
import { interleaved, onThreads, type Call } from '../harness/schedules.js';
import { mutantOf, type MutantDef, type PropertyDef } from '../harness/suite.js';
import { endHypercallOp, xenOperation } from './generators.js';

const op = operationsOf(xenSignatures);
const start = startsOf(xenTaskSignatures);

/** The backend's buffer p0 mostly (where the chains are), any page now and then. */
const page = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.nat(7) });
const frontend = fc.constantFrom(1, 2);

/** A Revoke needs 2 steps (unmap, shoot-down); an access 1 (the load or store). Extra steps are skipped. */
const revokeCall: fc.Arbitrary<Call> = fc.record({ page, frontend }).map((args) => ({ start: start('startRevoke', args), steps: 3 }));
const accessCall: fc.Arbitrary<Call> = fc
  .record({ page, domain: fc.oneof({ weight: 4, arbitrary: frontend }, { weight: 1, arbitrary: fc.constantFrom(0, 3) }), write: fc.boolean() })
  .map((args) => ({ start: start('startAccess', args), steps: 2 }));
const call = fc.oneof({ weight: 2, arbitrary: revokeCall }, { weight: 3, arbitrary: accessCall });

/** Between the task steps: a frontend re-maps the buffer onward, the backend maps it again, hypercalls come and go. */
const atomicStep = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom([1, 2], [2, 1], [1, 3], [2, 3]).map(([from, into]) => op('remap', { page: 0, from, into, faults: [] })) },
  { weight: 2, arbitrary: frontend.map((into) => op('map', { page: 0, into, faults: [] })) },
  { weight: 2, arbitrary: fc.constant(op('beginHypercall', { page: 0, domain: 0 })) },
  { weight: 1, arbitrary: endHypercallOp },
  { weight: 2, arbitrary: xenOperation },
);

/** The buffer mapped into a frontend, perhaps re-mapped one further, perhaps held by a backend hypercall. */
const setup = fc
  .record({ into: frontend, onward: fc.option(fc.constantFrom(1, 2, 3), { freq: 2 }), hypercall: fc.boolean() })
  .map(({ into, onward, hypercall }) => [
    op('map', { page: 0, into, faults: [] }),
    ...(onward !== null && onward !== into ? [op('remap', { page: 0, from: into, into: onward, faults: [] })] : []),
    ...(hypercall ? [op('beginHypercall', { page: 0, domain: 0 })] : []),
  ]);

const raceBlock = interleaved(onThreads(call, 2, 3), atomicStep, { maxEvents: 16, maxAtomic: 3 });

/** Setup, then one or two races, ordinary primitives between them. */
export const concurrentRevokeRuns: fc.Arbitrary<Operation[]> = fc
  .tuple(setup, fc.array(fc.tuple(raceBlock, fc.array(xenOperation, { maxLength: 2 })), { minLength: 1, maxLength: 2 }))
  .map(([first, blocks]) => [...first, ...blocks.flatMap(([r, between]) => [...r, ...between])]);

export const xenConcurrencyProperty: PropertyDef<XenState> = {
  name: 'concurrentRevoke',
  description: 'Revoke racing in-flight loads and stores, re-maps, Maps and hypercalls, every interleaving of their steps',
  source: '004_a962dd2d5e662cda.txt § primitive 2, Revoke (no access once revoked, never blocks) and primitive 1 (re-map only if Revoke is transitive)',
  operations: concurrentRevokeRuns,
  numRuns: 500,
  labels: [
    {
      name: 'revokeOverlapsAccess',
      description: 'a Revoke and a load or store of the same page overlapped in time',
      minShare: 0.2,
      test: ({ after }) => {
        const stretch = endedStretch(after as ConcurrentXenState);
        return (
          stretch !== undefined &&
          overlapping(stretch) &&
          stretch.history.some((h) => h.call.op === 'revoke') &&
          stretch.history.some((h) => h.call.op === 'access' && h.thread !== null)
        );
      },
    },
    {
      name: 'accessInRevokeWindow',
      description: 'a load or store completed between a Revoke\'s unmap and its TLB shoot-down',
      minShare: 0.03,
      test: ({ before, after }) => {
        const done = (after as ConcurrentXenState).tasks?.last?.returned;
        const revoking = ((before as ConcurrentXenState).tasks?.running ?? []).some((t) => t.call.op === 'revoke' && t.locals['lost'] !== undefined);
        return done !== undefined && done.call.op === 'access' && revoking;
      },
    },
    {
      name: 'remapDuringRevoke',
      description: 'a frontend re-mapped the buffer while a Revoke was running',
      minShare: 0.02,
      test: ({ op, result, before }) => op.op === 'remap' && result.ok && ((before as ConcurrentXenState).tasks?.running ?? []).some((t) => t.call.op === 'revoke'),
    },
  ],
};

// ---- Races -------------------------------------------------------------------------------------------------------

/**
 * Revoke looks at what is in use (the mappings to take away, the TLB entries to shoot down) under the p2m lock,
 * drops it, and removes what it found in a second step: a re-map or a page walk in between escapes it.
 */
export class RevokeChecksThenUnmaps extends ConcurrentXenModel {
  override *revokeTask(s: ConcurrentXenState, task: TaskView, page: PageId, frontend: DomId): TaskBody {
    yield lockNext(P2M_LOCK, 'p2m lock; find the mappings and TLB entries in use; unlock');
    const found = this.collectRevoked(s, page, frontend);
    const lost = found.map((m) => m.into);
    const inUse = this.translations(s)
      .filter((t) => t.locals['page'] === page && lost.includes(t.locals['domain'] as DomId))
      .map((t) => t.locals['domain'] as DomId);
    task.locals['lost'] = lost;
    this.scheduler.unlock(s, P2M_LOCK);
    yield lockNext(P2M_LOCK, 'p2m lock; remove what was found, shoot down what was in use; unlock');
    for (const m of found) {
      s.mappings = s.mappings.filter((x) => !(x.page === m.page && x.into === m.into));
      this.routeFault(s, { page: m.page, domain: m.into, server: this.faultServer(s, m) });
    }
    this.shootDown(s, page, inUse);
    this.scheduler.unlock(s, P2M_LOCK);
    return ok(found.length);
  }
}

/** Revoke returns without shooting down the TLB entries of the domains that lost the page. */
export class RevokeSkipsShootDown extends ConcurrentXenModel {
  override shootDown(): void {}
}

/** Revoke waits for the hypercalls that hold the page to end before it removes anything. */
export class RevokeWaitsForHypercalls extends ConcurrentXenModel {
  override *revokeTask(s: ConcurrentXenState, task: TaskView, page: PageId, frontend: DomId): TaskBody {
    for (let h = s.hypercalls.find((x) => x.page === page); h !== undefined; h = s.hypercalls.find((x) => x.page === page))
      yield { at: 'wait for the hypercalls holding the page', waitsFor: `the hypercall of d${h.domain} on p${page} to end` };
    return yield* super.revokeTask(s, task, page, frontend);
  }
}

const raceMutant = mutantOf<XenState>(xenConcurrencyProperty.name);

export const xenRaceMutants: readonly MutantDef<XenState>[] = [
  raceMutant(
    'revokeChecksThenUnmaps',
    'primitivesAreLinearizable',
    5,
    'Revoke finds what is in use under the p2m lock and removes it in a second step (a re-map in between escapes)',
    RevokeChecksThenUnmaps,
  ),
  raceMutant('revokeSkipsShootDown', 'noAccessThroughRevokedTranslation', 6, 'Revoke returns without shooting down the TLB entries of the page', RevokeSkipsShootDown),
  raceMutant('revokeWaitsForHypercalls', 'revokeNeverBlocks', 2, 'Revoke waits for the hypercalls holding the page to end', RevokeWaitsForHypercalls),
];
