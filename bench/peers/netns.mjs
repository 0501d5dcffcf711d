// The side-by-side benchmarks' isolation (bench/peers.mjs, bench/ocf.mjs): a network namespace
// `NS` and a second one, `NS-lan`, joined by a veth pair, created and removed here.
//   - NS: `lo` up holding 169.254.169.254/32 (the emulator serves EC2, Route53 and IMDS there) and
//     `eth0` with node2's address 10.0.4.10/24 and MAC (aws-vpc-move-ip finds its ENI by the MAC);
//   - NS-lan: the other end of eth0 (10.0.4.1/24), the "LAN" for ARP and pings.
// Before anything runs inside, neither namespace may have a default route or a route through a
// foreign interface, and `ip route get 1.1.1.1` must fail there. Nothing contacts 169.254.169.254
// from the host's own namespace.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const sh = (args, { ok = false } = {}) => {
  const r = spawnSync(args[0], args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0 && !ok) throw new Error(`${args.join(' ')}: ${r.stderr.trim()}`);
  return r;
};

/**
 * Creates the namespaces, checks their isolation, runs `node SCRIPT OPTIONS_JSON` inside NS and
 * returns its last stdout line parsed as JSON (plus `isolation`); always removes the namespaces.
 */
export async function runIsolated(root, { prefix, script, options }) {
  const ns = `${prefix}-${process.pid}`;
  const lan = `${ns}-lan`;
  const cleanup = () => {
    sh(['ip', 'netns', 'del', ns], { ok: true });
    sh(['ip', 'netns', 'del', lan], { ok: true });
    rmSync(`/etc/netns/${ns}`, { recursive: true, force: true });
  };
  const onInt = () => {
    cleanup();
    process.exit(130);
  };
  process.on('SIGINT', onInt);
  try {
    sh(['ip', 'netns', 'add', ns]);
    sh(['ip', 'netns', 'add', lan]);
    // dig (aws-vpc-route53's monitor) reads resolv.conf: inside the namespace it names loopback, where nothing answers.
    mkdirSync(`/etc/netns/${ns}`, { recursive: true });
    writeFileSync(`/etc/netns/${ns}/resolv.conf`, 'nameserver 127.0.0.1\n');
    for (const n of [ns, lan]) sh(['ip', '-n', n, 'link', 'set', 'lo', 'up']);
    // 169.254.169.254 on the namespace's own loopback (a dummy interface would do, but not every kernel has the module).
    sh(['ip', '-n', ns, 'addr', 'add', '169.254.169.254/32', 'dev', 'lo']);
    sh(['ip', '-n', ns, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'eth0', 'netns', lan]);
    const { twoAzLayout } = await import(pathToFileURL(join(root, 'packages/aws-emulator/dist/index.js')).href);
    const node2 = twoAzLayout().ids;
    sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'address', node2.macs.node2]);
    sh(['ip', '-n', ns, 'addr', 'add', `${node2.privateIps.node2}/24`, 'dev', 'eth0']);
    sh(['ip', '-n', lan, 'addr', 'add', '10.0.4.1/24', 'dev', 'eth0']);
    sh(['ip', '-n', ns, 'link', 'set', 'eth0', 'up']);
    sh(['ip', '-n', lan, 'link', 'set', 'eth0', 'up']);

    // ---- isolation check: no route out of either namespace
    const isolation = {};
    for (const [n, own] of [
      [ns, ['lo', 'eth0']],
      [lan, ['lo', 'eth0']],
    ]) {
      const routes = JSON.parse(sh(['ip', '-n', n, '-j', 'route', 'show', 'table', 'all']).stdout || '[]');
      const links = JSON.parse(sh(['ip', '-n', n, '-j', 'link', 'show']).stdout).map((l) => l.ifname);
      const outside = routes.filter((r) => r.dst === 'default' || (r.dev && !own.includes(r.dev)));
      const probe = sh(['ip', 'netns', 'exec', n, 'ip', 'route', 'get', '1.1.1.1'], { ok: true });
      if (outside.length || probe.status === 0 || links.some((l) => !own.includes(l))) {
        throw new Error(
          `namespace ${n} is not isolated: links ${links.join(',')}, routes out ${JSON.stringify(outside)}, route get 1.1.1.1: ${probe.stdout.trim()}`,
        );
      }
      isolation[n] = { links, routes: routes.length, routeGet: probe.stderr.trim() };
    }
    console.error(`${prefix}: namespaces ${ns} and ${lan}: no route out (${Object.values(isolation)[0].routeGet})`);

    const r = spawnSync('ip', ['netns', 'exec', ns, process.execPath, join(root, script), JSON.stringify(options)], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`${script} exited ${r.status}`);
    return { ...JSON.parse(r.stdout.trim().split('\n').at(-1)), isolation };
  } finally {
    cleanup();
    process.off('SIGINT', onInt);
  }
}

/**
 * What the side-by-side benchmarks (peers.mjs, ocf.mjs) need on this machine, each missing piece
 * as its fix: root, ip netns, the resource-agents peers, the aws CLI and dig they call, a built
 * workspace.
 */
export function missingPrerequisites(root) {
  const need = [
    [process.getuid?.() === 0, 'run as root (network namespaces, ip addr, the peers need root)'],
    [spawnSync('ip', ['netns', 'list']).status === 0, 'install iproute2 (ip netns)'],
    ...['aws-vpc-move-ip', 'awseip', 'aws-vpc-route53', 'IPaddr2'].map((n) => [
      existsSync(`/usr/lib/ocf/resource.d/heartbeat/${n}`),
      `apt-get install resource-agents (${n} is missing)`,
    ]),
    [existsSync('/usr/bin/aws'), 'apt-get install awscli (/usr/bin/aws is missing)'],
    [spawnSync('dig', ['-v']).status === 0, 'apt-get install bind9-dnsutils (aws-vpc-route53 needs dig)'],
    [
      existsSync(join(root, 'packages/aws-emulator/dist/index.js')) && existsSync(join(root, 'packages/runner/dist/kit-runner.mjs')),
      'build the workspace first: pnpm -r build',
    ],
  ];
  return need.filter(([ok]) => !ok).map(([, fix]) => fix);
}
