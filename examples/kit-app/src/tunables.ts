/**
 * The app kit's tunables: none yet. A kit declares each tunable it reads here, with its kind,
 * default, bounds and meaning (the README repeats them in a table), e.g.
 *
 *   APP_STOP_GRACE: { kind: 'integer', default: 10, min: 0, max: 600, description: 'Seconds ...' },
 *
 * and names the tunables that hold action timeouts in `timeouts` ({ restore: 'APP_RESTORE_TIMEOUT' }).
 */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {} as const satisfies Record<string, TunableSpec>;
