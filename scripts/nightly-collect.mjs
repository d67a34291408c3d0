// The nightly workflow's last step (.github/workflows/nightly.yml): gathers the cases every shard saved into one
// folder laid out as they are committed, counterexamples/<subsystem>/<hash>.json, with a README.md giving the
// command that replays them, so that the folder (or the pull request made from it) is ready to review and commit.
//
//   node scripts/nightly-collect.mjs <downloaded-dir> <out-dir> [--known counterexamples] [--run-url URL]
//
// Every *.json under <downloaded-dir> (the shards' artifacts, in any folders) must be a counterexample whose file
// name is the hash of its content, as the store writes it; anything else is named and counted as refused. A case
// already under the --known folder (the committed cases) is left out. Writes count=<new cases> to $GITHUB_OUTPUT
// when set. Exit 0, or 1 when a file was refused (the others are still collected).
import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const FORMAT = 'gpumem-spec/counterexample@1';

function* jsonFiles(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) yield* jsonFiles(path);
    else if (entry.isFile() && entry.name.endsWith('.json')) yield path;
  }
}

/** Where a downloaded file belongs (counterexamples/<subsystem>/<name>), or why it does not belong anywhere. */
export function placeOf(path) {
  const text = readFileSync(path, 'utf8');
  const name = basename(path);
  let ce;
  try {
    ce = JSON.parse(text);
  } catch {
    return { error: 'not JSON' };
  }
  if (ce === null || typeof ce !== 'object' || ce.format !== FORMAT) return { error: `not a ${FORMAT} file` };
  if (typeof ce.subsystem !== 'string' || !/^[a-z0-9][a-z0-9-]*$/.test(ce.subsystem)) return { error: 'no valid subsystem' };
  // The store names a case by the first 16 hex digits of the SHA-256 of its text: a file that is not so named was
  // changed or made by hand, and is not what the search found.
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 16) + '.json';
  if (name !== hash) return { error: `named ${name}, but its content hashes to ${hash}` };
  return { place: join('counterexamples', ce.subsystem, name), subsystem: ce.subsystem };
}

export function collect(inputDir, outDir, knownDir) {
  const added = new Map();
  const refused = [];
  let known = 0;
  for (const file of existsSync(inputDir) ? jsonFiles(inputDir) : []) {
    const where = placeOf(file);
    if (where.error !== undefined) {
      refused.push(`${relative(inputDir, file)}: ${where.error}`);
      continue;
    }
    if (knownDir !== undefined && existsSync(join(knownDir, where.subsystem, basename(where.place)))) {
      known++;
      continue;
    }
    if (added.has(where.place)) continue; // the same case from two shards: the same content, kept once
    mkdirSync(join(outDir, 'counterexamples', where.subsystem), { recursive: true });
    copyFileSync(file, join(outDir, where.place));
    added.set(where.place, where.subsystem);
  }
  return { added: [...added.keys()].sort(), subsystems: [...new Set(added.values())].sort(), known, refused };
}

export function readme(result, runUrl) {
  const lines = [`# Cases found by the nightly search${runUrl ? ` (${runUrl})` : ''}`, ''];
  if (result.added.length === 0) return [...lines, 'No new case.', ''].join('\n');
  lines.push(`${result.added.length} new case${result.added.length === 1 ? '' : 's'}, laid out as committed. Copy \`counterexamples/\` into the repository, then:`, '');
  lines.push('```sh');
  lines.push(`npm run replay -- ${result.added.join(' ')}`);
  lines.push(`npx vitest run ${result.subsystems.map((s) => `properties/${s}`).join(' ')} -u   # adds their traces to TRACES.md`);
  lines.push('```', '');
  lines.push('A case the specification fails makes `npm test` fail until the specification (or the source it follows) is settled.', '');
  return lines.join('\n');
}

function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { known: { type: 'string' }, 'run-url': { type: 'string' } } });
  const [inputDir, outDir] = positionals;
  if (inputDir === undefined || outDir === undefined || positionals.length !== 2) {
    console.error('usage: node scripts/nightly-collect.mjs <downloaded-dir> <out-dir> [--known counterexamples] [--run-url URL]');
    return 2;
  }
  const result = collect(inputDir, outDir, values.known);
  mkdirSync(outDir, { recursive: true });
  writeFileSync(join(outDir, 'README.md'), readme(result, values['run-url']));
  for (const place of result.added) console.log(`new: ${place}`);
  for (const line of result.refused) console.error(`refused: ${line}`);
  console.log(`${result.added.length} new case(s), ${result.known} already committed, ${result.refused.length} refused`);
  if (process.env.GITHUB_OUTPUT) appendFileSync(process.env.GITHUB_OUTPUT, `count=${result.added.length}\n`);
  return result.refused.length > 0 ? 1 : 0;
}

// Run as a script (not imported by its test).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
