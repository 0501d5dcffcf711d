#!/usr/bin/env node
// Benchmark of the Libreswan tunnel kit in the VM lab (two qemu VMs, Libreswan 4.10, software
// emulation): for each way of breaking the tunnel, the time from breaking it to a failed
// quickCheck (detection, without the monitor's check interval), and the time recover takes to
// repair it; and a healthy quickCheck. The kit runs here; its commands run in the VM through the
// lab's command channel (about 0.3-1 s per command under emulation, most of every figure).
// Anchor (docs/kits/libreswan.md): the AWS VPN/NAT monitor script detects in 3-9 s (3 pings of 1 s).
// Then, on the AWS emulator (real SDK, real kit-runner processes, no VM): the time from the
// failover decision to the route tables pointing at the standby VPN node: the standby's
// `kit-runner action vpn-ec2 restore` (the EC2 child of seed 000's Openswan resource, its
// route-table transition 1 -> 2: 10.2.0.0/16 and 172.16.0.0/16 from VPN_P_A's ENI to VPN_P_B's),
// sampled in the emulator's state every 5 ms, with its API calls; side by side the AWS VPN/NAT
// monitor script's takeover, `aws ec2 replace-route` once per route (the AWS CLI, against the
// emulator's endpoint on loopback).
// Needs the workspace built (pnpm -r build) and qemu (the VM part), /usr/bin/aws (the peer).
// Usage: node bench/libreswan.mjs [runs=3] [--routes-only]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const runs = Number(process.argv.slice(2).find((x) => /^\d+$/.test(x)) ?? 3);
const routesOnly = process.argv.includes('--routes-only');
const root = fileURLToPath(new URL('..', import.meta.url));
const load = (p) => import(pathToFileURL(join(root, p)).href);
const { startLab, vmExec, labSkipReason } = await load('packages/vmlab/dist/index.js');
const { createTestContext } = await load('packages/testing/dist/index.js');
const kit = (await load('kits/libreswan/dist/index.js')).default;

// ------------------------------------------------------------------ decision -> routes (emulator)
{
  const { startEmulator } = await load('packages/aws-emulator/dist/index.js');
  const { ec2ChildSpec } = await load('kits/libreswan/dist/index.js');
  const bin = join(root, 'packages/runner/bin/kit-runner.js');
  const region = 'ap-northeast-1';
  const ids = {
    vpc: 'vpc-0000000000000a000',
    rtb: 'rtb-0000000000000a000',
    lkPA: { instance: 'i-00000000000000a01', eni: 'eni-00000000000000a01' },
    vpnPA: { instance: 'i-00000000000000a02', eni: 'eni-00000000000000a02' },
    vpnPB: { instance: 'i-00000000000000a03', eni: 'eni-00000000000000a03' },
  };
  const remote = ['10.2.0.0/16', '172.16.0.0/16'];
  const seed = {
    regions: {
      [region]: {
        vpcs: [{ vpcId: ids.vpc, cidrBlock: '10.0.0.0/16' }],
        subnets: [
          { subnetId: 'subnet-00000000000000a01', vpcId: ids.vpc, cidrBlock: '10.0.0.0/24', availabilityZone: `${region}a` },
          { subnetId: 'subnet-00000000000000a02', vpcId: ids.vpc, cidrBlock: '10.0.10.0/24', availabilityZone: `${region}c` },
        ],
        instances: [
          { instanceId: ids.lkPA.instance, subnetId: 'subnet-00000000000000a01', privateIpAddress: '10.0.0.20', networkInterfaceId: ids.lkPA.eni },
          {
            instanceId: ids.vpnPA.instance,
            subnetId: 'subnet-00000000000000a01',
            privateIpAddress: '10.0.0.5',
            networkInterfaceId: ids.vpnPA.eni,
            sourceDestCheck: false,
          },
          {
            instanceId: ids.vpnPB.instance,
            subnetId: 'subnet-00000000000000a02',
            privateIpAddress: '10.0.10.5',
            networkInterfaceId: ids.vpnPB.eni,
            sourceDestCheck: false,
          },
        ],
        routeTables: [
          {
            routeTableId: ids.rtb,
            vpcId: ids.vpc,
            main: true,
            routes: [
              { destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-00000000000000a01' },
              { destinationCidrBlock: '10.1.0.10/32', networkInterfaceId: ids.lkPA.eni },
              ...remote.map((d) => ({ destinationCidrBlock: d, networkInterfaceId: ids.vpnPA.eni })),
            ],
          },
        ],
      },
    },
  };
  const emu = await startEmulator();
  const work = mkdtempSync(join(tmpdir(), 'rk-bench-vpn-'));
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const atB = () => {
    const t = emu.state.ec2(region).routeTables.get(ids.rtb);
    return remote.every(
      (d) => t.routes.find((r) => r.destinationCidrBlock === d && r.origin !== 'EnableVgwRoutePropagation')?.networkInterfaceId === ids.vpnPB.eni,
    );
  };
  /** Spawns a process; resolves with its wall time and the time the routes first pointed at VPN_P_B (sampled every 5 ms). */
  const timed = (file, args, env) =>
    new Promise((resolve, reject) => {
      const t0 = performance.now();
      let routesMs;
      const sampler = setInterval(() => {
        if (routesMs === undefined && atB()) routesMs = performance.now() - t0;
      }, 5);
      const c = spawn(file, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
      let err = '';
      c.stderr.on('data', (d) => (err += d));
      c.on('error', reject);
      c.on('close', (code) => {
        clearInterval(sampler);
        const ms = performance.now() - t0;
        if (routesMs === undefined && atB()) routesMs = ms;
        if (code !== 0) reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${err.slice(-400)}`));
        else resolve({ ms, routesMs });
      });
    });
  const calls = () => {
    const by = emu.calls.byAction();
    return {
      ec2: Object.fromEntries(Object.entries(by).filter(([k]) => !k.startsWith('IMDS:'))),
      imds: Object.entries(by)
        .filter(([k]) => k.startsWith('IMDS:'))
        .reduce((s, [, v]) => s + v, 0),
    };
  };
  const child = ec2ChildSpec('vpn', remote, { routeTables: [], vpcId: undefined });
  const optArgs = Object.entries(child.options).flatMap(([k, v]) => ['--opt', `${k}=${Array.isArray(v) ? v.join(',') : v}`]);
  const ours = { wall: [], routes: [] };
  const peer = { wall: [], routes: [] };
  let ourCalls;
  let peerCalls;
  try {
    for (let i = 0; i < runs; i++) {
      emu.reset();
      await emu.seed(seed);
      const base = {
        ...process.env,
        KIT_RUNNER_STATE_DIR: join(work, `state-${i}`),
        KIT_RUNNER_TUNABLES: join(work, 'none.conf'),
        KIT_RUNNER_KITS_DIR: join(root, 'kits'),
      };
      const envA = { ...base, ...emu.env({ instanceId: ids.vpnPA.instance }), KIT_RUNNER_NODE: 'vpn-p-a' };
      const envB = { ...base, ...emu.env({ instanceId: ids.vpnPB.instance }), KIT_RUNNER_NODE: 'vpn-p-b', KIT_RUNNER_STATE_DIR: join(work, `state-b-${i}`) };
      // The child as the tunnel resource's create makes it, in each node's store (file mode: one store per host).
      for (const env of [envA, envB]) await timed(process.execPath, [bin, 'create', 'ec2', '--tag', child.tag, ...optArgs], env);
      await timed(process.execPath, [bin, 'action', child.tag, 'restore'], envA);
      if (atB()) throw new Error('routes at VPN_P_B before the switch');
      emu.calls.reset();
      const r = await timed(process.execPath, [bin, 'action', child.tag, 'restore'], envB);
      if (!atB()) throw new Error('routes not at VPN_P_B after the standby restore');
      ourCalls = calls();
      ours.wall.push(r.ms);
      ours.routes.push(r.routesMs);
      // The peer: the NAT monitor script's takeover, one `aws ec2 replace-route` per route.
      if (existsSync('/usr/bin/aws')) {
        emu.reset();
        await emu.seed(seed);
        emu.calls.reset();
        const cliEnv = {
          PATH: process.env.PATH,
          HOME: work,
          AWS_ACCESS_KEY_ID: 'AKIDEXAMPLE',
          AWS_SECRET_ACCESS_KEY: 'emulator-secret',
          AWS_DEFAULT_REGION: region,
          AWS_EC2_METADATA_DISABLED: 'true',
          AWS_CONFIG_FILE: join(work, 'none'),
          AWS_SHARED_CREDENTIALS_FILE: join(work, 'none'),
        };
        const t0 = performance.now();
        let last;
        for (const d of remote)
          last = await timed(
            '/usr/bin/aws',
            [
              '--endpoint-url',
              emu.endpoint,
              'ec2',
              'replace-route',
              '--route-table-id',
              ids.rtb,
              '--destination-cidr-block',
              d,
              '--network-interface-id',
              ids.vpnPB.eni,
            ],
            cliEnv,
          );
        const total = performance.now() - t0;
        if (!atB()) throw new Error('aws ec2 replace-route left a route behind');
        peer.wall.push(total);
        peer.routes.push(total - last.ms + last.routesMs);
        peerCalls = calls();
      }
    }
  } finally {
    await emu.stop();
    rmSync(work, { recursive: true, force: true });
  }
  const s = (xs) => `${(median(xs) / 1000).toFixed(2)} s (min ${(Math.min(...xs) / 1000).toFixed(2)}, max ${(Math.max(...xs) / 1000).toFixed(2)})`;
  const loadAvg = spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.split(' ').slice(0, 3).join(' ');
  console.log(`decision -> routes at the standby VPN node (AWS emulator, ${runs} runs, ${new Date().toISOString()}, load ${loadAvg}):`);
  console.log(
    `  ours: kit-runner action vpn-ec2 restore on VPN_P_B: routes switched after ${s(ours.routes)}, process ${s(ours.wall)}; calls ${JSON.stringify(ourCalls)}`,
  );
  if (peer.wall.length)
    console.log(
      `  peer: aws ec2 replace-route x${remote.length} (NAT monitor script's takeover): routes switched after ${s(peer.routes)}, processes ${s(peer.wall)}; calls ${JSON.stringify(peerCalls)}`,
    );
  else console.log('  peer: /usr/bin/aws is missing (apt-get install awscli)');
}
if (routesOnly) process.exit(0);

const skip = labSkipReason();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const PSK = 'bench-only-psk-0123456789abcdef0123';
const conf = (auto) =>
  `config setup\n\tlogfile=/var/log/pluto.log\nconn vpn1\n\ttype=tunnel\n\tauthby=secret\n\tikev2=yes\n\tleft=192.0.2.1\n\tleftid=192.0.2.1\n\tleftsubnet=10.0.0.0/16\n\tleftsourceip=10.0.0.5\n\tright=192.0.2.2\n\trightid=192.0.2.2\n\trightsubnet=172.16.0.0/16\n\trightsourceip=172.16.0.5\n\tauto=${auto}\n`;
const t0 = Date.now();
const lab = await startLab({ vms: [{ name: 'east' }, { name: 'west' }], links: [['east', 'west']] });
const boot = Date.now() - t0;
const { east, west } = lab.vms;
const ctx = (action) => {
  const base = createTestContext(kit, {
    tag: 'vpn',
    action,
    options: { connection: 'vpn1', daemonStart: '/usr/libexec/ipsec/pluto --config /etc/ipsec.conf' },
    timeoutMs: 150_000,
    tunables: { OPENSWAN_UP_WAIT: 20 },
  });
  return { ...base, exec: vmExec({ vm: east, deadline: base.deadline }) };
};
const timed = async (action) => {
  const c = ctx(action);
  const t = Date.now();
  try {
    const value = await kit.actions[action](c);
    return { ms: Date.now() - t, value };
  } finally {
    c.dispose();
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [vm, pub, local, auto] of [
    [east, '192.0.2.1', '10.0.0.5', 'start'],
    [west, '192.0.2.2', '172.16.0.5', 'add'],
  ]) {
    await vm.sh(
      `ip link set eth0 up && ip addr add ${pub}/24 dev eth0 && ip link add lan0 type dummy && ip link set lan0 up && ip addr add ${local}/32 dev lan0`,
    );
    await vm.writeFile('/etc/ipsec.conf', conf(auto));
    await vm.writeFile('/etc/ipsec.secrets', `192.0.2.1 192.0.2.2 : PSK "${PSK}"\n`, '0600');
    await vm.check(['ipsec', 'initnss']);
  }
  await west.check(['/usr/libexec/ipsec/pluto', '--config', '/etc/ipsec.conf']);
  const restore = await timed('restore');
  const results = {
    'healthy quickCheck': [],
    'detect: pluto killed': [],
    'recover: pluto killed': [],
    'detect: peer traffic dropped': [],
    'recover: peer back': [],
    'anchor: pluto killed': [],
    'anchor: peer traffic dropped': [],
    'VM round trip (true)': [],
  };
  /** The anchor's detection (the AWS VPN/NAT monitor script: 3 pings, 1 s timeout), run in the same VM. */
  const anchorPing = async () => {
    const t = Date.now();
    const r = await east.run(['ping', '-n', '-q', '-c', '3', '-W', '1', '-I', '10.0.0.5', '172.16.0.5']);
    return { ms: Date.now() - t, detected: r.exitCode !== 0 };
  };
  const anchorDetected = {};
  const breaks = {
    'pluto killed': { brk: () => east.sh('kill -9 $(pidof pluto)'), fix: async () => undefined },
    'peer traffic dropped': {
      brk: () =>
        east.check(['nft', '-f', '-'], { input: 'table inet rkb {\n chain input { type filter hook input priority 0; ip saddr 192.0.2.2 drop; }\n}\n' }),
      fix: () => east.check(['nft', 'delete', 'table', 'inet', 'rkb']),
    },
  };
  for (let i = 0; i < runs; i++) {
    const ok = await timed('quickCheck');
    if (ok.value.status !== 'ok') throw new Error(`quickCheck not ok: ${ok.value.reason}`);
    results['healthy quickCheck'].push(ok.ms);
    const rt = Date.now();
    await east.run(['true']);
    results['VM round trip (true)'].push(Date.now() - rt);
    for (const [name, b] of Object.entries(breaks)) {
      const t = Date.now();
      await b.brk();
      const q = await timed('quickCheck');
      if (q.value.status !== 'failed') throw new Error(`${name}: quickCheck did not fail`);
      results[`detect: ${name}`].push(Date.now() - t);
      const p = await anchorPing();
      results[`anchor: ${name}`].push(p.ms);
      anchorDetected[name] = [...(anchorDetected[name] ?? []), p.detected];
      await b.fix();
      const r = await timed('recover');
      results[name === 'pluto killed' ? 'recover: pluto killed' : 'recover: peer back'].push(r.ms);
    }
  }
  console.log(
    `libreswan kit in the VM lab: ${runs} runs, ${new Date().toISOString()}, image ${lab.image.key}, boot of 2 VMs ${(boot / 1000).toFixed(1)} s, first restore ${(restore.ms / 1000).toFixed(1)} s`,
  );
  for (const [k, xs] of Object.entries(results))
    console.log(
      `${k.padEnd(32)} median ${(median(xs) / 1000).toFixed(1)} s  (min ${(Math.min(...xs) / 1000).toFixed(1)}, max ${(Math.max(...xs) / 1000).toFixed(1)})${k.startsWith('anchor: ') ? `  pings failed (detected): ${JSON.stringify(anchorDetected[k.slice(8)])}` : ''}`,
    );
  console.log(`load average at the end: ${spawnSync('cat', ['/proc/loadavg'], { encoding: 'utf8' }).stdout.trim()}`);
} finally {
  await lab.stop();
}
