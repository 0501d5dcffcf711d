// The side-by-side benchmark's work, run by bench/peers.mjs inside the network namespace it made
// (`ip netns exec NS node bench/peers/inside.mjs OPTIONS_JSON`). Never run it on the host: it
// serves IMDS on 169.254.169.254:80, which must exist only in that namespace.
//
// One AWS emulator (EC2, Route53 and IMDSv2 on 169.254.169.254; the instance the benchmark acts as,
// node2, has its IMDS on port 80 there, where the peer scripts' curl and the AWS CLI expect it).
// Each scenario runs the peer agent (Debian's resource-agents, through its OCF interface) and our
// kit (through kit-runner) from the same starting state, and records the whole process's wall
// time and the emulator's call counter for each action: start/restore, monitor/quickCheck,
// stop/remove.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { peersLayout } from './layout.mjs';
import { median, timed } from './timing.mjs';

const opts = JSON.parse(process.argv[2] ?? '{}');
const runs = opts.runs ?? 5;
const peerRuns = opts.peerRuns ?? runs;
const peerRunsSlow = opts.peerRunsSlow ?? 1; // aws-vpc-move-ip with 50 tables takes minutes a run
const tableCounts = opts.tables ?? [1, 10, 50];
const only = opts.only ? new Set(opts.only) : undefined;
const dev = opts.dev ?? 'eth0';
const root = fileURLToPath(new URL('../..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const AGENTS = '/usr/lib/ocf/resource.d/heartbeat';
const AWS_CLI = opts.awsCli ?? '/usr/bin/aws';
const { startEmulator, twoAzLayout } = await import(pathToFileURL(join(root, 'packages/aws-emulator/dist/index.js')).href);

const IMDS_HOST = '169.254.169.254';
const probe = peersLayout(twoAzLayout, 1).ids;
const emu = await startEmulator({ host: IMDS_HOST, imds: { ports: { [probe.instances.node2]: 80 } }, route53ChangeDelayMs: 0 });
const work = mkdtempSync('/tmp/rk-bench-peers-');

// The peers' AWS CLI: Debian's awscli 2.9 has no AWS_ENDPOINT_URL (2.13+), so the agents' `awscli`
// parameter names this wrapper, which adds --endpoint-url. Credentials: the profile has none, so
// the CLI takes the instance role's from IMDS (169.254.169.254), as on a node with an instance profile.
const awsWrapper = join(work, 'aws-emulator-cli');
writeFileSync(awsWrapper, `#!/bin/sh\nexec ${AWS_CLI} --endpoint-url "$RK_BENCH_ENDPOINT" "$@"\n`);
chmodSync(awsWrapper, 0o755);
writeFileSync(join(work, 'aws-config'), '[default]\nregion = us-east-1\noutput = text\n');
const tunables = join(work, 'recovery-kit.conf');
// NOBCASTPING=1: no broadcast ping in the IP kit's quickCheck (the kit manual's setting for clouds).
writeFileSync(tunables, 'NOBCASTPING=1\n');
// The same with the IP kit's duplicate-address probe off (NOIPUNIQUE=1): like for like with the
// peers, which probe nothing (aws-vpc-move-ip, IPaddr2).
const tunablesNoProbe = join(work, 'recovery-kit-noprobe.conf');
writeFileSync(tunablesNoProbe, 'NOBCASTPING=1\nNOIPUNIQUE=1\n');

const must = async (what, p, codes = [0]) => {
  const r = await p;
  if (!codes.includes(r.code)) throw new Error(`${what} exited ${r.code}: ${(r.err || r.out).slice(-1500)}`);
  return r;
};
const callSummary = () => {
  const by = emu.calls.byAction();
  const aws = Object.entries(by).filter(([k]) => !k.startsWith('IMDS:'));
  const imds = Object.entries(by).filter(([k]) => k.startsWith('IMDS:'));
  return { aws: aws.reduce((s, [, v]) => s + v, 0), imds: imds.reduce((s, [, v]) => s + v, 0), byAction: by };
};
const ip = (...a) => spawnSync('ip', a, { encoding: 'utf8' });
const hasAddr = (addr) =>
  (JSON.parse(ip('-j', 'addr', 'show', 'dev', dev).stdout || '[]')[0]?.addr_info ?? []).some((a) => `${a.local}/${a.prefixlen}` === addr);
const delAddr = (addr) => ip('addr', 'del', addr, 'dev', dev);

// ---- the two kinds of process
let stateSeq = 0;
function kitEnv(node, dadProbe = true) {
  const instanceId = node === 'node-a' ? probe.instances.node1 : probe.instances.node2;
  return {
    PATH: process.env.PATH,
    HOME: work,
    ...emu.env({ instanceId }),
    KIT_RUNNER_STATE_DIR: join(work, `state-${stateSeq}`),
    KIT_RUNNER_TUNABLES: dadProbe ? tunables : tunablesNoProbe,
    KIT_RUNNER_KITS_DIR: join(root, 'kits'),
    KIT_RUNNER_NODE: node,
  };
}
const kr = (args, env) => timed(process.execPath, [bin, ...args], env);
function ocfEnv(agent, params, interval = 0) {
  const rsctmp = join(work, 'rsctmp');
  mkdirSync(rsctmp, { recursive: true });
  return {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin',
    HOME: work,
    OCF_ROOT: '/usr/lib/ocf',
    OCF_FUNCTIONS_DIR: '/usr/lib/ocf/lib/heartbeat',
    OCF_RESOURCE_INSTANCE: `bench-${agent}`,
    OCF_RESOURCE_TYPE: agent,
    HA_RSCTMP: rsctmp,
    HA_LOGFACILITY: 'none',
    HA_LOGFILE: join(work, 'ha.log'),
    OCF_RESKEY_CRM_meta_timeout: '180000',
    OCF_RESKEY_CRM_meta_interval: String(interval),
    AWS_CONFIG_FILE: join(work, 'aws-config'),
    AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-credentials'),
    AWS_PAGER: '',
    RK_BENCH_ENDPOINT: emu.endpoint,
    ...Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, String(v)])),
  };
}
const agent = (name, action, params, interval) => timed(join(AGENTS, name), [action], ocfEnv(name, params, interval));

// ---- measuring: each action of a scenario, `n` runs from the same starting state
const rows = [];
async function measure(scenario, tool, n, { prepare, actions }) {
  const acc = {};
  for (let r = 0; r < n; r++) {
    await prepare();
    for (const [action, run, check] of actions) {
      emu.calls.reset();
      const res = await run();
      const calls = callSummary();
      if (check) await check(res);
      acc[action] ??= [];
      acc[action].push({ ms: res.ms, calls });
    }
  }
  for (const [action, list] of Object.entries(acc)) {
    const row = { scenario, tool, action, runs: list.length, wallMs: Math.round(median(list.map((x) => x.ms))), calls: list.at(-1).calls };
    rows.push(row);
    console.error(
      `${scenario} | ${tool} | ${action}: ${row.wallMs} ms (median of ${row.runs}), AWS calls ${row.calls.aws}, IMDS ${row.calls.imds} ${JSON.stringify(row.calls.byAction)}`,
    );
  }
}
const reseed = async (tables, layoutOptions) => {
  emu.reset();
  const l = peersLayout(twoAzLayout, tables, layoutOptions);
  await emu.seed(l.seed);
  return l.ids;
};
const ec2 = () => emu.state.ec2('us-east-1');
const routesAt = (ids, eni) =>
  ids.tables.every(
    (t) =>
      ec2()
        .routeTables.get(t)
        .routes.find((x) => x.destinationCidrBlock === ids.overlayCidr)?.networkInterfaceId === eni,
  );
const expect = (ok, what) => {
  if (!ok) throw new Error(`check failed: ${what}`);
};

try {
  await reseed(1); // IMDS listeners and instances exist from the start
  // 1. EC2 route-table switchover: routes to node1's ENI -> node2's, and the overlay /32 on eth0.
  for (const tables of tableCounts) {
    if (only && !only.has('route-table')) break;
    const scenario = `route-table switchover, ${tables} table(s)`;
    let ids;
    const params = () => ({
      ip: ids.overlayIp,
      routing_table: ids.tables.join(','),
      interface: dev,
      profile: 'default',
      region: 'us-east-1',
      awscli: awsWrapper,
    });
    await measure(scenario, 'aws-vpc-move-ip', tables >= 50 ? peerRunsSlow : peerRuns, {
      prepare: async () => {
        ids = await reseed(tables);
        delAddr(ids.overlayCidr);
      },
      actions: [
        [
          'start',
          () => must('aws-vpc-move-ip start', agent('aws-vpc-move-ip', 'start', params())),
          () => expect(routesAt(ids, ids.enis.node2) && hasAddr(ids.overlayCidr), 'routes to node2 and address up'),
        ],
        ['monitor', () => must('aws-vpc-move-ip monitor', agent('aws-vpc-move-ip', 'monitor', params(), 10000))],
        ['stop', () => must('aws-vpc-move-ip stop', agent('aws-vpc-move-ip', 'stop', params())), () => expect(!hasAddr(ids.overlayCidr), 'address gone')],
      ],
    });
    for (const [withIp, dadProbe] of [
      [true, true],
      [true, false],
      [false, true],
    ]) {
      let env;
      const name = withIp ? `ec2 kit + ip kit (hierarchy, ${dadProbe ? '1 s duplicate-address probe' : 'probe off'})` : 'ec2 kit (routes only)';
      await measure(scenario, name, runs, {
        prepare: async () => {
          ids = await reseed(tables);
          delAddr(ids.overlayCidr);
          stateSeq++;
          env = kitEnv('node-b', dadProbe);
          if (withIp) {
            await must('create ip', kr(['create', 'ip', '--tag', 'vip', '--opt', `address=${ids.overlayCidr}`, '--opt', `device=${dev}`], env));
            await must('create ec2', kr(['create', 'ec2', '--tag', 'rt', '--opt', 'scenario=route-table', '--opt', 'ipResource=vip'], env));
          } else {
            await must('create ec2', kr(['create', 'ec2', '--tag', 'rt', '--opt', 'scenario=route-table', '--opt', `destinations=${ids.overlayCidr}`], env));
          }
        },
        actions: [
          [
            'start',
            () => must('restore', kr(['action', 'rt', 'restore'], env)),
            () => expect(routesAt(ids, ids.enis.node2) && (!withIp || hasAddr(ids.overlayCidr)), 'routes to node2 (and address up)'),
          ],
          ['monitor', () => must('quickCheck', kr(['action', 'rt', 'quickCheck'], env))],
          // With the IP child, the stop is the child's remove: the runner removes its parent (rt) first, then it.
          [
            'stop',
            () => must('remove', kr(['action', withIp ? 'vip' : 'rt', 'remove'], env)),
            () => expect(!withIp || !hasAddr(ids.overlayCidr), 'address gone'),
          ],
        ],
      });
    }
  }

  // 2. Elastic IP switch: the allocation onto node2's ENI. Both start from the state after node1's
  // stop (the EIP not associated): awseip never passes --allow-reassociation, so its start fails
  // with Resource.AlreadyAssociated while node1 still holds it (our kit would take it in one call).
  if (!only || only.has('eip')) {
    const scenario = 'Elastic IP switch';
    let ids;
    let env;
    const eipAt = (eni) => [...ec2().addresses.values()].find((a) => a.allocationId === ids.allocationId)?.networkInterfaceId === eni;
    const params = () => ({ elastic_ip: ids.publicIp, allocation_id: ids.allocationId, profile: 'default', region: 'us-east-1', awscli: awsWrapper });
    await measure(scenario, 'awseip', peerRuns, {
      prepare: async () => {
        ids = await reseed(1, { eipAssociated: false });
      },
      actions: [
        ['start', () => must('awseip start', agent('awseip', 'start', params())), () => expect(eipAt(ids.enis.node2), 'EIP on node2')],
        ['monitor', () => must('awseip monitor', agent('awseip', 'monitor', params(), 10000))],
        ['stop', () => must('awseip stop', agent('awseip', 'stop', params()))],
      ],
    });
    await measure(scenario, 'ec2 kit (elastic-ip)', runs, {
      prepare: async () => {
        ids = await reseed(1, { eipAssociated: false });
        stateSeq++;
        env = kitEnv('node-b');
        await must('create ec2 eip', kr(['create', 'ec2', '--tag', 'eip', '--opt', 'scenario=elastic-ip', '--opt', `allocationId=${ids.allocationId}`], env));
      },
      actions: [
        ['start', () => must('restore', kr(['action', 'eip', 'restore'], env)), () => expect(eipAt(ids.enis.node2), 'EIP on node2')],
        ['monitor', () => must('quickCheck', kr(['action', 'eip', 'quickCheck'], env))],
        ['stop', () => must('remove', kr(['action', 'eip', 'remove'], env))],
      ],
    });
  }

  // 3. Route53: app.example.com. from the Elastic IP to this node's address, INSYNC at once.
  if (!only || only.has('route53')) {
    const scenario = 'Route53 restore (immediate INSYNC)';
    const vip = '10.0.4.100/24';
    let ids;
    let env;
    const record = () => emu.state.hostedZones.get(ids.hostedZones.public).records.find((r) => r.name === ids.records.public && r.type === 'A')?.values ?? [];
    const params = () => ({
      hostedzoneid: ids.hostedZones.public,
      fullname: ids.records.public,
      ip: vip.split('/')[0],
      ttl: 10,
      profile: 'default',
      awscli: awsWrapper,
    });
    await measure(scenario, 'aws-vpc-route53', peerRuns, {
      prepare: async () => {
        ids = await reseed(1);
      },
      actions: [
        [
          'start',
          () => must('aws-vpc-route53 start', agent('aws-vpc-route53', 'start', params())),
          () => expect(record().join() === vip.split('/')[0], 'record updated'),
        ],
        ['monitor', () => must('aws-vpc-route53 monitor', agent('aws-vpc-route53', 'monitor', params(), 10000))],
        ['stop', () => must('aws-vpc-route53 stop', agent('aws-vpc-route53', 'stop', params()))],
      ],
    });
    await measure(scenario, 'route53 kit (IP child already up)', runs, {
      prepare: async () => {
        ids = await reseed(1);
        delAddr(vip);
        stateSeq++;
        env = kitEnv('node-b');
        await must('create ip', kr(['create', 'ip', '--tag', 'vip', '--opt', `address=${vip}`, '--opt', `device=${dev}`], env));
        await must('restore ip', kr(['action', 'vip', 'restore'], env));
        await must(
          'create route53',
          kr(
            [
              'create',
              'route53',
              '--tag',
              'dns',
              '--opt',
              'zone=example.com',
              '--opt',
              'host=app',
              '--opt',
              'ip=vip',
              '--opt',
              `zoneId=${ids.hostedZones.public}`,
            ],
            env,
          ),
        );
      },
      actions: [
        ['start', () => must('restore', kr(['action', 'dns', 'restore'], env)), () => expect(record().join() === vip.split('/')[0], 'record updated')],
        ['monitor', () => must('quickCheck', kr(['action', 'dns', 'quickCheck'], env))],
        ['stop', () => must('remove', kr(['action', 'dns', 'remove'], env))],
      ],
    });
    delAddr(vip);
  }

  // 4. IP restore: a /24 virtual address on eth0 (the other end of the veth is the LAN namespace).
  if (!only || only.has('ip')) {
    const scenario = 'IP restore';
    const vip = '10.0.4.100/24';
    const params = { ip: vip.split('/')[0], cidr_netmask: 24, nic: dev };
    let env;
    await measure(scenario, 'IPaddr2', peerRuns, {
      prepare: async () => {
        delAddr(vip);
      },
      actions: [
        ['start', () => must('IPaddr2 start', agent('IPaddr2', 'start', params)), () => expect(hasAddr(vip), 'address up')],
        ['monitor', () => must('IPaddr2 monitor', agent('IPaddr2', 'monitor', params, 10000))],
        ['stop', () => must('IPaddr2 stop', agent('IPaddr2', 'stop', params)), () => expect(!hasAddr(vip), 'address gone')],
      ],
    });
    for (const dadProbe of [true, false])
      await measure(scenario, dadProbe ? 'ip kit (1 s probe)' : 'ip kit (probe off)', runs, {
        prepare: async () => {
          delAddr(vip);
          stateSeq++;
          env = kitEnv('node-b', dadProbe);
          await must('create ip', kr(['create', 'ip', '--tag', 'vip', '--opt', `address=${vip}`, '--opt', `device=${dev}`], env));
        },
        actions: [
          ['start', () => must('restore', kr(['action', 'vip', 'restore'], env)), () => expect(hasAddr(vip), 'address up')],
          ['monitor', () => must('quickCheck', kr(['action', 'vip', 'quickCheck'], env))],
          ['stop', () => must('remove', kr(['action', 'vip', 'remove'], env)), () => expect(!hasAddr(vip), 'address gone')],
        ],
      });
  }

  // The Node floor: the same Node starting and exiting, as a reference for our process times.
  const floor = [];
  for (let r = 0; r < runs; r++) floor.push((await timed(process.execPath, ['-e', '0'], { PATH: process.env.PATH })).ms);
  console.log(JSON.stringify({ node: process.version, nodeFloorMs: Math.round(median(floor)), runs, peerRuns, peerRunsSlow, rows }));
} finally {
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
}
