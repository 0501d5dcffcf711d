import { childrenOf, component, roots } from '../hierarchy.ts';
import { processGone } from '../lock.ts';
import { openStore } from '../file-store.ts';
import type { ResourceRecord, ServerEntry, StoreData } from '../store.ts';
import { need } from '../engine-need.ts';
import { defineCommand, type Invocation } from './spec.ts';
import { ago, oneLine, printJson, table } from './output.ts';

/** Fields the monitor records when it has them (older stores and runners have none). */
interface CheckFields {
  unknown?: { count: number; since: string; reason?: string } | undefined;
  lastCheck?: string | { at: string; status?: string } | undefined;
  failures?: number | undefined;
}

const lastCheckAt = (e: CheckFields): string | undefined => (typeof e.lastCheck === 'string' ? e.lastCheck : e.lastCheck?.at);

/** "unknown 3x since 4m ago", "2 failures", "checked 30s ago": what the store knows of the checks. */
function checkText(e: CheckFields | undefined): string {
  if (!e) return '';
  const parts: string[] = [];
  if (e.unknown && e.unknown.count > 0) parts.push(`unknown ${e.unknown.count}x since ${ago(e.unknown.since)}`);
  if (typeof e.failures === 'number' && e.failures > 0) parts.push(`${e.failures} failure${e.failures === 1 ? '' : 's'}`);
  const at = lastCheckAt(e);
  if (at) parts.push(`checked ${ago(at)}`);
  return parts.join(', ');
}

function pendingNote(p: ServerEntry['pending']): string | undefined {
  if (!p) return undefined;
  const dead = processGone(p.pid);
  return dead ? `${p.action} interrupted (pid ${p.pid} is gone); run the action again` : `${p.action} in progress (pid ${p.pid})`;
}

function checkFields(e: CheckFields): CheckFields {
  return {
    ...(e.unknown ? { unknown: e.unknown } : {}),
    ...(e.lastCheck !== undefined ? { lastCheck: e.lastCheck } : {}),
    ...(e.failures !== undefined ? { failures: e.failures } : {}),
  };
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
            {
              priority: e.priority,
              switchback: e.switchback,
              state: e.state,
              reason: e.reason,
              since: e.since,
              ...(e.pending ? { pending: e.pending } : {}),
              ...checkFields(e as ServerEntry & CheckFields),
            },
          ]),
      ),
    };
  });
  return { node, roots: roots(data).filter((t) => wanted.has(t)), resources };
}

/** Bumped when a field of `status --json` changes meaning or goes away (new fields do not bump it). */
export const STATUS_FORMAT_VERSION = 1;

async function run(inv: Invocation): Promise<number> {
  // Cluster mode (docs/operate/cluster.md): the tree and the states come from the CIB and crm_mon.
  if (process.env.KIT_RUNNER_STORE === 'cib')
    return (await import('./cmd-cluster.ts')).clusterStatus(inv.settings, {
      json: inv.settings.json,
      ...(inv.positionals[1] !== undefined ? { only: inv.positionals[1] } : {}),
    });
  const store = openStore(inv.settings.stateDir);
  const data = store.read();
  const only = inv.positionals[1];
  if (only !== undefined) need(data, only);
  const node = inv.settings.node;
  if (inv.settings.json) {
    printJson({ ok: true, formatVersion: STATUS_FORMAT_VERSION, ...statusData(data, node, only) });
    return 0;
  }
  const wanted = new Set(only ? component(data, only) : Object.keys(data.resources));
  const checks = [...wanted].some((t) => checkText(data.resources[t]!.servers[node] as (ServerEntry & CheckFields) | undefined) !== '');
  const rows: string[][] = [['TAG', 'KIT', 'ID', 'STATE', 'SINCE', 'SERVERS (priority:state)', ...(checks ? ['CHECKS'] : []), 'REASON']];
  const visit = (tag: string, prefix: string, childPrefix: string) => {
    const r: ResourceRecord = data.resources[tag]!;
    const e = r.servers[node];
    const servers = Object.entries(r.servers)
      .sort(([, a], [, b]) => a.priority - b.priority)
      .map(([s, x]) => `${s}(${x.priority}):${x.state}`)
      .join(' ');
    const note = pendingNote(e?.pending);
    rows.push([
      `${prefix}${tag}`,
      r.kit,
      r.id,
      e ? `${e.state}${e.pending ? '*' : ''}` : '--',
      e ? ago(e.since) : '',
      servers,
      ...(checks ? [checkText(e as (ServerEntry & CheckFields) | undefined) || '-'] : []),
      oneLine(note ?? e?.reason ?? `not extended to ${node}`),
    ]);
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
  help: [
    'Shows every hierarchy as a tree, parents above their children, with the state of each resource on this node and its priority and state on every server it is extended to. With TAG, only the hierarchy holding TAG. Reads the store only; loads no kit.',
    'SINCE is when the state last changed; REASON is folded onto one line; CHECKS (shown when the monitor has recorded them) gives consecutive quickChecks that could not tell, failures and the last check. A * after the state marks an action in progress (or interrupted).',
    '--json has a formatVersion (1), full ISO times and the reasons as recorded.',
  ].join('\n'),
  examples: [
    { about: 'every hierarchy on this node, as a tree', cmd: 'kit-runner status' },
    { about: 'the hierarchy holding web, for a script', cmd: 'kit-runner status web --json' },
    { about: 'the same store as seen from another server', cmd: 'kit-runner --node node-b status' },
  ],
  options: {},
  run,
});
