// Fault injection as an input. An operation that can fail part way (an allocation, a GPU mapping, a tracker
// wait) asks the plan at each fallible step; the plan fails the steps whose 0-based index the test case names.
// The plan records every step it was asked about, so a trace says exactly which step failed.

export interface FaultRecord {
  readonly index: number;
  readonly site: string;
}

export class FaultPlan {
  private next = 0;
  /** The steps that were made to fail, in order. */
  readonly failures: FaultRecord[] = [];

  constructor(private readonly failing: readonly number[] = []) {}

  /** How many fallible steps this operation has reached so far. */
  get asked(): number {
    return this.next;
  }

  /** True when this fallible step must fail. `site` names the kernel call, for traces and statistics. */
  fails(site: string): boolean {
    const index = this.next++;
    if (!this.failing.includes(index)) return false;
    this.failures.push({ index, site });
    return true;
  }

  /**
   * Runs `count` identical fallible steps (one per page, say) and returns the position of the first that fails,
   * or undefined when all succeed. Steps after a failure are not reached, so they are not counted.
   */
  firstFailureOf(site: string, count: number): number | undefined {
    const start = this.next;
    let first: number | undefined;
    for (const index of this.failing) {
      if (index >= start && index < start + count && (first === undefined || index < first)) first = index;
    }
    if (first === undefined) {
      this.next = start + count;
      return undefined;
    }
    this.next = first + 1;
    this.failures.push({ index: first, site });
    return first - start;
  }
}

export const NO_FAULTS: readonly number[] = [];
