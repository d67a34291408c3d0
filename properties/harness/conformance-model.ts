// The specification and an implementation side by side (docs/conformance.md): a `ConformanceModel` applies each
// operation to the specification first, then sends it to the implementation, and keeps both states, so that the
// conformance invariants (conformance-target.ts) can compare the results and check the subsystem's own invariants
// on the implementation's state. A crash, a hang, a memory-error report or a malformed answer is recorded as the
// step's failure, never thrown.

import type { FaultPlan } from '../../model/common/faults.js';
import { fail, type Result } from '../../model/common/result.js';
import type { Model, SubsystemSpec } from '../../model/common/spec.js';
import type { Operation } from '../../model/common/values.js';
import { type FailureKind, type Implementation, ImplementationFailure } from './implementation.js';
import { DecodeError, decodeObserved, decodeResult } from './state-codec.js';

export interface ConformState<S> {
  /** The specification's state. */
  spec: S;
  /** The implementation's observable state, in the specification's shape (unreported parts: the specification's). */
  impl: S;
  /** The specification's result of the last operation. */
  specResult?: Result;
  /** The implementation answered the last operation (its result and state can be compared). */
  answered: boolean;
  /** How the implementation failed at the last operation, if it did. */
  failure?: { readonly kind: FailureKind; readonly message: string };
  /** The implementation failed earlier in this run: nothing more is compared. */
  down: boolean;
  /** The implementation does not implement the last operation (its result shown is the specification's). */
  unsupported?: boolean;
  /** The last operation was not sent: the search was stopping (time up, or interrupted), nothing is compared. */
  notSent?: boolean;
}

/** The result the interpreter records for an operation the implementation did not answer. */
export const NO_ANSWER = 'NO_ANSWER';

export class ConformanceModel<S> implements Model<ConformState<S>> {
  private started = false;

  constructor(
    private readonly spec: SubsystemSpec<S>,
    private readonly reference: Model<S>,
    private readonly impl: Implementation,
    /**
     * Asked before every request: once true (the time is up, or the search was interrupted), nothing more is sent
     * and nothing compared, so the runs left in the search's current batch finish on the specification alone, at
     * once, instead of one implementation round trip at a time.
     */
    private readonly stopping: () => boolean = () => false,
  ) {}

  initialState(): ConformState<S> {
    const s = this.reference.initialState();
    return { spec: s, impl: this.spec.snapshot(s), answered: false, down: false };
  }

  precondition(st: ConformState<S>, op: Operation): boolean {
    return this.reference.precondition(st.spec, op);
  }

  apply(st: ConformState<S>, op: Operation, faults: FaultPlan): Result {
    // The specification first: if it throws, that is the specification's bug and the interpreter reports it.
    const specResult = this.reference.apply(st.spec, op, faults);
    st.specResult = specResult;
    st.answered = false;
    st.failure = undefined;
    st.unsupported = false;
    st.notSent = false;
    if (st.down) return fail(NO_ANSWER);
    if (this.stopping()) {
      st.notSent = true;
      st.impl = this.spec.snapshot(st.spec);
      return specResult;
    }
    try {
      if (!this.started) {
        this.started = true;
        this.impl.reset(this.spec.name);
      }
      const response = this.impl.apply(op);
      if (response.assertions !== undefined && response.assertions.length > 0)
        throw new ImplementationFailure('assertion', `the implementation reported a failed assertion: ${response.assertions.join('; ')}`);
      if (response.unsupported === true) {
        st.unsupported = true;
        const counts = this.impl.stats === undefined ? undefined : (this.impl.stats.unsupported ??= {});
        if (counts !== undefined) counts[op.op] = (counts[op.op] ?? 0) + 1;
        st.impl = this.spec.snapshot(st.spec);
        return specResult;
      }
      let result: Result;
      let impl: S;
      try {
        result = decodeResult(response.result, specResult);
        impl = decodeObserved(response.state, this.spec.snapshot(st.spec)) as S;
      } catch (error) {
        if (error instanceof DecodeError) throw new ImplementationFailure('protocol', `malformed answer to ${op.op}: ${error.message}`);
        throw error;
      }
      st.impl = impl;
      st.answered = true;
      return result;
    } catch (error) {
      const failure =
        error instanceof ImplementationFailure
          ? error
          : new ImplementationFailure('crash', `the implementation threw: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`);
      st.failure = { kind: failure.kind, message: failure.message };
      st.down = true;
      return fail(NO_ANSWER);
    }
  }
}
