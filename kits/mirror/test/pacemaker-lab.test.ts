/**
 * The mirror kit as a promotable clone on real DRBD under real Pacemaker, in two lab VMs a and b
 * (one cable, 192.0.2.1/.2: DRBD's replication and corosync's ring both run over it), each with a
 * 32 MiB /dev/vdb for r0. The mirror is created and fully synced with the kit's own actions (run
 * here, commands in the VMs), then taken down; Pacemaker (vmlab's startPacemaker: corosync
 * `two_node`, stonith-enabled=false, no fence device in VMs) runs `ocf:recovery-kit:mirror`,
 * installed in both VMs with `kit-runner ocf install` (the project and the host's Node.js over
 * 9p). Pacemaker starts both instances as Secondary, promotes one from the promotion scores the
 * agent publishes (crm_attribute --promotion), data is written there, the promoted role is moved
 * to the other node (crm_resource --move --promoted): Pacemaker demotes the first (Secondary,
 * unmounted), promotes the second, and the data is read back there. Last, DRBD's fence-peer
 * handler with this cluster (fencing resource-only, cibClone: `crm-fence-peer.sh --master-id`):
 * DRBD's port cut (corosync stays up), the constraint appears in the CIB and the gate on the
 * other node refuses naming it; healed, the resync ends and crm-unfence-peer removes it.
 *
 * Why stonith-enabled=false is enough here: a switchover between two connected, healthy nodes
 * never needs fencing (the gate allows a node whose peer is connected and Secondary). A lost
 * peer is a different matter: without a fence device the cluster never confirms it fenced, and
 * the gate refuses the promotion (lab.test.ts covers that path with kit-runner).
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '@recovery-kit/testing';
import { labSkipReason, startLab, startPacemaker, vmExec, type Lab, type PcmkState, type Vm, type VmCluster } from '@recovery-kit/vmlab';
import kit from '../src/index.ts';
import { commands } from '../src/actions.ts';
import type { Report } from '../src/mirror.ts';

const skip = labSkipReason();
if (skip) console.warn(`mirror Pacemaker lab tests skipped: ${skip}`);

const PROJECT = fileURLToPath(new URL('../../..', import.meta.url));
const OPTIONS = {
  resource: 'r0',
  nodes: 'a=192.0.2.1,b=192.0.2.2',
  disk: '/dev/vdb',
  mountPoint: '/srv/data',
  protocol: 'C',
  fencing: 'resource-only',
  cibClone: 'mirror-clone',
};
const TUNABLES = { MIRROR_CONNECT_WAIT: 60, MIRROR_SYNC_RATE: '100M' };
const times: Record<string, number> = {};

/** The clone in the CIB, written by hand here in the shape `kit-runner cluster apply` writes for a kit with roles (cluster/cib-clone.ts). */
const nv = (id: string, name: string, value: string) => `<nvpair id="${id}-${name}" name="${name}" value="${value}"/>`;
const CLONE = `<clone id="mirror-clone">
  <meta_attributes id="mirror-clone-meta">
    ${[
      ['promotable', 'true'],
      ['promoted-max', '1'],
      ['promoted-node-max', '1'],
      ['clone-max', '2'],
      ['clone-node-max', '1'],
      ['notify', 'false'],
    ]
      .map(([k, v]) => nv('mirror-clone-meta', k!, v!))
      .join('\n    ')}
  </meta_attributes>
  <primitive id="mirror" class="ocf" provider="recovery-kit" type="mirror">
    <instance_attributes id="mirror-ia">
      ${Object.entries(OPTIONS)
        .map(([k, v]) => nv('mirror-ia', k, v))
        .join('\n      ')}
    </instance_attributes>
    <operations>
      <op id="mirror-monitor-promoted" name="monitor" interval="29s" role="Promoted" timeout="180s"/>
      <op id="mirror-monitor-unpromoted" name="monitor" interval="31s" role="Unpromoted" timeout="180s"/>
      <op id="mirror-start" name="start" interval="0" timeout="300s"/>
      <op id="mirror-promote" name="promote" interval="0" timeout="300s"/>
      <op id="mirror-demote" name="demote" interval="0" timeout="240s"/>
      <op id="mirror-stop" name="stop" interval="0" timeout="240s"/>
    </operations>
  </primitive>
</clone>`;

/** The role of the clone's instance on each node ('Promoted', 'Unpromoted'...), from crm_mon. */
const roles = (s: PcmkState) => Object.fromEntries(s.resources.filter((r) => r.id === 'mirror' && r.node).map((r) => [r.node!, r.role]));

describe.skipIf(skip !== undefined)('the mirror as a promotable clone under Pacemaker (DRBD 8.4, two VMs)', () => {
  let lab: Lab;
  let a: Vm;
  let b: Vm;
  let cluster: VmCluster;

  const act = async (vm: Vm, name: 'create' | 'extend' | 'status') => {
    console.log(`${new Date().toISOString()} ${vm.name}: ${name}`);
    const base = createTestContext(kit, { tag: 'data', action: name, server: vm.name, options: OPTIONS, timeoutMs: 400_000, tunables: TUNABLES });
    const c = { ...base, exec: vmExec({ vm, deadline: base.deadline, logger: base.logger }) };
    try {
      return name === 'status' ? ((await commands.status.run(c, [])) as Report) : await kit.actions[name]!(c);
    } catch (err) {
      throw new Error(`${name} on ${vm.name}: ${(err as Error).message}\n${base.logs.map((l) => l.message).join('\n')}`);
    } finally {
      base.dispose();
    }
  };
  const events = async (vm: Vm) => (await vm.check(['drbdsetup', 'events2', '--now', '--statistics', 'r0'])).stdout;
  const mounted = async (vm: Vm) => (await vm.run(['findmnt', '-n', '/srv/data'])).exitCode === 0;
  /** The promotion score the agent published on each node (crm_mon's node attributes). */
  const scores = async () => {
    const xml = (await a.check(['crm_mon', '--one-shot', '--output-as=xml', '--show-node-attributes'], { timeoutSec: 60 })).stdout;
    const part = /<node_attributes>([\s\S]*?)<\/node_attributes>/.exec(xml)?.[1] ?? '';
    const out: Record<string, string> = {};
    for (const m of part.matchAll(/<node name="([^"]+)">([\s\S]*?)<\/node>/g)) {
      const v = /<attribute name="master-mirror" value="([^"]*)"/.exec(m[2]!)?.[1];
      if (v !== undefined) out[m[1]!] = v;
    }
    return out;
  };
  const until = async (what: string, ok: () => Promise<boolean>, ms: number) => {
    const end = Date.now() + ms;
    while (!(await ok())) {
      if (Date.now() > end) throw new Error(`${what}: not after ${ms / 1000} s; crm_mon:\n${(await cluster.state()).xml}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };

  beforeAll(async () => {
    const shares = [
      { host: PROJECT, guest: '/mnt/project', readonly: true },
      { host: dirname(process.execPath), guest: '/mnt/hostbin', readonly: true },
    ];
    lab = await startLab({
      vms: [
        { name: 'a', disksMiB: [32], shares, memoryMiB: 768 },
        { name: 'b', disksMiB: [32], shares, memoryMiB: 768 },
      ],
      links: [['a', 'b']],
      log: (l) => console.log(l),
    });
    a = lab.vms.a!;
    b = lab.vms.b!;
    for (const [vm, ip, peer] of [
      [a, '192.0.2.1', 'b'],
      [b, '192.0.2.2', 'a'],
    ] as const)
      await vm.sh(`ip link set ${lab.nic(vm.name, peer)} up && ip addr add ${ip}/24 dev ${lab.nic(vm.name, peer)}`);
    times.boot = lab.bootMs;
    const t = Date.now();
    cluster = await startPacemaker({
      nodes: [
        { vm: a, addr: '192.0.2.1' },
        { vm: b, addr: '192.0.2.2' },
      ],
      log: (l) => console.log(l),
    });
    times.clusterUp = Date.now() - t;
  }, 1_500_000);
  afterAll(async () => {
    await lab?.stop();
    console.log(`mirror Pacemaker lab times (ms): ${JSON.stringify(times)}`);
  });

  it('forms a two-node cluster over the lab link: a DC, both nodes online, quorum (two_node), no stonith', async () => {
    const s = await cluster.state(b);
    expect(s.dc).toMatch(/^[ab]$/);
    expect(s.quorum).toBe(true);
    expect(s.online.sort()).toEqual(['a', 'b']);
    expect((await a.check(['crm_attribute', '--type', 'crm_config', '--name', 'stonith-enabled', '--query', '--quiet'])).stdout.trim()).toBe('false');
    expect((await b.check(['corosync-quorumtool', '-s'])).stdout).toMatch(/Flags:.*2Node/);
  }, 300_000);

  it('creates and syncs the mirror with the kit, takes it down, installs the agent with kit-runner ocf install in both VMs', async () => {
    const t = Date.now();
    await act(a, 'create');
    await act(b, 'extend');
    await until('r0 in sync', async () => /peer-disk:UpToDate/.test(await events(b)) && /disk:UpToDate/.test(await events(b)), 600_000);
    times.createAndSync32MiB = Date.now() - t;
    await a.sh('drbdadm secondary r0 && drbdadm down r0');
    await b.sh('drbdadm down r0');
    for (const vm of [a, b]) {
      await vm.writeFile('/etc/rk-lab.conf', 'MIRROR_CONNECT_WAIT=60\nMIRROR_SYNC_RATE=100M\n');
      // Only the mirror kit in the kits directory: install loads every kit it finds (slow under TCG).
      await vm.sh('mkdir -p /opt/rk-kits && ln -sfn /mnt/project/kits/mirror /opt/rk-kits/mirror');
      const t1 = Date.now();
      const r = await vm.run(
        [
          'env',
          'KIT_RUNNER_KITS_DIR=/opt/rk-kits',
          'KIT_RUNNER_TUNABLES=/etc/rk-lab.conf',
          '/mnt/hostbin/node',
          '/mnt/project/packages/runner/bin/kit-runner.js',
          'ocf',
          'install',
        ],
        { timeoutSec: 600 },
      );
      times[`ocfInstall(${vm.name})`] = Date.now() - t1;
      expect(r.exitCode, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/installed \/usr\/lib\/ocf\/resource.d\/recovery-kit\/mirror/);
      expect((await vm.check(['/usr/lib/ocf/resource.d/recovery-kit/mirror', 'meta-data'], { timeoutSec: 300 })).stdout).toMatch(/<action name="promote"/);
    }
  }, 1_200_000);

  it('Pacemaker starts the clone as Secondary on both nodes and promotes one from the published scores: Primary, mounted', async () => {
    // Probes and meta-data use the defaults: Node.js alone takes 10-15 s to start in a TCG guest.
    await a.check(['crm_attribute', '--type', 'op_defaults', '--name', 'timeout', '--update', '240s'], { timeoutSec: 120 });
    const t = Date.now();
    await cluster.cib(['--create', '--scope', 'resources'], CLONE);
    const s = await cluster.waitFor(
      'mirror promoted on one node, unpromoted on the other',
      (x) => {
        const r = roles(x);
        return Object.values(r).sort().join() === 'Promoted,Unpromoted';
      },
      900_000,
    );
    times.pacemakerStartAndPromote = Date.now() - t;
    // Where the time went: each operation's run and queue times (crm_mon's timing details).
    console.log((await a.run(['crm_mon', '--one-shot', '--operations', '--timing-details'], { timeoutSec: 60 })).stdout);
    const r = roles(s);
    const p = r.a === 'Promoted' ? a : b;
    const q = p === a ? b : a;
    expect(await events(p)).toMatch(/role:Primary/);
    expect(await mounted(p)).toBe(true);
    expect(await events(q)).toMatch(/role:Secondary/);
    expect(await mounted(q)).toBe(false);
    // The promoted node's score is 10000 (UpToDate, Primary); the other's is removed at its next
    // monitor (connected to a live Primary: not a candidate).
    await until(
      'scores 10000 on the promoted node, none on the other',
      async () => {
        const sc = await scores();
        return sc[p.name] === '10000' && sc[q.name] === undefined;
      },
      300_000,
    );
    expect(s.resources.some((x) => x.failed)).toBe(false);
  }, 1_200_000);

  it('moves the promoted role (crm_resource --move --promoted): Pacemaker demotes the first (Secondary, unmounted), promotes the other, the data is there', async () => {
    const p = roles(await cluster.state()).a === 'Promoted' ? a : b;
    const q = p === a ? b : a;
    await p.sh(
      'dd if=/dev/urandom of=/srv/data/blob bs=1M count=4 status=none && sha256sum /srv/data/blob > /srv/data/blob.sha && echo hello-from-$(uname -n) > /srv/data/note && sync',
    );
    const sum = (await p.check(['sha256sum', '/srv/data/blob'])).stdout.split(' ')[0];
    const t = Date.now();
    await a.check(['crm_resource', '--move', '--resource', 'mirror-clone', '--promoted', '--node', q.name], { timeoutSec: 120 });
    await cluster.waitFor(`mirror promoted on ${q.name}`, (x) => roles(x)[q.name] === 'Promoted' && roles(x)[p.name] === 'Unpromoted', 900_000);
    await until(`/srv/data mounted on ${q.name}`, () => mounted(q), 120_000);
    times.pacemakerSwitchover = Date.now() - t;
    expect(await events(p)).toMatch(/role:Secondary/);
    expect(await mounted(p)).toBe(false);
    expect(await events(q)).toMatch(/role:Primary/);
    expect((await q.check(['cat', '/srv/data/note'])).stdout).toBe(`hello-from-${p.name}\n`);
    expect((await q.check(['sha256sum', '/srv/data/blob'])).stdout.split(' ')[0]).toBe(sum);
    await a.check(['crm_resource', '--clear', '--resource', 'mirror-clone'], { timeoutSec: 120 });
    const s = await cluster.state();
    expect(s.resources.some((x) => x.failed)).toBe(false);
  }, 1_200_000);

  it("DRBD's fence-peer handler with this cluster: the replication link cut, the constraint placed and reported by the gate; healed and resynced, crm-unfence-peer removes it", async () => {
    const q = roles(await cluster.state()).a === 'Promoted' ? a : b;
    const p = q === a ? b : a;
    const constraints = async () => (await a.check(['cibadmin', '--query', '--scope', 'constraints'], { timeoutSec: 120 })).stdout;
    const ID = 'drbd-fence-by-handler-r0-mirror-clone';
    // Only DRBD's port: corosync (UDP 5405) keeps the cluster whole over the same cable.
    const rules = ['INPUT -p tcp --dport 7789', 'INPUT -p tcp --sport 7789', 'OUTPUT -p tcp --dport 7789', 'OUTPUT -p tcp --sport 7789'];
    await q.sh(rules.map((r) => `iptables -A ${r} -j DROP`).join(' && '));
    const t = Date.now();
    await until(`fence constraint ${ID} in the CIB`, async () => (await constraints()).includes(ID), 300_000);
    times.fenceConstraintPlaced = Date.now() - t;
    expect(await constraints()).toMatch(new RegExp(`<expression[^>]*attribute="#uname"[^>]*operation="ne"[^>]*value="${q.name}"`));
    // The primary keeps writing (resource-only does not freeze I/O); the gate on the other node names the constraint.
    await q.sh('echo written-while-cut > /srv/data/cut && sync');
    const rep = (await act(p, 'status')) as Report;
    expect(rep.promotion.allowed).toBe(false);
    expect(rep.promotion.refusals.join('\n')).toMatch(new RegExp(`fence constraint ${ID} allows promotion only on ${q.name}, not on ${p.name}`));
    expect(roles(await cluster.state())[q.name]).toBe('Promoted');
    // Healed: DRBD reconnects, p resyncs as target, its after-resync-target handler removes the constraint.
    await q.sh(rules.map((r) => `iptables -D ${r} -j DROP`).join(' && '));
    const t2 = Date.now();
    await until(`fence constraint ${ID} removed`, async () => !(await constraints()).includes(ID), 600_000);
    times.fenceConstraintCleared = Date.now() - t2;
    await until('r0 in sync again', async () => /peer-disk:UpToDate/.test(await events(q)) && /replication:Established/.test(await events(q)), 300_000);
    const after = (await act(p, 'status')) as Report;
    expect(after.problems).toEqual([]);
    expect(roles(await cluster.state())[q.name]).toBe('Promoted');
  }, 1_200_000);
});
