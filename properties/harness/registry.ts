// Every subsystem of the suite. A new subsystem is one line here.
import { dmaPoolSuite } from '../dma-pool/suite.js';
import type { AnySuite } from './suite.js';

export const suites: readonly AnySuite[] = [dmaPoolSuite];

export function findSuite(name: string): AnySuite | undefined {
  return suites.find((s) => s.spec.name === name);
}
