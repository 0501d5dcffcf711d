/**
 * What the actions share: the resolved resource (nodes, this node, the engine), the resource
 * file, waiting for the link, the gate's inputs, and the status report.
 */
import { ActionFailedError, ConfigError, type KitError, type Exec, type Logger } from '@recovery-kit/sdk';
import { remainingMs, sleep } from '@recovery-kit/sdk/util';
import { DrbdEngine, renderResource, splitBrainMarker, type ResourceSpec } from './drbd.ts';
import type { MirrorEngine, MirrorStatus } from './engine.ts';
import { decidePromotion, diagnose, fenceConstraintsOf, promotionScore, resyncing, type FenceConstraint, type GateDecision, type Problem } from './gate.ts';
import { parseNodes, type Ctx, type Node, type Options } from './options.ts';
import { mountAt, writeFileAtomic, type MountInfo } from './fs.ts';

export interface Resolved {
  engine: MirrorEngine & { hasMetadata?(): Promise<boolean>; generation?(): Promise<8 | 9 | undefined> };
  self: Node;
  peer: Node;
  spec: ResourceSpec;
  configFile: string;
}

type Base = { exec: Exec; logger: Logger; options: Options; tunables: Ctx['tunables'] };

export async function resolve(ctx: Base): Promise<Resolved> {
  const o = ctx.options;
  const nodes = parseNodes(o.nodes);
  const uname = (await ctx.exec('uname', ['-n'], { timeoutMs: 10_000 })).stdout.trim();
  const self = nodes.find((n) => n.name === uname);
  if (!self)
    throw new ConfigError(`this node's name ${uname} (uname -n) is not one of the mirror's nodes ${nodes.map((n) => n.name).join(', ')}`, {
      field: 'nodes',
      fix: `name this node in nodes as ${uname}=ADDRESS (DRBD matches its host sections by uname -n)`,
    });
  const peer = nodes.find((n) => n !== self)!;
  const syncRate = ctx.tunables.string('MIRROR_SYNC_RATE', '');
  const spec: ResourceSpec = {
    resource: o.resource,
    nodes,
    disks: { '*': o.disk },
    minor: o.minor,
    port: o.port,
    protocol: o.protocol,
    fencing: o.fencing,
    ...(o.cibClone ? { cibClone: o.cibClone } : {}),
    ...(syncRate ? { syncRate } : {}),
  };
  return {
    engine: new DrbdEngine({ exec: ctx.exec, logger: ctx.logger, resource: o.resource, minor: o.minor, peerName: peer.name }),
    self,
    peer,
    spec,
    configFile: `${o.configDir}/${o.resource}.res`,
  };
}

/** Writes the resource file when it differs, and has drbdadm parse it. Returns true when it changed. */
export async function writeConfig(ctx: Base, r: Resolved): Promise<boolean> {
  await ctx.exec('modprobe', ['drbd'], { timeoutMs: 30_000 });
  const generation = await r.engine.generation?.();
  const text = renderResource({ ...r.spec, ...(generation ? { generation } : {}) });
  const now = await ctx.exec('cat', [r.configFile], { reject: false, timeoutMs: 10_000 });
  if (now.exitCode === 0 && now.stdout === text) return false;
  await writeFileAtomic(ctx.exec, r.configFile, text);
  const check = await ctx.exec('drbdadm', ['dump', r.spec.resource], { reject: false, timeoutMs: 30_000 });
  if (check.exitCode !== 0)
    throw new ConfigError(
      `drbdadm does not accept the resource file ${r.configFile}: ${(check.stderr || check.stdout).trim().split('\n').slice(-3).join(' | ')}`,
      {
        field: 'resource',
        fix: `another file in ${ctx.options.configDir} may define ${r.spec.resource}, ${r.engine.device} or port ${r.spec.port} too: remove it`,
      },
    );
  ctx.logger.info(`wrote ${r.configFile} (protocol ${r.spec.protocol}, ${r.spec.nodes.map((n) => `${n.name} ${n.address}:${r.spec.port}`).join(', ')})`);
  return true;
}

const TRANSIENT_CONN = new Set(['Connecting', 'Unconnected', 'Timeout', 'BrokenPipe', 'NetworkFailure', 'TearDown', 'Disconnecting']);
const SETTLING_REPL = new Set(['WFBitMapS', 'WFBitMapT', 'WFSyncUUID', 'StartingSyncS', 'StartingSyncT']);
const SETTLING_DISK = new Set(['Attaching', 'Negotiating', 'DUnknown']);

/**
 * Waits (up to `ms`) for the link to the peer to come up and settle, so the gate judges the
 * peer's real role and disk; returns the last status (the peer may stay unknown: it is down).
 */
export async function settle(r: Resolved, ms: number, deadline: number, signal?: AbortSignal): Promise<MirrorStatus> {
  const until = Math.min(deadline - 5000, Date.now() + ms);
  for (;;) {
    const s = await r.engine.status();
    const unsettled =
      !s.exists ||
      s.volumes.some((v) => SETTLING_DISK.has(v.disk)) ||
      s.peers.some(
        (p) =>
          TRANSIENT_CONN.has(p.connection) ||
          (p.connection === 'Connected' && p.volumes.some((v) => SETTLING_REPL.has(v.replication) || v.peerDisk === 'DUnknown')),
      );
    if (!unsettled || Date.now() >= until) return s;
    await sleep(Math.min(1000, Math.max(0, until - Date.now())), signal);
  }
}

export async function fenceConstraints(exec: Exec, resource: string): Promise<FenceConstraint[]> {
  const r = await exec('cibadmin', ['--query', '--scope', 'constraints'], { reject: false, timeoutMs: 15_000 });
  return r.exitCode === 0 ? fenceConstraintsOf(r.stdout, resource) : [];
}

export async function splitBrainSeen(exec: Exec, resource: string): Promise<boolean> {
  return (await exec('test', ['-e', splitBrainMarker(resource)], { reject: false, timeoutMs: 10_000 })).exitCode === 0;
}

export async function gate(ctx: Base, r: Resolved, status: MirrorStatus): Promise<GateDecision> {
  return decidePromotion({
    status,
    node: r.self.name,
    fencing: ctx.options.fencing,
    peerFenced: ctx.tunables.bool('MIRROR_PEER_FENCED', false),
    constraints: await fenceConstraints(ctx.exec, r.spec.resource),
    splitBrain: await splitBrainSeen(ctx.exec, r.spec.resource),
  });
}

export function refused(d: GateDecision, resource: string): KitError {
  return new ActionFailedError(`refusing to make this node the source of ${resource}: ${d.summary}`, {
    code: 'PROMOTION_REFUSED',
    fix: d.refusals
      .map((x) => x.fix)
      .filter((f, i, a) => a.indexOf(f) === i)
      .join('; or '),
    details: { refusals: d.refusals, forceable: d.forceable },
  });
}

export interface Report {
  summary: string;
  resource: string;
  node: string;
  role: string;
  volumes: MirrorStatus['volumes'];
  peers: MirrorStatus['peers'];
  mount: MountInfo | null;
  resyncing: boolean;
  problems: Problem[];
  promotion: { allowed: boolean; forceable: boolean; refusals: string[] };
  score: ReturnType<typeof promotionScore>;
}

const bar = (pct: number, width = 30) => {
  const n = Math.max(0, Math.min(width, Math.round((pct / 100) * width)));
  return `[${'='.repeat(n)}${n < width ? '>' : ''}${'.'.repeat(Math.max(0, width - n - 1))}]`;
};

export const fmtKiB = (k: number) => (k >= 1024 * 1024 ? `${(k / 1024 / 1024).toFixed(1)} GiB` : k >= 1024 ? `${(k / 1024).toFixed(1)} MiB` : `${k} KiB`);

/** One line per volume and peer: role, disks, replication, resync progress. */
export function describeStatus(s: MirrorStatus, mount: MountInfo | undefined): string {
  if (!s.exists) return `${s.resource}: down (not configured in the kernel)`;
  const lines = [`${s.resource}: ${s.role}${mount ? `, ${mount.source} mounted on ${mount.target}` : ', not mounted'}`];
  for (const v of s.volumes) {
    for (const p of s.peers) {
      const pv = p.volumes.find((x) => x.volume === v.volume);
      let line = `  volume ${v.volume} /dev/drbd${v.minor}: disk ${v.disk}, peer ${p.name} ${p.connection} ${p.role} disk ${pv?.peerDisk ?? 'DUnknown'}, ${pv?.replication ?? 'Off'}`;
      if (pv && (pv.donePercent !== undefined || /Sync/.test(pv.replication))) {
        line += ` ${bar(pv.donePercent ?? 0)} ${(pv.donePercent ?? 0).toFixed(1)}%`;
        if (pv.outOfSyncKiB !== undefined) line += `, ${fmtKiB(pv.outOfSyncKiB)} out of sync`;
        if (pv.speedKiBs !== undefined) line += `, ${fmtKiB(pv.speedKiBs)}/s`;
        if (pv.etaSeconds !== undefined) line += `, ${pv.etaSeconds} s left`;
        if (pv.resyncSuspended !== 'no') line += ` (paused: ${pv.resyncSuspended})`;
      } else if (pv?.outOfSyncKiB) line += `, ${fmtKiB(pv.outOfSyncKiB)} out of sync`;
      lines.push(line);
    }
    if (!s.peers.length) lines.push(`  volume ${v.volume} /dev/drbd${v.minor}: disk ${v.disk}, no peer connection (StandAlone)`);
  }
  return lines.join('\n');
}

export async function report(ctx: Base & { tag?: string }, r: Resolved): Promise<Report> {
  const s = await r.engine.status();
  const mount = await mountAt(ctx.exec, ctx.options.mountPoint);
  const constraints = await fenceConstraints(ctx.exec, r.spec.resource);
  const problems = diagnose(s, { splitBrain: await splitBrainSeen(ctx.exec, r.spec.resource), constraints, resourceTag: ctx.tag ?? 'TAG' });
  const g = decidePromotion({
    status: s,
    node: r.self.name,
    fencing: ctx.options.fencing,
    peerFenced: ctx.tunables.bool('MIRROR_PEER_FENCED', false),
    constraints,
  });
  const text = [describeStatus(s, mount), ...problems.map((p) => `  ${p.kind.toUpperCase()}: ${p.message}\n    fix: ${p.fix}`)];
  if (s.role !== 'Primary')
    text.push(`  promotion here: ${g.allowed ? 'allowed' : `refused (${g.summary})${g.forceable ? '; force-online would override' : ''}`}`);
  return {
    summary: text.join('\n'),
    resource: s.resource,
    node: r.self.name,
    role: s.role,
    volumes: s.volumes,
    peers: s.peers,
    mount: mount ?? null,
    resyncing: resyncing(s),
    problems,
    promotion: { allowed: g.allowed, forceable: g.forceable, refusals: g.refusals.map((x) => x.reason) },
    score: promotionScore(s),
  };
}

export { remainingMs };
