import { clusterMode, onTargetNode, prepareStore } from '../cluster/mode.ts';
import { extend } from '../lifecycle.ts';
import { engineFor, intFlag, onlyPositional, readOptions, requiredFlag, say, switchbackFlag } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'extend',
  summary: 'extend a resource (and what it depends on) to another server',
  usage: 'kit-runner extend TAG --server SERVER --priority N [--switchback intelligent|automatic] [--opt KEY=VALUE]...',
  help: "Adds SERVER to TAG's equivalency with priority N (1 = highest, unique per resource, up to 999). Resources below TAG that are not on SERVER yet are extended too, with the same priority. --opt gives per-server option values (e.g. another address in another VPC) for TAG only: extend such children first, each with its own values. In cluster mode (KIT_RUNNER_STORE=cib) the store is the CIB: run it on SERVER itself (another --server is refused, exit 2); the kit's extend checks run on this node, and its values (node-scoped instance attributes), its kit info and location score are written to the CIB in one version-guarded cibadmin replace, only when they differ.",
  examples: [
    { about: 'node-b backs up web (and what web depends on)', cmd: 'kit-runner extend web --server node-b --priority 2' },
    { about: 'a per-server value: the address node-b uses', cmd: 'kit-runner extend vip --server node-b --priority 2 --opt address=10.1.0.50/24' },
  ],
  options: {
    server: { type: 'string', short: 's' },
    priority: { type: 'string' },
    switchback: { type: 'string' },
    opt: { type: 'string', multiple: true, short: 'o' },
  },
  async run(inv) {
    const usage = command.usage;
    const tag = onlyPositional(inv, 'TAG', usage);
    const server = requiredFlag(inv, 'server', usage);
    const input = {
      tag,
      server,
      priority: intFlag(inv.values.priority, '--priority'),
      switchback: switchbackFlag(inv.values.switchback),
      options: readOptions(inv.values),
    };
    onTargetNode(inv.settings, server, 'extend', tag);
    const engine = engineFor(inv.settings);
    await prepareStore(engine.store);
    const done = await extend(engine, input);
    const cib = clusterMode() ? { store: 'cib', written: engine.store.writes } : {};
    say(inv.settings, `extended ${done.join(', ')} to ${server}${clusterMode() ? ` in the CIB (${engine.store.writes} write)` : ''}`, {
      extended: done,
      server,
      ...cib,
    });
    return 0;
  },
});
