// A record whose every field takes one of a few listed values, drawn as ONE random integer over the product of
// the fields' choices and decoded digit by digit. fast-check's record of many small enums builds a value, a
// context and a shrinker per field for every generated record; for a subsystem whose operations are pure
// decisions over such records (kvm-stage2) that dominated the search (see docs/bench.md, harness overhead).
// Every combination is equally likely, as with one uniform constantFrom or boolean per field. Shrinking moves
// one field at a time to an earlier listed value, so, as those arbitraries do, a shrunk case keeps a field's
// later value only when the failure needs it: list each field's simplest value first.

import fc from 'fast-check';

export type Choices = Readonly<Record<string, readonly unknown[]>>;
export type Picked<C extends Choices> = { -readonly [K in keyof C]: C[K][number] };

/** Spaces up to this many combinations are tabulated (a few MB at most). */
const TABLE_LIMIT = 1 << 15;

/** The context of a generated value: which part of a union it came from (0 alone) and each field's choice. */
interface Drawn {
  readonly part: number;
  readonly digits: readonly number[];
}

class EnumeratedRecord<C extends Choices, T> extends fc.Arbitrary<T> {
  private readonly names: readonly (keyof C & string)[];
  private readonly sizes: readonly number[];
  private readonly combinations: number;
  /**
   * Every value, built once, when the space is small enough: generating is then one random integer and a lookup.
   * Runs that draw the same combination share its value: operations are read-only (`Operation` in model/common).
   */
  private table: fc.Value<T>[] | undefined;

  constructor(
    private readonly choices: C,
    private readonly finish: (picked: Picked<C>) => T,
    private readonly part = 0,
  ) {
    super();
    this.names = Object.keys(choices);
    this.sizes = this.names.map((name) => (choices[name] as readonly unknown[]).length);
    this.combinations = this.sizes.reduce((a, b) => a * b, 1);
    if (this.sizes.some((n) => n === 0)) throw new Error('enumeratedRecord: every field needs at least one choice');
    if (!Number.isSafeInteger(this.combinations) || this.combinations > 2 ** 31) throw new Error('enumeratedRecord: more than 2^31 combinations');
  }

  /** The same record as part `part` of a union (its values say so in their context). */
  asPart(part: number): EnumeratedRecord<C, T> {
    return new EnumeratedRecord(this.choices, this.finish, part);
  }

  override generate(mrng: fc.Random): fc.Value<T> {
    const n = mrng.nextInt(0, this.combinations - 1);
    if (this.combinations <= TABLE_LIMIT) {
      this.table ??= Array.from({ length: this.combinations }, (_, i) => this.decode(i));
      return this.table[n] as fc.Value<T>;
    }
    return this.decode(n);
  }

  private decode(combination: number): fc.Value<T> {
    let n = combination;
    const digits = this.sizes.map((size) => {
      const digit = n % size;
      n = (n - digit) / size;
      return digit;
    });
    return this.valueAt(digits);
  }

  private valueAt(digits: readonly number[]): fc.Value<T> {
    const picked: Record<string, unknown> = {};
    for (let k = 0; k < this.names.length; k++) {
      const name = this.names[k] as keyof C & string;
      picked[name] = (this.choices[name] as readonly unknown[])[digits[k] as number];
    }
    return new fc.Value(this.finish(picked as Picked<C>), { part: this.part, digits } satisfies Drawn);
  }

  override canShrinkWithoutContext(value: unknown): value is T {
    // Only values this arbitrary generated (and so carry their digits) are shrunk.
    void value;
    return false;
  }

  override shrink(_value: T, context: unknown): fc.Stream<fc.Value<T>> {
    if (typeof context !== 'object' || context === null || !('digits' in context)) return fc.Stream.nil();
    const { digits } = context as Drawn;
    const valueAt = (d: readonly number[]) => this.valueAt(d);
    function* simpler(): Generator<fc.Value<T>> {
      for (let k = 0; k < digits.length; k++) {
        for (let earlier = 0; earlier < (digits[k] as number); earlier++) {
          const next = [...digits];
          next[k] = earlier;
          yield valueAt(next);
        }
      }
    }
    return new fc.Stream(simpler());
  }
}

class EnumeratedUnion<T> extends fc.Arbitrary<T> {
  private readonly totalWeight: number;
  private readonly weights: readonly number[];
  private readonly records: readonly EnumeratedRecord<Choices, T>[];

  constructor(parts: readonly { readonly weight: number; readonly arbitrary: EnumeratedRecord<Choices, T> }[]) {
    super();
    if (parts.length === 0 || parts.some((p) => !Number.isInteger(p.weight) || p.weight < 1)) throw new Error('enumeratedOneOf: give at least one part, each with a positive integer weight');
    this.weights = parts.map((p) => p.weight);
    this.records = parts.map((p, k) => p.arbitrary.asPart(k));
    this.totalWeight = this.weights.reduce((n, w) => n + w, 0);
  }

  override generate(mrng: fc.Random): fc.Value<T> {
    let r = mrng.nextInt(0, this.totalWeight - 1);
    let part = 0;
    while (r >= (this.weights[part] as number)) r -= this.weights[part++] as number;
    return (this.records[part] as EnumeratedRecord<Choices, T>).generate(mrng);
  }

  override canShrinkWithoutContext(value: unknown): value is T {
    void value;
    return false;
  }

  override shrink(value: T, context: unknown): fc.Stream<fc.Value<T>> {
    if (typeof context !== 'object' || context === null || !('part' in context)) return fc.Stream.nil();
    const record = this.records[(context as Drawn).part];
    return record === undefined ? fc.Stream.nil() : record.shrink(value, context);
  }
}

/**
 * A weighted choice among enumerated records, as `fc.oneof({ weight, arbitrary }, ...)` over them, drawn with two
 * random integers and without oneof's per-value bookkeeping. A value shrinks within its own record.
 */
export function enumeratedOneOf<T>(...parts: { weight: number; arbitrary: fc.Arbitrary<T> }[]): fc.Arbitrary<T> {
  return new EnumeratedUnion(
    parts.map(({ weight, arbitrary }) => {
      if (!(arbitrary instanceof EnumeratedRecord)) throw new Error('enumeratedOneOf: every part must come from enumeratedRecord');
      return { weight, arbitrary: arbitrary as EnumeratedRecord<Choices, T> };
    }),
  );
}

/**
 * `choices` lists each field's values, simplest first; `finish` turns the picked record into the generated value
 * (an operation, say), and may normalise fields that some combinations fix.
 */
export function enumeratedRecord<C extends Choices, T = Picked<C>>(choices: C, finish?: (picked: Picked<C>) => T): fc.Arbitrary<T> {
  return new EnumeratedRecord(choices, finish ?? ((picked) => picked as unknown as T));
}
