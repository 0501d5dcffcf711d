// bench/ocf.mjs's work, run inside the network namespace bench/peers/netns.mjs made
// (`ip netns exec NS node bench/peers/ocf-inside.mjs OPTIONS_JSON`). Never run it on the host: it
// serves IMDS on 169.254.169.254:80, which must exist only in that namespace.
//
// Both sides run as Pacemaker runs them: one process per action, the OCF environment
// (OCF_ROOT, OCF_RESOURCE_INSTANCE, OCF_RESKEY_*, OCF_RESKEY_CRM_meta_timeout and _interval,
// OCF_CHECK_LEVEL), the agent file executed directly. Ours are the agents `kit-runner ocf install`
// writes (into a temporary OCF root); the peers are Debian's resource-agents with the `aws` CLI.
// Each process's wall time and the emulator's counters (AWS API requests, IMDS requests) per action.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { peersLayout } from './layout.mjs';
import { median, timed } from './timing.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const runs = opts.runs ?? 5;
const peerRuns = opts.peerRuns ?? 3;
const only = opts.only ? new Set(opts.only) : undefined;
const dev = 'eth0';
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const PEERS = '/usr/lib/ocf/resource.d/heartbeat';
const { startEmulator, twoAzLayout } = await import(pathToFileURL(join(root, 'packages/aws-emulator/dist/index.js')).href);

const probe = peersLayout(twoAzLayout, 1).ids;
const emu = await startEmulator({ host: '169.254.169.254', imds: { ports: { [probe.instances.node2]: 80 } }, route53ChangeDelayMs: 0 });
const work = mkdtempSync('/tmp/rk-bench-ocf-');
chmodSync(work, 0o755);

// The peers' CLI (as in inside.mjs): Debian's awscli 2.9 has no AWS_ENDPOINT_URL, so a wrapper adds --endpoint-url.
const awsWrapper = join(work, 'aws-emulator-cli');
writeFileSync(awsWrapper, `#!/bin/sh\nexec /usr/bin/aws --endpoint-url "$RK_BENCH_ENDPOINT" "$@"\n`);
chmodSync(awsWrapper, 0o755);
writeFileSync(join(work, 'aws-config'), '[default]\nregion = us-east-1\noutput = text\n');
const tunables = join(work, 'recovery-kit.conf');
writeFileSync(tunables, 'NOBCASTPING=1\n');

// Our agents, installed as an operator would (into a temporary OCF root).
const ocfRoot = join(work, 'resource.d');
const inst = spawnSync(process.execPath, [bin, '--kits-dir', join(root, 'kits'), '--tunables', tunables, 'ocf', 'install', '--root', ocfRoot], {
  encoding: 'utf8',
});
if (inst.status !== 0) throw new Error(`kit-runner ocf install: ${inst.stderr}`);
const OURS = join(ocfRoot, 'recovery-kit');

const callSummary = () => {
  const by = emu.calls.byAction();
  const sum = (imds) =>
    Object.entries(by)
      .filter(([k]) => k.startsWith('IMDS:') === imds)
      .reduce((s, [, v]) => s + v, 0);
  return { aws: sum(false), imds: sum(true), byAction: by };
};
const ip = (...a) => spawnSync('ip', a, { encoding: 'utf8' });
const hasAddr = (addr) =>
  (JSON.parse(ip('-j', 'addr', 'show', 'dev', dev).stdout || '[]')[0]?.addr_info ?? []).some((a) => `${a.local}/${a.prefixlen}` === addr);
const delAddr = (addr) => ip('addr', 'del', addr, 'dev', dev);

let stateSeq = 0;
/** The environment Pacemaker gives an agent (plus, for ours, the AWS endpoints and IMDS of node2). */
function ocfEnv(instance, params, { interval = 0, level, ours }) {
  const rsctmp = join(work, 'rsctmp');
  mkdirSync(rsctmp, { recursive: true });
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: work,
    OCF_ROOT: '/usr/lib/ocf',
    OCF_FUNCTIONS_DIR: '/usr/lib/ocf/lib/heartbeat',
    OCF_RESOURCE_INSTANCE: instance,
    HA_RSCTMP: rsctmp,
    HA_LOGFACILITY: 'none',
    HA_LOGFILE: join(work, 'ha.log'),
    OCF_RESKEY_CRM_meta_timeout: '180000',
    OCF_RESKEY_CRM_meta_interval: String(interval),
    ...(level !== undefined ? { OCF_CHECK_LEVEL: String(level) } : {}),
    ...(ours
      ? { ...emu.env({ instanceId: probe.instances.node2 }), KIT_RUNNER_OCF_STATE_DIR: join(work, `ocf-state-${stateSeq}`), KIT_RUNNER_NODE: 'node-b' }
      : {
          AWS_CONFIG_FILE: join(work, 'aws-config'),
          AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
          AWS_PAGER: '',
          RK_BENCH_ENDPOINT: emu.endpoint,
        }),
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, String(v)])),
  };
}
/** One agent process: [dir, agent, instance, params]; fails the benchmark on an unexpected exit code. */
async function agent(ours, [name, instance, params], action, { interval, level, codes = [0] } = {}) {
  const r = await timed(join(ours ? OURS : PEERS, name), [action], ocfEnv(instance, params, { interval, level, ours }));
  if (!codes.includes(r.code)) throw new Error(`${name} ${action} exited ${r.code}: ${r.err.slice(-1500)}`);
  return r;
}

// ---- measuring: every action is a list of agent processes run in order (a Pacemaker group's members)
const rows = [];
async function measure(scenario, tool, n, { prepare, actions }) {
  const acc = {};
  for (let r = 0; r < n; r++) {
    await prepare();
    for (const [action, run, check] of actions) {
      emu.calls.reset();
      const ms = (await run()).reduce((s, x) => s + x.ms, 0);
      const calls = callSummary();
      if (check) check();
      (acc[action] ??= []).push({ ms, calls });
    }
  }
  for (const [action, list] of Object.entries(acc)) {
    const row = { scenario, tool, action, runs: list.length, wallMs: Math.round(median(list.map((x) => x.ms))), calls: list.at(-1).calls };
    rows.push(row);
    console.error(
      `${scenario} | ${tool} | ${action}: ${row.wallMs} ms (median of ${row.runs}), AWS ${row.calls.aws}, IMDS ${row.calls.imds} ${JSON.stringify(row.calls.byAction)}`,
    );
  }
}
const seq = async (...fns) => {
  const out = [];
  for (const f of fns) out.push(await f());
  return out;
};
const reseed = async (layoutOptions) => {
  emu.reset();
  const l = peersLayout(twoAzLayout, 1, layoutOptions);
  await emu.seed(l.seed);
  return l.ids;
};
const expect = (ok, what) => {
  if (!ok) throw new Error(`check failed: ${what}`);
};
const recurring = { interval: 10000 };

try {
  await reseed();
  // 1. Overlay IP: routes to node2's ENI plus the /32 on eth0. Peer: one aws-vpc-move-ip resource.
  // Ours: a group of two, ocf:recovery-kit:ip (the /32) and ocf:recovery-kit:ec2 (the routes).
  if (!only || only.has('route-table')) {
    const scenario = 'overlay IP, 1 route table';
    let ids;
    const routed = () => ec2Routes(ids) === ids.enis.node2;
    const ec2Routes = (x) =>
      emu.state
        .ec2('us-east-1')
        .routeTables.get(x.tables[0])
        .routes.find((r) => r.destinationCidrBlock === x.overlayCidr)?.networkInterfaceId;
    const peer = (monapi) => [
      'aws-vpc-move-ip',
      'vip',
      { ip: ids.overlayIp, routing_table: ids.tables.join(','), interface: dev, profile: 'default', region: 'us-east-1', awscli: awsWrapper, monapi },
    ];
    await measure(scenario, 'aws-vpc-move-ip', peerRuns, {
      prepare: async () => {
        ids = await reseed();
        delAddr(ids.overlayCidr);
      },
      actions: [
        ['start', () => seq(() => agent(false, peer(false), 'start')), () => expect(routed() && hasAddr(ids.overlayCidr), 'routes and address')],
        ['monitor', () => seq(() => agent(false, peer(false), 'monitor', recurring))],
        ['monitor (API)', () => seq(() => agent(false, peer(true), 'monitor', recurring))],
        ['stop', () => seq(() => agent(false, peer(false), 'stop')), () => expect(!hasAddr(ids.overlayCidr), 'address gone')],
      ],
    });
    const vip = () => ['ip', 'vip', { address: ids.overlayCidr, device: dev }];
    const rt = () => ['ec2', 'rt', { scenario: 'route-table', destinations: ids.overlayCidr }];
    await measure(scenario, 'ip + ec2 (group of 2)', runs, {
      prepare: async () => {
        ids = await reseed();
        delAddr(ids.overlayCidr);
        stateSeq++;
      },
      actions: [
        [
          'start',
          () =>
            seq(
              () => agent(true, vip(), 'start'),
              () => agent(true, rt(), 'start'),
            ),
          () => expect(routed() && hasAddr(ids.overlayCidr), 'routes and address'),
        ],
        [
          'monitor',
          () =>
            seq(
              () => agent(true, vip(), 'monitor', recurring),
              () => agent(true, rt(), 'monitor', recurring),
            ),
        ],
        [
          'monitor (API)',
          () =>
            seq(
              () => agent(true, vip(), 'monitor', recurring),
              () => agent(true, rt(), 'monitor', { ...recurring, level: 10 }),
            ),
        ],
        [
          'stop',
          () =>
            seq(
              () => agent(true, rt(), 'stop'),
              () => agent(true, vip(), 'stop'),
            ),
          () => expect(!hasAddr(ids.overlayCidr), 'address gone'),
        ],
      ],
    });
  }

  // 2. Elastic IP onto node2's ENI (from "not associated": awseip never passes --allow-reassociation).
  if (!only || only.has('eip')) {
    const scenario = 'Elastic IP';
    let ids;
    const eipAt = (eni) => [...emu.state.ec2('us-east-1').addresses.values()].find((a) => a.allocationId === ids.allocationId)?.networkInterfaceId === eni;
    const peer = () => [
      'awseip',
      'eip',
      { elastic_ip: ids.publicIp, allocation_id: ids.allocationId, profile: 'default', region: 'us-east-1', awscli: awsWrapper },
    ];
    const ours = () => ['ec2', 'eip', { scenario: 'elastic-ip', allocationId: ids.allocationId }];
    for (const [tool, side, n] of [
      ['awseip', false, peerRuns],
      ['ec2 (elastic-ip)', true, runs],
    ]) {
      const a = side ? ours : peer;
      await measure(scenario, tool, n, {
        prepare: async () => {
          ids = await reseed({ eipAssociated: false });
          stateSeq++;
        },
        actions: [
          ['start', () => seq(() => agent(side, a(), 'start')), () => expect(eipAt(ids.enis.node2), 'EIP on node2')],
          ['monitor', () => seq(() => agent(side, a(), 'monitor', recurring))],
          ['monitor (API)', () => seq(() => agent(side, a(), 'monitor', { ...recurring, level: 10 }))],
          ['stop', () => seq(() => agent(side, a(), 'stop'))],
        ],
      });
    }
  }

  // 3. Route 53: app.example.com. to 10.0.4.100 (the address is up: in a group it is the IP member's).
  if (!only || only.has('route53')) {
    const scenario = 'Route 53 record';
    const addr = '10.0.4.100';
    let ids;
    const record = () => emu.state.hostedZones.get(ids.hostedZones.public).records.find((r) => r.name === ids.records.public && r.type === 'A')?.values ?? [];
    const peer = () => [
      'aws-vpc-route53',
      'dns',
      { hostedzoneid: ids.hostedZones.public, fullname: ids.records.public, ip: addr, ttl: 10, profile: 'default', awscli: awsWrapper },
    ];
    const ours = () => ['route53', 'dns', { zone: 'example.com', host: 'app', ip: 'vip', zoneId: ids.hostedZones.public, children: `vip:address=${addr}/24` }];
    for (const [tool, side, n] of [
      ['aws-vpc-route53', false, peerRuns],
      ['route53', true, runs],
    ]) {
      const a = side ? ours : peer;
      await measure(scenario, tool, n, {
        prepare: async () => {
          ids = await reseed();
          delAddr(`${addr}/24`);
          ip('addr', 'add', `${addr}/24`, 'dev', dev);
          stateSeq++;
        },
        actions: [
          ['start', () => seq(() => agent(side, a(), 'start')), () => expect(record().join() === addr, 'record updated')],
          ['monitor', () => seq(() => agent(side, a(), 'monitor', recurring))],
          ['monitor (API)', () => seq(() => agent(side, a(), 'monitor', { ...recurring, level: 10 }))],
          ['stop', () => seq(() => agent(side, a(), 'stop'))],
        ],
      });
    }
    delAddr(`${addr}/24`);
  }

  // 4. A virtual IP on eth0.
  if (!only || only.has('ip')) {
    const scenario = 'virtual IP';
    const vip = '10.0.4.100/24';
    const peer = ['IPaddr2', 'vip', { ip: vip.split('/')[0], cidr_netmask: 24, nic: dev }];
    const ours = ['ip', 'vip', { address: vip, device: dev }];
    for (const [tool, side, n] of [
      ['IPaddr2', false, peerRuns],
      ['ip', true, runs],
    ]) {
      const a = side ? ours : peer;
      await measure(scenario, tool, n, {
        prepare: async () => {
          delAddr(vip);
          stateSeq++;
        },
        actions: [
          ['start', () => seq(() => agent(side, a, 'start')), () => expect(hasAddr(vip), 'address up')],
          ['monitor', () => seq(() => agent(side, a, 'monitor', recurring))],
          ['stop', () => seq(() => agent(side, a, 'stop')), () => expect(!hasAddr(vip), 'address gone')],
        ],
      });
    }
  }

  const floor = [];
  for (let r = 0; r < runs; r++) floor.push((await timed(process.execPath, ['-e', '0'], { PATH: process.env.PATH })).ms);
  const load = (await import('node:os')).loadavg().map((x) => x.toFixed(1));
  console.log(JSON.stringify({ node: process.version, nodeFloorMs: Math.round(median(floor)), load, runs, peerRuns, rows }));
} finally {
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
}
