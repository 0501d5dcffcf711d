/**
 * The parsers against outputs of both Libreswan generations: libreswan-4.10/ recorded in the VM
 * lab (bookworm), libreswan-5/ transcribed from Libreswan's test suite at 0c4e3ecc (see
 * test/fixtures/README.md).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  childSasOf,
  loadedConnections,
  parseBriefStatus,
  parseReadWriteConf,
  parseTrafficStatus,
  parseUpOutput,
  parseVersion,
  plutoDown,
} from '../src/parse.ts';

const v4 = (f: string) => readFileSync(new URL(`./fixtures/libreswan-4.10/${f}`, import.meta.url), 'utf8');
const v5 = (f: string) => readFileSync(new URL(`./fixtures/libreswan-5/${f}`, import.meta.url), 'utf8');

describe('ipsec --version', () => {
  it('tells the generations apart', () => {
    expect(parseVersion(v4('version.txt'))).toMatchObject({ major: 4, minor: 10, generation: 4, openswan: false, text: 'Libreswan 4.10' });
    expect(parseVersion(v5('version.txt'))).toMatchObject({ major: 5, minor: 4, generation: 5 });
    expect(parseVersion('Linux Libreswan 3.32 (netkey) on 3.10.0-1160.el7.x86_64')).toMatchObject({ major: 3, generation: 4 });
    expect(parseVersion('Linux Openswan U2.6.32/K2.6.32-431.el6.x86_64 (netkey)')).toMatchObject({ major: 2, generation: 4, openswan: true });
    expect(parseVersion('strongSwan 5.9.8')).toBeUndefined();
  });
});

describe('trafficstatus', () => {
  it('reads 4.10 lines (with the 006 prefix)', () => {
    expect(parseTrafficStatus(v4('trafficstatus-established.txt'))).toEqual([
      { serial: 3, connection: 'vpn1', type: 'ESP', inBytes: 0, outBytes: 0, addTime: 1796163439, id: '192.0.2.2' },
    ]);
    expect(parseTrafficStatus(v4('trafficstatus-after-ping.txt'))[0]).toMatchObject({ inBytes: 168, outBytes: 168 });
    const two = parseTrafficStatus(v4('trafficstatus-two-child-sas.txt'));
    expect(two.map((s) => s.serial)).toEqual([5, 6]);
    expect(two[1]!.addTime).toBe(0);
  });

  it('shows a dropped peer as counters that no longer grow inbound', () => {
    const sas = parseTrafficStatus(v4('trafficstatus-peer-dropped.txt'));
    expect(sas).toHaveLength(2);
    expect(sas[0]).toMatchObject({ serial: 3, inBytes: 0, outBytes: 84 });
    expect(parseTrafficStatus(v4('trafficstatus-none.txt'))).toEqual([]);
  });

  it('reads 5.x lines (no prefix) and leftsubnets= aliases', () => {
    expect(parseTrafficStatus(v5('trafficstatus-established.txt'))).toEqual([
      { serial: 2, connection: 'westnet-eastnet-ipv4-psk-ikev2', type: 'ESP', inBytes: 84, outBytes: 84, addTime: 1234567890, id: '@east' },
    ]);
    const aliases = parseTrafficStatus(v5('trafficstatus-subnets-aliases.txt'));
    expect(aliases.map((s) => s.connection)).toEqual([
      'westnet-eastnet-subnets/1x1',
      'westnet-eastnet-subnets/1x2',
      'westnet-eastnet-subnets/2x1',
      'westnet-eastnet-subnets/2x2',
    ]);
    expect(childSasOf(aliases, 'westnet-eastnet-subnets')).toHaveLength(4);
    expect(childSasOf(aliases, 'westnet-eastnet')).toHaveLength(0);
    expect(childSasOf(aliases, 'westnet-eastnet-subnets/1x1')).toHaveLength(1);
  });

  it('keeps peer IDs with commas and spaces (certificate DNs) whole', () => {
    const [sa] = parseTrafficStatus(
      `006 #3: "host-to-host", type=ESP, add_time=1750173098, inBytes=128, outBytes=128, maxBytes=2^63B, id='C=US, ST=MyState, CN=worker-n'`,
    );
    expect(sa).toMatchObject({ connection: 'host-to-host', inBytes: 128, id: 'C=US, ST=MyState, CN=worker-n' });
  });
});

describe('pluto not there', () => {
  it('is exit 33 with whack saying so, in both generations and both ways of being down', () => {
    expect(plutoDown(v4('pluto-not-started.txt'), 33)).toBe(true);
    expect(plutoDown(v4('pluto-killed.txt'), 33)).toBe(true);
    expect(plutoDown(v5('pluto-not-running.txt'), 33)).toBe(true);
    expect(plutoDown('', 0)).toBe(false);
    expect(plutoDown(v4('pluto-killed.txt'), 1)).toBe(false);
  });
});

describe('ipsec up output', () => {
  it('an established Child SA is success', () => {
    expect(parseUpOutput(v4('up-ok.txt'), 0)).toEqual({ established: true, configProblem: false });
    expect(parseUpOutput(v5('up-ok.txt'), 0)).toEqual({ established: true, configProblem: false });
  });

  it('a wrong key is a configuration problem, named as such (4.10 exits 36, 5 prints the same notify)', () => {
    for (const [text, code] of [
      [v4('up-authentication-failed.txt'), 36],
      [v5('up-authentication-failed.txt'), 1],
    ] as const) {
      const r = parseUpOutput(text, code);
      expect(r).toMatchObject({ established: false, configProblem: true });
      expect(r.reason).toMatch(/AUTHENTICATION_FAILED.*pre-shared keys/);
    }
  });

  it('an unreachable peer is not a configuration problem (retrying can help)', () => {
    const r = parseUpOutput(v4('up-peer-unreachable-timeout.txt'), undefined);
    expect(r).toMatchObject({ established: false, configProblem: false });
    expect(r.reason).toMatch(/no answer from the peer/);
    expect(parseUpOutput(v4('up-pluto-killed.txt'), 33).reason).toBe('pluto is not running');
  });
});

describe('configuration and status', () => {
  it('reads readwriteconf: last non-empty value of a repeated key, quotes removed', () => {
    const { conns, setup } = parseReadWriteConf(v4('readwriteconf-vpn1.txt'));
    expect(setup.logfile).toBe('/var/log/pluto.log');
    expect(conns).toHaveLength(1);
    expect(conns[0]!.values).toMatchObject({
      left: '192.0.2.1',
      leftid: '192.0.2.1',
      leftsubnet: '10.0.0.0/16',
      leftsourceip: '10.0.0.5',
      rightsourceip: '172.16.0.5',
      auto: 'start',
      type: 'tunnel',
      ikev2: 'yes',
    });
  });

  it('reads two connections from ipsec.conf and an included file, leftsubnets= kept', () => {
    const { conns } = parseReadWriteConf(v4('readwriteconf-two-conns.txt'));
    expect(conns.map((c) => c.name)).toEqual(['vpn2', 'vpn1']);
    expect(conns[0]!.values).toMatchObject({
      left: '%defaultroute',
      leftsubnets: '{10.0.0.0/16,10.1.0.0/16}',
      rightsubnets: '{172.16.0.0/16,10.2.0.0/16}',
      auto: 'add',
    });
  });

  it('lists loaded connections from ipsec status, aliases folded', () => {
    expect(loadedConnections(v4('status-established.txt'))).toEqual(['vpn1']);
    expect(loadedConnections(v4('status-subnets-aliases.txt')).sort()).toEqual(['vpn1', 'vpn2']);
  });

  it('reads the SA totals of briefstatus (4.10) and of a 5.x status tail', () => {
    expect(parseBriefStatus(v4('briefstatus.txt'))).toEqual({ ikeSas: 1, ipsecSas: 1 });
    expect(parseBriefStatus(v4('status-after-auth-failed.txt'))).toMatchObject({ ikeSas: 0, ipsecSas: 0, loaded: 5, active: 0 });
    expect(parseBriefStatus(v5('briefstatus.txt'))).toEqual({ ikeSas: 0, ipsecSas: 0, loaded: 1, active: 0 });
  });
});
