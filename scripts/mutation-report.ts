// npm run mutation:report -- REPORT.json [REPORT.json ...] [--survivors] [--json]
// Summarises StrykerJS JSON reports (coverage/mutation/mutation.json, one per run): the mutation score per file
// and in all, and with --survivors every surviving mutant (file, line, mutator, replacement) for examination in
// docs/mutation-survivors.md. Several reports (one per subsystem, say) are merged; a file in a later report
// replaces the same file in an earlier one.

import { mutationReport } from '../properties/harness/mutation-report.js';
import { EXIT, usageError } from './cli.js';
import { command } from './command.js';

const HELP = `usage: npm run mutation:report -- REPORT.json [REPORT.json ...] [--survivors] [--json]

  REPORT.json   a StrykerJS JSON report (jsonReporter; npm run mutation writes coverage/mutation/mutation.json)
  --survivors   also list every surviving mutant, per file
  --json        the figures as JSON

Exit status: 0 printed, 2 usage error or unreadable report.`;

await command(HELP, { allowPositionals: true, options: { survivors: { type: 'boolean' }, json: { type: 'boolean' } } }, async ({ values, positionals }) => {
  if (positionals.length === 0) usageError('give at least one report (coverage/mutation/mutation.json)');
  let lines: string[];
  try {
    lines = mutationReport(positionals, values);
  } catch (error) {
    usageError((error as Error).message);
  }
  for (const line of lines) console.log(line);
  return EXIT.ok;
});
