import { UsageError } from '@recovery-kit/sdk';
import { clusterMode } from '../cluster/mode.ts';
import { create } from '../create.ts';
import { restore } from '../walks.ts';
import { engineFor, intFlag, onlyPositional, readOptions, requiredFlag, switchbackFlag } from './common.ts';
import { printJson } from './output.ts';
import { defineCommand } from './spec.ts';

export const command = defineCommand({
  name: 'create',
  summary: 'create a resource of a kit on this node',
  usage:
    'kit-runner create KIT_TYPE --tag TAG [--opt KEY=VALUE]... [--opts-file FILE] [--priority N] [--switchback intelligent|automatic] [--id ID] [--restore]',
  help: [
    'Validates the options against the kit\'s schema and lets the kit check them (devices, zones...), then stores the resource out of service (OSU) on this node with priority N (default 1). --restore brings it in service at once. Nothing is stored when any check fails. Not in cluster mode (KIT_RUNNER_STORE=cib, exit 2): create locally, then "kit-runner cluster apply".',
    '--opts-file reads KEY=VALUE lines or a JSON object. "kit-runner create KIT_TYPE --help" lists the kit\'s options.',
  ].join('\n'),
  examples: [
    { about: 'a virtual IP address, out of service for now', cmd: 'kit-runner create ip --tag vip --opt address=10.0.0.50/24' },
    { about: 'an application, brought into service at once', cmd: 'kit-runner create app --tag web --opts-file web.conf --restore' },
    { about: "the ip kit's options", cmd: 'kit-runner create ip --help' },
  ],
  options: {
    tag: { type: 'string', short: 't' },
    opt: { type: 'string', multiple: true, short: 'o' },
    'opts-file': { type: 'string' },
    priority: { type: 'string' },
    switchback: { type: 'string' },
    id: { type: 'string' },
    restore: { type: 'boolean' },
  },
  /** `create KIT_TYPE --help`: the kit's own options too. */
  async moreHelp(inv) {
    const kitType = inv.positionals[1];
    if (!kitType) return undefined;
    const { printKit } = await import('./cmd-kits.ts');
    process.stdout.write('\n');
    return printKit(inv.settings, kitType);
  },
  async run(inv) {
    const usage = command.usage;
    const kitType = onlyPositional(inv, 'KIT_TYPE', usage);
    const tag = requiredFlag(inv, 'tag', usage);
    // A new primitive in the CIB would be started by Pacemaker at once: create stays a local-store step.
    if (clusterMode())
      throw new UsageError('create is not run on the CIB in cluster mode (KIT_RUNNER_STORE=cib)', {
        field: 'KIT_RUNNER_STORE',
        fix: 'create the hierarchy in a local store (without KIT_RUNNER_STORE=cib), then write it to the cluster with "kit-runner cluster apply"',
      });
    const engine = engineFor(inv.settings);
    const created = await create(engine, {
      kitType,
      tag,
      options: readOptions(inv.values),
      priority: intFlag(inv.values.priority, '--priority', 1),
      switchback: switchbackFlag(inv.values.switchback),
      id: typeof inv.values.id === 'string' ? inv.values.id : undefined,
    });
    const steps = inv.values.restore ? await restore(engine, tag) : undefined;
    if (inv.settings.json) {
      printJson({ ok: true, created: created.map((r) => ({ tag: r.tag, id: r.id, kit: r.kit })), node: engine.node, ...(steps ? { steps } : {}) });
    } else {
      const list = created.map((r) => `${r.tag} (${r.kit}, id ${r.id})`).join(', ');
      const then = inv.values.restore ? '; in service' : `; out of service (OSU): bring it up with "kit-runner action ${tag} restore"`;
      process.stdout.write(`created ${list} on ${engine.node}${then}\n`);
    }
    return 0;
  },
});
