/** The IP kit's top-level commands, ExpressCluster style: `kit-runner ip bringup` / `bringdown`. */
import { ConfigError, UsageError, checkInterfaceName, type KitCliCommand, type KitCliContext } from '@recovery-kit/sdk';
import { checkVipText, cidrText, toVip, type Vip } from './addr.ts';
import { addresses, checkNetns, ip, link, netOf, type Net } from './net.ts';
import { NETNS } from './options.ts';
import { bringDown, bringUp } from './vip.ts';

function cliNet(ctx: KitCliContext, flags: Readonly<Record<string, unknown>>): Net {
  const netns = flags.netns;
  if (netns !== undefined && (typeof netns !== 'string' || !NETNS.test(netns)))
    throw new UsageError(`--netns ${JSON.stringify(netns)} is not a valid network namespace name`, { field: '--netns' });
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
  if (problem)
    throw new UsageError(`-i: ${typeof problem === 'string' ? problem : problem.message}`, {
      field: '-i',
      fix: 'give an address, optionally with /PREFIX (default /32 or /128), e.g. -i 10.1.0.20/32',
    });
  return toVip(text)!;
}

const bringup: KitCliCommand = {
  description:
    "Adds a virtual address to a device and announces it (ExpressCluster's clpaws_vipctl --bringup): sets the link up if it is down, refuses an address another host answers for (unless NOIPUNIQUE=1), adds it, sends gratuitous ARP / unsolicited NA. Nothing to do when it is already there.",
  usage: '-d DEV[:ALIAS] -i IP[/PREFIX] [--netns NS] [--json]',
  flags: {
    dev: {
      type: 'string',
      short: 'd',
      required: true,
      description: 'Device to add the address to; DEV:ALIAS (e.g. lo:0) also labels an IPv4 address with ALIAS, so bringdown -d DEV:ALIAS finds it.',
    },
    ip: { type: 'string', short: 'i', required: true, description: 'The address, with /PREFIX (default /32 for IPv4, /128 for IPv6).' },
    netns: { type: 'string', description: 'Network namespace holding the device (ip -n NS).' },
  },
  async run(ctx, flags) {
    const net = cliNet(ctx, flags);
    const { device, label } = cliDevice(flags.dev);
    const vip = cliVip(flags.ip);
    if (label && vip.family === 6) throw new UsageError('IPv6 addresses have no labels: give -d DEV without :ALIAS', { field: '-d' });
    await checkNetns(net);
    if (!(await link(net, device)))
      throw new ConfigError(`device ${device} does not exist${net.netns ? ` in network namespace ${net.netns}` : ''}`, {
        field: '-d',
        fix: '"ip link" lists the interfaces',
      });
    const r = await bringUp(net, vip, device, ctx.tunables, label);
    return {
      summary: r.changed
        ? `added ${cidrText(vip)} to ${device}${label ? ` (label ${label})` : ''}`
        : `${cidrText(vip)} is already on ${device}: nothing changed`,
      ...r,
    };
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
      summary: removed.length
        ? `deleted ${removed.map((r) => `${r.address}/${r.prefix}`).join(', ')} (label ${label}) from ${device}`
        : `no address labelled ${label} on ${device}: nothing changed`,
      changed: removed.length > 0,
      device,
      label,
      removed,
    };
  },
};

export const cli = { bringup, bringdown };
