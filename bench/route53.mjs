#!/usr/bin/env node
// Benchmark of the Route53 kit's restore through the real kit-runner against the AWS emulator
// (in this process, on 127.0.0.1), with the kit's default tunables (LifeKeeper's ROUTE53_* values,
// one GetChange 0.05 s after the submit, then from 0.5 s growing 1.5x up to ROUTE53_CHANGEID_INTERVAL=20 s).
//
// Set-up: one server (node-a) whose IP child (10.1.0.10/32 on eth0, IP kit) lives in a network
// namespace this script creates and always deletes; the IP resource stays in service, so each
// measured `kit-runner action route53-www restore` runs only the Route53 restore. Before every
// run the Route53 resource is taken out of service and the record is pointed elsewhere behind
// the kit's back, so each restore must UPSERT and wait for INSYNC.
//
// For emulator delays of 0 s, 2 s and 20 s (the time from the submit until GetChange says
// INSYNC) it reports the wall time of the kit-runner process, the kit's own wait until it saw
// INSYNC (from its log), the polling overhead (that wait minus the delay), and the API calls per
// restore. A baseline run measures a restore that finds the record already right (no change).
//
// Needs root (network namespace) and built packages:
//   pnpm --filter @recovery-kit/aws --filter @recovery-kit/aws-emulator --filter @recovery-kit/kit-ip --filter @recovery-kit/kit-route53 build
// Usage: node bench/route53.mjs [RUNS=5] [RUNS_AT_20S=2]
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const RUNS = Number(process.argv[2] ?? 5);
const RUNS_LONG = Number(process.argv[3] ?? 2);
if (process.getuid?.() !== 0) {
  console.error('bench/route53.mjs needs root (it creates a network namespace for the IP child)');
  process.exit(2);
}
const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const kits = join(root, 'kits');
for (const p of [
  'kits/route53/dist/index.js',
  'kits/ip/dist/index.js',
  'packages/aws/dist/index.js',
  'packages/aws-emulator/dist/index.js',
  'packages/runner/dist/cli/main.js',
]) {
  if (!existsSync(join(root, p))) {
    console.error(
      `${p} is missing: pnpm --filter @recovery-kit/aws --filter @recovery-kit/aws-emulator --filter @recovery-kit/kit-ip --filter @recovery-kit/kit-route53 build`,
    );
    process.exit(2);
  }
}
// The emulator and the SDK are dependencies of the kit's package, not of the workspace root.
const req = createRequire(join(kits, 'route53', 'package.json'));
const { startEmulator } = await import(pathToFileURL(req.resolve('@recovery-kit/aws-emulator')).href);
const { Route53Client, ChangeResourceRecordSetsCommand } = await import(pathToFileURL(req.resolve('@aws-sdk/client-route-53')).href);

const ZONE = 'Z0BENCHPUBLIC0000001';
const NS = `rk53-bench-${randomBytes(3).toString('hex')}`;
const work = mkdtempSync(join(tmpdir(), 'rk-bench-route53-'));
let emu;
function cleanup() {
  spawnSync('ip', ['netns', 'del', NS], { stdio: 'ignore' });
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

const sh = (file, ...args) => {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
sh('ip', 'netns', 'add', NS);
sh('ip', '-n', NS, 'link', 'set', 'lo', 'up');
sh('ip', '-n', NS, 'link', 'add', 'eth0', 'type', 'veth', 'peer', 'name', 'peer0');
sh('ip', '-n', NS, 'link', 'set', 'peer0', 'up');
sh('ip', '-n', NS, 'link', 'set', 'eth0', 'up');

emu = await startEmulator({ route53ChangeDelayMs: 0, seed: { hostedZones: [{ id: ZONE, name: 'example.com' }] } });
const direct = new Route53Client({
  region: 'us-east-1',
  endpoint: emu.endpoint,
  credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
  maxAttempts: 1,
});
writeFileSync(join(work, 'conf'), 'NOBCASTPING=1\nNOIPUNIQUE=1\nIP_ARP_COUNT=0\n');
const env = {
  ...process.env,
  ...emu.env({ region: 'us-east-1' }),
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_CONFIG_FILE: join(work, 'no-aws-config'),
  AWS_SHARED_CREDENTIALS_FILE: join(work, 'no-aws-credentials'),
  KIT_RUNNER_STATE_DIR: join(work, 'state'),
  KIT_RUNNER_TUNABLES: join(work, 'conf'),
  KIT_RUNNER_KITS_DIR: kits,
  KIT_RUNNER_NODE: 'node-a',
};
delete env.AWS_PROFILE;

/** Runs kit-runner; resolves { ms, stderr }. Throws on a non-zero exit. */
function kr(args) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += d));
    child.stdout.resume();
    child.on('close', (code) => {
      const ms = performance.now() - t;
      if (code !== 0) reject(new Error(`kit-runner ${args.join(' ')} exited ${code}: ${stderr}`));
      else resolve({ ms, stderr });
    });
  });
}
const point = (value) =>
  direct.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: ZONE,
      ChangeBatch: { Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: 'www.example.com', Type: 'A', TTL: 10, ResourceRecords: [{ Value: value }] } }] },
    }),
  );

await kr(['create', 'ip', '--tag', 'ip-www', '--opt', 'address=10.1.0.10/32', '--opt', 'device=eth0', '--opt', `netns=${NS}`]);
await kr(['create', 'route53', '--tag', 'route53-www', '--opt', 'zone=example.com', '--opt', 'host=www', '--opt', 'ip=ip-www']);
await kr(['action', 'route53-www', 'restore']); // the IP child stays in service from here on

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmtS = (ms) => `${(ms / 1000).toFixed(2)} s`;

async function measure(delayMs, runs) {
  const rows = [];
  for (let i = 0; i < runs; i++) {
    await kr(['action', 'route53-www', 'remove']);
    emu.config.route53ChangeDelayMs = 0;
    await point(`203.0.113.${10 + i}`);
    emu.config.route53ChangeDelayMs = delayMs;
    emu.calls.reset();
    const { ms, stderr } = await kr(['action', 'route53-www', 'restore']);
    const m = /INSYNC after ([\d.]+) s \((\d+) GetChange poll/.exec(stderr);
    if (!m) throw new Error(`no INSYNC line in the restore's log:\n${stderr}`);
    rows.push({ wallMs: ms, waitMs: Number(m[1]) * 1000, polls: Number(m[2]), calls: emu.calls.byAction() });
  }
  return rows;
}

async function baseline(runs) {
  emu.config.route53ChangeDelayMs = 0;
  const xs = [];
  let calls;
  for (let i = 0; i < runs; i++) {
    await kr(['action', 'route53-www', 'remove']);
    emu.calls.reset();
    xs.push((await kr(['action', 'route53-www', 'restore'])).ms);
    calls = emu.calls.byAction();
  }
  return { wallMs: median(xs), calls };
}

const nodeFloor = median(
  Array.from({ length: 5 }, () => {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    return performance.now() - t;
  }),
);
const base = await baseline(RUNS);
const results = [];
for (const [delayMs, runs] of [
  [0, RUNS],
  [2000, RUNS],
  [20000, RUNS_LONG],
]) {
  const rows = await measure(delayMs, runs);
  const wall = median(rows.map((r) => r.wallMs));
  const wait = median(rows.map((r) => r.waitMs));
  const calls = rows[Math.floor(rows.length / 2)].calls;
  results.push({ delayMs, runs, wall, wait, polls: median(rows.map((r) => r.polls)), calls });
}
direct.destroy();
await emu.stop();

const callText = (c) =>
  Object.entries(c)
    .sort()
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
const total = (c) => Object.values(c).reduce((a, b) => a + b, 0);
console.log(`Route53 kit restore through kit-runner (node ${process.version}); medians; RUNS=${RUNS}, RUNS at 20 s=${RUNS_LONG}`);
console.log(`process floor (node -e 0): ${nodeFloor.toFixed(0)} ms`);
console.log(`baseline, record already right (no change): wall ${fmtS(base.wallMs)}; calls: ${callText(base.calls)}`);
console.log('');
console.log(
  '| emulator delay | runs | wall time | kit saw INSYNC after | polling overhead (wait - delay) | wall - delay | GetChange polls | API calls per restore |',
);
console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of results) {
  console.log(
    `| ${r.delayMs / 1000} s | ${r.runs} | ${fmtS(r.wall)} | ${fmtS(r.wait)} | ${fmtS(r.wait - r.delayMs)} | ${fmtS(r.wall - r.delayMs)} | ${r.polls} | ${total(r.calls)}: ${callText(r.calls)} |`,
  );
}
console.log('');
console.log('For comparison, a fixed 20 s poll (LifeKeeper ROUTE53_CHANGEID_INTERVAL, aws-vpc-route53\'s "sleep 20") first sees INSYNC');
for (const r of results) {
  const at = Math.max(20, Math.ceil(r.delayMs / 20000) * 20);
  console.log(
    `  at ${at} s for a ${r.delayMs / 1000} s delay${r.delayMs > 0 && r.delayMs % 20000 === 0 ? ` (${at + 20} s when INSYNC comes a moment after that poll)` : ''}`,
  );
}
