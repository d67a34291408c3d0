// HMM page migration, device-private chunk eviction and the maquire system call as a specification.
import type { SubsystemSpec } from '../common/spec.js';
import { hmmInvariants } from './invariants.js';
import { HmmMigrationModel, hmmSignatures } from './operations.js';
import { describeHmm, snapshotHmm, type HmmState } from './state.js';

export const hmmMigrationSpec: SubsystemSpec<HmmState> = {
  name: 'hmm-migration',
  title: 'HMM migration (migrate_vma), device-private chunk eviction and maquire',
  versions: [{ name: 'linux-6.12', upstream: 'Linux mm/migrate_device.c and lib/test_hmm.c', checkedAgainst: 'read' }],
  sources: ['003_af321b1ea2953044.txt'],
  signatures: hmmSignatures,
  invariants: hmmInvariants,
  createModel: () => new HmmMigrationModel(),
  snapshot: snapshotHmm,
  describe: describeHmm,
};

export { HmmMigrationModel, type MigrateEntry, type MigrateTarget } from './operations.js';
export * from './state.js';
