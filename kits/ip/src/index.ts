/** The IP kit (`ip`): a switchable virtual IP address. What each action does: ./actions.ts and the README. */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions, checkLevels } from './actions.ts';
import { cli } from './cli.ts';
import { options } from './options.ts';
import { timeouts, tunables } from './tunables.ts';

export default defineKit({
  meta: {
    name: pkg.name,
    version: pkg.version,
    kitType: pkg.recoveryKit.kitType,
    description: 'Virtual IP address (IPv4/IPv6): DAD, gratuitous ARP / unsolicited NA, link check',
  },
  options,
  actions,
  checkLevels,
  cli,
  tunables,
  timeouts,
});
