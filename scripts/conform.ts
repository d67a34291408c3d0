// npm run conform -- --subsystem S --impl "<command>" [--property P] [--runs N] [--seed N] [--time SECONDS]
//                    [--timeout MS] [--invariants A,B] [--no-faults] [--fix OP.ARG=JSON] [--name NAME] [--out DIR] [--json]
// Conformance: runs the subsystem's operation lists on the specification and on an implementation side by side
// (docs/conformance.md). A different result, an invariant broken by the implementation's observable state, a
// sanitizer report, a crash, a hang or a malformed answer is a violation, shrunk across the process boundary,
// saved with target impl:<name>, and replayable with `npm run replay -- <file> --impl "<command>"`.
// Exit 0 conforms, 1 violation found, 2 usage error or an implementation that does not start, 130 interrupted.
//
// The search runs on a worker thread: talking to the implementation blocks the thread that does it (one
// synchronous round trip per operation), and a blocked thread cannot take a signal. The main thread only waits
// for the worker and takes signals: Ctrl-C (SIGINT) stops the search within one request (nothing more is sent,
// what was found is saved, the table is printed, exit 130); a second Ctrl-C, or SIGTERM, ends the process at
// once. The implementation and everything it started are killed on every way out (process-worker.mjs).

import { writeSync } from 'node:fs';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { parseArgs } from 'node:util';
import type { Operation } from '../model/common/values.js';
import type { ConformanceTarget } from '../properties/harness/conformance-target.js';
import type { Implementation } from '../properties/harness/implementation.js';
import type { SearchOutcome } from '../properties/harness/search.js';
import type { PropertyDef } from '../properties/harness/suite.js';

/** The exit statuses of scripts/cli.ts (EXIT), here so that the main thread loads nothing of the suite. */
const EXIT = { ok: 0, violation: 1, usage: 2, interrupted: 130 } as const;

const HELP = `usage: npm run conform -- --subsystem S --impl "<command>" [options]

  --subsystem S      the subsystem whose specification is the oracle (required)
  --impl "<command>" the implementation: a shell command speaking the JSON-lines protocol, or
                     "module:<file.ts>" for an in-process TypeScript implementation (required)
  --property P       only this property (default: all of the subsystem's)
  --spec-version V   the specification version the implementation is checked against (default: the subsystem's
                     first, the current upstream behaviour; \`npm run check -- --list\` lists them)
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

/**
 * Writes at once, from the worker thread too: its process.stdout and process.stderr are forwarded to the main
 * thread only when its event loop turns, which a search against a slow implementation may not do for minutes.
 */
function writeNow(fd: 1 | 2, text: string): void {
  const bytes = Buffer.from(text);
  for (let at = 0; at < bytes.length; ) {
    try {
      at += writeSync(fd, bytes, at);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'EPIPE') return; // the reader went away (`| head`): nothing more to show
      if (code !== 'EAGAIN') throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5); // a full pipe: wait for the reader
    }
  }
}

/** A second SIGINT this soon after the first is the same Ctrl-C, relayed by npm or tsx to this process again. */
const SAME_KEYPRESS_MS = 1000;

/** The same operation lists with every fault list emptied. */
function withoutFaults(property: PropertyDef): PropertyDef {
  const strip = (ops: Operation[]): Operation[] =>
    ops.map((o) => (Array.isArray(o.args['faults']) && o.args['faults'].length > 0 ? { op: o.op, args: { ...o.args, faults: [] } } : o));
  return { ...property, operations: property.operations.map(strip) };
}

async function conform(args: string[], stopFlag: Int32Array): Promise<number> {
  // Loaded here, on the worker thread, only: the main thread stays small and starts at once.
  const { parseFixedArgument, withFixedArguments } = await import('../properties/harness/fixed-arguments.js');
  const { CONFORMANCE_INVARIANTS, conformanceTarget } = await import('../properties/harness/conformance-target.js');
  const { ImplementationFailure } = await import('../properties/harness/implementation.js');
  const { implementationName, openImplementation } = await import('../properties/harness/open-implementation.js');
  const { execute } = await import('../properties/harness/interpreter.js');
  const { stderrExcerpt } = await import('../properties/harness/sanitizer-report.js');
  const { replayCommand } = await import('../properties/harness/replay-command.js');
  const { search } = await import('../properties/harness/search.js');
  const { counterexampleOf, save } = await import('../properties/harness/store.js');
  const { selectInvariants } = await import('../properties/harness/suite.js');
  const { defaultVersion, hasVersion, versionNames } = await import('../properties/harness/targets.js');
  const { formatTrace } = await import('../properties/harness/trace.js');
  const cli = await import('./cli.js');
  const { checkOutDir, parseInteger, resolveProperty, resolveSuite } = cli;
  const usageError: (message: string) => never = cli.usageError; // annotated: a call narrows like a throw
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
  const human = (line: string) => writeNow(values.json ? 2 : 1, line + '\n');
  if (values.subsystem === undefined) usageError('--subsystem is required');
  if (values.impl === undefined) usageError('--impl "<command>" is required');
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
  const invariants = values.invariants?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  for (const name of invariants ?? [])
    if (!known.includes(name)) usageError(`unknown invariant "${name}"; valid: ${known.join(', ')}`);
  const properties = values.property !== undefined ? [resolveProperty(suite, values.property)] : suite.properties;
  const fixed = (values.fix ?? []).map((text) => {
    try {
      return parseFixedArgument(suite, text);
    } catch (error) {
      return usageError((error as Error).message);
    }
  });

  const seed = seedArg ?? ((Math.random() * 0x7fffffff) | 0);
  human(`seed: ${seed}`);
  const name = values.name ?? implementationName(values.impl);
  let impl: Implementation;
  try {
    impl = await openImplementation(values.impl, suite.spec.name, timeoutMs === undefined ? {} : { timeoutMs });
    impl.handshake?.(suite.spec.name);
  } catch (error) {
    const detail = error instanceof ImplementationFailure && error.detail ? `\n${error.detail.trimEnd()}` : '';
    writeNow(2, `error: the implementation does not start: ${(error as Error).message}${detail}\n`);
    return EXIT.usage;
  }
  // Set by the main thread on Ctrl-C; read before every request and between batches.
  const interruptedNow = () => Atomics.load(stopFlag, 0) !== 0;
  let deadline = Infinity; // of the property being searched, with --time
  const target: ConformanceTarget = conformanceTarget(suite, impl, name, specVersion, () => interruptedNow() || Date.now() >= deadline);
  human(`conformance of ${target.label} (${values.impl}) to ${suite.spec.name} version ${specVersion}${values['no-faults'] ? ', no faults injected' : ''}`);

  let interrupted = false;
  const results: { property: PropertyDef; outcome: SearchOutcome; file?: string; error?: string }[] = [];
  for (const original of properties) {
    if (interruptedNow()) break;
    const wrapped = target.suite.properties.find((p) => p.name === original.name) as PropertyDef;
    const property = withFixedArguments(values['no-faults'] ? withoutFaults(wrapped) : wrapped, fixed);
    const total = runs ?? (timeSeconds !== undefined ? Infinity : original.numRuns);
    const timeLimitMs = timeSeconds !== undefined ? (timeSeconds * 1000) / properties.length : undefined;
    human(`${suite.spec.name}/${property.name}: ${Number.isFinite(total) ? `${total} runs` : 'until time is up'} on ${target.label}`);
    let last = Date.now();
    deadline = timeLimitMs !== undefined ? Date.now() + timeLimitMs : Infinity;
    target.watch.violationSeen = false;
    let outcome: SearchOutcome;
    try {
      outcome = await search(target.suite, property, target, {
        seed,
        runs: total,
        ...(timeLimitMs !== undefined ? { timeLimitMs } : {}),
        ...(invariants !== undefined ? { invariants } : {}),
        shouldStop: () => (interrupted ||= interruptedNow()),
        onBatch: ({ runsDone, elapsedMs }) => {
          if (Date.now() - last < 5000) return;
          last = Date.now();
          human(`  ${runsDone} runs, ${((runsDone / Math.max(1, elapsedMs)) * 1000).toFixed(0)} runs/s`);
        },
      });
    } catch (error) {
      // A case that failed, shrunk, and then passed: the implementation does not answer the same way twice.
      human(`  ERROR: ${(error as Error).message}`);
      results.push({ property, outcome: { seed, runsDone: 0, elapsedMs: 0, stopped: 'failure', coverage: { counts: new Map() } } as unknown as SearchOutcome, error: (error as Error).message });
      continue;
    }
    let file: string | undefined;
    const f = outcome.failure;
    if (f !== undefined) {
      const saved = save(counterexampleOf(suite, property, target, f), values.out);
      file = saved.path;
      const traced = execute(target.suite.spec, target.createModel(), f.operations, { trace: true, invariants: selectInvariants(target.suite, property, invariants) });
      human(`  VIOLATION of ${f.violation.invariant} after ${f.runs} runs, shrunk to ${f.operations.length} operations (${f.shrinks} shrink steps):`);
      human(formatTrace(traced).replace(/^/gm, '  '));
      if (f.violation.invariant.startsWith('implementation') && impl.lastFailureDetail) {
        human('  what the implementation printed on stderr:');
        human(stderrExcerpt(impl.lastFailureDetail).split('\n').map((l) => `    | ${l}`).join('\n'));
      }
      human(`  ${saved.created ? 'saved' : 'already saved'}: ${saved.path}`);
      human(`  replay: ${replayCommand(saved.path, target.label, invariants, values.impl)}`);
    }
    results.push({ property, outcome, ...(file !== undefined ? { file } : {}) });
  }
  interrupted ||= interruptedNow();
  impl.close();

  const stats = impl.stats;
  human('');
  human('property                                     runs     time   runs/s  result');
  for (const { property, outcome, error } of results) {
    const rate = outcome.elapsedMs > 0 ? (outcome.runsDone / outcome.elapsedMs) * 1000 : 0;
    const verdict = error ? 'ERROR (not deterministic)' : outcome.failure ? `VIOLATION ${outcome.failure.violation.invariant} (${outcome.failure.operations.length} ops)` : outcome.stopped === 'interrupted' ? 'interrupted' : 'conforms';
    human(`${(suite.spec.name + '/' + property.name).padEnd(44)} ${String(outcome.runsDone).padStart(6)} ${(outcome.elapsedMs / 1000).toFixed(1).padStart(7)}s ${rate.toFixed(0).padStart(8)}  ${verdict}`);
  }
  if (stats !== undefined) {
    const perOp = stats.operations > 0 ? (stats.elapsedMs * 1000) / stats.operations : 0;
    human(
      `adapter: ${stats.operations} operations in ${stats.roundTrips} round trips (${stats.resets} resets), ` +
        `${(stats.elapsedMs / 1000).toFixed(2)} s in the implementation: ${stats.elapsedMs > 0 ? ((stats.operations / stats.elapsedMs) * 1000).toFixed(0) : '-'} operations/s, ${perOp.toFixed(0)} µs each`,
    );
    const unsupported = Object.entries(stats.unsupported ?? {});
    if (unsupported.length > 0) human(`not implemented (answered unsupported, not compared): ${unsupported.map(([op, n]) => `${op} ×${n}`).join(', ')}`);
  }
  if (values.json) {
    writeNow(1, JSON.stringify({
      seed,
      target: target.label,
      results: results.map(({ property, outcome, file, error }) => ({
        subsystem: suite.spec.name,
        property: property.name,
        runs: outcome.runsDone,
        elapsedMs: outcome.elapsedMs,
        stopped: outcome.stopped,
        ...(error ? { error } : {}),
        ...(outcome.failure ? { violation: outcome.failure.violation, shrunkLength: outcome.failure.operations.length, file } : {}),
      })),
      adapter: stats ?? null,
    }, null, 2) + '\n');
  }
  if (results.some((r) => r.outcome.failure !== undefined || r.error !== undefined)) return EXIT.violation;
  return interrupted ? EXIT.interrupted : EXIT.ok;
}

if (isMainThread) {
  // The supervisor: the worker runs conform(); this thread stays free to take signals.
  const stopFlag = new Int32Array(new SharedArrayBuffer(4));
  const boot = new URL('../properties/harness/worker-boot.mjs', import.meta.url);
  const worker = new Worker(boot, { workerData: { entry: import.meta.url, args: process.argv.slice(2), stopFlag } });
  let exitCode: number | undefined;
  worker.on('message', (message: { exitCode?: number }) => (exitCode = message.exitCode));
  worker.on('error', (error) => {
    process.stderr.write(`internal error: ${error.stack ?? String(error)}\n`);
    exitCode = EXIT.usage;
  });
  worker.on('exit', () => {
    process.exitCode = exitCode ?? EXIT.usage;
  });
  /** Ends the process at once, by the signal's default action: the implementation goes with it (its guardian). */
  const abort = (signal: 'SIGINT' | 'SIGTERM', why: string) => {
    process.stderr.write(`\n${why}: aborted at once; nothing more is saved\n`);
    process.removeAllListeners(signal);
    process.kill(process.pid, signal);
  };
  let interruptedAt = 0;
  process.on('SIGINT', () => {
    if (Atomics.load(stopFlag, 0) !== 0) {
      // Under npm and tsx one Ctrl-C arrives twice: from the terminal, and relayed by tsx a moment later.
      if (Date.now() - interruptedAt < SAME_KEYPRESS_MS) return;
      abort('SIGINT', 'second interrupt');
    }
    Atomics.store(stopFlag, 0, 1);
    interruptedAt = Date.now();
    process.stderr.write('\ninterrupt: stopping within one request; what was found is saved (Ctrl-C again, a second later, aborts at once)\n');
  });
  process.on('SIGTERM', () => abort('SIGTERM', 'terminated'));
} else {
  const { args, stopFlag } = workerData as { args: string[]; stopFlag: Int32Array };
  const { main } = await import('./cli.js');
  await main(() => conform(args, stopFlag));
  parentPort?.postMessage({ exitCode: process.exitCode ?? EXIT.ok });
}
