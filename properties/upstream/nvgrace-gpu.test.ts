// The real driver: Linux drivers/vfio/pci/nvgrace-gpu/main.c from the tree GPUMEM_UPSTREAM_NVGRACE_GPU names,
// compiled unmodified against the shim (upstream/nvgrace-gpu). Skipped, saying so, without a tree. With one: the
// tree's version is detected, the driver builds and answers the protocol, a short conformance search runs to its
// first difference or to the end, and every saved finding (counterexamples/upstream/nvgrace-gpu/) still reproduces
// on it: each is a known upstream defect or a documented difference (docs/upstream.md), and one that stops
// reproducing has been fixed on one side and must leave that list.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { conformanceTarget, CONFORMANCE_INVARIANTS } from '../harness/conformance-target.js';
import type { Implementation } from '../harness/implementation.js';
import { execute } from '../harness/interpreter.js';
import { ProcessImplementation } from '../harness/process-adapter.js';
import { findSuite, suites } from '../harness/registry.js';
import { selectInvariants } from '../harness/suite.js';
import { listCaseFiles, load } from '../harness/store.js';
import type { Operation } from '../../model/common/values.js';
import { target } from '../../upstream/nvgrace-gpu/target.js';

const ROOT = join(import.meta.dirname, '..', '..');
const tree = process.env[target.envVar];
const FINDINGS = join(ROOT, 'counterexamples', 'upstream', 'nvgrace-gpu');
const skipReason = tree ? '' : ` (skipped: set ${target.envVar} to a Linux tree)`;
const opened: Implementation[] = [];
afterAll(() => opened.forEach((i) => i.close()));

function open(): { exe: string; specVersion: string } {
  const dir = tree as string;
  const { specVersion } = target.detectVersion(dir);
  const exe = target.build(dir, join(ROOT, 'upstream', 'build', 'nvgrace-gpu', 'test-tree'));
  return { exe, specVersion };
}

describe(`nvgrace-gpu upstream driver${skipReason}`, () => {
  it.skipIf(!tree)(`the tree's version is one the specification has${skipReason}`, () => {
    const detected = target.detectVersion(tree as string);
    expect(findSuite('nvgrace-gpu')?.spec.versions.map((v) => v.name)).toContain(detected.specVersion);
    expect(detected.how).toMatch(/usemem BAR is sized (before|after) the MEMBLK_SIZE round-down/);
  });

  it.skipIf(!tree)(`the driver builds and probes a Grace Hopper device${skipReason}`, () => {
    const { exe, specVersion } = open();
    const suite = findSuite('nvgrace-gpu');
    if (suite === undefined) throw new Error('no nvgrace-gpu suite');
    const impl = new ProcessImplementation(exe, { timeoutMs: 30_000 });
    opened.push(impl);
    const conf = conformanceTarget(suite, impl, 'upstream-nvgrace-gpu', specVersion);
    const property = conf.suite.properties[0];
    if (property === undefined) throw new Error('no property');
    const GiB = 1n << 30n;
    const ops: Operation[] = [
      { op: 'probe', args: { memphys: 0x4000_0000_0000n, memlength: 96n * GiB } },
      { op: 'write', args: { bar: 'BAR4', offset: 0x10n, count: 4n, seed: 7, faults: [] } },
      { op: 'read', args: { bar: 'BAR4', offset: 0x0n, count: 0x20n, faults: [] } },
      { op: 'cfgRead', args: { offset: 0x20, count: 8 } },
      { op: 'reset', args: {} },
    ];
    const run = execute(conf.suite.spec, conf.createModel(), ops, { trace: true, invariants: selectInvariants(conf.suite, property) });
    expect(run.violation).toBeUndefined();
    expect(run.steps.length).toBe(ops.length);
  });

  const findings = existsSync(FINDINGS) ? listCaseFiles([FINDINGS]) : [];
  it.skipIf(!tree || findings.length === 0)(`every saved finding still reproduces on the tree${skipReason}`, () => {
    const { exe } = open();
    const suite = findSuite('nvgrace-gpu');
    if (suite === undefined) throw new Error('no nvgrace-gpu suite');
    const impl = new ProcessImplementation(exe, { timeoutMs: 30_000 });
    opened.push(impl);
    for (const file of findings) {
      const ce = load(file, suites);
      const conf = conformanceTarget(suite, impl, 'upstream-nvgrace-gpu', ce.specVersion);
      const property = conf.suite.properties.find((p) => p.name === ce.property);
      if (property === undefined) throw new Error(`no property ${ce.property}`);
      const invariants = selectInvariants(conf.suite, property, [...CONFORMANCE_INVARIANTS.filter((i) => i !== 'resultMatchesSpecification'), ce.violation.invariant]);
      const run = execute(conf.suite.spec, conf.createModel(), ce.operations, { invariants });
      expect({ file, invariant: run.violation?.invariant, step: run.violation?.step }).toEqual({ file, invariant: ce.violation.invariant, step: ce.violation.step });
    }
  }, 120_000);
});
