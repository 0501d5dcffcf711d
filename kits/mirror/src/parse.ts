/**
 * Parsers of DRBD's machine-readable state. `drbdsetup events2 --now --statistics` prints one
 * line per object, `<what> <type> key:value ...`:
 *
 *   exists resource name:r0 role:Secondary suspended:no ...
 *   exists connection name:r0 peer-node-id:1 conn-name:b connection:Connected role:Primary
 *   exists device name:r0 volume:0 minor:0 disk:UpToDate ...
 *   exists peer-device name:r0 peer-node-id:1 conn-name:b volume:0 replication:SyncTarget peer-disk:UpToDate resync-suspended:no done:42.10 ...
 *   exists -
 *
 * The same parser reads `change`/`create`/`destroy` lines of a running `events2` stream.
 */
import type { ConnectionState, DiskState, MirrorStatus, PeerStatus, ReplicationState, Role } from './engine.ts';

export interface Events2Line {
  what: string;
  type: string;
  fields: Record<string, string>;
}

export function parseEvents2Lines(text: string): Events2Line[] {
  const out: Events2Line[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const words = line.split(/\s+/);
    // A timestamp first when --timestamps is given (2024-01-01T00:00:00.000000+00:00).
    if (/^\d{4}-\d\d-\d\dT/.test(words[0]!)) words.shift();
    const [what, type, ...rest] = words;
    if (!what || !type || type === '-') continue;
    const fields: Record<string, string> = {};
    for (const w of rest) {
      const i = w.indexOf(':');
      if (i > 0) fields[w.slice(0, i)] = w.slice(i + 1);
    }
    out.push({ what, type, fields });
  }
  return out;
}

const role = (v: string | undefined): Role => (v === 'Primary' || v === 'Secondary' ? v : 'Unknown');
const num = (v: string | undefined) => (v === undefined || v === '' || Number.isNaN(Number(v)) ? undefined : Number(v));

/** DRBD 8.4 names some connection states by what they wait for; map them onto the 9 names. */
export function connectionStateOf(v: string | undefined): ConnectionState {
  switch (v) {
    case 'WFConnection':
    case 'WFReportParams':
      return 'Connecting';
    case undefined:
      return 'StandAlone';
    default:
      return v as ConnectionState;
  }
}

/** The status of one resource from `events2 --now` output (lines of other resources are ignored). */
export function statusFromEvents2(text: string, resource: string, opts: { peerName?: string; source?: string } = {}): MirrorStatus {
  const status: MirrorStatus = {
    resource,
    exists: false,
    role: 'Unknown',
    suspended: false,
    volumes: [],
    peers: [],
    source: opts.source ?? 'drbdsetup events2 --now --statistics',
  };
  // Peers are keyed by peer-node-id: a StandAlone connection's lines carry no conn-name. DRBD 8.4
  // names its one peer "peer"; `peerName` gives it the node's name.
  const ids = new Map<PeerStatus, string>();
  const sizes = new Map<number, number>();
  const peer = (f: Record<string, string>): PeerStatus => {
    const id = f['peer-node-id'] ?? f['conn-name'] ?? '0';
    let p = [...ids].find(([, v]) => v === id)?.[0];
    if (!p) {
      p = { name: opts.peerName ?? f['conn-name'] ?? `node-${id}`, connection: 'StandAlone', role: 'Unknown', volumes: [] };
      ids.set(p, id);
      status.peers.push(p);
    }
    if (!opts.peerName && f['conn-name']) p.name = f['conn-name'];
    return p;
  };
  for (const { what, type, fields: f } of parseEvents2Lines(text)) {
    if (f.name !== resource) continue;
    if (what === 'destroy') {
      if (type === 'resource') Object.assign(status, { exists: false, volumes: [], peers: [] });
      if (type === 'connection') status.peers = status.peers.filter((p) => ids.get(p) !== (f['peer-node-id'] ?? f['conn-name'] ?? '0'));
      if (type === 'device') status.volumes = status.volumes.filter((v) => String(v.volume) !== f.volume);
      continue;
    }
    switch (type) {
      case 'resource':
        status.exists = true;
        if (f.role) status.role = role(f.role);
        if (f['may_promote'] !== undefined) status.mayPromote = f['may_promote'] === 'yes';
        if (f.suspended !== undefined) status.suspended = f.suspended !== 'no';
        break;
      case 'device': {
        status.exists = true;
        const volume = Number(f.volume ?? 0);
        let v = status.volumes.find((x) => x.volume === volume);
        if (!v) {
          v = { volume, minor: Number(f.minor ?? 0), disk: 'DUnknown' };
          status.volumes.push(v);
        }
        if (f.minor !== undefined) v.minor = Number(f.minor);
        if (f.disk) v.disk = f.disk as DiskState;
        if (f.quorum !== undefined) v.quorum = f.quorum === 'yes';
        if (num(f.size) !== undefined) sizes.set(volume, num(f.size)!);
        break;
      }
      case 'connection': {
        const p = peer(f);
        if (f.connection) p.connection = connectionStateOf(f.connection);
        if (f.role) p.role = role(f.role);
        break;
      }
      case 'peer-device': {
        const p = peer(f);
        const volume = Number(f.volume ?? 0);
        let v = p.volumes.find((x) => x.volume === volume);
        if (!v) {
          v = { volume, replication: 'Off', peerDisk: 'DUnknown', resyncSuspended: 'no' };
          p.volumes.push(v);
        }
        if (f.replication) v.replication = f.replication as ReplicationState;
        if (f['peer-disk']) v.peerDisk = f['peer-disk'] as DiskState;
        if (f['resync-suspended']) v.resyncSuspended = f['resync-suspended'];
        const done = num(f.done);
        const oos = num(f['out-of-sync']);
        if (done !== undefined) v.donePercent = done;
        else if (f.done === undefined && f.replication) delete v.donePercent;
        if (oos !== undefined) v.outOfSyncKiB = oos;
        break;
      }
    }
  }
  status.volumes.sort((a, b) => a.volume - b.volume);
  // DRBD 8.4's events2 has no done: field; while a resync runs, derive it from out-of-sync and size.
  for (const p of status.peers)
    for (const v of p.volumes) {
      const size = sizes.get(v.volume);
      if (v.donePercent === undefined && size && v.outOfSyncKiB !== undefined && /Sync(Source|Target|S|T)$/.test(v.replication))
        v.donePercent = Math.round(Math.max(0, 100 * (1 - v.outOfSyncKiB / size)) * 10) / 10;
    }
  return status;
}

/**
 * DRBD 8.4's /proc/drbd, for what events2 on 8.4 does not carry: the resync speed and estimated
 * time left. One entry per minor.
 *   0: cs:SyncSource ro:Primary/Secondary ds:UpToDate/Inconsistent C r-----
 *       ns:12 nr:0 dw:0 dr:12 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:f oos:40960
 *   	[===>................] sync'ed: 22.1% (40960/52196)K
 *   	finish: 0:00:08 speed: 4,800 (4,800) K/sec
 */
export interface ProcDrbdMinor {
  minor: number;
  cs: string;
  role: string;
  peerRole: string;
  disk: string;
  peerDisk: string;
  protocol: string;
  outOfSyncKiB?: number;
  syncedPercent?: number;
  etaSeconds?: number;
  speedKiBs?: number;
}

export function parseProcDrbd(text: string): { version?: string; minors: ProcDrbdMinor[] } {
  const version = /^version: (\S+)/m.exec(text)?.[1];
  const minors: ProcDrbdMinor[] = [];
  let cur: ProcDrbdMinor | undefined;
  for (const line of text.split('\n')) {
    const head = /^\s*(\d+): cs:(\S+) ro:([^/\s]+)\/(\S+) ds:([^/\s]+)\/(\S+) (\S)/.exec(line);
    if (head) {
      cur = { minor: Number(head[1]), cs: head[2]!, role: head[3]!, peerRole: head[4]!, disk: head[5]!, peerDisk: head[6]!, protocol: head[7]! };
      minors.push(cur);
      continue;
    }
    const unconf = /^\s*(\d+): cs:Unconfigured/.exec(line);
    if (unconf) {
      cur = undefined;
      continue;
    }
    if (!cur) continue;
    const oos = /\boos:(\d+)/.exec(line);
    if (oos) cur.outOfSyncKiB = Number(oos[1]);
    const synced = /sync'ed:\s*([\d.]+)%/.exec(line);
    if (synced) cur.syncedPercent = Number(synced[1]);
    const fin = /finish: (\d+):(\d\d):(\d\d) speed: ([\d,]+)/.exec(line);
    if (fin) {
      cur.etaSeconds = Number(fin[1]) * 3600 + Number(fin[2]) * 60 + Number(fin[3]);
      cur.speedKiBs = Number(fin[4]!.replace(/,/g, ''));
    }
  }
  return { ...(version ? { version } : {}), minors };
}

/** `drbdadm --version` (KEY=VALUE lines): the utils version and the kernel module's. */
export function parseDrbdadmVersion(text: string): { utils?: string; kernel?: string } {
  const get = (k: string) => new RegExp(`^${k}=(\\S+)`, 'm').exec(text)?.[1];
  const utils = get('DRBDADM_VERSION');
  // drbd-utils 9 prints the module's version only as a code (0x08040b = 8.4.11).
  const code = get('DRBD_KERNEL_VERSION_CODE');
  const n = code ? Number.parseInt(code, 16) : Number.NaN;
  const kernel = get('DRBD_KERNEL_VERSION') ?? (n > 0 ? `${(n >> 16) & 0xff}.${(n >> 8) & 0xff}.${n & 0xff}` : undefined);
  return { ...(utils ? { utils } : {}), ...(kernel ? { kernel } : {}) };
}
