// Conformance: the specification as an oracle for another implementation of the same operations (a driver
// function in C, a userspace port, a simulator). The subsystem's suite is wrapped: the same properties and
// signatures, run on a ConformanceModel (conformance-model.ts), with invariants that compare the results, check
// the subsystem's own invariants on the implementation's state, and turn a crash, a hang, a memory-error report or
// a malformed answer into a violation. Search, shrinking, the store and replay then work unchanged
// (docs/conformance.md).

import type { Invariant, SubsystemSpec } from '../../model/common/spec.js';
import { type ConformState, ConformanceModel } from './conformance-model.js';
import type { FailureKind, Implementation } from './implementation.js';
import { encodeJson, sameResult } from './state-codec.js';
import type { AnySuite, PropertyDef, SubsystemSuite } from './suite.js';
import { implLabel } from './target-label.js';
import { defaultVersion, hasVersion, versionNames, type Target } from './targets.js';
import { formatResult } from './trace.js';

const PROTOCOL_SOURCE = 'docs/conformance.md';

/** The invariants conformance adds before the subsystem's own, in the order they are checked. */
export const CONFORMANCE_INVARIANTS = [
  'implementationMemorySafe',
  'implementationKeepsRunning',
  'implementationAnswersInTime',
  'implementationFollowsProtocol',
  'implementationAssertionsHold',
  'resultMatchesSpecification',
] as const;

function failureInvariant<S>(name: string, kind: FailureKind, source: string): Invariant<ConformState<S>> {
  return { name, source: `${PROTOCOL_SOURCE} § ${source}`, check: ({ after }) => (after.failure?.kind === kind ? after.failure.message : undefined) };
}

export function conformanceInvariants<S>(spec: SubsystemSpec<S>): Invariant<ConformState<S>>[] {
  const own = spec.invariants.map(
    (inv): Invariant<ConformState<S>> => ({
      name: inv.name,
      source: inv.source,
      check: ({ before, after, op, result, faults }) => {
        if (!after.answered) return undefined;
        try {
          return inv.check({ before: before.impl, after: after.impl, op, result, faults });
        } catch (error) {
          return `cannot be checked on the implementation's state (${error instanceof Error ? error.message : String(error)})`;
        }
      },
    }),
  );
  return [
    failureInvariant('implementationMemorySafe', 'memory-error', 'a sanitizer report is a violation'),
    failureInvariant('implementationKeepsRunning', 'crash', 'a crash or an exit is a violation'),
    failureInvariant('implementationAnswersInTime', 'timeout', 'every request is answered within the timeout'),
    failureInvariant('implementationFollowsProtocol', 'protocol', 'one JSON line per request'),
    failureInvariant('implementationAssertionsHold', 'assertion', 'an assertion the implementation reports is a violation'),
    {
      name: 'resultMatchesSpecification',
      source: `${PROTOCOL_SOURCE} § results are compared with the specification's`,
      check: ({ after, result }) => {
        if (!after.answered || after.specResult === undefined || sameResult(result, after.specResult)) return undefined;
        return `the implementation returned ${formatResult(result)}, the specification ${formatResult(after.specResult)}`;
      },
    },
    ...own,
  ];
}

/**
 * The implementation's state copied by the specification's own snapshot, which assumes the specification's shapes:
 * a value the specification does not have at that place (a region where its probe failed, reported with fields
 * missing) may not be copyable that way, and is then copied as plain data. The state is never what fails here.
 */
function snapshotReported<S>(spec: SubsystemSpec<S>, impl: S): S {
  try {
    return spec.snapshot(impl);
  } catch {
    try {
      return structuredClone(impl);
    } catch {
      return impl;
    }
  }
}

/** The implementation's state described as the specification describes its own, or as JSON when that cannot be done. */
function describeReported<S>(spec: SubsystemSpec<S>, impl: S): string {
  try {
    return spec.describe(impl);
  } catch (error) {
    const json = JSON.stringify(encodeJson(impl)) ?? '';
    return `(not in the specification's shape: ${error instanceof Error ? error.message : String(error)}) ${json.length > 400 ? json.slice(0, 400) + '…' : json}`;
  }
}

/** The subsystem's suite as run against an implementation: same properties and signatures, wrapped state. */
export function conformanceSuite<S>(suite: SubsystemSuite<S>, onViolation?: () => void): SubsystemSuite<ConformState<S>> {
  const spec = suite.spec;
  const invariants = conformanceInvariants(spec).map(
    (inv): Invariant<ConformState<S>> =>
      onViolation === undefined
        ? inv
        : {
            ...inv,
            check: (ctx) => {
              const message = inv.check(ctx);
              if (message !== undefined) onViolation();
              return message;
            },
          },
  );
  const wrapped: SubsystemSpec<ConformState<S>> = {
    name: spec.name,
    title: spec.title,
    versions: spec.versions,
    sources: spec.sources,
    signatures: spec.signatures,
    invariants,
    createModel: () => {
      throw new Error('a conformance suite runs through its target (conformanceTarget)');
    },
    snapshot: (st) => ({ ...st, spec: spec.snapshot(st.spec), impl: snapshotReported(spec, st.impl) }),
    describe: (st) => {
      if (st.failure !== undefined) return `implementation: no answer (${st.failure.kind})`;
      if (st.down) return 'implementation: down since an earlier step';
      if (st.unsupported) return `not implemented by the implementation (the specification's result is shown): ${spec.describe(st.spec)}`;
      if (st.notSent) return `not sent to the implementation (the search was stopping): ${spec.describe(st.spec)}`;
      const impl = describeReported(spec, st.impl);
      const ref = spec.describe(st.spec);
      return impl === ref ? impl : `${impl}\n     specification: ${ref}`;
    },
  };
  const properties = suite.properties.map(
    (p): PropertyDef => (p.invariants === undefined ? p : { ...p, invariants: [...CONFORMANCE_INVARIANTS, ...p.invariants] }),
  );
  return { spec: wrapped, properties, mutants: [] };
}


export interface ConformanceTarget extends Target {
  readonly suite: AnySuite;
  readonly implementation: Implementation;
  /**
   * Whether an invariant has failed since the flag was last cleared: from then on `stopping` is not honoured, so a
   * failing case found before the end is shrunk to the end (a shrink cut short would not fail again). Cleared by
   * the caller at the start of each search.
   */
  readonly watch: { violationSeen: boolean };
}

/**
 * A target that runs the subsystem's specification (of `version`, the default when omitted) and `impl` side by
 * side; label `impl:<name>`.
 */
export function conformanceTarget(
  suite: AnySuite,
  impl: Implementation,
  name: string,
  version = defaultVersion(suite),
  /** Once true, no more requests are sent (see ConformanceModel): the end of `--time`, an interrupt. */
  stopping?: () => boolean,
): ConformanceTarget {
  if (!hasVersion(suite, version)) throw new Error(`unknown specification version "${version}" of ${suite.spec.name} (known: ${versionNames(suite).join(', ')})`);
  const watch = { violationSeen: false };
  const stop = stopping === undefined ? undefined : () => !watch.violationSeen && stopping();
  return {
    label: implLabel(name),
    version,
    suite: conformanceSuite(suite, () => (watch.violationSeen = true)),
    implementation: impl,
    watch,
    createModel: () => new ConformanceModel(suite.spec, suite.spec.createModel(version), impl, stop),
  };
}
