import { localCib } from '../cluster/apply.ts';
import { changeInCib } from '../cluster/cib-extend.ts';
import { extend } from '../lifecycle.ts';
import { engineFor, intFlag, onlyPositional, readOptions, requiredFlag, say, switchbackFlag } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'extend',
  summary: 'extend a resource (and what it depends on) to another server',
  usage: 'kit-runner extend TAG --server SERVER --priority N [--switchback intelligent|automatic] [--opt KEY=VALUE]...',
  help: "Adds SERVER to TAG's equivalency with priority N (1 = highest, unique per resource, up to 999). Resources below TAG that are not on SERVER yet are extended too, with the same priority. --opt gives per-server option values (e.g. another address in another VPC) for TAG only: extend such children first, each with its own values. In cluster mode (KIT_RUNNER_STORE=cib) run it on SERVER itself (another --server is refused, exit 2): the hierarchy is read from the CIB, the kit's extend checks run on this node, and its values (node-scoped instance attributes) and location score are written back to the CIB in one cibadmin replace, only when they differ; the local store is not touched.",
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
    if (process.env.KIT_RUNNER_STORE === 'cib') {
      const r = await changeInCib(inv.settings, localCib, { tag, server, verb: 'extend' }, (s) => extend(engineFor(s), input));
      const n = r.report.created.length + r.report.replaced.length + r.report.deleted.length;
      say(inv.settings, `extended ${r.done.join(', ')} to ${server} in the CIB (${n} element(s) written)`, {
        extended: r.done,
        server,
        store: 'cib',
        ...r.report,
      });
      return 0;
    }
    const done = await extend(engineFor(inv.settings), input);
    say(inv.settings, `extended ${done.join(', ')} to ${server}`, { extended: done, server });
    return 0;
  },
});
