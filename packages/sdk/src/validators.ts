/** Small validators kits share. Each returns an error message, or undefined when the value is fine. */
import { isIP } from 'node:net';

export interface Cidr {
  address: string;
  prefix: number;
  family: 4 | 6;
}

/** Parses `addr/prefix` (prefix optional: /32 or /128 assumed). Returns undefined when invalid. */
export function parseCidr(text: string, options: { requirePrefix?: boolean } = {}): Cidr | undefined {
  const m = /^([^/\s]+)(?:\/(\d{1,3}))?$/.exec(text.trim());
  if (!m) return undefined;
  const address = m[1]!;
  const family = isIP(address);
  if (family !== 4 && family !== 6) return undefined;
  if (m[2] === undefined && options.requirePrefix) return undefined;
  const max = family === 4 ? 32 : 128;
  const prefix = m[2] === undefined ? max : Number(m[2]);
  if (prefix > max) return undefined;
  return { address, prefix, family };
}

export function checkCidr(text: string, options: { requirePrefix?: boolean } = {}): string | undefined {
  const m = /^([^/\s]+)(?:\/(\d+))?$/.exec(text.trim());
  if (!m || !isIP(m[1]!)) return `${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
  const max = isIP(m[1]!) === 4 ? 32 : 128;
  if (m[2] === undefined) return options.requirePrefix ? `${JSON.stringify(text)} has no prefix length (add /${max} or the subnet's prefix)` : undefined;
  if (Number(m[2]) > max) return `prefix /${m[2]} is out of range for this address (0-${max})`;
  return undefined;
}

export function checkAddress(text: string): string | undefined {
  return isIP(text) ? undefined : `${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
}

/** Linux interface names: 1-15 characters, no slash, no white space, not "." or "..". */
export function checkInterfaceName(text: string): string | undefined {
  if (!/^[A-Za-z0-9_.:@-]{1,15}$/.test(text) || text === '.' || text === '..') {
    return `${JSON.stringify(text)} is not a valid network interface name (1-15 letters, digits, "_ . : @ -")`;
  }
  return undefined;
}

/** AWS resource ids such as eni-0123abcd, rtb-..., eipalloc-..., vpc-..., i-... */
export function checkAwsId(prefix: string, text: string): string | undefined {
  return new RegExp(`^${prefix}-[0-9a-f]{8,17}$`).test(text)
    ? undefined
    : `${JSON.stringify(text)} is not a valid ${prefix} id (expected ${prefix}- followed by 8 or 17 hexadecimal digits)`;
}
