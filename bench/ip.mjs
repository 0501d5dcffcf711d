#!/usr/bin/env node
// Benchmark of the IP kit through the real kit-runner, in network namespaces it creates and
// always removes: node A and node B on one bridged link, client C (the bridge's namespace).
//
// Per address family, repeated RUNS times (default 10):
//   restore   `kit-runner action vip restore` on node-a (address nowhere before): wall time of the
//             process, and the time from the process start until the address answers a ping
//             from C (C pings every 10 ms with timestamps, ping -D);
//   switch    `kit-runner action vip restore --node node-b` while node-a holds it (the runner
//             removes it from A, then restores on B): wall time, and the longest gap between two
//             replies C gets meanwhile (the outage a client sees);
//   remove    `kit-runner action vip remove --node node-b`: wall time.
// For restore and switch also the time from the end of the kit-runner process until C's next
// reply (C pings every 10 ms, so that is the resolution).
// Needs root, iproute2, iputils-arping, iputils-ping, procps; the kit must be built.
// Usage: node bench/ip.mjs [RUNS] [TUNABLE=VALUE ...] [--against DIR]
//   e.g. node bench/ip.mjs 10 IP_DAD_WAIT_MS=200
//   (the tunables are written to the tunables file after NOBCASTPING=1, so they can also turn
//   the duplicate address probe off: NOIPUNIQUE=1)
//   --against DIR: another checkout (installed and built, e.g. `git worktree add --detach DIR REV`):
//   before the figures above, restore (and remove) on node-a run RUNS times in each checkout,
//   interleaved run by run (alternating which goes first) with a `node -e 0` before each, so the
//   two restore columns and the floor come from the same minutes.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const argv = process.argv.slice(2);
const at = argv.indexOf('--against');
const against = at >= 0 ? argv.splice(at, 2)[1] : undefined;
const RUNS = Number(argv[0] ?? 10);
if (process.getuid?.() !== 0) {
  console.error('bench/ip.mjs needs root (it creates network namespaces)');
  process.exit(2);
}
const bin = fileURLToPath(new URL('../packages/runner/bin/kit-runner.js', import.meta.url));
const kits = fileURLToPath(new URL('../kits', import.meta.url));
if (!existsSync(join(kits, 'ip', 'dist', 'index.js'))) {
  console.error('build the kit first: pnpm --filter @recovery-kit/kit-ip build');
  process.exit(2);
}

// The IP kit tests' own topology (Node runs the TypeScript module as it is).
const { createTopology } = await import(new URL('../kits/ip/test/topology.ts', import.meta.url).href);
let topo;
let A, B, C;
const sh = (file, ...args) => {
  const r = spawnSync(file, args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${file} ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};
const work = mkdtempSync(join(tmpdir(), 'rk-bench-ip-'));
const env = { ...process.env, KIT_RUNNER_STATE_DIR: join(work, 'state'), KIT_RUNNER_TUNABLES: join(work, 'conf'), KIT_RUNNER_KITS_DIR: kits };
const extra = argv.slice(1).filter((a) => /^[A-Z][A-Z0-9_]*=\S*$/.test(a));
writeFileSync(join(work, 'conf'), ['NOBCASTPING=1', ...extra, ''].join('\n'));

function cleanup() {
  topo?.destroy();
  rmSync(work, { recursive: true, force: true });
}
process.on('exit', cleanup);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => process.exit(130));

/** Runs kit-runner (of checkout `root`, with state in `stateDir`); resolves with the wall time in ms (rejects on a non-zero exit). */
function kr(args, node = 'node-a', root = undefined, stateDir = undefined) {
  return new Promise((resolve, reject) => {
    const t = performance.now();
    const file = root ? join(root, 'packages/runner/bin/kit-runner.js') : bin;
    const e = {
      ...env,
      KIT_RUNNER_NODE: node,
      ...(root ? { KIT_RUNNER_KITS_DIR: join(root, 'kits') } : {}),
      ...(stateDir ? { KIT_RUNNER_STATE_DIR: stateDir } : {}),
    };
    const child = spawn(process.execPath, [file, ...args], { env: e, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => (code === 0 ? resolve(performance.now() - t) : reject(new Error(`kit-runner ${args.join(' ')}: exit ${code}\n${err}`))));
  });
}

/** A 10 ms ping from C with kernel-receive timestamps; stop() returns the reply times (epoch ms). */
function pinger(address) {
  const child = spawn('ip', ['netns', 'exec', C, 'ping', '-n', '-D', '-i', '0.01', '-W', '1', address], { stdio: ['ignore', 'pipe', 'ignore'] });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  const times = () => [...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000);
  return {
    /** Waits until a reply at or after `since` came, or `ms` passed. */
    async replyAfter(since, ms) {
      const end = Date.now() + ms;
      while (!times().some((t) => t >= since) && Date.now() < end) await sleep(20);
    },
    stop: () =>
      new Promise((resolve) => {
        child.on('close', () => resolve([...out.matchAll(/^\[(\d+\.\d+)\] \d+ bytes from/gm)].map((m) => Number(m[1]) * 1000)));
        child.kill('SIGINT');
      }),
  };
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const stats = (xs) => {
  const s = xs.filter((x) => Number.isFinite(x)).sort((a, b) => a - b);
  const missed = xs.length - s.length;
  if (!s.length) return { missed };
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.min(s.length - 1, Math.floor(s.length * 0.9))], min: s[0], max: s[s.length - 1], missed };
};
const ms = (x) => `${x.toFixed(0).padStart(5)} ms`;
const fmt = (r) =>
  (r.median === undefined ? 'no reply in any run' : `median ${ms(r.median)}   p90 ${ms(r.p90)}   min ${ms(r.min)}   max ${ms(r.max)}`) +
  (r.missed && r.median !== undefined ? `   (no reply in ${r.missed} run(s))` : '');

async function family(name, cidr, bare) {
  const tag = `vip-${name}`;
  await kr(['create', 'ip', '--tag', tag, '--opt', `address=${cidr}`, '--opt', `netns=${A}`]);
  await kr(['extend', tag, '--server', 'node-b', '--priority', '2', '--opt', `netns=${B}`]);
  const m = { restore: [], answers: [], answersAfterEnd: [], switch: [], outage: [], switchAnswersAfterEnd: [], remove: [] };
  for (let i = 0; i < RUNS; i++) {
    let p = pinger(bare);
    await sleep(50);
    const start = Date.now();
    m.restore.push(await kr(['action', tag, 'restore']));
    const restoreEnd = Date.now();
    await p.replyAfter(restoreEnd, 5000);
    await sleep(100);
    let replies = await p.stop();
    const first = replies.find((t) => t >= start);
    if (first === undefined) throw new Error(`${bare} did not answer C after restore on node-a`);
    m.answers.push(first - start);
    m.answersAfterEnd.push(Math.max(0, replies.find((t) => t >= restoreEnd) - restoreEnd));

    p = pinger(bare);
    await sleep(300);
    const sw = Date.now();
    m.switch.push(await kr(['action', tag, 'restore', '--node', 'node-b'], 'node-b'));
    const switchEnd = Date.now();
    await sleep(1500);
    replies = (await p.stop()).filter((t) => t >= sw - 100);
    m.switchAnswersAfterEnd.push(replies.find((t) => t >= switchEnd) - switchEnd);
    let gap = 0;
    for (let j = 1; j < replies.length; j++) gap = Math.max(gap, replies[j] - replies[j - 1]);
    if (!replies.length || replies[replies.length - 1] < sw) throw new Error(`${bare} did not answer C after the switch to node-b`);
    m.outage.push(gap);

    m.remove.push(await kr(['action', tag, 'remove', '--node', 'node-b'], 'node-b'));
    await sleep(200);
  }
  return m;
}

/** Restore and remove on node-a in this checkout and in `against`, interleaved; medians. */
async function interleaved(name, cidr) {
  const roots = [undefined, against];
  const states = roots.map((_, i) => join(work, `ab-state-${i}`));
  for (const [i, root] of roots.entries())
    await kr(['create', 'ip', '--tag', `ab-${name}`, '--opt', `address=${cidr}`, '--opt', `netns=${A}`], 'node-a', root, states[i]);
  const m = roots.map(() => ({ restore: [], remove: [] }));
  const floor = [];
  for (let i = 0; i < RUNS; i++) {
    for (const k of i % 2 ? [1, 0] : [0, 1]) {
      const t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      floor.push(performance.now() - t);
      m[k].restore.push(await kr(['action', `ab-${name}`, 'restore'], 'node-a', roots[k], states[k]));
      await sleep(20);
      m[k].remove.push(await kr(['action', `ab-${name}`, 'remove'], 'node-a', roots[k], states[k]));
      await sleep(20);
    }
  }
  return { floor: stats(floor), m: m.map((x) => ({ restore: stats(x.restore), remove: stats(x.remove) })) };
}

try {
  topo = createTopology();
  [A, B, C] = [topo.a, topo.b, topo.c];
  await sleep(200);
  const floor = [];
  for (let i = 0; i < 10; i++) {
    const t = performance.now();
    spawnSync(process.execPath, ['-e', '0']);
    floor.push(performance.now() - t);
  }
  const ab = against ? { IPv4: await interleaved('v4', '192.0.2.100/24'), IPv6: await interleaved('v6', 'fd00:db8:1::100/64') } : undefined;
  const results = { IPv4: await family('v4', '192.0.2.100/24', '192.0.2.100'), IPv6: await family('v6', 'fd00:db8:1::100/64', 'fd00:db8:1::100') };
  console.log(
    `node ${process.version}, kernel ${sh('uname', '-r').trim()}, ${RUNS} runs per figure, tunables ${extra.length ? extra.join(' ') : 'default'} (defaults IP_DAD_PROBES=1, IP_DAD_WAIT_MS=1000, IP_ARP_COUNT=2), ${new Date().toISOString()}`,
  );
  for (const [fam, r] of Object.entries(ab ?? {})) {
    console.log(`${fam}, interleaved with ${against} (${RUNS} runs each; a node -e 0 before each run):`);
    console.log(`  ${'node -e 0 (process floor)'.padEnd(50)} ${fmt(r.floor)}`);
    for (const [i, label] of ['this checkout', against].entries()) {
      console.log(`  ${`restore, ${label}`.padEnd(50)} ${fmt(r.m[i].restore)}   (floor + ${(r.m[i].restore.median - r.floor.median).toFixed(0)})`);
      console.log(`  ${`remove, ${label}`.padEnd(50)} ${fmt(r.m[i].remove)}`);
    }
    console.log(`  ${'ratio of restore medians (this / against)'.padEnd(50)} ${(r.m[0].restore.median / r.m[1].restore.median).toFixed(2)}`);
  }
  console.log(`${'node -e 0 (process floor)'.padEnd(52)} ${fmt(stats(floor))}`);
  for (const [fam, m] of Object.entries(results)) {
    console.log(`${`${fam} restore on node-a: kit-runner wall time`.padEnd(52)} ${fmt(stats(m.restore))}`);
    console.log(`${`${fam} restore on node-a: start -> answers from C`.padEnd(52)} ${fmt(stats(m.answers))}`);
    console.log(`${`${fam} restore on node-a: end -> answers from C`.padEnd(52)} ${fmt(stats(m.answersAfterEnd))}`);
    console.log(`${`${fam} switch A -> B (restore --node node-b): wall`.padEnd(52)} ${fmt(stats(m.switch))}`);
    console.log(`${`${fam} switch A -> B: longest reply gap seen by C`.padEnd(52)} ${fmt(stats(m.outage))}`);
    console.log(`${`${fam} switch A -> B: end -> next reply at C (from B)`.padEnd(52)} ${fmt(stats(m.switchAnswersAfterEnd))}`);
    console.log(`${`${fam} remove on node-b: kit-runner wall time`.padEnd(52)} ${fmt(stats(m.remove))}`);
  }
} finally {
  cleanup();
}
