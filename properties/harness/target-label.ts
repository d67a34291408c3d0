// What a case runs on, as a counterexample saves it in `target`: the specification (`model`), one of its seeded
// bugs (`mutant:<name>`) or an external implementation (`impl:<name>`). Written and read here only.

export type TargetKind =
  | { readonly kind: 'model' }
  | { readonly kind: 'mutant'; readonly name: string }
  | { readonly kind: 'impl'; readonly name: string };

export const MODEL_LABEL = 'model';

/** The forms a label takes, for messages. */
export const LABEL_FORMS = '"model", "mutant:<name>" or "impl:<name>"';

export function mutantLabel(name: string): string {
  return `mutant:${name}`;
}

export function implLabel(name: string): string {
  return `impl:${name}`;
}

/** The kind of target a label names; undefined when it is none of the three forms (or names nothing). */
export function parseTargetLabel(label: string): TargetKind | undefined {
  if (label === MODEL_LABEL) return { kind: 'model' };
  const m = /^(mutant|impl):(.+)$/s.exec(label);
  if (m === null) return undefined;
  return { kind: m[1] as 'mutant' | 'impl', name: m[2] as string };
}

/** The seeded bug a label names, if it names one. */
export function mutantOf(label: string): string | undefined {
  const parsed = parseTargetLabel(label);
  return parsed?.kind === 'mutant' ? parsed.name : undefined;
}
