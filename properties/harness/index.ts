// The package's harness entry (`gpumem-spec/harness`): what an implementer needs beside the specification. The
// registry of suites (properties, generators, seeded bugs), the search, conformance of an implementation (a
// module or a process speaking the JSON-lines protocol of docs/conformance.md; encodeJson puts a state or result
// in the protocol's JSON shape), and saved counterexamples: save, load, replay and trace. The command-line tools
// (`gpumem-spec check|conform|replay`) are thin front ends over these.
export { findSuite, suites } from './registry.js';
export type { AnySuite, CaseLabel, MutantDef, PropertyDef, SubsystemSuite } from './suite.js';
export { defaultVersion, modelTarget, mutantTarget, resolveTarget, versionNames, type Target } from './targets.js';
export { execute, type Execution, type StepRecord, type Violation } from './interpreter.js';
export { search, type Failure, type SearchOptions, type SearchOutcome } from './search.js';
export { formatTrace } from './trace.js';

export { implementationName, openImplementation } from './open-implementation.js';
export { ImplementationFailure, type Implementation, type ImplResponse, type OpenOptions } from './implementation.js';
export { ProcessImplementation } from './process-adapter.js';
export { CONFORMANCE_INVARIANTS, conformanceTarget, type ConformanceTarget } from './conformance-target.js';
export { encodeJson } from './state-codec.js';

export { counterexampleOf, CounterexampleError, FORMAT, listCaseFiles, load, parse, save, serialize, type Counterexample } from './store.js';
export { replay, type Replay } from './replay.js';
export { replayCommand } from './replay-command.js';
