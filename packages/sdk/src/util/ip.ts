/**
 * IPv4 and IPv6 addresses and CIDRs, written once for every kit (and the AWS emulator): strict
 * parsing, one canonical text (RFC 5952 for IPv6), host routes, containment, network and
 * broadcast addresses, the special ranges. Pure functions on strings; nothing here touches the
 * network.
 *
 * Strict means: IPv4 is four decimal octets without leading zeros (`010.0.0.1` is refused, as
 * Node's `net.isIP` and glibc's `inet_pton` refuse it: it reads as octal elsewhere); IPv6 is
 * RFC 4291 text (at most one `::`, 1-4 hex digits per group, an optional dotted IPv4 tail) with
 * no zone id (`%eth0`: an option names the device separately); a prefix is decimal without
 * leading zeros, at most 32 or 128.
 */

export type IpFamily = 4 | 6;

/** A parsed address: its family and its value as an unsigned integer (32 or 128 bits). */
export interface IpValue {
  family: IpFamily;
  value: bigint;
}

/** A parsed CIDR: `address` is canonical text, `prefix` the prefix length. */
export interface Cidr {
  address: string;
  prefix: number;
  family: IpFamily;
}

const OCTET = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]\d|\d)$/;

/** The 32-bit value of dotted-quad IPv4 text, or undefined when it is not strict IPv4. */
export function parseIpv4(text: string): number | undefined {
  const parts = text.split('.');
  if (parts.length !== 4) return undefined;
  let n = 0;
  for (const p of parts) {
    if (!OCTET.test(p)) return undefined;
    n = n * 256 + Number(p);
  }
  return n;
}

/** The eight 16-bit groups of IPv6 text, or undefined when it is not valid IPv6 (zone ids refused). */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9A-Fa-f:.]+$/.test(text) || !text.includes(':')) return undefined;
  let body = text;
  let tail: number[] = [];
  const lastColon = body.lastIndexOf(':');
  if (body.includes('.')) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [Math.floor(v4 / 65536), v4 % 65536];
    // Keep the colon before the IPv4 part when it is part of "::" ("::1.2.3.4", "::ffff:1.2.3.4").
    body = body.slice(0, lastColon + 1);
    body = body.endsWith('::') ? body : body.slice(0, -1);
  }
  const halves = body.split('::');
  if (halves.length > 2) return undefined;
  const group = (g: string) => (/^[0-9A-Fa-f]{1,4}$/.test(g) ? parseInt(g, 16) : NaN);
  const head = halves[0] ? halves[0].split(':').map(group) : [];
  const rest = halves.length === 2 && halves[1] ? halves[1].split(':').map(group) : [];
  if ([...head, ...rest].some((g) => Number.isNaN(g))) return undefined;
  const given = head.length + rest.length + tail.length;
  if (halves.length === 1) return given === 8 ? [...head, ...tail] : undefined;
  // "::" stands for at least one group of zeros.
  if (given > 7) return undefined;
  return [...head, ...Array<number>(8 - given).fill(0), ...rest, ...tail];
}

/** Parses IPv4 or IPv6 text. */
export function parseIp(text: string): IpValue | undefined {
  const v4 = parseIpv4(text);
  if (v4 !== undefined) return { family: 4, value: BigInt(v4) };
  const v6 = parseIpv6(text);
  if (v6) return { family: 6, value: v6.reduce((n, g) => (n << 16n) | BigInt(g), 0n) };
  return undefined;
}

/** 4 or 6 for valid strict address text, 0 otherwise (like `net.isIP`, but strict and without zone ids). */
export function ipFamily(text: string): 0 | IpFamily {
  return parseIp(text)?.family ?? 0;
}

const bits = (family: IpFamily) => (family === 4 ? 32 : 128);

function v4Text(n: number): string {
  return [24, 16, 8, 0].map((s) => Math.floor(n / 2 ** s) % 256).join('.');
}

/**
 * The canonical text of an address value: IPv4 dotted quad; IPv6 per RFC 5952 (lowercase, no
 * leading zeros, the longest run of two or more zero groups as "::", the first of equal runs),
 * with an IPv4-mapped address (::ffff:0:0/96) written ::ffff:a.b.c.d as section 5 recommends
 * and as `ip addr` prints it.
 */
export function formatIp(ip: IpValue): string {
  if (ip.family === 4) return v4Text(Number(ip.value));
  const g: number[] = [];
  for (let i = 7; i >= 0; i--) g.push(Number((ip.value >> BigInt(i * 16)) & 0xffffn));
  if (g.slice(0, 5).every((x) => x === 0) && g[5] === 0xffff) return `::ffff:${v4Text(g[6]! * 65536 + g[7]!)}`;
  let best = -1;
  let bestLen = 1;
  for (let i = 0; i < 8; ) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  const hex = g.map((x) => x.toString(16));
  if (best < 0) return hex.join(':');
  return `${hex.slice(0, best).join(':')}::${hex.slice(best + bestLen).join(':')}`;
}

/** Canonical text of address text (`FD00:0DB8::0100` -> `fd00:db8::100`), or undefined when invalid. */
export function canonicalIp(text: string): string | undefined {
  const ip = parseIp(text);
  return ip && formatIp(ip);
}

/**
 * Parses `address/prefix` (the address canonicalised). Without a prefix, /32 or /128 is
 * assumed, unless `requirePrefix` is set. Undefined when invalid.
 */
export function parseCidr(text: string, options: { requirePrefix?: boolean } = {}): Cidr | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const ip = parseIp(slash < 0 ? t : t.slice(0, slash));
  if (!ip) return undefined;
  const max = bits(ip.family);
  let prefix = max;
  if (slash >= 0) {
    const p = t.slice(slash + 1);
    if (!/^(0|[1-9]\d{0,2})$/.test(p) || Number(p) > max) return undefined;
    prefix = Number(p);
  } else if (options.requirePrefix) return undefined;
  return { address: formatIp(ip), prefix, family: ip.family };
}

/** `address/prefix` text of a parsed CIDR. */
export function cidrText(c: Cidr): string {
  return `${c.address}/${c.prefix}`;
}

/** One canonical CIDR text (`10.1.0.10` -> `10.1.0.10/32`, `FD00::0010/128` -> `fd00::10/128`); undefined when invalid. */
export function normalizeCidr(text: string): string | undefined {
  const c = parseCidr(text);
  return c && cidrText(c);
}

/** The host route (/32 or /128) of an address (a prefix, if given, is dropped); undefined when invalid. */
export function hostRoute(text: string): string | undefined {
  const c = parseCidr(text);
  return c && `${c.address}/${bits(c.family)}`;
}

function maskOf(family: IpFamily, prefix: number): bigint {
  const n = BigInt(bits(family));
  return ((1n << n) - 1n) ^ ((1n << (n - BigInt(prefix))) - 1n);
}

const numericValue = (c: Cidr): bigint => parseIp(c.address)!.value;

/** The network address of a CIDR (host bits cleared), canonical. */
export function networkAddress(c: Cidr): string {
  return formatIp({ family: c.family, value: numericValue(c) & maskOf(c.family, c.prefix) });
}

/** True when the address of `c` has bits set past its prefix (10.0.0.1/24: a host, not a network). */
export function hasHostBits(c: Cidr): boolean {
  return (numericValue(c) & ~maskOf(c.family, c.prefix)) !== 0n;
}

/**
 * A network CIDR in canonical text, or undefined when the text is not a CIDR with an explicit
 * prefix or has host bits set (how AWS checks a VPC's or subnet's block).
 */
export function networkCidr(text: string): string | undefined {
  const c = parseCidr(text, { requirePrefix: true });
  return c && !hasHostBits(c) ? cidrText(c) : undefined;
}

/** True when `address` (text, or a CIDR whose address is taken) lies inside `cidr`. Different families never contain each other. */
export function cidrContains(cidr: string | Cidr, address: string): boolean {
  const c = typeof cidr === 'string' ? parseCidr(cidr) : cidr;
  const a = parseCidr(address);
  if (!c || !a || c.family !== a.family) return false;
  const mask = maskOf(c.family, c.prefix);
  return (numericValue(a) & mask) === (numericValue(c) & mask);
}

/** The IPv4 subnet's broadcast address, or undefined for IPv6 and for /31 and /32 (no broadcast). */
export function broadcastAddress(c: Cidr): string | undefined {
  if (c.family !== 4 || c.prefix > 30) return undefined;
  return formatIp({ family: 4, value: numericValue(c) | (~maskOf(4, c.prefix) & 0xffffffffn) });
}

/** 0.0.0.0 or :: */
export function isUnspecified(address: string): boolean {
  return parseIp(address)?.value === 0n;
}

/** IPv4 224.0.0.0/4 or IPv6 ff00::/8. */
export function isMulticast(address: string): boolean {
  return cidrContains('224.0.0.0/4', address) || cidrContains('ff00::/8', address);
}

/** IPv4 169.254.0.0/16 or IPv6 fe80::/10. */
export function isLinkLocal(address: string): boolean {
  return cidrContains('169.254.0.0/16', address) || cidrContains('fe80::/10', address);
}

/** IPv4 127.0.0.0/8 or IPv6 ::1. */
export function isLoopback(address: string): boolean {
  return cidrContains('127.0.0.0/8', address) || cidrContains('::1/128', address);
}
