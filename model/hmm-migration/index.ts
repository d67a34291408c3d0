// HMM page migration, device-private chunk eviction and the maquire system call as a specification.
import type { SubsystemSpec } from '../common/spec.js';
import { hmmInvariants } from './invariants.js';
import { HmmMigrationModel, hmmSignatures } from './operations.js';
import { describeHmm, snapshotHmm, type HmmState } from './state.js';

export const hmmMigrationSpec: SubsystemSpec<HmmState> = {
  name: 'hmm-migration',
  title: 'HMM migration (migrate_vma), device-private chunk eviction and maquire',
  versions: [
    {
      name: 'linux-6.1+',
      upstream:
        'Linux 6.1 and later: mm/migrate_device.c (migrate_vma_* and the migrate_device_range / migrate_device_pages / migrate_device_finalize that eviction uses, all present since 6.1), the lib/test_hmm.c dmirror driver, mm/mprotect.c for device-private entries; maquire is the research fork of seed 003',
      checkedAgainst:
        'read, not run: torvalds/linux lib/test_hmm.c at ead971eec0eb (make_device_exclusive returning the folio) and at 08a7c7772b4d (MIGRATE_PFN_LOCKED era), mm/migrate_device.c at 022a12deda53 (migrate_vma_collect_pmd, migrate_device_unmap, migrate_vma_setup); the rules used read the same in both test_hmm.c versions',
    },
  ],
  sources: ['003_af321b1ea2953044.txt'],
  signatures: hmmSignatures,
  invariants: hmmInvariants,
  createModel: () => new HmmMigrationModel(),
  snapshot: snapshotHmm,
  describe: describeHmm,
};

export { HmmMigrationModel, type MigrateEntry, type MigrateTarget } from './operations.js';
export * from './state.js';
