import { randomBytes, randomUUID } from 'node:crypto';

export function hex(length: number): string {
  return randomBytes(Math.ceil(length / 2))
    .toString('hex')
    .slice(0, length);
}

/** AWS-style resource id: `prefix-` followed by 17 hex characters. */
export function awsId(prefix: string): string {
  return `${prefix}-0${hex(16)}`;
}

export function requestId(): string {
  return randomUUID();
}

/** Random locally administered unicast MAC, like the ones EC2 assigns (`02:..`, `06:..`, `0a:..`). */
export function randomMac(): string {
  const bytes = randomBytes(5);
  return ['02', ...Array.from(bytes, (b) => b.toString(16).padStart(2, '0'))].join(':');
}

export function upperAlnum(length: number): string {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  const bytes = randomBytes(length);
  let s = '';
  for (const b of bytes) s += alphabet[b % alphabet.length];
  return s;
}

/** Glob match with EC2 filter wildcards: `*` any sequence, `?` one character. */
export function globMatch(pattern: string, value: string): boolean {
  if (!pattern.includes('*') && !pattern.includes('?')) return pattern === value;
  const re = new RegExp(
    '^' +
      pattern
        .split('')
        .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\]/g, '\\$&')))
        .join('') +
      '$',
    's',
  );
  return re.test(value);
}

// ---------------------------------------------------------------- IP helpers

export function parseIpv4(text: string): number | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  let n = 0;
  for (let i = 1; i <= 4; i++) {
    const part = m[i] ?? '';
    if (part.length > 1 && part.startsWith('0')) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    n = n * 256 + octet;
  }
  return n;
}

export function isIpv4(text: string): boolean {
  return parseIpv4(text) !== undefined;
}

/** Canonical IPv4 CIDR check (no host bits set). Returns the normalized form or undefined. */
export function normalizeIpv4Cidr(text: string): string | undefined {
  const m = /^([0-9.]+)\/(\d{1,2})$/.exec(text);
  if (!m) return undefined;
  const ip = parseIpv4(m[1] ?? '');
  const len = Number(m[2]);
  if (ip === undefined || len > 32) return undefined;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  if ((ip & ~mask) >>> 0 !== 0) return undefined;
  return `${m[1]}/${len}`;
}

export function ipv4InCidr(ip: string, cidr: string): boolean {
  const [base, lenText] = cidr.split('/');
  const a = parseIpv4(ip);
  const b = parseIpv4(base ?? '');
  const len = Number(lenText);
  if (a === undefined || b === undefined || !(len >= 0 && len <= 32)) return false;
  const mask = len === 0 ? 0 : (0xffffffff << (32 - len)) >>> 0;
  return (a & mask) >>> 0 === (b & mask) >>> 0;
}

/** Expand an IPv6 address into 8 16-bit groups, or undefined if invalid. */
export function parseIpv6(text: string): number[] | undefined {
  if (!/^[0-9a-fA-F:]+$/.test(text)) return undefined;
  const parts = text.split('::');
  if (parts.length > 2) return undefined;
  const head = parts[0] ? parts[0].split(':') : [];
  const tail = parts.length === 2 && parts[1] ? parts[1].split(':') : [];
  const groups = [...head, ...tail];
  if (groups.some((g) => g.length === 0 || g.length > 4)) return undefined;
  if (parts.length === 1 && groups.length !== 8) return undefined;
  if (parts.length === 2 && groups.length > 7) return undefined;
  const fill = 8 - groups.length;
  const all = [...head, ...Array<string>(parts.length === 2 ? fill : 0).fill('0'), ...tail];
  return all.map((g) => parseInt(g, 16));
}

export function isIpv6(text: string): boolean {
  return parseIpv6(text) !== undefined;
}

export function normalizeIpv6Cidr(text: string): string | undefined {
  const m = /^([0-9a-fA-F:]+)\/(\d{1,3})$/.exec(text);
  if (!m) return undefined;
  const groups = parseIpv6(m[1] ?? '');
  const len = Number(m[2]);
  if (!groups || len > 128) return undefined;
  for (let bit = len; bit < 128; bit++) {
    const g = groups[Math.floor(bit / 16)] ?? 0;
    if ((g >> (15 - (bit % 16))) & 1) return undefined;
  }
  return `${m[1]?.toLowerCase()}/${len}`;
}
