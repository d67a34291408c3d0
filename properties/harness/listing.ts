// What the suite holds, for `npm run check -- --list`: every subsystem with its versions, properties, invariants
// (each with the source it cites) and seeded bugs, as lines to read or as data.

import type { AnySuite } from './suite.js';
import { mutantVersions } from './targets.js';

export function listingJson(suites: readonly AnySuite[]): object {
  return {
    subsystems: suites.map((s) => ({
      name: s.spec.name,
      title: s.spec.title,
      versions: s.spec.versions.map((v) => ({ name: v.name, upstream: v.upstream, checkedAgainst: v.checkedAgainst })),
      properties: s.properties.map((p) => ({ name: p.name, source: p.source, numRuns: p.numRuns })),
      invariants: s.spec.invariants.map((i) => ({ name: i.name, source: i.source })),
      mutants: s.mutants.map((m) => ({ name: m.name, property: m.property, breaks: m.breaks, versions: mutantVersions(s, m.name) })),
    })),
  };
}

export function listingLines(suites: readonly AnySuite[]): string[] {
  const lines: string[] = [];
  for (const s of suites) {
    lines.push(`${s.spec.name}: ${s.spec.title}`);
    for (const [i, v] of s.spec.versions.entries()) lines.push(`  version ${v.name}${i === 0 ? ' (default)' : ''}: ${v.upstream}; checked against ${v.checkedAgainst}`);
    for (const p of s.properties) lines.push(`  property ${p.name} (${p.numRuns} runs in npm test): ${p.source}`);
    for (const i of s.spec.invariants) lines.push(`  invariant ${i.name}: ${i.source}`);
    for (const m of s.mutants) lines.push(`  mutant ${m.name} -> ${m.breaks}${m.versions ? ` [${m.versions.join(', ')}]` : ''}: ${m.description}`);
  }
  return lines;
}
