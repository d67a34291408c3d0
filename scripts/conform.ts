// npm run conform -- --subsystem S --impl "<command>" [--property P] [--runs N] [--seed N] [--time SECONDS]
//                    [--timeout MS] [--invariants A,B] [--no-faults] [--fix OP.ARG=JSON] [--name NAME] [--out DIR] [--json]
// Conformance: runs the subsystem's operation lists on the specification and on an implementation side by side
// (docs/conformance.md). A different result, an invariant broken by the implementation's observable state, a
// sanitizer report, a crash, a hang or a malformed answer is a violation, shrunk across the process boundary,
// saved with target impl:<name>, and replayable with `npm run replay -- <file> --impl "<command>"`.
// Exit 0 conforms, 1 violation found, 2 usage error or an implementation that does not start, 130 interrupted.
//
// The search runs on a worker thread and this thread takes the signals (worker-command.ts): Ctrl-C stops the
// search within one request (nothing more is sent, what was found is saved, the table is printed, exit 130); a
// second Ctrl-C, or SIGTERM, ends the process at once. The implementation and everything it started are killed
// on every way out (process-worker.mjs).

import { parseArgs } from 'node:util';
import { isMainThread } from 'node:worker_threads';
import type { Implementation } from '../properties/harness/implementation.js';
import { invocation } from '../properties/harness/invocation.js';
import { runOnWorker, superviseWorker, writeNow } from './worker-command.js';

const HELP = `usage: ${invocation('conform')} --subsystem S --impl "<command>" [options]

  --subsystem S      the subsystem whose specification is the oracle (required)
  --impl "<command>" the implementation: a shell command speaking the JSON-lines protocol, or
                     "module:<file.ts>" for an in-process TypeScript implementation (required)
  --property P       only this property (default: all of the subsystem's)
  --spec-version V   the specification version the implementation is checked against (default: the subsystem's
                     first, the current upstream behaviour; \`${invocation('check')} --list\` lists them)
  --runs N           runs per property (default: the property's npm-test budget)
  --time SECONDS     stop after this long in all (runs unbounded unless --runs is given)
  --seed N           the seed (default: random; always printed first)
  --timeout MS       how long the implementation has to answer one request (default 5000)
  --invariants A,B   check only these (e.g. resultMatchesSpecification, implementationMemorySafe)
  --no-faults        never inject faults (for an implementation without fault injection)
  --fix OP.ARG=JSON  every generated OP gets this ARG (repeatable), for an implementation with a fixed
                     parameter (upstream's pool init always makes 32 buffers: --fix init.count=32)
  --name NAME        the implementation's name in saved cases, impl:NAME (default: from the command)
  --out DIR          where counterexamples are saved (default: counterexamples)
  --json             machine-readable result on stdout (human lines go to stderr)

Exit status: 0 conforms, 1 a violation was found (printed and saved), 2 usage error or the implementation
does not start, 130 interrupted.`;

async function conform(args: string[], interrupted: () => boolean): Promise<number> {
  // Loaded here, on the worker thread, only: the main thread stays small and starts at once.
  const { conformJson, conformProperties, conformSummaryLines } = await import('../properties/harness/conform-run.js');
  const { CONFORMANCE_INVARIANTS } = await import('../properties/harness/conformance-target.js');
  const { parseFixedArgument } = await import('../properties/harness/fixed-arguments.js');
  const { DoesNotStart, startImplementation } = await import('../properties/harness/implementation-targets.js');
  const { implementationName } = await import('../properties/harness/open-implementation.js');
  const { defaultVersion, hasVersion, versionNames } = await import('../properties/harness/targets.js');
  const { checkOutDir, EXIT, parseInteger, parseList, resolveProperty, resolveSuite, usageError } = await import('./cli.js');
  const { values } = parseArgs({
    args,
    options: {
      subsystem: { type: 'string' },
      impl: { type: 'string' },
      property: { type: 'string' },
      'spec-version': { type: 'string' },
      runs: { type: 'string' },
      seed: { type: 'string' },
      time: { type: 'string' },
      timeout: { type: 'string' },
      invariants: { type: 'string' },
      'no-faults': { type: 'boolean', default: false },
      fix: { type: 'string', multiple: true },
      name: { type: 'string' },
      out: { type: 'string', default: 'counterexamples' },
      json: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    writeNow(1, HELP + '\n');
    return EXIT.ok;
  }
  const say = (line: string) => writeNow(values.json ? 2 : 1, line + '\n');
  if (values.subsystem === undefined) return usageError('--subsystem is required');
  if (values.impl === undefined) return usageError('--impl "<command>" is required');
  const command = values.impl;
  const suite = resolveSuite(values.subsystem);
  const specVersion = values['spec-version'] ?? defaultVersion(suite);
  if (!hasVersion(suite, specVersion)) usageError(`unknown specification version "${specVersion.slice(0, 80)}" of ${suite.spec.name}; valid: ${versionNames(suite).join(', ')}`);
  const runs = parseInteger('runs', values.runs, 1);
  const timeSeconds = parseInteger('time', values.time, 1);
  const timeoutMs = parseInteger('timeout', values.timeout, 1);
  checkOutDir(values.out); // before any search: a bad --out must not lose what the search finds
  const seedArg = values.seed === undefined ? undefined : Number(values.seed);
  if (seedArg !== undefined && !Number.isSafeInteger(seedArg)) usageError(`--seed takes an integer, not "${values.seed}"`);
  const known = [...CONFORMANCE_INVARIANTS, ...suite.spec.invariants.map((i) => i.name)];
  const invariants = parseList(values.invariants);
  for (const name of invariants ?? []) if (!known.includes(name)) usageError(`unknown invariant "${name}"; valid: ${known.join(', ')}`);
  const properties = values.property !== undefined ? [resolveProperty(suite, values.property)] : suite.properties;
  const fixed = (values.fix ?? []).map((text) => {
    try {
      return parseFixedArgument(suite, text);
    } catch (error) {
      return usageError((error as Error).message);
    }
  });

  const seed = seedArg ?? ((Math.random() * 0x7fffffff) | 0);
  say(`seed: ${seed}`);
  let impl: Implementation;
  try {
    impl = await startImplementation(command, suite.spec.name, timeoutMs === undefined ? {} : { timeoutMs });
  } catch (error) {
    if (!(error instanceof DoesNotStart)) throw error;
    writeNow(2, `error: ${error.message}\n`);
    return EXIT.usage;
  }
  const name = values.name ?? implementationName(command);
  const run = await conformProperties(suite, properties, impl, name, specVersion, {
    seed, ...(runs !== undefined ? { runs } : {}), ...(timeSeconds !== undefined ? { timeSeconds } : {}), ...(invariants !== undefined ? { invariants } : {}),
    noFaults: values['no-faults'], fixed, out: values.out, command, interrupted, say,
  });
  impl.close();
  for (const line of conformSummaryLines(suite, run.results, impl.stats)) say(line);
  if (values.json) writeNow(1, JSON.stringify(conformJson(seed, suite, run.target, run.results, impl.stats), null, 2) + '\n');
  if (run.results.some((r) => r.outcome?.failure !== undefined || r.error !== undefined)) return EXIT.violation;
  return run.interrupted ? EXIT.interrupted : EXIT.ok;
}

if (isMainThread) superviseWorker(import.meta.url, 'interrupt: stopping within one request; what was found is saved (Ctrl-C again, a second later, aborts at once)');
else await runOnWorker(conform);
