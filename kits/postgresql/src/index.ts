/** The PostgreSQL kit (`postgresql`): one cluster (a data directory) on a node. What each action does: ./actions.ts and the README. */
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
    description: 'PostgreSQL cluster: pg_ctl start/stop, health through a real connection',
  },
  options,
  actions,
  checkLevels,
  tunables,
});
