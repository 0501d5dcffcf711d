import { deleteResource } from '../lifecycle.ts';
import { engineFor, noExtra, positional, say } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'delete',
  summary: 'delete a resource from every server',
  usage: 'kit-runner delete TAG [--force]',
  help: "Runs the kit's delete action and removes TAG from the store. Refused while another resource depends on TAG, or while TAG is in service somewhere (unless --force).",
  examples: [
    { about: 'delete vip (after "kit-runner dep remove web vip")', cmd: 'kit-runner delete vip' },
    { about: 'delete it although it is in service', cmd: 'kit-runner delete vip --force' },
  ],
  options: { force: { type: 'boolean' } },
  async run(inv) {
    const tag = positional(inv, 1, 'TAG', command.usage);
    noExtra(inv, 2, command.usage);
    await deleteResource(engineFor(inv.settings), tag, { force: Boolean(inv.values.force) });
    say(inv.settings, `deleted ${tag}`, { deleted: tag });
    return 0;
  },
});
