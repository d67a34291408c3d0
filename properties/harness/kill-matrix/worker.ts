// A worker thread of the kill matrix (matrix.ts): computes the rows it is sent, from its own copy of the registry.
import { parentPort } from 'node:worker_threads';
import { findSuite } from '../registry.js';
import type { MutantDef } from '../suite.js';
import type { RowReply, RowRequest } from './matrix.js';
import { mutantRow } from './row.js';

const port = parentPort;
if (port === null) throw new Error('kill-matrix/worker runs only as a worker thread');
port.on('message', (request: RowRequest) => {
  const reply = async (): Promise<RowReply> => {
    try {
      const suite = findSuite(request.subsystem);
      const mutant = suite?.mutants.find((m) => m.name === request.mutant) as MutantDef<unknown> | undefined;
      if (suite === undefined || mutant === undefined) return { id: request.id, error: `no mutant ${request.subsystem}/${request.mutant}` };
      return { id: request.id, row: await mutantRow(suite, mutant, request.options, request.seeds, request.version) };
    } catch (error) {
      return { id: request.id, error: (error as Error).stack ?? String(error) };
    }
  };
  void reply().then((r) => port.postMessage(r));
});
