/** CIDR text in one canonical form, so that routes compare equal however they were written. */
import { isIPv6 } from 'node:net';
import { parseCidr } from '@recovery-kit/sdk';

function expand6(a: string): number[] {
  let text = a;
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (v4) {
    const p = v4[1]!.split('.').map(Number);
    text = `${text.slice(0, -v4[1]!.length)}${((p[0]! << 8) | p[1]!).toString(16)}:${((p[2]! << 8) | p[3]!).toString(16)}`;
  }
  const [head, tail] = text.split('::') as [string, string | undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill('0');
  return [...h, ...fill, ...t].map((x) => parseInt(x, 16));
}

/** RFC 5952 text of an IPv6 address. */
export function canonical6(a: string): string {
  const g = expand6(a);
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

/** `10.1.0.10` → `10.1.0.10/32`; `fd00::10/128` → canonical; undefined when not a CIDR. */
export function normalizeCidr(text: string): string | undefined {
  const c = parseCidr(text);
  if (!c) return undefined;
  return `${c.family === 6 ? canonical6(c.address) : c.address}/${c.prefix}`;
}

export function isV6Cidr(cidr: string): boolean {
  return isIPv6(cidr.split('/')[0]!);
}

/** The host route (/32 or /128) of an address. */
export function hostRoute(address: string): string | undefined {
  const c = parseCidr(address);
  if (!c) return undefined;
  return `${c.family === 6 ? canonical6(c.address) : c.address}/${c.family === 6 ? 128 : 32}`;
}
