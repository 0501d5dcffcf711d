/**
 * The product on a real two-node Pacemaker cluster (packages/cluster-lab: node-a, node-b, a qnetd
 * witness), fenced by Debian's fence_aws against the AWS emulator: a hierarchy IP + EC2 route
 * table + Route 53 record (each node its own address: the routes for both addresses and the A
 * record follow the holder) written to the local store, applied with `kit-runner cluster apply` (twice: the second
 * changes nothing), moved to node-b and back with `kit-runner action routes restore --node N` in
 * cluster mode (Pacemaker moves it), then node-a crashed (SIGKILL corosync + pacemakerd): node-b
 * fences it through fence_aws (StopInstances; the lab powers node-a off), the hierarchy comes up
 * on node-b and every route table points at node-b's ENI (read from the emulator).
 * Then switchback automatic (a second crash; the hierarchy returns to node-a once it is back) and a
 * move into another region that waits for the operator's grant (crm_ticket) and happens once granted.
 * In every scenario a sampler records, as fast as it can (every 50 ms at most), who holds the
 * addresses (on an up eth0), where the routes point and what the A record says, and prints its
 * counts: never two holders; in the steady phases one holder, every route and the record at it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, summary, type Cluster } from '../../cluster-lab/src/index.ts';
import { FileStore } from '../src/file-store.ts';
import type { ServerEntry } from '../src/store.ts';
import { LAB_ADDR, sh, startAwsLab, writeLabHierarchy, type AwsLab } from './aws-lab.ts';

const why = labUnavailableReason() ?? (!existsSync('/usr/sbin/fence_aws') ? 'fence_aws missing (apt-get install fence-agents python3-boto3)' : undefined);
/** Each node's own address of the hierarchy (the ip kit's per-server address): the A record's value there. */
const ADDR = LAB_ADDR;
const VIP = ADDR['node-a'];
/** The hierarchy gated by a ticket (its servers in two regions). */
const GVIP = '10.99.0.60';
type Node = 'node-a' | 'node-b';

interface Sample {
  t: number;
  phase: string;
  holders: string[];
  routes: (string | undefined)[];
  record?: string | undefined;
}

describe.skipIf(!!why)(`a hierarchy across two Pacemaker nodes with fence_aws (cluster apply, switchover, crash)${why ? ` (skipped: ${why})` : ''}`, () => {
  let lab: AwsLab | undefined;
  let c: Cluster | undefined;
  let emu: Emulator | undefined;
  let dir: string;
  const { ids } = twoAzLayout({ overlayIp: VIP });
  const inst = { 'node-a': ids.instances.node1, 'node-b': ids.instances.node2 } as const;
  const eni = { 'node-a': ids.enis.node1, 'node-b': ids.enis.node2 } as const;
  const rtbs = [ids.routeTables.privateA, ids.routeTables.privateB];
  /** Where the routes for both nodes' addresses point, in every route table. */
  const routeTargets = () =>
    rtbs.flatMap((r) =>
      Object.values(ADDR).map(
        (a) =>
          emu!.state
            .ec2(ids.region)
            .routeTables.get(r)!
            .routes.find((x) => x.destinationCidrBlock === `${a}/32`)?.networkInterfaceId,
      ),
    );
  const at = (n: Node) => [eni[n], eni[n], eni[n], eni[n]];
  /** The ENI the Elastic IP is associated with. */
  const eipAt = () => emu!.state.ec2(ids.region).addresses.get(ids.allocationId)?.networkInterfaceId;
  const record = () =>
    emu!.state.hostedZones
      .get(ids.hostedZones.private)
      ?.records.find((r) => r.name === ids.records.private && r.type === 'A')
      ?.values.join(',');

  /**
   * The sampler: every 50 ms at most, which nodes hold any of `addresses` on an up eth0, and (for
   * the main hierarchy) the routes and the A record. `stop()` prints and returns its counts.
   */
  function startSampler(name: string, addresses: readonly string[], o: { routes: boolean }) {
    const samples: Sample[] = [];
    const st = { phase: 'start', on: true };
    const loop = (async () => {
      while (st.on) {
        const t = Date.now();
        const held = await Promise.all(
          c!.nodes.map(async (n) => {
            const out = (await sh('ip', ['-n', c!.member(n).netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0', 'up'])).stdout;
            return addresses.some((a) => out.includes(` ${a}/`)) ? n : undefined;
          }),
        );
        samples.push({
          t,
          phase: st.phase,
          holders: held.filter((x): x is string => !!x),
          routes: o.routes ? routeTargets() : [],
          record: o.routes ? record() : undefined,
        });
        const wait = 50 - (Date.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    return {
      set phase(p: string) {
        st.phase = p;
      },
      async stop() {
        st.on = false;
        await loop;
        const span = samples.length > 1 ? (samples.at(-1)!.t - samples[0]!.t) / 1000 : 0;
        const two = samples.filter((x) => x.holders.length > 1);
        const steady = samples.filter((x) => x.phase.startsWith('on-'));
        const wrong = steady.filter((x) => {
          if (x.holders.length !== 1) return true;
          const h = x.holders[0] as Node;
          return o.routes && (x.routes.some((r) => r !== eni[h]) || x.record !== ADDR[h]);
        });
        const byPhase: Record<string, number> = {};
        for (const x of samples) byPhase[x.phase] = (byPhase[x.phase] ?? 0) + 1;
        console.log(
          `sampler [${name}]: ${samples.length} samples over ${span.toFixed(1)} s (${span ? (samples.length / span).toFixed(1) : '0'}/s), per phase ${JSON.stringify(byPhase)}; two holders: ${two.length}; steady samples with no single holder${o.routes ? ', routes or record elsewhere' : ''}: ${wrong.length}`,
        );
        return { samples, two, steady, wrong };
      },
    };
  }

  beforeAll(async () => {
    lab = await startAwsLab({ overlayIp: VIP });
    ({ c, emu, dir } = lab);
  }, 150_000);

  afterAll(async () => {
    await lab?.stop();
  }, 60_000);

  // On a failure: what Pacemaker recorded (failed operations, our agents' error output), to read the cause.
  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail' || !c) return;
    for (const n of c.nodes) {
      try {
        const mon = await c.crmMon(n);
        console.log(`${n}: ${summary(mon)} failures ${JSON.stringify(mon.failures)}`);
        const log = await c.exec(n, ['grep', '-E', 'exit-reason|error output|_(start|stop|monitor)_[0-9]+.*(rc=|error)', '/var/log/pacemaker/pacemaker.log'], {
          allowFailure: true,
        });
        console.log(log.stdout.split('\n').slice(-40).join('\n'));
      } catch (err) {
        console.log(`${n}: ${(err as Error).message}`);
      }
    }
  });

  const kitRunnerIn = (node: string, args: string[], env: Record<string, string> = {}) => lab!.kitRunnerIn(node, args, env);

  const entry = (priority: number, overrides: Record<string, unknown> = {}, switchback: 'intelligent' | 'automatic' = 'intelligent'): ServerEntry => ({
    priority,
    switchback,
    overrides,
    info: {},
    state: 'OSU',
    reason: '',
    since: new Date().toISOString(),
  });
  const mine = (ms: Awaited<ReturnType<Cluster['crmMon']>>[], node: string, ids_: readonly string[] = ['vip', 'routes', 'dns']) =>
    ms.every((m) => ids_.every((id) => m.resources.find((r) => r.id === id && r.role === 'Started')?.nodes.join() === node));
  const startedOn = (m: Awaited<ReturnType<Cluster['crmMon']>>, id: string) => m.resources.find((r) => r.id === id && r.role === 'Started')?.nodes.join();
  const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

  /** SIGKILL to node-a's corosync and pacemakerd; resolves when dns (the top of the hierarchy) is Started on node-b. */
  async function crashA(): Promise<number> {
    emu!.calls.reset();
    const tCrash = c!.crash('node-a');
    await c!.waitFor((ms) => startedOn(ms[0]!, 'dns') === 'node-b', {
      nodes: ['node-b'],
      intervalMs: 100,
      timeoutMs: 60_000,
      what: 'the hierarchy Started on node-b after the crash',
    });
    const took = Date.now() - tCrash;
    const mon = await c!.crmMon('node-b');
    expect(
      mon.fencing.some((f) => f.target === 'node-a' && f.status === 'success'),
      summary(mon),
    ).toBe(true);
    expect(emu!.calls.list({ action: 'StopInstances' }).length).toBeGreaterThanOrEqual(1);
    expect(await c!.isPoweredOff('node-a')).toBe(true);
    expect(routeTargets()).toEqual(at('node-b'));
    expect(record()).toBe(ADDR['node-b']);
    return took;
  }

  /** Powers `node` on again (its instance running) and waits until both nodes are online. */
  async function bringBack(node: Node): Promise<void> {
    emu!.state.findInstance(inst[node])!.instance.state = 'running';
    await c!.waitFor((ms) => ms.every((m) => m.nodes.length === 2 && m.nodes.every((n) => n.online)), { timeoutMs: 60_000, what: `${node} back online` });
  }

  it('cluster apply (twice), switchover to node-b and back through Pacemaker, crash of node-a fenced by fence_aws (routes and A record at node-b); the sampler never sees two holders', async () => {
    // The record starts at an address nobody holds, so the probes find dns stopped on both nodes.
    writeLabHierarchy(lab!);
    const dry = await kitRunnerIn('node-a', ['cluster', 'apply', '--dry-run', '--monitor-interval', '2']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('<group id="rk-dns"');
    const epoch0 = (await c!.cib('node-a')).root.attrs.epoch;
    expect((await c!.cib('node-a')).xml).not.toContain('rk-dns');
    const t0 = Date.now();
    const first = await kitRunnerIn('node-a', ['cluster', 'apply', '--monitor-interval', '2']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain('created rk-dns');
    await c!.waitFor((ms) => mine(ms, 'node-a'), { timeoutMs: 60_000, what: 'vip, routes and dns Started on node-a' });
    const upMs = Date.now() - t0;
    expect(routeTargets()).toEqual(at('node-a'));
    expect(record()).toBe(ADDR['node-a']);
    // The second apply writes nothing: the CIB's epoch does not move.
    const epoch1 = (await c!.cib('node-a')).root.attrs.epoch;
    const second = await kitRunnerIn('node-b', ['cluster', 'apply', '--monitor-interval', '2']);
    expect(second.exitCode, second.stderr).toBe(0);
    expect(second.stdout).toContain('nothing written');
    expect((await c!.cib('node-a')).root.attrs.epoch).toBe(epoch1);
    expect(Number(epoch1)).toBeGreaterThan(Number(epoch0));
    // import reads it back from the live CIB
    const imp = await kitRunnerIn('node-b', ['cluster', 'import']);
    const back = JSON.parse(imp.stdout) as { resources: Record<string, { servers: Record<string, { priority: number; overrides: Record<string, string> }> }> };
    expect(back.resources.routes!.servers['node-b']).toMatchObject({ priority: 10, overrides: { eni: eni['node-b'] } });

    // status in cluster mode: the same tree with the same states on both nodes, from the CIB and crm_mon
    const st = await Promise.all(c!.nodes.map((n) => kitRunnerIn(n, ['status'], { KIT_RUNNER_STORE: 'cib' })));
    expect(st.map((r) => r.exitCode)).toEqual([0, 0]);
    expect(st[0]!.stdout).toBe(st[1]!.stdout);
    expect(st[0]!.stdout).toMatch(/dns\s+route53\s+node-a\(1\):ISP node-b\(10\):OSU\s+Started on node-a/);
    expect(st[0]!.stdout).toMatch(/└─ routes\s+ec2\s+node-a\(1\):ISP node-b\(10\):OSU/);
    expect(st[0]!.stdout).toMatch(/└─ vip\s+ip\s+node-a\(1\):ISP node-b\(10\):OSU/);
    console.log(st[0]!.stdout);

    const sampler = startSampler('apply, switchover, remove, crash', Object.values(ADDR), { routes: true });
    sampler.phase = 'on-a';
    let crashMs = 0;
    let m1: Awaited<ReturnType<typeof kitRunnerIn>> | undefined;
    let m2: Awaited<ReturnType<typeof kitRunnerIn>> | undefined;
    try {
      await pause(500);
      // ---- switchover to node-b from a script, in cluster mode
      sampler.phase = 'moving';
      m1 = await kitRunnerIn('node-a', ['action', 'routes', 'restore', '--node', 'node-b'], { KIT_RUNNER_STORE: 'cib' });
      expect(m1.exitCode, `${m1.stdout}${m1.stderr}`).toBe(0);
      expect(m1.stdout).toMatch(/restore routes on node-b: ok through Pacemaker/);
      await c!.waitFor((ms) => mine(ms, 'node-b'), { timeoutMs: 10_000, what: 'on node-b' });
      sampler.phase = 'on-b';
      expect(routeTargets()).toEqual(at('node-b'));
      expect(record()).toBe(ADDR['node-b']);
      await pause(1000);
      // intelligent switchback: after the move's constraint is cleared it stays on node-b
      expect(startedOn(await c!.crmMon('node-a'), 'dns')).toBe('node-b');
      expect((await c!.cib('node-a')).xml).not.toContain('cli-prefer');
      // ---- and back
      sampler.phase = 'moving';
      m2 = await kitRunnerIn('node-b', ['cluster', 'move', 'routes', 'node-a', '--timeout', '60']);
      expect(m2.exitCode, `${m2.stdout}${m2.stderr}`).toBe(0);
      await c!.waitFor((ms) => mine(ms, 'node-a'), { timeoutMs: 10_000, what: 'back on node-a' });
      sampler.phase = 'on-a';
      expect(routeTargets()).toEqual(at('node-a'));
      expect(record()).toBe(ADDR['node-a']);
      await pause(1000);

      // ---- remove in cluster mode: Pacemaker stops it everywhere; restore brings it back on node-a
      sampler.phase = 'removed';
      const rm = await kitRunnerIn('node-b', ['action', 'routes', 'remove'], { KIT_RUNNER_STORE: 'cib' });
      expect(rm.exitCode, `${rm.stdout}${rm.stderr}`).toBe(0);
      for (const n of c!.nodes) {
        const out = (await sh('ip', ['-n', c!.member(n).netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout;
        for (const a of Object.values(ADDR)) expect(out).not.toContain(` ${a}/`);
      }
      const rc = await kitRunnerIn('node-b', ['action', 'routes', 'recover'], { KIT_RUNNER_STORE: 'cib' });
      expect(rc.exitCode).toBe(2);
      expect(rc.stderr).toContain("not run behind Pacemaker's back");
      sampler.phase = 'moving';
      const again = await kitRunnerIn('node-b', ['action', 'routes', 'restore', '--node', 'node-a'], { KIT_RUNNER_STORE: 'cib' });
      expect(again.exitCode, `${again.stdout}${again.stderr}`).toBe(0);
      sampler.phase = 'on-a';
      await pause(1000);

      // ---- crash node-a
      sampler.phase = 'crash';
      crashMs = await crashA();
      sampler.phase = 'on-b-after-crash';
      await pause(1000);
    } finally {
      const v = await sampler.stop();
      console.log(
        `cluster: hierarchy up on node-a ${upMs} ms after cluster apply; switchover: ${m1?.stdout.trim()} / back: ${m2?.stdout.trim()}; crash of node-a to the hierarchy (routes and record) on node-b ${crashMs} ms`,
      );
      expect(v.two).toEqual([]);
      expect(v.wrong).toEqual([]);
      expect(v.steady.length).toBeGreaterThan(10);
    }
  }, 240_000);

  it("switchback intelligent: node-a back, the hierarchy stays on node-b; a partition with the witness on node-a's side only: node-b (the holder) loses quorum and stops, node-a fences it and takes over", async () => {
    // node-a comes back (its instance running again: the lab powers it on); intelligent switchback keeps the hierarchy on node-b.
    await bringBack('node-a');
    await pause(2000);
    expect(startedOn(await c!.crmMon('node-b'), 'dns')).toBe('node-b');
    expect(routeTargets()).toEqual(at('node-b'));

    const sampler = startSampler('partition', Object.values(ADDR), { routes: true });
    sampler.phase = 'on-b';
    let tookMs = 0;
    try {
      await pause(500);
      sampler.phase = 'partition';
      const t0 = Date.now();
      await c!.partition([['node-b'], ['node-a', 'qnetd']]);
      await c!.waitFor((ms) => ms[0]!.quorum && startedOn(ms[0]!, 'dns') === 'node-a', {
        nodes: ['node-a'],
        intervalMs: 100,
        timeoutMs: 60_000,
        what: 'the hierarchy Started on node-a (the side with the witness)',
      });
      tookMs = Date.now() - t0;
      sampler.phase = 'on-a';
      const mon = await c!.crmMon('node-a');
      expect(
        mon.fencing.some((f) => f.target === 'node-b' && f.status === 'success'),
        summary(mon),
      ).toBe(true);
      expect(routeTargets()).toEqual(at('node-a'));
      expect(record()).toBe(ADDR['node-a']);
      await pause(1000);
    } finally {
      const v = await sampler.stop();
      await c!.heal();
      console.log(`partition: the hierarchy on node-a ${tookMs} ms after the cut`);
      expect(v.two).toEqual([]);
      expect(v.wrong).toEqual([]);
    }
  }, 150_000);

  it('switchback automatic (IP + routes + record, and an Elastic IP hierarchy): after a crash of node-a both go to node-b and return to node-a once it is back; a move into another region waits for the grant (crm_ticket) and happens once granted', async () => {
    await bringBack('node-b');
    // ---- automatic switchback: the store says so, cluster apply makes it stickiness 0
    new FileStore(join(dir, 'store')).update((d) => {
      for (const t of ['vip', 'routes', 'dns']) for (const e of Object.values(d.resources[t]!.servers)) e.switchback = 'automatic';
    });
    const ap = await kitRunnerIn('node-b', ['cluster', 'apply', '--monitor-interval', '2']);
    expect(ap.exitCode, ap.stderr).toBe(0);
    expect(ap.stdout).toContain('replaced rk-dns');
    await pause(1000);
    expect(startedOn(await c!.crmMon('node-a'), 'dns')).toBe('node-a');
    // ---- the Elastic IP scenario: a one-resource hierarchy (EC2 kit, elastic-ip), automatic switchback too
    new FileStore(join(dir, 'store')).update((d) => {
      d.resources.eip = {
        tag: 'eip',
        id: 'eip',
        kit: 'ec2',
        kitPackage: '@recovery-kit/kit-ec2',
        kitVersion: '0.1.0',
        createdAt: new Date().toISOString(),
        options: { scenario: 'elastic-ip', allocationId: ids.allocationId },
        servers: { 'node-a': entry(1, { eni: eni['node-a'] }, 'automatic'), 'node-b': entry(10, { eni: eni['node-b'] }, 'automatic') },
      };
    });
    const ea = await kitRunnerIn('node-a', ['cluster', 'apply', 'eip', '--monitor-interval', '2']);
    expect(ea.exitCode, ea.stderr).toBe(0);
    await c!.waitFor((ms) => mine(ms, 'node-a', ['eip']), { timeoutMs: 60_000, what: 'eip Started on node-a' });
    expect(eipAt()).toBe(eni['node-a']);
    const sampler = startSampler('switchback automatic', Object.values(ADDR), { routes: true });
    sampler.phase = 'on-a';
    let crashMs = 0;
    let backMs = 0;
    try {
      await pause(500);
      sampler.phase = 'crash';
      crashMs = await crashA();
      sampler.phase = 'on-b-after-crash';
      await c!.waitFor((ms) => startedOn(ms[0]!, 'eip') === 'node-b', { nodes: ['node-b'], timeoutMs: 30_000, what: 'eip Started on node-b after the crash' });
      expect(eipAt()).toBe(eni['node-b']);
      await pause(1000);
      sampler.phase = 'switchback';
      const t0 = Date.now();
      emu!.state.findInstance(inst['node-a'])!.instance.state = 'running';
      await c!.waitFor((ms) => mine(ms, 'node-a', ['vip', 'routes', 'dns', 'eip']), {
        timeoutMs: 90_000,
        intervalMs: 200,
        what: 'the hierarchies back on node-a (automatic switchback)',
      });
      backMs = Date.now() - t0;
      sampler.phase = 'on-a';
      expect(eipAt()).toBe(eni['node-a']);
      expect(routeTargets()).toEqual(at('node-a'));
      expect(record()).toBe(ADDR['node-a']);
      await pause(1000);
    } finally {
      const v = await sampler.stop();
      console.log(`switchback automatic: crash of node-a to the hierarchy on node-b ${crashMs} ms; node-a powered on to the hierarchy back on it ${backMs} ms`);
      expect(v.two).toEqual([]);
      expect(v.wrong).toEqual([]);
    }

    // ---- a second hierarchy whose servers are in two regions: node-a us-east-1 (home), node-b eu-west-1
    new FileStore(join(dir, 'store')).update((d) => {
      d.resources.gvip = {
        tag: 'gvip',
        id: 'gvip',
        kit: 'ip',
        kitPackage: '@recovery-kit/kit-ip',
        kitVersion: '0.1.0',
        createdAt: new Date().toISOString(),
        options: { address: `${GVIP}/24`, pingList: [] },
        servers: { 'node-a': { ...entry(1), info: { region: 'us-east-1' } }, 'node-b': { ...entry(10), info: { region: 'eu-west-1' } } },
      };
    });
    const ga = await kitRunnerIn('node-a', ['cluster', 'apply', 'gvip', '--monitor-interval', '2']);
    expect(ga.exitCode, ga.stderr).toBe(0);
    expect(ga.stdout).toContain('created rk-gvip-ticket-eu-west-1');
    await c!.waitFor((ms) => mine(ms, 'node-a', ['gvip']), { timeoutMs: 60_000, what: 'gvip Started on node-a' });
    const gs = startSampler('cross-region grant', [GVIP], { routes: false });
    gs.phase = 'on-a';
    let grantMs = 0;
    try {
      await pause(500);
      // kit-runner refuses the restore into eu-west-1 without the grant, and changes nothing
      const epoch = (await c!.cib('node-a')).root.attrs.epoch;
      const no = await kitRunnerIn('node-a', ['action', 'gvip', 'restore', '--node', 'node-b'], { KIT_RUNNER_STORE: 'cib' });
      expect(no.exitCode, `${no.stdout}${no.stderr}`).toBe(4);
      expect(no.stderr).toContain('kit-runner cluster grant gvip eu-west-1');
      expect((await c!.cib('node-a')).root.attrs.epoch).toBe(epoch);
      // Pacemaker: a move into eu-west-1 waits for the grant ...
      gs.phase = 'waiting-for-grant';
      const mv = await c!.exec('node-a', ['crm_resource', '--move', '--resource', 'rk-gvip', '--node', 'node-b'], { allowFailure: true });
      expect(mv.exitCode, mv.stderr).toBe(0);
      await pause(4000);
      expect(startedOn(await c!.crmMon('node-b'), 'gvip')).toBe('node-a');
      // ... and happens once granted
      gs.phase = 'granted';
      const t0 = Date.now();
      const g = await kitRunnerIn('node-b', ['cluster', 'grant', 'gvip', 'eu-west-1'], { KIT_RUNNER_STORE: 'cib' });
      expect(g.exitCode, `${g.stdout}${g.stderr}`).toBe(0);
      expect(g.stdout).toContain('ticket rk-gvip-eu-west-1 granted (crm_ticket)');
      await c!.waitFor((ms) => mine(ms, 'node-b', ['gvip']), { timeoutMs: 30_000, intervalMs: 100, what: 'gvip Started on node-b once granted' });
      grantMs = Date.now() - t0;
      gs.phase = 'on-b';
      await c!.exec('node-a', ['crm_resource', '--clear', '--resource', 'rk-gvip'], { allowFailure: true });
      await pause(1000);
      // granted, kit-runner moves it too; revoked, Pacemaker takes it out of eu-west-1 (loss-policy stop on the gate)
      gs.phase = 'moving';
      const home = await kitRunnerIn('node-b', ['action', 'gvip', 'restore', '--node', 'node-a'], { KIT_RUNNER_STORE: 'cib' });
      expect(home.exitCode, `${home.stdout}${home.stderr}`).toBe(0);
      const there = await kitRunnerIn('node-a', ['action', 'gvip', 'restore', '--node', 'node-b'], { KIT_RUNNER_STORE: 'cib' });
      expect(there.exitCode, `${there.stdout}${there.stderr}`).toBe(0);
      gs.phase = 'revoked';
      const rv = await kitRunnerIn('node-a', ['cluster', 'revoke', 'gvip', 'eu-west-1'], { KIT_RUNNER_STORE: 'cib' });
      expect(rv.exitCode, `${rv.stdout}${rv.stderr}`).toBe(0);
      await c!.waitFor((ms) => mine(ms, 'node-a', ['gvip']), { timeoutMs: 30_000, intervalMs: 100, what: 'gvip back in us-east-1 after the revoke' });
      gs.phase = 'on-a';
      await pause(1000);
    } finally {
      const v = await gs.stop();
      console.log(`cross-region: grant to gvip Started on node-b ${grantMs} ms (the move had waited 4 s for it)`);
      expect(v.two).toEqual([]);
      expect(v.wrong).toEqual([]);
    }
  }, 300_000);
});
