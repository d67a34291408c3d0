// The frame every command-line front end of this project shares: the options parsed by node:util's parseArgs
// (with --help/-h added), the help printed for --help, human lines sent to stderr when stdout carries the
// machine-readable result, and errors mapped to exit statuses by cli.ts's main. A script is then its options,
// its help and one call.
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { EXIT, main } from './cli.js';

const HELP_OPTION = { help: { type: 'boolean', short: 'h' } } as const;

type WithHelp<T extends ParseArgsConfig> = T & { options: T['options'] & typeof HELP_OPTION };
type Parsed<T extends ParseArgsConfig> = ReturnType<typeof parseArgs<WithHelp<T>>>;

/** Parses process.argv by `config`, prints `help` for --help, and otherwise runs `run` (its result is the exit status). */
export async function command<const T extends ParseArgsConfig>(help: string, config: T, run: (parsed: Parsed<T>) => Promise<number>): Promise<void> {
  await main(async () => {
    const withHelp = { ...config, options: { ...config.options, ...HELP_OPTION } } as WithHelp<T>;
    const parsed = parseArgs(withHelp);
    if ((parsed.values as { help?: boolean }).help === true) {
      console.log(help);
      return EXIT.ok;
    }
    return run(parsed);
  });
}

/** Where a command's lines for people go: stdout, or stderr when stdout carries --json output. */
export function humanLines(json: boolean | undefined): (line: string) => void {
  const stream = json === true ? process.stderr : process.stdout;
  return (line) => void stream.write(line + '\n');
}
