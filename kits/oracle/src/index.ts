/** The Oracle Database kit (`oracle`): one instance (ORACLE_SID), its listener as a child. What each action does: ./actions.ts and the README. */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions, checkLevels } from './actions.ts';
import { options } from './options.ts';
import { tunables } from './tunables.ts';

export default defineKit({
  meta: {
    name: pkg.name,
    version: pkg.version,
    kitType: pkg.recoveryKit.kitType,
    description: 'Oracle Database instance: sqlplus startup/shutdown, V$INSTANCE health; listener as a child',
  },
  options,
  actions,
  checkLevels,
  tunables,
});
