import { clusterMode, onTargetNode, prepareStore } from '../cluster/mode.ts';
import { unextend } from '../lifecycle.ts';
import { engineFor, onlyPositional, requiredFlag, say } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'unextend',
  summary: 'remove a server from a resource and everything above it',
  usage: 'kit-runner unextend TAG --server SERVER',
  help: 'Removes SERVER from TAG and from every resource that depends on TAG. Refused while any of them is in service on SERVER, or when SERVER is the only one left (use delete). In cluster mode (KIT_RUNNER_STORE=cib) run it on SERVER itself: the store is the CIB (in service = active there in crm_mon), the change one version-guarded cibadmin replace.',
  examples: [{ about: 'node-b no longer backs up vip, nor anything that depends on it', cmd: 'kit-runner unextend vip --server node-b' }],
  options: { server: { type: 'string', short: 's' } },
  async run(inv) {
    const usage = command.usage;
    const tag = onlyPositional(inv, 'TAG', usage);
    const server = requiredFlag(inv, 'server', usage);
    onTargetNode(inv.settings, server, 'unextend', tag);
    const engine = engineFor(inv.settings);
    await prepareStore(engine.store);
    const done = await unextend(engine, tag, server);
    const cib = clusterMode() ? { store: 'cib', written: engine.store.writes } : {};
    say(inv.settings, `unextended ${done.join(', ')} from ${server}${clusterMode() ? ' in the CIB' : ''}`, { unextended: done, server, ...cib });
    return 0;
  },
});
