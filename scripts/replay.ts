// npm run replay -- <file|dir>... [--mutant NAME] [--target model|mutant:NAME] [--impl "<command>" [--timeout MS]] [--invariants A,B]
// Re-executes saved operation lists and prints a step-by-step trace.
// Exit 1 if a violation reproduces, 0 if none does, 2 if any input is unreadable, the target or an invariant
// unknown, or the implementation does not start (the same status and message as conform).

import { CONFORMANCE_INVARIANTS } from '../properties/harness/conformance-target.js';
import { DoesNotStart, ImplementationTargets } from '../properties/harness/implementation-targets.js';
import { invocation } from '../properties/harness/invocation.js';
import { findSuite, suites } from '../properties/harness/registry.js';
import { onVersion, replay, replayLines } from '../properties/harness/replay.js';
import { type Counterexample, CounterexampleError, listCaseFiles, load } from '../properties/harness/store.js';
import { MODEL_LABEL, mutantLabel } from '../properties/harness/target-label.js';
import { EXIT, parseInteger, parseList, usageError } from './cli.js';
import { command } from './command.js';

const HELP = `usage: ${invocation('replay')} <file|dir>... [--mutant NAME] [--target model|mutant:NAME] [--impl "<command>" [--timeout MS]] [--invariants A,B]

Replays saved counterexamples (the explicit operation lists, not seeds) and prints a trace of every step.
By default each case runs against the specification (the model); --mutant NAME runs it against that seeded bug;
--impl "<command>" runs it against an implementation side by side with the specification (docs/conformance.md;
"module:<file>" for an in-process TypeScript implementation), --timeout MS bounding each of its answers.
--invariants A,B checks only those invariants (as a search restricted with --invariants found the case).
Each case runs on the specification version it was saved with; --spec-version V runs it on version V instead.
Exit status: 0 no violation reproduced, 1 a violation reproduced, 2 unreadable input, unknown target or invariant,
or an implementation that does not start (as for conform).`;

await command(HELP, {
  allowPositionals: true,
  options: {
    mutant: { type: 'string' },
    target: { type: 'string' },
    impl: { type: 'string' },
    timeout: { type: 'string' },
    invariants: { type: 'string' },
    'spec-version': { type: 'string' },
  },
}, async ({ values, positionals }) => {
  if (positionals.length === 0) usageError('name at least one counterexample file or directory');
  if ([values.mutant, values.target, values.impl].filter((v) => v !== undefined).length > 1) usageError('give one of --mutant, --target and --impl');
  const timeoutMs = parseInteger('timeout', values.timeout, 1);
  // Names checked before anything runs: a misspelt invariant would otherwise check nothing and pass.
  const only = parseList(values.invariants);
  const conformance = values.impl !== undefined ? CONFORMANCE_INVARIANTS : [];
  const known = new Set([...conformance, ...suites.flatMap((s) => s.spec.invariants.map((i) => i.name))]);
  for (const name of only ?? [])
    if (!known.has(name))
      usageError(`unknown invariant "${name.slice(0, 80)}" (no subsystem has it${values.impl !== undefined ? ', nor conformance' : ''}; \`${invocation('check')} --list\` names them all)`);
  const implementations = values.impl === undefined ? undefined : new ImplementationTargets(values.impl, timeoutMs === undefined ? {} : { timeoutMs });
  const targetLabel = values.mutant !== undefined ? mutantLabel(values.mutant) : (values.target ?? MODEL_LABEL);
  const files = listCaseFiles(positionals);
  if (files.length === 0) usageError(`no counterexample files under ${positionals.join(' ')}`);
  let unreadable = 0;
  let reproduced = 0;
  try {
    for (const file of files) {
      let ce: Counterexample;
      try {
        ce = load(file, suites);
        if (values['spec-version'] !== undefined) ce = onVersion(ce, values['spec-version'], file);
      } catch (error) {
        if (!(error instanceof CounterexampleError)) throw error;
        console.error(`error: ${error.message}`);
        unreadable++;
        continue;
      }
      let outcome;
      try {
        const suite = findSuite(ce.subsystem);
        if (only !== undefined) {
          const own = [...conformance, ...(suite?.spec.invariants.map((i) => i.name) ?? [])];
          const foreign = only.filter((name) => !own.includes(name));
          if (foreign.length > 0) throw new Error(`--invariants: ${foreign.join(', ')} not an invariant of ${ce.subsystem} (valid: ${own.join(', ')})`);
        }
        const target = implementations !== undefined && suite !== undefined ? await implementations.get(suite, ce.specVersion) : targetLabel;
        outcome = replay(ce, target, true, only);
      } catch (error) {
        // As conform: exit 2, the same message (docs/conformance.md).
        if (error instanceof DoesNotStart) {
          console.error(`error: ${error.message}`);
          return EXIT.usage;
        }
        console.error(`error: ${file}: ${(error as Error).message}`);
        unreadable++;
        continue;
      }
      for (const line of replayLines(file, ce, outcome, implementations?.lastFailureDetail(ce.subsystem, ce.specVersion))) console.log(line);
      if (outcome.run.violation !== undefined) reproduced++;
    }
  } finally {
    implementations?.close();
  }
  if (unreadable > 0) return EXIT.usage;
  return reproduced > 0 ? EXIT.violation : EXIT.ok;
});
