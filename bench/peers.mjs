#!/usr/bin/env node
// Side by side with Debian's resource-agents: the peers' OCF agents (aws-vpc-move-ip, awseip,
// aws-vpc-route53, IPaddr2 from the `resource-agents` package, with the `aws` CLI from `awscli`)
// and our kits (through kit-runner) on the same scenarios in one run, against the project's AWS
// emulator. Whole processes are timed; API calls come from the emulator's call counter.
//
// Isolation: everything runs inside a network namespace this script creates and removes:
//   - `lo` up, holding 169.254.169.254/32 (the namespace's own loopback), where the emulator serves EC2,
//     Route53 and IMDS (the instance the benchmark acts as answers on port 80, where the peers'
//     curl and the CLI look for it);
//   - `eth0` (node2's address 10.0.4.10/24 and MAC), one end of a veth pair whose other end is in a second namespace
//     created here (the "LAN", for ARP), with no other interface and no route out either.
// Before any agent runs, the script checks that neither namespace has a default route, that their
// routes only use their own interfaces, and that `ip route get 1.1.1.1` fails there. Nothing
// contacts 169.254.169.254 from the host's own namespace.
//
// Needs root, iproute2, resource-agents, awscli and bind9-dnsutils (aws-vpc-route53 checks for dig):
//   apt-get install resource-agents awscli bind9-dnsutils
// and the workspace built (pnpm -r build). Usage:
//   node bench/peers.mjs [--runs 5] [--peer-runs 3] [--slow-peer-runs 1] [--only route-table,eip,route53,ip] [--tables 1,10,50] [--json FILE]
// --slow-peer-runs: runs of aws-vpc-move-ip with 50 tables (about 3 minutes each: 150 CLI calls
// and 1 s sleeps). The figures (medians) go to docs/benchmarks.md ("Side by side with resource-agents") by hand.
import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

const { values: a } = parseArgs({
  options: {
    runs: { type: 'string', default: '5' },
    'peer-runs': { type: 'string', default: '3' },
    'slow-peer-runs': { type: 'string', default: '1' },
    only: { type: 'string' },
    tables: { type: 'string', default: '1,10,50' },
    json: { type: 'string' },
  },
});
const int = (name, v) => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`peers: --${name} must be a whole number of runs, 1 or more (got "${v}")`);
    process.exit(2);
  }
  return n;
};
const opts = {
  runs: int('runs', a.runs),
  peerRuns: int('peer-runs', a['peer-runs']),
  peerRunsSlow: int('slow-peer-runs', a['slow-peer-runs']),
  tables: a.tables.split(',').map((t) => int('tables', t)),
  only: a.only?.split(','),
};
const root = fileURLToPath(new URL('..', import.meta.url));

// ---- prerequisites, each with its fix
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
  for (const m of missing) console.error(`peers: ${m}`);
  process.exit(2);
}

// The namespaces and their isolation check: bench/peers/netns.mjs (shared with bench/ocf.mjs).
const { runIsolated } = await import(pathToFileURL(join(root, 'bench/peers/netns.mjs')).href);
const result = { ...(await runIsolated(root, { prefix: 'rkpeers', script: 'bench/peers/inside.mjs', options: opts })), date: new Date().toISOString() };

// ---- the table: each scenario's peer against our kit(s), and the ratio peer / ours
const byKey = new Map(result.rows.map((x) => [`${x.scenario}|${x.tool}|${x.action}`, x]));
const scenarios = [...new Set(result.rows.map((x) => x.scenario))];
const lines = [
  `Node ${result.node}, Node floor (node -e 0) ${result.nodeFloorMs} ms; medians of ${result.runs} runs (ours), ${result.peerRuns} (peers; ${result.peerRunsSlow} for aws-vpc-move-ip with 50 tables).`,
  '',
  '| Scenario | Action | Peer | Peer wall ms | Peer AWS calls (+IMDS) | Ours | Our wall ms | Our AWS calls (+IMDS) | Peer / ours (time) |',
  '|---|---|---|---:|---:|---|---:|---:|---:|',
];
for (const s of scenarios) {
  const tools = [...new Set(result.rows.filter((x) => x.scenario === s).map((x) => x.tool))];
  const [peer, ...ours] = tools;
  for (const action of ['start', 'monitor', 'stop']) {
    const p = byKey.get(`${s}|${peer}|${action}`);
    for (const o of ours) {
      const k = byKey.get(`${s}|${o}|${action}`);
      if (!p || !k) continue;
      lines.push(
        `| ${s} | ${action} | ${peer} | ${p.wallMs} | ${p.calls.aws} (+${p.calls.imds}) | ${o} | ${k.wallMs} | ${k.calls.aws} (+${k.calls.imds}) | ${(p.wallMs / k.wallMs).toFixed(2)}x |`,
      );
    }
  }
}
console.log(lines.join('\n'));
if (a.json) writeFileSync(a.json, `${JSON.stringify(result, null, 2)}\n`);
