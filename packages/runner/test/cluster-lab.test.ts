/**
 * The product on a real two-node Pacemaker cluster (packages/cluster-lab: node-a, node-b, a qnetd
 * witness), fenced by Debian's fence_aws against the AWS emulator: a hierarchy IP + EC2 route
 * table written to the local store, applied with `kit-runner cluster apply` (twice: the second
 * changes nothing), moved to node-b and back with `kit-runner action routes restore --node N` in
 * cluster mode (Pacemaker moves it), then node-a crashed (SIGKILL corosync + pacemakerd): node-b
 * fences it through fence_aws (StopInstances; the lab powers node-a off), the hierarchy comes up
 * on node-b and every route table points at node-b's ENI (read from the emulator).
 * A sampler records, as fast as it can, who holds the virtual IP (address on an up eth0) and where
 * the routes point: never two holders; in the steady phases one holder and every route at it.
 */
import { execFile } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AWS_API_ADDR, labUnavailableReason, listenInNamespace, startCluster, summary, type Cluster } from '../../cluster-lab/src/index.ts';
import { FileStore } from '../src/file-store.ts';
import { discoverKits } from '../src/loader.ts';
import { install } from '../src/ocf/install.ts';
import type { ServerEntry } from '../src/store.ts';
import { RUNNER_BIN } from './ocf-helpers.ts';

const why = labUnavailableReason() ?? (!existsSync('/usr/sbin/fence_aws') ? 'fence_aws missing (apt-get install fence-agents python3-boto3)' : undefined);
const VIP = '10.99.0.50';

interface Sample {
  t: number;
  phase: string;
  holders: string[];
  routes: (string | undefined)[];
}

const sh = (file: string, args: string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) => execFile(file, args, { timeout: 5000 }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })));

describe.skipIf(!!why)(`a hierarchy across two Pacemaker nodes with fence_aws (cluster apply, switchover, crash)${why ? ` (skipped: ${why})` : ''}`, () => {
  let c: Cluster | undefined;
  let emu: Emulator | undefined;
  let dir: string;
  const servers: http.Server[] = [];
  const { seed, ids } = twoAzLayout({ overlayIp: VIP });
  const inst = { 'node-a': ids.instances.node1, 'node-b': ids.instances.node2 } as const;
  const eni = { 'node-a': ids.enis.node1, 'node-b': ids.enis.node2 } as const;
  const rtbs = [ids.routeTables.privateA, ids.routeTables.privateB];
  const routeTargets = () =>
    rtbs.map(
      (r) =>
        emu!.state
          .ec2(ids.region)
          .routeTables.get(r)!
          .routes.find((x) => x.destinationCidrBlock === `${VIP}/32`)?.networkInterfaceId,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rk-cluster-'));
    chmodSync(dir, 0o755);
    writeFileSync(join(dir, 'tunables'), 'NOBCASTPING=1\nEC2_MAX_RETRY=1\n');
    emu = await startEmulator({ seed });
    // The agents, with the emulator's endpoint (plain HTTP inside each node, below) baked in.
    const endpoint = `http://${AWS_API_ADDR}:8080`;
    await install(discoverKits([]), {
      root: join(dir, 'resource.d'),
      env: {
        KIT_RUNNER_TUNABLES: join(dir, 'tunables'),
        AWS_ENDPOINT_URL_EC2: endpoint,
        AWS_ENDPOINT_URL_ROUTE_53: endpoint,
        AWS_REGION: ids.region,
        AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE: 'IPv4',
      },
    });
    c = await startCluster({ nodes: 2, fencing: 'external' });
    await c.serveAws({
      endpoint: emu.endpoint,
      region: ids.region,
      imds: { 'node-a': emu.imdsUrlFor(inst['node-a']), 'node-b': emu.imdsUrlFor(inst['node-b']) },
    });
    const target = new URL(emu.endpoint);
    for (const node of c.nodes) {
      await c.exec(node, [
        'mount',
        '-t',
        'overlay',
        `${c.id}-ocf`,
        '-o',
        `lowerdir=${join(dir, 'resource.d')}:/usr/lib/ocf/resource.d`,
        '/usr/lib/ocf/resource.d',
      ]);
      // Our kits' AWS SDK honours AWS_ENDPOINT_URL_*: the emulator over plain HTTP at 10.98.0.1:8080 inside the node.
      const listener = await listenInNamespace(c.member(node).holderPid, AWS_API_ADDR, 8080);
      const server = http.createServer((req, res) => {
        const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.writeHead(502).end());
        req.pipe(up);
      });
      listener.on('connection', (s) => server.emit('connection', s));
      servers.push(server);
      (server as unknown as { listener: unknown }).listener = listener;
    }
    c.followInstances({
      'node-a': () => emu!.state.findInstance(inst['node-a'])?.instance.state,
      'node-b': () => emu!.state.findInstance(inst['node-b'])?.instance.state,
    });
    await c.cibCreate(
      'resources',
      `<primitive id="aws-fence" class="stonith" type="fence_aws">
         <instance_attributes id="aws-fence-ia">
           <nvpair id="aws-fence-region" name="region" value="${ids.region}"/>
           <nvpair id="aws-fence-ak" name="access_key" value="AKIDEXAMPLE"/>
           <nvpair id="aws-fence-sk" name="secret_key" value="lab-secret"/>
           <nvpair id="aws-fence-map" name="pcmk_host_map" value="node-a:${inst['node-a']};node-b:${inst['node-b']}"/>
           <nvpair id="aws-fence-power-timeout" name="power_timeout" value="20"/>
         </instance_attributes>
         <operations><op id="aws-fence-monitor" name="monitor" interval="60s" timeout="30s"/></operations>
       </primitive>`,
    );
  }, 150_000);

  afterAll(async () => {
    for (const s of servers) {
      (s as unknown as { listener: { close(): void } }).listener.close();
      s.close();
    }
    await c?.stop();
    await emu?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const kitRunnerIn = (node: string, args: string[], env: Record<string, string> = {}) =>
    c!.exec(node, [process.execPath, RUNNER_BIN, '--state-dir', join(dir, 'store'), '--tunables', join(dir, 'tunables'), ...args], {
      allowFailure: true,
      timeoutMs: 90_000,
      env,
    });

  it('cluster apply (twice), switchover to node-b and back through Pacemaker, crash of node-a fenced by fence_aws; the sampler never sees two holders', async () => {
    const e = (priority: number, overrides: Record<string, unknown> = {}): ServerEntry => ({
      priority,
      switchback: 'intelligent',
      overrides,
      info: {},
      state: 'OSU',
      reason: '',
      since: new Date().toISOString(),
    });
    new FileStore(join(dir, 'store')).update((d) => {
      const base = { kitVersion: '0.1.0', createdAt: new Date().toISOString() };
      d.resources.vip = {
        tag: 'vip',
        id: 'vip',
        kit: 'ip',
        kitPackage: '@recovery-kit/kit-ip',
        options: { address: `${VIP}/24`, pingList: [] },
        servers: { 'node-a': e(1), 'node-b': e(10) },
        ...base,
      };
      d.resources.routes = {
        tag: 'routes',
        id: 'routes',
        kit: 'ec2',
        kitPackage: '@recovery-kit/kit-ec2',
        options: { scenario: 'route-table', ipResource: 'vip' },
        servers: { 'node-a': e(1, { eni: eni['node-a'] }), 'node-b': e(10, { eni: eni['node-b'] }) },
        ...base,
      };
      d.dependencies.push({ parent: 'routes', child: 'vip' });
    });

    const dry = await kitRunnerIn('node-a', ['cluster', 'apply', '--dry-run', '--monitor-interval', '2']);
    expect(dry.exitCode, dry.stderr).toBe(0);
    expect(dry.stdout).toContain('<group id="rk-routes"');
    const epoch0 = (await c!.cib('node-a')).root.attrs.epoch;
    expect((await c!.cib('node-a')).xml).not.toContain('rk-routes');
    const t0 = Date.now();
    const first = await kitRunnerIn('node-a', ['cluster', 'apply', '--monitor-interval', '2']);
    expect(first.exitCode, first.stderr).toBe(0);
    expect(first.stdout).toContain('created rk-routes');
    const mine = (ms: Awaited<ReturnType<Cluster['crmMon']>>[], node: string) =>
      ms.every((m) => ['vip', 'routes'].every((id) => m.resources.find((r) => r.id === id && r.role === 'Started')?.nodes.join() === node));
    await c!.waitFor((ms) => mine(ms, 'node-a'), { timeoutMs: 60_000, what: 'vip and routes Started on node-a' });
    const upMs = Date.now() - t0;
    expect(routeTargets()).toEqual([eni['node-a'], eni['node-a']]);
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
    expect(st[0]!.stdout).toMatch(/routes\s+ec2\s+node-a\(1\):ISP node-b\(10\):OSU\s+Started on node-a/);
    expect(st[0]!.stdout).toMatch(/└─ vip\s+ip\s+node-a\(1\):ISP node-b\(10\):OSU/);
    console.log(st[0]!.stdout);

    // ---- the sampler
    const samples: Sample[] = [];
    let phase = 'on-a';
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = Date.now();
        const held = await Promise.all(
          c!.nodes.map(async (n) =>
            (await sh('ip', ['-n', c!.member(n).netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0', 'up'])).stdout.includes(` ${VIP}/`) ? n : undefined,
          ),
        );
        samples.push({ t, phase, holders: held.filter((x): x is string => !!x), routes: routeTargets() });
        const wait = 50 - (Date.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();

    try {
      await new Promise((r) => setTimeout(r, 500));
      // ---- switchover to node-b from a script, in cluster mode
      phase = 'moving';
      const m1 = await kitRunnerIn('node-a', ['action', 'routes', 'restore', '--node', 'node-b'], { KIT_RUNNER_STORE: 'cib' });
      expect(m1.exitCode, `${m1.stdout}${m1.stderr}`).toBe(0);
      expect(m1.stdout).toMatch(/restore routes on node-b: ok through Pacemaker/);
      await c!.waitFor((ms) => mine(ms, 'node-b'), { timeoutMs: 10_000, what: 'on node-b' });
      phase = 'on-b';
      expect(routeTargets()).toEqual([eni['node-b'], eni['node-b']]);
      await new Promise((r) => setTimeout(r, 1000));
      // intelligent switchback: after the move's constraint is cleared it stays on node-b
      expect((await c!.crmMon('node-a')).resources.find((r) => r.id === 'routes')!.nodes).toEqual(['node-b']);
      const noMove = (await c!.cib('node-a')).xml;
      expect(noMove).not.toContain('cli-prefer');
      // ---- and back
      phase = 'moving';
      const m2 = await kitRunnerIn('node-b', ['cluster', 'move', 'routes', 'node-a', '--timeout', '60']);
      expect(m2.exitCode, `${m2.stdout}${m2.stderr}`).toBe(0);
      await c!.waitFor((ms) => mine(ms, 'node-a'), { timeoutMs: 10_000, what: 'back on node-a' });
      phase = 'on-a';
      expect(routeTargets()).toEqual([eni['node-a'], eni['node-a']]);
      await new Promise((r) => setTimeout(r, 1000));

      // ---- remove in cluster mode: Pacemaker stops it everywhere; restore brings it back on node-a
      phase = 'removed';
      const rm = await kitRunnerIn('node-b', ['action', 'routes', 'remove'], { KIT_RUNNER_STORE: 'cib' });
      expect(rm.exitCode, `${rm.stdout}${rm.stderr}`).toBe(0);
      for (const n of c!.nodes)
        expect((await sh('ip', ['-n', c!.member(n).netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout).not.toContain(` ${VIP}/`);
      const rc = await kitRunnerIn('node-b', ['action', 'routes', 'recover'], { KIT_RUNNER_STORE: 'cib' });
      expect(rc.exitCode).toBe(2);
      expect(rc.stderr).toContain("not run behind Pacemaker's back");
      phase = 'moving';
      const back = await kitRunnerIn('node-b', ['action', 'routes', 'restore', '--node', 'node-a'], { KIT_RUNNER_STORE: 'cib' });
      expect(back.exitCode, `${back.stdout}${back.stderr}`).toBe(0);
      phase = 'on-a';
      await new Promise((r) => setTimeout(r, 1000));

      // ---- crash node-a
      emu!.calls.reset();
      phase = 'crash';
      const tCrash = c!.crash('node-a');
      await c!.waitFor((ms) => ms[0]!.resources.find((r) => r.id === 'routes' && r.role === 'Started')?.nodes.join() === 'node-b', {
        nodes: ['node-b'],
        intervalMs: 100,
        timeoutMs: 60_000,
        what: 'routes Started on node-b after the crash',
      });
      const tUp = Date.now();
      phase = 'on-b-after-crash';
      const mon = await c!.crmMon('node-b');
      expect(
        mon.fencing.some((f) => f.target === 'node-a' && f.status === 'success'),
        summary(mon),
      ).toBe(true);
      expect(emu!.calls.list({ action: 'StopInstances' }).length).toBeGreaterThanOrEqual(1);
      expect(await c!.isPoweredOff('node-a')).toBe(true);
      expect(routeTargets()).toEqual([eni['node-b'], eni['node-b']]);
      await new Promise((r) => setTimeout(r, 1000));
      console.log(
        `cluster: hierarchy up on node-a ${upMs} ms after cluster apply; switchover: ${m1.stdout.trim()} / back: ${m2.stdout.trim()}; crash of node-a to routes on node-b ${tUp - tCrash} ms`,
      );
    } finally {
      sampling = false;
      await sampler;
    }
    // ---- the sampler's verdict
    const span = (samples.at(-1)!.t - samples[0]!.t) / 1000;
    const two = samples.filter((s) => s.holders.length > 1);
    const steady = samples.filter((s) => s.phase.startsWith('on-'));
    const wrong = steady.filter((s) => s.holders.length !== 1 || s.routes.some((r) => r !== eni[s.holders[0] as 'node-a' | 'node-b']));
    const byPhase: Record<string, number> = {};
    for (const s of samples) byPhase[s.phase] = (byPhase[s.phase] ?? 0) + 1;
    console.log(
      `sampler: ${samples.length} samples over ${span.toFixed(1)} s (${(samples.length / span).toFixed(1)}/s), per phase ${JSON.stringify(byPhase)}; two holders: ${two.length}; steady samples with no single holder or routes elsewhere: ${wrong.length}`,
    );
    expect(two).toEqual([]);
    expect(wrong).toEqual([]);
    expect(steady.length).toBeGreaterThan(10);
  }, 240_000);

  it("partition with the witness on node-a's side only: node-b (the holder) loses quorum and stops, node-a fences it and takes over; exactly one side holds", async () => {
    // node-a comes back (its instance running again: the lab powers it on); intelligent switchback keeps the hierarchy on node-b.
    emu!.state.findInstance(inst['node-a'])!.instance.state = 'running';
    await c!.waitFor((ms) => ms.every((m) => m.nodes.every((n) => n.online)), { timeoutMs: 60_000, what: 'node-a back online' });
    await new Promise((r) => setTimeout(r, 2000));
    expect((await c!.crmMon('node-b')).resources.find((r) => r.id === 'routes')!.nodes).toEqual(['node-b']);
    expect(routeTargets()).toEqual([eni['node-b'], eni['node-b']]);

    const samples: Sample[] = [];
    let phase = 'on-b';
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        const t = Date.now();
        const held = await Promise.all(
          c!.nodes.map(async (n) =>
            (await sh('ip', ['-n', c!.member(n).netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0', 'up'])).stdout.includes(` ${VIP}/`) ? n : undefined,
          ),
        );
        samples.push({ t, phase, holders: held.filter((x): x is string => !!x), routes: routeTargets() });
        const wait = 50 - (Date.now() - t);
        if (wait > 0) await new Promise((r) => setTimeout(r, wait));
      }
    })();
    let tookMs = 0;
    try {
      await new Promise((r) => setTimeout(r, 500));
      phase = 'partition';
      const t0 = Date.now();
      await c!.partition([['node-b'], ['node-a', 'qnetd']]);
      await c!.waitFor((ms) => ms[0]!.quorum && ms[0]!.resources.find((r) => r.id === 'routes' && r.role === 'Started')?.nodes.join() === 'node-a', {
        nodes: ['node-a'],
        intervalMs: 100,
        timeoutMs: 60_000,
        what: 'routes Started on node-a (the side with the witness)',
      });
      tookMs = Date.now() - t0;
      phase = 'on-a';
      const mon = await c!.crmMon('node-a');
      expect(
        mon.fencing.some((f) => f.target === 'node-b' && f.status === 'success'),
        summary(mon),
      ).toBe(true);
      expect(routeTargets()).toEqual([eni['node-a'], eni['node-a']]);
      await new Promise((r) => setTimeout(r, 1000));
    } finally {
      sampling = false;
      await sampler;
      await c!.heal();
    }
    const two = samples.filter((x) => x.holders.length > 1);
    const steady = samples.filter((x) => x.phase.startsWith('on-'));
    const wrong = steady.filter((x) => x.holders.length !== 1 || x.routes.some((r) => r !== eni[x.holders[0] as 'node-a' | 'node-b']));
    const span = (samples.at(-1)!.t - samples[0]!.t) / 1000;
    const byPhase: Record<string, number> = {};
    for (const x of samples) byPhase[x.phase] = (byPhase[x.phase] ?? 0) + 1;
    console.log(
      `partition: routes on node-a ${tookMs} ms after the cut; sampler: ${samples.length} samples over ${span.toFixed(1)} s (${(samples.length / span).toFixed(1)}/s), per phase ${JSON.stringify(byPhase)}; two holders: ${two.length}; steady samples wrong: ${wrong.length}`,
    );
    expect(two).toEqual([]);
    expect(wrong).toEqual([]);
  }, 150_000);
});
