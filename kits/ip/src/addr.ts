/** Address arithmetic for the IP kit: parsing, canonical text, broadcast address, sanity checks. */
import { isIP } from 'node:net';
import { checkCidr, parseCidr } from '@recovery-kit/sdk';

/** A virtual address: canonical text, prefix length, family. */
export interface Vip {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Canonical text: IPv4 as is, IPv6 lowercase and compressed (fd00:0DB8::0100 -> fd00:db8::100). */
export function canonical(address: string): string {
  if (isIP(address) !== 6) return address;
  return new URL(`http://[${address}]/`).hostname.slice(1, -1);
}

export function cidrText(v: Vip): string {
  return `${v.address}/${v.prefix}`;
}

/** Parses CIDR text into a Vip (canonical address). Undefined when invalid. */
export function toVip(text: string, options: { requirePrefix?: boolean } = {}): Vip | undefined {
  const c = parseCidr(text, options);
  if (!c) return undefined;
  return { address: canonical(c.address), prefix: c.prefix, family: c.family };
}

function v4ToInt(a: string): number {
  return a.split('.').reduce((n, p) => n * 256 + Number(p), 0);
}

function intToV4(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/** The IPv4 subnet's broadcast address, or undefined for IPv6 and for /31 and /32. */
export function broadcastOf(v: Vip): string | undefined {
  if (v.family !== 4 || v.prefix > 30) return undefined;
  const size = 2 ** (32 - v.prefix);
  const net = Math.floor(v4ToInt(v.address) / size) * size;
  return intToV4(net + size - 1);
}

function v6Words(a: string): number[] {
  const [head, tail] = canonical(a).split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((w) => parseInt(w, 16));
}

/**
 * Checks an address option: CIDR with a prefix, not unspecified, multicast, broadcast or the
 * subnet's network/broadcast address. Returns a message or undefined.
 */
export function checkVipText(text: string): string | { message: string; fix: string } | undefined {
  const basic = checkCidr(text, { requirePrefix: true });
  if (basic) return { message: basic, fix: 'give the address with its prefix length, e.g. 10.1.0.10/32, 192.0.2.10/24 or fd00::10/64' };
  const v = toVip(text, { requirePrefix: true })!;
  if (v.family === 4) {
    const n = v4ToInt(v.address);
    if (n === 0) return '0.0.0.0 cannot be a virtual address';
    if (n >= v4ToInt('224.0.0.0')) return `${v.address} is a multicast, reserved or broadcast address, not a host address`;
    if (v.prefix === 0) return 'prefix /0 is not a subnet (use /32 for a single address, or the subnet prefix)';
    if (v.prefix <= 30) {
      const size = 2 ** (32 - v.prefix);
      const off = n % size;
      if (off === 0) return { message: `${v.address} is the network address of ${intToV4(n - off)}/${v.prefix}`, fix: 'choose a host address inside the subnet' };
      if (off === size - 1) return { message: `${v.address} is the broadcast address of ${intToV4(n - off)}/${v.prefix}`, fix: 'choose a host address inside the subnet' };
    }
  } else {
    const w = v6Words(v.address);
    if (w.every((x) => x === 0)) return ':: cannot be a virtual address';
    if ((w[0]! & 0xff00) === 0xff00) return `${v.address} is a multicast address, not a host address`;
    if (v.prefix === 0) return 'prefix /0 is not a subnet (use /128 for a single address, or the subnet prefix)';
  }
  return undefined;
}

export function isLinkLocal(v: Vip): boolean {
  return v.family === 6 && (v6Words(v.address)[0]! & 0xffc0) === 0xfe80;
}
