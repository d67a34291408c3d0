// An implementation may report as little of its state as it likes (docs/conformance.md): what it leaves out takes
// the specification's value and is not checked. For every subsystem, an implementation that answers with the
// specification's results and a state of nothing (`{}`) or of one field (the specification's own value of it) must
// conform: leaving fields out neither crashes the harness nor invents a difference. And where the specification
// has no value at all (a region its failed probe never set up, a null anywhere), a partial object reported there is
// decoded as it is: whatever it breaks is a violation with a printable trace, never an internal error (issue 18,
// item 14).
import { describe, expect, it } from 'vitest';
import { createImplementation } from '../../examples/spec-implementation.js';
import { type Implementation, type ImplResponse, timed } from '../harness/implementation.js';
import { execute } from '../harness/interpreter.js';
import { suites } from '../harness/registry.js';
import { selectInvariants } from '../harness/suite.js';
import { seedFromEnvironment } from '../harness/seed.js';
import { formatTrace } from '../harness/trace.js';
import { conformanceOf, searchOn } from './helpers.js';

const seed = seedFromEnvironment();
const RUNS = 12;

type Reported = (state: Record<string, unknown>, step: number) => unknown;

/** The specification as an implementation, reporting only what `report` keeps of its state. */
function reporting(subsystem: string, report: Reported): Implementation {
  const spec = createImplementation(subsystem);
  let step = 0;
  return timed({
    reset: (s) => {
      step = 0;
      spec.reset(s);
    },
    apply: (op): ImplResponse => {
      const answer = spec.apply(op);
      return { result: answer.result, state: report(answer.state as Record<string, unknown>, step++) };
    },
    close: () => spec.close(),
  });
}

/** Every null of a JSON value replaced by an empty object: a partial object where the specification has none. */
function partialWhereNone(value: unknown): unknown {
  if (value === null) return {};
  if (Array.isArray(value)) return value.map(partialWhereNone);
  if (typeof value === 'object') return Object.fromEntries(Object.entries(value as object).map(([k, v]) => [k, partialWhereNone(v)]));
  return value;
}

const modes: [string, Reported][] = [
  ['nothing ({})', () => ({})],
  [
    'one field at a time',
    (state, step) => {
      const keys = Object.keys(state);
      const key = keys[step % Math.max(1, keys.length)];
      return key === undefined ? {} : { [key]: state[key] };
    },
  ],
];

describe(`a partial state is no difference (seed ${seed})`, () => {
  for (const suite of suites) {
    it(`${suite.spec.name}: ${modes.map(([m]) => m).join(', ')}`, async () => {
      for (const [mode, report] of modes) {
        const c = conformanceOf(suite.spec.name, reporting(suite.spec.name, report), 'partial');
        for (const property of c.target.suite.properties) {
          const outcome = await searchOn(c, seed, Math.min(RUNS, property.numRuns), undefined, property);
          expect(outcome.failure?.violation, `${mode}, ${property.name}: ${JSON.stringify(outcome.failure?.operations)}`).toBeUndefined();
        }
        expect(c.impl.stats?.operations, mode).toBeGreaterThan(0);
      }
    });
  }
});

describe(`a partial object where the specification has none is a violation, never a crash (seed ${seed})`, () => {
  for (const suite of suites) {
    it(suite.spec.name, async () => {
      const c = conformanceOf(suite.spec.name, reporting(suite.spec.name, partialWhereNone), 'partial-where-none');
      for (const property of c.target.suite.properties) {
        // The search, its shrinking and the trace of what it finds all handle a state in no shape of the specification's.
        const outcome = await searchOn(c, seed, Math.min(RUNS, property.numRuns), undefined, property);
        if (outcome.failure === undefined) continue;
        const traced = execute(c.target.suite.spec, c.target.createModel(), outcome.failure.operations, { trace: true, invariants: selectInvariants(c.target.suite, property) });
        expect(traced.violation?.invariant).toBe(outcome.failure.violation.invariant);
        expect(formatTrace(traced)).toContain(outcome.failure.violation.invariant);
      }
    });
  }

  it('nvgrace-gpu: a region reported without its writes where the probe failed is traced, never an internal error', () => {
    // A device memory of size 0: the specification's probe falls back to plain vfio-pci-core and sets up no region;
    // the implementation reports an nvgrace device with a usemem region, without its list of writes.
    const c = conformanceOf(
      'nvgrace-gpu',
      reporting('nvgrace-gpu', (state) => ({ ...state, mode: 'nvgrace', usemem: { name: 'usemem', memphys: '0x0', memlength: '0x1000' } })),
      'partial-region',
    );
    const ops = [{ op: 'probe', args: { memphys: 0n, memlength: 0n } }];
    const property = c.target.suite.properties[0];
    expect(property).toBeDefined();
    const traced = execute(c.target.suite.spec, c.target.createModel(), ops, { trace: true, invariants: selectInvariants(c.target.suite, property as NonNullable<typeof property>) });
    // The region is shown despite lacking fields (as JSON), and the difference is a violation of an invariant.
    expect(traced.violation).toBeDefined();
    const text = formatTrace(traced);
    expect(text).toContain(`✗ ${traced.violation?.invariant}`);
    expect(text).toContain("(not in the specification's shape:");
  });
});
