#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
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
// The prerequisites, the namespaces and their isolation check: bench/peers/netns.mjs.
const { missingPrerequisites, runIsolated } = await import(pathToFileURL(join(root, 'bench/peers/netns.mjs')).href);
const missing = missingPrerequisites(root);
if (missing.length) {
  for (const m of missing) console.error(`peers: ${m}`);
  process.exit(2);
}

// The namespaces and their isolation check: bench/peers/netns.mjs (shared with bench/ocf.mjs).
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
