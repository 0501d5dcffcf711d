/**
 * The tunnel resource's actions. quickCheck follows seed 000's order: (1) pluto runs, else
 * failure and no further checks; (2) ping the peer VPN node's local address through the tunnel
 * and (3) its public address (both at once, OPENSWAN_PING_TIMEOUT each); (4) an established
 * Child SA for the connection in the ipsec status, read up to OPENSWAN_CHECK_TRY_COUNT times
 * OPENSWAN_CHECK_INTERVAL apart. IKEv2 notices a dead peer only after its retransmit timeout
 * (60 s), so the ping through the tunnel is what makes detection fast.
 */
import { ActionFailedError, ConfigError, type ChildSpec, type Exec, type KitContext, type Logger, type QuickCheckResult } from '@recovery-kit/sdk';
import { sleep, waitFor } from '@recovery-kit/sdk/util';
import { orient, publicAddressOf, type Tunnel } from './conn.ts';
import { Ipsec } from './ipsec.ts';
import { childSasOf, loadedConnections, type ChildSa, type IpsecVersion } from './parse.ts';
import type { Options } from './options.ts';
import { decideFailover, type NodeHealth } from './failover.ts';
import { freshDegraded, ownValue, publish, standbyHealth } from './standby.ts';

type Ctx = KitContext<Options>;

export interface Resolved {
  ipsec: Ipsec;
  version: IpsecVersion;
  tunnel: Tunnel;
  /** This node's local address (ping source). */
  source: string;
  /** The peer VPN node's local address (pinged through the tunnel). */
  remoteLocal: string;
  /** The peer VPN node's public address. */
  remotePublic: string | undefined;
}

/** This node's addresses, from `ip -o addr show`. */
export async function localAddresses(exec: Exec): Promise<string[]> {
  const r = await exec('ip', ['-o', 'addr', 'show'], { reject: false, timeoutMs: 10_000 });
  return [...r.stdout.matchAll(/\binet6? ([0-9a-fA-F.:]+)\//g)].map((m) => m[1]!);
}

export async function resolve(ctx: { exec: Exec; logger: Logger; options: Options }): Promise<Resolved> {
  const o = ctx.options;
  const ipsec = new Ipsec({ exec: ctx.exec, logger: ctx.logger, ipsec: o.ipsec, configFile: o.configFile });
  const version = await ipsec.version();
  const conns = await ipsec.connections();
  const conn = conns.find((c) => c.name === o.connection);
  if (!conn) {
    throw new ConfigError(
      `no connection ${o.connection} in ${o.configFile}${conns.length ? ` (found: ${conns.map((c) => c.name).join(', ')})` : ' (it has no conn sections)'}`,
      {
        field: 'connection',
        fix: conns.length
          ? `give one of: ${conns.map((c) => c.name).join(', ')}`
          : 'configure the tunnel first (seed 000 chapter 4 step 6), then create the resource',
      },
    );
  }
  const { tunnel, issues } = orient(conn, await localAddresses(ctx.exec), version.generation, {
    localSource: o.localSourceAddress,
    remoteLocal: o.remoteLocalAddress,
    remotePublic: o.remotePublicAddress,
  });
  if (!tunnel || issues.length) {
    throw new ConfigError(`connection ${o.connection} cannot be protected: ${issues.map((i) => i.message).join('; ')}`, {
      field: 'connection',
      issues,
      ...(issues[0]?.fix ? { fix: issues[0].fix } : {}),
    });
  }
  return {
    ipsec,
    version,
    tunnel,
    source: o.localSourceAddress ?? tunnel.local.sourceIp!,
    remoteLocal: o.remoteLocalAddress ?? tunnel.remote.sourceIp!,
    remotePublic: o.remotePublicAddress ?? publicAddressOf(tunnel.remote),
  };
}

/** How many Child SAs an up connection has: one per (local subnet, remote subnet) pair. */
const expectedSas = (t: Tunnel) => Math.max(1, t.local.subnets.length) * Math.max(1, t.remote.subnets.length);

async function ping(exec: Exec, target: string, seconds: number, source?: string): Promise<boolean> {
  // One reply within the deadline is enough (-c 1 -w T: a ping a second until one answers).
  const args = ['-n', '-q', '-c', '1', '-w', String(seconds), ...(source ? ['-I', source] : []), target];
  const r = await exec('ping', args, { reject: false, timeoutMs: (seconds + 5) * 1000 });
  return r.exitCode === 0;
}

const describeSas = (sas: readonly ChildSa[]) => sas.map((s) => `#${s.serial} ${s.connection} in=${s.inBytes}B out=${s.outBytes}B`).join(', ');

/**
 * What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it). One entry: every
 * level runs the whole check. Seed 000 makes the pings through the tunnel the detection (pluto
 * alive and an SA listed prove little: IKEv2 notices a dead peer only after its retransmit
 * timeout), so a local-only level 0 would report a dead tunnel as held. Level 0 therefore sends
 * packets here, unlike the contract's level 0 for other kits; it makes no cloud call.
 */
export const checkLevels = {
  0: 'every level (0, 10 and 20) runs the whole check, data path included: pluto runs, a ping from the local source address through the tunnel to the peer VPN node answers (and its public address unless pingPublic=false; OPENSWAN_PING_TIMEOUT), the connection has its established Child SAs (OPENSWAN_CHECK_TRY_COUNT reads), and the resource is in service on this node. Seed 000 makes the pings the detection, so this kit has no local-only level; it makes no cloud call at any level.',
} as const;

/**
 * quickCheck: {@link checkTunnel} at every check level ({@link checkLevels}); a failure right after a recover that kept the resource here
 * because no standby could take over (this node's attribute `degraded:<t>`, under Pacemaker) is
 * `unknown`: the agent re-checks after its local recovery, and seed 000 says to report success
 * then. The next check (one interval later) fails again and recovery is tried again.
 */
export async function check(ctx: Ctx, r: Resolved): Promise<QuickCheckResult> {
  const c = await checkTunnel(ctx, r);
  if (c.status === 'ok') {
    // The tunnel is up on every VPN node (the standby keeps its own): held here means restored here.
    if (await inService(ctx)) return c;
    return {
      status: 'failed',
      reason: `${r.tunnel.name} is up, but ${ctx.tag} is not in service on this node (no ${markerOf(ctx)}: restore puts it in service; the tunnel stays up as the standby path)`,
    };
  }
  if (c.status !== 'failed') return c;
  const own = await ownValue({ exec: ctx.exec, logger: ctx.logger, tag: ctx.tag, node: ctx.server });
  if (freshDegraded(own))
    return {
      status: 'unknown',
      reason: `${c.reason}; kept in service: local recovery failed here and no standby VPN node is healthy (${own}), recovery is tried again at the next check`,
    };
  return c;
}

export async function checkTunnel(ctx: Ctx, r: Resolved): Promise<QuickCheckResult> {
  const { ipsec, tunnel } = r;
  const pluto = await ipsec.plutoRunning();
  if (!pluto.running) return { status: 'failed', reason: `pluto is not running (${pluto.detail})` };
  const secs = ctx.tunables.int('OPENSWAN_PING_TIMEOUT');
  const [through, pub] = await Promise.all([
    ping(ctx.exec, r.remoteLocal, secs, r.source),
    ctx.options.pingPublic && r.remotePublic ? ping(ctx.exec, r.remotePublic, secs) : Promise.resolve(true),
  ]);
  if (!through) {
    const sas = childSasOf((await ipsec.childSas()) ?? [], tunnel.name);
    const why = [`no reply through the tunnel from the peer VPN node's local address ${r.remoteLocal} (sent from ${r.source}) within ${secs} s`];
    if (ctx.options.pingPublic && r.remotePublic)
      why.push(
        pub
          ? `the peer answers at its public address ${r.remotePublic}`
          : `its public address ${r.remotePublic} does not answer either: the peer node or the path to it is down`,
      );
    why.push(
      sas.length
        ? `pluto still lists Child SA ${describeSas(sas)} (IKEv2 notices a dead peer only after its retransmit timeout)`
        : `no established Child SA for ${tunnel.name}`,
    );
    return { status: 'failed', reason: why.join('; ') };
  }
  if (!pub)
    return {
      status: 'failed',
      reason: `the peer VPN node's public address ${r.remotePublic} does not answer ping within ${secs} s (the tunnel itself passes traffic)`,
    };
  const tries = ctx.tunables.int('OPENSWAN_CHECK_TRY_COUNT');
  const interval = ctx.tunables.int('OPENSWAN_CHECK_INTERVAL');
  const want = expectedSas(tunnel);
  let last: ChildSa[] = [];
  for (let i = 1; i <= tries; i++) {
    const all = await ipsec.childSas();
    last = childSasOf(all ?? [], tunnel.name);
    const names = new Set(last.map((s) => s.connection));
    if (names.size >= want)
      return { status: 'ok', detail: `${tunnel.name} up (${r.version.text}): ${describeSas(last)}; ${r.remoteLocal} answers through the tunnel` };
    if (i < tries) await sleep(interval * 1000, ctx.signal);
  }
  return {
    status: 'failed',
    reason: last.length
      ? `only ${new Set(last.map((s) => s.connection)).size} of ${want} Child SAs of ${tunnel.name} are established (${describeSas(last)}) after ${tries} reads`
      : `no established Child SA for ${tunnel.name} in the ipsec status after ${tries} reads ${interval} s apart`,
  };
}

async function waitForPluto(ctx: Ctx, ipsec: Ipsec, until: number): Promise<void> {
  await waitFor('pluto to answer on its control socket', async () => (await ipsec.plutoRunning()).running, {
    deadline: until,
    initialDelayMs: 300,
    maxDelayMs: 2000,
    signal: ctx.signal,
  });
}

/** Brings the connection up on this node: starts pluto if needed, loads the connection, `up`. */
export async function bringUp(ctx: Ctx, r: Resolved, options: { restart: boolean }): Promise<string> {
  const { ipsec, tunnel } = r;
  const steps: string[] = [];
  const pluto = await ipsec.plutoRunning();
  if (!pluto.running) {
    ctx.logger.info(`pluto is not running (${pluto.detail}): starting it with ${ctx.options.daemonStart}`);
    await ipsec.startDaemon(ctx.options.daemonStart, Math.min(60_000, ctx.deadline - Date.now()));
    await waitForPluto(ctx, ipsec, Math.min(ctx.deadline, Date.now() + 60_000));
    steps.push('started pluto');
  }
  const status = await ipsec.status();
  if (status !== undefined && !loadedConnections(status).includes(tunnel.name)) {
    await ipsec.add(tunnel.name);
    steps.push(`loaded ${tunnel.name}`);
  }
  if (options.restart && steps.length === 0) {
    const d = await ipsec.down(tunnel.name, Math.min(30_000, ctx.deadline - Date.now()));
    ctx.logger.info(`took ${tunnel.name} down (exit ${d.exitCode ?? 'timeout'}) to bring it up again`);
    steps.push('down');
  }
  const have = childSasOf((await ipsec.childSas()) ?? [], tunnel.name);
  if (!options.restart && have.length >= expectedSas(tunnel) && (await ping(ctx.exec, r.remoteLocal, ctx.tunables.int('OPENSWAN_PING_TIMEOUT'), r.source))) {
    steps.push('already up');
    return steps.join(', ');
  }
  const upWait = Math.min(ctx.tunables.int('OPENSWAN_UP_WAIT') * 1000, ctx.deadline - Date.now() - 5000);
  const up = await ipsec.up(tunnel.name, Math.max(1000, upWait));
  if (!up.established) {
    const fail = (reason: string | undefined) =>
      new ActionFailedError(
        `${r.version.generation === 5 ? 'ipsec up' : 'ipsec auto --up'} ${tunnel.name} did not establish the tunnel: ${reason ?? `no Child SA within ${Math.round(upWait / 1000)} s`}`,
        {
          fix: up.configProblem
            ? 'correct the configuration on both VPN nodes (ipsec.secrets, leftid/rightid, proposals), then recover'
            : 'check that the peer VPN node runs and that UDP 500/4500 and ESP pass between the two public addresses',
          retryable: !up.configProblem,
          details: { connection: tunnel.name, configProblem: up.configProblem },
        },
      );
    if (up.configProblem) throw fail(up.reason);
    // `up` returns at once (exit 0, no output) when pluto is already negotiating the connection
    // (auto=start after a pluto start, or a revival): wait for the Child SA it is making.
    const until = up.timedOut ? Date.now() : Math.min(ctx.deadline - 5000, Date.now() + upWait);
    await waitFor(`a Child SA for ${tunnel.name}`, async () => childSasOf((await ipsec.childSas()) ?? [], tunnel.name).length > 0, {
      deadline: until,
      initialDelayMs: 500,
      maxDelayMs: 2000,
      signal: ctx.signal,
    }).catch(() => {
      throw fail(up.reason);
    });
  }
  steps.push('up');
  // The tunnel must carry traffic, not only exist.
  const secs = ctx.tunables.int('OPENSWAN_PING_TIMEOUT');
  await waitFor(`a reply through the tunnel from ${r.remoteLocal}`, () => ping(ctx.exec, r.remoteLocal, secs, r.source), {
    deadline: Math.min(ctx.deadline - 1000, Date.now() + 3 * (secs + 5) * 1000),
    initialDelayMs: 500,
    signal: ctx.signal,
  }).catch((err: Error) => {
    throw new ActionFailedError(`${tunnel.name} is established but passes no traffic: ${err.message}`, {
      fix: "check the subnets and sourceip settings of both sides, and that nothing drops the peer's ESP packets",
    });
  });
  steps.push('traffic passes');
  return steps.join(', ');
}

/**
 * The EC2 child (seed 000, "EC2 Resource"): the route-table scenario of the ec2 kit, its
 * destinations the remote subnets, so a switchover re-points them at the new active VPN node.
 */
export function ec2ChildSpec(tag: string, remoteSubnets: readonly string[], o: Pick<Options, 'routeTables' | 'vpcId'>): ChildSpec {
  return {
    kitType: 'ec2',
    tag: `${tag}-ec2`,
    options: {
      scenario: 'route-table',
      destinations: [...remoteSubnets],
      disableSourceDestCheck: true,
      ...(o.routeTables.length ? { routeTables: [...o.routeTables] } : {}),
      ...(o.vpcId ? { vpcId: o.vpcId } : {}),
    },
  };
}

export function tunnelInfo(r: Resolved): Record<string, unknown> {
  return {
    libreswan: r.version.text,
    generation: r.version.generation,
    commands: r.version.generation === 5 ? 'ipsec up/down/add, ipsec trafficstatus' : 'ipsec auto --up/--down/--add, ipsec whack --trafficstatus',
    localSide: r.tunnel.localSide,
    localSubnets: r.tunnel.local.subnets,
    remoteSubnets: r.tunnel.remote.subnets,
    localSourceAddress: r.source,
    remoteLocalAddress: r.remoteLocal,
    ...(r.remotePublic ? { remotePublicAddress: r.remotePublic } : {}),
  };
}

/** The mark that the resource is in service on this node (restore, recover), gone after remove or a reboot (runDir is a tmpfs). */
export const markerOf = (ctx: { tag: string; options: Options }) => `${ctx.options.runDir}/${encodeURIComponent(ctx.tag)}.in-service`;

export async function inService(ctx: Ctx): Promise<boolean> {
  return (await ctx.exec('test', ['-e', markerOf(ctx)], { reject: false, timeoutMs: 10_000 })).exitCode === 0;
}

export async function markInService(ctx: Ctx, on: boolean): Promise<void> {
  const m = markerOf(ctx);
  const r = on
    ? await ctx
        .exec('mkdir', ['-p', ctx.options.runDir], { reject: false, timeoutMs: 10_000 })
        .then((x) => (x.exitCode === 0 ? ctx.exec('touch', [m], { reject: false, timeoutMs: 10_000 }) : x))
    : await ctx.exec('rm', ['-f', m], { reject: false, timeoutMs: 10_000 });
  if (r.exitCode !== 0)
    throw new ActionFailedError(`cannot ${on ? 'write' : 'remove'} ${m}: ${(r.stderr || r.stdout).trim().slice(0, 200)}`, {
      fix: 'check that runDir is a writable directory (a tmpfs such as /run)',
    });
}

/** Local check, then local recovery when it fails: this node's input to the failover table. */
export async function nodeHealth(ctx: Ctx): Promise<{ health: NodeHealth; detail: string }> {
  let r: Resolved;
  try {
    r = await resolve(ctx);
  } catch (err) {
    return { health: 'unknown', detail: (err as Error).message };
  }
  const c = await checkTunnel(ctx, r);
  if (c.status === 'ok') return { health: 'healthy', detail: c.detail ?? 'ok' };
  try {
    const how = await bringUp(ctx, r, { restart: true });
    return { health: 'recovered', detail: `${c.status === 'failed' ? c.reason : ''}; recovered: ${how}` };
  } catch (err) {
    return { health: 'failed', detail: `${c.status === 'failed' ? c.reason : ''}; recovery failed: ${(err as Error).message}` };
  }
}

/**
 * recover on the active VPN node: local recovery, and when it fails, seed 000's table with the
 * standby's health (the `standbyHealth` command, else the other nodes' `rk-health-<tag>`
 * attribute): the standby healthy or recovered: fail (the runner fails over; this node's
 * attribute becomes `failed`, which the location rule bans); the standby failed or unknown:
 * report success and keep trying (`degraded`). With no standby source at all (no command, no
 * Pacemaker), the failure stands: the runner's ordinary rule.
 */
export async function recoverWithTable(ctx: Ctx): Promise<void> {
  const r = await resolve(ctx);
  const deps = { exec: ctx.exec, logger: ctx.logger, tag: ctx.tag, node: ctx.server };
  try {
    ctx.logger.info(`${r.tunnel.name}: ${await bringUp(ctx, r, { restart: true })}`);
    await markInService(ctx, true);
    await publish(deps, 'recovered');
    return;
  } catch (err) {
    const standby = await standbyHealth({ ...deps, command: ctx.options.standbyHealth, deadline: ctx.deadline });
    const noSource = !ctx.options.standbyHealth && standby.health === 'unknown' && /^no standbyHealth command and no Pacemaker/.test(standby.detail);
    if (noSource) {
      ctx.logger.warn(`${r.tunnel.name}: ${standby.detail}: the failover table cannot be applied (set standbyHealth); the recovery failure stands`);
      throw err;
    }
    const d = decideFailover('failed', standby.health);
    if (d.failover) {
      ctx.logger.error(`${r.tunnel.name}: local recovery failed (${(err as Error).message}); ${standby.detail}; ${d.reason}`);
      await publish(deps, 'failed');
      if (err instanceof Error) Object.assign(err, { message: `${err.message}; ${d.reason} (${standby.detail})` });
      throw err;
    }
    ctx.logger.warn(`${r.tunnel.name}: local recovery failed (${(err as Error).message}); ${standby.detail}; ${d.reason}`);
    await publish(deps, 'degraded');
  }
}
