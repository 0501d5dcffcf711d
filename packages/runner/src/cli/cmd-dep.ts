import { UsageError } from '@recovery-kit/sdk';
import { prepareStore } from '../cluster/mode.ts';
import { depAdd, depRemove } from '../lifecycle.ts';
import { engineFor, noExtra, positional, say } from './common.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'dep',
  summary: 'add or remove a dependency (PARENT depends on CHILD)',
  usage: 'kit-runner dep add|remove PARENT CHILD',
  help: 'PARENT depends on CHILD: CHILD is restored first and removed last. A dependency that would close a cycle is refused (the message shows it), and so is one whose CHILD is not extended to every server of PARENT. In cluster mode (KIT_RUNNER_STORE=cib) the change is written to the CIB (the hierarchy regrouped: a chain is one group, any other shape order + colocation constraints) in one version-guarded cibadmin replace.',
  examples: [
    { about: 'web depends on vip: vip comes up first', cmd: 'kit-runner dep add web vip' },
    { about: 'undo it', cmd: 'kit-runner dep remove web vip' },
  ],
  options: {},
  async run(inv) {
    const usage = command.usage;
    const sub = positional(inv, 1, 'add|remove', usage);
    const parent = positional(inv, 2, 'PARENT', usage);
    const child = positional(inv, 3, 'CHILD', usage);
    noExtra(inv, 4, usage);
    const engine = engineFor(inv.settings);
    await prepareStore(engine.store);
    if (sub === 'add') await depAdd(engine, parent, child);
    else if (sub === 'remove') await depRemove(engine, parent, child);
    else throw new UsageError(`unknown dep subcommand "${sub}"`, { fix: `usage: ${usage}` });
    say(inv.settings, `${parent} ${sub === 'add' ? 'now depends on' : 'no longer depends on'} ${child}`, { parent, child, dependency: sub === 'add' });
    return 0;
  },
});
