// The specification served over the conformance protocol (docs/conformance.md): one JSON request per line on
// stdin, one JSON answer per line on stdout. Run as `node --import tsx examples/spec-server.ts`.
import { createInterface } from 'node:readline';
import { decodeArg } from '../model/common/schema.js';
import type { Args, Operation, Value } from '../model/common/values.js';
import { findSuite } from '../properties/harness/registry.js';
import { createImplementation } from './spec-implementation.js';

let impl: ReturnType<typeof createImplementation> | undefined;
let subsystem = '';

const answer = (x: unknown) => process.stdout.write(JSON.stringify(x) + '\n');

for await (const line of createInterface({ input: process.stdin })) {
  const request = JSON.parse(line) as { cmd: string; subsystem?: string; op?: string; args?: Record<string, unknown> };
  if (request.cmd === 'reset') {
    subsystem = request.subsystem ?? subsystem;
    impl = createImplementation(subsystem);
    answer({ ok: true });
  } else if (request.cmd === 'apply' && impl !== undefined) {
    const signature = findSuite(subsystem)?.spec.signatures[request.op ?? ''] ?? {};
    const args: Record<string, Value> = {};
    for (const [name, type] of Object.entries(signature)) {
      const decoded = decodeArg(type, request.args?.[name], name);
      if ('value' in decoded) args[name] = decoded.value;
    }
    const op: Operation = { op: request.op ?? '', args: args as Args };
    answer(impl.apply(op));
  } else answer({ error: 'unreadable request' });
}
