/**
 * The IP kit through the real, built `kit-runner` (createSandbox), two nodes played by network
 * namespaces on one bridged link, a third namespace as the client (see topology.ts).
 * Needs root; skipped with a message elsewhere. The bad-input tests need no root.
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createSandbox, type Sandbox } from '@recovery-kit/testing';
import { canListenArp, canRunNetns, createTopology, netnsSkipReason, until, type Topology } from './topology.ts';

const KITS = fileURLToPath(new URL('../..', import.meta.url));
const built = existsSync(fileURLToPath(new URL('../dist/index.js', import.meta.url)));

beforeAll(() => {
  if (!built) throw new Error('kits/ip is not built: run "pnpm --filter @recovery-kit/kit-ip build" (pnpm test builds first)');
});

function stateOf(sb: Sandbox, tag: string, node: string): { state: string; reason: string } {
  const data = JSON.parse(sb.storeBytes()) as { resources: Record<string, { servers: Record<string, { state: string; reason: string }> }> };
  return data.resources[tag]!.servers[node]!;
}

const FAMILIES = [
  { name: 'IPv4', vip: '192.0.2.100/24', bare: '192.0.2.100' },
  { name: 'IPv6', vip: 'fd00:db8:1::100/64', bare: 'fd00:db8:1::100' },
] as const;

describe.skipIf(!canRunNetns)(`ip kit through kit-runner in network namespaces (needs root${canRunNetns ? '' : `: skipped, ${netnsSkipReason}`})`, () => {
  let topo: Topology;
  let sb: Sandbox;
  beforeEach(() => {
    topo = createTopology();
    sb = createSandbox({ kitsDirs: [KITS], tunables: { NOBCASTPING: 1, IP_WAIT_LINKDOWN: 0 } });
  });
  afterEach(() => {
    topo?.destroy();
    sb?.cleanup();
  });
  const rk = (args: string[], node = 'node-a') => sb.run(args, { node });
  const ok = async (args: string[], node = 'node-a') => {
    const r = await rk(args, node);
    expect(r.exitCode, `kit-runner ${args.join(' ')} --node ${node}\n${r.stdout}\n${r.stderr}`).toBe(0);
    return r;
  };
  const holds = (ns: string, bare: string) => topo.addrs(ns).includes(bare);
  const setup = async (vip: string, extra: string[] = []) => {
    await ok(['create', 'ip', '--tag', 'vip', '--opt', `address=${vip}`, '--opt', `netns=${topo.a}`, ...extra]);
    await ok(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', `netns=${topo.b}`]);
  };

  for (const f of FAMILIES) {
    it(`${f.name}: moves the address from node A to node B; it answers from B, A no longer holds it, the client's neighbour cache follows`, async () => {
      await setup(f.vip, ['--opt', `pingList=${f.name === 'IPv4' ? '192.0.2.3' : 'fd00:db8:1::3'}`]);
      await ok(['action', 'vip', 'restore']);
      expect(holds(topo.a, f.bare)).toBe(true);
      expect(topo.pingFromC(f.bare)).toBe(true);
      expect(topo.neighbourMac(f.bare)).toBe(topo.mac(topo.a, 'va'));
      await ok(['action', 'vip', 'quickCheck']);

      const move = await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
      expect(move.stderr).toMatch(/remove vip on node-a: ok/);
      expect(holds(topo.a, f.bare)).toBe(false);
      expect(holds(topo.b, f.bare)).toBe(true);
      // The announcement (gratuitous ARP / unsolicited NA) already pointed the client at B.
      expect(topo.neighbourMac(f.bare)).toBe(topo.mac(topo.b, 'vb'));
      expect(topo.pingFromC(f.bare)).toBe(true);
      expect(topo.neighbourMac(f.bare)).toBe(topo.mac(topo.b, 'vb'));
      expect(stateOf(sb, 'vip', 'node-b').state).toBe('ISP');
      expect(stateOf(sb, 'vip', 'node-a').state).toBe('OSU');
      await ok(['action', 'vip', 'quickCheck', '--node', 'node-b'], 'node-b');
      expect((await rk(['action', 'vip', 'quickCheck', '--node', 'node-a'])).exitCode).toBe(7);

      // Idempotent: restore again on B, remove twice.
      const again = await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
      expect(again.stderr).toMatch(/already in service/);
      await ok(['action', 'vip', 'remove', '--node', 'node-b'], 'node-b');
      await ok(['action', 'vip', 'remove', '--node', 'node-b', '--force'], 'node-b');
      expect(holds(topo.b, f.bare)).toBe(false);
      expect(topo.pingFromC(f.bare)).toBe(false);
    });

    it(`${f.name}: duplicate address detection refuses restore on B while A holds the address (exit 1, OSF)`, async () => {
      await setup(f.vip);
      // Someone configured the address on A by hand, behind the cluster's back.
      topo.ip(topo.a, 'addr', 'add', f.vip, 'dev', 'va', ...(f.name === 'IPv6' ? ['nodad'] : []));
      const r = await rk(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
      expect(r.exitCode, r.stderr).toBe(1);
      expect(r.stderr).toMatch(new RegExp(`${f.bare.replace(/\./g, '\\.')} is already in use on the link of vb`));
      expect(r.stderr).toMatch(f.name === 'IPv4' ? /arping -D/ : /dadfailed/);
      expect(stateOf(sb, 'vip', 'node-b').state).toBe('OSF');
      expect(holds(topo.b, f.bare)).toBe(false);
      expect(holds(topo.a, f.bare)).toBe(true);
      expect(topo.neighbourMac(f.bare) ?? topo.mac(topo.a, 'va')).toBe(topo.mac(topo.a, 'va'));
      // With NOIPUNIQUE=1 the operator takes responsibility: restore proceeds (IPv4).
      if (f.name === 'IPv4') {
        sb.setTunables({ NOBCASTPING: 1, NOIPUNIQUE: 1 });
        await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
        expect(holds(topo.b, f.bare)).toBe(true);
      }
    });

    it(`${f.name}: link down makes quickCheck fail and recover bring it back`, async () => {
      await setup(f.vip);
      await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
      topo.ip(topo.b, 'link', 'set', 'vb', 'down');
      const qc = await rk(['action', 'vip', 'quickCheck', '--node', 'node-b'], 'node-b');
      expect(qc.exitCode, qc.stdout + qc.stderr).toBe(7);
      expect(qc.stdout).toMatch(/administratively down|not configured/);
      await ok(['action', 'vip', 'recover', '--node', 'node-b'], 'node-b');
      expect(holds(topo.b, f.bare)).toBe(true);
      await ok(['action', 'vip', 'quickCheck', '--node', 'node-b'], 'node-b');
      expect(await until(() => topo.pingFromC(f.bare), 8000)).toBe(true);
      expect(stateOf(sb, 'vip', 'node-b').state).toBe('ISP');
    });
  }

  it.skipIf(!canListenArp)(
    "IPv4 move: the first gratuitous ARP has left when restore returns, the address answers at once, all IP_ARP_COUNT packets go out although kit-runner exits first, and remove ends the old node's",
    async () => {
      const bare = '192.0.2.100';
      sb.setTunables({ NOBCASTPING: 1, IP_WAIT_LINKDOWN: 0, NOIPUNIQUE: 1, IP_ARP_COUNT: 3 });
      await setup(`${bare}/24`);
      const [macA, macB] = [topo.mac(topo.a, 'va'), topo.mac(topo.b, 'vb')];
      const arp = topo.listenArp(topo.c, 'br0');
      const garps = (mac: string) => arp.packets().filter((p) => p.op === 1 && p.senderIp === bare && p.targetIp === bare && p.senderMac === mac);
      try {
        await arp.ready;
        await ok(['action', 'vip', 'restore']);
        expect(topo.pingFromC(bare)).toBe(true);
        expect(topo.neighbourMac(bare)).toBe(macA);
        // A's arping still has packets to send (one a second) when the address moves to B.
        expect(garps(macA).length).toBeLessThan(3);
        await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
        const ended = Date.now();
        // The client already points at B (no ARP resolution needed) and B answers the first ping.
        expect(topo.neighbourMac(bare)).toBe(macB);
        const ping = topo.run(topo.c, 'ping', '-n', '-c', '1', '-W', '1', bare);
        const answeredMs = Date.now() - ended;
        expect(ping.status, ping.stdout + ping.stderr).toBe(0);
        // arping -U -c 3 sends one a second; kit-runner has exited after the first.
        expect(await until(() => garps(macB).length >= 3, 4000)).toBe(true);
        await new Promise((r) => setTimeout(r, 300));
        const fromB = garps(macB);
        expect(fromB).toHaveLength(3);
        expect(fromB[0]!.at).toBeLessThanOrEqual(ended);
        // None from A once B had taken over: A's remove ended A's arping.
        expect(garps(macA).filter((p) => p.at >= fromB[0]!.at)).toEqual([]);
        expect(topo.neighbourMac(bare)).toBe(macB);
        console.log(
          `[kit-ip] first gratuitous ARP ${Math.round(ended - fromB[0]!.at)} ms before restore's end; ping answered ${answeredMs} ms after it; packets at ${fromB.map((p) => Math.round(p.at - fromB[0]!.at)).join(', ')} ms; ${garps(macA).length} from A before the move`,
        );
      } finally {
        arp.stop();
      }
    },
  );

  it('no carrier: recover bounces the link, fails after IP_MAX_LINKCHK checks (OSF), succeeds once the carrier is back', async () => {
    await setup('192.0.2.100/24');
    await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
    topo.ip(topo.c, 'link', 'set', 'cb', 'down'); // the "switch port" goes away: vb loses carrier
    const qc = await rk(['action', 'vip', 'quickCheck', '--node', 'node-b'], 'node-b');
    expect(qc.exitCode).toBe(7);
    expect(qc.stdout).toMatch(/no carrier/);
    sb.setTunables({ NOBCASTPING: 1, IP_WAIT_LINKDOWN: 0, IP_MAX_LINKCHK: 2 });
    const bad = await rk(['action', 'vip', 'recover', '--node', 'node-b'], 'node-b');
    expect(bad.exitCode, bad.stderr).toBe(1);
    expect(bad.stderr).toMatch(/no carrier.*checking 2 time/);
    expect(stateOf(sb, 'vip', 'node-b').state).toBe('OSF');
    // IP_NOLINKCHECK=1: the link state is not looked at.
    sb.setTunables({ NOBCASTPING: 1, IP_NOLINKCHECK: 1 });
    await ok(['action', 'vip', 'quickCheck', '--node', 'node-b'], 'node-b');
    sb.setTunables({ NOBCASTPING: 1, IP_WAIT_LINKDOWN: 0 });
    topo.ip(topo.c, 'link', 'set', 'cb', 'up');
    await ok(['action', 'vip', 'recover', '--node', 'node-b'], 'node-b');
    expect(stateOf(sb, 'vip', 'node-b').state).toBe('ISP');
    expect(await until(() => topo.pingFromC('192.0.2.100'), 8000)).toBe(true);
  });

  it('per-server address: node B gets its own address (10.1.0.10/32 vs 10.2.0.10/32 style) and the info records it', async () => {
    topo.ip(topo.a, 'addr', 'add', '198.51.100.1/24', 'dev', 'va');
    topo.ip(topo.b, 'addr', 'add', '203.0.113.1/24', 'dev', 'vb');
    await ok(['create', 'ip', '--tag', 'vip', '--opt', 'address=198.51.100.10/32', '--opt', 'device=va', '--opt', `netns=${topo.a}`]);
    await ok(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', 'address=203.0.113.10/32', '--opt', 'device=vb', '--opt', `netns=${topo.b}`]);
    const data = JSON.parse(sb.storeBytes()) as {
      resources: Record<
        string,
        { options: Record<string, unknown>; servers: Record<string, { overrides: Record<string, unknown>; info: Record<string, unknown> }> }
      >;
    };
    const r = data.resources.vip!;
    expect(r.options.address).toBe('198.51.100.10/32');
    expect(r.servers['node-a']!.info).toMatchObject({ address: '198.51.100.10', prefix: 32, family: 4, device: 'va' });
    expect(r.servers['node-b']!.overrides.address).toBe('203.0.113.10/32');
    expect(r.servers['node-b']!.info).toMatchObject({ address: '203.0.113.10', prefix: 32, family: 4, device: 'vb' });
    await ok(['action', 'vip', 'restore']);
    expect(holds(topo.a, '198.51.100.10')).toBe(true);
    await ok(['action', 'vip', 'restore', '--node', 'node-b'], 'node-b');
    expect(holds(topo.a, '198.51.100.10')).toBe(false);
    expect(holds(topo.b, '203.0.113.10')).toBe(true);
    expect(holds(topo.b, '198.51.100.10')).toBe(false);
  });

  it('device found from the routing table (findif) per server, recorded in info', async () => {
    await setup('192.0.2.100/24');
    const data = JSON.parse(sb.storeBytes()) as {
      resources: Record<string, { options: Record<string, unknown>; servers: Record<string, { info: Record<string, unknown> }> }>;
    };
    expect(data.resources.vip!.options.device).toBeUndefined();
    expect(data.resources.vip!.servers['node-a']!.info.device).toBe('va');
    expect(data.resources.vip!.servers['node-b']!.info.device).toBe('vb');
    // An address outside every connected subnet (a VPC overlay IP) needs the device.
    const r = await rk(['create', 'ip', '--tag', 'overlay', '--opt', 'address=10.1.0.10/32', '--opt', `netns=${topo.a}`]);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toMatch(/no directly connected route covers 10\.1\.0\.10\/32/);
  });

  it('bringup / bringdown (ExpressCluster clpaws_vipctl): add, idempotent, delete, alias form, duplicate refused', async () => {
    const ns = ['--netns', topo.b];
    let r = await ok(['ip', 'bringup', '-d', 'vb', '-i', '192.0.2.50/24', ...ns, '--json']);
    expect(r.json).toMatchObject({ ok: true, changed: true, address: '192.0.2.50', prefix: 24, device: 'vb' });
    expect(topo.pingFromC('192.0.2.50')).toBe(true);
    r = await ok(['ip', 'bringup', '-d', 'vb', '-i', '192.0.2.50/24', ...ns, '--json']);
    expect(r.json).toMatchObject({ ok: true, changed: false });
    r = await ok(['ip', 'bringdown', '-d', 'vb', '-i', '192.0.2.50', ...ns]);
    expect(r.stdout).toMatch(/deleted 192\.0\.2\.50\/24 from vb/);
    expect(holds(topo.b, '192.0.2.50')).toBe(false);
    r = await ok(['ip', 'bringdown', '-d', 'vb', '-i', '192.0.2.50', ...ns, '--json']);
    expect(r.json).toMatchObject({ ok: true, changed: false });

    // Linux ExpressCluster style: the VIP on a loopback alias, brought down by the alias alone.
    r = await ok(['ip', 'bringup', '-d', 'lo:0', '-i', '198.51.100.20', ...ns]);
    expect(r.stdout).toMatch(/added 198\.51\.100\.20\/32 to lo \(label lo:0\)/);
    expect(topo.ip(topo.b, 'addr', 'show', 'dev', 'lo')).toMatch(/198\.51\.100\.20\/32 scope global lo:0/);
    r = await ok(['ip', 'bringdown', '-d', 'lo:0', ...ns, '--json']);
    expect(r.json).toMatchObject({ ok: true, changed: true, removed: [{ address: '198.51.100.20', prefix: 32, device: 'lo' }] });
    expect(holds(topo.b, '198.51.100.20')).toBe(false);

    const whole = await rk(['ip', 'bringdown', '-d', 'vb', ...ns]);
    expect(whole.exitCode).toBe(2);
    expect(whole.stderr).toMatch(/without -i/);

    topo.ip(topo.a, 'addr', 'add', '192.0.2.60/24', 'dev', 'va');
    const dup = await rk(['ip', 'bringup', '-d', 'vb', '-i', '192.0.2.60/24', ...ns]);
    expect(dup.exitCode).toBe(1);
    expect(dup.stderr).toMatch(/already in use/);
    expect(holds(topo.b, '192.0.2.60')).toBe(false);

    const v6 = await ok(['ip', 'bringup', '-d', 'vb', '-i', 'fd00:db8:1::50/64', ...ns, '--json']);
    expect(v6.json).toMatchObject({ changed: true, family: 6 });
    expect(topo.pingFromC('fd00:db8:1::50')).toBe(true);
  });
});

describe.skipIf(!built)('bad input is refused at create time (exit 6, store unchanged)', () => {
  let sb: Sandbox;
  beforeEach(async () => {
    sb = createSandbox({ kitsDirs: [KITS], tunables: { NOIPUNIQUE: 1 } });
    // One valid resource first, so "unchanged" means something. Read-only on the host: it only looks up lo.
    const r = await sb.run(['create', 'ip', '--tag', 'ok', '--opt', 'address=198.51.100.7/32', '--opt', 'device=lo']);
    expect(r.exitCode, r.stderr).toBe(0);
  });
  afterEach(() => sb?.cleanup());

  const cases: Array<[string, string[], RegExp]> = [
    ['not an address', ['address=not-an-ip'], /address: "not-an-ip" is not an IPv4 or IPv6 address/],
    ['no prefix', ['address=192.0.2.10'], /has no prefix length/],
    ['IPv4 prefix out of range', ['address=192.0.2.10/33'], /prefix \/33 is out of range/],
    ['IPv6 prefix out of range', ['address=fd00::10/129'], /prefix \/129 is out of range/],
    ['network address', ['address=192.0.2.0/24'], /is the network address of 192\.0\.2\.0\/24/],
    ['multicast', ['address=ff02::10/64'], /multicast/],
    ['invalid device name', ['address=192.0.2.10/32', 'device=eth0;reboot'], /device: .* is not a valid network interface name/],
    ['unknown device', ['address=192.0.2.10/32', 'device=nosuchdev0'], /device nosuchdev0 does not exist/],
    ['unknown network namespace', ['address=192.0.2.10/32', 'device=lo', 'netns=rk-no-such-ns-0'], /network namespace "rk-no-such-ns-0" does not exist/],
    ['label on IPv6', ['address=fd00::10/64', 'device=lo', 'label=lo:1'], /IPv6 addresses have no labels/],
    ['ping target of the other family', ['address=192.0.2.10/32', 'device=lo', 'pingList=fd00::1'], /not of the address family/],
    ['unknown option', ['address=192.0.2.10/32', 'devcie=lo'], /did you mean "device"/],
  ];
  for (const [name, opts, message] of cases) {
    it(name, async () => {
      const before = sb.storeBytes();
      const r = await sb.run(['create', 'ip', '--tag', 'bad', ...opts.flatMap((o) => ['--opt', o])]);
      expect(r.exitCode, r.stderr).toBe(6);
      expect(r.stderr).toMatch(message);
      expect(sb.storeBytes()).toBe(before);
    });
  }

  it('a bad address at extend is refused too (exit 6)', async () => {
    const before = sb.storeBytes();
    const r = await sb.run(['extend', 'ok', '--server', 'node-b', '--priority', '2', '--opt', 'address=10.2.0.10/40']);
    expect(r.exitCode).toBe(6);
    expect(r.stderr).toMatch(/prefix \/40 is out of range/);
    expect(sb.storeBytes()).toBe(before);
  });

  it('bringup with a malformed address is a usage error (exit 2)', async () => {
    const r = await sb.run(['ip', 'bringup', '-d', 'lo', '-i', '300.1.2.3/32']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/-i: .* is not an IPv4 or IPv6 address/);
  });
});
