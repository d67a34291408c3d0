// Operation lists for the KVM stage-2 decision. The input space is small and every field is drawn uniformly;
// a fault on memory without struct pages is always generated behind a VM_PFNMAP VMA that is not
// VM_MTE_ALLOWED (the only way such a fault can happen). Each operation is one enumerated record (one random
// integer over its whole input space, and the kind of operation one more: cheap to generate); enum fields shrink toward their first value and
// booleans toward false, so a shrunk case names only the inputs that decide it.

import fc from 'fast-check';
import { operationsOf } from '../../model/common/schema.js';
import type { Operation } from '../../model/common/values.js';
import { stage2Signatures } from '../../model/kvm-stage2/operations.js';
import { enumeratedOneOf, enumeratedRecord } from '../harness/enumerated.js';

const op = operationsOf(stage2Signatures);
const bool = [false, true] as const;
const memType = ['normal', 'normal-nc', 'device'] as const;
const host = { fwb: bool, dic: bool, vmMte: bool };
const guest = { access: ['read', 'write', 'exec'] as const, guestS1: ['normal-wb', 'normal-nc', 'device'] as const };

export const faultOp: fc.Arbitrary<Operation> = enumeratedRecord(
  {
    pfn: ['ram', 'devmem', 'mmio'] as const,
    pfnmap: bool,
    io: bool,
    allowAnyUncached: bool,
    mteAllowed: bool,
    pgprot: memType,
    ...host,
    ...guest,
  },
  (a) => {
    const raw = a.pfn === 'ram';
    return op('fault', { ...a, pfnmap: raw ? a.pfnmap : true, mteAllowed: raw ? a.mteAllowed : false });
  },
);

export const memslotOp: fc.Arbitrary<Operation> = enumeratedRecord(
  { pfnmap: bool, io: bool, allowAnyUncached: bool, mteAllowed: bool, pgprot: memType, ...host },
  (args) => op('memslot', args),
);

export const nvgraceFaultOp: fc.Arbitrary<Operation> = enumeratedRecord(
  { region: ['usemem', 'resmem'] as const, ...host, ...guest },
  (args) => op('nvgraceFault', args),
);

export const stage2Operations: fc.Arbitrary<Operation[]> = fc.array(
  enumeratedOneOf({ weight: 5, arbitrary: faultOp }, { weight: 2, arbitrary: memslotOp }, { weight: 3, arbitrary: nvgraceFaultOp }),
  { minLength: 1, maxLength: 6 },
);
