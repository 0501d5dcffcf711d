/**
 * The {{kitType}} kit: only defineKit, with meta read from package.json (so name and version can
 * never drift from what is installed). The pieces live in the files next to this one:
 * options.ts (the option schema), tunables.ts, actions.ts, cli.ts.
 */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions } from './actions.ts';
import { cli } from './cli.ts';
import { options } from './options.ts';
import { timeouts, tunables } from './tunables.ts';

export default defineKit({
  meta: { name: pkg.name, version: pkg.version, kitType: pkg.recoveryKit.kitType, description: pkg.description },
  options,
  tunables,
  timeouts,
  actions,
  cli,
});
