import { unextend } from '../lifecycle.ts';
import { engineFor, onlyPositional, requiredFlag, say } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'unextend',
  summary: 'remove a server from a resource and everything above it',
  usage: 'kit-runner unextend TAG --server SERVER',
  help: 'Removes SERVER from TAG and from every resource that depends on TAG. Refused while any of them is in service on SERVER, or when SERVER is the only one left (use delete).',
  examples: [{ about: 'node-b no longer backs up vip, nor anything that depends on it', cmd: 'kit-runner unextend vip --server node-b' }],
  options: { server: { type: 'string', short: 's' } },
  async run(inv) {
    const usage = command.usage;
    const tag = onlyPositional(inv, 'TAG', usage);
    const server = requiredFlag(inv, 'server', usage);
    const done = await unextend(engineFor(inv.settings), tag, server);
    say(inv.settings, `unextended ${done.join(', ')} from ${server}`, { unextended: done, server });
    return 0;
  },
});
