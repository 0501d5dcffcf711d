#!/usr/bin/env node
// Benchmark of the EC2 kit against the AWS emulator (real SDK, real kit-runner processes):
//  1. switchover (`kit-runner action rt restore --node node-b`: node-a's remove, then node-b's
//     restore) with 1, 10 and 50 route tables: wall time of the process, time of the restore step,
//     and the AWS API calls it made (EC2 by action, IMDS);
//  2. the monitor (`kit-runner monitor --once`) with 200 route-table resources in one VPC: Describe
//     calls per round (target: at most 2 per VPC).
// Needs the workspace built (pnpm -r build). Usage: node bench/ec2.mjs [runs=5]
// Figures go to docs/kits/ec2.md ("Benchmarks") by hand.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const runs = Number(process.argv[2] ?? 5);
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const { startEmulator } = await import(pathToFileURL(join(root, 'packages/aws-emulator/dist/index.js')).href);

// The EC2 kit tests' own layout: one VPC over two AZs, two nodes, N route tables each routing the
// overlays to node1 (Node runs the TypeScript module as it is).
const { manyTables, cloneResource } = await import(pathToFileURL(join(root, 'kits/ec2/test/fixtures.ts')).href);
const layout = (tables, overlays) => manyTables(tables, { overlays });

function kitRunner(args, env) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const c = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('error', reject);
    c.on('close', (code) => {
      const ms = performance.now() - t;
      if (code !== 0) reject(new Error(`kit-runner ${args.join(' ')} exited ${code}: ${err}`));
      else resolve({ ms, out, err });
    });
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
/** The emulator's calls by action, split into IMDS requests (a total) and the others. */
function split(byAction) {
  const entries = Object.entries(byAction);
  const ec2 = Object.fromEntries(entries.filter(([k]) => !k.startsWith('IMDS:')));
  const imds = entries.filter(([k]) => k.startsWith('IMDS:')).reduce((s, [, v]) => s + v, 0);
  return { ec2, ec2Total: Object.values(ec2).reduce((s, v) => s + v, 0), imds };
}
/** A kit-runner environment on node-a (instance node1) with its own state directory. */
const nodeAEnv = (state, ids) => ({
  ...process.env,
  KIT_RUNNER_STATE_DIR: state,
  KIT_RUNNER_TUNABLES: join(work, 'none.conf'),
  KIT_RUNNER_KITS_DIR: join(root, 'kits'),
  ...emu.env({ instanceId: ids.node1.instance }),
  KIT_RUNNER_NODE: 'node-a',
});
const emu = await startEmulator();
const work = mkdtempSync(join(tmpdir(), 'rk-bench-ec2-'));
const results = { switchover: [], monitor: undefined, runs };

try {
  for (const n of [1, 10, 50]) {
    const walls = [];
    const steps = [];
    let calls;
    for (let r = 0; r < runs; r++) {
      emu.reset();
      const { seed, ids } = layout(n, ['10.1.0.10/32']);
      await emu.seed(seed);
      const state = join(work, `sw-${n}-${r}`);
      const base = { ...process.env, KIT_RUNNER_STATE_DIR: state, KIT_RUNNER_TUNABLES: join(work, 'none.conf'), KIT_RUNNER_KITS_DIR: join(root, 'kits') };
      const a = { ...base, ...emu.env({ instanceId: ids.node1.instance }), KIT_RUNNER_NODE: 'node-a' };
      const b = { ...base, ...emu.env({ instanceId: ids.node2.instance }), KIT_RUNNER_NODE: 'node-b' };
      await kitRunner(['create', 'ec2', '--tag', 'rt', '--opt', 'scenario=route-table', '--opt', 'destinations=10.1.0.10/32', '--restore'], a);
      await kitRunner(['extend', 'rt', '--server', 'node-b', '--priority', '2'], a);
      emu.calls.reset();
      const sw = await kitRunner(['action', 'rt', 'restore', '--node', 'node-b', '--json'], b);
      walls.push(sw.ms);
      const report = JSON.parse(sw.out);
      steps.push(report.steps.find((s) => s.server === 'node-b' && s.action === 'restore').durationMs);
      calls = split(emu.calls.byAction());
      const switched = [...emu.state.ec2('us-east-1').routeTables.values()].every(
        (t) => t.routes.find((x) => x.destinationCidrBlock === '10.1.0.10/32').networkInterfaceId === ids.node2.eni,
      );
      if (!switched) throw new Error(`switchover with ${n} tables left a route behind`);
    }
    results.switchover.push({ tables: n, wallMs: Math.round(median(walls)), restoreStepMs: Math.round(median(steps)), calls });
    console.error(
      `switchover, ${n} table(s): process ${Math.round(median(walls))} ms, restore step ${Math.round(median(steps))} ms, EC2 calls ${JSON.stringify(calls.ec2)}, IMDS calls ${calls.imds}`,
    );
  }

  // Whole processes that make no AWS change: a route-table remove (no AWS call at all), help,
  // kits, tunables. Wall time of the process, and the IMDS and EC2 requests it made.
  {
    emu.reset();
    const { seed, ids } = layout(10, ['10.1.0.10/32']);
    await emu.seed(seed);
    const env = nodeAEnv(join(work, 'procs'), ids);
    await kitRunner(['create', 'ec2', '--tag', 'rt', '--opt', 'scenario=route-table', '--opt', 'destinations=10.1.0.10/32', '--restore'], env);
    const floor = [];
    for (let r = 0; r < runs; r++) {
      const t = performance.now();
      await new Promise((resolve) => spawn(process.execPath, ['-e', '0']).on('close', resolve));
      floor.push(performance.now() - t);
    }
    results.processes = { nodeFloorMs: Math.round(median(floor)) };
    console.error(`node -e 0: ${results.processes.nodeFloorMs} ms`);
    const cases = [
      ['remove (route-table)', ['action', 'rt', 'remove'], ['action', 'rt', 'restore']],
      ['quickCheck (route-table, 10 tables)', ['action', 'rt', 'quickCheck']],
      ['ec2 --help', ['ec2', '--help']],
      ['kits ec2', ['kits', 'ec2']],
      ['tunables', ['tunables']],
      ['status', ['status']],
    ];
    for (const [name, args, after] of cases) {
      const walls = [];
      let calls;
      for (let r = 0; r < runs; r++) {
        emu.calls.reset();
        walls.push((await kitRunner(args, env)).ms);
        const { imds, ec2Total } = split(emu.calls.byAction());
        calls = { imds, ec2: ec2Total };
        if (after) await kitRunner(after, env);
      }
      results.processes[name] = { wallMs: Math.round(median(walls)), ...calls };
      console.error(`${name}: process ${Math.round(median(walls))} ms, IMDS requests ${calls.imds}, EC2 requests ${calls.ec2}`);
    }
  }

  // Monitor: 200 route-table resources, one /32 each, one VPC with 10 route tables.
  {
    const N = 200;
    const overlays = Array.from({ length: N }, (_, i) => `10.1.${Math.floor(i / 250)}.${(i % 250) + 1}/32`);
    emu.reset();
    const { seed, ids } = layout(10, overlays);
    await emu.seed(seed);
    const state = join(work, 'monitor');
    const env = nodeAEnv(state, ids);
    await kitRunner(['create', 'ec2', '--tag', 'rt', '--opt', 'scenario=route-table', '--opt', `destinations=${overlays[0]}`, '--restore'], env);
    // 199 more resources: copies of the stored record (creating them one process at a time takes minutes).
    cloneResource(join(state, 'store.json'), 'rt', N - 1, (i) => ({ destinations: [overlays[i + 1]] }));
    const rounds = [];
    for (let r = 0; r < runs; r++) {
      emu.calls.reset();
      const m = await kitRunner(['monitor', '--once', '--json'], env);
      const outcomes = JSON.parse(m.out).outcomes;
      if (outcomes.length !== N || outcomes.some((o) => o.result !== 'ok'))
        throw new Error(`monitor round: ${JSON.stringify(outcomes.filter((o) => o.result !== 'ok').slice(0, 3))}`);
      const byAction = emu.calls.byAction();
      rounds.push({
        ms: m.ms,
        describe: Object.entries(byAction)
          .filter(([k]) => k.startsWith('Describe'))
          .reduce((s, [, v]) => s + v, 0),
        byAction,
      });
    }
    results.monitor = {
      resources: N,
      vpcs: 1,
      roundWallMs: Math.round(median(rounds.map((x) => x.ms))),
      describeCallsPerRound: Math.max(...rounds.map((x) => x.describe)),
      calls: rounds[0].byAction,
    };
    console.error(
      `monitor --once, ${N} resources in one VPC: ${results.monitor.describeCallsPerRound} Describe calls per round (${JSON.stringify(rounds[0].byAction)}), round ${results.monitor.roundWallMs} ms`,
    );
  }
  const one = results.switchover[0].wallMs;
  const fifty = results.switchover[2].wallMs;
  results.targets = {
    fiftyTablesUnder3xOne: fifty < 3 * one,
    ratio50to1: Number((fifty / one).toFixed(2)),
    monitorDescribePerVpcAtMost2: results.monitor.describeCallsPerRound <= 2,
  };
  console.log(JSON.stringify(results, null, 2));
  if (!results.targets.fiftyTablesUnder3xOne || !results.targets.monitorDescribePerVpcAtMost2) process.exitCode = 1;
} finally {
  await emu.stop();
  rmSync(work, { recursive: true, force: true });
}
