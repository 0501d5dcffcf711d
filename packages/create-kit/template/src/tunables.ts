/**
 * The tunables this kit reads (KEY=VALUE in /etc/default/recovery-kit, `NAME_<tag>` overrides one
 * resource), and which of them hold action timeouts. The README repeats each one in a table.
 */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  '{{PREFIX}}_QUICKCHECK_TIMEOUT': { kind: 'integer', default: 10, min: 1, max: 600, description: 'Seconds quickCheck may take.' },
  '{{PREFIX}}_RESTORE_TIMEOUT': { kind: 'integer', default: 30, min: 1, max: 3600, description: 'Seconds restore may take.' },
} as const satisfies Record<string, TunableSpec>;

export const timeouts = { quickCheck: '{{PREFIX}}_QUICKCHECK_TIMEOUT', restore: '{{PREFIX}}_RESTORE_TIMEOUT' } as const;
