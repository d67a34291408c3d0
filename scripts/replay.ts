// npm run replay -- <file|dir>... [--mutant NAME] [--target model|mutant:NAME]
// Re-executes saved operation lists and prints a step-by-step trace.
// Exit 1 if a violation reproduces, 0 if none does, 2 if any input is unreadable or the target unknown.

import { parseArgs } from 'node:util';
import { replay } from '../properties/harness/replay.js';
import { CounterexampleError, listCaseFiles, load } from '../properties/harness/store.js';
import { formatTrace } from '../properties/harness/trace.js';
import { EXIT, main, usageError } from './cli.js';

const HELP = `usage: npm run replay -- <file|dir>... [--mutant NAME] [--target model|mutant:NAME]

Replays saved counterexamples (the explicit operation lists, not seeds) and prints a trace of every step.
By default each case runs against the specification (the model); --mutant NAME runs it against that seeded bug.
Exit status: 0 no violation reproduced, 1 a violation reproduced, 2 unreadable input or unknown target.`;

await main(async () => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { mutant: { type: 'string' }, target: { type: 'string' }, help: { type: 'boolean', short: 'h' } },
  });
  if (values.help) {
    console.log(HELP);
    return EXIT.ok;
  }
  if (positionals.length === 0) usageError('name at least one counterexample file or directory');
  if (values.mutant !== undefined && values.target !== undefined) usageError('give --mutant or --target, not both');
  const targetLabel = values.mutant !== undefined ? `mutant:${values.mutant}` : (values.target ?? 'model');
  let unreadable = 0;
  let reproduced = 0;
  const files = listCaseFiles(positionals);
  if (files.length === 0) usageError(`no counterexample files under ${positionals.join(' ')}`);
  for (const file of files) {
    let ce;
    try {
      ce = load(file);
    } catch (error) {
      if (!(error instanceof CounterexampleError)) throw error;
      console.error(`error: ${error.message}`);
      unreadable++;
      continue;
    }
    let outcome;
    try {
      outcome = replay(ce, targetLabel);
    } catch (error) {
      console.error(`error: ${file}: ${(error as Error).message}`);
      unreadable++;
      continue;
    }
    console.log(`== ${file}`);
    console.log(`   ${ce.subsystem} / ${ce.property}, found on ${ce.target} (seed ${ce.seed}, path "${ce.path}", ${ce.runs} runs)`);
    console.log(`   saved violation: ${ce.violation.invariant} at step ${ce.violation.step}: ${ce.violation.message}`);
    console.log(`   replaying ${ce.operations.length} operations against ${outcome.target.label}:`);
    console.log(formatTrace(outcome.run));
    if (outcome.run.violation !== undefined) {
      reproduced++;
      console.log(`result: VIOLATION on ${outcome.target.label}: ${outcome.run.violation.invariant}\n`);
    } else console.log(`result: no violation on ${outcome.target.label}\n`);
  }
  if (unreadable > 0) return EXIT.usage;
  return reproduced > 0 ? EXIT.violation : EXIT.ok;
});
