/** The IP/CIDR module of @recovery-kit/sdk/util: parsing, RFC 5952 text, containment, special ranges. */
import { isIP } from 'node:net';
import { describe, expect, it } from 'vitest';
import { checkCidr } from '../src/validators.ts';
import {
  broadcastAddress,
  canonicalIp,
  cidrContains,
  hasHostBits,
  hostRoute,
  ipFamily,
  isLinkLocal,
  isLoopback,
  isMulticast,
  isUnspecified,
  networkAddress,
  networkCidr,
  normalizeCidr,
  parseCidr,
  parseIpv4,
  parseIpv6,
} from '../src/util/index.ts';

describe('parseIpv4', () => {
  it('reads dotted quads, refuses leading zeros, out-of-range octets and other shapes', () => {
    expect(parseIpv4('0.0.0.0')).toBe(0);
    expect(parseIpv4('255.255.255.255')).toBe(0xffffffff);
    expect(parseIpv4('10.1.0.10')).toBe(0x0a01000a);
    for (const bad of ['01.2.3.4', '1.2.3.04', '1.2.3.00', '256.1.1.1', '1.2.3', '1.2.3.4.5', '1.2.3.', ' 1.2.3.4', '1.2.3.4 ', '0x1.2.3.4', '1.2.3.-1', '']) {
      expect(parseIpv4(bad), bad).toBeUndefined();
    }
  });
});

describe('parseIpv6', () => {
  it('expands "::", zero runs at either end, and an IPv4 tail', () => {
    expect(parseIpv6('::')).toEqual([0, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6('::1')).toEqual([0, 0, 0, 0, 0, 0, 0, 1]);
    expect(parseIpv6('1::')).toEqual([1, 0, 0, 0, 0, 0, 0, 0]);
    expect(parseIpv6('fd00:0DB8::0100')).toEqual([0xfd00, 0xdb8, 0, 0, 0, 0, 0, 0x100]);
    expect(parseIpv6('::ffff:1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0xffff, 0x0102, 0x0304]);
    expect(parseIpv6('::1.2.3.4')).toEqual([0, 0, 0, 0, 0, 0, 0x0102, 0x0304]);
    expect(parseIpv6('1:2:3:4:5:6:1.2.3.4')).toEqual([1, 2, 3, 4, 5, 6, 0x0102, 0x0304]);
    expect(parseIpv6('1:2:3:4:5:6:7::')).toEqual([1, 2, 3, 4, 5, 6, 7, 0]);
  });
  it('refuses two "::", too many or too few groups, long groups, zone ids and bad IPv4 tails', () => {
    for (const bad of [
      '1::2::3',
      ':::',
      '1:2:3:4:5:6:7:8:9',
      '1:2:3:4:5:6:7',
      '1:2:3:4:5:6:7:8::',
      '::1:2:3:4:5:6:7:8',
      '00001::1',
      'fe80::1%eth0',
      '1:',
      ':1',
      'g::1',
      '::ffff:01.2.3.4',
      '::ffff:1.2.3',
      '1.2.3.4',
      '::1.2.3.4:5',
      '',
    ]) {
      expect(parseIpv6(bad), bad).toBeUndefined();
    }
  });
  it('agrees with net.isIP on valid text (zone ids aside)', () => {
    for (const ok of ['::', '::1', 'fe80::1', '2001:db8::', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8', '0:0:0:0:0:0:0:0']) expect(isIP(ok), ok).toBe(6);
    for (const ok of ['::', '::1', 'fe80::1', '2001:db8::', '::ffff:10.0.0.1', '1:2:3:4:5:6:7:8', '0:0:0:0:0:0:0:0']) expect(ipFamily(ok), ok).toBe(6);
  });
});

describe('canonicalIp (RFC 5952)', () => {
  it.each([
    ['::', '::'],
    ['0:0:0:0:0:0:0:0', '::'],
    ['0:0:0:0:0:0:0:1', '::1'],
    ['FD00:0DB8::0100', 'fd00:db8::100'],
    ['2001:db8:0:0:1:0:0:1', '2001:db8::1:0:0:1'], // equal runs: the first is compressed
    ['2001:0:0:1:0:0:0:1', '2001:0:0:1::1'], // the longest run wins
    ['2001:db8:0:1:1:1:1:1', '2001:db8:0:1:1:1:1:1'], // a single zero group is not compressed
    ['1:0:0:0:0:0:0:0', '1::'],
    ['::ffff:1.2.3.4', '::ffff:1.2.3.4'], // IPv4-mapped: mixed notation (section 5)
    ['::FFFF:0102:0304', '::ffff:1.2.3.4'],
    ['::1.2.3.4', '::102:304'],
    ['10.1.0.10', '10.1.0.10'],
  ])('%s -> %s', (input, want) => {
    expect(canonicalIp(input)).toBe(want);
  });
  it('is undefined for invalid text', () => {
    expect(canonicalIp('01.2.3.4')).toBeUndefined();
    expect(canonicalIp('fe80::1%eth0')).toBeUndefined();
  });
});

describe('parseCidr and friends', () => {
  it('parses with and without a prefix, canonicalising the address', () => {
    expect(parseCidr('fd00::1/64')).toEqual({ address: 'fd00::1', prefix: 64, family: 6 });
    expect(parseCidr('FD00:0::0001/64')).toEqual({ address: 'fd00::1', prefix: 64, family: 6 });
    expect(parseCidr('10.0.0.1')).toEqual({ address: '10.0.0.1', prefix: 32, family: 4 });
    expect(parseCidr('::/0')).toEqual({ address: '::', prefix: 0, family: 6 });
    expect(parseCidr('0.0.0.0/0')).toEqual({ address: '0.0.0.0', prefix: 0, family: 4 });
    expect(parseCidr('10.0.0.1', { requirePrefix: true })).toBeUndefined();
  });
  it('refuses bad prefixes', () => {
    for (const bad of [
      '10.0.0.1/40',
      '10.0.0.1/33',
      'fd00::1/129',
      '10.0.0.1/',
      '10.0.0.1/-1',
      '10.0.0.1/08',
      '10.0.0.1/2x',
      '10.0.0.1/1/2',
      '/24',
      'x/24',
      '10.0.0.1 /24',
    ]) {
      expect(parseCidr(bad), bad).toBeUndefined();
    }
    expect(checkCidr('10.0.0.1/40')).toMatch(/prefix \/40 is out of range for this address \(0-32\)/);
    expect(checkCidr('10.0.0.1/08')).toMatch(/leading zeros/);
    expect(checkCidr('10.0.0.1/x')).toMatch(/is not a number/);
    expect(checkCidr('not-an-ip')).toMatch(/is not an IPv4 or IPv6 address/);
    expect(checkCidr('fe80::1%eth0/64')).toMatch(/without a %zone/);
    expect(checkCidr('10.0.0.1', { requirePrefix: true })).toMatch(/has no prefix length \(add \/32/);
    expect(checkCidr('fd00::1/128')).toBeUndefined();
  });
  it('normalizeCidr and hostRoute give one text however the input was written', () => {
    expect(normalizeCidr('10.1.0.10')).toBe('10.1.0.10/32');
    expect(normalizeCidr('FD00:0::10/128')).toBe('fd00::10/128');
    expect(normalizeCidr('nope')).toBeUndefined();
    expect(hostRoute('10.1.0.10/24')).toBe('10.1.0.10/32');
    expect(hostRoute('fd00:0:0::10/64')).toBe('fd00::10/128');
    expect(hostRoute('::ffff:1.2.3.4')).toBe('::ffff:1.2.3.4/128');
  });
  it('network address, host bits, network CIDRs', () => {
    expect(networkAddress(parseCidr('10.1.2.3/16')!)).toBe('10.1.0.0');
    expect(networkAddress(parseCidr('fd00::1:2/112')!)).toBe('fd00::1:0');
    expect(networkAddress(parseCidr('10.1.2.3/0')!)).toBe('0.0.0.0');
    expect(hasHostBits(parseCidr('10.1.0.0/16')!)).toBe(false);
    expect(hasHostBits(parseCidr('10.1.0.1/16')!)).toBe(true);
    expect(networkCidr('10.0.0.0/8')).toBe('10.0.0.0/8');
    expect(networkCidr('10.0.0.1/8')).toBeUndefined();
    expect(networkCidr('10.0.0.0')).toBeUndefined();
    expect(networkCidr('2001:DB8::/32')).toBe('2001:db8::/32');
    expect(networkCidr('::/0')).toBe('::/0');
  });
  it('containment, /0 included, never across families', () => {
    expect(cidrContains('10.1.0.0/16', '10.1.255.255')).toBe(true);
    expect(cidrContains('10.1.0.0/16', '10.2.0.0')).toBe(false);
    expect(cidrContains('0.0.0.0/0', '203.0.113.9')).toBe(true);
    expect(cidrContains('::/0', '2001:db8::1')).toBe(true);
    expect(cidrContains('::/0', '10.0.0.1')).toBe(false);
    expect(cidrContains('10.0.0.1/32', '10.0.0.1')).toBe(true);
    expect(cidrContains('10.0.0.1/32', '10.0.0.2')).toBe(false);
    expect(cidrContains('fd00::/64', 'fd00::ffff:1')).toBe(true);
    expect(cidrContains('fd00::/64', 'fd00:0:0:1::1')).toBe(false);
    expect(cidrContains('::ffff:0:0/96', '::ffff:1.2.3.4')).toBe(true);
    expect(cidrContains('bad', '10.0.0.1')).toBe(false);
  });
  it('broadcast addresses: IPv4 up to /30 only', () => {
    expect(broadcastAddress(parseCidr('192.0.2.10/24')!)).toBe('192.0.2.255');
    expect(broadcastAddress(parseCidr('10.1.0.5/30')!)).toBe('10.1.0.7');
    expect(broadcastAddress(parseCidr('10.0.0.1/0')!)).toBe('255.255.255.255');
    expect(broadcastAddress(parseCidr('10.1.0.5/31')!)).toBeUndefined();
    expect(broadcastAddress(parseCidr('10.1.0.5/32')!)).toBeUndefined();
    expect(broadcastAddress(parseCidr('fd00::1/64')!)).toBeUndefined();
  });
  it('special ranges', () => {
    expect(isUnspecified('::')).toBe(true);
    expect(isUnspecified('0.0.0.0')).toBe(true);
    expect(isUnspecified('::1')).toBe(false);
    expect(isMulticast('224.0.0.1')).toBe(true);
    expect(isMulticast('239.255.255.255')).toBe(true);
    expect(isMulticast('240.0.0.1')).toBe(false);
    expect(isMulticast('ff02::1')).toBe(true);
    expect(isMulticast('fe80::1')).toBe(false);
    expect(isLinkLocal('fe80::1')).toBe(true);
    expect(isLinkLocal('febf::1')).toBe(true);
    expect(isLinkLocal('fec0::1')).toBe(false);
    expect(isLinkLocal('169.254.1.1')).toBe(true);
    expect(isLinkLocal('169.255.1.1')).toBe(false);
    expect(isLoopback('127.0.0.53')).toBe(true);
    expect(isLoopback('::1')).toBe(true);
    expect(isLoopback('::2')).toBe(false);
  });
});
