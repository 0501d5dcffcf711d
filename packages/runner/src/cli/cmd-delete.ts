import { UsageError } from '@recovery-kit/sdk';
import { clusterMode, prepareStore } from '../cluster/mode.ts';
import { deleteResource } from '../lifecycle.ts';
import { engineFor, noExtra, positional, say } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'delete',
  summary: 'delete a resource from every server',
  usage: 'kit-runner delete TAG [--force]',
  help: "Runs the kit's delete action and removes TAG from the store. Refused while another resource depends on TAG, or while TAG is in service somewhere (unless --force). In cluster mode (KIT_RUNNER_STORE=cib) in service means active in crm_mon, --force is refused, and TAG's primitive and constraints leave the CIB in one version-guarded cibadmin replace.",
  examples: [
    { about: 'delete vip (after "kit-runner dep remove web vip")', cmd: 'kit-runner delete vip' },
    { about: 'delete it although it is in service', cmd: 'kit-runner delete vip --force' },
  ],
  options: { force: { type: 'boolean' } },
  async run(inv) {
    const tag = positional(inv, 1, 'TAG', command.usage);
    noExtra(inv, 2, command.usage);
    // Never behind Pacemaker's back: in cluster mode only a resource Pacemaker has active nowhere.
    if (clusterMode() && inv.values.force)
      throw new UsageError('--force is refused in cluster mode (KIT_RUNNER_STORE=cib)', {
        field: '--force',
        fix: `take ${tag} out of service through Pacemaker first ("kit-runner action ${tag} remove"), then delete it`,
      });
    const engine = engineFor(inv.settings);
    await prepareStore(engine.store);
    await deleteResource(engine, tag, { force: Boolean(inv.values.force) });
    say(inv.settings, `deleted ${tag}`, { deleted: tag });
    return 0;
  },
});
