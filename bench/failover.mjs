#!/usr/bin/env node
// Failover benchmark on the two-node Pacemaker lab (packages/cluster-lab) with fence_aws against the
// AWS emulator, hierarchy IP + EC2 route table + Route 53 (the lab test's, packages/runner/test/aws-lab.ts).
//  1. crash failover, --runs N (default 10): SIGKILL to the holder's corosync and pacemakerd, until
//     the top of the hierarchy (dns) is Started on the survivor (routes and A record there), split
//     from the survivor's pacemaker.log into
//       detection  crash -> the survivor's Pacemaker sees the peer lost (corosync token + consensus, quorum)
//       fencing    -> fence_aws requested .. "off" confirmed (fence_aws process, StopInstances, polling);
//                     of it fenceStart (request -> fence_aws's first EC2 call: Python and boto3 start-up)
//                     and fenceAfterStop (StopInstances -> confirmed), with its status reads after the stop
//       scheduling -> first start of our agents initiated (Pacemaker's transition after the fence)
//       agents     -> last start of our agents confirmed (our OCF agents' own start time: exec-time sum)
//       insyncWait    of agents, the Route 53 kit's wait for its change to be INSYNC (its log line)
//     and the AWS API calls made; the crashed node is powered on again (its instance running) and
//     the next run crashes the new holder (switchback intelligent: no move back in between).
//  2. graceful switchover, the same number of runs: `kit-runner action routes restore --node X`
//     (cluster mode), command time and our agents' stop + start time.
// Root only (namespaces); never two labs at once. Options: --runs N, --stop-delay MS (emulator's
// StopInstances -> stopped; default none: the lab powers the node off inside StopInstances and
// marks it stopped), --route53-delay MS (INSYNC, lab default 100), --token MS (lab default 500),
// --fence k=v (added to the fence_aws device, repeatable), --shape group|parallel (dns above routes
// above vip, or dns and routes both above vip: order constraints, started together), --dump,
// --logs DIR (keep each node's logs), --json.
// Figures go to docs/benchmarks.md by hand.
import { cpSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { LAB_ADDR, startAwsLab, writeLabHierarchy } from '../packages/runner/test/aws-lab.ts';

const { values: a } = parseArgs({
  options: {
    runs: { type: 'string', default: '10' },
    'stop-delay': { type: 'string' },
    'route53-delay': { type: 'string' },
    token: { type: 'string' },
    fence: { type: 'string', multiple: true, default: [] },
    dump: { type: 'boolean', default: false },
    json: { type: 'boolean', default: false },
    shape: { type: 'string', default: 'group' },
    logs: { type: 'string' },
  },
});
const runs = Number(a.runs);
if (!Number.isInteger(runs) || runs < 1) throw new Error('--runs: a positive integer');
if (!['group', 'parallel'].includes(a.shape)) throw new Error('--shape: group or parallel');
if (process.getuid?.() !== 0) {
  console.error('bench/failover.mjs needs root (network namespaces); run it with sudo');
  process.exit(4);
}
const fence = Object.fromEntries(a.fence.map((kv) => kv.split(/=(.*)/s).slice(0, 2)));
const ADDR = LAB_ADDR;
const OURS = ['vip', 'routes', 'dns'];
const other = (n) => (n === 'node-a' ? 'node-b' : 'node-a');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const lab = await startAwsLab({
  overlayIp: ADDR['node-a'],
  ...(a['stop-delay'] !== undefined ? { instanceStopDelayMs: Number(a['stop-delay']) } : {}),
  ...(a['route53-delay'] !== undefined ? { route53ChangeDelayMs: Number(a['route53-delay']) } : {}),
  ...(a.token !== undefined ? { tokenMs: Number(a.token) } : {}),
  fence,
});
const { c, emu, inst } = lab;

/** Pacemaker log lines (time in ms since the epoch, text) of `node` written since `offset`. */
function logSince(node, offset) {
  const f = join(c.member(node).dir, 'log/pacemaker/pacemaker.log');
  const text = readFileSync(f, 'utf8').slice(offset);
  const year = new Date().getUTCFullYear();
  const out = [];
  for (const line of text.split('\n')) {
    const m = /^(\w{3}) (\d\d) (\d\d):(\d\d):(\d\d)\.(\d{3}) /.exec(line);
    if (!m) continue;
    const t = Date.parse(`${m[1]} ${m[2]} ${year} ${m[3]}:${m[4]}:${m[5]}.${m[6]} UTC`);
    out.push({ t, line });
  }
  return out;
}
const logSize = (node) => statSync(join(c.member(node).dir, 'log/pacemaker/pacemaker.log')).size;
const first = (lines, re, after = 0) => lines.find((l) => l.t >= after && re.test(l.line));
const last = (lines, re) => lines.filter((l) => re.test(l.line)).at(-1);

/** Our agents' operation times (exec-time, ms) on `node` from the CIB status: the latest of each `op` per resource. */
async function execTimes(node, op) {
  const st = await c.cibStatus(node);
  const out = {};
  for (const o of st.ops) {
    if (o.node !== node || o.operation !== op || !OURS.includes(o.resource)) continue;
    if (!out[o.resource] || Number(o.callId) > Number(out[o.resource].callId)) out[o.resource] = o;
  }
  return out;
}

const started = (m, id) => m.resources.find((r) => r.id === id && r.role === 'Started')?.nodes.join();
const pct = (xs, p) => {
  const s = [...xs].sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};
const stats = (xs) =>
  xs.length ? { min: Math.min(...xs), median: pct(xs, 50), mean: Math.round(xs.reduce((x, y) => x + y, 0) / xs.length), max: Math.max(...xs) } : undefined;

try {
  // ---- the hierarchy (the lab test's), applied and Started on node-a
  writeLabHierarchy(lab, a.shape === 'parallel' ? 'parallel' : 'group');
  const ap = await lab.kitRunnerIn('node-a', ['cluster', 'apply', '--monitor-interval', '2']);
  if (ap.exitCode !== 0) throw new Error(`cluster apply: ${ap.stderr}`);
  await c.waitFor((ms) => ms.every((m) => OURS.every((id) => started(m, id) === 'node-a')), { timeoutMs: 90_000, what: 'the hierarchy on node-a' });
  await sleep(3000);

  // ---- crash failover
  const crash = [];
  let holder = 'node-a';
  for (let i = 0; i < runs; i++) {
    const survivor = other(holder);
    const off = logSize(survivor);
    emu.calls.reset();
    const t0 = c.crash(holder);
    await c.waitFor((ms) => OURS.every((id) => started(ms[0], id) === survivor), {
      nodes: [survivor],
      intervalMs: 50,
      timeoutMs: 90_000,
      what: `the hierarchy on ${survivor}`,
    });
    const tUp = Date.now();
    await sleep(1500);
    const L = logSince(survivor, off);
    // Device names such as fence-node-a contain the node's name: the patterns are the log's exact phrases.
    const lost = first(L, new RegExp(String.raw`Node ${holder} state is now lost|: ${holder} \(node \d+ pid \d+\) left via cluster exit`), t0);
    const fenceReq = first(L, new RegExp(String.raw`Requesting fencing \(\w+\) of node ${holder}\b`), t0);
    const fenceDone = first(
      L,
      new RegExp(String.raw`Operation '\w+' \[\d+\] targeting ${holder} using \S+ returned 0|Peer ${holder} was terminated \(\w+\) by \S+ .*: OK`),
      t0,
    );
    const schedStart = first(L, /Initiating start operation (vip|routes|dns)_start_0/, fenceDone?.t ?? 0);
    const agentsDone = last(L, /Result of start operation for (vip|routes|dns) on .*: ok/);
    // The Route 53 kit's own line: how long its start waited for the change to be INSYNC (Route 53's time, not ours).
    const insync = last(L, /dns_start_0\[\d+\] error output .*INSYNC after ([\d.]+) s/);
    const ex = await execTimes(survivor, 'start');
    const calls = emu.calls.list();
    // fence_aws's own calls (signed with the device's static key; our agents use the instance role's):
    // its start until the first EC2 request is mostly Python and boto3 loading.
    const fenceCalls = calls.map((x) => ({ ...x, t: Date.parse(x.time) })).filter((x) => x.accessKeyId === 'AKIDEXAMPLE' && fenceReq && x.t >= fenceReq.t);
    const stopCall = fenceCalls.find((x) => x.action === 'StopInstances');
    const byAction = {};
    for (const x of calls) byAction[x.action] = (byAction[x.action] ?? 0) + 1;
    const r = {
      run: i + 1,
      crashed: holder,
      totalMs: tUp - t0,
      detectionMs: lost ? lost.t - t0 : undefined,
      fencingMs: fenceReq && fenceDone ? fenceDone.t - fenceReq.t : undefined,
      beforeFenceMs: lost && fenceReq ? fenceReq.t - lost.t : undefined,
      fenceStartMs: fenceReq && fenceCalls[0] ? fenceCalls[0].t - fenceReq.t : undefined,
      fenceAfterStopMs: stopCall && fenceDone ? fenceDone.t - stopCall.t : undefined,
      fenceStatusReadsAfterStop: stopCall ? fenceCalls.filter((x) => x.seq > stopCall.seq && x.action === 'DescribeInstances').length : undefined,
      schedulingMs: fenceDone && schedStart ? schedStart.t - fenceDone.t : undefined,
      agentsMs: schedStart && agentsDone ? agentsDone.t - schedStart.t : undefined,
      insyncWaitMs: insync ? Math.round(Number(/INSYNC after ([\d.]+) s/.exec(insync.line)[1]) * 1000) : undefined,
      agentsExecMs: Object.fromEntries(OURS.map((id) => [id, ex[id] ? ex[id].execMs : undefined])),
      apiCalls: byAction,
    };
    crash.push(r);
    if (!a.json) console.log(`crash ${r.run}: ${JSON.stringify(r)}`);
    if (a.dump)
      for (const l of L.filter((x) => x.t <= tUp + 200 && /lost|fenc|Initiating|Result of start|left|peer|quorum|terminated|Operation/i.test(x.line)))
        console.log(`  +${l.t - t0} ${l.line.slice(16, 260)}`);
    // power the crashed node on again (its instance running), wait until both are online
    emu.state.findInstance(inst[holder]).instance.state = 'running';
    const offDc = logSize(survivor);
    await c.waitFor((ms) => ms.every((m) => m.nodes.length === 2 && m.nodes.every((n) => n.online)), { timeoutMs: 90_000, what: `${holder} back` });
    // The next crash hits a settled cluster: the DC (the survivor) has finished the rejoined node's
    // probes (our agents' among them) and is idle; a crash during them waits for them to end.
    const tBack = Date.now();
    for (let w = 0; w < 300 && !first(logSince(survivor, offDc), /State transition \S+ -> S_IDLE/, tBack); w++) await sleep(200);
    await sleep(1000);
    holder = survivor;
  }

  // ---- graceful switchover
  const graceful = [];
  for (let i = 0; i < runs; i++) {
    const to = other(holder);
    const off = { [holder]: logSize(holder), [to]: logSize(to) };
    const t0 = Date.now();
    const r = await lab.kitRunnerIn(to, ['action', 'routes', 'restore', '--node', to], { KIT_RUNNER_STORE: 'cib' });
    const ms = Date.now() - t0;
    if (r.exitCode !== 0) throw new Error(`switchover: ${r.stdout}${r.stderr}`);
    await sleep(1500);
    const stops = await execTimes(holder, 'stop');
    const starts = await execTimes(to, 'start');
    const Lfrom = logSince(holder, off[holder]);
    const Lto = logSince(to, off[to]);
    const firstStop = first(Lfrom, /Result of stop operation for (vip|routes|dns)/);
    const lastStart = last(Lto, /Result of start operation for (vip|routes|dns) on .*: ok/);
    const g = {
      run: i + 1,
      from: holder,
      to,
      commandMs: ms,
      firstStopToLastStartMs: firstStop && lastStart ? lastStart.t - firstStop.t : undefined,
      stopExecMs: OURS.reduce((s, id) => s + (stops[id]?.execMs ?? 0), 0),
      startExecMs: OURS.reduce((s, id) => s + (starts[id]?.execMs ?? 0), 0),
    };
    graceful.push(g);
    if (!a.json) console.log(`switchover ${g.run}: ${JSON.stringify(g)}`);
    holder = to;
    await sleep(2000);
  }

  const num = (xs, k) => xs.map((x) => x[k]).filter((v) => typeof v === 'number');
  const summary = {
    runs,
    load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '),
    options: {
      shape: a.shape,
      stopDelayMs: a['stop-delay'] ?? 'none: the lab cuts the node off inside StopInstances, then stopped',
      route53DelayMs: a['route53-delay'] ?? '100 (the lab default)',
      tokenMs: a.token ?? '500',
      fence,
    },
    crash: Object.fromEntries(
      [
        'totalMs',
        'detectionMs',
        'beforeFenceMs',
        'fencingMs',
        'fenceStartMs',
        'fenceAfterStopMs',
        'fenceStatusReadsAfterStop',
        'schedulingMs',
        'agentsMs',
        'insyncWaitMs',
      ].map((k) => [k, stats(num(crash, k))]),
    ),
    crashAgentsExecMs: Object.fromEntries(OURS.map((id) => [id, stats(crash.map((x) => x.agentsExecMs[id]).filter((v) => typeof v === 'number'))])),
    crashApiCalls: crash.map((x) => x.apiCalls),
    graceful: Object.fromEntries(['commandMs', 'firstStopToLastStartMs', 'stopExecMs', 'startExecMs'].map((k) => [k, stats(num(graceful, k))])),
  };
  console.log(a.json ? JSON.stringify({ summary, crash, graceful }, null, 2) : `\nsummary ${JSON.stringify(summary, null, 2)}`);
} finally {
  if (a.logs) {
    // Each node's Pacemaker and corosync logs, kept for a look at what ran when (--logs DIR).
    for (const node of c.nodes) cpSync(join(c.member(node).dir, 'log'), join(a.logs, node), { recursive: true });
    console.error(`logs kept in ${a.logs}`);
  }
  await lab.stop();
}
