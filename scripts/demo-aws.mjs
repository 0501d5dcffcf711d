#!/usr/bin/env node
// Demo: a virtual IP and the VPC routes for it following the active node, on the local AWS emulator.
//
//   node scripts/demo-aws.mjs        (after `pnpm -r build`; as root for the real IP resource)
//
// Two nodes: node-a = instance node1 in us-east-1a, node-b = instance node2 in us-east-1b, one VPC
// (the EC2 kit manual's layout). Each kit-runner process gets the emulator's env for its node's
// instance (its own IMDSv2 endpoint, the instance role's credentials). As root, the IP resource
// lives in two network namespaces this demo creates (one per node) and removes at the end;
// otherwise the EC2 resource protects the address through its `destinations` option (a stand-in).
// Nothing contacts a real AWS endpoint or 169.254.169.254.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const { startEmulator, twoAzLayout } = await import(pathToFileURL(join(root, 'packages/aws-emulator/dist/index.js')).href);

const say = (text) => process.stdout.write(`\n== ${text}\n`);
const isRoot = process.getuid?.() === 0;
const haveIp = spawnSync('ip', ['netns', 'list'], { stdio: 'ignore' }).status === 0;
const useNetns = isRoot && haveIp;
const tag = `rkdemo-${process.pid}`;
const ns = { 'node-a': `${tag}-a`, 'node-b': `${tag}-b` };

const { seed, ids } = twoAzLayout();
const emu = await startEmulator({ seed });
const work = mkdtempSync(join(tmpdir(), 'rk-demo-aws-'));
const tunables = join(work, 'recovery-kit.conf');
writeFileSync(tunables, 'NOBCASTPING=1\nIP_WAIT_LINKDOWN=0\n');
const envOf = (node) => ({
  ...process.env,
  ...emu.env({ instanceId: node === 'node-a' ? ids.instances.node1 : ids.instances.node2 }),
  KIT_RUNNER_STATE_DIR: join(work, 'state'),
  KIT_RUNNER_TUNABLES: tunables,
  KIT_RUNNER_KITS_DIR: join(root, 'kits'),
  KIT_RUNNER_NODE: node,
  // Debug lines carry each program's run time (for "where the time went"); they are not shown.
  KIT_RUNNER_LOG_LEVEL: 'debug',
});

/** What each step cost: wall time, per resource action, the programs that took long, AWS calls. */
const steps = [];
let step;
function beginStep(name) {
  step = { name, ms: 0, commands: 0, actions: [], calls: {} };
  steps.push(step);
}
const ec2Calls = () => Object.fromEntries(Object.entries(emu.calls.byAction()).filter(([k]) => !k.startsWith('IMDS:')));

/** A log line as a person reads it: no timestamp, no level for INFO, no trailing JSON fields. */
function human(line) {
  const m = /^\S+Z (DEBUG|INFO|WARN|ERROR) +(.*)$/.exec(line);
  if (!m) return line;
  if (m[1] === 'DEBUG') return undefined;
  const text = m[2].replace(/( \w+=(\[.*\]|\{.*\}|true|false|-?\d+))+$/, '');
  return m[1] === 'INFO' ? text : `${m[1].toLowerCase()}: ${text}`;
}

function kr(args, node = 'node-a') {
  process.stdout.write(`\n$ kit-runner ${args.join(' ')}${node === 'node-a' ? '' : `        # as ${node}`}\n`);
  const before = ec2Calls();
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const c = spawn(process.execPath, [bin, ...args], { env: envOf(node), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('error', reject);
    c.on('close', (code) => {
      const ms = Date.now() - started;
      const shown = [];
      let lastExec = '';
      let pending = [];
      const [action, root] = args;
      for (const line of out.split('\n')) {
        // A resource's action: "restore vip: ok (1079 ms)", "remove vip on node-a: ok (121 ms)";
        // the command's own total ("restore ec2-vip on node-b: ok") is the step's wall time instead.
        const a = /^(restore|remove|quickCheck|recover) (\S+)(?: on (\S+))?: (ok|healthy) \((\d+) ms\)$/.exec(line);
        const total = a?.[3] && a[1] !== 'quickCheck' && `${a[1]} ${a[2]}` === `${args[2]} ${args[1]}`;
        if (a && step && !total) {
          step.actions.push({ what: `${a[1]} ${a[2]}${a[3] ? ` on ${a[3]}` : ''}`, ms: Number(a[5]), programs: pending });
          pending = [];
        }
        const e = /DEBUG +\S+ exec (?!done|\(background)(.*)$/.exec(line);
        if (e) lastExec = e[1];
        const d = /DEBUG .*exec done \S+ exit=\S+ (\d+)ms/.exec(line);
        if (d && lastExec.includes('arping -D')) pending.push({ program: 'arping -D', ms: Number(d[1]) });
        const h = human(line);
        if (h !== undefined && h !== '') shown.push(`  ${h}`);
      }
      if (step && pending.length) step.actions.push({ what: `${action} ${root ?? ''}`.trim(), ms: undefined, programs: pending });
      if (shown.length) process.stdout.write(`${shown.join('\n')}\n`);
      if (step) {
        step.ms += ms;
        step.commands++;
        for (const [k, v] of Object.entries(ec2Calls())) if (v - (before[k] ?? 0) > 0) step.calls[k] = (step.calls[k] ?? 0) + v - (before[k] ?? 0);
      }
      if (code !== 0) reject(new Error(`kit-runner ${args.join(' ')} exited ${code}`));
      else resolve(out);
    });
  });
}

/** Every route of every route table: { table, destination, target }. */
function routes() {
  const out = [];
  for (const t of emu.state.ec2(ids.region).routeTables.values())
    for (const r of t.routes)
      out.push({
        table: `${t.routeTableId} (${t.tags?.Name ?? ''})`,
        destination: r.destinationCidrBlock ?? r.destinationIpv6CidrBlock,
        target: r.networkInterfaceId ?? r.gatewayId ?? r.natGatewayId ?? r.instanceId ?? '?',
      });
  return out;
}
const who = (target) => (target === ids.enis.node1 ? `${target} (node-a)` : target === ids.enis.node2 ? `${target} (node-b)` : target);

function printRouteChange(before, after) {
  say('VPC routes, before -> after the switchover (* = changed)');
  const rows = [['', 'ROUTE TABLE', 'DESTINATION', 'BEFORE', 'AFTER']];
  for (const b of before) {
    const a = after.find((x) => x.table === b.table && x.destination === b.destination);
    const changed = a?.target !== b.target;
    rows.push([changed ? '*' : '', b.table, b.destination, who(b.target), changed ? who(a?.target ?? '(deleted)') : '(same)']);
  }
  const width = rows[0].map((_, i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows)
    process.stdout.write(
      `${r
        .map((c, i) => c.padEnd(width[i]))
        .join('  ')
        .trimEnd()}\n`,
    );
}

const secs = (ms) => (ms >= 1000 ? `${(ms / 1000).toFixed(2)} s` : `${ms} ms`);
function printTimes() {
  say("where the time went (each step's kit-runner commands, wall clock; each command is a new process)");
  const rows = [];
  let dad = 0;
  let dadCount = 0;
  let routeMs = 0;
  for (const s of steps) {
    const parts = s.actions.map((a) => {
      const checks = a.programs.map((p) => p.ms);
      dad += checks.reduce((n, x) => n + x, 0);
      dadCount += checks.length;
      if (/^restore ec2-vip$/.test(a.what)) routeMs += a.ms;
      const why = checks.length ? `${a.ms === undefined ? ': ' : ', of which '}duplicate address check (arping -D) ${checks.map(secs).join(' + ')}` : '';
      return `${a.what}${a.ms === undefined ? '' : ` ${secs(a.ms)}`}${why}`;
    });
    const calls = Object.entries(s.calls).map(([k, v]) => `${v} ${k}`);
    rows.push([
      s.name,
      `${s.commands} command${s.commands === 1 ? '' : 's'}`,
      secs(s.ms),
      parts.join('; ') || 'create and extend: checks only, no long wait',
      calls.length ? `AWS: ${calls.join(', ')}` : '',
    ]);
  }
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  const indent = ' '.repeat(width[0] + width[1] + width[2] + 8);
  for (const r of rows) {
    process.stdout.write(`  ${r[0].padEnd(width[0])}  ${r[1].padEnd(width[1])}  ${r[2].padStart(width[2])}  ${r[3]}\n`);
    if (r[4]) process.stdout.write(`${indent}${r[4]}\n`);
  }
  const total = steps.reduce((n, s) => n + s.ms, 0);
  process.stdout.write(
    `  total ${secs(total)}: ${dadCount ? `${secs(dad)} in ${dadCount} duplicate address checks (arping -D waits about a second for an answer that must not come), ` : ''}` +
      `${secs(routeMs)} in the EC2 restores (route changes through the AWS API), the rest Node start-up, kit loading and local commands\n`,
  );
}

const ip = (...args) => spawnSync('ip', args, { stdio: 'ignore' }).status === 0;
let failed = false;
try {
  process.stdout.write(
    'recovery-kit demo: a virtual IP and the VPC routes for it follow the active node, on the AWS emulator (no AWS account)\n' +
      'States: ISP = in service (up on that node, monitored); OSU = out of service, unimpaired (down, as asked); OSF = out of service, failed (down after a failure)\n',
  );
  say(
    `AWS emulator at ${emu.endpoint}; node-a = ${ids.instances.node1} (${ids.availabilityZones[0]}, ${ids.enis.node1}), node-b = ${ids.instances.node2} (${ids.availabilityZones[1]}, ${ids.enis.node2})`,
  );
  beginStep('set-up');
  if (useNetns) {
    for (const n of Object.values(ns)) {
      // eth1: one end of a veth pair whose other end (eth1p) stays in the namespace, so the link is up.
      const okNs =
        ip('netns', 'add', n) &&
        ip('-n', n, 'link', 'set', 'lo', 'up') &&
        ip('-n', n, 'link', 'add', 'eth1', 'type', 'veth', 'peer', 'name', 'eth1p') &&
        ip('-n', n, 'link', 'set', 'eth1p', 'up') &&
        ip('-n', n, 'link', 'set', 'eth1', 'up');
      if (!okNs) throw new Error(`cannot set up network namespace ${n}`);
    }
    say(
      `1. an IP resource ${ids.overlayCidr} on eth1 (network namespaces ${ns['node-a']} for node-a, ${ns['node-b']} for node-b), and an EC2 resource (route-table scenario) over it`,
    );
    await kr(['create', 'ip', '--tag', 'vip', '--opt', `address=${ids.overlayCidr}`, '--opt', 'device=eth1', '--opt', `netns=${ns['node-a']}`]);
    await kr(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', `netns=${ns['node-b']}`]);
    await kr(['create', 'ec2', '--tag', 'ec2-vip', '--opt', 'scenario=route-table', '--opt', 'ipResource=vip']);
  } else {
    say(
      `1. not root (or no "ip netns"): no network namespaces, so no IP resource; the EC2 resource protects ${ids.overlayCidr} through its destinations option instead (a stand-in)`,
    );
    await kr(['create', 'ec2', '--tag', 'ec2-vip', '--opt', 'scenario=route-table', '--opt', `destinations=${ids.overlayCidr}`]);
  }
  await kr(['extend', 'ec2-vip', '--server', 'node-b', '--priority', '2']);
  say('2. bring the hierarchy into service on node-a (children first: vip, then ec2-vip)');
  beginStep('in service on node-a');
  await kr(['action', 'ec2-vip', 'restore']);
  step = undefined;
  await kr(['status']);
  const before = routes();
  say('3. switch over to node-b: node-a takes it out of service (parents first), node-b brings it in');
  beginStep('switchover to node-b');
  await kr(['action', 'ec2-vip', 'restore', '--node', 'node-b'], 'node-b');
  beginStep('quickCheck on node-b');
  await kr(['action', 'ec2-vip', 'quickCheck', '--node', 'node-b'], 'node-b');
  step = undefined;
  await kr(['status', '--node', 'node-b'], 'node-b');
  printRouteChange(before, routes());
  const moved = [ids.routeTables.privateA, ids.routeTables.privateB].every(
    (t) =>
      emu.state
        .ec2(ids.region)
        .routeTables.get(t)
        .routes.find((r) => r.destinationCidrBlock === ids.overlayCidr).networkInterfaceId === ids.enis.node2,
  );
  if (!moved) throw new Error('the routes did not move to node-b');
  say('4. clean up');
  beginStep('out of service');
  await kr(['action', 'ec2-vip', 'remove', '--node', 'node-b'], 'node-b');
  step = undefined;
  const calls = Object.entries(emu.calls.byAction()).map(([k, v]) => `${k} ${v}`);
  say(`AWS calls, all steps: ${calls.join(', ')}`);
  printTimes();
} catch (err) {
  failed = true;
  process.stderr.write(`demo failed: ${err.message}\n`);
} finally {
  if (useNetns) for (const n of Object.values(ns)) ip('netns', 'del', n);
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
}
process.stdout.write(failed ? '\ndemo failed\n' : '\ndemo finished: everything it created is removed\n');
process.exitCode = failed ? 1 : 0;
