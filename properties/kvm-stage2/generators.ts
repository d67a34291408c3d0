// Operation lists for the KVM stage-2 decision. The input space is small and every field is drawn uniformly;
// a fault on memory without struct pages is always generated behind a VM_PFNMAP VMA that is not
// VM_MTE_ALLOWED (the only way such a fault can happen). Enum fields shrink toward their first value and
// booleans toward false, so a shrunk case names only the inputs that decide it.

import fc from 'fast-check';
import type { Operation } from '../../model/common/values.js';

const memType = fc.constantFrom('normal', 'normal-nc', 'device');
const host = { fwb: fc.boolean(), dic: fc.boolean(), vmMte: fc.boolean() };
const guest = { access: fc.constantFrom('read', 'write', 'exec'), guestS1: fc.constantFrom('normal-wb', 'normal-nc', 'device') };

export const faultOp: fc.Arbitrary<Operation> = fc
  .record({
    pfn: fc.constantFrom('ram', 'devmem', 'mmio'),
    pfnmap: fc.boolean(),
    io: fc.boolean(),
    allowAnyUncached: fc.boolean(),
    mteAllowed: fc.boolean(),
    pgprot: memType,
    ...host,
    ...guest,
  })
  .map((a) => {
    const raw = a.pfn === 'ram';
    return { op: 'fault', args: { ...a, pfnmap: raw ? a.pfnmap : true, mteAllowed: raw ? a.mteAllowed : false } };
  });

export const memslotOp: fc.Arbitrary<Operation> = fc
  .record({ pfnmap: fc.boolean(), io: fc.boolean(), allowAnyUncached: fc.boolean(), mteAllowed: fc.boolean(), pgprot: memType, ...host })
  .map((args) => ({ op: 'memslot', args }));

export const nvgraceFaultOp: fc.Arbitrary<Operation> = fc
  .record({ region: fc.constantFrom('usemem', 'resmem'), ...host, ...guest })
  .map((args) => ({ op: 'nvgraceFault', args }));

export const stage2Operations: fc.Arbitrary<Operation[]> = fc.array(
  fc.oneof({ weight: 5, arbitrary: faultOp }, { weight: 2, arbitrary: memslotOp }, { weight: 3, arbitrary: nvgraceFaultOp }),
  { minLength: 1, maxLength: 6 },
);
