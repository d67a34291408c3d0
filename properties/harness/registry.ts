// Every subsystem of the suite. A new subsystem is one line here.
import { dmaPoolSuite } from '../dma-pool/suite.js';
import { uvmVaSpaceSuite } from '../uvm-va-space/suite.js';
import { xenPrimitivesSuite } from '../xen-primitives/suite.js';
import { nvgraceGpuSuite } from '../nvgrace-gpu/suite.js';
import { kvmStage2Suite } from '../kvm-stage2/suite.js';
import { hmmMigrationSuite } from '../hmm-migration/suite.js';
import type { AnySuite } from './suite.js';

export const suites: readonly AnySuite[] = [dmaPoolSuite, uvmVaSpaceSuite, xenPrimitivesSuite, nvgraceGpuSuite, kvmStage2Suite, hmmMigrationSuite];

export function findSuite(name: string): AnySuite | undefined {
  return suites.find((s) => s.spec.name === name);
}
