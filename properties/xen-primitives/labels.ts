// The cases of the Xen primitives that must occur often in what the generator produces: a Revoke while a hypercall
// of the frontend uses the page, an access to a revoked page, a Steal refused because the page is in use, a page
// granted to several domains, and one of several holds of a page ended while the others remain.
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
    name: 'pageGrantedToSeveralDomains',
    description: 'a page is granted to two or more different domains at once',
    minShare: 0.15,
    test: ({ after }: Step<XenState>) => after.grants.some((g) => after.grants.some((h) => h.page === g.page && h.grantee !== g.grantee)),
  },
  {
    name: 'oneOfSeveralHoldsEnded',
    description: 'an ungrant, foreign unmap or hypercall end removes one of several holds of the same kind on a page',
    minShare: 0.3,
    test: ({ op, before, result }: Step<XenState>) => {
      if (!result.ok) return false;
      const table = op.op === 'ungrant' ? before.grants : op.op === 'foreignUnmap' ? before.foreignMappings : op.op === 'endHypercall' ? before.hypercalls : undefined;
      if (table === undefined || table.length === 0) return false;
      const page = table[(op.args['slot'] as number) % table.length]?.page;
      return table.filter((h) => h.page === page).length >= 2;
    },
  },
  {
    name: 'stealRefused',
    description: 'Steal is refused because someone other than the frontend can still reach the page',
    minShare: 0.3,
    test: ({ op, result, faults }: Step<XenState>) => op.op === 'steal' && !result.ok && faults.length === 0,
  },
];
