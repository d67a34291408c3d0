import { defineSuiteTests } from '../harness/vitest-suite.js';
import { dmaPoolSuite } from './suite.js';

defineSuiteTests(dmaPoolSuite);
