/** The kit's shape against its package.json and the contract, and its option schema. */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkKitShape } from '@recovery-kit/testing';
import kit from '../src/index.ts';

describe('kit-libreswan', () => {
  it('is a well-formed kit (manifest, tunables of its timeouts, option descriptions)', () => {
    expect(checkKitShape(kit, fileURLToPath(new URL('../package.json', import.meta.url)))).toEqual([]);
    expect(kit.meta.kitType).toBe('libreswan');
    expect(Object.keys(kit.tunables ?? {})).toEqual(expect.arrayContaining(['OPENSWAN_REMOVE_TIMEOUT', 'OPENSWAN_PING_TIMEOUT', 'OPENSWAN_CHECK_TRY_COUNT', 'OPENSWAN_CHECK_INTERVAL']));
    expect([15, 5, 3, 15]).toEqual(['OPENSWAN_REMOVE_TIMEOUT', 'OPENSWAN_PING_TIMEOUT', 'OPENSWAN_CHECK_TRY_COUNT', 'OPENSWAN_CHECK_INTERVAL'].map((t) => kit.tunables![t]!.default));
  });

  it('names the field and the fix for bad options', () => {
    expect(kit.options.check({})).toMatchObject({ ok: false, issues: [{ field: 'connection', message: 'is required' }] });
    expect(kit.options.check({ connection: 'vpn 1' })).toMatchObject({ ok: false, issues: [{ field: 'connection' }] });
    expect(kit.options.check({ connection: 'vpn1', daemonStart: 'ipsec start' })).toMatchObject({ ok: false, issues: [{ field: 'daemonStart', message: expect.stringMatching(/absolute path/) }] });
    expect(kit.options.check({ connection: 'vpn1', remoteLocalAddress: '172.16.0' })).toMatchObject({ ok: false, issues: [{ field: 'remoteLocalAddress' }] });
    expect(kit.options.check({ connection: 'vpn1', routeTables: ['rtb-x'] })).toMatchObject({ ok: false, issues: [{ field: 'routeTables' }] });
    expect(kit.options.check({ connection: 'vpn1', conection: 'x' })).toMatchObject({ ok: false, issues: [{ field: 'conection', fix: 'did you mean "connection"?' }] });
    expect(kit.options.parse({ connection: 'vpn1' })).toMatchObject({ connection: 'vpn1', configFile: '/etc/ipsec.conf', pingPublic: true, downOnRemove: false, ec2Child: false });
  });

  it('decide: the failover table as a named action, with a usage error for bad input', async () => {
    const decide = kit.commands!.decide!;
    expect(await decide.run({} as never, ['failed', 'recovered'])).toMatchObject({ failover: true });
    expect(() => decide.run({} as never, ['failed'])).toThrow(/decide needs two of healthy\|recovered\|failed\|unknown/);
  });
});
