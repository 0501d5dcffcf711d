#!/usr/bin/env node
import { writeFileSync } from 'node:fs';
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

// The prerequisites, the namespaces and their isolation check: bench/peers/netns.mjs.
const { missingPrerequisites, runIsolated } = await import(pathToFileURL(join(root, 'bench/peers/netns.mjs')).href);
const missing = missingPrerequisites(root);
if (missing.length) {
  for (const m of missing) console.error(`ocf bench: ${m}`);
  process.exit(2);
}

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
