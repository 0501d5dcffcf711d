/**
 * One IPsec connection of the node's configuration, seen from this node: which side (left or
 * right) is ours, and the four facts seed 000 names for the Openswan resource: the peer's public
 * address (right/rightid), both sides' subnets (left/rightsubnet[s]) and both VPN nodes' local
 * addresses (left/rightsourceip), which the check pings through the tunnel.
 */
import { isIP } from 'node:net';
import { parseCidr, type Issue } from '@recovery-kit/sdk';
import type { ConnSection, Generation } from './parse.ts';

export interface Side {
  /** left= / right= as configured (an address, %defaultroute, %any, or a DNS name). */
  address: string;
  id: string | undefined;
  subnets: string[];
  sourceIp: string | undefined;
}

export interface Tunnel {
  name: string;
  /** "left" when the left side is this node. */
  localSide: 'left' | 'right';
  local: Side;
  remote: Side;
  auto: string | undefined;
  ikev1: boolean;
}

const side = (v: Record<string, string>, s: 'left' | 'right'): Side => {
  const subnets = v[`${s}subnets`]
    ? v[`${s}subnets`]!.replace(/[{}]/g, '')
        .split(/[\s,]+/)
        .filter(Boolean)
    : v[`${s}subnet`]
      ? [v[`${s}subnet`]!]
      : [];
  return { address: v[s] ?? '', id: v[`${s}id`] || undefined, subnets, sourceIp: v[`${s}sourceip`] || undefined };
};

/** True when `addr` lies inside `cidr` (IPv4 or IPv6). */
export function cidrContains(cidr: string, addr: string): boolean {
  const c = parseCidr(cidr);
  if (!c || isIP(addr) !== c.family) return false;
  const bits = (a: string): bigint => {
    if (c.family === 4) return a.split('.').reduce((n, p) => (n << 8n) | BigInt(Number(p)), 0n);
    const [h, t] = a.split('::') as [string, string | undefined];
    const hs = h ? h.split(':') : [];
    const ts = t ? t.split(':') : [];
    const groups = [...hs, ...Array(t === undefined ? 0 : 8 - hs.length - ts.length).fill('0'), ...ts];
    return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
  };
  const width = c.family === 4 ? 32n : 128n;
  const shift = width - BigInt(c.prefix);
  return bits(c.address) >> shift === bits(addr) >> shift;
}

/**
 * Orients `conn` on a node whose addresses are `localAddresses`: the side whose left=/right=
 * (or sourceip) is one of them, or that is %defaultroute, is ours. Returns issues (field
 * "connection") when the connection cannot be protected as seed 000 describes.
 */
export interface Overrides {
  /** Stands in for the local sourceip (the localSourceAddress option). */
  localSource?: string | undefined;
  /** Stands in for the remote sourceip (remoteLocalAddress). */
  remoteLocal?: string | undefined;
  /** Stands in for the peer's public address (remotePublicAddress). */
  remotePublic?: string | undefined;
}

export function orient(
  conn: ConnSection,
  localAddresses: readonly string[],
  generation: Generation,
  overrides: Overrides = {},
): { tunnel?: Tunnel; issues: Issue[] } {
  const v = conn.values;
  const left = side(v, 'left');
  const right = side(v, 'right');
  const mine = (s: Side) =>
    s.address === '%defaultroute' || localAddresses.includes(s.address) || (s.sourceIp !== undefined && localAddresses.includes(s.sourceIp));
  const issues: Issue[] = [];
  const field = 'connection';
  let localSide: 'left' | 'right';
  if (mine(left) && !mine(right)) localSide = 'left';
  else if (mine(right) && !mine(left)) localSide = 'right';
  else {
    issues.push({
      field,
      message: mine(left)
        ? `conn ${conn.name}: both left=${left.address} and right=${right.address} are this node`
        : `conn ${conn.name}: neither left=${left.address || '(unset)'} nor right=${right.address || '(unset)'} (nor their sourceip) is an address of this node`,
      fix: "set left= to %defaultroute or this node's address and leftsourceip= to its local address (seed 000: left=%defaultroute, leftsourceip=10.0.0.5)",
    });
    return { issues };
  }
  const local = localSide === 'left' ? left : right;
  const remote = localSide === 'left' ? right : left;
  const [l, r] = localSide === 'left' ? ['left', 'right'] : ['right', 'left'];
  const ikev1 = v.keyexchange === 'ikev1' || v.ikev2 === 'no' || v.ikev2 === 'never';
  const t: Tunnel = { name: conn.name, localSide, local, remote, auto: v.auto || undefined, ikev1 };

  if (v.type && v.type !== 'tunnel')
    issues.push({ field, message: `conn ${conn.name}: type=${v.type}, not a tunnel`, fix: 'the kit protects site-to-site tunnels: type=tunnel' });
  const peerPublic = overrides.remotePublic ?? publicAddressOf(remote);
  if (!peerPublic) {
    issues.push({
      field,
      message: `conn ${conn.name}: the peer's public address is not known (${r}=${remote.address || '(unset)'}${remote.id ? `, ${r}id=${remote.id}` : ''})`,
      fix: `set ${r}= to the peer VPN node's public IP address (seed 000: right=54.254.156.254)`,
    });
  }
  if (!local.subnets.length)
    issues.push({
      field,
      message: `conn ${conn.name}: ${l}subnet= / ${l}subnets= is not set`,
      fix: `set ${l}subnets= to this region's subnets (seed 000: leftsubnets={10.0.0.0/16,10.1.0.0/16})`,
    });
  if (!remote.subnets.length)
    issues.push({
      field,
      message: `conn ${conn.name}: ${r}subnet= / ${r}subnets= is not set`,
      fix: `set ${r}subnets= to the other region's subnets (seed 000: rightsubnets={172.16.0.0/16,10.2.0.0/16})`,
    });
  for (const [s, name] of [
    [local, l],
    [remote, r],
  ] as const) {
    for (const sub of s.subnets) if (!parseCidr(sub)) issues.push({ field, message: `conn ${conn.name}: ${name}subnet ${sub} is not an address/prefix` });
  }
  const src = overrides.localSource ?? local.sourceIp;
  const what = overrides.localSource ? `localSourceAddress ${src}` : `${l}sourceip=${src}`;
  if (!src)
    issues.push({
      field,
      message: `conn ${conn.name}: ${l}sourceip= is not set: the check pings from this node's local address`,
      fix: `set ${l}sourceip= to this VPN node's local address (seed 000: leftsourceip=10.0.0.5), or give the localSourceAddress option`,
    });
  else {
    if (!localAddresses.includes(src))
      issues.push({ field, message: `conn ${conn.name}: ${what} is not an address of this node`, fix: "set it to this node's local (VPC) address" });
    if (local.subnets.length && !local.subnets.some((s) => cidrContains(s, src)))
      issues.push({
        field,
        message: `conn ${conn.name}: ${what} is in none of ${l}subnets ${local.subnets.join(', ')}`,
        fix: "the local address must be inside the local subnets, or the tunnel does not carry the check's ping",
      });
  }
  const dst = overrides.remoteLocal ?? remote.sourceIp;
  if (!dst)
    issues.push({
      field,
      message: `conn ${conn.name}: ${r}sourceip= is not set: the check pings the peer VPN node's local address through the tunnel`,
      fix: `set ${r}sourceip= to the peer VPN node's local address (seed 000: rightsourceip=172.16.0.5), or give the remoteLocalAddress option`,
    });
  else if (remote.subnets.length && !remote.subnets.some((s) => cidrContains(s, dst))) {
    issues.push({
      field,
      message: `conn ${conn.name}: ${overrides.remoteLocal ? `remoteLocalAddress ${dst}` : `${r}sourceip=${dst}`} is in none of ${r}subnets ${remote.subnets.join(', ')}`,
      fix: "the peer's local address must be inside its subnets",
    });
  }
  if (t.auto === 'ignore') issues.push({ field, message: `conn ${conn.name}: auto=ignore: pluto does not even load it`, fix: 'set auto=start (or auto=add)' });
  if (ikev1 && generation === 5)
    issues.push({
      field,
      message: `conn ${conn.name}: IKEv1, which Libreswan 5 refuses by default (ikev1-policy=drop)`,
      fix: 'use IKEv2 (keyexchange=ikev2 on both sides), or set ikev1-policy=accept in config setup',
    });
  return { tunnel: t, issues };
}

/** The peer's public address to ping: right= when it is an address, else rightid= when that is one. */
export function publicAddressOf(remote: Side): string | undefined {
  if (isIP(remote.address)) return remote.address;
  const id = remote.id?.replace(/^@/, '');
  return id && isIP(id) ? id : undefined;
}
