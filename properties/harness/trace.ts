// A trace a kernel engineer can read: each operation with its arguments, the faults injected into it, its
// result, the state that matters afterwards, and where which invariant failed.

import { formatResult } from '../../model/common/result.js';
import { formatArgs } from '../../model/common/values.js';
import type { Execution } from './interpreter.js';

export { formatResult };

export function formatTrace(run: Execution): string {
  const lines: string[] = [];
  const width = String(run.steps.length).length;
  for (const step of run.steps) {
    const n = `#${String(step.index).padStart(width, '0')}`;
    const call = `${step.op.op}(${formatArgs(step.op.args)})`;
    if (step.skipped) {
      lines.push(`${n} ${call}  -- skipped: precondition does not hold`);
      continue;
    }
    const result = step.result === undefined ? 'threw' : formatResult(step.result);
    lines.push(`${n} ${call} -> ${result}`);
    for (const f of step.faults) lines.push(`     injected failure at fallible step ${f.index}: ${f.site}`);
    if (step.state !== undefined) lines.push(`     ${step.state}`);
    if (run.violation?.step === step.index) {
      lines.push(`  ✗ ${run.violation.invariant}: ${run.violation.message}`);
      lines.push(`    (${run.violation.source})`);
    }
  }
  if (run.violation === undefined) lines.push('  ✓ every invariant held after every step');
  return lines.join('\n');
}
