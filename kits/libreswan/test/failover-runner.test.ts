/**
 * Seed 000's failover table through the real monitor path, on the host: two real kit-runner
 * installations (their own stores and tunables), the active VPN node vpn-a and the standby vpn-b,
 * each with a fake Libreswan 4.10 (`ipsec`, `pidof`, `ping`, `ip`: stateful fakes answering with
 * output recorded in the VM lab, test/fake-libreswan.ts). The standby is simulated: vpn-a's
 * `standbyHealth` command runs `kit-runner action vpn health --json` of vpn-b's installation
 * (what an ssh to the standby would run). vpn-a's `kit-runner monitor --once --json` checks the
 * tunnel, recovers it locally, and applies the table; a failover shows as OSF and the
 * ESCALATION_COMMAND (which records its call). The lab test (test/lab.test.ts) runs the real
 * Libreswan; this one covers the decision, which needs a standby in every state.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createSandbox, runnerBin, type Sandbox } from '@recovery-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { upsOf, vpnNode } from './fake-libreswan.ts';

const TUNABLES = { OPENSWAN_CHECK_INTERVAL: 0, OPENSWAN_PING_TIMEOUT: 1, OPENSWAN_UP_WAIT: 2, OPENSWAN_CHECK_TRY_COUNT: 1 };

describe("seed 000's failover table through kit-runner monitor (file mode, the standby simulated)", () => {
  let a: Sandbox;
  let b: Sandbox;
  let nodeA: ReturnType<typeof vpnNode>;
  let nodeB: ReturnType<typeof vpnNode>;
  let escalations: string;
  const runA = (args: string[]) => a.run(args, { env: { PATH: nodeA.bin.path }, timeoutMs: 120_000 });
  const runB = (args: string[]) => b.run(args, { env: { PATH: nodeB.bin.path }, timeoutMs: 120_000 });
  const state = (s: Sandbox, node: string) =>
    (JSON.parse(s.storeBytes()) as { resources: Record<string, { servers: Record<string, { state: string }> }> }).resources.vpn!.servers[node]!.state;
  const monitor = async () => {
    const m = await runA(['monitor', '--once', '--json']);
    // Exit 7 when a resource failed (docs/reference/kit-runner.md), 0 otherwise.
    expect([0, 7], m.stderr).toContain(m.exitCode);
    return {
      exitCode: m.exitCode,
      outcome: (m.json as { outcomes: Array<{ tag: string; result: string; reason?: string; escalated?: boolean }> }).outcomes[0]!,
      stderr: m.stderr,
    };
  };

  beforeAll(async () => {
    nodeA = vpnNode('vpn-a');
    nodeB = vpnNode('vpn-b');
    a = createSandbox({ node: 'vpn-a', tunables: TUNABLES });
    b = createSandbox({ node: 'vpn-b', tunables: TUNABLES });
    escalations = join(a.root, 'escalations');
    nodeA.bin.script(
      'escalate',
      `require('node:fs').appendFileSync(${JSON.stringify(escalations)}, process.env.KIT_RUNNER_TAG + ': ' + process.env.KIT_RUNNER_REASON + '\\n');`,
    );
    a.setTunables({ ...TUNABLES, ESCALATION_COMMAND: join(nodeA.bin.dir, 'escalate') });
    // vpn-a asks vpn-b's installation (its own store, tunables, fakes) for the standby's health.
    const standby = [
      '/usr/bin/env',
      `PATH=${nodeB.bin.path}`,
      ...Object.entries(b.env).map(([k, v]) => `${k}=${v}`),
      process.execPath,
      runnerBin(),
      'action',
      'vpn',
      'health',
      '--json',
    ].join(' ');
    const common = (n: ReturnType<typeof vpnNode>) => [
      '--opt',
      'connection=vpn1',
      '--opt',
      `ipsec=${join(n.bin.dir, 'ipsec')}`,
      '--opt',
      `daemonStart=${join(n.bin.dir, 'start-pluto')}`,
      '--opt',
      'pingPublic=false',
      '--opt',
      `runDir=${join(n.bin.dir, 'run')}`,
    ];
    const ca = await runA(['create', 'libreswan', '--tag', 'vpn', ...common(nodeA), '--opt', `standbyHealth=${standby}`, '--restore']);
    expect(ca.exitCode, ca.stderr).toBe(0);
    const cb = await runB(['create', 'libreswan', '--tag', 'vpn', ...common(nodeB)]);
    expect(cb.exitCode, cb.stderr).toBe(0);
    expect(state(a, 'vpn-a')).toBe('ISP');
  }, 120_000);

  afterAll(() => {
    for (const x of [a, b]) x?.cleanup();
    for (const x of [nodeA, nodeB]) x?.bin.cleanup();
  });

  it('the standby is monitored too: its health command checks, recovers locally, and says so', async () => {
    nodeB.set({ tunnel: false, upWorks: true });
    const h = await runB(['action', 'vpn', 'health', '--json']);
    expect(h.exitCode, h.stderr).toBe(0);
    expect(h.stdout).toMatch(/"health": ?"recovered"/);
    expect(nodeB.state().tunnel).toBe(true);
    nodeB.set({ tunnel: false, upWorks: false });
    const f = await runB(['action', 'vpn', 'health', '--json']);
    expect(f.stdout).toMatch(/"health": ?"failed"/);
    expect(f.stdout).toMatch(/no answer from the peer/);
  }, 60_000);

  it("the standby's own monitor (file mode) runs the health command for the resource not in service there: local recovery, no state change, a failed health is no failed pass", async () => {
    const before = state(b, 'vpn-b');
    expect(before).not.toBe('ISP');
    nodeB.set({ tunnel: false, upWorks: true });
    const m = await runB(['monitor', '--once', '--json']);
    expect(m.exitCode, m.stderr).toBe(0);
    expect((m.json as { outcomes: unknown[] }).outcomes).toEqual([
      { tag: 'vpn', result: 'standby', health: 'recovered', reason: expect.stringMatching(/recovered: .*up/) },
    ]);
    expect(nodeB.state().tunnel).toBe(true);
    expect(state(b, 'vpn-b')).toBe(before);
    nodeB.set({ tunnel: false, upWorks: false });
    const f = await runB(['monitor', '--once', '--json']);
    expect(f.exitCode, f.stderr).toBe(0);
    expect((f.json as { outcomes: unknown[] }).outcomes).toEqual([
      { tag: 'vpn', result: 'standby', health: 'failed', reason: expect.stringMatching(/recovery failed/) },
    ]);
    expect(f.stderr).toMatch(/vpn: not in service here; the standby's health check says failed/);
    expect(state(b, 'vpn-b')).toBe(before);
    // On the active node the same resource is in service: quickCheck, not health.
    nodeA.set({ tunnel: true, upWorks: true });
    expect((await monitor()).outcome).toMatchObject({ tag: 'vpn', result: 'ok' });
  }, 60_000);

  it("the standby's tunnel is up, yet its quickCheck says the resource is not in service there (what a Pacemaker probe sees: not running)", async () => {
    nodeB.set({ tunnel: true, upWorks: true });
    const q = await runB(['action', 'vpn', 'quickCheck']);
    expect(q.exitCode).toBe(7);
    expect(q.stdout + q.stderr).toMatch(/vpn1 is up, but vpn is not in service on this node \(no .*\/run\/vpn\.in-service: restore puts it in service/);
    expect((await runA(['action', 'vpn', 'quickCheck'])).exitCode).toBe(0);
  }, 60_000);

  it('1. both recoveries succeed: vpn-a recovers locally, no failover', async () => {
    nodeA.set({ tunnel: false, upWorks: true });
    nodeB.set({ tunnel: false, upWorks: true });
    const { outcome } = await monitor();
    expect(outcome).toMatchObject({ tag: 'vpn', result: 'recovered' });
    expect(state(a, 'vpn-a')).toBe('ISP');
    expect(existsSync(escalations)).toBe(false);
  }, 60_000);

  it('2. the active recovers, the standby fails: no failover (the standby keeps trying)', async () => {
    nodeA.set({ tunnel: false, upWorks: true });
    nodeB.set({ tunnel: false, upWorks: false });
    const { outcome } = await monitor();
    expect(outcome).toMatchObject({ result: 'recovered' });
    expect(state(a, 'vpn-a')).toBe('ISP');
    expect(existsSync(escalations)).toBe(false);
  }, 60_000);

  it('4. both recoveries fail: success is reported, the resource stays in service, and the next round tries again', async () => {
    nodeA.set({ tunnel: false, upWorks: false });
    nodeB.set({ tunnel: false, upWorks: false });
    const before = upsOf(nodeA);
    const first = await monitor();
    expect(first.exitCode).toBe(0);
    expect(first.outcome).toMatchObject({ result: 'recovered' });
    expect(first.stderr).toMatch(
      /local recovery failed \(ipsec auto --up vpn1 did not establish the tunnel: no answer from the peer.*standbyHealth command: failed.*the recovery failed on both VPN nodes: no failover \(moving cannot keep the path\), report success and keep trying/s,
    );
    expect(state(a, 'vpn-a')).toBe('ISP');
    expect(existsSync(escalations)).toBe(false);
    const second = await monitor();
    expect(second.outcome).toMatchObject({ result: 'recovered' });
    expect(upsOf(nodeA) - before).toBe(2);
    // The path comes back: the next round's recovery repairs it.
    nodeA.set({ upWorks: true });
    expect((await monitor()).outcome).toMatchObject({ result: 'recovered' });
    expect(nodeA.state().tunnel).toBe(true);
    expect((await monitor()).outcome).toMatchObject({ result: 'ok' });
  }, 120_000);

  it('3. the active fails, the standby recovers: fail over (vpn-a OSF, escalation started)', async () => {
    nodeA.set({ tunnel: false, upWorks: false });
    nodeB.set({ tunnel: false, upWorks: true });
    const { outcome, stderr, exitCode } = await monitor();
    expect(exitCode).toBe(7);
    expect(outcome).toMatchObject({ result: 'failed', escalated: true });
    expect(outcome.reason).toMatch(
      /the active node's recovery failed and the standby's tunnel is recovered: fail over to the standby \(standbyHealth command: recovered\)/,
    );
    expect(stderr).toMatch(/escalating/);
    expect(state(a, 'vpn-a')).toBe('OSF');
    expect(readFileSync(escalations, 'utf8')).toMatch(/^vpn: recover failed: .*fail over to the standby/);
    expect(nodeB.state().tunnel).toBe(true);
  }, 60_000);
});
