import { childrenOf, component, roots } from '../hierarchy.ts';
import { processGone } from '../lock.ts';
import { openStore } from '../file-store.ts';
import type { ResourceRecord, ServerEntry, StoreData } from '../store.ts';
import { need } from '../engine-need.ts';
import { defineCommand, type Invocation } from './spec.ts';
import { printJson, table } from './output.ts';

function pendingNote(p: ServerEntry['pending']): string | undefined {
  if (!p) return undefined;
  const dead = processGone(p.pid);
  return dead ? `${p.action} interrupted (pid ${p.pid} is gone); run the action again` : `${p.action} in progress (pid ${p.pid})`;
}

function statusData(data: StoreData, node: string, only?: string) {
  const tags = only ? component(data, only) : Object.keys(data.resources).sort();
  const wanted = new Set(tags);
  const resources = tags.map((t) => {
    const r = data.resources[t]!;
    return {
      tag: t,
      id: r.id,
      kit: r.kit,
      kitPackage: r.kitPackage,
      kitVersion: r.kitVersion,
      children: childrenOf(data, t),
      local: r.servers[node] ? { ...r.servers[node], note: pendingNote(r.servers[node].pending) } : null,
      servers: Object.fromEntries(
        Object.entries(r.servers)
          .sort(([, a], [, b]) => a.priority - b.priority)
          .map(([s, e]) => [
            s,
            { priority: e.priority, switchback: e.switchback, state: e.state, reason: e.reason, since: e.since, ...(e.pending ? { pending: e.pending } : {}) },
          ]),
      ),
    };
  });
  return { node, roots: roots(data).filter((t) => wanted.has(t)), resources };
}

async function run(inv: Invocation): Promise<number> {
  // Cluster mode (docs/operate/cluster.md): the tree and the states come from the CIB and crm_mon.
  if (process.env.KIT_RUNNER_STORE === 'cib')
    return (await import('./cmd-cluster.ts')).clusterStatus(inv.settings.node, {
      json: inv.settings.json,
      ...(inv.positionals[1] !== undefined ? { only: inv.positionals[1] } : {}),
    });
  const store = openStore(inv.settings.stateDir);
  const data = store.read();
  const only = inv.positionals[1];
  if (only !== undefined) need(data, only);
  const node = inv.settings.node;
  if (inv.settings.json) {
    printJson({ ok: true, ...statusData(data, node, only) });
    return 0;
  }
  const wanted = new Set(only ? component(data, only) : Object.keys(data.resources));
  const rows: string[][] = [['TAG', 'KIT', 'ID', 'STATE', 'SERVERS (priority:state)', 'REASON']];
  const visit = (tag: string, prefix: string, childPrefix: string) => {
    const r: ResourceRecord = data.resources[tag]!;
    const e = r.servers[node];
    const servers = Object.entries(r.servers)
      .sort(([, a], [, b]) => a.priority - b.priority)
      .map(([s, x]) => `${s}(${x.priority}):${x.state}`)
      .join(' ');
    const note = pendingNote(e?.pending);
    rows.push([`${prefix}${tag}`, r.kit, r.id, e ? `${e.state}${e.pending ? '*' : ''}` : '--', servers, note ?? e?.reason ?? `not extended to ${node}`]);
    const kids = childrenOf(data, tag);
    kids.forEach((c, i) => {
      const last = i === kids.length - 1;
      visit(c, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  for (const root of roots(data)) if (wanted.has(root)) visit(root, '', '');
  const count = wanted.size;
  process.stdout.write(`Resource hierarchies on ${node} (${count} resource${count === 1 ? '' : 's'}, store ${store.location})\n\n`);
  if (count === 0) process.stdout.write('No resources. Create one with "kit-runner create KIT_TYPE --tag TAG --opt KEY=VALUE".\n');
  else process.stdout.write(`${table(rows)}\n`);
  return 0;
}

export const command = defineCommand({
  name: 'status',
  summary: 'show resource hierarchies and their states (like lcdstatus)',
  usage: 'kit-runner status [TAG] [--json]',
  help:
    'Shows every hierarchy as a tree, parents above their children, with the state of each resource on this node\n' +
    'and its priority and state on every server it is extended to. With TAG, only the hierarchy holding TAG.',
  options: {},
  run,
});
