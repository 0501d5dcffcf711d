/**
 * The Route53 kit (kitType `route53`): keeps a service's DNS name, an A or AAAA record in a
 * Route 53 hosted zone, on the address of the active server's IP resource. The actions are in
 * actions.ts; README.md has the options, tunables, IAM actions and failure modes.
 */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions, checkLevels, commands } from './actions.ts';
import { cli } from './cli.ts';
import { options, type Route53Options } from './options.ts';
import { tunables } from './tunables.ts';

export default defineKit<Route53Options>({
  meta: {
    name: pkg.name,
    version: pkg.version,
    kitType: pkg.recoveryKit.kitType,
    description: 'Route 53 A/AAAA record that follows the IP resource of the active server',
  },
  options,
  tunables,
  actions,
  checkLevels,
  commands,
  cli,
});
