/**
 * The EC2 kit through the real, built `kit-runner` (createSandbox): each run plays a node with the
 * emulator's env for that node's instance (its own IMDS listener, the instance role's credentials),
 * `--node node-a` / `node-b`. The route-table hierarchy uses a real IP child in network namespaces
 * (needs root; skipped with a message elsewhere). Nothing contacts a non-loopback address.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { createSandbox, type RunResult, type Sandbox } from '@recovery-kit/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { canRunNetns, createTopology, netnsSkipReason, type Topology } from '../../ip/test/topology.ts';
import { addressOf, cloneResource, eniOf, hermetic, manyTables, routeMap } from './fixtures.ts';

hermetic();
// Each kit-runner process loads the AWS SDK (about 1-2 s on a busy machine); a test runs up to ~20 of them.
vi.setConfig({ testTimeout: 240_000 });
const KITS = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)));
const { seed, ids } = twoAzLayout();
let emu: Emulator;
let sb: Sandbox;

beforeAll(async () => {
  if (!built) throw new Error('kits/ec2 is not built: run "pnpm --filter @recovery-kit/aws --filter @recovery-kit/kit-ec2 build" (pnpm test builds first)');
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  emu.reset();
  await emu.seed(seed);
  sb = createSandbox({ kitsDirs: [KITS], tunables: { NOBCASTPING: 1, IP_WAIT_LINKDOWN: 0, EC2_VERIFY_TIMEOUT: 5 } });
});
afterEach(() => sb?.cleanup());

/** The env of a kit-runner process on node-a (node1's instance) or node-b (node2's). */
const envOf = (node: 'node-a' | 'node-b', instance = node === 'node-a' ? ids.instances.node1 : ids.instances.node2) => emu.env({ instanceId: instance });
const rk = (args: string[], node: 'node-a' | 'node-b' = 'node-a', env: Record<string, string> = envOf(node)) => sb.run(args, { node, env });
const show = (r: RunResult, args: string[]) => `kit-runner ${args.join(' ')}\nexit ${r.exitCode}\n${r.stdout}\n${r.stderr}`;
async function ok(args: string[], node: 'node-a' | 'node-b' = 'node-a', env?: Record<string, string>) {
  const r = await rk(args, node, env);
  expect(r.exitCode, show(r, args)).toBe(0);
  return r;
}
const stateOf = (tag: string, node: string) =>
  (JSON.parse(sb.storeBytes()) as { resources: Record<string, { servers: Record<string, { state: string }> }> }).resources[tag]!.servers[node]!.state;
const printTables = (title: string) => {
  const m = routeMap(emu);
  console.log(
    `${title}\n${Object.entries(m)
      .map(
        ([t, r]) =>
          `  ${t}: ${Object.entries(r)
            .map(([d, x]) => `${d} -> ${x}`)
            .join(', ')}`,
      )
      .join('\n')}`,
  );
};

describe.skipIf(!canRunNetns)(
  `route-table scenario with a real IP child in network namespaces (needs root${canRunNetns ? '' : `: skipped, ${netnsSkipReason}`})`,
  () => {
    let topo: Topology;
    beforeEach(() => {
      topo = createTopology();
    });
    afterEach(() => topo?.destroy());

    it('switchover node-a -> node-b moves the address and re-points every VPC route for it; nothing else changes; idempotent', async () => {
      await ok(['create', 'ip', '--tag', 'vip', '--opt', `address=${ids.overlayCidr}`, '--opt', 'device=va', '--opt', `netns=${topo.a}`]);
      await ok(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', 'device=vb', '--opt', `netns=${topo.b}`]);
      await ok(['create', 'ec2', '--tag', 'ec2-vip', '--opt', 'scenario=route-table', '--opt', 'ipResource=vip']);
      await ok(['extend', 'ec2-vip', '--server', 'node-b', '--priority', '2']);
      await ok(['action', 'ec2-vip', 'restore']);
      expect(topo.addrs(topo.a)).toContain(ids.overlayIp);
      await ok(['action', 'ec2-vip', 'quickCheck']);
      const before = routeMap(emu);
      printTables('route tables before the switchover');

      const sw = await ok(['action', 'ec2-vip', 'restore', '--node', 'node-b'], 'node-b');
      printTables('route tables after the switchover');
      const after = routeMap(emu);
      for (const t of [ids.routeTables.privateA, ids.routeTables.privateB]) {
        expect(after[t]![ids.overlayCidr]).toBe(ids.enis.node2);
        expect({ ...after[t], [ids.overlayCidr]: 'x' }).toEqual({ ...before[t], [ids.overlayCidr]: 'x' });
      }
      expect(after[ids.routeTables.public]).toEqual(before[ids.routeTables.public]);
      expect(eniOf(emu, ids.enis.node2).sourceDestCheck).toBe(false);
      expect(topo.addrs(topo.a)).not.toContain(ids.overlayIp);
      expect(topo.addrs(topo.b)).toContain(ids.overlayIp);
      expect(stateOf('ec2-vip', 'node-b')).toBe('ISP');
      expect(stateOf('ec2-vip', 'node-a')).toBe('OSU');
      expect(sw.stderr).not.toMatch(/NodeVersionSupportWarning|MaxListeners/);
      await ok(['action', 'ec2-vip', 'quickCheck', '--node', 'node-b'], 'node-b');
      const mon = await ok(['monitor', '--once', '--json', '--node', 'node-b'], 'node-b');
      expect((mon.json as { outcomes: Array<{ tag: string; result: string }> }).outcomes.map((o) => o.result)).toEqual(['ok', 'ok']);

      // Idempotency through the runner: restore again (already in service), remove twice.
      emu.calls.reset();
      await ok(['action', 'ec2-vip', 'restore', '--node', 'node-b'], 'node-b');
      await ok(['action', 'ec2-vip', 'remove', '--node', 'node-b'], 'node-b');
      await ok(['action', 'ec2-vip', 'remove', '--node', 'node-b', '--force'], 'node-b');
      expect(emu.calls.count('ReplaceRoute')).toBe(0);
      expect(routeMap(emu)[ids.routeTables.privateA]![ids.overlayCidr]).toBe(ids.enis.node2); // remove changes nothing in AWS
      // Back to node-a.
      await ok(['action', 'ec2-vip', 'restore'], 'node-a');
      expect(routeMap(emu)[ids.routeTables.privateB]![ids.overlayCidr]).toBe(ids.enis.node1);
    });

    it('recover after someone re-pointed a route: quickCheck exit 7, recover fixes only that route', async () => {
      await ok(['create', 'ip', '--tag', 'vip', '--opt', `address=${ids.overlayCidr}`, '--opt', 'device=va', '--opt', `netns=${topo.a}`]);
      await ok(['create', 'ec2', '--tag', 'ec2-vip', '--opt', 'scenario=route-table', '--opt', 'ipResource=vip', '--restore']);
      emu.state
        .ec2(ids.region)
        .routeTables.get(ids.routeTables.privateB)!
        .routes.find((r) => r.destinationCidrBlock === ids.overlayCidr)!.networkInterfaceId = ids.enis.node2;
      const qc = await rk(['action', 'ec2-vip', 'quickCheck']);
      expect(qc.exitCode, show(qc, ['quickCheck'])).toBe(7);
      expect(qc.stdout + qc.stderr).toContain(`${ids.routeTables.privateB}: ${ids.overlayCidr} -> ${ids.enis.node2}`);
      emu.calls.reset();
      await ok(['monitor', '--once']);
      expect(emu.calls.count('ReplaceRoute')).toBe(1);
      expect(routeMap(emu)[ids.routeTables.privateB]![ids.overlayCidr]).toBe(ids.enis.node1);
    });
  },
);

describe('through kit-runner (no root needed)', () => {
  it('elastic-ip: switchover moves the EIP to node-b; the peer remove disassociates from node-a; quickCheck; remove twice', async () => {
    await ok(['create', 'ec2', '--tag', 'eip', '--opt', 'scenario=elastic-ip', '--opt', `allocationId=${ids.allocationId}`]);
    await ok(['extend', 'eip', '--server', 'node-b', '--priority', '2']);
    await ok(['action', 'eip', 'restore']);
    expect(addressOf(emu, ids.allocationId).networkInterfaceId).toBe(ids.enis.node1);
    await ok(['action', 'eip', 'restore', '--node', 'node-b'], 'node-b');
    expect(addressOf(emu, ids.allocationId).networkInterfaceId).toBe(ids.enis.node2);
    expect(emu.calls.count('DisassociateAddress')).toBe(1); // node-a's association was taken down first
    await ok(['action', 'eip', 'quickCheck', '--node', 'node-b'], 'node-b');
    expect((await rk(['action', 'eip', 'quickCheck'], 'node-a')).exitCode).toBe(7);
    await ok(['action', 'eip', 'remove', '--node', 'node-b'], 'node-b');
    await ok(['action', 'eip', 'remove', '--node', 'node-b', '--force'], 'node-b');
    expect(addressOf(emu, ids.allocationId).associationId).toBeUndefined();
  });

  it('route-table with destinations (the cross-region VPN case), extended with per-server options', async () => {
    await ok([
      'create',
      'ec2',
      '--tag',
      'vpn-routes',
      '--opt',
      'scenario=route-table',
      '--opt',
      `destinations=${ids.overlayCidr},10.2.0.0/16`,
      '--opt',
      'createMissing=true',
    ]);
    await ok(['extend', 'vpn-routes', '--server', 'node-b', '--priority', '2', '--opt', `eni=${ids.enis.node2}`, '--opt', `region=${ids.region}`]);
    await ok(['action', 'vpn-routes', 'restore', '--node', 'node-b'], 'node-b');
    expect(routeMap(emu)[ids.routeTables.privateA]![ids.overlayCidr]).toBe(ids.enis.node2);
    expect(routeMap(emu)[ids.routeTables.privateA]!['10.2.0.0/16']).toBe(ids.enis.node2); // created in the main table
  });

  it('bad input is rejected at create with exit 6 and nothing is stored', async () => {
    const bad = [
      ['--opt', 'scenario=route-table', '--opt', 'destinations=10.1.0.300/32'],
      ['--opt', 'scenario=route-table', '--opt', 'routeTables=rtb-nothex'],
      ['--opt', 'scenario=route-table', '--opt', 'vpcId=vpc-1'],
      ['--opt', 'scenario=route-table', '--opt', 'eni=eni-zz'],
      ['--opt', 'scenario=elastic-ip', '--opt', 'allocationId=eipalloc-1'],
      ['--opt', 'scenario=elastic-ip'],
    ];
    for (const b of bad) {
      const r = await rk(['create', 'ec2', '--tag', 'bad', ...b]);
      expect(r.exitCode, show(r, b)).toBe(6);
    }
    // Well formed but unknown in AWS: also exit 6, with the id.
    const r = await rk(['create', 'ec2', '--tag', 'bad', '--opt', 'scenario=route-table', '--opt', 'routeTables=rtb-0123456789abcdef0']);
    expect(r.exitCode, show(r, [])).toBe(6);
    expect(r.stderr).toMatch(/rtb-0123456789abcdef0/);
    expect(sb.storeBytes()).not.toMatch(/"bad"/);
  });

  it('one-shot commands: replace-route, associate-eip, disassociate-eip, check-az', async () => {
    const rr = await ok(['ec2', 'replace-route', '--vpc', ids.vpcId, '--cidr', ids.overlayCidr, '--eni', ids.enis.node2, '--json']);
    const j = rr.json as { ok: boolean; changed: unknown[]; routes: Array<{ target: string }> };
    expect(j.ok).toBe(true);
    expect(j.changed).toHaveLength(2);
    expect(j.routes.every((x) => x.target === ids.enis.node2)).toBe(true);
    const again = await ok([
      'ec2',
      'replace-route',
      '--route-table',
      ids.routeTables.privateA,
      '--route-table',
      ids.routeTables.privateB,
      '--cidr',
      ids.overlayCidr,
      '--eni',
      ids.enis.node2,
    ]);
    expect(again.stdout).toMatch(/0 routes changed, 2 already pointed/);
    expect((await rk(['ec2', 'replace-route', '--route-table', ids.routeTables.public, '--cidr', ids.overlayCidr, '--eni', ids.enis.node1])).exitCode).toBe(1); // no such route
    expect((await rk(['ec2', 'replace-route', '--vpc', ids.vpcId, '--cidr', '10.1.0.10/33', '--eni', ids.enis.node1])).exitCode).toBe(6);
    expect((await rk(['ec2', 'replace-route', '--vpc', ids.vpcId, '--cidr', ids.overlayCidr, '--eni', 'eni-0123456789abcdef0'])).exitCode).toBe(6);
    expect((await rk(['ec2', 'replace-route', '--cidr', ids.overlayCidr, '--eni', ids.enis.node1])).exitCode).toBe(2);

    const as = await ok(['ec2', 'associate-eip', '--allocation-id', ids.allocationId, '--eni', ids.enis.node2]);
    expect(as.stdout).toMatch(new RegExp(`associated with ${ids.enis.node2} \\(was on ${ids.enis.node1}\\)`));
    expect(addressOf(emu, ids.allocationId).networkInterfaceId).toBe(ids.enis.node2);
    const dis = await ok(['ec2', 'disassociate-eip', '--allocation-id', ids.allocationId, '--json']);
    expect(dis.json).toMatchObject({ ok: true, disassociated: true, from: ids.enis.node2 });
    expect((await ok(['ec2', 'disassociate-eip', '--allocation-id', ids.allocationId])).stdout).toMatch(/was not associated/);
    expect((await rk(['ec2', 'associate-eip', '--allocation-id', 'eipalloc-0123456789abcdef0', '--eni', ids.enis.node2])).exitCode).toBe(6);

    expect((await ok(['ec2', 'check-az', '--az', ids.availabilityZones[0]])).stdout).toMatch(/is available/);
    emu.state.ec2(ids.region).availabilityZones.find((z) => z.zoneName === ids.availabilityZones[1])!.state = 'impaired';
    const bad = await rk(['ec2', 'check-az', '--az', ids.availabilityZones[1]]);
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toMatch(/is impaired/);
    expect((await rk(['ec2', 'check-az', '--az', 'us-east-1z'])).exitCode).toBe(6);
    emu.faults.unauthorized('DescribeAvailabilityZones', { count: 1 });
    const denied = await rk(['ec2', 'check-az', '--az', ids.availabilityZones[0]]);
    expect(denied.exitCode).toBe(4);
    expect(denied.stderr).toMatch(/ec2:DescribeAvailabilityZones/);
  });

  it('associate-eip --private-ip with an address that is not on the ENI is refused (exit 6) before anything changes, without polling', async () => {
    const before = JSON.stringify(emu.dump());
    emu.calls.reset();
    for (const extra of [[], ['--disassociate-others']]) {
      const r = await rk(['ec2', 'associate-eip', '--allocation-id', ids.allocationId, '--eni', ids.enis.node2, '--private-ip', '10.0.99.99', ...extra]);
      expect(r.exitCode, show(r, extra)).toBe(6);
      expect(r.stderr).toMatch(/10\.0\.99\.99 is not a private address of eni-/);
      expect(r.stderr).toMatch(/--private-ip/);
    }
    expect(JSON.stringify(emu.dump())).toBe(before);
    expect(emu.calls.count('AssociateAddress')).toBe(0);
    expect(emu.calls.count('DisassociateAddress')).toBe(0);
    // One read of the allocation per try: no verification loop.
    expect(emu.calls.count('DescribeAddresses')).toBeLessThanOrEqual(3);
    // An address that is on the ENI still works.
    const good = await ok([
      'ec2',
      'associate-eip',
      '--allocation-id',
      ids.allocationId,
      '--eni',
      ids.enis.node2,
      '--private-ip',
      ids.privateIps.node2,
      '--json',
    ]);
    expect(good.json).toMatchObject({ ok: true, associated: true });
    expect(addressOf(emu, ids.allocationId)).toMatchObject({ networkInterfaceId: ids.enis.node2, privateIpAddress: ids.privateIps.node2 });
  });

  it('monitor: 30 route-table resources in one VPC cost one DescribeRouteTables and one DescribeNetworkInterfaces per round', async () => {
    const m = manyTables(3, { overlays: Array.from({ length: 30 }, (_, i) => `10.1.1.${i + 1}/32`) });
    emu.reset();
    await emu.seed(m.seed);
    const env = emu.env({ instanceId: m.ids.node1.instance });
    await ok(['create', 'ec2', '--tag', 'rt', '--opt', 'scenario=route-table', '--opt', 'destinations=10.1.1.1/32', '--restore'], 'node-a', env);
    cloneResource(join(sb.stateDir, 'store.json'), 'rt', 29, (i) => ({ destinations: [`10.1.1.${i + 2}/32`] }));
    emu.calls.reset();
    const mon = await ok(['monitor', '--once', '--json'], 'node-a', env);
    expect((mon.json as { outcomes: Array<{ result: string }> }).outcomes.filter((o) => o.result === 'ok')).toHaveLength(30);
    expect(emu.calls.count('DescribeRouteTables')).toBe(1);
    expect(emu.calls.count('DescribeNetworkInterfaces')).toBe(1);
  });
});
