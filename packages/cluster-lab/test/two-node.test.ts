import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, startCluster, summary, type Cluster, type CrmMon } from '../src/index.ts';

const why = labUnavailableReason() ?? (existsSync('/usr/bin/corosync-qnetd') && existsSync('/usr/sbin/corosync-qdevice') ? undefined : 'corosync-qnetd/corosync-qdevice missing (apt-get install corosync-qnetd corosync-qdevice)');

const dummyXml = (id: string) => `
  <primitive id="${id}" class="ocf" provider="pacemaker" type="Dummy">
    <instance_attributes id="${id}-ia"><nvpair id="${id}-state" name="state" value="/run/${id}.state"/></instance_attributes>
    <operations><op id="${id}-monitor-2s" name="monitor" interval="2s" timeout="10s"/></operations>
  </primitive>`;
const preferXml = (id: string, node: string) => `<rsc_location id="${id}-prefers-${node}" rsc="${id}" node="${node}" score="100"/>`;

const runningOn = (m: CrmMon, id: string) => m.resources.find((r) => r.id === id && r.role === 'Started')?.nodes ?? [];

/** Does the node hold the Dummy's state file (the resource is active there)? Off nodes hold nothing. */
async function holds(c: Cluster, node: string, id: string): Promise<boolean> {
  if (c.processesOf(node).length === 0) return false;
  const r = await c.exec(node, ['test', '-f', `/run/${id}.state`], { allowFailure: true, timeoutMs: 2000 });
  return r.exitCode === 0;
}

/** Samples every `ms` who holds `id` until stopped; counts samples with two holders. */
function sampler(c: Cluster, id: string, ms = 50) {
  let on = true;
  const counts = { samples: 0, both: 0, none: 0, a: 0, b: 0 };
  const done = (async () => {
    while (on) {
      const [a, b] = await Promise.all([holds(c, 'node-a', id), holds(c, 'node-b', id)]);
      counts.samples++;
      if (a && b) counts.both++;
      else if (a) counts.a++;
      else if (b) counts.b++;
      else counts.none++;
      await new Promise((r) => setTimeout(r, ms));
    }
  })();
  return {
    counts,
    stop: async () => {
      on = false;
      await done;
      return counts;
    },
  };
}

/** corosync-quorumtool's machine-readable view (-p) of a node: is it quorate? undefined when the node is off. */
async function quorate(c: Cluster, node: string): Promise<boolean | undefined> {
  if (c.processesOf(node).length === 0) return undefined;
  const r = await c.exec(node, ['corosync-quorumtool', '-p'], { allowFailure: true, timeoutMs: 3000 });
  // -p prints "Quorate: Yes|No" lines; its exit code is the authoritative part: 0 quorate, 1 not.
  if (r.exitCode === 0) return true;
  if (r.exitCode === 1) return false;
  return undefined;
}

describe.skipIf(!!why)(`two nodes and a qnetd witness${why ? ` (skipped: ${why})` : ''}`, () => {
  let c: Cluster | undefined;

  beforeAll(async () => {
    c = await startCluster({ nodes: 2 });
    console.log(`two nodes: setup ${c.timings.setupMs} ms (certificates included), node-a up ${c.timings.nodeUpMs['node-a']} ms, node-b up ${c.timings.nodeUpMs['node-b']} ms, cluster up ${c.timings.clusterUpMs} ms`);
  }, 120_000);

  afterAll(async () => {
    if (!c) return;
    const id = c.id;
    await c.stop();
    const ns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
    expect(ns).not.toContain(id);
  }, 30_000);

  afterEach(async () => {
    await c?.heal();
  });

  it('both nodes online with quorum through the witness (3 votes: two nodes and qdevice)', async () => {
    await c!.waitFor((ms) => ms.every((m) => runningOn(m, 'lab-fence').length === 1), { timeoutMs: 15_000, what: 'lab-fence started' });
    const mons = await Promise.all(c!.nodes.map((n) => c!.crmMon(n)));
    for (const m of mons) {
      expect(m.quorum, summary(m)).toBe(true);
      expect(m.nodes.map((n) => [n.name, n.online])).toEqual([['node-a', true], ['node-b', true]]);
      expect(m.dc?.name).toBe(mons[0]!.dc?.name);
      expect(runningOn(m, 'lab-fence').length).toBe(1);
    }
    for (const node of c!.nodes) {
      const q = await c!.exec(node, ['corosync-quorumtool', '-s'], { allowFailure: true });
      expect(q.exitCode, q.stdout).toBe(0); // quorate
      const dev = await c!.exec(node, ['corosync-qdevice-tool', '-s'], { allowFailure: true });
      expect(dev.stdout).toMatch(/State:\s+Connected/);
    }
    const qnetd = await c!.exec('qnetd', ['corosync-qnetd-tool', '-l']);
    expect(qnetd.stdout).toContain(c!.clusterName);
  });

  it('graceful switchover: crm_resource --move to node-b, --clear back to node-a (its preferred node), each measured', async () => {
    await c!.cibCreate('resources', dummyXml('web'));
    await c!.cibCreate('constraints', preferXml('web', 'node-a'));
    await c!.waitFor((ms) => ms.every((m) => runningOn(m, 'web')[0] === 'node-a'), { timeoutMs: 15_000, what: 'web on node-a' });
    const s = sampler(c!, 'web');
    const times: number[] = [];
    // Out: --move adds a cli-prefer constraint for node-b. Back: --clear removes it, and web returns
    // to node-a, its preferred node (an automatic switchback). A --move back instead would race that
    // return ("already active there" is an error of crm_resource).
    for (const [to, argv] of [
      ['node-b', ['crm_resource', '--move', '--resource', 'web', '--node', 'node-b']],
      ['node-a', ['crm_resource', '--clear', '--resource', 'web']],
    ] as const) {
      const t0 = Date.now();
      await c!.exec('node-a', argv);
      await c!.waitFor((ms) => ms.every((m) => runningOn(m, 'web').join() === to), { timeoutMs: 15_000, intervalMs: 50, what: `web on ${to}` });
      times.push(Date.now() - t0);
      expect(await holds(c!, to, 'web')).toBe(true);
    }
    const counts = await s.stop();
    console.log(`switchover a->b ${times[0]} ms, b->a ${times[1]} ms; sampler ${JSON.stringify(counts)}`);
    expect(counts.both).toBe(0);
    expect(counts.b).toBeGreaterThan(0);
  }, 45_000);

  it('crash of node-a (SIGKILL corosync and pacemakerd): node-b keeps quorum with the witness, fences node-a, takes over', async () => {
    await c!.waitFor((ms) => ms.every((m) => runningOn(m, 'web')[0] === 'node-a'), { timeoutMs: 15_000, what: 'web on node-a' });
    const s = sampler(c!, 'web');
    const t0 = c!.crash('node-a');
    const detected = await c!.waitFor((ms) => (ms[0]!.nodes.find((n) => n.name === 'node-a')?.online === false ? Date.now() : undefined), {
      nodes: ['node-b'],
      intervalMs: 50,
      timeoutMs: 15_000,
      what: 'node-b sees node-a gone',
    });
    const fenced = await pollUntilTrue(() => c!.isPoweredOff('node-a'), 20_000, 'node-a powered off by fence_lab');
    const taken = await c!.waitFor((ms) => (runningOn(ms[0]!, 'web').join() === 'node-b' ? Date.now() : undefined), {
      nodes: ['node-b'],
      intervalMs: 50,
      timeoutMs: 20_000,
      what: 'web on node-b',
    });
    const mon = await c!.crmMon('node-b');
    expect(mon.quorum, summary(mon)).toBe(true);
    expect(await quorate(c!, 'node-b')).toBe(true);
    expect(mon.fencing.some((f) => f.target === 'node-a' && f.action === 'off' && f.status === 'success'), mon.xml).toBe(true);
    expect(await holds(c!, 'node-b', 'web')).toBe(true);
    const counts = await s.stop();
    console.log(`crash: detected ${detected - t0} ms, fenced ${fenced - t0} ms, web on node-b ${taken - t0} ms after SIGKILL; sampler ${JSON.stringify(counts)}`);
    expect(counts.both).toBe(0);

    const up = await c!.powerOn('node-a');
    await c!.waitFor((ms) => ms.every((m) => m.quorum && m.nodes.every((n) => n.online) && runningOn(m, 'web').join() === 'node-a'), {
      timeoutMs: 30_000,
      what: 'node-a back, web back on node-a',
    });
    console.log(`crash: node-a powered on and rejoined in ${up} ms`);
  }, 60_000);

  for (const [title, groups, winner, loser] of [
    ['witness reachable by node-b only', [['node-a'], ['node-b', 'qnetd']], 'node-b', 'node-a'],
    ['witness reachable by both (ffsplit tie-breaker: lowest node id)', [['node-a'], ['node-b']], 'node-a', 'node-b'],
  ] as const) {
    it(`partition between node-a and node-b, ${title}: only ${winner} keeps quorum and runs the resource`, async () => {
      await c!.waitFor((ms) => ms.every((m) => m.quorum && m.nodes.every((n) => n.online) && runningOn(m, 'web').join() === 'node-a'), {
        timeoutMs: 30_000,
        what: 'web on node-a, both nodes online',
      });
      const s = sampler(c!, 'web');
      const t0 = Date.now();
      await c!.partition(groups);
      // The loser loses quorum (or is fenced first); the winner keeps it and ends up with the resource.
      await pollUntilTrue(async () => (await quorate(c!, loser)) !== true, 20_000, `${loser} not quorate`);
      const taken = await c!.waitFor((ms) => (runningOn(ms[0]!, 'web').join() === winner && ms[0]!.quorum ? Date.now() : undefined), {
        nodes: [winner],
        intervalMs: 50,
        timeoutMs: 25_000,
        what: `web on ${winner} with quorum`,
      });
      expect(await quorate(c!, winner)).toBe(true);
      expect(await quorate(c!, loser)).not.toBe(true);
      expect(await holds(c!, winner, 'web')).toBe(true);
      expect(await holds(c!, loser, 'web')).toBe(false);
      await pollUntilTrue(() => c!.isPoweredOff(loser), 20_000, `${loser} fenced`);
      const counts = await s.stop();
      console.log(`partition (${title}): web on ${winner} ${taken - t0} ms after the cut; sampler ${JSON.stringify(counts)}`);
      expect(counts.both).toBe(0);
      await c!.heal();
      await c!.powerOn(loser);
      await c!.waitFor((ms) => ms.every((m) => m.quorum && m.nodes.every((n) => n.online)), { timeoutMs: 30_000, what: `${loser} rejoined` });
    }, 90_000);
  }
});

async function pollUntilTrue(check: () => Promise<boolean | undefined> | boolean, timeoutMs: number, what: string): Promise<number> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    if (await check()) return Date.now();
    if (Date.now() > until) throw new Error(`${what}: not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
