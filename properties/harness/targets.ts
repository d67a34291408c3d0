// Resolves what to run a case against: the specification itself or one of its named mutants, of one
// specification version (an external implementation is a conformance target, built by conformance-target.ts).
import type { Model } from '../../model/common/spec.js';
import type { AnySuite } from './suite.js';
import { MODEL_LABEL, mutantLabel, parseTargetLabel } from './target-label.js';

export interface Target {
  /** `model`, `mutant:<name>` or `impl:<name>`, as saved in a counterexample. */
  readonly label: string;
  /** The specification version the target is of (a name of the subsystem's `versions`). */
  readonly version: string;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  readonly createModel: () => Model<any>;
  /** The suite this target runs under, when not the subsystem's own (a conformance target wraps it: conformance-target.ts). */
  readonly suite?: AnySuite;
}

/** The default version of a subsystem: the first of its `versions`. */
export function defaultVersion(suite: AnySuite): string {
  const first = suite.spec.versions[0];
  if (first === undefined) throw new Error(`${suite.spec.name} declares no specification version`);
  return first.name;
}

/** The version names of a subsystem, for messages. */
export function versionNames(suite: AnySuite): string[] {
  return suite.spec.versions.map((v) => v.name);
}

/** Whether `version` is one of the subsystem's versions. */
export function hasVersion(suite: AnySuite, version: string): boolean {
  return suite.spec.versions.some((v) => v.name === version);
}

/** The versions a seeded bug is seeded into: its own list, or the default version alone. */
export function mutantVersions(suite: AnySuite, name: string): readonly string[] {
  return suite.mutants.find((m) => m.name === name)?.versions ?? [defaultVersion(suite)];
}

export function modelTarget(suite: AnySuite, version = defaultVersion(suite)): Target {
  if (!hasVersion(suite, version)) throw new Error(`unknown specification version "${version}" of ${suite.spec.name} (known: ${versionNames(suite).join(', ')})`);
  return { label: MODEL_LABEL, version, createModel: () => suite.spec.createModel(version) };
}

/** A seeded bug of one version; by default the first version it is seeded into. */
export function mutantTarget(suite: AnySuite, name: string, version?: string): Target | undefined {
  const mutant = suite.mutants.find((m) => m.name === name);
  if (mutant === undefined) return undefined;
  const v = version ?? mutantVersions(suite, name)[0] ?? defaultVersion(suite);
  if (!hasVersion(suite, v)) throw new Error(`unknown specification version "${v}" of ${suite.spec.name} (known: ${versionNames(suite).join(', ')})`);
  return { label: mutantLabel(name), version: v, createModel: () => mutant.createModel(v) };
}

/**
 * The target a label names, of `version`: the specification or one of its seeded bugs. Undefined for a label of
 * another form, an unknown seeded bug, or an implementation (`impl:`, which only a conformance target can run).
 */
export function resolveTarget(suite: AnySuite, label: string, version?: string): Target | undefined {
  const parsed = parseTargetLabel(label);
  if (parsed?.kind === 'model') return modelTarget(suite, version);
  if (parsed?.kind === 'mutant') return mutantTarget(suite, parsed.name, version);
  return undefined;
}
