/**
 * Bringing a virtual address up and down: the steps restore, recover, remove and the
 * bringup/bringdown commands share.
 *
 * Up (LifeKeeper's IP restore, in its order):
 *  1. already present on the device and usable -> nothing to do (idempotent);
 *  2. link check and repair (unless IP_NOLINKCHECK=1);
 *  3. uniqueness (unless NOIPUNIQUE=1): IPv4 `arping -D`; IPv6 the kernel's own DAD;
 *  4. `ip addr add ADDR/PREFIX [broadcast +] dev DEV [label L] [nodad]`;
 *  5. announce: gratuitous ARP (`arping -U`) for IPv4; for IPv6 the kernel's unsolicited
 *     neighbour advertisement at the end of DAD (net.ipv6.conf.DEV.ndisc_notify=1).
 */
import { ActionFailedError, type Tunables } from '@recovery-kit/sdk';
import { cidrText, type Vip } from './addr.ts';
import { addresses, announceArp, arpDuplicate, enableNdiscNotify, ensureLink, findVip, ip, link, noArp, waitIpv6Dad, type Net } from './net.ts';

export interface UpResult {
  /** True when the address was added (false: it was already there). */
  changed: boolean;
  address: string;
  prefix: number;
  family: 4 | 6;
  device: string;
  label?: string | undefined;
  netns?: string | undefined;
  /** What was done, in order, for people and --json. */
  steps: string[];
}

export interface DownResult {
  changed: boolean;
  removed: Array<{ address: string; prefix: number; device: string }>;
  steps: string[];
}

const where = (net: Net) => (net.netns ? ` (network namespace ${net.netns})` : '');

export async function bringUp(net: Net, vip: Vip, device: string, tunables: Tunables, label?: string): Promise<UpResult> {
  const steps: string[] = [];
  const base = { address: vip.address, prefix: vip.prefix, family: vip.family, device, ...(label ? { label } : {}), ...(net.netns ? { netns: net.netns } : {}) };
  const present = await findVip(net, vip);
  const elsewhere = present.filter((a) => a.dev !== device);
  if (elsewhere.length) {
    throw new ActionFailedError(`${vip.address} is already configured on ${elsewhere.map((a) => `${a.dev} (/${a.prefixlen})`).join(', ')}${where(net)}, not on ${device}`, {
      code: 'ADDRESS_ON_OTHER_DEVICE',
      fix: `remove it there first (ip addr del ${vip.address}/${elsewhere[0]!.prefixlen} dev ${elsewhere[0]!.dev}), or set the device option to ${elsewhere[0]!.dev}`,
    });
  }
  const mine = present.find((a) => a.dev === device);
  if (mine && !mine.dadfailed) {
    const linkSteps = await ensureLink(net, device, tunables);
    steps.push(...linkSteps);
    if (mine.prefixlen !== vip.prefix) net.logger.warn(`${vip.address} is on ${device} with prefix /${mine.prefixlen}, configured /${vip.prefix}: left as it is`);
    if (vip.family === 6 && mine.tentative) {
      const dad = await waitIpv6Dad(net, device, vip, tunables.int('IP6_DAD_WAIT'));
      if (dad === 'dadfailed') return failDad(net, vip, device);
    }
    if (linkSteps.length && vip.family === 4 && !noArp(await link(net, device))) await announceArp(net, device, vip.address, tunables.int('IP_ARP_COUNT'));
    steps.push(`${cidrText(vip)} already on ${device}`);
    return { changed: false, ...base, steps };
  }
  if (mine?.dadfailed) {
    // A leftover of a failed attempt: it is unusable, take it away and try again.
    await ip(net, ['addr', 'del', `${vip.address}/${mine.prefixlen}`, 'dev', device], false);
    steps.push(`deleted ${vip.address}/${mine.prefixlen} left in state dadfailed`);
  }
  steps.push(...(await ensureLink(net, device, tunables)));

  // Loopback and NOARP devices (lo, tun, an ExpressCluster-style lo:0) neither answer nor need ARP.
  const arp = vip.family === 4 && !noArp(await link(net, device));
  const unique = !tunables.bool('NOIPUNIQUE');
  if (arp && unique) {
    const owner = await arpDuplicate(net, device, vip.address, tunables.int('IP_DAD_PROBES'));
    if (owner) {
      throw new ActionFailedError(`${vip.address} is already in use on the link of ${device}: host ${owner} answered duplicate address detection (arping -D)${where(net)}`, {
        code: 'DUPLICATE_ADDRESS',
        fix: `find the host with MAC ${owner} and take the address off it (or out of service there); set NOIPUNIQUE=1 only if the answer is expected`,
        details: { address: vip.address, device, owner },
      });
    }
    steps.push(`no other host answers for ${vip.address} (arping -D)`);
  }
  if (vip.family === 6 && unique && tunables.bool('IP6_NDISC_NOTIFY')) {
    if (await enableNdiscNotify(net, device)) steps.push(`enabled net.ipv6.conf.${device}.ndisc_notify`);
  }

  const args = ['addr', 'add', cidrText(vip)];
  if (vip.family === 4 && vip.prefix <= 30) args.push('broadcast', '+');
  args.push('dev', device);
  if (label) args.push('label', label);
  if (vip.family === 6 && !unique) args.push('nodad');
  const r = await ip(net, args, false);
  if (r.exitCode !== 0 && !/File exists/i.test(r.stderr)) {
    throw new ActionFailedError(`cannot add ${cidrText(vip)} to ${device}${where(net)}: ${r.stderr.trim()}`, {
      code: 'ADD_FAILED',
      fix: 'check that kit-runner runs as root (CAP_NET_ADMIN) and that the device accepts addresses',
    });
  }
  steps.push(`added ${cidrText(vip)} to ${device}${label ? ` (label ${label})` : ''}`);

  if (vip.family === 6 && unique) {
    const dad = await waitIpv6Dad(net, device, vip, tunables.int('IP6_DAD_WAIT'));
    if (dad === 'dadfailed') return failDad(net, vip, device);
    if (dad === 'timeout') net.logger.warn(`${vip.address} is still tentative after IP6_DAD_WAIT=${tunables.int('IP6_DAD_WAIT')} s`);
    else steps.push(`duplicate address detection passed; kernel sent an unsolicited neighbour advertisement`);
  }
  const now = (await addresses(net, device)).find((a) => a.family === vip.family && a.local === vip.address);
  if (!now) throw new ActionFailedError(`${cidrText(vip)} is not on ${device} after adding it${where(net)}`, { code: 'ADD_FAILED', fix: 'check the kernel log (dmesg) and the device' });
  if (arp && (await announceArp(net, device, vip.address, tunables.int('IP_ARP_COUNT')))) steps.push(`sent gratuitous ARP for ${vip.address} (arping -U)`);
  return { changed: true, ...base, steps };
}

async function failDad(net: Net, vip: Vip, device: string): Promise<never> {
  await ip(net, ['addr', 'del', cidrText(vip), 'dev', device], false);
  throw new ActionFailedError(`${vip.address} is already in use on the link of ${device}: IPv6 duplicate address detection failed (dadfailed)${where(net)}`, {
    code: 'DUPLICATE_ADDRESS',
    fix: 'take the address off the other host (or out of service there); set NOIPUNIQUE=1 only if that is expected',
    details: { address: vip.address, device },
  });
}

/** Deletes the address wherever it is in the namespace (or only from `device`). Absent = success. */
export async function bringDown(net: Net, vip: Vip, device?: string): Promise<DownResult> {
  const found = (await findVip(net, vip)).filter((a) => device === undefined || a.dev === device);
  const removed: DownResult['removed'] = [];
  const steps: string[] = [];
  for (const a of found) {
    const r = await ip(net, ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', a.dev], false);
    if (r.exitCode !== 0 && !/Cannot assign requested address/i.test(r.stderr)) {
      throw new ActionFailedError(`cannot delete ${a.local}/${a.prefixlen} from ${a.dev}${where(net)}: ${r.stderr.trim()}`, { code: 'DELETE_FAILED', fix: 'check that kit-runner runs as root (CAP_NET_ADMIN)' });
    }
    removed.push({ address: a.local, prefix: a.prefixlen, device: a.dev });
    steps.push(`deleted ${a.local}/${a.prefixlen} from ${a.dev}`);
  }
  const left = (await findVip(net, vip)).filter((a) => device === undefined || a.dev === device);
  if (left.length) throw new ActionFailedError(`${vip.address} is still on ${left.map((a) => a.dev).join(', ')} after deleting it${where(net)}`, { code: 'DELETE_FAILED' });
  if (!removed.length) steps.push(`${vip.address} is not configured${device ? ` on ${device}` : ''}: nothing to do`);
  return { changed: removed.length > 0, removed, steps };
}
