// Migrates the saved cases to the single sysmem model (model/uvm-mem), whose invariants the DMA staging-buffer pool
// and the UVM VA space now share. What it maps:
// - violation.invariant: `mappedPagesAccountingIsExact` (uvm-va-space) becomes `mappedCpuPagesSizeIsExact`, the
//   name the two accounting invariants merged under (the pool's name);
// - for a case violating one of the sysmem invariants (UVM_MEM_INVARIANT_NAMES), its violation's source and message
//   become what the shared invariant says now, taken from replaying the case on its seeded bug, which must report
//   that invariant at the same step (else the script stops and changes nothing);
// - a case whose text changed is written as the store writes one and renamed to its content hash.
// Fault plans are not touched: no fault site moved. Running it again changes nothing.
//
// Usage: npx tsx scripts/migrate-sysmem-invariants.ts [folder ...]  (default: the dma-pool and uvm-va-space cases)

import { renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { UVM_MEM_INVARIANT_NAMES } from '../model/uvm-mem/index.js';
import { suites } from '../properties/harness/registry.js';
import { replay } from '../properties/harness/replay.js';
import { fileNameOf, listCaseFiles, load, serialize, type Counterexample } from '../properties/harness/store.js';

const RENAMED: { readonly [old: string]: string } = { mappedPagesAccountingIsExact: 'mappedCpuPagesSizeIsExact' };
const SHARED: ReadonlySet<string> = new Set(UVM_MEM_INVARIANT_NAMES);
const ROOT = join(import.meta.dirname, '..', 'counterexamples');
const DEFAULT_FOLDERS = ['dma-pool', 'uvm-va-space', join('upstream', 'dma-pool')].map((f) => join(ROOT, f));

function migrated(ce: Counterexample, file: string): Counterexample {
  const invariant = RENAMED[ce.violation.invariant] ?? ce.violation.invariant;
  if (!SHARED.has(invariant) || !ce.target.startsWith('mutant:')) return { ...ce, violation: { ...ce.violation, invariant } };
  const now = replay(ce, ce.target, false).run.violation;
  if (now?.invariant !== invariant || now.step !== ce.violation.step)
    throw new Error(`${file}: replays to ${now?.invariant ?? 'no violation'} at step ${now?.step ?? '-'}, not ${invariant} at step ${ce.violation.step}`);
  return { ...ce, violation: { step: ce.violation.step, invariant, source: now.source, message: now.message } };
}

const folders = process.argv.length > 2 ? process.argv.slice(2) : DEFAULT_FOLDERS;
// Every case is checked before any is written; one left as it was is not rewritten.
const plans = listCaseFiles(folders).map((file) => {
  const ce = load(file, suites);
  const after = serialize(migrated(ce, file));
  return { file, changed: after !== serialize(ce), after };
});
for (const { file, changed, after } of plans) {
  if (!changed) continue;
  const target = join(dirname(file), fileNameOf(after));
  writeFileSync(file, after);
  renameSync(file, target);
  console.log(`${file} -> ${target}`);
}
console.log(`${plans.filter((p) => p.changed).length} of ${plans.length} saved cases migrated`);
