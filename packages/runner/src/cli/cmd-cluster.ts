/**
 * `kit-runner cluster apply [TAG] [--dry-run]`: the hierarchies of the local store as Pacemaker
 * configuration (cluster/cib.ts), applied with cibadmin (cluster/apply.ts), safe to run twice.
 * `kit-runner cluster import [--write]`: the reverse, our part of the live CIB (or --from FILE)
 * in the store form.
 */
import { readFileSync } from 'node:fs';
import { ConfigError, ExitCode, UsageError } from '@recovery-kit/sdk';
import { elapsedMs, monotonicMs } from '../clock.ts';
import { FileStore } from '../file-store.ts';
import { CibStore } from '../cluster/cib-store.ts';
import { applyGenerated, localCib, queryConfiguration } from '../cluster/apply.ts';
import { configurationXml, generate } from '../cluster/cib.ts';
import { importCib } from '../cluster/cib-import.ts';
import { crmCommands } from '../cluster/crm-commands.ts';
import { loadFacts } from '../cluster/facts.ts';
import { gatesIn, noGrantError, ticketGranted } from '../cluster/grant.ts';
import { grantOrRevoke } from '../cluster/grant-cmd.ts';
import { moveTo, placement, stopAll } from '../cluster/move.ts';
import { LOSS_POLICIES, type LossPolicy } from '../cluster/ticket.ts';
import { childrenOf, component, roots } from '../hierarchy.ts';
import { all, parseXml } from '../cluster/xml.ts';
import { cloneId } from '../cluster/cib-clone.ts';
import { heldClones, releaseHeld } from '../cluster/settle.ts';
import type { Settings } from '../settings.ts';
import { defineCommand, type Invocation } from './spec.ts';
import { intFlag } from './common.ts';
import { printJson, table } from './output.ts';

async function apply(inv: Invocation): Promise<number> {
  const s = inv.settings;
  const tag = inv.positionals[2];
  if (inv.positionals.length > 3) throw new UsageError(`unexpected argument ${JSON.stringify(inv.positionals[3])}`, { fix: `usage: ${command.usage}` });
  // The local store is what apply writes to the cluster (whatever KIT_RUNNER_STORE says).
  const data = new FileStore(s.stateDir).read();
  if (!Object.keys(data.resources).length) {
    throw new ConfigError(`the store ${s.stateDir} has no resources to apply`, {
      field: '--state-dir',
      fix: 'create the hierarchy first (kit-runner create ...), or point --state-dir at the store that has it',
    });
  }
  const interval = inv.values['monitor-interval'] !== undefined ? intFlag(inv.values['monitor-interval'], '--monitor-interval') : undefined;
  const migration = inv.values['migration-threshold'] !== undefined ? intFlag(inv.values['migration-threshold'], '--migration-threshold') : undefined;
  const loss = inv.values['loss-policy'];
  if (loss !== undefined && !LOSS_POLICIES.includes(loss as LossPolicy))
    throw new UsageError(`--loss-policy: ${JSON.stringify(loss)} is not one of ${LOSS_POLICIES.join(', ')}`, {
      field: '--loss-policy',
      fix: 'stop (the default: a revoked ticket takes the hierarchy out of that region), fence, or freeze',
    });
  const facts = await loadFacts(
    s.kitsDirs,
    s.tunablesPath,
    Object.values(data.resources).map((r) => r.kit),
    interval,
  );
  const g = generate(data, facts, {
    ...(tag !== undefined ? { tag } : {}),
    ...(migration !== undefined ? { migrationThreshold: migration } : {}),
    ...(loss !== undefined ? { lossPolicy: loss as LossPolicy } : {}),
  });
  const xml = configurationXml(g);
  if (inv.values['dry-run']) {
    const crm = crmCommands(g);
    if (s.json) printJson({ ok: true, dryRun: true, xml, crm: crm ?? null, hierarchies: g.hierarchies.map((h) => ({ root: h.root, tags: h.tags })) });
    else {
      process.stdout.write(xml);
      process.stdout.write(
        crm
          ? `\n# the same with crmsh:\n${crm}`
          : '\n# (no crm commands: node-scoped values and ticket gates need the XML above; apply it with "kit-runner cluster apply")\n',
      );
    }
    return ExitCode.OK;
  }
  const report = await applyGenerated(localCib, g);
  const released = await releaseHeld(localCib, heldClones(g, facts, report.held), {
    progress: (line) => process.stderr.write(`${line}\n`),
  });
  if (s.json) printJson({ ok: true, ...report, released, hierarchies: g.hierarchies.map((h) => ({ root: h.root, tags: h.tags })) });
  else {
    for (const [what, ids] of Object.entries(report)) for (const id of ids as string[]) process.stdout.write(`${what} ${id}\n`);
    for (const r of released)
      process.stdout.write(
        r.released === 'ready'
          ? `released ${r.clone}: every node runs it Unpromoted with its promotion score (${(r.waitedMs / 1000).toFixed(1)} s); Pacemaker promotes by priority\n`
          : `released ${r.clone} after ${(r.waitedMs / 1000).toFixed(1)} s without ${r.waitingFor.join(', ')}: Pacemaker promotes on the scores it has ("crm_mon -1 --show-detail" shows why)\n`,
      );
    const changed = report.created.length + report.replaced.length + report.deleted.length;
    process.stdout.write(
      changed ? `cluster apply: ${changed} change(s) written to the CIB\n` : 'cluster apply: the CIB already matches the store (nothing written)\n',
    );
  }
  return ExitCode.OK;
}

async function importCmd(inv: Invocation): Promise<number> {
  const from = inv.values.from;
  let root;
  if (typeof from === 'string') {
    let text: string;
    try {
      text = readFileSync(from, 'utf8');
    } catch (err) {
      throw new ConfigError(`cannot read ${from}: ${(err as Error).message}`, { field: '--from', fix: 'give a file holding "cibadmin --query" output' });
    }
    root = parseXml(text, from);
  } else root = await queryConfiguration(localCib);
  const data = importCib(root);
  if (inv.values.write) {
    const store = new FileStore(inv.settings.stateDir);
    store.update((d) => {
      const clash = Object.keys(data.resources).filter((t) => d.resources[t]);
      if (clash.length)
        throw new ConfigError(`the store already has ${clash.join(', ')}`, {
          field: '--write',
          fix: 'delete them from the store first, or import into another --state-dir',
        });
      Object.assign(d.resources, data.resources);
      d.dependencies.push(...data.dependencies);
    });
  }
  printJson(inv.settings.json ? { ok: true, ...data } : data);
  return ExitCode.OK;
}

/**
 * A restore in cluster mode: the hierarchy holding TAG (read from the live CIB) is moved to the
 * node through Pacemaker (crm_resource --move, wait, --clear). `kit-runner action TAG restore
 * --node N` comes here when KIT_RUNNER_STORE=cib; so does `kit-runner cluster move TAG NODE`.
 */
export async function clusterRestore(tag: string, node: string, o: { json: boolean; timeoutMs?: number; remove?: boolean }): Promise<number> {
  const conf = await queryConfiguration(localCib);
  const data = importCib(conf);
  if (!data.resources[tag]) {
    throw new ConfigError(`no resource with tag "${tag}" in the cluster's configuration (CIB)`, {
      field: 'TAG',
      fix: 'apply the hierarchy first with "kit-runner cluster apply", or see "crm_mon -1"',
    });
  }
  const g = generate(
    data,
    new Map(
      Object.values(data.resources).map((r) => [
        r.kit,
        { kitType: r.kit, secret: new Set<string>(), startTimeoutS: 1, stopTimeoutS: 1, monitorTimeoutS: 1, monitorIntervalS: 1 },
      ]),
    ),
    { tag },
  );
  const h = g.hierarchies[0]!;
  if (!o.remove) {
    // Into another region only while its ticket is granted: refused here, before any CIB change.
    const gate = gatesIn(conf, h.root).find((x) => x.nodes.includes(node));
    if (gate && !(await ticketGranted(localCib, gate.ticket))) throw noGrantError(tag, node, h.root, undefined, gate, true);
  }
  const group = h.resources.find((e) => e.name === 'group');
  // A chain is one group; otherwise the colocations follow the resource every other one depends on (the leaf).
  const leaves = h.tags.filter((t) => !data.dependencies.some((d) => d.parent === t));
  // A kit with roles is a promotable clone (cib-clone.ts): the others are colocated with its Promoted role, so that role moves.
  const clones = new Set(all(conf, 'clone').map((c) => c.attrs.id));
  const cloned = new Set(h.tags.filter((t) => clones.has(cloneId(t))));
  const clonedLeaf = leaves.find((t) => cloned.has(t)) ?? [...cloned][0];
  const rsc = clonedLeaf !== undefined ? cloneId(clonedLeaf) : (group?.attrs.id ?? (leaves.length === 1 ? leaves[0]! : tag));
  const started = monotonicMs();
  if (o.remove) {
    const r = await stopAll(localCib, rsc, h.tags, { timeoutMs: o.timeoutMs ?? 120_000 });
    const ms = elapsedMs(started);
    if (o.json) printJson({ ok: true, tag, action: 'remove', via: 'pacemaker', resource: rsc, durationMs: ms, polls: r.polls });
    else process.stdout.write(`remove ${tag}: ok through Pacemaker (${rsc} target-role=Stopped, ${ms} ms)\n`);
    return ExitCode.OK;
  }
  const r = await moveTo(localCib, rsc, h.tags, node, { timeoutMs: o.timeoutMs ?? 120_000, promoted: clonedLeaf !== undefined, cloned });
  const ms = elapsedMs(started);
  if (o.json) printJson({ ok: true, tag, action: 'restore', node, via: 'pacemaker', resource: rsc, durationMs: ms, polls: r.polls });
  else process.stdout.write(`restore ${tag} on ${node}: ok through Pacemaker (${rsc} moved, ${ms} ms)\n`);
  return ExitCode.OK;
}

/**
 * Status in cluster mode: the store is the CIB (cluster/cib-store.ts): the hierarchy from its
 * configuration (with each server's kit info), each server's state from crm_mon (XML): ISP where
 * Pacemaker has the resource Started, OSF where it failed, OSU elsewhere. The same on every node,
 * since both come from the cluster, not from a local store.
 */
export async function clusterStatus(settings: Settings, o: { json: boolean; only?: string }): Promise<number> {
  const node = settings.node;
  const data = new CibStore({ local: new FileStore(settings.stateDir), ...settings }).read();
  const where = await placement(localCib);
  if (o.only !== undefined && !data.resources[o.only])
    throw new ConfigError(`no resource with tag "${o.only}" in the CIB`, { field: 'TAG', fix: 'run "kit-runner cluster status" for every tag' });
  const tags = o.only !== undefined ? component(data, o.only) : Object.keys(data.resources).sort();
  if (o.json) {
    printJson({
      ok: true,
      node,
      store: 'cib',
      roots: roots(data).filter((t) => tags.includes(t)),
      resources: tags.map((t) => ({ tag: t, kit: data.resources[t]!.kit, children: childrenOf(data, t), servers: data.resources[t]!.servers })),
    });
    return ExitCode.OK;
  }
  const rows: string[][] = [['TAG', 'KIT', 'SERVERS (priority:state)', 'PACEMAKER']];
  const visit = (tag: string, prefix: string, childPrefix: string) => {
    const r = data.resources[tag]!;
    const servers = Object.entries(r.servers)
      .sort(([, a], [, b]) => a.priority - b.priority)
      .map(([s, x]) => `${s}(${x.priority}):${x.state}`)
      .join(' ');
    const p = where.resources[tag];
    rows.push([
      `${prefix}${tag}`,
      r.kit,
      servers,
      p
        ? p.roles
          ? `Promoted on ${p.promoted.join(',') || '-'}, Unpromoted on ${p.nodes.filter((n) => !p.promoted.includes(n)).join(',') || '-'}${p.failed ? ' (failed)' : ''}`
          : `${p.role}${p.nodes.length ? ` on ${p.nodes.join(',')}` : ''}${p.failed ? ' (failed)' : ''}`
        : 'not in crm_mon',
    ]);
    const kids = childrenOf(data, tag);
    kids.forEach((k, i) => {
      const last = i === kids.length - 1;
      visit(k, `${childPrefix}${last ? '└─ ' : '├─ '}`, `${childPrefix}${last ? '   ' : '│  '}`);
    });
  };
  for (const root of roots(data)) if (tags.includes(root)) visit(root, '', '');
  process.stdout.write(
    `Resource hierarchies in the cluster (${tags.length} resource${tags.length === 1 ? '' : 's'}, store: the CIB, states from crm_mon)\n\n${table(rows)}\n`,
  );
  return ExitCode.OK;
}

async function grantCmd(inv: Invocation, granted: boolean): Promise<number> {
  const [, sub, tag, region] = inv.positionals;
  if (!tag || !region || inv.positionals.length > 4)
    throw new UsageError(`cluster ${sub} needs TAG and REGION`, { field: 'REGION', fix: `usage: kit-runner cluster ${sub} TAG REGION` });
  const r = await grantOrRevoke(tag, region, granted, { cluster: process.env.KIT_RUNNER_STORE === 'cib', stateDir: inv.settings.stateDir });
  const what = granted ? 'granted' : 'revoked';
  if (inv.settings.json) printJson({ ok: true, tag, region, granted, ...r });
  else process.stdout.write(`cluster ${sub}: ticket ${r.ticket} ${r.changed ? what : `already ${what}`} (${r.via})\n`);
  return ExitCode.OK;
}

async function run(inv: Invocation): Promise<number> {
  const sub = inv.positionals[1];
  if (sub === 'status')
    return clusterStatus(inv.settings, { json: inv.settings.json, ...(inv.positionals[2] !== undefined ? { only: inv.positionals[2] } : {}) });
  if (sub === 'move') {
    const tag = inv.positionals[2];
    const node = inv.positionals[3];
    if (!tag || !node) throw new UsageError('cluster move needs TAG and NODE', { fix: `usage: ${command.usage}` });
    const timeout = inv.values.timeout !== undefined ? intFlag(inv.values.timeout, '--timeout') * 1000 : undefined;
    return clusterRestore(tag, node, { json: inv.settings.json, ...(timeout !== undefined ? { timeoutMs: timeout } : {}) });
  }
  if (sub === 'apply') return apply(inv);
  if (sub === 'import') return importCmd(inv);
  if (sub === 'grant' || sub === 'revoke') return grantCmd(inv, sub === 'grant');
  throw new UsageError(sub ? `unknown cluster command "${sub}"` : 'cluster needs a command', { field: 'command', fix: `usage: ${command.usage}` });
}

export const command = defineCommand({
  name: 'cluster',
  summary: 'apply the hierarchies to a Pacemaker cluster (CIB), or import them from it',
  usage:
    'kit-runner cluster {status [TAG] | move TAG NODE [--timeout S] | apply [TAG] [--dry-run] [--monitor-interval S] [--migration-threshold N] [--loss-policy P] | import [--from FILE] [--write] | grant|revoke TAG REGION}',
  help: [
    "apply    writes every hierarchy of the store (or the one holding TAG) to the CIB: primitives of ocf:recovery-kit:<kit>, a group for a chain (else order + colocation constraints), a promotable clone <tag>-clone for a kit with roles (promote/demote; resources above it ordered after its promote and colocated with its Promoted role), location scores from the priorities, stickiness from switchback, per-server values as node-scoped instance attributes. A new promotable clone is written held Unpromoted (target-role) until every online node runs its instance with its promotion score, then released, so the first promotion follows the priorities, not whichever node published a score first (progress on stderr; released anyway after the start and monitor timeouts plus 30 s). Only our elements are written, only when they differ: running it twice changes nothing. --dry-run prints the XML (and crm commands when there are no node-scoped values). --monitor-interval overrides the kit's check interval (seconds).",
    'import   prints our part of the CIB (or of --from FILE, cibadmin --query output) in the store form; --write adds it to the local store.',
    'status   the hierarchies from the CIB with each server\'s state from crm_mon: the same on every node (also "KIT_RUNNER_STORE=cib kit-runner status").',
    'move     brings the hierarchy holding TAG into service on NODE through Pacemaker (crm_resource --move, a wait for every member Started there, --clear); --timeout S (default 120). The same as "KIT_RUNNER_STORE=cib kit-runner action TAG restore --node NODE".',
    "grant    the operator's grant for the hierarchy holding TAG in REGION, another region than its home (the region of its highest-priority server): cluster mode crm_ticket --grant on the ticket rk-ROOT-REGION that apply wrote (rsc_ticket, --loss-policy stop|fence|freeze, default stop); stand-alone a record in <state dir>/grants.json. Without it a restore into REGION is refused (exit 4) and Pacemaker keeps the hierarchy out of REGION.",
    'revoke   withdraws that grant (cluster mode: Pacemaker takes the hierarchy out of REGION).',
    'See docs/operate/cluster.md.',
  ].join('\n'),
  examples: [
    { about: 'see what apply would write', cmd: 'kit-runner cluster apply --dry-run' },
    { about: 'write the hierarchies to the CIB (safe to run twice)', cmd: 'kit-runner cluster apply' },
    { about: "the operator's grant: let web's hierarchy move into us-west-2", cmd: 'kit-runner cluster grant web us-west-2' },
    { about: 'move the hierarchy holding web to node-b through Pacemaker', cmd: 'kit-runner cluster move web node-b' },
  ],
  options: {
    'dry-run': { type: 'boolean' },
    'monitor-interval': { type: 'string' },
    'migration-threshold': { type: 'string' },
    from: { type: 'string' },
    write: { type: 'boolean' },
    timeout: { type: 'string' },
    'loss-policy': { type: 'string' },
  },
  run,
});
