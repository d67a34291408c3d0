// The specification itself as an implementation, for any registered subsystem: an example of the in-process
// interface (`--impl module:examples/spec-implementation.ts`), and, served over the JSON-lines protocol by
// examples/spec-server.ts, an example of a process implementation written in TypeScript. It answers every
// operation with the specification's result and its whole state in the JSON shape (encodeJson), so
// conformance of the specification to itself checks the adapter, the protocol and the state codec.

import { FaultPlan } from '../model/common/faults.js';
import type { Model } from '../model/common/spec.js';
import type { Operation } from '../model/common/values.js';
import type { Implementation, ImplResponse } from '../properties/harness/implementation.js';
import { encodeJson } from '../properties/harness/state-codec.js';
import { findSuite } from '../properties/harness/registry.js';

export function createImplementation(subsystem: string): Implementation {
  const suite = findSuite(subsystem);
  if (suite === undefined) throw new Error(`unknown subsystem ${subsystem}`);
  let model: Model<unknown> = suite.spec.createModel();
  let state: unknown = model.initialState();
  return {
    reset: () => {
      model = suite.spec.createModel();
      state = model.initialState();
    },
    apply: (op: Operation): ImplResponse => {
      const faults = new FaultPlan((op.args['faults'] as readonly number[] | undefined) ?? []);
      const result = model.apply(state, op, faults);
      return { result: encodeJson(result), state: encodeJson(state) };
    },
    close: () => {},
  };
}
