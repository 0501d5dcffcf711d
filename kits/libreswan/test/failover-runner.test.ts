/**
 * Seed 000's failover table through the real monitor path, on the host: two real kit-runner
 * installations (their own stores and tunables), the active VPN node vpn-a and the standby vpn-b,
 * each with a fake Libreswan 4.10 (`ipsec`, `pidof`, `ping`, `ip`: stateful fakes answering with
 * output recorded in the VM lab, test/fixtures/libreswan-4.10). The standby is simulated: vpn-a's
 * `standbyHealth` command runs `kit-runner action vpn health --json` of vpn-b's installation
 * (what an ssh to the standby would run). vpn-a's `kit-runner monitor --once --json` checks the
 * tunnel, recovers it locally, and applies the table; a failover shows as OSF and the
 * ESCALATION_COMMAND (which records its call). The lab test (test/lab.test.ts) runs the real
 * Libreswan; this one covers the decision, which needs a standby in every state.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSandbox, fakeBin, runnerBin, type FakeBin, type Sandbox } from '@recovery-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const FIX = fileURLToPath(new URL('./fixtures/libreswan-4.10/', import.meta.url));
const fixture = (name: string) => readFileSync(join(FIX, name), 'utf8');

interface NodeState {
  pluto: boolean;
  tunnel: boolean;
  /** What `ipsec auto --up` does: establish, or time out against a peer that does not answer. */
  upWorks: boolean;
}

/** One VPN node: a fake Libreswan whose state lives in a JSON file the test flips. */
function vpnNode(name: string): { bin: FakeBin; set(s: Partial<NodeState>): void; state(): NodeState } {
  const bin = fakeBin();
  const stateFile = join(bin.dir, 'state.json');
  const files = {
    version: fixture('version.txt'),
    conf: fixture('readwriteconf-vpn1.txt'),
    traffic: fixture('trafficstatus-established.txt'),
    status: fixture('status-established.txt'),
    upOk: fixture('up-ok.txt'),
    upTimeout: fixture('up-peer-unreachable-timeout.txt'),
    killed: fixture('pluto-killed.txt'),
  };
  writeFileSync(join(bin.dir, 'fixtures.json'), JSON.stringify(files));
  const head = `const fs = require('node:fs');
const S = ${JSON.stringify(stateFile)};
const st = JSON.parse(fs.readFileSync(S, 'utf8'));
const F = JSON.parse(fs.readFileSync(${JSON.stringify(join(bin.dir, 'fixtures.json'))}, 'utf8'));
const save = () => fs.writeFileSync(S, JSON.stringify(st));
const args = process.argv.slice(2);
fs.appendFileSync(${JSON.stringify(join(bin.dir, 'log'))}, ${JSON.stringify(name)} + ' ' + require('node:path').basename(process.argv[1]) + ' ' + args.join(' ') + '\\n');
`;
  bin.script(
    'ipsec',
    `${head}
const a = args.join(' ');
const out = (t, code = 0) => { process.stdout.write(t); process.exit(code); };
if (a === '--version') out(F.version);
if (a.startsWith('readwriteconf')) out(F.conf);
if (!st.pluto) { process.stderr.write(F.killed); process.exit(33); }
if (a === 'whack --trafficstatus') out(st.tunnel ? F.traffic : '');
if (a === 'status') out(F.status);
if (a === 'auto --add vpn1') out('');
if (a === 'auto --down vpn1') { st.tunnel = false; save(); out('002 "vpn1": terminating SAs using this connection\\n'); }
if (a === 'auto --up vpn1') {
  if (st.upWorks) { st.tunnel = true; save(); out(F.upOk); }
  out(F.upTimeout, 1);
}
process.stderr.write('fake ipsec: unexpected ' + a + '\\n'); process.exit(2);
`,
  );
  bin.script('start-pluto', `${head}st.pluto = true; save();`);
  bin.script('pidof', `${head}if (st.pluto) { process.stdout.write('4242\\n'); process.exit(0); } process.exit(1);`);
  bin.script('ping', `${head}process.exit(st.pluto && st.tunnel ? 0 : 1);`);
  bin.script(
    'ip',
    `${head}process.stdout.write('1: lo    inet 127.0.0.1/8 scope host lo\\n2: eth0    inet 192.0.2.1/24 scope global eth0\\n3: lan0    inet 10.0.0.5/32 scope global lan0\\n');`,
  );
  // attrd_updater: no Pacemaker here (file mode), as on a node without a cluster.
  bin.script('attrd_updater', `${head}process.stderr.write('attrd_updater: Could not connect to attrd: Connection refused\\n'); process.exit(102);`);
  const self = {
    bin,
    set(s: Partial<NodeState>) {
      const cur = existsSync(stateFile) ? (JSON.parse(readFileSync(stateFile, 'utf8')) as NodeState) : { pluto: true, tunnel: true, upWorks: true };
      writeFileSync(stateFile, JSON.stringify({ ...cur, ...s }));
    },
    state: () => JSON.parse(readFileSync(stateFile, 'utf8')) as NodeState,
  };
  self.set({});
  return self;
}

/** How many times the node's `ipsec auto --up vpn1` ran. */
const upsOf = (n: { bin: FakeBin }) =>
  readFileSync(join(n.bin.dir, 'log'), 'utf8')
    .split('\n')
    .filter((l) => / ipsec auto --up vpn1$/.test(l)).length;

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
