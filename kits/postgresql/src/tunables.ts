/** The PostgreSQL kit's tunables (tunables file, NAME_<tag> overrides). */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  LKPGSQL_CONN_RETRIES: {
    kind: 'integer',
    default: 3,
    min: 1,
    max: 100,
    description:
      'Connection attempts before the database is declared unreachable (restore, quickCheck, recover), PGSQL_CONN_RETRY_DELAY seconds apart. A dead postmaster fails at once.',
  },
  LKPGSQL_DISCONNECT_CLIENT: {
    kind: 'boolean',
    default: true,
    description:
      'Before starting a server whose postmaster died, terminate its leftover server processes (they hold the shared memory and block the start). 0 = wait PGSQL_ORPHAN_WAIT seconds for them and fail if they remain.',
  },
  PGSQL_CONN_RETRY_DELAY: { kind: 'number', default: 1, min: 0, max: 60, description: 'Seconds between connection attempts.' },
  PGSQL_QUERY_TIMEOUT: { kind: 'integer', default: 10, min: 1, max: 600, description: 'Seconds one connection attempt and its health query may take.' },
  PGSQL_START_TIMEOUT: {
    kind: 'integer',
    default: 240,
    min: 1,
    description: 'Seconds pg_ctl start waits for the server to accept connections (crash recovery can be long); capped by the restore timeout.',
  },
  PGSQL_STOP_ESCALATE: {
    kind: 'integer',
    default: 60,
    min: 1,
    description:
      'Seconds of fast shutdown (-m fast) before escalating to immediate shutdown (-m immediate); capped so immediate always gets its turn within the remove timeout.',
  },
  PGSQL_ORPHAN_WAIT: {
    kind: 'integer',
    default: 5,
    min: 0,
    max: 600,
    description: 'Seconds to wait for leftover processes of a dead postmaster to exit before terminating them (SIGTERM, then SIGKILL).',
  },
} as const satisfies Record<string, TunableSpec>;
