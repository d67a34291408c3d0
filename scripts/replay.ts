// npm run replay -- <file|dir>... [--mutant NAME] [--target model|mutant:NAME] [--impl "<command>" [--timeout MS]] [--invariants A,B]
// Re-executes saved operation lists and prints a step-by-step trace.
// Exit 1 if a violation reproduces, 0 if none does, 2 if any input is unreadable, the target or an invariant
// unknown, or the implementation does not start (the same status and message as conform).

import { parseArgs } from 'node:util';
import { CONFORMANCE_INVARIANTS, conformanceTarget } from '../properties/harness/conformance-target.js';
import { type Implementation, ImplementationFailure } from '../properties/harness/implementation.js';
import { invocation } from '../properties/harness/invocation.js';
import { implementationName, openImplementation } from '../properties/harness/open-implementation.js';
import { stderrExcerpt } from '../properties/harness/sanitizer-report.js';
import { findSuite, suites } from '../properties/harness/registry.js';
import { replay } from '../properties/harness/replay.js';
import { hasVersion, mutantVersions, versionNames, type Target } from '../properties/harness/targets.js';
import { CounterexampleError, listCaseFiles, load } from '../properties/harness/store.js';
import { MODEL_LABEL, mutantLabel, mutantOf } from '../properties/harness/target-label.js';
import { formatTimeline } from '../properties/harness/timeline.js';
import { formatTrace } from '../properties/harness/trace.js';
import { EXIT, main, usageError } from './cli.js';

/** The implementation given with --impl does not start or does not accept a reset: exit 2, as conform. */
class DoesNotStart extends Error {
  constructor(readonly failure: unknown) {
    super('the implementation does not start');
  }
}

const HELP = `usage: ${invocation('replay')} <file|dir>... [--mutant NAME] [--target model|mutant:NAME] [--impl "<command>" [--timeout MS]] [--invariants A,B]

Replays saved counterexamples (the explicit operation lists, not seeds) and prints a trace of every step.
By default each case runs against the specification (the model); --mutant NAME runs it against that seeded bug;
--impl "<command>" runs it against an implementation side by side with the specification (docs/conformance.md;
"module:<file>" for an in-process TypeScript implementation), --timeout MS bounding each of its answers.
--invariants A,B checks only those invariants (as a search restricted with --invariants found the case).
Each case runs on the specification version it was saved with; --spec-version V runs it on version V instead.
Exit status: 0 no violation reproduced, 1 a violation reproduced, 2 unreadable input, unknown target or invariant,
or an implementation that does not start (as for conform).`;

await main(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      mutant: { type: 'string' },
      target: { type: 'string' },
      impl: { type: 'string' },
      timeout: { type: 'string' },
      invariants: { type: 'string' },
      'spec-version': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) usageError('name at least one counterexample file or directory');
  if ([values.mutant, values.target, values.impl].filter((v) => v !== undefined).length > 1) usageError('give one of --mutant, --target and --impl');
  const timeoutMs = values.timeout === undefined ? undefined : Number(values.timeout);
  if (timeoutMs !== undefined && !(Number.isSafeInteger(timeoutMs) && timeoutMs > 0)) usageError(`--timeout takes milliseconds, not "${values.timeout}"`);
  // Names checked before anything runs: a misspelt invariant would otherwise check nothing and pass.
  const only = values.invariants?.split(',').map((x) => x.trim()).filter((x) => x.length > 0);
  if (only !== undefined) {
    const known = [...new Set([...(values.impl !== undefined ? CONFORMANCE_INVARIANTS : []), ...suites.flatMap((s) => s.spec.invariants.map((i) => i.name))])];
    for (const name of only)
      if (!known.includes(name))
        usageError(`unknown invariant "${name.slice(0, 80)}" (no subsystem has it${values.impl !== undefined ? ', nor conformance' : ''}; \`${invocation('check')} --list\` names them all)`);
  }
  // One implementation per subsystem, opened on first use (it must start and accept a reset, as for conform) and
  // closed at the end.
  const implementations = new Map<string, { impl: Implementation; target: Target }>();
  const implTarget = async (subsystem: string, version: string): Promise<Target | undefined> => {
    if (values.impl === undefined) return undefined;
    const key = `${subsystem}@${version}`;
    const known = implementations.get(key);
    if (known !== undefined) return known.target;
    const suite = findSuite(subsystem);
    if (suite === undefined) return undefined;
    const impl = await openImplementation(values.impl, subsystem, timeoutMs === undefined ? {} : { timeoutMs });
    try {
      impl.handshake?.(subsystem);
    } catch (error) {
      impl.close();
      throw new DoesNotStart(error);
    }
    const target = conformanceTarget(suite, impl, implementationName(values.impl), version);
    implementations.set(key, { impl, target });
    return target;
  };
  const targetLabel = values.mutant !== undefined ? mutantLabel(values.mutant) : (values.target ?? MODEL_LABEL);
  let unreadable = 0;
  let reproduced = 0;
  const files = listCaseFiles(positionals);
  if (files.length === 0) usageError(`no counterexample files under ${positionals.join(' ')}`);
  for (const file of files) {
    let ce;
    try {
      ce = load(file, suites);
      const wanted = values['spec-version'];
      if (wanted !== undefined && wanted !== ce.specVersion) {
        const suite = findSuite(ce.subsystem);
        if (suite !== undefined && !hasVersion(suite, wanted))
          throw new CounterexampleError(file, '--spec-version', `unknown specification version "${wanted.slice(0, 80)}" of ${ce.subsystem} (known: ${versionNames(suite).join(', ')})`);
        ce = { ...ce, specVersion: wanted };
      }
    } catch (error) {
      if (!(error instanceof CounterexampleError)) throw error;
      console.error(`error: ${error.message}`);
      unreadable++;
      continue;
    }
    let outcome;
    try {
      if (only !== undefined) {
        const own = [...(values.impl !== undefined ? CONFORMANCE_INVARIANTS : []), ...(findSuite(ce.subsystem)?.spec.invariants.map((i) => i.name) ?? [])];
        const foreign = only.filter((name) => !own.includes(name));
        if (foreign.length > 0) throw new Error(`--invariants: ${foreign.join(', ')} not an invariant of ${ce.subsystem} (valid: ${own.join(', ')})`);
      }
      outcome = replay(ce, (await implTarget(ce.subsystem, ce.specVersion)) ?? targetLabel, true, only);
    } catch (error) {
      if (error instanceof DoesNotStart) {
        // As conform: exit 2, the same message (docs/conformance.md).
        const cause = error.failure;
        const detail = cause instanceof ImplementationFailure && cause.detail ? `\n${cause.detail.trimEnd()}` : '';
        console.error(`error: the implementation does not start: ${(cause as Error).message}${detail}`);
        for (const { impl } of implementations.values()) impl.close();
        return EXIT.usage;
      }
      console.error(`error: ${file}: ${(error as Error).message}`);
      unreadable++;
      continue;
    }
    console.log(`== ${file}`);
    console.log(`   ${ce.subsystem} / ${ce.property}, found on ${ce.target} (seed ${ce.seed}, path "${ce.path}", ${ce.runs} runs), specification version ${ce.specVersion}`);
    console.log(`   saved violation: ${ce.violation.invariant} at step ${ce.violation.step}: ${ce.violation.message}`);
    console.log(`   replaying ${ce.operations.length} operations against ${outcome.target.label}:`);
    const mutantName = mutantOf(outcome.target.label);
    const suiteOfCase = findSuite(ce.subsystem);
    if (mutantName !== undefined && suiteOfCase !== undefined && !mutantVersions(suiteOfCase, mutantName).includes(ce.specVersion))
      console.log(`   note: ${mutantName} is checked by npm test on ${mutantVersions(suiteOfCase, mutantName).join(', ')}; this case is of ${ce.specVersion}`);
    console.log(formatTrace(outcome.run));
    const timeline = formatTimeline(outcome.run); // cases with threads: the schedule, a column per thread
    if (timeline !== undefined) console.log(timeline);
    const detail = implementations.get(`${ce.subsystem}@${ce.specVersion}`)?.impl.lastFailureDetail;
    if (outcome.run.violation?.invariant.startsWith('implementation') && detail) {
      console.log('   what the implementation printed on stderr:');
      console.log(stderrExcerpt(detail).split('\n').map((l) => `     | ${l}`).join('\n'));
    }
    if (outcome.run.violation !== undefined) {
      reproduced++;
      console.log(`result: VIOLATION on ${outcome.target.label}: ${outcome.run.violation.invariant}\n`);
    } else console.log(`result: no violation on ${outcome.target.label}\n`);
  }
  for (const { impl } of implementations.values()) impl.close();
  if (unreadable > 0) return EXIT.usage;
  return reproduced > 0 ? EXIT.violation : EXIT.ok;
});
