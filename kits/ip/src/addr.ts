/** Address checks for the IP kit; the arithmetic itself is @recovery-kit/sdk/util's IP module. */
import { checkCidr } from '@recovery-kit/sdk';
import {
  broadcastAddress,
  canonicalIp,
  cidrText as text,
  isLinkLocal as linkLocal,
  isMulticast,
  isUnspecified,
  networkAddress,
  parseCidr,
  parseIpv4,
  type Cidr,
} from '@recovery-kit/sdk/util';

/** A virtual address: canonical text, prefix length, family. */
export type Vip = Cidr;

/** Canonical text: IPv4 as is, IPv6 per RFC 5952 (fd00:0DB8::0100 -> fd00:db8::100). Invalid text is returned unchanged. */
export function canonical(address: string): string {
  return canonicalIp(address) ?? address;
}

export const cidrText = (v: Vip): string => text(v);

/** Parses CIDR text into a Vip (canonical address). Undefined when invalid. */
export function toVip(input: string, options: { requirePrefix?: boolean } = {}): Vip | undefined {
  return parseCidr(input, options);
}

/** The IPv4 subnet's broadcast address, or undefined for IPv6 and for /31 and /32. */
export const broadcastOf = (v: Vip): string | undefined => broadcastAddress(v);

/**
 * Checks an address option: CIDR with a prefix, not unspecified, multicast, broadcast or the
 * subnet's network/broadcast address. Returns a message or undefined.
 */
export function checkVipText(input: string): string | { message: string; fix: string } | undefined {
  const basic = checkCidr(input, { requirePrefix: true });
  if (basic) return { message: basic, fix: 'give the address with its prefix length, e.g. 10.1.0.10/32, 192.0.2.10/24 or fd00::10/64' };
  const v = toVip(input, { requirePrefix: true })!;
  if (v.family === 4) {
    const n = parseIpv4(v.address)!;
    if (isUnspecified(v.address)) return '0.0.0.0 cannot be a virtual address';
    if (n >= parseIpv4('224.0.0.0')!) return `${v.address} is a multicast, reserved or broadcast address, not a host address`;
    if (v.prefix === 0) return 'prefix /0 is not a subnet (use /32 for a single address, or the subnet prefix)';
    if (v.prefix <= 30) {
      const size = 2 ** (32 - v.prefix);
      const off = n % size;
      const net = `${networkAddress(v)}/${v.prefix}`;
      if (off === 0) return { message: `${v.address} is the network address of ${net}`, fix: 'choose a host address inside the subnet' };
      if (off === size - 1) return { message: `${v.address} is the broadcast address of ${net}`, fix: 'choose a host address inside the subnet' };
    }
  } else {
    if (isUnspecified(v.address)) return ':: cannot be a virtual address';
    if (isMulticast(v.address)) return `${v.address} is a multicast address, not a host address`;
    if (v.prefix === 0) return 'prefix /0 is not a subnet (use /128 for a single address, or the subnet prefix)';
  }
  return undefined;
}

/** IPv6 link-local (fe80::/10): such an address needs its device named. */
export function isLinkLocal(v: Vip): boolean {
  return v.family === 6 && linkLocal(v.address);
}
