// npm run schema [-- --check]
// Writes docs/counterexample.schema.json, the JSON Schema of a saved case generated from the code
// (properties/harness/counterexample-schema.ts). With --check, writes nothing: exit 0 if the file is current,
// 1 if it is missing or stale (run `npm run schema` and commit the result), 2 on a usage error.

import { relative } from 'node:path';
import { SCHEMA_FILE, writeOrCheckSchema } from '../properties/harness/counterexample-schema.js';
import { EXIT } from './cli.js';
import { command } from './command.js';

const shown = relative(process.cwd(), SCHEMA_FILE);

const HELP = `usage: npm run schema [-- --check]

Writes ${shown}: the JSON Schema (draft 2020-12) of the counterexample format, generated from
the format in properties/harness/store.ts and every subsystem's properties, versions and operation signatures.
  --check   write nothing; exit 1 if the file is missing or differs from the one the code generates now

Exit status: 0 written, or current; 1 stale or missing (--check); 2 usage error.`;

await command(HELP, { options: { check: { type: 'boolean', default: false } } }, async ({ values }) => {
  const { current, line } = writeOrCheckSchema(values.check, SCHEMA_FILE, shown);
  (current ? console.log : console.error)(line);
  return current ? EXIT.ok : EXIT.violation;
});
