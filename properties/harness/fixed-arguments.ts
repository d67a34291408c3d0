// Fixed arguments: `npm run conform -- --fix OP.ARG=JSON` gives every generated OP the argument ARG, for an
// implementation with a parameter it does not take (upstream's pool init always makes 32 buffers). The generated
// cases keep their shape and shrink as before; a fixed value stays fixed.
import { decodeArg } from '../../model/common/schema.js';
import type { Operation, Value } from '../../model/common/values.js';
import type { AnySuite, PropertyDef } from './suite.js';

export interface FixedArgument {
  readonly op: string;
  readonly arg: string;
  readonly value: Value;
}

/** Parses `OP.ARG=JSON` against the subsystem's signatures; throws an Error saying what is wrong. */
export function parseFixedArgument(suite: AnySuite, text: string): FixedArgument {
  const m = /^([A-Za-z]\w*)\.([A-Za-z]\w*)=(.*)$/s.exec(text);
  if (m === null) throw new Error(`--fix takes OP.ARG=JSON, not "${text.slice(0, 80)}"`);
  const [, op, arg, json] = m as unknown as [string, string, string, string];
  const signature = Object.hasOwn(suite.spec.signatures, op) ? suite.spec.signatures[op] : undefined;
  if (signature === undefined) throw new Error(`--fix: unknown operation "${op}" of ${suite.spec.name}; valid: ${Object.keys(suite.spec.signatures).join(', ')}`);
  const type = Object.hasOwn(signature, arg) ? signature[arg] : undefined;
  if (type === undefined) throw new Error(`--fix: ${op} has no argument "${arg}"; valid: ${Object.keys(signature).join(', ')}`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(json);
  } catch {
    throw new Error(`--fix ${op}.${arg}: "${json.slice(0, 80)}" is not JSON`);
  }
  const decoded = decodeArg(type, parsed, `--fix ${op}.${arg}`);
  if ('error' in decoded) throw new Error(decoded.error);
  return { op, arg, value: decoded.value };
}

/** The property with the fixed arguments put into every generated operation they name. */
export function withFixedArguments(property: PropertyDef, fixed: readonly FixedArgument[]): PropertyDef {
  if (fixed.length === 0) return property;
  const fix = (o: Operation): Operation => {
    const mine = fixed.filter((f) => f.op === o.op);
    if (mine.length === 0) return o;
    const args: Record<string, Value> = { ...(o.args as Record<string, Value>) };
    for (const f of mine) args[f.arg] = f.value;
    return { op: o.op, args: args as Operation['args'] };
  };
  return { ...property, operations: property.operations.map((ops) => ops.map(fix)) };
}

/** The same operation lists with every fault list emptied (`--no-faults`: an implementation without fault injection). */
export function withoutFaults(property: PropertyDef): PropertyDef {
  const strip = (ops: Operation[]): Operation[] =>
    ops.map((o) => (Array.isArray(o.args['faults']) && o.args['faults'].length > 0 ? { op: o.op, args: { ...o.args, faults: [] } } : o));
  return { ...property, operations: property.operations.map(strip) };
}
