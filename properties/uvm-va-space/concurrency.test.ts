// Hand-written schedules of GPU registration racing the mm teardown and another registration.
import { describe, expect, it } from 'vitest';
import type { Operation } from '../../model/common/values.js';
import { uvmVaSpaceSpec } from '../../model/uvm-va-space/index.js';
import { execute } from '../harness/interpreter.js';
import { RegistrationChecksDuplicateBeforeLock } from './concurrency.js';

const op = (name: string, args: Operation['args'] = {}): Operation => ({ op: name, args });
const create = op('create', { sevEnabled: false, faults: [] });
const register = (thread: number, gpu: number) => op('startRegisterGpu', { thread, gpu, faults: [] });
const step = (thread: number) => op('step', { thread });

function last(ops: Operation[]): string {
  const run = execute(uvmVaSpaceSpec, uvmVaSpaceSpec.createModel(), ops, { trace: true });
  expect(run.violation, run.violation?.message).toBeUndefined();
  const v = run.steps.at(-1)?.result;
  return v?.ok ? String((v.value as { returned?: string }).returned) : '';
}

describe('GPU registration under concurrency', () => {
  it('a teardown between the retain and the lock makes the registration fail under the lock', () => {
    expect(last([create, register(0, 1), op('mmShutdown'), step(0)])).toBe('registerGpu returned NV_ERR_PAGE_TABLE_NOT_AVAIL');
  });

  it('a teardown task that has set disallow_new_registers refuses a registration that locks after it', () => {
    const shutdown = op('startMmShutdown', { thread: 1 });
    expect(last([create, register(0, 0), shutdown, step(1), step(0)])).toBe('registerGpu returned NV_ERR_PAGE_TABLE_NOT_AVAIL');
  });

  it('two registrations of one GPU: the second fails under the lock and gives its references back', () => {
    expect(last([create, register(0, 1), op('registerGpu', { gpu: 1, faults: [] }), step(0)])).toBe('registerGpu returned NV_ERR_INVALID_DEVICE');
  });

  it('a duplicate check before the lock registers twice: caught at the quiescent point by the sequential invariants too', () => {
    const ops = [create, register(0, 1), op('registerGpu', { gpu: 1, faults: [] }), step(0)];
    const only = uvmVaSpaceSpec.invariants.filter((i) => i.name === 'gpuReferencesMatchRegistration');
    expect(execute(uvmVaSpaceSpec, new RegistrationChecksDuplicateBeforeLock(), ops, { invariants: only }).violation?.step).toBe(3);
  });
});
