/**
 * Seed 000's failover table with real Libreswan 4.10 and the real kit-runner in three lab VMs
 * (test/lab/three-nodes.ts), both VPN nodes on their own connection to the remote VPN node
 * `west`: the active node `act` runs `kit-runner monitor --once` (quickCheck, recover, the
 * table); so does the standby `stb`, where the resource is not in service and the monitor runs
 * the kit's `health` command instead (check, local recovery). When the active node's local recovery fails, its
 * `standbyHealth` command asks the standby over the VPC link: the lab has no ssh, so a small
 * service on stb (test/lab/health-service.mjs) runs exactly `kit-runner action vpn health
 * --json` there per connection, and act's command is a bash /dev/tcp client. The four cases are
 * made by really breaking the nodes: pluto killed (its restart works), the remote's traffic
 * dropped by nftables on a node (its recovery cannot work).
 *
 * The route tables: the VMs cannot reach the host's AWS emulator (the lab's cables join VMs
 * only), so the failover decision is taken in the VMs and the EC2 child's restore for the
 * standby then runs here, on the emulator, as VPN_P_B (seed 000 transition 1 -> 2).
 */
import { hermeticAwsEnv } from '@recovery-kit/aws-emulator';
import { labSkipReason, type Lab, type Vm } from '@recovery-kit/vmlab';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ec2ChildSpec } from '../src/index.ts';
import { ec2Lab, ids } from './aws-seed.ts';
import { HEALTH_PORT, NODES, PLUTO, REMOTE, dropRemote, kitRunner, kitRunnerArgv, startVpnLab, stateOn } from './lab/three-nodes.ts';

hermeticAwsEnv();
const skip = labSkipReason();
if (skip) console.warn(`libreswan failover lab tests skipped: ${skip}`);

// Emulated VMs: an IKEv2 exchange takes seconds, a failing `up` waits OPENSWAN_UP_WAIT; a
// recover that asks the standby (a kit-runner start there, 14 s, and its own recovery) needs
// more than the 120 s default.
const TUNABLES = [
  'OPENSWAN_UP_WAIT=25',
  'OPENSWAN_PING_TIMEOUT=3',
  'OPENSWAN_CHECK_TRY_COUNT=1',
  'OPENSWAN_CHECK_INTERVAL=0',
  'OPENSWAN_RECOVER_TIMEOUT=400',
  'OPENSWAN_QUICKCHECK_TIMEOUT=200',
  'ADMIN_TIMEOUT=300',
  'ESCALATION_COMMAND=/usr/local/sbin/rk-escalate',
];
const ESCALATE = '#!/bin/sh\nprintf "%s %s: %s\\n" "$KIT_RUNNER_NODE" "$KIT_RUNNER_TAG" "$KIT_RUNNER_REASON" >> /var/log/rk-escalations\n';
const STANDBY_HEALTH = `/bin/bash -c "exec 3<>/dev/tcp/${NODES.stb.lan}/${HEALTH_PORT} && cat <&3"`;
const times: Record<string, number> = {};

interface Outcome {
  tag: string;
  result: string;
  reason?: string;
  escalated?: boolean;
  health?: string;
}

describe.skipIf(skip !== undefined)("seed 000's failover table in the VM lab (Libreswan 4.10, three VMs, kit-runner on both VPN nodes)", () => {
  let lab: Lab;
  let act: Vm;
  let stb: Vm;

  const timed = async <T>(name: string, p: Promise<T>): Promise<T> => {
    const t = Date.now();
    try {
      return await p;
    } finally {
      times[name] = Date.now() - t;
    }
  };
  /** One round of the active node's monitor. */
  const monitor = async (name: string) => {
    const m = await timed(name, kitRunner(act, ['monitor', '--once', '--json']));
    // Exit 7 when a resource failed (docs/reference/kit-runner.md), 0 otherwise.
    expect([0, 7], m.stderr).toContain(m.exitCode);
    return { exitCode: m.exitCode, outcome: (JSON.parse(m.stdout) as { outcomes: Outcome[] }).outcomes[0]!, stderr: m.stderr };
  };
  /** The standby's own recurring check: its monitor runs the kit's health for the resource not in service there. */
  const health = async (name: string) => {
    const h = await timed(name, kitRunner(stb, ['monitor', '--once', '--json']));
    // A failed health on the standby is not a failed pass (no escalation there).
    expect(h.exitCode, h.stderr).toBe(0);
    const o = (JSON.parse(h.stdout) as { outcomes: Outcome[] }).outcomes;
    expect(o).toHaveLength(1);
    expect(o[0]).toMatchObject({ tag: 'vpn', result: 'standby' });
    return { health: o[0]!.health, detail: o[0]!.reason ?? '' };
  };
  const killPluto = (vm: Vm) => vm.sh('kill -9 $(pidof pluto)');
  const escalations = async () => (await act.run(['cat', '/var/log/rk-escalations'])).stdout;

  beforeAll(async () => {
    lab = await timed(
      'boot and configure',
      startVpnLab((l) => console.log(l)),
    );
    times.boot = lab.bootMs;
    act = lab.vms.act!;
    stb = lab.vms.stb!;
    const opts = (vm: Vm) => [
      '--opt',
      'connection=vpn1',
      '--opt',
      `daemonStart=${PLUTO.join(' ')}`,
      ...(vm === act ? ['--opt', `standbyHealth=${STANDBY_HEALTH}`] : []),
    ];
    const prepare = async (vm: Vm) => {
      await vm.writeFile('/etc/rk-lab.conf', `${TUNABLES.join('\n')}\n`);
      // The active node restores it at once (pluto, the tunnel, in service); the standby only carries it.
      const c = await kitRunner(vm, ['create', 'libreswan', '--tag', 'vpn', ...opts(vm), ...(vm === act ? ['--restore'] : [])]);
      expect(c.exitCode, c.stderr).toBe(0);
    };
    const active = async () => {
      await act.writeFile('/usr/local/sbin/rk-escalate', ESCALATE, '0755');
      await prepare(act);
    };
    const standby = async () => {
      await prepare(stb);
      // The standby keeps its own tunnel up (auto=start), not in service there.
      await stb.check(PLUTO);
      const argv = kitRunnerArgv('stb', ['action', 'vpn', 'health', '--json']);
      const service = ['/mnt/hostbin/node', '/mnt/project/kits/libreswan/test/lab/health-service.mjs', NODES.stb.lan, String(HEALTH_PORT), '--', ...argv];
      await stb.sh(`setsid ${service.map((a) => `'${a}'`).join(' ')} > /var/log/rk-health-service.log 2>&1 < /dev/null &`);
      for (let i = 0; i < 120 && !(await stb.run(['ss', '-ltnH', `sport = :${HEALTH_PORT}`])).stdout.trim(); i++) await new Promise((r) => setTimeout(r, 1000));
    };
    await timed('setup', Promise.all([active(), standby()]));
    expect(await stateOn(act)).toBe('ISP');
    expect(await stateOn(stb)).not.toBe('ISP');
    // Both tunnels are up at the remote node at once.
    const remote = (await lab.vms.west!.check(['ipsec', 'whack', '--trafficstatus'])).stdout;
    expect(remote).toMatch(/"to-act"/);
    expect(remote).toMatch(/"to-stb"/);
  }, 1_200_000);

  afterAll(async () => {
    if (stb) console.log((await stb.run(['cat', '/var/log/rk-health-service.log'])).stdout);
    await timed('stop', lab?.stop() ?? Promise.resolve());
    console.log(`libreswan failover lab times (ms): ${JSON.stringify(times)}`);
  });

  it('1. both recoveries succeed (pluto killed on both, its restart works): no failover', async () => {
    await Promise.all([killPluto(act), killPluto(stb)]);
    const [m, h] = await Promise.all([monitor('case1 monitor'), health('case1 standby health')]);
    expect(m.outcome).toMatchObject({ tag: 'vpn', result: 'recovered' });
    expect(m.stderr).not.toMatch(/standbyHealth command/);
    expect(h.health).toBe('recovered');
    expect(h.detail).toMatch(/^pluto is not running \(no pluto process\); recovered: started pluto/);
    expect(await stateOn(act)).toBe('ISP');
    expect(await escalations()).toBe('');
  }, 600_000);

  it("2. the active node recovers, the standby's recovery fails (the remote's traffic dropped there): no failover", async () => {
    await Promise.all([killPluto(act), dropRemote(stb, true)]);
    const [m, h] = await Promise.all([monitor('case2 monitor'), health('case2 standby health')]);
    expect(m.outcome).toMatchObject({ tag: 'vpn', result: 'recovered' });
    expect(h.health).toBe('failed');
    expect(h.detail).toMatch(
      new RegExp(
        `no reply through the tunnel from the peer VPN node's local address ${REMOTE.local.replace(/\./g, '\\.')} .*recovery failed: ipsec auto --up vpn1 did not establish the tunnel: no answer from the peer`,
      ),
    );
    expect(await stateOn(act)).toBe('ISP');
    expect(await escalations()).toBe('');
  }, 600_000);

  it('4. both recoveries fail (the remote dropped on both): success is reported, the resource stays in service on the active node', async () => {
    await dropRemote(act, true);
    const m = await monitor('case4 monitor');
    expect(m.exitCode).toBe(0);
    expect(m.outcome).toMatchObject({ result: 'recovered' });
    expect(m.stderr).toMatch(
      /local recovery failed \(ipsec auto --up vpn1 did not establish the tunnel: no answer from the peer.*standbyHealth command: failed.*the recovery failed on both VPN nodes: no failover \(moving cannot keep the path\), report success and keep trying/s,
    );
    expect(await stateOn(act)).toBe('ISP');
    expect(await escalations()).toBe('');
  }, 900_000);

  it('3. the next round tries again: the active still fails, the standby (its path back) recovers: fail over (act OSF, escalation); the standby takes over and the routes follow', async () => {
    // The standby's path is back, but its pluto is gone: its own local recovery has to work (not
    // merely Libreswan's revival of the connection, which would make it `healthy`).
    await Promise.all([dropRemote(stb, false), killPluto(stb)]);
    const m = await monitor('case3 monitor');
    expect(m.exitCode).toBe(7);
    expect(m.outcome).toMatchObject({ result: 'failed', escalated: true });
    expect(m.outcome.reason).toMatch(
      /did not establish the tunnel: no answer from the peer.*the active node's recovery failed and the standby's tunnel is recovered: fail over to the standby \(standbyHealth command: recovered\)/,
    );
    expect(await stateOn(act)).toBe('OSF');
    expect(await escalations()).toMatch(/^act vpn: recover failed: .*fail over to the standby/);
    // The failover the escalation stands for: the standby restores the resource (its tunnel is up already).
    const r = await timed('takeover restore on stb', kitRunner(stb, ['action', 'vpn', 'restore']));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/vpn1: already up/);
    expect(await stateOn(stb)).toBe('ISP');
    // The EC2 child's restore on the standby, on the AWS emulator (the VMs cannot reach it).
    const aws = await ec2Lab();
    try {
      const child = ec2ChildSpec('vpn', [REMOTE.subnet], { routeTables: [], vpcId: undefined });
      aws.on(ids.vpnPA.instance);
      await aws.run(child, 'create');
      expect(aws.routes()['172.16.0.0/16']).toBe(ids.vpnPA.eni);
      aws.on(ids.vpnPB.instance);
      await aws.run(child, 'restore');
      expect(aws.routes()).toMatchObject({ '172.16.0.0/16': ids.vpnPB.eni, '10.2.0.0/16': ids.vpnPA.eni, '10.1.0.10/32': ids.lkPA.eni });
    } finally {
      await aws.stop();
    }
  }, 900_000);
});
