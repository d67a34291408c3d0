import { readdirSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { configDefaults, defineConfig } from 'vitest/config';

// `npm run coverage`: V8 coverage of the specification (model/) by the whole test suite, with thresholds that
// fail the run when coverage drops. The whole of model/ must keep the lines and branches it reaches today;
// every subsystem folder (found here, so a new one is held to it without a change to this file) must reach at
// least the floor. Lines and branches the suite does not reach are accounted for in docs/coverage.md.
const MODEL_LINES = 98.5;
const MODEL_BRANCHES = 87;
const SUBSYSTEM_FLOOR = { lines: 97, branches: 80 };

const modelDir = join(import.meta.dirname, 'model');
const subsystems = readdirSync(modelDir, { withFileTypes: true })
  .filter((d) => d.isDirectory() && d.name !== 'common')
  .map((d) => d.name);

// Under mutation testing (StrykerJS sets STRYKER_MUTATOR_WORKER in its test processes) only the property suite
// runs: each subsystem's tests, the registry and the adequacy checks. The conformance tests against C ports and
// the harness's own tests start processes and threads the mutated model does not reach, and cost most of the time.
// MUTATION_SUBSYSTEMS=dma-pool,uvm-va-space narrows that to the tests of the subsystems named (with a
// matching --mutate, a quicker measurement of one part of the model).
const underMutation = process.env['STRYKER_MUTATOR_WORKER'] !== undefined;
const mutationSubsystems = process.env['MUTATION_SUBSYSTEMS']?.split(',').filter((s) => s !== '') ?? subsystems;
const propertySuite = [
  ...mutationSubsystems.map((name) => `properties/${name}/**/*.test.ts`),
  'properties/harness/registry.test.ts',
  'properties/harness/adequacy.test.ts',
  'properties/harness/roundtrip.test.ts',
  'properties/harness/faults.test.ts',
];

// The tests that drive the command-line tools as a user does (npm, process groups, Ctrl-C, SIGTERM, resume, the
// package packed and installed into an empty project, the report opened in headless Chromium): each starts npm, a
// browser or several node processes that load the whole suite, a second or two of CPU apiece, so together they
// would take a third of npm test's time on 2 cores. They run as `npm run test:cli` (GPUMEM_TESTS=cli), which
// .ci/run runs after npm test.
const CLI_TESTS = ['properties/harness/check-cli.test.ts', 'properties/conformance/cli.test.ts', 'scripts/package.test.ts', 'properties/report/browser.test.ts'];
const cliOnly = process.env['GPUMEM_TESTS'] === 'cli';

export default defineConfig({
  test: {
    include: underMutation ? propertySuite : cliOnly ? CLI_TESTS : ['properties/**/*.test.ts', 'scripts/**/*.test.ts'],
    exclude: underMutation || cliOnly ? configDefaults.exclude : [...configDefaults.exclude, ...CLI_TESTS],
    // Prints the seed of the run once, and draws GPUMEM_SEED=random once for every test file.
    globalSetup: ['properties/harness/seed-setup.ts'],
    // Every core: vitest's default leaves one free, which on the 2-core machines the suite targets runs the files
    // one at a time (44 s against 35 s for npm test, measured on 2 cores).
    maxWorkers: availableParallelism(),
    // The test files of a worker share its modules instead of loading the whole suite again for each file (the
    // registry imports every subsystem): npm test 41-46 s -> 25-28 s on 2 cores. No test depends on fresh module state:
    // what the suite keeps between calls is caches of pure functions, and environment stubs are undone after each
    // test. Under StrykerJS each file keeps its own modules, as its vitest runner expects.
    isolate: underMutation,
    testTimeout: 120_000,
    coverage: {
      provider: 'v8',
      include: ['model/**/*.ts'],
      reporter: ['text', 'html', 'json-summary'],
      reportsDirectory: 'coverage/model',
      thresholds: {
        lines: MODEL_LINES,
        branches: MODEL_BRANCHES,
        ...Object.fromEntries(subsystems.map((name) => [`model/${name}/**`, { ...SUBSYSTEM_FLOOR }])),
      },
    },
  },
});
