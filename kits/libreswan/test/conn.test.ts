/** Orienting and validating a connection the way create does, on seed 000's example and its mistakes. */
import { describe, expect, it } from 'vitest';
import { cidrContains, orient } from '../src/conn.ts';
import type { ConnSection } from '../src/parse.ts';

// Seed 000 chapter 4 step 6, as readwriteconf would print it.
const seed: ConnSection = {
  name: 'vpn1',
  values: {
    type: 'tunnel',
    authby: 'secret',
    left: '%defaultroute',
    leftid: '54.249.2.50',
    leftnexthop: '%defaultroute',
    leftsubnets: '{10.0.0.0/16,10.1.0.0/16}',
    leftsourceip: '10.0.0.5',
    right: '54.254.156.254',
    rightsubnets: '{172.16.0.0/16,10.2.0.0/16}',
    rightsourceip: '172.16.0.5',
    pfs: 'yes',
    auto: 'start',
  },
};
const vpnPA = ['127.0.0.1', '10.0.0.5'];
const with_ = (values: Record<string, string | undefined>): ConnSection => ({
  name: 'vpn1',
  values: Object.fromEntries(Object.entries({ ...seed.values, ...values }).filter(([, v]) => v !== undefined)) as Record<string, string>,
});

describe('orient (create validation)', () => {
  it("accepts seed 000's connection on VPN_P_A: left is this node, the peer is right", () => {
    const { tunnel, issues } = orient(seed, vpnPA, 4);
    expect(issues).toEqual([]);
    expect(tunnel).toMatchObject({
      localSide: 'left',
      local: { subnets: ['10.0.0.0/16', '10.1.0.0/16'], sourceIp: '10.0.0.5' },
      remote: { address: '54.254.156.254', sourceIp: '172.16.0.5', subnets: ['172.16.0.0/16', '10.2.0.0/16'] },
    });
  });

  it('finds this node on the right side too (the same file on VPN_S_A)', () => {
    const mirrored = with_({ left: '54.249.2.50', leftid: undefined, right: '%defaultroute' });
    const { tunnel, issues } = orient(mirrored, ['172.16.0.5'], 4);
    expect(issues).toEqual([]);
    expect(tunnel).toMatchObject({ localSide: 'right', local: { sourceIp: '172.16.0.5' }, remote: { address: '54.249.2.50', sourceIp: '10.0.0.5' } });
  });

  it('names every missing or wrong setting, with the seed example as the fix', () => {
    expect(orient(with_({ left: '192.0.2.9', right: '192.0.2.8', leftsourceip: '10.0.0.99' }), vpnPA, 4).issues[0]!.message).toMatch(
      /neither left=192.0.2.9 nor right=192.0.2.8/,
    );
    const missing = orient(with_({ rightsourceip: undefined, rightsubnets: undefined }), vpnPA, 4).issues;
    expect(missing.map((i) => i.message)).toEqual([
      expect.stringMatching(/rightsubnet= \/ rightsubnets= is not set/),
      expect.stringMatching(/rightsourceip= is not set/),
    ]);
    expect(missing[1]!.fix).toMatch(/rightsourceip=172\.16\.0\.5/);
    expect(orient(with_({ leftsourceip: '10.9.0.5' }), [...vpnPA, '10.9.0.5'], 4).issues[0]!.message).toMatch(
      /leftsourceip=10\.9\.0\.5 is in none of leftsubnets/,
    );
    expect(orient(with_({ leftsourceip: '10.0.0.6' }), ['10.0.0.5'], 4).issues.map((i) => i.message)).toEqual([
      expect.stringMatching(/leftsourceip=10\.0\.0\.6 is not an address of this node/),
    ]);
    expect(orient(with_({ right: '%any' }), vpnPA, 4).issues[0]!.message).toMatch(/peer's public address is not known/);
    expect(orient(with_({ right: '%any' }), vpnPA, 4, { remotePublic: '54.254.156.254' }).issues).toEqual([]);
    expect(orient(with_({ auto: 'ignore' }), vpnPA, 4).issues[0]!.message).toMatch(/auto=ignore/);
  });

  it('refuses IKEv1 on Libreswan 5 (ikev1-policy=drop) but not on 4', () => {
    expect(orient(with_({ ikev2: 'no' }), vpnPA, 5).issues[0]!.message).toMatch(/IKEv1, which Libreswan 5 refuses/);
    expect(orient(with_({ keyexchange: 'ikev1' }), vpnPA, 4).issues).toEqual([]);
  });

  it('cidrContains', () => {
    expect(cidrContains('10.0.0.0/16', '10.0.255.1')).toBe(true);
    expect(cidrContains('10.0.0.0/16', '10.1.0.1')).toBe(false);
    expect(cidrContains('2001:db8::/32', '2001:db8:1::5')).toBe(true);
    expect(cidrContains('2001:db8::/32', '10.0.0.1')).toBe(false);
  });
});
