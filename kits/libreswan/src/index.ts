/**
 * The Libreswan tunnel kit (seed 000's Openswan resource): protects one IPsec connection between
 * a VPN node of this region and one of the other region. Works with Libreswan 4 (`ipsec auto`,
 * `ipsec whack --trafficstatus`) and 5 (`ipsec up/down`, `ipsec trafficstatus`), detected from
 * `ipsec --version`. See docs/kits/libreswan.md.
 */
import { ActionFailedError, UsageError, defineKit, type KitContext } from '@recovery-kit/sdk';
import { bringUp, check, checkLevels, ec2ChildSpec, markInService, nodeHealth, recoverWithTable, resolve, tunnelInfo } from './actions.ts';
import { attributeOf, publish } from './standby.ts';
export { ec2ChildSpec } from './actions.ts';
import { cli } from './cli.ts';
import { decideFailover, type NodeHealth } from './failover.ts';
import { options, type Options } from './options.ts';
import { timeouts, tunables } from './tunables.ts';

export { decideFailover, type FailoverDecision, type NodeHealth } from './failover.ts';
export { attributeOf, parseAttrdQuery, parseHealthOutput, healthOfValue, freshDegraded } from './standby.ts';
export * from './parse.ts';
export { orient, cidrContains, publicAddressOf, type Tunnel, type Side } from './conn.ts';
export { options, type Options } from './options.ts';

type Ctx = KitContext<Options>;

const actions = {
  async create(ctx: Ctx) {
    const r = await resolve(ctx);
    ctx.logger.info(
      `protecting ${r.tunnel.name} with ${r.version.text} (${r.version.generation === 5 ? 'ipsec up/down' : 'ipsec auto --up/--down'}): ${r.source} -> ${r.remoteLocal} through the tunnel, peer ${r.remotePublic ?? '(no public address)'}`,
    );
    return { info: tunnelInfo(r), ...(ctx.options.ec2Child ? { children: [ec2ChildSpec(ctx.tag, r.tunnel.remote.subnets, ctx.options)] } : {}) };
  },
  async extend(ctx: Ctx) {
    if (!ctx.local) {
      ctx.logger.warn(`extend to ${ctx.server}: its Libreswan configuration is checked when the resource is first restored there`);
      return {};
    }
    return { info: tunnelInfo(await resolve(ctx)) };
  },
  async restore(ctx: Ctx) {
    const r = await resolve(ctx);
    ctx.logger.info(`${r.tunnel.name}: ${await bringUp(ctx, r, { restart: false })}`);
    await markInService(ctx, true);
  },
  async remove(ctx: Ctx) {
    // First: the resource is out of service here whatever becomes of the tunnel.
    await markInService(ctx, false);
    const r = await resolve(ctx);
    if (!ctx.options.downOnRemove) {
      ctx.logger.info(`${r.tunnel.name} stays up (downOnRemove=false): this node keeps its tunnel as the standby path`);
      return;
    }
    if (!(await r.ipsec.plutoRunning()).running) return;
    const d = await r.ipsec.down(r.tunnel.name, Math.max(1000, ctx.deadline - Date.now() - 1000));
    if (d.exitCode !== 0)
      throw new ActionFailedError(
        `ipsec down ${r.tunnel.name} failed (${d.exitCode ?? 'timeout'}): ${(d.stderr || d.stdout).trim().split('\n').slice(-2).join(' | ')}`,
        { fix: 'raise OPENSWAN_REMOVE_TIMEOUT, or look at ipsec status' },
      );
  },
  async quickCheck(ctx: Ctx) {
    return check(ctx, await resolve(ctx));
  },
  async recover(ctx: Ctx) {
    await recoverWithTable(ctx);
  },
};

const HEALTH = ['healthy', 'recovered', 'failed', 'unknown'] as const;

export default defineKit({
  meta: {
    name: '@recovery-kit/kit-libreswan',
    version: '0.1.0',
    kitType: 'libreswan',
    description: 'IPsec tunnel between VPN nodes of two regions (Libreswan 4/5; seed 000 Openswan resource)',
  },
  options,
  actions,
  commands: {
    health: {
      description:
        "Checks this node's tunnel and recovers it locally when the check fails; prints healthy, recovered or failed (this node's input to the failover table) and publishes it as the node attribute rk-health-TAG under Pacemaker.",
      async run(ctx: Ctx) {
        const h = await nodeHealth(ctx);
        const published = await publish({ exec: ctx.exec, logger: ctx.logger, tag: ctx.tag, node: ctx.server }, h.health);
        return { ...h, attribute: attributeOf(ctx.tag), published };
      },
    },
    decide: {
      description: "The failover table: decide ACTIVE STANDBY, each healthy|recovered|failed|unknown (e.g. the two nodes' health results).",
      run(_ctx: Ctx, args: readonly string[]) {
        const [a, s] = args as [NodeHealth, NodeHealth];
        if (args.length !== 2 || !HEALTH.includes(a) || !HEALTH.includes(s))
          throw new UsageError(`decide needs two of ${HEALTH.join('|')}, got ${JSON.stringify(args)}`, {
            fix: 'e.g. kit-runner action TAG decide -- failed healthy',
          });
        return decideFailover(a, s);
      },
    },
  },
  cli,
  tunables,
  timeouts,
  checkLevels,
});
