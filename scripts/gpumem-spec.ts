#!/usr/bin/env node
// gpumem-spec <command> [options]: the package's one executable (package.json `bin`), for a project that installs
// gpumem-spec rather than cloning it. Each command is the script `npm run <command>` runs in this repository; it
// runs on import and reads process.argv, so the command's own arguments are put in its place and the script is
// imported: from the compiled build (dist/scripts/*.js) with plain node, or from the sources under tsx.
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { BIN_VARIABLE } from '../properties/harness/invocation.js';
import { moduleBeside } from '../properties/harness/worker-start.js';

/** The commands, in the order --help lists them, each with what it does. */
const COMMANDS = {
  check: 'search the specification (or a seeded bug: --mutant) for a violation, from a printed seed',
  replay: 'replay saved counterexamples and print their traces (--impl: on an implementation)',
  conform: 'check an implementation (a program speaking JSON lines, or module:<file>) against the specification',
  mutants: 'the kill matrix: every seeded bug, caught by which invariant after how many runs',
  upstream: 'compile a real driver tree against the kernel shims and conform it (build, detect, conform, list)',
  report: 'write the browsable report: one HTML file (kill matrix heatmap, saved cases, generator label shares)',
} as const;

const USAGE = `usage: gpumem-spec <command> [options]
       gpumem-spec <command> --help     the command's options
       gpumem-spec --version            the package's version

${Object.entries(COMMANDS).map(([name, what]) => `  ${name.padEnd(10)}${what}`).join('\n')}

Exit status: that of the command (0 nothing found, 1 a violation found, 2 usage error, 130 interrupted).`;

const EXIT_USAGE = 2;

/** The package's version: from the package.json above this file (one level up in a clone, two from dist/scripts/). */
function version(): string {
  for (const up of ['../package.json', '../../package.json']) {
    const file = new URL(up, import.meta.url);
    if (!existsSync(file)) continue;
    const manifest = JSON.parse(readFileSync(file, 'utf8')) as { name?: string; version?: string };
    if (manifest.name === 'gpumem-spec' && manifest.version !== undefined) return manifest.version;
  }
  return 'unknown';
}

function isCommand(name: string): name is keyof typeof COMMANDS {
  return Object.hasOwn(COMMANDS, name);
}

const [name, ...args] = process.argv.slice(2);
if (name === undefined) {
  process.stderr.write(`${USAGE}\n`);
  process.exitCode = EXIT_USAGE;
} else if (name === '--help' || name === '-h' || name === 'help') {
  process.stdout.write(`${USAGE}\n`);
} else if (name === '--version') {
  process.stdout.write(`${version()}\n`);
} else if (!isCommand(name)) {
  process.stderr.write(`gpumem-spec: unknown command ${JSON.stringify(name.slice(0, 60))}; valid: ${Object.keys(COMMANDS).join(', ')}\n`);
  process.exitCode = EXIT_USAGE;
} else {
  const script = moduleBeside(`./${name}`, import.meta.url);
  process.argv = [process.argv[0] ?? process.execPath, fileURLToPath(script), ...args];
  // The commands it prints for the user to run next (a replay, a usage line) are then gpumem-spec's too.
  process.env[BIN_VARIABLE] = '1';
  await import(script.href);
}
