// A batch's coverage as a search worker sends it: each key (an operation, result or fault label) travels once
// per search, with the first batch that meets it; after that a batch is only numbers (key index, count) in a
// typed array, which is copied whole rather than walked string by string. The keys repeat in every batch, so
// this keeps the per-batch message, and the main thread's work to read it, from growing with the labels.

/** The wire form: keys new in this message, then (index, count) pairs over every key sent so far. */
export interface EncodedCoverage {
  readonly keys: string[];
  readonly counts: Float64Array;
}

/** One worker's side of one search. */
export class CoverageEncoder {
  private readonly index = new Map<string, number>();

  encode(counts: ReadonlyMap<string, number>): EncodedCoverage {
    const keys: string[] = [];
    const pairs = new Float64Array(counts.size * 2);
    let i = 0;
    for (const [key, n] of counts) {
      let k = this.index.get(key);
      if (k === undefined) {
        k = this.index.size;
        this.index.set(key, k);
        keys.push(key);
      }
      pairs[i++] = k;
      pairs[i++] = n;
    }
    return { keys, counts: pairs };
  }
}

/** The main thread's side, one per worker and search: every message of that worker must be decoded, in order. */
export class CoverageDecoder {
  private readonly keys: string[] = [];

  decode(coverage: EncodedCoverage): [string, number][] {
    this.keys.push(...coverage.keys);
    const out: [string, number][] = [];
    for (let i = 0; i < coverage.counts.length; i += 2) {
      const key = this.keys[coverage.counts[i] as number];
      if (key === undefined) throw new Error(`internal: coverage key ${coverage.counts[i]} was never sent`);
      out.push([key, coverage.counts[i + 1] as number]);
    }
    return out;
  }
}
