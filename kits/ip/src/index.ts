/**
 * The IP kit: a switchable virtual IP address (IPv4 or IPv6), like LifeKeeper's IP Recovery Kit
 * and Pacemaker's IPaddr2, plus ExpressCluster's VIP bring-up/bring-down commands.
 *
 * - restore: link check (and repair), duplicate address detection, add, announce. Idempotent.
 * - remove: delete the address; success when it is already absent.
 * - quickCheck: the address is on a link that is up; then the ping list, or LifeKeeper's
 *   broadcast ping unless NOBCASTPING=1.
 * - recover: restore again (bouncing the link per IP_WAIT_LINKDOWN / IP_MAX_LINKCHK), then the
 *   reachability check must pass.
 *
 * The address and device may differ per server (`kit-runner extend ... --opt address=...`), and
 * `netns` manages the address inside a named network namespace (`ip -n NS`), which is how the
 * tests play several nodes on one machine. The EC2 and Route53 kits read the IP child's
 * `options.address` (CIDR text) and `info` ({ address, prefix, family, device }).
 */
import {
  ActionFailedError,
  ConfigError,
  UsageError,
  checkAddress,
  checkInterfaceName,
  defineKit,
  defineOptions,
  opt,
  type Issue,
  type KitCliCommand,
  type KitCliContext,
  type KitContext,
  type QuickCheckResult,
} from '@recovery-kit/sdk';
import { checkVipText, cidrText, isLinkLocal, toVip, type Vip } from './addr.ts';
import { addresses, arpDuplicate, broadcastPing, checkNetns, findDevice, findVip, ip, link, linkProblem, noArp, pingTarget, type Net } from './net.ts';
import { bringDown, bringUp } from './vip.ts';

export { toVip, cidrText, canonical, broadcastOf, checkVipText, type Vip } from './addr.ts';
export { findDevice, type Net } from './net.ts';
export { bringUp, bringDown, type UpResult, type DownResult } from './vip.ts';

const NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export const options = defineOptions(
  {
    address: opt.string({
      description: 'The virtual address with its prefix length (IPv4 or IPv6), e.g. 10.1.0.10/32 or fd00::10/64. May differ per server (another subnet or VPC).',
      required: true,
      perServer: true,
      example: '10.1.0.10/32',
      check: checkVipText,
    }),
    device: opt.string({
      description: "Network interface to put the address on. When absent, found from the routing table like IPaddr2's findif (the most specific directly connected route covering the address). May differ per server.",
      perServer: true,
      example: 'eth0',
      check: checkInterfaceName,
    }),
    label: opt.string({
      description: 'IPv4 address label (ifconfig-style alias), starting with the device name, at most 15 characters, e.g. eth0:vip.',
      example: 'eth0:vip',
      check: checkInterfaceName,
    }),
    pingList: opt.list({
      description: 'Addresses quickCheck pings from the virtual address; one answer is enough. When empty, the broadcast ping is used unless NOBCASTPING=1.',
      default: [],
      example: '192.0.2.1,192.0.2.254',
      item: checkAddress,
    }),
    netns: opt.string({
      description: 'Named network namespace (ip netns) holding the device; commands run as "ip -n NETNS ...". May differ per server.',
      perServer: true,
      example: 'blue',
      check: (v: string) => (NETNS.test(v) && v !== '.' && v !== '..' ? undefined : { message: `${JSON.stringify(v)} is not a valid network namespace name`, fix: 'use 1-64 letters, digits, "_", "." or "-"' }),
    }),
  },
  (o) => {
    const issues: Issue[] = [];
    const vip = toVip(o.address, { requirePrefix: true })!;
    if (o.label !== undefined) {
      if (vip.family === 6) issues.push({ field: 'label', message: 'IPv6 addresses have no labels', fix: 'leave label out for an IPv6 address' });
      else if (o.device !== undefined && !o.label.startsWith(o.device)) issues.push({ field: 'label', message: `label ${o.label} does not start with the device name ${o.device}`, fix: `use a label such as ${o.device}:vip` });
    }
    if (isLinkLocal(vip) && o.device === undefined) issues.push({ field: 'device', message: 'a link-local IPv6 address needs a device (the routing table cannot tell which link)', fix: 'give --opt device=<interface>' });
    for (const p of o.pingList) {
      if ((p.includes(':') ? 6 : 4) !== vip.family) issues.push({ field: 'pingList', message: `${p} is not of the address family of ${o.address}`, fix: 'ping targets are pinged from the virtual address, so they must be of the same family' });
    }
    return issues;
  },
);

export type IpOptions = (typeof options) extends { parse(raw: never): infer O } ? O : never;
type Ctx = KitContext<IpOptions>;

const netOf = (ctx: { exec: Net['exec']; logger: Net['logger']; signal: AbortSignal }, netns: string | undefined): Net => ({
  exec: ctx.exec,
  logger: ctx.logger,
  signal: ctx.signal,
  ...(netns ? { netns } : {}),
});

const where = (server: string, netns: string | undefined) => `${server}${netns ? ` (network namespace ${netns})` : ''}`;

/** The info recorded per server: what the EC2 and Route53 kits read. */
function infoOf(vip: Vip, device: string | undefined, netns: string | undefined, label?: string): Record<string, unknown> {
  return { address: vip.address, prefix: vip.prefix, family: vip.family, cidr: cidrText(vip), ...(device ? { device } : {}), ...(netns ? { netns } : {}), ...(label ? { label } : {}) };
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
    throw new ConfigError(`label ${ctx.options.label} does not start with the device name ${device}`, { field: 'label', fix: `use a label such as ${device}:vip` });
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
  throw new ActionFailedError(`cannot tell which device ${cidrText(vip)} belongs on, on ${where(ctx.server, ctx.options.netns)}: no directly connected route covers it`, {
    code: 'NO_DEVICE',
    fix: `set the device: kit-runner extend/create ... --opt device=<interface>`,
  });
}

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
    return { status: 'failed', reason: found.length ? `${vip.address} is on ${found.map((a) => a.dev).join(', ')}, not on ${device}` : `${cidrText(vip)} is not configured on ${device}` };
  }
  if (mine.dadfailed) return { status: 'failed', reason: `${vip.address} on ${device} failed duplicate address detection (dadfailed)` };
  if (!ctx.tunables.bool('IP_NOLINKCHECK')) {
    const l = await link(net, device);
    const problem = l ? linkProblem(l) : `device ${device} does not exist`;
    if (problem) return { status: 'failed', reason: `link check failed for ${vip.address}: ${problem}` };
  }
  if (mine.tentative) return { status: 'ok', detail: `${vip.address} on ${device} (tentative: duplicate address detection running)` };
  return reachability(ctx, net, vip, device);
}

const actions = {
  async create(ctx: Ctx) {
    const { vip, device } = await checkServer(ctx);
    const net = netOf(ctx, ctx.options.netns);
    // LifeKeeper checks uniqueness at creation as well as before going in service.
    if (vip.family === 4 && !ctx.tunables.bool('NOIPUNIQUE') && !(await findVip(net, vip)).length) {
      const l = await link(net, device);
      if (noArp(l)) {
        // loopback / NOARP device: there is no link-layer neighbour to ask
      } else if (l && !linkProblem(l)) {
        const owner = await arpDuplicate(net, device, vip.address, ctx.tunables.int('IP_DAD_PROBES'));
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
    const r = await bringUp(net, vip, needDevice(ctx, vip, device), ctx.tunables, ctx.options.label);
    ctx.logger.info(r.steps.join('; '), { changed: r.changed });
  },

  async remove(ctx: Ctx) {
    // Taking it out of service must not depend on the routing table: without a device, delete it wherever it is.
    const { net, vip, device } = await resolve(ctx).catch(() => ({ net: netOf(ctx, ctx.options.netns), vip: toVip(ctx.options.address, { requirePrefix: true })!, device: undefined }));
    const r = await bringDown(net, vip, device);
    ctx.logger.info(r.steps.join('; '), { changed: r.changed });
  },

  quickCheck,

  async recover(ctx: Ctx) {
    const { net, vip, device } = await resolve(ctx);
    const dev = needDevice(ctx, vip, device);
    const r = await bringUp(net, vip, dev, ctx.tunables, ctx.options.label);
    ctx.logger.info(`recover: ${r.steps.join('; ')}`, { changed: r.changed });
    const check = await quickCheck(ctx);
    if (check.status === 'failed') throw new ActionFailedError(`${vip.address} is back on ${dev} but still not healthy: ${check.reason}`, { code: 'RECOVER_FAILED', fix: 'check the link and the ping list; the resource fails over' });
  },
};

// ------------------------------------------------------------------ ExpressCluster-style commands

function cliNet(ctx: KitCliContext, flags: Readonly<Record<string, unknown>>): Net {
  const netns = flags.netns;
  if (netns !== undefined && (typeof netns !== 'string' || !NETNS.test(netns))) throw new UsageError(`--netns ${JSON.stringify(netns)} is not a valid network namespace name`, { field: '--netns' });
  return netOf(ctx, netns as string | undefined);
}

/** `-d DEV` or `-d DEV:ALIAS` (the alias becomes the IPv4 label, as ifup eth0:1 would). */
function cliDevice(value: unknown): { device: string; label: string | undefined } {
  const text = String(value);
  const problem = checkInterfaceName(text);
  if (problem) throw new UsageError(`-d: ${problem}`, { field: '-d' });
  const i = text.indexOf(':');
  return i > 0 ? { device: text.slice(0, i), label: text } : { device: text, label: undefined };
}

function cliVip(value: unknown): Vip {
  const text = String(value);
  const problem = checkVipText(/\//.test(text) ? text : `${text}/${text.includes(':') ? 128 : 32}`);
  if (problem) throw new UsageError(`-i: ${typeof problem === 'string' ? problem : problem.message}`, { field: '-i', fix: 'give an address, optionally with /PREFIX (default /32 or /128), e.g. -i 10.1.0.20/32' });
  return toVip(text)!;
}

const bringup: KitCliCommand = {
  description: "Adds a virtual address to a device and announces it (ExpressCluster's clpaws_vipctl --bringup): sets the link up if it is down, refuses an address another host answers for (unless NOIPUNIQUE=1), adds it, sends gratuitous ARP / unsolicited NA. Nothing to do when it is already there.",
  usage: '-d DEV[:ALIAS] -i IP[/PREFIX] [--netns NS] [--json]',
  flags: {
    dev: { type: 'string', short: 'd', required: true, description: 'Device to add the address to; DEV:ALIAS (e.g. lo:0) also labels an IPv4 address with ALIAS, so bringdown -d DEV:ALIAS finds it.' },
    ip: { type: 'string', short: 'i', required: true, description: 'The address, with /PREFIX (default /32 for IPv4, /128 for IPv6).' },
    netns: { type: 'string', description: 'Network namespace holding the device (ip -n NS).' },
  },
  async run(ctx, flags) {
    const net = cliNet(ctx, flags);
    const { device, label } = cliDevice(flags.dev);
    const vip = cliVip(flags.ip);
    if (label && vip.family === 6) throw new UsageError('IPv6 addresses have no labels: give -d DEV without :ALIAS', { field: '-d' });
    await checkNetns(net);
    if (!(await link(net, device))) throw new ConfigError(`device ${device} does not exist${net.netns ? ` in network namespace ${net.netns}` : ''}`, { field: '-d', fix: '"ip link" lists the interfaces' });
    const r = await bringUp(net, vip, device, ctx.tunables, label);
    return { summary: r.changed ? `added ${cidrText(vip)} to ${device}${label ? ` (label ${label})` : ''}` : `${cidrText(vip)} is already on ${device}: nothing changed`, ...r };
  },
};

const bringdown: KitCliCommand = {
  description:
    "Deletes a virtual address (ExpressCluster's clpaws_vipctl --bringdown). With -i, that address on DEV (success when absent). Without -i, DEV must be DEV:ALIAS and every IPv4 address labelled ALIAS is deleted (ifdown lo:0); the device itself is never taken down.",
  usage: '-d DEV[:ALIAS] [-i IP[/PREFIX]] [--netns NS] [--json]',
  flags: {
    dev: { type: 'string', short: 'd', required: true, description: 'Device the address is on, or DEV:ALIAS to delete the addresses labelled ALIAS.' },
    ip: { type: 'string', short: 'i', description: 'The address to delete (a prefix, if given, is ignored).' },
    netns: { type: 'string', description: 'Network namespace holding the device (ip -n NS).' },
  },
  async run(ctx, flags) {
    const net = cliNet(ctx, flags);
    const { device, label } = cliDevice(flags.dev);
    await checkNetns(net);
    if (flags.ip !== undefined) {
      const vip = cliVip(flags.ip);
      const r = await bringDown(net, vip, device);
      return { summary: r.changed ? r.steps.join('; ') : `${vip.address} is not on ${device}: nothing changed`, device, ...r };
    }
    if (!label) {
      throw new UsageError(`bringdown -d ${device} without -i would have to delete every address of ${device}`, {
        field: '-i',
        fix: `give the address (-i IP), or bring it up with an alias (-d ${device}:0) so that "bringdown -d ${device}:0" finds it`,
      });
    }
    const mine = (await addresses(net, device)).filter((a) => a.family === 4 && a.label === label);
    const removed: Array<{ address: string; prefix: number; device: string }> = [];
    for (const a of mine) {
      await ip(net, ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', device, 'label', label]);
      removed.push({ address: a.local, prefix: a.prefixlen, device });
    }
    return {
      summary: removed.length ? `deleted ${removed.map((r) => `${r.address}/${r.prefix}`).join(', ')} (label ${label}) from ${device}` : `no address labelled ${label} on ${device}: nothing changed`,
      changed: removed.length > 0,
      device,
      label,
      removed,
    };
  },
};

export default defineKit({
  meta: { name: '@recovery-kit/kit-ip', version: '0.1.0', kitType: 'ip', description: 'Virtual IP address (IPv4/IPv6): DAD, gratuitous ARP / unsolicited NA, link check' },
  options,
  actions,
  cli: { bringup, bringdown },
  tunables: {
    IP_PINGTRIES: { kind: 'integer', default: 3, min: 1, max: 100, description: 'Pings per target (ping list) or broadcast pings in quickCheck.' },
    IP_PINGTIME: { kind: 'integer', default: 1, min: 1, max: 60, description: 'Seconds to wait for each ping reply.' },
    IP_QUICKCHECK_TIMEOUT: { kind: 'integer', default: 12, min: 1, description: 'Seconds a quickCheck of an IP resource may take.' },
    NOIPUNIQUE: { kind: 'boolean', default: false, description: '1 = skip duplicate address detection before adding the address (IPv6: add with nodad).' },
    NOBCASTPING: { kind: 'boolean', default: false, description: '1 = no broadcast ping in quickCheck when the ping list is empty (set it in clouds: VPCs have no broadcast).' },
    IP_NOLINKCHECK: { kind: 'boolean', default: false, description: '1 = do not check (or repair) the link state of the device.' },
    IP_WAIT_LINKDOWN: { kind: 'integer', default: 5, min: 0, max: 300, description: 'Seconds between taking a link without carrier down and up again when repairing it.' },
    IP_MAX_LINKCHK: { kind: 'integer', default: 5, min: 1, max: 300, description: 'Times (1 s apart) to check that a repaired link is up before failing.' },
    IP_DAD_PROBES: { kind: 'integer', default: 1, min: 1, max: 10, description: 'IPv4 duplicate address detection: arping -D probes (about one second each).' },
    IP6_DAD_WAIT: { kind: 'integer', default: 10, min: 1, max: 120, description: "Seconds to wait for the kernel's IPv6 duplicate address detection to finish." },
    IP_ARP_COUNT: { kind: 'integer', default: 2, min: 0, max: 20, description: 'Gratuitous ARP packets sent after adding an IPv4 address (0 = none).' },
    IP6_NDISC_NOTIFY: {
      kind: 'boolean',
      default: true,
      description: "1 = enable net.ipv6.conf.DEV.ndisc_notify on the device, so that the kernel sends an unsolicited neighbour advertisement once DAD has passed.",
    },
  },
  timeouts: { quickCheck: 'IP_QUICKCHECK_TIMEOUT' },
});
