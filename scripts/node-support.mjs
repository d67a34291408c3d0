// Run first by every npm script (`node scripts/node-support.mjs && ...` in package.json): on a Node outside package.json's
// `engines`, print one line naming the supported range and the running version, and exit 1, instead of the stack
// trace vite (under vitest) or tsx throws on an older Node. It must itself run on any Node a user may have, so it
// imports only node: modules and uses no syntax newer than Node 12.
//
// The range is read from package.json, so engines stays the one place it is stated. Only the comparators an
// engines range needs are understood (`^`, `~`, `>=`, `>`, `<=`, `<`, `=` or a bare version, alternatives joined
// by `||`, comparators joined by spaces); anything else is reported as an unreadable range, never silently passed.
//
//   node scripts/node-support.mjs                     the check, on the running Node
//   node scripts/node-support.mjs --node-version V    the check as if the running Node were V (for the tests)
//   node scripts/node-support.mjs --range R           the check against range R instead of engines (for the tests)
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** [major, minor, patch] of "v20.19.0" / "20.19.0" / "20.19", or undefined. */
export function parseVersion(text) {
  const match = /^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?$/.exec(String(text).trim());
  if (match === null) return undefined;
  return [Number(match[1]), Number(match[2] || 0), Number(match[3] || 0)];
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

/** Whether version (a [major, minor, patch]) satisfies one comparator such as "^20.19.0"; throws on an unknown one. */
function satisfiesComparator(version, comparator) {
  const match = /^(\^|~|>=|>|<=|<|=)?\s*(\S+)$/.exec(comparator);
  const bound = match === null ? undefined : parseVersion(match[2]);
  if (match === null || bound === undefined) throw new Error(`unreadable comparator '${comparator}'`);
  const order = compare(version, bound);
  switch (match[1]) {
    case '^': // same major (for 0.x, same minor), not below the bound
      return order >= 0 && version[0] === bound[0] && (bound[0] !== 0 || version[1] === bound[1]);
    case '~': // same major and minor, not below the bound
      return order >= 0 && version[0] === bound[0] && version[1] === bound[1];
    case '>=': return order >= 0;
    case '>': return order > 0;
    case '<=': return order <= 0;
    case '<': return order < 0;
    default: return order === 0;
  }
}

/** Whether a version string satisfies an engines range such as "^20.19.0 || >=22.12.0"; throws on an unreadable one. */
export function satisfies(versionText, range) {
  const version = parseVersion(versionText);
  if (version === undefined) throw new Error(`unreadable version '${versionText}'`);
  return range.split('||').some((alternative) => {
    const comparators = alternative.trim().replace(/(\^|~|>=|>|<=|<|=)\s+/g, '$1').split(/\s+/).filter((c) => c !== '');
    if (comparators.length === 0) throw new Error(`empty alternative in '${range}'`);
    return comparators.every((c) => satisfiesComparator(version, c));
  });
}

function main(args) {
  const option = (name) => (args.indexOf(name) >= 0 ? args[args.indexOf(name) + 1] : undefined);
  const running = option('--node-version') || process.versions.node;
  const manifest = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  const range = option('--range') || (manifest.engines && manifest.engines.node);
  if (typeof range !== 'string') return 0;
  let ok;
  try {
    ok = satisfies(running, range);
  } catch (error) {
    console.error(`${manifest.name}: cannot check the Node version: ${error.message} (package.json engines.node is '${range}')`);
    return 2;
  }
  if (ok) return 0;
  console.error(`${manifest.name} needs Node ${range} (package.json engines: what vite, under vitest, requires); ` +
    `this is Node ${running}. Install a supported Node (nvm install 24, say) and run npm ci again.`);
  return 1;
}

// Run as a script (not imported by its test).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2));
}
