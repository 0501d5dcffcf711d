/**
 * The two-node Pacemaker lab on the AWS emulator, shared by cluster-lab.test.ts and
 * bench/failover.mjs: node-a and node-b plus the qnetd witness (packages/cluster-lab), our OCF
 * agents installed in a temporary root overlaid on each node's /usr/lib/ocf/resource.d with the
 * emulator's endpoint baked in (plain HTTP at 10.98.0.1:8080 inside each node), fence_aws as the
 * only stonith device (one per node, never on the node it fences; TLS at the regional host name,
 * IMDS per node), and each node's power tied to its instance's state. No Vitest here (the benchmark imports it with plain Node).
 */
import { execFile } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { AWS_API_ADDR, listenInNamespace, startCluster, type Cluster } from '../../cluster-lab/src/index.ts';
import { FileStore } from '../src/file-store.ts';
import { discoverKits } from '../src/loader.ts';
import { install } from '../src/ocf/install.ts';
import type { ServerEntry } from '../src/store.ts';

export const RUNNER = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));

export interface AwsLabOptions {
  /** The overlay / first address of the layout. */
  overlayIp: string;
  /**
   * Emulator: ms from StopInstances to `stopped`. Unset (the lab's default), the lab cuts the
   * node's power inside StopInstances and marks the instance `stopped` at once (see below).
   */
  instanceStopDelayMs?: number;
  /** Emulator: ms before a Route 53 change is INSYNC (the lab's default 100; the emulator's own 500). */
  route53ChangeDelayMs?: number;
  /** fence_aws parameters added to the stonith device (e.g. power_wait, pcmk_delay_max). */
  fence?: Record<string, string>;
  /** Corosync token (ms); this lab's default 500 (a lab choice: docs/operate/cluster-lab.md, "Timing"). */
  tokenMs?: number;
  /** Tunables file lines for our agents. */
  tunables?: string;
}

export interface AwsLab {
  c: Cluster;
  emu: Emulator;
  dir: string;
  ids: ReturnType<typeof twoAzLayout>['ids'];
  inst: Record<'node-a' | 'node-b', string>;
  eni: Record<'node-a' | 'node-b', string>;
  kitRunnerIn(node: string, args: string[], env?: Record<string, string>): ReturnType<Cluster['exec']>;
  stop(): Promise<void>;
}

export async function startAwsLab(o: AwsLabOptions): Promise<AwsLab> {
  const dir = mkdtempSync(join(tmpdir(), 'rk-cluster-'));
  chmodSync(dir, 0o755);
  // Lab timing choices (docs/operate/cluster-lab.md, "Timing"): IP_DAD_WAIT_MS=50 (the tunable's
  // minimum): on the lab's bridge a duplicate answers within a millisecond (the kit's default
  // listens 1 s); ROUTE53_CHANGEID_FIRST_INTERVAL=0.1: the emulator's change is INSYNC after 100 ms.
  writeFileSync(join(dir, 'tunables'), o.tunables ?? 'NOBCASTPING=1\nEC2_MAX_RETRY=1\nIP_DAD_WAIT_MS=50\nROUTE53_CHANGEID_FIRST_INTERVAL=0.1\n');
  const { seed, ids } = twoAzLayout({ overlayIp: o.overlayIp });
  const inst = { 'node-a': ids.instances.node1, 'node-b': ids.instances.node2 };
  const eni = { 'node-a': ids.enis.node1, 'node-b': ids.enis.node2 };
  const emu = await startEmulator({
    seed,
    // Without a stop delay the emulator's own 500 ms only backs up the lab's cut below.
    ...(o.instanceStopDelayMs !== undefined ? { instanceStopDelayMs: o.instanceStopDelayMs } : {}),
    route53ChangeDelayMs: o.route53ChangeDelayMs ?? 100,
  });
  const servers: { server: http.Server; listener: { close(): void } }[] = [];
  let c: Cluster | undefined;
  const stop = async () => {
    for (const s of servers) {
      s.listener.close();
      s.server.close();
    }
    await c?.stop();
    await emu.stop();
    rmSync(dir, { recursive: true, force: true });
  };
  try {
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
    c = await startCluster({ nodes: 2, fencing: 'external', tokenMs: o.tokenMs ?? 500 });
    const lab = c;
    await lab.serveAws({
      endpoint: emu.endpoint,
      region: ids.region,
      imds: { 'node-a': emu.imdsUrlFor(inst['node-a']), 'node-b': emu.imdsUrlFor(inst['node-b']) },
    });
    const target = new URL(emu.endpoint);
    for (const node of lab.nodes) {
      await lab.exec(node, [
        'mount',
        '-t',
        'overlay',
        `${lab.id}-ocf`,
        '-o',
        `lowerdir=${join(dir, 'resource.d')}:/usr/lib/ocf/resource.d`,
        '/usr/lib/ocf/resource.d',
      ]);
      // Our kits' AWS SDK honours AWS_ENDPOINT_URL_*: the emulator over plain HTTP at 10.98.0.1:8080 inside the node.
      const listener = await listenInNamespace(lab.member(node).holderPid, AWS_API_ADDR, 8080);
      const server = http.createServer((req, res) => {
        const up = http.request({ host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers }, (r) => {
          res.writeHead(r.statusCode ?? 502, r.headers);
          r.pipe(res);
        });
        up.on('error', () => res.writeHead(502).end());
        req.pipe(up);
      });
      listener.on('connection', (s) => server.emit('connection', s));
      servers.push({ server, listener });
    }
    if (o.instanceStopDelayMs === undefined) {
      // The instance is `stopped` once the node is off: StopInstances cuts its power before it
      // answers (SIGKILL to every process in it, eth0 down, a few ms), then the lab sets the state.
      // fence_aws's first status read then sees `stopped` (on AWS a stop takes far longer and
      // fence_aws reads the state every second until it is `stopped`).
      const nodeOf = new Map(Object.entries(inst).map(([node, id]) => [id, node]));
      emu.ec2.onInstanceState((ev) => {
        const node = nodeOf.get(ev.instanceId);
        if (!node || ev.current !== 'stopping' || ev.cause !== 'StopInstances') return;
        lab.cutPower(node);
        emu.ec2.setInstanceState(ev.instanceId, 'stopped');
      });
    }
    // Power follows the instance's state (on again at `running`; off for a stop with a delay).
    lab.followInstances({
      'node-a': () => emu.state.findInstance(inst['node-a'])?.instance.state,
      'node-b': () => emu.state.findInstance(inst['node-b'])?.instance.state,
    });
    // One fence_aws device per node, kept off the node it fences: when a node dies, the device
    // that fences it already runs on the survivor (no device start competing with the fencing).
    for (const node of ['node-a', 'node-b'] as const) {
      const id = `fence-${node}`;
      const fence: Record<string, string> = {
        region: ids.region,
        access_key: 'AKIDEXAMPLE',
        secret_key: 'lab-secret',
        pcmk_host_map: `${node}:${inst[node]}`,
        power_timeout: '20',
        ...o.fence,
      };
      const nv = Object.entries(fence)
        .map(([k, v]) => `<nvpair id="${id}-${k}" name="${k}" value="${v}"/>`)
        .join('');
      await lab.cibCreate(
        'resources',
        `<primitive id="${id}" class="stonith" type="fence_aws"><instance_attributes id="${id}-ia">${nv}</instance_attributes><operations><op id="${id}-monitor" name="monitor" interval="60s" timeout="30s"/></operations></primitive>`,
      );
      await lab.cibCreate('constraints', `<rsc_location id="${id}-not-on-${node}" rsc="${id}" node="${node}" score="-INFINITY"/>`);
    }
  } catch (err) {
    await stop();
    throw err;
  }
  const lab = c;
  return {
    c: lab,
    emu,
    dir,
    ids,
    inst,
    eni,
    kitRunnerIn: (node, args, env = {}) =>
      lab.exec(node, [process.execPath, RUNNER, '--state-dir', join(dir, 'store'), '--tunables', join(dir, 'tunables'), ...args], {
        allowFailure: true,
        timeoutMs: 90_000,
        env,
      }),
    stop,
  };
}

/** Runs a host command without a shell (the sampler's `ip -n NS addr`). */
export const sh = (file: string, args: string[]): Promise<{ code: number; stdout: string }> =>
  new Promise((resolve) => execFile(file, args, { timeout: 5000 }, (err, stdout) => resolve({ code: err ? 1 : 0, stdout })));

/** The lab's two addresses: node-a's (also the overlay) and node-b's. */
export const LAB_ADDR = { 'node-a': '10.99.0.50', 'node-b': '10.99.0.51' } as const;

/**
 * The lab's hierarchy in the store of `lab.dir`: dns (Route 53) -> routes (EC2 route tables) -> vip
 * (IP), node-a priority 1, node-b 10, each node its own address; both addresses' routes follow the
 * holder (its own as the IP child's host route, the peer's as a further destination). Shape
 * `group` is a chain (one Pacemaker group); `parallel` makes dns depend on vip too, so routes and
 * dns start together. The record starts at an address nobody holds (10.99.0.99). Shared by
 * cluster-lab.test.ts, bench/failover.mjs and scripts/demo-cluster.mjs.
 */
export function writeLabHierarchy(lab: AwsLab, shape: 'group' | 'parallel' = 'group'): void {
  const { ids, eni } = lab;
  const since = new Date().toISOString();
  const entry = (priority: number, overrides: Record<string, unknown> = {}): ServerEntry => ({
    priority,
    switchback: 'intelligent',
    overrides,
    info: {},
    state: 'OSU',
    reason: '',
    since,
  });
  const base = { kitVersion: '0.1.0', createdAt: since };
  const rtbs = [ids.routeTables.privateA, ids.routeTables.privateB];
  new FileStore(join(lab.dir, 'store')).update((d) => {
    d.resources.vip = {
      tag: 'vip',
      id: 'vip',
      kit: 'ip',
      kitPackage: '@recovery-kit/kit-ip',
      options: { address: `${LAB_ADDR['node-a']}/24`, pingList: [] },
      servers: { 'node-a': entry(1), 'node-b': entry(10, { address: `${LAB_ADDR['node-b']}/24` }) },
      ...base,
    };
    d.resources.routes = {
      tag: 'routes',
      id: 'routes',
      kit: 'ec2',
      kitPackage: '@recovery-kit/kit-ec2',
      options: { scenario: 'route-table', ipResource: 'vip', createMissing: true, routeTables: rtbs },
      servers: {
        'node-a': entry(1, { eni: eni['node-a'], destinations: [`${LAB_ADDR['node-b']}/32`] }),
        'node-b': entry(10, { eni: eni['node-b'], destinations: [`${LAB_ADDR['node-a']}/32`] }),
      },
      ...base,
    };
    d.resources.dns = {
      tag: 'dns',
      id: 'dns',
      kit: 'route53',
      kitPackage: '@recovery-kit/kit-route53',
      options: { zone: 'internal.example.com', zoneId: ids.hostedZones.private, host: 'db', ip: 'vip' },
      servers: { 'node-a': entry(1), 'node-b': entry(10) },
      ...base,
    };
    d.dependencies.push({ parent: 'routes', child: 'vip' }, shape === 'parallel' ? { parent: 'dns', child: 'vip' } : { parent: 'dns', child: 'routes' });
  });
  const record = lab.emu.state.hostedZones.get(ids.hostedZones.private)?.records.find((r) => r.name === ids.records.private && r.type === 'A');
  if (!record) throw new Error(`the layout has no A record ${ids.records.private}`);
  record.values = ['10.99.0.99'];
}
