// The cases of the stage-2 decision that must occur often in what the generator produces: device memory without
// struct pages mapped cacheable (only with FWB and DIC) or refused, the MTE refusal, an exec fault on memory
// forced non-cacheable, a guest stage-1 attribute that FWB overrides, and the nvgrace-gpu regions end to end.
// Every input is drawn uniformly (the whole space is also checked exhaustively in kvm-stage2.test.ts), so the
// shares are fixed by the space: each minShare is about half the share measured over seeds 1-3 and the test seed.
// `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases to carry it.

import type { Step } from '../../model/common/spec.js';
import type { Stage2State } from '../../model/kvm-stage2/index.js';
import type { CaseLabel } from '../harness/suite.js';

interface Mapped {
  readonly s2: string;
  readonly exec: boolean;
  readonly effective: string;
}

const mapped = ({ result }: Step<Stage2State>): Mapped | undefined => (result.ok ? (result.value as unknown as Mapped) : undefined);
const noStructPage = ({ op }: Step<Stage2State>) => op.op === 'fault' && op.args['pfn'] !== 'ram';
const cacheablePgprot = ({ op }: Step<Stage2State>) => op.args['pgprot'] === 'normal';

export const stage2Labels: readonly CaseLabel<Stage2State>[] = [
  {
    name: 'cacheableWithoutStructPage',
    description: 'a fault on device memory or MMIO without struct pages is mapped Normal cacheable (the host has FWB and DIC)',
    minShare: 0.02,
    test: (s) => noStructPage(s) && mapped(s)?.s2 === 'normal',
  },
  {
    name: 'cacheableRefusedWithoutFwb',
    description: 'a fault on memory without struct pages behind a cacheable VMA is refused (-EFAULT): no FWB or no DIC',
    minShare: 0.12,
    test: (s) => noStructPage(s) && cacheablePgprot(s) && !(s.op.args['fwb'] === true && s.op.args['dic'] === true) && !s.result.ok && s.result.error === '-EFAULT',
  },
  {
    name: 'mteWithoutMteAllowed',
    description: 'a VM with MTE faults on, or registers a memslot over, a VMA without VM_MTE_ALLOWED (refused)',
    minShare: 0.2,
    test: ({ op, result }) => (op.op === 'fault' || op.op === 'memslot') && op.args['vmMte'] === true && op.args['mteAllowed'] === false && !result.ok,
  },
  {
    name: 'execOnNoncacheableRefused',
    description: 'an exec fault on memory forced non-cacheable is refused (-ENOEXEC)',
    minShare: 0.13,
    test: ({ result }) => !result.ok && result.error === '-ENOEXEC',
  },
  {
    name: 'fwbOverridesGuestAttribute',
    description: 'with FWB, a Normal stage-2 entry makes the guest see Write-Back whatever its stage-1 attribute chose',
    minShare: 0.09,
    test: (s) => s.op.args['fwb'] === true && s.op.args['guestS1'] !== 'normal-wb' && mapped(s)?.s2 === 'normal' && mapped(s)?.effective === 'normal-wb',
  },
  {
    // The two outcomes that both look safe (stage2DecisionFollowsTheTable): Device without VM_ALLOW_ANY_UNCACHED,
    // Normal-NC with it.
    name: 'forcedNoncacheableDevice',
    description: 'memory without struct pages forced non-cacheable, without VM_ALLOW_ANY_UNCACHED, is mapped Device',
    minShare: 0.09,
    test: (s) => s.op.args['allowAnyUncached'] === false && mapped(s)?.s2 === 'device',
  },
  {
    name: 'forcedNoncacheableNormalNc',
    description: 'memory without struct pages forced non-cacheable with VM_ALLOW_ANY_UNCACHED (nvgrace resmem included) is mapped Normal-NC',
    minShare: 0.14,
    test: (s) => mapped(s)?.s2 === 'normal-nc',
  },
  {
    name: 'usememCacheableInGuest',
    description: 'the nvgrace-gpu usemem region, faulted into the guest end to end, is Write-Back in the guest',
    minShare: 0.025,
    test: (s) => s.op.op === 'nvgraceFault' && s.op.args['region'] === 'usemem' && mapped(s)?.effective === 'normal-wb',
  },
];
