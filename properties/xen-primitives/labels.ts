// The cases of the Xen primitives that must occur often in what the generator produces: a Revoke while a hypercall
// of the frontend uses the page, an access to a revoked page, a Steal refused because the page is in use, a page
// granted to several domains, and one of several holds of a page ended while the others remain.
// `npm run check` prints how often each occurred; the tests require at least `minShare` of the cases to carry it.

import type { Step } from '../../model/common/spec.js';
import type { XenState } from '../../model/xen-primitives/index.js';
import { argsOf, typedOp } from '../../model/common/schema.js';
import { domainNamed, pageNamed, xenSignatures } from '../../model/xen-primitives/operations.js';
import type { CaseLabel } from '../harness/suite.js';

export const xenLabels: readonly CaseLabel<XenState>[] = [
  {
    name: 'revokeDuringHypercall',
    description: 'Revoke takes a page away from a frontend while a hypercall is using that page',
    minShare: 0.2,
    test: ({ op, before, result }: Step<XenState>) => {
      const revoke = argsOf(xenSignatures, op, 'revoke');
      if (revoke === undefined || !result.ok || result.value === 0) return false;
      const page = pageNamed(revoke.page);
      return before.hypercalls.some((h) => h.page === page);
    },
  },
  {
    name: 'accessToRevokedPage',
    description: 'a domain touches a page revoked from it (the access must fault to the backend)',
    minShare: 0.06,
    test: ({ op, before }: Step<XenState>) => {
      const access = argsOf(xenSignatures, op, 'access');
      if (access === undefined) return false;
      const page = pageNamed(access.page);
      const domain = domainNamed(access.domain);
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
      const o = typedOp(xenSignatures, op);
      const table = o?.op === 'ungrant' ? before.grants : o?.op === 'foreignUnmap' ? before.foreignMappings : o?.op === 'endHypercall' ? before.hypercalls : undefined;
      if (o === undefined || !('slot' in o.args) || table === undefined || table.length === 0) return false;
      const page = table[o.args.slot % table.length]?.page;
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
