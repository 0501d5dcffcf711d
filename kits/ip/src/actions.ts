/**
 * The IP kit's actions: a switchable virtual IP address (IPv4 or IPv6), like LifeKeeper's IP Recovery Kit
 * and Pacemaker's IPaddr2, plus ExpressCluster's VIP bring-up/bring-down commands.
 *
 * - restore: link check (and repair), duplicate address detection, add, announce. Idempotent.
 * - remove: delete the address; success when it is already absent.
 * - quickCheck: the address is on a link that is up; then (check level 20, the default outside
 *   OCF) the ping list, or LifeKeeper's broadcast ping unless NOBCASTPING=1.
 * - recover: restore again (bouncing the link per IP_WAIT_LINKDOWN / IP_MAX_LINKCHK), then the
 *   reachability check must pass.
 *
 * The address and device may differ per server (`kit-runner extend ... --opt address=...`), and
 * `netns` manages the address inside a named network namespace (`ip -n NS`), which is how the
 * tests play several nodes on one machine. The EC2 and Route53 kits read the IP child's
 * `options.address` (CIDR text) and `info` ({ address, prefix, family, device }).
 */
import { ActionFailedError, ConfigError, type QuickCheckResult } from '@recovery-kit/sdk';
import { cidrText, toVip, type Vip } from './addr.ts';
import { arpDuplicate, broadcastPing, checkNetns, findDevice, findVip, link, linkProblem, netOf, noArp, pingTarget, type Net } from './net.ts';
import type { Ctx } from './options.ts';
import { bringDown, bringUp } from './vip.ts';

const where = (server: string, netns: string | undefined) => `${server}${netns ? ` (network namespace ${netns})` : ''}`;

/** The info recorded per server: what the EC2 and Route53 kits read. */
function infoOf(vip: Vip, device: string | undefined, netns: string | undefined, label?: string): Record<string, unknown> {
  return {
    address: vip.address,
    prefix: vip.prefix,
    family: vip.family,
    cidr: cidrText(vip),
    ...(device ? { device } : {}),
    ...(netns ? { netns } : {}),
    ...(label ? { label } : {}),
  };
}

/** Checks a server's device (given or found) at create/extend. Throws ConfigError (exit 6). */
async function checkServer(ctx: Ctx): Promise<{ vip: Vip; device: string }> {
  const vip = toVip(ctx.options.address, { requirePrefix: true })!;
  const net = netOf(ctx, ctx.options.netns);
  await checkNetns(net);
  let device = ctx.options.device;
  if (device !== undefined) {
    if (!(await link(net, device))) {
      throw new ConfigError(`device ${device} does not exist on ${where(ctx.server, ctx.options.netns)}`, {
        field: 'device',
        fix: `"ip${ctx.options.netns ? ` -n ${ctx.options.netns}` : ''} link" lists the interfaces; correct the device option${ctx.action === 'extend' ? ' (give it per server with --opt device=...)' : ''}`,
      });
    }
  } else {
    device = await findDevice(net, vip);
    if (!device) {
      throw new ConfigError(`no directly connected route covers ${cidrText(vip)} on ${where(ctx.server, ctx.options.netns)}, so the device cannot be found`, {
        field: 'device',
        fix: 'give the interface with --opt device=<interface> (needed for addresses outside the subnets of the interfaces, e.g. an overlay IP in a VPC)',
      });
    }
  }
  if (ctx.options.label !== undefined && !ctx.options.label.startsWith(device)) {
    throw new ConfigError(`label ${ctx.options.label} does not start with the device name ${device}`, {
      field: 'label',
      fix: `use a label such as ${device}:vip`,
    });
  }
  return { vip, device };
}

/** The device for a runtime action on this server: option, then recorded info, then the routing table. */
async function resolve(ctx: Ctx): Promise<{ net: Net; vip: Vip; device: string | undefined }> {
  const vip = toVip(ctx.options.address, { requirePrefix: true })!;
  const net = netOf(ctx, ctx.options.netns);
  const device = ctx.options.device ?? (typeof ctx.info.device === 'string' ? ctx.info.device : undefined) ?? (await findDevice(net, vip));
  return { net, vip, device };
}

function needDevice(ctx: Ctx, vip: Vip, device: string | undefined): string {
  if (device) return device;
  throw new ActionFailedError(
    `cannot tell which device ${cidrText(vip)} belongs on, on ${where(ctx.server, ctx.options.netns)}: no directly connected route covers it`,
    {
      code: 'NO_DEVICE',
      fix: `set the device: kit-runner extend/create ... --opt device=<interface>`,
    },
  );
}

/** What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it); level 10 has no cloud part, so it is level 0. */
export const checkLevels = {
  0: 'local only (netlink, no packet sent): the address is on its device, not on another, not dadfailed, and the link is up with a carrier (unless IP_NOLINKCHECK). Proves this host holds the address; not that anyone can reach it.',
  20: 'as 0, then through the data path: a ping from the address to the ping list (one answer is enough), else the broadcast (IPv6: all-nodes) ping unless NOBCASTPING=1. Proves the link carries traffic from the address.',
} as const;

/** The reachability part of quickCheck: ping list, else broadcast ping (unless NOBCASTPING=1). */
async function reachability(ctx: Ctx, net: Net, vip: Vip, device: string): Promise<QuickCheckResult> {
  const tries = ctx.tunables.int('IP_PINGTRIES');
  const secs = ctx.tunables.int('IP_PINGTIME');
  const list = ctx.options.pingList;
  if (list.length) {
    const answers = await Promise.all(list.map((t) => pingTarget(net, vip.address, t, tries, secs)));
    const ok = list.filter((_, i) => answers[i]);
    if (ok.length) return { status: 'ok', detail: `${vip.address} on ${device}; ping list answered: ${ok.join(', ')}` };
    return { status: 'failed', reason: `none of the ping list (${list.join(', ')}) answered ${tries} ping(s) from ${vip.address} within ${secs} s each` };
  }
  if (ctx.tunables.bool('NOBCASTPING')) return { status: 'ok', detail: `${vip.address} on ${device} (link up)` };
  const who = await broadcastPing(net, device, vip, tries, secs);
  if (who === undefined) return { status: 'ok', detail: `${vip.address} on ${device} (link up; /${vip.prefix} has no broadcast address to ping)` };
  if (who.length) return { status: 'ok', detail: `${vip.address} on ${device}; broadcast ping answered by ${who.slice(0, 3).join(', ')}` };
  return {
    status: 'failed',
    reason: `nobody else on the link of ${device} answered the ${vip.family === 4 ? 'broadcast ping' : 'all-nodes (ff02::1) ping'} (${tries} tries)`,
  };
}

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const { net, vip, device } = await resolve(ctx);
  if (!device) return { status: 'failed', reason: `no device known for ${cidrText(vip)} on ${ctx.server} and no connected route covers it` };
  const found = await findVip(net, vip);
  const mine = found.find((a) => a.dev === device);
  if (!mine) {
    return {
      status: 'failed',
      reason: found.length ? `${vip.address} is on ${found.map((a) => a.dev).join(', ')}, not on ${device}` : `${cidrText(vip)} is not configured on ${device}`,
    };
  }
  if (mine.dadfailed) return { status: 'failed', reason: `${vip.address} on ${device} failed duplicate address detection (dadfailed)` };
  if (!ctx.tunables.bool('IP_NOLINKCHECK')) {
    const l = await link(net, device);
    const problem = l ? linkProblem(l) : `device ${device} does not exist`;
    if (problem) return { status: 'failed', reason: `link check failed for ${vip.address}: ${problem}` };
  }
  if (mine.tentative) return { status: 'ok', detail: `${vip.address} on ${device} (tentative: duplicate address detection running)` };
  if (ctx.checkLevel < 20) return { status: 'ok', detail: `${vip.address} on ${device} (link up; check level ${ctx.checkLevel}: no ping)` };
  return reachability(ctx, net, vip, device);
}

export const actions = {
  async create(ctx: Ctx) {
    const { vip, device } = await checkServer(ctx);
    const net = netOf(ctx, ctx.options.netns);
    // LifeKeeper checks uniqueness at creation as well as before going in service.
    if (vip.family === 4 && !ctx.tunables.bool('NOIPUNIQUE') && !(await findVip(net, vip)).length) {
      const l = await link(net, device);
      if (noArp(l)) {
        // loopback / NOARP device: there is no link-layer neighbour to ask
      } else if (l && !linkProblem(l)) {
        const owner = await arpDuplicate(net, device, vip.address, ctx.tunables.int('IP_DAD_PROBES'), ctx.tunables.int('IP_DAD_WAIT_MS'));
        if (owner) {
          throw new ConfigError(`${vip.address} is already in use on the link of ${device}: host ${owner} answered (arping -D)`, {
            field: 'address',
            fix: 'choose an address no other host uses, or take it off that host first',
          });
        }
      } else ctx.logger.warn(`link ${device} is not up: uniqueness of ${vip.address} not checked at create (it is checked again at restore)`);
    }
    return {
      info: infoOf(vip, device, ctx.options.netns, ctx.options.label),
      options: { ...ctx.options, address: cidrText(vip) },
    };
  },

  async extend(ctx: Ctx) {
    // The runner runs extend on this machine: check the target only when its network is here
    // (a namespace, or the target is this node). Otherwise the device is resolved at restore.
    if (ctx.options.netns !== undefined || ctx.local) {
      const { vip, device } = await checkServer(ctx);
      return { info: infoOf(vip, device, ctx.options.netns, ctx.options.label) };
    }
    const vip = toVip(ctx.options.address, { requirePrefix: true })!;
    return { info: infoOf(vip, ctx.options.device, undefined, ctx.options.label) };
  },

  async restore(ctx: Ctx) {
    const { net, vip, device } = await resolve(ctx);
    const r = await bringUp(net, vip, needDevice(ctx, vip, device), ctx.tunables, ctx.options.label, true);
    ctx.logger.info(r.steps.join('; '), { changed: r.changed });
  },

  async remove(ctx: Ctx) {
    // Taking it out of service must not depend on the routing table: without a device, delete it wherever it is.
    const { net, vip, device } = await resolve(ctx).catch(() => ({
      net: netOf(ctx, ctx.options.netns),
      vip: toVip(ctx.options.address, { requirePrefix: true })!,
      device: undefined,
    }));
    const r = await bringDown(net, vip, device, true);
    ctx.logger.info(r.steps.join('; '), { changed: r.changed });
  },

  quickCheck,

  async recover(ctx: Ctx) {
    const { net, vip, device } = await resolve(ctx);
    const dev = needDevice(ctx, vip, device);
    const r = await bringUp(net, vip, dev, ctx.tunables, ctx.options.label, true);
    ctx.logger.info(`recover: ${r.steps.join('; ')}`, { changed: r.changed });
    const check = await quickCheck(ctx);
    if (check.status === 'failed')
      throw new ActionFailedError(`${vip.address} is back on ${dev} but still not healthy: ${check.reason}`, {
        code: 'RECOVER_FAILED',
        fix: 'check the link and the ping list; the resource fails over',
      });
  },
};
