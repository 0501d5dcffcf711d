/** The Oracle listener kit (`oracle-listener`): one named Oracle Net listener. What each action does: ./actions.ts and the README. */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions, checkLevels } from './actions.ts';
import { options } from './options.ts';
import { tunables } from './tunables.ts';

export default defineKit({
  meta: { name: pkg.name, version: pkg.version, kitType: pkg.recoveryKit.kitType, description: 'Oracle Net listener: lsnrctl start/stop/status' },
  options,
  actions,
  tunables,
  checkLevels,
});
