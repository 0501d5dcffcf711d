/**
 * Bringing a virtual address up and down: the steps restore, recover, remove and the
 * bringup/bringdown commands share.
 *
 * Up (LifeKeeper's IP restore, in its order):
 *  1. already present on the device and usable -> nothing to do (idempotent);
 *  2. link check and repair (unless IP_NOLINKCHECK=1);
 *  3. uniqueness (unless NOIPUNIQUE=1): IPv4 `arping -D`; IPv6 the kernel's own DAD;
 *  4. `ip addr add ADDR/PREFIX [broadcast +] dev DEV [label L] [nodad]`;
 *  5. announce: gratuitous ARP (`arping -U`, in the background: the restore returns once the
 *     address is up and the first packet has left; arping sends the rest on its own) for IPv4; for IPv6 the kernel's unsolicited
 *     neighbour advertisement at the end of DAD (net.ipv6.conf.DEV.ndisc_notify=1).
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ActionFailedError, type Tunables } from '@recovery-kit/sdk';
import { cidrText, type Vip } from './addr.ts';
import {
  addAndRead,
  addresses,
  announceArp,
  arpDuplicate,
  enableNdiscNotify,
  ensureLink,
  findVip,
  ip,
  link,
  noArp,
  snapshot,
  stopArpAnnouncements,
  waitIpv6Dad,
  type Net,
} from './net.ts';

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

/**
 * Where the kit records that it added an address: one empty 0600 file per (namespace, device,
 * address) in a 0700 directory on /run, a tmpfs, so the record goes with the address at a reboot.
 * Resource info cannot hold it (info is written at create/extend only). A restore that finds the
 * address already there (a node's own address: seed 001's "actual IP resource") writes none, and
 * remove deletes only addresses with a record. Tests and unusual systems may move the directory
 * with RECOVERY_KIT_IP_MARKER_DIR.
 */
export const markerDir = (): string => process.env.RECOVERY_KIT_IP_MARKER_DIR ?? '/run/recovery-kit/ip';

export function markerPath(net: Net, device: string, address: string): string {
  return join(markerDir(), [net.netns ?? '-', device, address].map(encodeURIComponent).join(','));
}

function mark(net: Net, device: string, address: string): void {
  const file = markerPath(net, device, address);
  try {
    mkdirSync(markerDir(), { recursive: true, mode: 0o700 });
    writeFileSync(file, '', { mode: 0o600 });
  } catch (err) {
    throw new ActionFailedError(`cannot record that the kit adds ${address} to ${device}: ${(err as Error).message}`, {
      code: 'MARKER_FAILED',
      fix: `make ${markerDir()} writable for kit-runner (root); without the record, remove would leave the address in place`,
    });
  }
}

const unmark = (net: Net, device: string, address: string) => rmSync(markerPath(net, device, address), { force: true });

/** True when the kit recorded that it added `address` to `device`. */
export const addedByKit = (net: Net, device: string, address: string): boolean => existsSync(markerPath(net, device, address));

/**
 * Brings the address up on `device`. With `record` (the resource actions), the kit records that
 * it added the address, so that remove deletes only what the kit added; the bringup command does
 * not (it is the operator's own tool, like its bringdown).
 */
export async function bringUp(net: Net, vip: Vip, device: string, tunables: Tunables, label?: string, record = false): Promise<UpResult> {
  const steps: string[] = [];
  const base = {
    address: vip.address,
    prefix: vip.prefix,
    family: vip.family,
    device,
    ...(label ? { label } : {}),
    ...(net.netns ? { netns: net.netns } : {}),
  };
  // One `ip -j addr show`: where the address is, and the device's link (flags, operstate).
  const now0 = await snapshot(net);
  const present = now0.addrs.filter((a) => a.family === vip.family && a.local === vip.address);
  const devLink = now0.links.get(device);
  const elsewhere = present.filter((a) => a.dev !== device);
  if (elsewhere.length) {
    throw new ActionFailedError(
      `${vip.address} is already configured on ${elsewhere.map((a) => `${a.dev} (/${a.prefixlen})`).join(', ')}${where(net)}, not on ${device}`,
      {
        code: 'ADDRESS_ON_OTHER_DEVICE',
        fix: `remove it there first (ip addr del ${vip.address}/${elsewhere[0]!.prefixlen} dev ${elsewhere[0]!.dev}), or set the device option to ${elsewhere[0]!.dev}`,
      },
    );
  }
  const mine = present.find((a) => a.dev === device);
  if (mine && !mine.dadfailed) {
    const linkSteps = await ensureLink(net, device, tunables, devLink);
    steps.push(...linkSteps);
    if (mine.prefixlen !== vip.prefix)
      net.logger.warn(`${vip.address} is on ${device} with prefix /${mine.prefixlen}, configured /${vip.prefix}: left as it is`);
    if (vip.family === 6 && mine.tentative) {
      const dad = await waitIpv6Dad(net, device, vip, tunables.int('IP6_DAD_WAIT'));
      if (dad === 'dadfailed') return failDad(net, vip, device);
    }
    if (linkSteps.length && vip.family === 4 && !noArp(devLink)) await announceArp(net, device, vip.address, tunables.int('IP_ARP_COUNT'));
    steps.push(`${cidrText(vip)} already on ${device}`);
    if (record && !addedByKit(net, device, vip.address)) {
      net.logger.info(`${cidrText(vip)} was on ${device}${where(net)} before this restore, not added by the kit: remove will leave it in place`);
      steps.push('not added by the kit: remove leaves it');
    }
    return { changed: false, ...base, steps };
  }
  if (mine?.dadfailed) {
    // A leftover of a failed attempt: it is unusable, take it away and try again.
    await ip(net, ['addr', 'del', `${vip.address}/${mine.prefixlen}`, 'dev', device], false);
    steps.push(`deleted ${vip.address}/${mine.prefixlen} left in state dadfailed`);
  }
  steps.push(...(await ensureLink(net, device, tunables, mine?.dadfailed ? undefined : devLink)));

  // Loopback and NOARP devices (lo, tun, an ExpressCluster-style lo:0) neither answer nor need ARP
  // (flags that bringing the link up does not change).
  const arp = vip.family === 4 && !noArp(devLink ?? (await link(net, device)));
  const unique = !tunables.bool('NOIPUNIQUE');
  if (arp && unique) {
    const owner = await arpDuplicate(net, device, vip.address, tunables.int('IP_DAD_PROBES'), tunables.int('IP_DAD_WAIT_MS'));
    if (owner) {
      throw new ActionFailedError(
        `${vip.address} is already in use on the link of ${device}: host ${owner} answered duplicate address detection (arping -D)${where(net)}`,
        {
          code: 'DUPLICATE_ADDRESS',
          fix: `find the host with MAC ${owner} and take the address off it (or out of service there); set NOIPUNIQUE=1 only if the answer is expected`,
          details: { address: vip.address, device, owner },
        },
      );
    }
    steps.push(`no other host answers for ${vip.address} (arping -D)`);
  }
  if (vip.family === 6 && unique && tunables.bool('IP6_NDISC_NOTIFY')) {
    if (await enableNdiscNotify(net, device)) steps.push(`enabled net.ipv6.conf.${device}.ndisc_notify`);
  }

  const args = [cidrText(vip)];
  if (vip.family === 4 && vip.prefix <= 30) args.push('broadcast', '+');
  args.push('dev', device);
  if (label) args.push('label', label);
  if (vip.family === 6 && !unique) args.push('nodad');
  if (record) mark(net, device, vip.address);
  // The add and the read-back that proves it in one ip process.
  const added = await addAndRead(net, args, device);
  // "File exists" / "already assigned": it appeared meanwhile, so someone else added it.
  if (record && added.error) unmark(net, device, vip.address);
  if (added.error && !/File exists|already assigned/i.test(added.error)) {
    throw new ActionFailedError(`cannot add ${cidrText(vip)} to ${device}${where(net)}: ${added.error}`, {
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
  const now = (vip.family === 6 && unique ? await addresses(net, device) : added.addrs).find((a) => a.family === vip.family && a.local === vip.address);
  if (!now) unmark(net, device, vip.address);
  if (!now)
    throw new ActionFailedError(`${cidrText(vip)} is not on ${device} after adding it${where(net)}`, {
      code: 'ADD_FAILED',
      fix: 'check the kernel log (dmesg) and the device',
    });
  if (arp) {
    const sent = await announceArp(net, device, vip.address, tunables.int('IP_ARP_COUNT'));
    if (sent === 'background') steps.push(`sending gratuitous ARP for ${vip.address} (arping -U, in the background)`);
    else if (sent) steps.push(`sent gratuitous ARP for ${vip.address} (arping -U)`);
  }
  return { changed: true, ...base, steps };
}

async function failDad(net: Net, vip: Vip, device: string): Promise<never> {
  await ip(net, ['addr', 'del', cidrText(vip), 'dev', device], false);
  unmark(net, device, vip.address);
  throw new ActionFailedError(`${vip.address} is already in use on the link of ${device}: IPv6 duplicate address detection failed (dadfailed)${where(net)}`, {
    code: 'DUPLICATE_ADDRESS',
    fix: 'take the address off the other host (or out of service there); set NOIPUNIQUE=1 only if that is expected',
    details: { address: vip.address, device },
  });
}

/**
 * Deletes the address wherever it is in the namespace (or only from `device`). Absent = success.
 * With `onlyAdded` (the remove action), an instance the kit did not add (no record, see
 * `markerPath`) is left in place and logged.
 */
export async function bringDown(net: Net, vip: Vip, device?: string, onlyAdded = false): Promise<DownResult> {
  const found = (await findVip(net, vip)).filter((a) => device === undefined || a.dev === device);
  const removed: DownResult['removed'] = [];
  const steps: string[] = [];
  if (vip.family === 4 && (await stopArpAnnouncements(net, vip.address))) steps.push(`ended the gratuitous ARP for ${vip.address} still being sent`);
  const kept = new Set<string>();
  for (const a of found) {
    if (onlyAdded && !addedByKit(net, a.dev, a.local)) {
      net.logger.info(`${a.local}/${a.prefixlen} on ${a.dev}${where(net)} was not added by the kit (it was there before the restore): left in place`);
      steps.push(`left ${a.local}/${a.prefixlen} on ${a.dev}: not added by the kit`);
      kept.add(a.dev);
      continue;
    }
    const r = await ip(net, ['addr', 'del', `${a.local}/${a.prefixlen}`, 'dev', a.dev], false);
    if (r.exitCode !== 0 && !/Cannot assign requested address/i.test(r.stderr)) {
      throw new ActionFailedError(`cannot delete ${a.local}/${a.prefixlen} from ${a.dev}${where(net)}: ${r.stderr.trim()}`, {
        code: 'DELETE_FAILED',
        fix: 'check that kit-runner runs as root (CAP_NET_ADMIN)',
      });
    }
    unmark(net, a.dev, a.local);
    removed.push({ address: a.local, prefix: a.prefixlen, device: a.dev });
    steps.push(`deleted ${a.local}/${a.prefixlen} from ${a.dev}`);
  }
  const left = (await findVip(net, vip)).filter((a) => (device === undefined || a.dev === device) && !kept.has(a.dev));
  if (left.length)
    throw new ActionFailedError(`${vip.address} is still on ${left.map((a) => a.dev).join(', ')} after deleting it${where(net)}`, { code: 'DELETE_FAILED' });
  if (!found.length) steps.push(`${vip.address} is not configured${device ? ` on ${device}` : ''}: nothing to do`);
  return { changed: removed.length > 0, removed, steps };
}
