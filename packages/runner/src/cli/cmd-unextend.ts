import { localCib } from '../cluster/apply.ts';
import { changeInCib } from '../cluster/cib-extend.ts';
import { unextend } from '../lifecycle.ts';
import { engineFor, onlyPositional, requiredFlag, say } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'unextend',
  summary: 'remove a server from a resource and everything above it',
  usage: 'kit-runner unextend TAG --server SERVER',
  help: 'Removes SERVER from TAG and from every resource that depends on TAG. Refused while any of them is in service on SERVER, or when SERVER is the only one left (use delete). In cluster mode (KIT_RUNNER_STORE=cib) run it on SERVER itself: the change is made in the CIB (one cibadmin replace), not in the local store.',
  examples: [{ about: 'node-b no longer backs up vip, nor anything that depends on it', cmd: 'kit-runner unextend vip --server node-b' }],
  options: { server: { type: 'string', short: 's' } },
  async run(inv) {
    const usage = command.usage;
    const tag = onlyPositional(inv, 'TAG', usage);
    const server = requiredFlag(inv, 'server', usage);
    if (process.env.KIT_RUNNER_STORE === 'cib') {
      const r = await changeInCib(inv.settings, localCib, { tag, server, verb: 'unextend' }, (s) => unextend(engineFor(s), tag, server));
      say(inv.settings, `unextended ${r.done.join(', ')} from ${server} in the CIB`, { unextended: r.done, server, store: 'cib', ...r.report });
      return 0;
    }
    const done = await unextend(engineFor(inv.settings), tag, server);
    say(inv.settings, `unextended ${done.join(', ')} from ${server}`, { unextended: done, server });
    return 0;
  },
});
