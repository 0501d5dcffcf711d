/**
 * The EC2 kit (kitType `ec2`), LifeKeeper's Recovery Kit for EC2 on the AWS SDK: route tables
 * (backend cluster) and Elastic IPs (frontend cluster) follow the active node. The actions are in
 * actions.ts, the AWS side in routes.ts and eip.ts; README.md has the options and tunables.
 */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions, checkLevels } from './actions.ts';
import { cli } from './cli.ts';
import { options, type Ec2Options } from './options.ts';
import { timeouts, tunables } from './tunables.ts';

export default defineKit<Ec2Options>({
  meta: {
    name: pkg.name,
    version: pkg.version,
    kitType: pkg.recoveryKit.kitType,
    description: 'Route tables and Elastic IPs follow the active node (LifeKeeper Recovery Kit for EC2).',
  },
  options,
  tunables,
  timeouts,
  cli,
  actions,
  checkLevels,
});
