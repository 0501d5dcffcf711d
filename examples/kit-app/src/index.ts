/**
 * The generic application kit (`app`): a service protected through its start, stop and status
 * commands. The template for a kit of your own (docs/extend/writing-a-kit.md, "The kit layout"):
 * this file holds only defineKit; meta comes from package.json.
 */
import { defineKit } from '@recovery-kit/sdk';
import pkg from '../package.json' with { type: 'json' };
import { actions } from './actions.ts';
import { options } from './options.ts';
import { tunables } from './tunables.ts';

export default defineKit({
  meta: { name: pkg.name, version: pkg.version, kitType: pkg.recoveryKit.kitType, description: 'Generic application: start/stop/status commands' },
  options,
  tunables,
  actions,
});
