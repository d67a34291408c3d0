// The nightly workflow's plan (.github/workflows/nightly.yml): checks its three inputs strictly and turns them into
// the search's seed, each shard's search time and the shard list of the job matrix. A malformed input (`1-2`
// shards, a seed past 32 bits, `30m`) stops the run before any runner starts, with one message per input.
//
//   SEED=<int or empty> MINUTES=<int> SHARDS=<int> RUN_ID=<github.run_id> node scripts/nightly-plan.mjs
//
// Writes seed=, seconds=, count= and shards= (a JSON list 1..N) to $GITHUB_OUTPUT and a line to
// $GITHUB_STEP_SUMMARY when they are set, else prints them. Exit 0, or 2 with the messages on stderr.
import { appendFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The bounds of each input: the seed is check's --seed (a 32-bit integer); a shard's search must end well within
 * the search job's timeout-minutes (240) with time left to install and shrink; GitHub runs at most 256 jobs of a
 * matrix, and more than 64 runners a night is a mistake rather than a plan. */
export const LIMITS = {
  seed: { min: -2147483648, max: 2147483647 },
  minutes: { min: 1, max: 180 },
  shards: { min: 1, max: 64 },
};

/** An integer input, or an error message naming it. `signed` admits a leading minus. */
function integer(name, text, { min, max }, signed) {
  const shape = signed ? /^-?[0-9]+$/ : /^[0-9]+$/;
  const what = `${signed ? 'an integer' : 'a whole number'} from ${min} to ${max}`;
  if (!shape.test(text)) return { error: `${name} must be ${what}, got '${text}'` };
  const value = Number(text);
  if (value < min || value > max) return { error: `${name} must be ${what}, got ${text}` };
  return { value: Object.is(value, -0) ? 0 : value }; // '-0' is 0
}

/** The plan from the workflow's inputs (strings as GitHub passes them), or the list of what is wrong with them. */
export function plan({ seed = '', minutes = '', shards = '', runId = '' }) {
  const errors = [];
  const take = (result) => {
    if (result.error !== undefined) errors.push(result.error);
    return result.value;
  };
  const seedText = seed.trim();
  let seedValue;
  if (seedText === '') {
    // No seed given: one derived from the run id, so that each night searches elsewhere and the summary names it.
    if (!/^[0-9]+$/.test(runId)) errors.push(`no seed given and the run id '${runId}' is not a number to derive one from`);
    else seedValue = Number(BigInt(runId) % 2147483647n);
  } else seedValue = take(integer('seed', seedText, LIMITS.seed, true));
  const minutesValue = take(integer('minutes', minutes.trim(), LIMITS.minutes, false));
  const shardsValue = take(integer('shards', shards.trim(), LIMITS.shards, false));
  if (errors.length > 0) return { errors };
  return {
    seed: seedValue,
    seconds: minutesValue * 60,
    minutes: minutesValue,
    count: shardsValue,
    shards: Array.from({ length: shardsValue }, (_, i) => i + 1),
  };
}

function main() {
  const env = process.env;
  const result = plan({ seed: env.SEED, minutes: env.MINUTES, shards: env.SHARDS, runId: env.RUN_ID });
  if (result.errors !== undefined) {
    for (const error of result.errors) {
      // On GitHub an ::error line is also shown on the run's page, not only in the step's log.
      console.error(env.GITHUB_ACTIONS === 'true' ? `::error title=nightly input::${error}` : error);
    }
    return 2;
  }
  const outputs = [`seed=${result.seed}`, `seconds=${result.seconds}`, `count=${result.count}`, `shards=${JSON.stringify(result.shards)}`].join('\n') + '\n';
  const summary = `Nightly search: seed **${result.seed}**, ${result.count} shard${result.count === 1 ? '' : 's'} of ${result.minutes} min ` +
    `(re-run one: \`npm run check -- --seed=${result.seed} --shard I/${result.count} --time ${result.seconds}\`).\n`;
  if (env.GITHUB_OUTPUT) appendFileSync(env.GITHUB_OUTPUT, outputs);
  else process.stdout.write(outputs);
  if (env.GITHUB_STEP_SUMMARY) appendFileSync(env.GITHUB_STEP_SUMMARY, summary);
  else process.stdout.write(summary);
  return 0;
}

// Run as a script (not imported by its test).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
