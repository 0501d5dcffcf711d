#!/usr/bin/env node
// Demo: a virtual IP and the VPC routes for it following the active node, on the local AWS emulator.
//
//   node scripts/demo-aws.mjs        (after `pnpm -r build`; as root for the real IP resource)
//
// Two nodes: node-a = instance node1 in us-east-1a, node-b = instance node2 in us-east-1b, one VPC
// (the EC2 kit manual's layout). Each kit-runner process gets the emulator's env for its node's
// instance (its own IMDSv2 endpoint, the instance role's credentials). As root, the IP resource
// lives in two network namespaces this demo creates (one per node) and removes at the end;
// otherwise the EC2 resource protects the address through its `destinations` option (a stand-in).
// Nothing contacts a real AWS endpoint or 169.254.169.254.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const { startEmulator, twoAzLayout } = await import(pathToFileURL(join(root, 'packages/aws-emulator/dist/index.js')).href);

const say = (text) => process.stdout.write(`\n== ${text}\n`);
const isRoot = process.getuid?.() === 0;
const haveIp = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
const useNetns = isRoot && haveIp;
const tag = `rkdemo-${process.pid}`;
const ns = { 'node-a': `${tag}-a`, 'node-b': `${tag}-b` };

const { seed, ids } = twoAzLayout();
const emu = await startEmulator({ seed });
const work = mkdtempSync(join(tmpdir(), 'rk-demo-aws-'));
const tunables = join(work, 'recovery-kit.conf');
writeFileSync(tunables, 'NOBCASTPING=1\nIP_WAIT_LINKDOWN=0\n');
const envOf = (node) => ({
  ...process.env,
  ...emu.env({ instanceId: node === 'node-a' ? ids.instances.node1 : ids.instances.node2 }),
  KIT_RUNNER_STATE_DIR: join(work, 'state'),
  KIT_RUNNER_TUNABLES: tunables,
  KIT_RUNNER_KITS_DIR: join(root, 'kits'),
  KIT_RUNNER_NODE: node,
});

function kr(args, node = 'node-a') {
  process.stdout.write(`$ kit-runner ${args.join(' ')}${node === 'node-a' ? '' : `    # on ${node}`}\n`);
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [bin, ...args], { env: envOf(node), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => {
      process.stdout.write(out.replace(/^/gm, '    '));
      if (code !== 0) reject(new Error(`kit-runner ${args.join(' ')} exited ${code}`));
      else resolve(out);
    });
  });
}

function printTables(title) {
  say(title);
  for (const t of emu.state.ec2(ids.region).routeTables.values()) {
    process.stdout.write(`  ${t.routeTableId} (${t.tags?.Name ?? ''})\n`);
    for (const r of t.routes) {
      const target = r.networkInterfaceId ?? r.gatewayId ?? r.natGatewayId ?? r.instanceId ?? '?';
      const who = target === ids.enis.node1 ? '  <- node-a' : target === ids.enis.node2 ? '  <- node-b' : '';
      process.stdout.write(`    ${(r.destinationCidrBlock ?? r.destinationIpv6CidrBlock).padEnd(16)} -> ${target}${who}\n`);
    }
  }
}

const ip = (...args) => spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
let failed = false;
try {
  say(
    `AWS emulator at ${emu.endpoint}; node-a = ${ids.instances.node1} (${ids.availabilityZones[0]}, ${ids.enis.node1}), node-b = ${ids.instances.node2} (${ids.availabilityZones[1]}, ${ids.enis.node2})`,
  );
  if (useNetns) {
    for (const n of Object.values(ns)) {
      // eth1: one end of a veth pair whose other end (eth1p) stays in the namespace, so the link is up.
      const okNs =
        ip('netns', 'add', n) &&
        ip('-n', n, 'link', 'set', 'lo', 'up') &&
        ip('-n', n, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p') &&
        ip('-n', n, 'link', 'set', 'eth1p', 'up') &&
        ip('-n', n, 'link', 'set', 'eth1', 'up');
      if (!okNs) throw new Error(`cannot set up network namespace ${n}`);
    }
    say(`IP resource ${ids.overlayCidr} on eth1 in network namespaces ${ns['node-a']} (node-a) and ${ns['node-b']} (node-b)`);
    await kr(['create', 'ip', '--tag', 'vip', '--opt', `address=${ids.overlayCidr}`, '--opt', 'device=eth1', '--opt', `netns=${ns['node-a']}`]);
    await kr(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', `netns=${ns['node-b']}`]);
    say('EC2 resource (route-table scenario) over the IP resource');
    await kr(['create', 'ec2', '--tag', 'ec2-vip', '--opt', 'scenario=route-table', '--opt', 'ipResource=vip']);
  } else {
    say(
      `not running as root (or no "ip netns"): no network namespaces, so no IP resource; the EC2 resource protects ${ids.overlayCidr} through its destinations option instead (a stand-in)`,
    );
    await kr(['create', 'ec2', '--tag', 'ec2-vip', '--opt', 'scenario=route-table', '--opt', `destinations=${ids.overlayCidr}`]);
  }
  await kr(['extend', 'ec2-vip', '--server', 'node-b', '--priority', '2']);
  say('in service on node-a');
  await kr(['action', 'ec2-vip', 'restore']);
  await kr(['status']);
  printTables('route tables before the switchover');
  say('switchover to node-b');
  await kr(['action', 'ec2-vip', 'restore', '--node', 'node-b'], 'node-b');
  printTables('route tables after the switchover (only the routes for the protected address changed)');
  await kr(['action', 'ec2-vip', 'quickCheck', '--node', 'node-b'], 'node-b');
  await kr(['status', '--node', 'node-b'], 'node-b');
  const moved = [ids.routeTables.privateA, ids.routeTables.privateB].every(
    (t) =>
      emu.state
        .ec2(ids.region)
        .routeTables.get(t)
        .routes.find((r) => r.destinationCidrBlock === ids.overlayCidr).networkInterfaceId === ids.enis.node2,
  );
  if (!moved) throw new Error('the routes did not move to node-b');
  say(`AWS calls made: ${JSON.stringify(emu.calls.byAction())}`);
  say('cleaning up');
  await kr(['action', 'ec2-vip', 'remove', '--node', 'node-b'], 'node-b');
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${err.message}\n`);
} finally {
  if (useNetns) for (const n of Object.values(ns)) ip('netns', 'del', n);
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(failed ? '\ndemo failed\n' : '\ndemo finished: everything it created is removed\n');
process.exitCode = failed ? 1 : 0;
