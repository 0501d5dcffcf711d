/**
 * Two "servers in two regions" played by network namespaces on this machine, each with an eth0
 * (one end of a veth pair whose other end, peer0, stays in the same namespace), for the IP children of the Route53 tests (the IP kit's `netns` option). Names are unique
 * per run (rk53-<pid>-<random>-a/b); destroy() deletes them, and process exit as a last resort.
 * Host interfaces are never touched: every address lives only inside these namespaces.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';

export const isRoot = process.getuid?.() === 0;
export const canRunNetns = isRoot && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
export const netnsSkipReason = !isRoot ? 'needs root (creates network namespaces)' : 'cannot run "ip netns" here (install iproute2)';

const live = new Set<string>();
process.once('exit', () => {
  for (const ns of live) spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
});

export interface TwoNodes {
  a: string;
  b: string;
  /** Addresses configured on eth0 in NS. */
  addrs(ns: string): string[];
  destroy(): void;
}

export function createTwoNodes(): TwoNodes {
  const prefix = `rk53-${process.pid}-${randomBytes(3).toString('hex')}`;
  const a = `${prefix}-a`;
  const b = `${prefix}-b`;
  const ip = (ns: string, ...args: string[]) => execFileSync('ip', ['-n', ns, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  const destroy = () => {
    for (const ns of [a, b]) {
      spawnSync('ip', ['netns', 'del', ns], { stdio: 'ignore' });
      live.delete(ns);
    }
  };
  try {
    for (const ns of [a, b]) {
      execFileSync('ip', ['netns', 'add', ns], { stdio: 'ignore' });
      live.add(ns);
      ip(ns, 'link', 'set', 'lo', 'up');
      ip(ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
      ip(ns, 'link', 'set', 'peer0', 'up');
      ip(ns, 'link', 'set', 'eth0', 'up');
    }
  } catch (err) {
    destroy();
    throw err;
  }
  return {
    a,
    b,
    addrs(ns) {
      const links = JSON.parse(ip(ns, '-j', 'addr', 'show', 'dev', 'eth0')) as Array<{ addr_info: Array<{ local: string }> }>;
      return links.flatMap((l) => l.addr_info.map((x) => x.local));
    },
    destroy,
  };
}
