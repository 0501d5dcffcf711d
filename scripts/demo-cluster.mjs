#!/usr/bin/env node
// Demo: a hierarchy (virtual IP + EC2 route tables + Route 53 record) on a real two-node Pacemaker
// cluster with a quorum witness, node-a crashed and fenced through fence_aws, everything back on
// node-b; then a graceful switchover home. All on this machine: the nodes are network namespaces
// (packages/cluster-lab), AWS is the local emulator (nothing contacts a real AWS endpoint or
// 169.254.169.254). Prints who holds what before and after, with the time each part took.
//
//   sudo pnpm demo            (= sh scripts/node.sh scripts/demo-cluster.mjs, after pnpm install)
//
// Needs root and Debian's pacemaker, corosync, corosync-qdevice/qnetd and fence-agents
// (sudo bash scripts/setup.sh installs them). Without them it says why and runs the single-host
// demo (scripts/demo-aws.mjs) instead.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const missing = [];
if (process.getuid?.() !== 0) missing.push('root (network, mount and UTS namespaces)');
for (const b of ['/usr/sbin/corosync', '/usr/sbin/pacemakerd', '/usr/bin/corosync-qnetd', '/usr/sbin/corosync-qdevice', '/usr/sbin/fence_aws'])
  if (!existsSync(b)) missing.push(b);
if (missing.length === 0 && spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status !== 0) missing.push('ip netns');
if (missing.length) {
  process.stdout.write(
    `The two-node cluster demo needs ${missing.join(', ')}; ${process.getuid?.() === 0 ? 'run: bash scripts/setup.sh (installs pacemaker, corosync, qnetd, fence-agents)' : 'run it with sudo'}.\nRunning the single-host demo instead (scripts/demo-aws.mjs).\n`,
  );
  const r = spawnSync(process.execPath, [join(root, 'scripts/demo-aws.mjs'), ...process.argv.slice(2)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}

const { LAB_ADDR, startAwsLab, sh, writeLabHierarchy } = await import('../packages/runner/test/aws-lab.ts');

const ADDR = LAB_ADDR;
const NODES = ['node-a', 'node-b'];
const s = (ms) => `${(ms / 1000).toFixed(1)} s`;
const say = (t) => process.stdout.write(`\n== ${t}\n`);
const timings = [];
const timed = async (what, fn) => {
  const t0 = Date.now();
  const v = await fn();
  timings.push([what, Date.now() - t0]);
  return v;
};

say('starting the cluster: node-a, node-b, a qnetd witness, fence_aws against the AWS emulator');
const lab = await timed('cluster up (namespaces, corosync, qdevice, pacemaker, TLS for fence_aws)', () => startAwsLab({ overlayIp: ADDR['node-a'] }));
const { c, emu, ids, eni, inst } = lab;
const rtbs = [ids.routeTables.privateA, ids.routeTables.privateB];
const record = () =>
  emu.state.hostedZones
    .get(ids.hostedZones.private)
    ?.records.find((r) => r.name === ids.records.private && r.type === 'A')
    ?.values.join(',');

/** The picture: for each node, is it up, which address it holds, how many routes point at it, whether the record names it. */
async function picture(title) {
  const up = [];
  for (const n of NODES) if (!(await c.isPoweredOff(n))) up.push(n);
  const mon = up.length ? await c.crmMon(up[0]).catch(() => undefined) : undefined;
  const rows = [['', ...NODES]];
  const state = await Promise.all(
    NODES.map(async (n) => {
      const off = await c.isPoweredOff(n);
      const out = off ? '' : (await sh('ip', ['-n', c.member(n).netns, '-o', '-4', 'addr', 'show', 'dev', 'eth0', 'up'])).stdout;
      return { off, addr: Object.values(ADDR).filter((a) => out.includes(` ${a}/`)) };
    }),
  );
  const routes = rtbs.flatMap((r) =>
    Object.values(ADDR).map(
      (a) =>
        emu.state
          .ec2(ids.region)
          .routeTables.get(r)
          .routes.find((x) => x.destinationCidrBlock === `${a}/32`)?.networkInterfaceId,
    ),
  );
  const mark = (b) => (b ? '●' : '·');
  rows.push(['node', ...state.map((x, i) => (x.off ? 'powered off (fenced)' : mon?.nodes.find((m) => m.name === NODES[i])?.online ? 'online' : 'offline'))]);
  rows.push(['virtual IP (ip kit)', ...state.map((x) => (x.addr.length ? `${mark(true)} ${x.addr.join(',')}` : mark(false)))]);
  rows.push([
    `routes (${routes.length} in ${rtbs.length} tables, ec2 kit)`,
    ...NODES.map((n) => `${mark(routes.some((r) => r === eni[n]))} ${routes.filter((r) => r === eni[n]).length}/${routes.length}`),
  ]);
  rows.push([`${ids.records.private} A (route53 kit)`, ...NODES.map((n) => (record() === ADDR[n] ? `${mark(true)} ${record()}` : mark(false)))]);
  const w = rows[0].map((_, i) => Math.max(...rows.map((r) => String(r[i]).length)));
  process.stdout.write(`\n${title}\n${rows.map((r) => r.map((x, i) => String(x).padEnd(w[i] + 3)).join('')).join('\n')}\n`);
}

try {
  say('the hierarchy: dns (Route 53) -> routes (EC2 route tables) -> vip (IP), node-a priority 1, node-b 10');
  writeLabHierarchy(lab);
  const started = (m, id) => m.resources.find((r) => r.id === id && r.role === 'Started')?.nodes.join();
  await timed('kit-runner cluster apply, to the hierarchy Started on node-a', async () => {
    const ap = await lab.kitRunnerIn('node-a', ['cluster', 'apply', '--monitor-interval', '2']);
    if (ap.exitCode !== 0) throw new Error(`cluster apply failed: ${ap.stderr}`);
    process.stdout.write(ap.stdout);
    await c.waitFor((ms) => ms.every((m) => ['vip', 'routes', 'dns'].every((id) => started(m, id) === 'node-a')), {
      timeoutMs: 90_000,
      what: 'the hierarchy on node-a',
    });
  });
  const st = await lab.kitRunnerIn('node-b', ['status'], { KIT_RUNNER_STORE: 'cib' });
  process.stdout.write(`\n$ KIT_RUNNER_STORE=cib kit-runner status   (on node-b: the same on every node)\n${st.stdout}`);
  await picture('BEFORE: who holds what');

  say('node-a crashes (SIGKILL to corosync and pacemakerd)');
  const off = readFileSync(join(c.member('node-b').dir, 'log/pacemaker/pacemaker.log'), 'utf8').length;
  const t0 = c.crash('node-a');
  await c.waitFor((ms) => started(ms[0], 'dns') === 'node-b', { nodes: ['node-b'], intervalMs: 50, timeoutMs: 90_000, what: 'the hierarchy on node-b' });
  const total = Date.now() - t0;
  timings.push(['crash of node-a to the hierarchy Started on node-b', total]);
  // the split, from node-b's pacemaker.log
  const log = readFileSync(join(c.member('node-b').dir, 'log/pacemaker/pacemaker.log'), 'utf8')
    .slice(off)
    .split('\n');
  const at = (re) => {
    const l = log.find((x) => re.test(x));
    const m = l && /^\w{3} \d\d (\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(l);
    if (!m) return undefined;
    const d = new Date(t0);
    d.setUTCHours(Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4]));
    return d.getTime() - t0;
  };
  const lost = at(/Node node-a state is now lost/);
  const fenced = at(/Operation '\w+' \[\d+\] targeting node-a using \S+ returned 0/);
  const firstStart = at(/Initiating start operation vip_start_0/);
  if (lost !== undefined) timings.push(['   detection (corosync token + consensus)', lost]);
  if (lost !== undefined && fenced !== undefined) timings.push(['   quorum (witness) + fencing (fence_aws: StopInstances)', fenced - lost]);
  if (firstStart !== undefined) timings.push(['   our three agents starting on node-b, one after the other', total - firstStart]);
  await picture('AFTER the crash: node-a fenced, everything on node-b');

  say('node-a powered on again (its instance running); intelligent switchback: the hierarchy stays on node-b');
  emu.state.findInstance(inst['node-a']).instance.state = 'running';
  await timed('node-a back online', () => c.waitFor((ms) => ms.every((m) => m.nodes.every((n) => n.online)), { timeoutMs: 90_000, what: 'node-a back' }));
  // Pacemaker probes every resource on a node that joins (three agent processes here): let them finish first.
  await timed('node-a probed by Pacemaker (settling, 8 s)', () => new Promise((r) => setTimeout(r, 8000)));
  say('graceful switchover home: kit-runner action routes restore --node node-a (cluster mode: Pacemaker moves it)');
  await timed('switchover to node-a (the command, through Pacemaker)', async () => {
    const r = await lab.kitRunnerIn('node-b', ['action', 'routes', 'restore', '--node', 'node-a'], { KIT_RUNNER_STORE: 'cib' });
    process.stdout.write(r.stdout + r.stderr);
  });
  await picture('AFTER the switchover: everything on node-a again');

  const w = Math.max(...timings.map(([t]) => t.length));
  process.stdout.write(
    `\nTIMINGS (this machine; load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]})\n${timings.map(([t, ms]) => `  ${t.padEnd(w)}  ${s(ms)}`).join('\n')}\n`,
  );
  process.stdout.write(
    '\nThe split of a crash failover over many runs: sudo sh scripts/node.sh bench/failover.mjs (docs/benchmarks.md); the cluster: docs/operate/cluster.md.\n',
  );
} finally {
  say('stopping the cluster (processes, namespaces, directories)');
  await lab.stop();
}
