import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanupStaleLabs, labUnavailableReason, startCluster, type Cluster } from '../src/index.ts';

const why = labUnavailableReason();

function hostNetns(): string[] {
  return spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout.split('\n').map((l) => l.split(' ')[0]!).filter(Boolean);
}

describe.skipIf(!!why)(`one-node Pacemaker cluster in namespaces${why ? ` (skipped: ${why})` : ''}`, () => {
  let c: Cluster | undefined;

  beforeAll(async () => {
    c = await startCluster({ nodes: 1 });
    console.log(`one node: setup ${c.timings.setupMs} ms, node-a up in ${c.timings.nodeUpMs['node-a']} ms, cluster up ${c.timings.clusterUpMs} ms`);
  }, 90_000);

  afterAll(async () => {
    if (!c) return;
    const { id, root } = c;
    await c.stop();
    // Nothing left: namespaces, processes, directory.
    expect(hostNetns().filter((n) => n.startsWith(id))).toEqual([]);
    expect(existsSync(root)).toBe(false);
    expect(readFileSync('/proc/self/mountinfo', 'utf8')).not.toContain(id);
  }, 30_000);

  it('comes up with node-a online as DC, quorate, its state private to its namespaces', async () => {
    const mon = await c!.crmMon('node-a');
    expect(mon.dc?.name).toBe('node-a');
    expect(mon.quorum).toBe(true);
    expect(mon.nodes.map((n) => [n.name, n.online])).toEqual([['node-a', true]]);
    expect(c!.timings.nodeUpMs['node-a']).toBeGreaterThan(0);
    // UTS: the node has its own host name, the host keeps its own.
    expect((await c!.exec('node-a', ['hostname'])).stdout.trim()).toBe('node-a');
    expect(spawnSync('hostname', { encoding: 'utf8' }).stdout.trim()).not.toBe('node-a');
    // Mounts: the CIB the node writes is in the lab directory, not the host's /var/lib/pacemaker.
    expect(existsSync(join(c!.member('node-a').dir, 'pacemaker', 'cib', 'cib.xml'))).toBe(true);
    // The host sees only the netns handles `ip netns add` made (nsfs under /run/netns), no lab mount.
    const leaked = readFileSync('/proc/self/mountinfo', 'utf8').split('\n').filter((l) => l.includes(c!.id) && !/ \/run\/netns\/\S+ .* nsfs /.test(l));
    expect(leaked).toEqual([]);
    const inside = await c!.exec('node-a', ['findmnt', '-n', '-o', 'SOURCE', '/var/lib/pacemaker']);
    expect(inside.stdout).toContain(c!.id);
    // Network: only the lab's address.
    const addrs = await c!.exec('node-a', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0']);
    expect(addrs.stdout).toContain('10.99.0.1/24');
    // The seed CIB's properties are in force.
    const { root } = await c!.cib('node-a', 'crm_config');
    const props = Object.fromEntries(
      root.children.flatMap((set) => set.children).map((nv) => [nv.attrs.name, nv.attrs.value]),
    );
    expect(props['dc-deadtime']).toBe('2s');
    expect(props['stonith-enabled']).toBe('false');
  });

  it('runs ocf:pacemaker:Dummy: started, monitor failure recorded in the CIB status, restarted, stopped', async () => {
    const state = '/run/lab-dummy.state';
    await c!.cibCreate(
      'resources',
      `<primitive id="dummy" class="ocf" provider="pacemaker" type="Dummy">
         <instance_attributes id="dummy-ia"><nvpair id="dummy-state" name="state" value="${state}"/></instance_attributes>
         <operations><op id="dummy-monitor-1s" name="monitor" interval="1s" timeout="10s"/></operations>
       </primitive>`,
    );
    const started = await c!.waitFor((m) => m[0]!.resources.find((r) => r.id === 'dummy' && r.role === 'Started' && r.nodes.includes('node-a')), {
      timeoutMs: 15_000,
      what: 'dummy Started on node-a',
    });
    expect(started.agent).toBe('ocf:pacemaker:Dummy');
    // The state file is in the node's private /run, not the host's.
    expect((await c!.exec('node-a', ['test', '-f', state], { allowFailure: true })).exitCode).toBe(0);
    expect(existsSync(state)).toBe(false);
    const before = await c!.cibStatus('node-a');
    const startCalls = before.ops.filter((o) => o.resource === 'dummy').map((o) => o.callId);

    // Fault: the state file disappears behind Pacemaker's back; the 1 s monitor sees "not running".
    const t0 = Date.now();
    await c!.exec('node-a', ['rm', '-f', state]);
    const failed = await pollStatus(c!, (s) => s.ops.find((o) => o.resource === 'dummy' && o.operation === 'monitor' && o.intervalMs === 1000 && o.rcCode === 7));
    expect(failed.node).toBe('node-a');
    const detectedMs = Date.now() - t0;
    const status = await c!.cibStatus('node-a');
    expect(Number(status.attrs['node-a']?.['fail-count-dummy#monitor_1000'] ?? 0)).toBeGreaterThanOrEqual(1);
    // crm_mon reports the failure too.
    const mon = await c!.crmMon('node-a');
    expect(mon.failures.some((f) => f.opKey === 'dummy_monitor_1000' && f.exitCode === 7 && f.node === 'node-a')).toBe(true);

    // Recovery: Pacemaker stops and starts it again in place (a new start call, the file is back).
    await pollStatus(c!, (s) => s.ops.find((o) => o.resource === 'dummy' && o.operation === 'start' && o.rcCode === 0 && !startCalls.includes(o.callId)));
    await c!.waitFor((m) => m[0]!.resources.find((r) => r.id === 'dummy' && r.role === 'Started' && !r.failed), { timeoutMs: 15_000 });
    await pollExec(c!, ['test', '-f', state]);
    console.log(`one node: monitor failure seen in the CIB ${detectedMs} ms after the fault, recovered ${Date.now() - t0} ms after it`);

    // Stop: target-role=Stopped, then the state file is gone and crm_mon says Stopped.
    await c!.exec('node-a', ['crm_resource', '--resource', 'dummy', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped']);
    await c!.waitFor((m) => m[0]!.resources.find((r) => r.id === 'dummy' && r.role === 'Stopped'), { timeoutMs: 15_000, what: 'dummy Stopped' });
    expect((await c!.exec('node-a', ['test', '-f', state], { allowFailure: true })).exitCode).toBe(1);
  }, 60_000);
});

describe.skipIf(!!why)('stale labs', () => {
  it('cleanupStaleLabs removes namespaces and directories whose owner is gone, and no others', async () => {
    const dead = spawnSync('true').pid!; // exited and reaped: a pid with no process
    const ns = `rkcl-${dead}-1-a`;
    const live = `rkcl-${process.pid}-999-a`;
    spawnSync('ip', ['netns', 'add', ns]);
    spawnSync('ip', ['netns', 'add', live]);
    const dir = join(tmpdir(), `rkcl-${dead}-1`);
    mkdirSync(join(dir, 'node-a'), { recursive: true });
    const sleeper = spawnSync('ip', ['netns', 'exec', ns, 'sh', '-c', 'sleep 300 >/dev/null 2>&1 & echo $!'], { encoding: 'utf8' });
    const sleeperPid = Number(sleeper.stdout.trim());
    try {
      const removed = await cleanupStaleLabs();
      expect(removed).toContain(ns);
      expect(removed).toContain(dir);
      expect(removed).not.toContain(live);
      expect(hostNetns()).not.toContain(ns);
      expect(hostNetns()).toContain(live);
      expect(existsSync(dir)).toBe(false);
      expect(existsSync(`/proc/${sleeperPid}`) && !readFileSync(`/proc/${sleeperPid}/stat`, 'utf8').includes(') Z')).toBe(false);
    } finally {
      spawnSync('ip', ['netns', 'del', live]);
      spawnSync('ip', ['netns', 'del', ns]);
    }
  });
});

async function pollStatus<T>(c: Cluster, pick: (s: Awaited<ReturnType<Cluster['cibStatus']>>) => T | undefined, timeoutMs = 15_000): Promise<T> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const s = await c.cibStatus('node-a');
    const v = pick(s);
    if (v !== undefined) return v;
    if (Date.now() > until) throw new Error(`CIB status condition not met in ${timeoutMs} ms: ${s.xml.slice(0, 2000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function pollExec(c: Cluster, argv: string[], timeoutMs = 10_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while ((await c.exec('node-a', argv, { allowFailure: true })).exitCode !== 0) {
    if (Date.now() > until) throw new Error(`${argv.join(' ')} did not succeed in ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}
