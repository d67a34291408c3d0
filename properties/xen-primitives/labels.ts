// The cases of the Xen primitives that must occur often in what the generator produces: a Revoke while a hypercall
// of the frontend uses the page, an access to a revoked page, and a Steal refused because the page is in use.
// `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases to carry it.

import type { Step } from '../../model/common/spec.js';
import type { XenState } from '../../model/xen-primitives/index.js';
import { domArg, pageArg } from '../../model/xen-primitives/operations.js';
import type { CaseLabel } from '../harness/suite.js';

export const xenLabels: readonly CaseLabel<XenState>[] = [
  {
    name: 'revokeDuringHypercall',
    description: 'Revoke takes a page away from a frontend while a hypercall is using that page',
    minShare: 0.2,
    test: ({ op, before, result }: Step<XenState>) => {
      if (op.op !== 'revoke' || !result.ok || result.value === 0) return false;
      const page = pageArg(op.args, 'page');
      return before.hypercalls.some((h) => h.page === page);
    },
  },
  {
    name: 'accessToRevokedPage',
    description: 'a domain touches a page revoked from it (the access must fault to the backend)',
    minShare: 0.06,
    test: ({ op, before }: Step<XenState>) => {
      if (op.op !== 'access') return false;
      const page = pageArg(op.args, 'page');
      const domain = domArg(op.args, 'domain');
      return before.faultRoutes.some((r) => r.page === page && r.domain === domain);
    },
  },
  {
    name: 'stealRefused',
    description: 'Steal is refused because someone other than the frontend can still reach the page',
    minShare: 0.3,
    test: ({ op, result, faults }: Step<XenState>) => op.op === 'steal' && !result.ok && faults.length === 0,
  },
];
