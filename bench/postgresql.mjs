#!/usr/bin/env node
/**
 * PostgreSQL kit benchmark, per process through the built kit-runner (what an operator or a
 * cluster manager pays):
 *   - restore: time from spawning `kit-runner action <tag> restore` to the first connection the
 *     server accepts (polled every 5 ms from this process over the unix socket), and to the
 *     command's exit;
 *   - quickCheck: wall time of `kit-runner action <tag> quickCheck` (process start to exit) and
 *     the time the runner reports for the check itself;
 *   - remove (fast shutdown): wall time to exit;
 *   - baseline: `pg_ctl start -w` / `pg_ctl stop -m fast` run directly as postgres (no kit).
 * Sets up and tears down its own cluster (initdb in a temporary directory, loopback/unix socket
 * only). Needs root, the postgres OS user and the PostgreSQL server (apt-get install postgresql),
 * and built packages (pnpm -r build).
 *
 *   node bench/postgresql.mjs [--rounds 10] [--checks 30] [--json]
 */
import { spawn, spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir, cpus } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '10' }, checks: { type: 'string', default: '30' }, json: { type: 'boolean', default: false } },
});
const ROUNDS = Number(values.rounds);
const CHECKS = Number(values.checks);

function fail(msg) {
  console.error(`bench/postgresql: ${msg}`);
  process.exit(2);
}
if (process.getuid?.() !== 0) fail('needs root (the server runs as the postgres user)');
if (spawnSync('id', ['-u', 'postgres']).status !== 0) fail('needs the postgres OS user: apt-get install -y postgresql');
const versions = existsSync('/usr/lib/postgresql') ? readdirSync('/usr/lib/postgresql').sort((a, b) => Number(b) - Number(a)) : [];
const binDir = versions.map((v) => `/usr/lib/postgresql/${v}/bin`).find((d) => existsSync(join(d, 'initdb')));
if (!binDir) fail('no PostgreSQL server binaries under /usr/lib/postgresql: apt-get install -y postgresql');
const runner = join(repo, 'packages/runner/bin/kit-runner.js');
if (!existsSync(join(repo, 'kits/postgresql/dist/index.js'))) fail('kits/postgresql is not built: run pnpm -r build');
const pg = createRequire(join(repo, 'kits/postgresql/package.json'))('pg');

const uid = Number(spawnSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).stdout);
const gid = Number(spawnSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).stdout);
const base = mkdtempSync(join(tmpdir(), 'rk-pgbench-'));
chmodSync(base, 0o755);
const dataDir = join(base, 'data');
const socketDir = join(base, 'sock');
const stateDir = join(base, 'state');
for (const d of [dataDir, socketDir]) {
  mkdirSync(d);
  chownSync(d, uid, gid);
}
chmodSync(dataDir, 0o700);
const asPg = (file, args) => spawnSync('runuser', ['-u', 'postgres', '--', file, ...args], { encoding: 'utf8' });
let port;
for (;;) {
  port = 20000 + Math.floor(Math.random() * 40000);
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  if (!['/proc/net/tcp', '/proc/net/tcp6'].some((f) => existsSync(f) && readFileSync(f, 'utf8').includes(hex))) break;
}

const env = {
  ...process.env,
  KIT_RUNNER_STATE_DIR: stateDir,
  KIT_RUNNER_TUNABLES: join(base, 'tunables.conf'),
  KIT_RUNNER_KITS_DIR: join(repo, 'kits'),
  KIT_RUNNER_NODE: 'bench-node',
  KIT_RUNNER_LOG_LEVEL: 'warn',
};
writeFileSync(env.KIT_RUNNER_TUNABLES, 'PGSQL_CONN_RETRY_DELAY=0.2\n');

function kr(args) {
  return new Promise((ok) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [runner, ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => ok({ code, out, err, ms: performance.now() - t0, t0 }));
  });
}

async function tryConnect() {
  const c = new pg.Client({ host: socketDir, port, user: 'postgres', database: 'postgres', connectionTimeoutMillis: 1000 });
  c.on('error', () => {});
  try {
    await c.connect();
    await c.query('SELECT 1');
    return true;
  } catch {
    return false;
  } finally {
    c.end().catch(() => {});
  }
}

async function firstConnection(since, stopAt) {
  for (;;) {
    if (await tryConnect()) return performance.now() - since;
    if (performance.now() > stopAt) return NaN;
    await new Promise((r) => setTimeout(r, 5));
  }
}

const median = (a) => {
  const s = [...a].filter(Number.isFinite).sort((x, y) => x - y);
  return s.length ? (s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2) : NaN;
};
const pct = (a, p) => {
  const s = [...a].filter(Number.isFinite).sort((x, y) => x - y);
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
};
const f1 = (n) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');

const results = {
  restoreToFirstConnection: [],
  restoreExit: [],
  quickCheckWall: [],
  quickCheckReported: [],
  removeExit: [],
  baselineStartW: [],
  baselineStopFast: [],
};
try {
  const init = asPg(join(binDir, 'initdb'), ['-D', dataDir, '-U', 'postgres', '--auth-local=peer', '--no-sync']);
  if (init.status !== 0) fail(`initdb failed: ${init.stderr}`);
  appendFileSync(join(dataDir, 'postgresql.conf'), "\nlisten_addresses = '127.0.0.1'\n");
  writeFileSync(
    join(dataDir, 'pg_hba.conf'),
    readFileSync(join(dataDir, 'pg_hba.conf'), 'utf8').replace(/^local\s+all\s+all\s+peer\s*$/m, 'local all all peer map=recoverykit'),
  );
  appendFileSync(join(dataDir, 'pg_ident.conf'), '\nrecoverykit root postgres\nrecoverykit postgres postgres\n');

  const c = await kr(['create', 'postgresql', '--tag', 'bench', '--opt', `dataDir=${dataDir}`, '--opt', `socketDir=${socketDir}`, '--opt', `port=${port}`]);
  if (c.code !== 0) fail(`create failed: ${c.err}`);

  for (let i = 0; i < ROUNDS; i++) {
    const t0 = performance.now();
    const p = kr(['action', 'bench', 'restore']);
    const first = await firstConnection(t0, t0 + 60_000);
    const r = await p;
    if (r.code !== 0) fail(`restore failed: ${r.err}`);
    results.restoreToFirstConnection.push(first);
    results.restoreExit.push(r.ms);
    if (i === 0) {
      for (let k = 0; k < CHECKS; k++) {
        const q = await kr(['action', 'bench', 'quickCheck']);
        if (q.code !== 0) fail(`quickCheck failed: ${q.out}${q.err}`);
        results.quickCheckWall.push(q.ms);
        const m = /\((\d+) ms\)/.exec(q.out);
        if (m) results.quickCheckReported.push(Number(m[1]));
      }
    }
    const rm = await kr(['action', 'bench', 'remove']);
    if (rm.code !== 0) fail(`remove failed: ${rm.err}`);
    results.removeExit.push(rm.ms);
  }
  for (let i = 0; i < ROUNDS; i++) {
    let t = performance.now();
    const s = asPg(join(binDir, 'pg_ctl'), ['start', '-D', dataDir, '-w', '-l', join(dataDir, 'pg_ctl.log'), '-o', `-p ${port} -k '${socketDir}'`]);
    results.baselineStartW.push(performance.now() - t);
    if (s.status !== 0) fail(`baseline start failed: ${s.stderr}`);
    t = performance.now();
    asPg(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'fast', '-w']);
    results.baselineStopFast.push(performance.now() - t);
  }
} finally {
  if (existsSync(join(dataDir, 'postmaster.pid'))) asPg(join(binDir, 'pg_ctl'), ['stop', '-D', dataDir, '-m', 'immediate', '-w']);
  rmSync(base, { recursive: true, force: true });
}

const version = spawnSync(join(binDir, 'pg_ctl'), ['--version'], { encoding: 'utf8' }).stdout.trim();
const summary = {
  machine: `${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}, ${version}`,
  rounds: ROUNDS,
  checks: CHECKS,
  restoreToFirstConnectionMs: { median: median(results.restoreToFirstConnection), p90: pct(results.restoreToFirstConnection, 90) },
  restoreExitMs: { median: median(results.restoreExit), p90: pct(results.restoreExit, 90) },
  quickCheckWallMs: { median: median(results.quickCheckWall), p90: pct(results.quickCheckWall, 90) },
  quickCheckReportedMs: { median: median(results.quickCheckReported), p90: pct(results.quickCheckReported, 90) },
  removeExitMs: { median: median(results.removeExit), p90: pct(results.removeExit, 90) },
  baselinePgCtlStartWMs: { median: median(results.baselineStartW) },
  baselinePgCtlStopFastMs: { median: median(results.baselineStopFast) },
};
if (values.json) console.log(JSON.stringify({ summary, raw: results }, null, 2));
else {
  console.log(`PostgreSQL kit benchmark (${summary.machine}); ${ROUNDS} restore/remove rounds, ${CHECKS} quickChecks`);
  console.log('| measure | median ms | p90 ms |');
  console.log('|---|---|---|');
  const row = (name, v) => console.log(`| ${name} | ${f1(v.median)} | ${f1(v.p90)} |`);
  row('restore: spawn to first accepted connection', summary.restoreToFirstConnectionMs);
  row('restore: spawn to kit-runner exit', summary.restoreExitMs);
  row('quickCheck: kit-runner process, spawn to exit', summary.quickCheckWallMs);
  row('quickCheck: as reported by the runner (the check itself)', summary.quickCheckReportedMs);
  row('remove (fast shutdown): spawn to exit', summary.removeExitMs);
  console.log(`| baseline: pg_ctl start -w (runuser, no kit) | ${f1(summary.baselinePgCtlStartWMs.median)} | |`);
  console.log(`| baseline: pg_ctl stop -m fast -w (runuser, no kit) | ${f1(summary.baselinePgCtlStopFastMs.median)} | |`);
}
