// npm run build: the package as plain JavaScript with declarations, under dist/ in the repository's own layout.
// tsc (tsconfig.build.json) compiles the TypeScript; the files a compiled module finds beside itself through
// import.meta.url are copied next to it: the worker threads' plain-JavaScript entry points (*.mjs) and the C
// sources `upstream build` compiles (each target's kernel shims and protocol program, and examples/common).
// dist/ is removed first, so a module deleted from the sources is not shipped from an earlier build.
import { execFileSync } from 'node:child_process';
import { cpSync, readdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative } from 'node:path';

const ROOT = join(import.meta.dirname, '..');
const DIST = join(ROOT, 'dist');

/** What is copied beside the compiled modules: a folder and which of its files (by path relative to ROOT). */
const ASSETS = [
  { from: 'properties', keep: (path) => path.endsWith('.mjs') },
  // The shims and protocol programs; never a target's tests, nor upstream/build/ (compiled trees, git-ignored).
  { from: 'upstream', keep: (path) => /\.[ch]$/.test(path) && !/(^|\/)(test|build)\//.test(path) },
  { from: join('examples', 'common'), keep: (path) => /\.[ch]$/.test(path) },
];

rmSync(DIST, { recursive: true, force: true });
// typescript's exports map does not list its bin, so it is found beside its package.json.
const tsc = join(dirname(createRequire(import.meta.url).resolve('typescript/package.json')), 'bin', 'tsc');
try {
  // tsc prints its errors on stdout: they go to stderr, so that stdout stays npm pack --json's (prepare runs this).
  execFileSync(process.execPath, [tsc, '-p', join(ROOT, 'tsconfig.build.json')], { stdio: ['ignore', 2, 2] });
} catch (error) {
  // tsc has printed the errors; its exit status is the build's.
  process.stderr.write('build: tsc failed\n');
  process.exit(error.status ?? 1);
}

let copied = 0;
for (const { from, keep } of ASSETS) {
  for (const entry of readdirSync(join(ROOT, from), { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const path = relative(ROOT, join(entry.parentPath, entry.name));
    if (!keep(path)) continue;
    cpSync(join(ROOT, path), join(DIST, path));
    copied++;
  }
}
process.stderr.write(`dist/: compiled by tsc, ${copied} files copied beside it\n`);
