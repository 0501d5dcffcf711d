/** The events2 parser on output recorded in the lab (DRBD 8.4.11, drbd-utils 9.22.0, see fixtures/README.md). */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseDrbdadmVersion, parseEvents2Lines, parseProcDrbd, statusFromEvents2 } from '../src/parse.ts';

const fx = (name: string) => readFileSync(new URL(`./fixtures/events2-84-${name}.txt`, import.meta.url), 'utf8');
const st = (name: string) => statusFromEvents2(fx(name), 'r0', { peerName: 'b' });

describe('events2 --now --statistics (DRBD 8.4 through drbdsetup-84)', () => {
  it('reads a fresh mirror: both Inconsistent, connected, everything out of sync', () => {
    const s = st('a-fresh-connected');
    expect(s).toMatchObject({ resource: 'r0', exists: true, role: 'Secondary', suspended: false, volumes: [{ volume: 0, minor: 0, disk: 'Inconsistent' }] });
    expect(s.mayPromote).toBeUndefined();
    expect(s.volumes[0]!.quorum).toBeUndefined();
    expect(s.peers).toEqual([
      {
        name: 'b',
        connection: 'Connected',
        role: 'Secondary',
        volumes: [{ volume: 0, replication: 'Established', peerDisk: 'Inconsistent', resyncSuspended: 'no', outOfSyncKiB: 65496 }],
      },
    ]);
  });

  it('reads a running resync on both ends, with done % derived from out-of-sync and size (8.4 has no done:)', () => {
    const src = st('a-primary-force-syncsource');
    expect(src.role).toBe('Primary');
    expect(src.volumes[0]!.disk).toBe('UpToDate');
    expect(src.peers[0]!.volumes[0]).toMatchObject({ replication: 'SyncSource', peerDisk: 'Inconsistent', outOfSyncKiB: 60500, donePercent: 7.6 });
    const tgt = st('b-synctarget');
    expect(tgt.peers[0]).toMatchObject({ role: 'Primary', connection: 'Connected' });
    expect(tgt.peers[0]!.volumes[0]).toMatchObject({ replication: 'SyncTarget', peerDisk: 'UpToDate', outOfSyncKiB: 56612, donePercent: 13.6 });
    expect(tgt.volumes[0]!.disk).toBe('Inconsistent');
  });

  it('reads a paused resync: who paused it', () => {
    expect(st('a-paused-syncs').peers[0]!.volumes[0]).toMatchObject({ replication: 'PausedSyncS', resyncSuspended: 'user', outOfSyncKiB: 43012 });
    expect(st('b-paused-synct').peers[0]!.volumes[0]).toMatchObject({ replication: 'PausedSyncT', resyncSuspended: 'peer' });
  });

  it('reads StandAlone (no conn-name on its lines) as one peer, and a peer gone as Connecting with DUnknown', () => {
    const s = st('a-standalone-after-disconnect');
    expect(s.peers).toHaveLength(1);
    expect(s.peers[0]).toMatchObject({ name: 'b', connection: 'StandAlone', role: 'Unknown', volumes: [{ replication: 'Off', peerDisk: 'DUnknown' }] });
    const gone = st('b-peer-down');
    expect(gone.peers[0]).toMatchObject({ connection: 'Connecting', role: 'Unknown', volumes: [{ peerDisk: 'DUnknown', outOfSyncKiB: 0 }] });
    expect(gone.peers[0]!.volumes[0]!.donePercent).toBeUndefined();
  });

  it('names the peer by conn-name without a peer name, and ignores other resources', () => {
    const s = statusFromEvents2(fx('b-uptodate-secondary'), 'r0');
    expect(s.peers[0]!.name).toBe('peer');
    expect(statusFromEvents2(fx('b-uptodate-secondary'), 'r1')).toMatchObject({ exists: false, volumes: [], peers: [] });
    expect(statusFromEvents2('', 'r0').exists).toBe(false);
  });

  it('applies change and destroy lines of a running events2 stream', () => {
    const stream = `${fx('b-uptodate-secondary')}change connection name:r0 peer-node-id:0 conn-name:peer connection:Connecting role:Unknown\nchange peer-device name:r0 peer-node-id:0 conn-name:peer volume:0 replication:Off peer-disk:DUnknown\n`;
    expect(statusFromEvents2(stream, 'r0').peers[0]).toMatchObject({ connection: 'Connecting', volumes: [{ replication: 'Off', peerDisk: 'DUnknown' }] });
    expect(statusFromEvents2(`${stream}destroy resource name:r0\n`, 'r0')).toMatchObject({ exists: false, peers: [], volumes: [] });
    expect(parseEvents2Lines('2024-01-01T00:00:00.000000+00:00 exists device name:r0 volume:0 minor:0 disk:UpToDate\nexists -\n')).toEqual([
      { what: 'exists', type: 'device', fields: { name: 'r0', volume: '0', minor: '0', disk: 'UpToDate' } },
    ]);
  });

  it('reads DRBD 9 fields where they exist (may_promote, quorum, done:)', () => {
    const s = statusFromEvents2(
      'exists resource name:r0 role:Secondary suspended:no may_promote:no promotion_score:0\nexists device name:r0 volume:0 minor:0 disk:Inconsistent quorum:yes\nexists connection name:r0 peer-node-id:1 conn-name:b connection:Connected role:Primary\nexists peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:SyncTarget peer-disk:UpToDate resync-suspended:no done:42.10 out-of-sync:1024\n',
      'r0',
    );
    expect(s.mayPromote).toBe(false);
    expect(s.volumes[0]!.quorum).toBe(true);
    expect(s.peers[0]!.volumes[0]).toMatchObject({ donePercent: 42.1, outOfSyncKiB: 1024 });
  });
});

describe('/proc/drbd and drbdadm --version', () => {
  it('reads a resync line of /proc/drbd (speed and time left)', () => {
    const text = `version: 8.4.11 (api:1/proto:86-101)
srcversion: B536C32A3EADA868561EFD9 

 0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
    ns:12 nr:0 dw:0 dr:12 al:8 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:40960
	[===>................] sync'ed: 22.1% (40960/52196)K
	finish: 0:00:08 speed: 4,800 (4,800) K/sec
`;
    expect(parseProcDrbd(text)).toEqual({
      version: '8.4.11',
      minors: [
        {
          minor: 0,
          cs: 'SyncSource',
          role: 'Primary',
          peerRole: 'Secondary',
          disk: 'UpToDate',
          peerDisk: 'Inconsistent',
          protocol: 'C',
          outOfSyncKiB: 40960,
          syncedPercent: 22.1,
          etaSeconds: 8,
          speedKiBs: 4800,
        },
      ],
    });
    expect(parseProcDrbd('version: 8.4.11 (api:1/proto:86-101)\nsrcversion: X \n').minors).toEqual([]);
  });

  it('reads drbdadm --version as recorded in the lab', () => {
    const text =
      'DRBDADM_BUILDTAG=GIT-hash:\\ 409097fe02187f83790b88ac3e0d94f3c167adab\\ reproducible\\ build\\,\\ 2023-01-09\\ 14:51:18\nDRBDADM_API_VERSION=1\nDRBD_KERNEL_VERSION_CODE=0x08040b\nDRBDADM_VERSION_CODE=0x091600\nDRBDADM_VERSION=9.22.0\n';
    expect(parseDrbdadmVersion(text)).toEqual({ utils: '9.22.0', kernel: '8.4.11' });
    expect(parseDrbdadmVersion(text.replace('0x08040b', '0x090203'))).toEqual({ utils: '9.22.0', kernel: '9.2.3' });
    expect(parseDrbdadmVersion('DRBDADM_VERSION=9.22.0\n')).toEqual({ utils: '9.22.0' });
  });
});
