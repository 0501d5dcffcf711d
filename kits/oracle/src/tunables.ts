/** The Oracle Database kit's tunables (tunables file, NAME_<tag> overrides). */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  ORACLE_STARTUP_TIME: {
    kind: 'integer',
    default: 240,
    min: 1,
    description: 'Seconds sqlplus STARTUP (or MOUNT/OPEN) may take; capped by the restore timeout.',
  },
  ORACLE_SHUTDOWN_ESCALATE: { kind: 'integer', default: 120, min: 1, description: 'Seconds SHUTDOWN IMMEDIATE may take before the kit runs SHUTDOWN ABORT.' },
  ORACLE_SQL_TIMEOUT: {
    kind: 'integer',
    default: 30,
    min: 1,
    description: 'Seconds one status query (sqlplus call) may take; an instance that does not answer in time fails quickCheck.',
  },
} as const satisfies Record<string, TunableSpec>;
