/** Small validators kits share. Each returns an error message, or undefined when the value is fine. */
import { ipFamily, parseCidr, type Cidr } from './util/ip.ts';

export { parseCidr, type Cidr };

/** A message when `text` is not `address[/prefix]` (see `parseCidr`), or undefined. */
export function checkCidr(text: string, options: { requirePrefix?: boolean } = {}): string | undefined {
  const t = text.trim();
  const slash = t.indexOf('/');
  const family = ipFamily(slash < 0 ? t : t.slice(0, slash));
  if (!family)
    return `${JSON.stringify(text)} is not an IPv4 or IPv6 address${/%/.test(t) ? ' (give the address without a %zone: the device is a separate option)' : ''}`;
  const max = family === 4 ? 32 : 128;
  if (slash < 0) return options.requirePrefix ? `${JSON.stringify(text)} has no prefix length (add /${max} or the subnet's prefix)` : undefined;
  const p = t.slice(slash + 1);
  if (!/^\d+$/.test(p)) return `${JSON.stringify(text)}: prefix ${JSON.stringify(p)} is not a number (0-${max})`;
  if (Number(p) > max || !parseCidr(t))
    return `prefix /${p} is out of range for this address (0-${max}${p.length > 1 && p.startsWith('0') ? ', without leading zeros' : ''})`;
  return undefined;
}

export function checkAddress(text: string): string | undefined {
  return ipFamily(text) ? undefined : `${JSON.stringify(text)} is not an IPv4 or IPv6 address`;
}

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
