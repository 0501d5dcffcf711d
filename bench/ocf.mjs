#!/usr/bin/env node
// Our OCF agents against Debian's resource-agents, as Pacemaker runs them: one process per action
// (start, monitor at OCF_CHECK_LEVEL 0 and 10, stop) in the OCF environment, through the agents
// `kit-runner ocf install` writes; side by side in one run with aws-vpc-move-ip, awseip,
// aws-vpc-route53 and IPaddr2 against one AWS emulator. Whole-process wall time, and AWS API and
// IMDS requests per action from the emulator's counters.
//
// Isolation: bench/peers/netns.mjs (shared with bench/peers.mjs) creates two network namespaces
// with no route out and checks that before anything runs; the emulator and its IMDS
// (169.254.169.254) exist only inside. The work is bench/peers/ocf-inside.mjs.
//
// Needs root, iproute2, resource-agents, awscli, bind9-dnsutils and the workspace built:
//   apt-get install resource-agents awscli bind9-dnsutils; pnpm -r build
//   sh scripts/node.sh bench/ocf.mjs [--runs 5] [--peer-runs 3] [--only route-table,eip,route53,ip] [--json FILE]
// The figures (medians) go to docs/benchmarks.md ("OCF agents side by side") by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'peer-runs': { type: 'string', default: '3' },
    only: { type: 'string' },
    json: { type: 'string' },
  },
});
const int = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`ocf bench: --${name} must be a whole number of runs, 1 or more (got "${v}")`);
    process.exit(2);
  }
  return n;
};
const root = fileURLToPath(new URL('..', import.meta.url));
const SCENARIOS = ['route-table', 'eip', 'route53', 'ip'];
const only = a.only?.split(',');
for (const s of only ?? []) {
  if (!SCENARIOS.includes(s)) {
    console.error(`ocf bench: --only ${s}: not a scenario (one of ${SCENARIOS.join(', ')})`);
    process.exit(2);
  }
}
const opts = { runs: int('runs', a.runs), peerRuns: int('peer-runs', a['peer-runs']), only };

const need = [
  [process.getuid?.() === 0, 'run as root (network namespaces, ip addr, the peers need root)'],
  [spawnSync('ip', ['netns', 'list']).status === 0, 'install iproute2 (ip netns)'],
  ...['aws-vpc-move-ip', 'awseip', 'aws-vpc-route53', 'IPaddr2'].map((n) => [
    existsSync(`/usr/lib/ocf/resource.d/heartbeat/${n}`),
    `apt-get install resource-agents (${n} is missing)`,
  ]),
  [existsSync('/usr/bin/aws'), 'apt-get install awscli (/usr/bin/aws is missing)'],
  [spawnSync('dig', ['-v']).status === 0, 'apt-get install bind9-dnsutils (aws-vpc-route53 needs dig)'],
  [
    existsSync(join(root, 'packages/aws-emulator/dist/index.js')) && existsSync(join(root, 'packages/runner/dist/kit-runner.mjs')),
    'build the workspace first: pnpm -r build',
  ],
];
const missing = need.filter(([ok]) => !ok).map(([, fix]) => fix);
if (missing.length) {
  for (const m of missing) console.error(`ocf bench: ${m}`);
  process.exit(2);
}

const { runIsolated } = await import(pathToFileURL(join(root, 'bench/peers/netns.mjs')).href);
const result = { ...(await runIsolated(root, { prefix: 'rkocf', script: 'bench/peers/ocf-inside.mjs', options: opts })), date: new Date().toISOString() };

// ---- the table: per scenario and action, the peer's figures and ours, and the ratio peer / ours
const by = new Map(result.rows.map((x) => [`${x.scenario}|${x.tool}|${x.action}`, x]));
const lines = [
  `Node ${result.node}, Node floor (node -e 0) ${result.nodeFloorMs} ms, load average ${result.load.join(' ')}; medians of ${result.runs} runs (ours), ${result.peerRuns} (peers).`,
  '',
  '| Scenario | Action | Peer | Peer ms | Peer AWS (+IMDS) | Ours | Our ms | Our AWS (+IMDS) | Peer / ours (time) |',
  '|---|---|---|---:|---:|---|---:|---:|---:|',
];
for (const s of [...new Set(result.rows.map((x) => x.scenario))]) {
  const [peer, ours] = [...new Set(result.rows.filter((x) => x.scenario === s).map((x) => x.tool))];
  for (const action of ['start', 'monitor', 'monitor (API)', 'stop']) {
    const p = by.get(`${s}|${peer}|${action}`);
    const o = by.get(`${s}|${ours}|${action}`);
    if (!p || !o) continue;
    const label = action === 'monitor' ? 'monitor, level 0' : action === 'monitor (API)' ? 'monitor, level 10 (peer: API check)' : action;
    lines.push(
      `| ${s} | ${label} | ${peer} | ${p.wallMs} | ${p.calls.aws} (+${p.calls.imds}) | ${ours} | ${o.wallMs} | ${o.calls.aws} (+${o.calls.imds}) | ${(p.wallMs / o.wallMs).toFixed(2)}x |`,
    );
  }
}
console.log(lines.join('\n'));
if (a.json) writeFileSync(a.json, `${JSON.stringify(result, null, 2)}\n`);
