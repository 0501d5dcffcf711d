/**
 * A throw-away layer-2 segment made of network namespaces, for the IP kit's real tests:
 *
 *     [A] va ---- ca \
 *                      br0 [C]  (C is the observer and holds the bridge)
 *     [B] vb ---- cb /
 *
 * Nodes A and B play two cluster servers on one link, C plays a client. Names are unique per
 * run (prefix rkip-<pid>-<random>-), so parallel test files and runs never collide, and the
 * namespaces are deleted by destroy(), and at process exit as a last resort. Only TEST-NET-1
 * (192.0.2.0/24) and ULA (fd00:db8:1::/64) addresses are used, only inside these namespaces.
 */
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const isRoot = process.getuid?.() === 0;
const have = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`], { stdio: 'ignore' }).status === 0;
const missing = ['ip', 'arping', 'ping', 'sysctl'].filter((t) => !have(t));
export const canRunNetns = isRoot && missing.length === 0 && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
export const netnsSkipReason = !isRoot
  ? 'needs root (creates network namespaces): run the IP kit tests as root'
  : missing.length
    ? `needs ${missing.join(', ')} (apt-get install iproute2 iputils-arping iputils-ping procps)`
    : 'cannot create network namespaces here';
if (!canRunNetns) console.warn(`[kit-ip] skipping the network-namespace tests: ${netnsSkipReason}`);

export interface Topology {
  a: string;
  b: string;
  c: string;
  /** Runs `ip -n NS args`, returns stdout; throws on failure. */
  ip(ns: string, ...args: string[]): string;
  /** Runs a program inside NS; returns status and output (never throws). */
  run(ns: string, file: string, ...args: string[]): { status: number; stdout: string; stderr: string };
  /** True when `target` answers one ping from C within 2 s. */
  pingFromC(target: string): boolean;
  /** The MAC address C's neighbour table holds for `address` (undefined if none). */
  neighbourMac(address: string): string | undefined;
  mac(ns: string, dev: string): string;
  /** Addresses (canonical text) configured in NS. */
  addrs(ns: string): string[];
  /** Records the ARP packets `dev` in NS receives (a raw AF_PACKET socket, kernel timestamps); see {@link ArpListener}. */
  listenArp(ns: string, dev: string): ArpListener;
  destroy(): void;
}

export interface ArpPacket {
  /** Kernel receive time, ms since the epoch (same clock as Date.now()). */
  at: number;
  op: number;
  senderMac: string;
  senderIp: string;
  targetIp: string;
}

export interface ArpListener {
  /** Resolves once the socket is bound. */
  ready: Promise<void>;
  /** What it has received so far. */
  packets(): ArpPacket[];
  stop(): void;
}

/** python3 is a dependency of fence-agents, which setup installs; the listener needs a raw socket, which Node has not. */
export const canListenArp = have('python3');

// Prints one JSON line per ARP frame received, timestamped by the kernel (SO_TIMESTAMPNS).
const ARP_LISTENER = `
import json, socket, struct, sys
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0806))
s.setsockopt(socket.SOL_SOCKET, 35, 1)
s.bind((sys.argv[1], 0))
print('ready', flush=True)
while True:
    d, anc, _, _ = s.recvmsg(2048, 64)
    at = next((struct.unpack('qq', x[:16]) for (l, t, x) in anc if t == 35), (0, 0))
    if len(d) < 42: continue
    print(json.dumps({'at': at[0] * 1000 + at[1] / 1e6, 'op': struct.unpack('!H', d[20:22])[0],
        'senderMac': ':'.join('%02x' % b for b in d[22:28]), 'senderIp': socket.inet_ntoa(d[28:32]),
        'targetIp': socket.inet_ntoa(d[38:42])}), flush=True)
`;

const live = new Set<string>();
process.once('exit', () => {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

export function createTopology(): Topology {
  const prefix = `rkip-${process.pid}-${randomBytes(3).toString('hex')}`;
  const a = `${prefix}-a`;
  const b = `${prefix}-b`;
  const c = `${prefix}-c`;
  const ip = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const run = (ns: string, file: string, ...args: string[]) => {
    const r = spawnSync('ip', ['netns', 'exec', ns, file, ...args], { encoding: 'utf8' });
    return { status: r.status ?? 1, stdout: r.stdout ?? '', stderr: r.stderr ?? '' };
  };
  const destroy = () => {
    for (const ns of [a, b, c]) {
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      live.delete(ns);
    }
  };
  try {
    for (const ns of [a, b, c]) {
      execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
      live.add(ns);
      ip(ns, 'link', 'set', 'lo', 'up');
    }
    ip(c, 'link', 'add', 'br0', 'type', 'bridge', 'stp_state', '0', 'mcast_snooping', '0');
    ip(c, 'link', 'add', 'ca', 'type', 'veth', 'peer', 'name', 'va', 'netns', a);
    ip(c, 'link', 'add', 'cb', 'type', 'veth', 'peer', 'name', 'vb', 'netns', b);
    for (const p of ['ca', 'cb']) {
      ip(c, 'link', 'set', p, 'master', 'br0');
      ip(c, 'link', 'set', p, 'up');
    }
    ip(c, 'link', 'set', 'br0', 'up');
    ip(a, 'link', 'set', 'va', 'up');
    ip(b, 'link', 'set', 'vb', 'up');
    for (const [ns, dev, n] of [
      [a, 'va', 1],
      [b, 'vb', 2],
      [c, 'br0', 3],
    ] as const) {
      ip(ns, 'addr', 'add', `192.0.2.${n}/24`, 'dev', dev);
      ip(ns, 'addr', 'add', `fd00:db8:1::${n}/64`, 'dev', dev, 'nodad');
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    a,
    b,
    c,
    ip,
    run,
    pingFromC: (target) => run(c, 'ping', '-n', '-c', '1', '-W', '2', target).status === 0,
    neighbourMac(address) {
      const [n] = JSON.parse(ip(c, '-j', 'neigh', 'show', address) || '[]') as Array<{ lladdr?: string }>;
      return n?.lladdr?.toLowerCase();
    },
    mac(ns, dev) {
      const [l] = JSON.parse(ip(ns, '-j', 'link', 'show', 'dev', dev)) as Array<{ address: string }>;
      return l!.address.toLowerCase();
    },
    addrs(ns) {
      const links = JSON.parse(ip(ns, '-j', 'addr', 'show')) as Array<{ addr_info: Array<{ local: string }> }>;
      return links.flatMap((l) => l.addr_info.map((x) => x.local));
    },
    listenArp(ns, dev) {
      const child = spawn('ip', ['netns', 'exec', ns, 'python3', '-c', ARP_LISTENER, dev], { stdio: ['ignore', 'pipe', 'pipe'] });
      const got: ArpPacket[] = [];
      let buf = '';
      let err = '';
      child.stderr.on('data', (d: Buffer) => (err += d));
      const ready = new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          buf += d;
          for (let i = buf.indexOf('\n'); i >= 0; i = buf.indexOf('\n')) {
            const line = buf.slice(0, i);
            buf = buf.slice(i + 1);
            if (line === 'ready') resolve();
            else got.push(JSON.parse(line) as ArpPacket);
          }
        });
        child.once('exit', (code) => reject(new Error(`the ARP listener exited (${code}): ${err}`)));
      });
      ready.catch(() => undefined);
      listeners.add(child);
      return {
        ready,
        packets: () => [...got],
        stop() {
          child.kill();
          listeners.delete(child);
        },
      };
    },
    destroy,
  };
}

const listeners = new Set<import('node:child_process').ChildProcess>();
process.once('exit', () => {
  for (const l of listeners) l.kill();
});

/** Waits until `check` is true (polling every 100 ms) or `ms` passed. */
export async function until(check: () => boolean, ms = 5000): Promise<boolean> {
  const end = Date.now() + ms;
  for (;;) {
    if (check()) return true;
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 100));
  }
}
