import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions, checkLevels, commands } from './actions.ts';
import { options } from './options.ts';
import { timeouts, tunables } from './tunables.ts';

export default defineKit({
  meta: {
    name: pkg.name,
    version: pkg.version,
    kitType: pkg.recoveryKit.kitType,
    description: 'Replicated block device and its file system (DRBD; DataKeeper-style mirror with a promotion gate)',
  },
  options,
  tunables,
  timeouts,
  actions,
  checkLevels,
  commands,
});
