// The package's main entry (`import { specs, dmaPoolSpec } from 'gpumem-spec'`): every subsystem's specification,
// each subsystem's whole module as a namespace (its model classes, state and version rules), and the common types
// and helpers a caller needs to apply operations (fault plans, results, argument schemas, 64-bit arithmetic).
// One subsystem alone is also `gpumem-spec/model/<subsystem>`.
import type { SubsystemSpec } from './common/spec.js';
import { dmaPoolSpec } from './dma-pool/index.js';
import { hmmMigrationSpec } from './hmm-migration/index.js';
import { kvmStage2Spec } from './kvm-stage2/index.js';
import { nvgraceGpuSpec } from './nvgrace-gpu/index.js';
import { uvmVaSpaceSpec } from './uvm-va-space/index.js';
import { xenPrimitivesSpec } from './xen-primitives/index.js';

export { dmaPoolSpec, hmmMigrationSpec, kvmStage2Spec, nvgraceGpuSpec, uvmVaSpaceSpec, xenPrimitivesSpec };

/** Every subsystem specified, by the name `--subsystem` takes (`dma-pool`, ...). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each spec has its own state type
export const specs: readonly SubsystemSpec<any>[] = [dmaPoolSpec, uvmVaSpaceSpec, xenPrimitivesSpec, nvgraceGpuSpec, kvmStage2Spec, hmmMigrationSpec];

export * as dmaPool from './dma-pool/index.js';
export * as hmmMigration from './hmm-migration/index.js';
export * as kvmStage2 from './kvm-stage2/index.js';
export * as nvgraceGpu from './nvgrace-gpu/index.js';
export * as uvmVaSpace from './uvm-va-space/index.js';
export * as xenPrimitives from './xen-primitives/index.js';

export type { Invariant, Model, SpecVersion, Step, SubsystemSpec } from './common/spec.js';
export * from './common/faults.js';
export * from './common/result.js';
export * from './common/schema.js';
export * from './common/u64.js';
export * from './common/values.js';
