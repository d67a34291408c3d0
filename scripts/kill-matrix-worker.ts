// A worker thread of `npm run mutants`: computes the kill-matrix rows it is sent, from its own copy of the registry.
import { parentPort } from 'node:worker_threads';
import { findSuite } from '../properties/harness/registry.js';
import type { MutantDef } from '../properties/harness/suite.js';
import { mutantRow, type RowReply, type RowRequest } from './kill-matrix.js';

const port = parentPort;
if (port === null) throw new Error('kill-matrix-worker runs only as a worker thread');
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
