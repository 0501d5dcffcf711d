/**
 * PostgreSQL kit tests. Unit tests everywhere; the real tests (root, PostgreSQL server
 * installed) initdb a throw-away cluster and drive every action through the built kit-runner.
 */
import { chmodSync, chownSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, createTestContext, KitTester, type Sandbox } from '@recovery-kit/testing';
import { splitArgs } from '@recovery-kit/sdk/util';
import { findBinDir, majorFromVersionText, versionedCandidates } from '../src/binaries.ts';
import kit from '../src/index.ts';
import { options } from '../src/options.ts';
import { readPidFile } from '../src/proc.ts';
import { findPgpassPassword } from '../src/util.ts';
import { planCluster, realEnv, freePort, type Cluster } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
const env = realEnv();
const SKIP = env.ok ? '' : ` (skipped: ${env.why})`;
if (!env.ok) console.warn(`kit-postgresql: real PostgreSQL tests skipped: ${env.why}`);

// ------------------------------------------------------------------ unit

describe('postgresql: pure helpers', () => {
  it('splits pg_ctl options without a shell', () => {
    expect(splitArgs(`-o "-c shared_buffers=1GB" -t 5`)).toEqual(['-o', '-c shared_buffers=1GB', '-t', '5']);
    expect(splitArgs(`-l '/var/log/pg x.log'`)).toEqual(['-l', '/var/log/pg x.log']);
    expect(splitArgs('')).toEqual([]);
    expect(() => splitArgs('-o "unterminated')).toThrow(/unclosed " quote/);
  });

  it('reads pgpass lines like libpq (wildcards, escapes, socket = localhost)', () => {
    const text = '# comment\nother:5432:*:postgres:nope\nlocalhost:5433:*:postgres:s3cr\\:et\n*:*:*:*:fallback\n';
    expect(findPgpassPassword(text, { host: '/run/postgresql', port: 5433, database: 'postgres', user: 'postgres' })).toBe('s3cr:et');
    expect(findPgpassPassword(text, { host: '/run/postgresql', port: 5434, database: 'x', user: 'y' })).toBe('fallback');
    expect(findPgpassPassword('h:1:d:u:p\n', { host: '/tmp', port: 2, database: 'd', user: 'u' })).toBeUndefined();
  });

  it('reads the major version from pg_ctl --version', () => {
    expect(majorFromVersionText('pg_ctl (PostgreSQL) 15.18 (Debian 15.18-0+deb12u1)')).toBe('15');
    expect(majorFromVersionText('pg_ctl (PostgreSQL) 9.6.24')).toBe('9.6');
    expect(majorFromVersionText('pg_ctl (PostgreSQL) 17.2')).toBe('17');
    expect(majorFromVersionText('nonsense')).toBeUndefined();
  });

  it('finds the binaries matching PG_VERSION: versioned directories first, then unversioned ones by --version', async () => {
    const root = mkdtempSync(join(tmpdir(), 'rk-pgbin-'));
    try {
      const mk = (dir: string) => {
        mkdirSync(dir, { recursive: true });
        for (const f of ['pg_ctl', 'postgres']) {
          writeFileSync(join(dir, f), '#!/bin/sh\n');
          chmodSync(join(dir, f), 0o755);
        }
      };
      mk(join(root, 'debian/16/bin'));
      mk(join(root, 'usrbin'));
      const versioned = (v: string) => [join(root, `debian/${v}/bin`), join(root, `pgsql-${v}/bin`)];
      const hit = await findBinDir('16', async () => undefined, { versioned: versioned('16'), unversioned: [] });
      expect(hit.binDir).toBe(join(root, 'debian/16/bin'));
      const viaVersion = await findBinDir('15', async (p) => (p.includes('usrbin') ? '15' : undefined), {
        versioned: versioned('15'),
        unversioned: [join(root, 'usrbin')],
      });
      expect(viaVersion.binDir).toBe(join(root, 'usrbin'));
      const none = await findBinDir('14', async () => '15', { versioned: versioned('14'), unversioned: [join(root, 'usrbin')] });
      expect(none.binDir).toBeUndefined();
      expect(none.looked).toContain(join(root, 'usrbin'));
      expect(versionedCandidates('15')).toEqual(expect.arrayContaining(['/usr/lib/postgresql/15/bin', '/usr/pgsql-15/bin']));
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('parses postmaster.pid', () => {
    const d = mkdtempSync(join(tmpdir(), 'rk-pgpid-'));
    try {
      writeFileSync(join(d, 'postmaster.pid'), `4242\n${d}\n1700000000\n5433\n/run/postgresql\n127.0.0.1\n  5433001  32768\nready   \n`);
      expect(readPidFile(d)).toMatchObject({ pid: 4242, port: 5433, socketDir: '/run/postgresql', listenAddress: '127.0.0.1', status: 'ready' });
      writeFileSync(join(d, 'postmaster.pid'), 'garbage\n');
      expect(readPidFile(d)).toBeUndefined();
    } finally {
      rmSync(d, { recursive: true, force: true });
    }
  });

  it('validates options: absolute paths, port range, role, unknown keys', () => {
    expect(options.check({ dataDir: 'relative/dir' }).ok).toBe(false);
    expect(options.check({ dataDir: '/d', port: '70000' }).ok).toBe(false);
    expect(options.check({ dataDir: '/d', expectedRole: 'leader' }).ok).toBe(false);
    expect(options.check({ dataDir: '/d', pgctlOptions: '-o "x' }).ok).toBe(false);
    const ok = options.check({ dataDir: '/d' });
    expect(ok.ok && ok.value).toMatchObject({ port: 5432, user: 'postgres', expectedRole: 'primary', database: 'postgres' });
  });

  it('quickCheck of a data directory without a running server fails without running anything', async () => {
    const d = mkdtempSync(join(tmpdir(), 'rk-pgnone-'));
    const ctx = createTestContext(kit, { options: { dataDir: d } });
    try {
      const r = await kit.actions.quickCheck!(ctx);
      expect(r).toMatchObject({ status: 'failed' });
      expect(ctx.logs.some((l) => /exec /.test(l.message))).toBe(false);
    } finally {
      ctx.dispose();
      rmSync(d, { recursive: true, force: true });
    }
  });
});

// The shape check (and, on machines that can, the in-process lifecycle against a real server).
const lifecycleCluster: Cluster | undefined = env.ok ? planCluster(env, 'pglife') : undefined;
// Also when the lifecycle test is filtered out (vitest -t), the directory must go.
afterAll(() => lifecycleCluster?.cleanup());
new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) }).run(
  lifecycleCluster
    ? {
        lifecycle: {
          context: { options: lifecycleCluster.options, timeoutMs: 120_000, tunables: { PGSQL_STOP_ESCALATE: 20 } },
          setup: () => lifecycleCluster.init(),
          teardown: () => lifecycleCluster.cleanup(),
        },
      }
    : {},
);

// ------------------------------------------------------------------ real, through kit-runner

describe.skipIf(!env.ok)(`postgresql: a real server through kit-runner${SKIP}`, () => {
  let cluster: Cluster;
  let sb: Sandbox;
  let flagDir: string;
  const run = (...args: string[]) => sb.run(args, { timeoutMs: 180_000 });
  const json = async (...args: string[]) => {
    const r = await run(...args, '--json');
    return { ...r, body: r.json as Record<string, any> };
  };

  beforeAll(() => {
    cluster = planCluster(env, 'pgcli');
    cluster.init();
    sb = createSandbox({ kitsDirs: [join(repo, 'kits'), join(repo, 'examples')], tunables: { PGSQL_STOP_ESCALATE: 20, LKCHECKINTERVAL: 1 } });
    flagDir = mkdtempSync(join(tmpdir(), 'rk-pgfs-'));
  });
  afterAll(() => {
    cluster?.cleanup();
    sb?.cleanup();
    if (flagDir) rmSync(flagDir, { recursive: true, force: true });
  });

  const opts = () => Object.entries(cluster.options).flatMap(([k, v]) => ['--opt', `${k}=${v}`]);

  it('create checks the data directory and records the version and binaries', async () => {
    const r = await run('create', 'postgresql', '--tag', 'pg', ...opts());
    expect(r.stderr).toBe('');
    expect(r.exitCode).toBe(0);
    const store = JSON.parse(sb.storeBytes());
    expect(store.resources.pg.servers['node-a'].info).toMatchObject({ pgVersion: expect.stringMatching(/^\d+/), binDir: expect.stringContaining('/') });
  });

  it('restore starts the server and succeeds again when it already runs (also with --force past the store)', async () => {
    const a = await run('action', 'pg', 'restore');
    expect(a.stderr + a.stdout).toMatch(/restore pg on node-a: ok/);
    expect(a.exitCode).toBe(0);
    const pid = cluster.pid();
    expect(pid).toBeGreaterThan(0);
    // Second restore: the runner skips an ISP resource; run the kit itself again via recover-free path:
    const b = await run('action', 'pg', 'restore');
    expect(b.exitCode).toBe(0);
    expect(cluster.pid()).toBe(pid);
    const q = await run('action', 'pg', 'quickCheck');
    expect(q.stdout).toMatch(/healthy/);
    expect(q.exitCode).toBe(0);
  });

  it('the kit restore is idempotent in itself (server already running = success, no second start)', async () => {
    const pid = cluster.pid();
    const ctx = createTestContext(kit, { options: cluster.options, action: 'restore' });
    try {
      await kit.actions.restore(ctx);
      expect(ctx.logs.some((l) => /already running/.test(l.message))).toBe(true);
      expect(ctx.logs.some((l) => /pg_ctl.* start/.test(l.message))).toBe(false);
    } finally {
      ctx.dispose();
    }
    expect(cluster.pid()).toBe(pid);
  });

  it('a killed postmaster (kill -9) is found by quickCheck (exit 7) and fixed by recover', async () => {
    const pid = cluster.pid()!;
    process.kill(pid, 'SIGKILL');
    const q = await run('action', 'pg', 'quickCheck');
    expect(q.exitCode).toBe(7);
    expect(q.stdout).toMatch(/not healthy: PostgreSQL is not running/);
    const r = await run('action', 'pg', 'recover');
    expect(r.stderr + r.stdout).toMatch(/recover pg on node-a: ok/);
    expect(r.exitCode).toBe(0);
    expect(cluster.pid()).not.toBe(pid);
    expect((await run('action', 'pg', 'quickCheck')).exitCode).toBe(0);
  });

  it('kit-runner monitor --once recovers a killed postmaster', async () => {
    const pid = cluster.pid()!;
    process.kill(pid, 'SIGKILL');
    const m = await json('monitor', '--once');
    expect(m.body.outcomes).toEqual([expect.objectContaining({ tag: 'pg', result: 'recovered' })]);
    expect(m.exitCode).toBe(0);
    expect(cluster.pid()).not.toBe(pid);
    expect((await run('action', 'pg', 'quickCheck')).exitCode).toBe(0);
  });

  it('remove stops it (fast shutdown); remove twice succeeds; quickCheck then fails', async () => {
    const a = await run('action', 'pg', 'remove');
    expect(a.exitCode).toBe(0);
    expect(cluster.pid()).toBeUndefined();
    const b = await run('action', 'pg', 'remove', '--force');
    expect(b.exitCode).toBe(0);
    const q = await run('action', 'pg', 'quickCheck');
    expect(q.exitCode).toBe(7);
  });

  it('remove escalates to immediate shutdown when fast shutdown does not finish', async () => {
    expect((await run('action', 'pg', 'restore')).exitCode).toBe(0);
    // A session holding an open transaction does not stop fast shutdown; a backend that ignores
    // SIGTERM is what holds it. Simulate a stuck backend: SIGSTOP the checkpointer, which fast
    // shutdown waits for (it writes the shutdown checkpoint); immediate does not wait.
    const { dataDirProcesses } = await import('../src/proc.ts');
    const { readFileSync } = await import('node:fs');
    const ckpt = dataDirProcesses(cluster.dataDir).find((p) => /checkpointer/.test(readFileSync(`/proc/${p}/cmdline`, 'utf8')));
    expect(ckpt).toBeDefined();
    process.kill(ckpt!, 'SIGSTOP');
    sb.setTunables({ PGSQL_STOP_ESCALATE: 2 });
    try {
      const r = await run('action', 'pg', 'remove', '-v');
      expect(r.stderr).toMatch(/escalating to immediate shutdown/);
      expect(r.exitCode).toBe(0);
      expect(cluster.pid()).toBeUndefined();
    } finally {
      try {
        process.kill(ckpt!, 'SIGCONT');
      } catch {
        /* gone */
      }
      sb.setTunables({ PGSQL_STOP_ESCALATE: 20 });
    }
    expect((await run('action', 'pg', 'restore')).exitCode).toBe(0);
    expect((await run('action', 'pg', 'quickCheck')).exitCode).toBe(0);
    expect((await run('action', 'pg', 'remove')).exitCode).toBe(0);
  });

  it('hierarchy: the database over a file-system stand-in: restore children first, remove parents first', async () => {
    const flag = join(flagDir, 'mounted');
    const c = await run(
      'create',
      'app',
      '--tag',
      'pgfs',
      '--opt',
      `start=/usr/bin/touch ${flag}`,
      '--opt',
      `stop=/usr/bin/rm -f ${flag}`,
      '--opt',
      `status=/usr/bin/test -e ${flag}`,
      '--opt',
      'settleSeconds=2',
    );
    expect(c.exitCode, c.stderr).toBe(0);
    expect((await run('dep', 'add', 'pg', 'pgfs')).exitCode).toBe(0);
    const up = await json('action', 'pg', 'restore');
    expect(up.exitCode, up.stderr).toBe(0);
    expect(up.body.steps.filter((s: any) => s.outcome === 'ok').map((s: any) => s.tag)).toEqual(['pgfs', 'pg']);
    expect(cluster.pid()).toBeGreaterThan(0);
    const down = await json('action', 'pgfs', 'remove');
    expect(down.exitCode, down.stderr).toBe(0);
    expect(down.body.steps.filter((s: any) => s.outcome === 'ok').map((s: any) => s.tag)).toEqual(['pg', 'pgfs']);
    expect(cluster.pid()).toBeUndefined();
    const st = await json('status');
    expect(st.exitCode).toBe(0);
  });

  describe('bad input', () => {
    it('data directory missing: create exits 6 and says so', async () => {
      const r = await run('create', 'postgresql', '--tag', 'pg-missing', '--opt', `dataDir=${join(cluster.base, 'nope')}`, '--opt', `port=${cluster.port}`);
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/data directory .*nope does not exist/);
    });

    it('data directory owned by another user: create exits 6 naming the owner', async () => {
      const d = join(cluster.base, 'rootowned');
      mkdirSync(d, { mode: 0o700 });
      writeFileSync(join(d, 'PG_VERSION'), '15\n');
      chownSync(d, 0, 0);
      const r = await run('create', 'postgresql', '--tag', 'pg-owner', '--opt', `dataDir=${d}`, '--opt', 'user=postgres');
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/is owned by root, not by postgres/);
      expect(r.stderr).toMatch(/fix: set user=root/);
    });

    it('missing binaries: create exits 6 naming pg_ctl', async () => {
      const r = await run('create', 'postgresql', '--tag', 'pg-nobin', ...opts(), '--opt', 'binDir=/nonexistent/bin');
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/pg_ctl not found: \/nonexistent\/bin\/pg_ctl/);
    });

    it('port in use: restore exits 1 naming the port and the process holding it; nothing is left running', async () => {
      const busy = freePort([cluster.port]);
      const server: Server = createServer();
      await new Promise<void>((ok) => server.listen(busy, '127.0.0.1', ok));
      try {
        const c = await run(
          'create',
          'postgresql',
          '--tag',
          'pg-busy',
          '--opt',
          `dataDir=${cluster.dataDir}`,
          '--opt',
          `socketDir=${cluster.socketDir}`,
          '--opt',
          `port=${busy}`,
        );
        expect(c.exitCode, c.stderr).toBe(0);
        const r = await run('action', 'pg-busy', 'restore');
        expect(r.exitCode).toBe(1);
        expect(r.stderr).toMatch(new RegExp(`port ${busy} is already in use by PID ${process.pid} \\(`));
        expect(r.stderr).toMatch(/PORT_IN_USE/);
        expect(cluster.pid()).toBeUndefined();
      } finally {
        await new Promise<void>((ok) => server.close(() => ok()));
        await run('delete', 'pg-busy', '--force');
      }
    });

    it('a running server that refuses the kit (no peer map) is reported, not restarted', async () => {
      expect((await run('action', 'pg', 'restore')).exitCode).toBe(0);
      const ctx = createTestContext(kit, { options: { ...cluster.options, dbUser: 'nobody_here' }, action: 'quickCheck' });
      try {
        const r = await kit.actions.quickCheck!(ctx);
        expect(r).toMatchObject({ status: 'unknown', reason: expect.stringMatching(/refuses the kit's connection as role nobody_here/) });
      } finally {
        ctx.dispose();
      }
      expect((await run('action', 'pg', 'remove')).exitCode).toBe(0);
    });

    it('passwordFile: a scram-sha-256 role checked with a pgpass file; the password is in no output, log or store', async () => {
      expect((await run('action', 'pg', 'restore')).exitCode).toBe(0);
      const secret = 'c0rrect-h0rse-never-logged';
      const { default: pg } = await import('pg');
      const admin = new pg.Client({ host: cluster.socketDir, port: cluster.port, user: 'postgres', database: 'postgres' });
      await admin.connect();
      try {
        await admin.query(`CREATE ROLE rkmon LOGIN PASSWORD '${secret}'`);
        // scram for rkmon over the socket, ahead of the peer line.
        const { readFileSync } = await import('node:fs');
        const hba = join(cluster.dataDir, 'pg_hba.conf');
        writeFileSync(hba, `local all rkmon scram-sha-256\n${readFileSync(hba, 'utf8')}`);
        await admin.query('SELECT pg_reload_conf()');
      } finally {
        await admin.end();
      }
      const pw = join(cluster.base, 'rkmon.pgpass');
      writeFileSync(pw, `localhost:${cluster.port}:postgres:rkmon:${secret}\n`, { mode: 0o600 });
      const c = await run('create', 'postgresql', '--tag', 'pg-pw', ...opts(), '--opt', 'dbUser=rkmon', '--opt', `passwordFile=${pw}`);
      expect(c.exitCode, c.stderr).toBe(0);
      const q = await run('action', 'pg-pw', 'quickCheck', '-v');
      expect(q.stdout).toMatch(/healthy/);
      // A wrong password: the server answers but refuses: "could not tell", not a restart.
      writeFileSync(pw, `localhost:${cluster.port}:postgres:rkmon:wrong\n`, { mode: 0o600 });
      const bad = await run('action', 'pg-pw', 'quickCheck', '-v');
      expect(bad.exitCode).toBe(0);
      expect(bad.stdout).toMatch(/could not tell: .*refuses the kit's connection as role rkmon.*28P01/);
      chmodSync(pw, 0o644);
      const loose = await run('action', 'pg-pw', 'quickCheck');
      expect(loose.stderr + loose.stdout).toMatch(/has group or world access/);
      for (const text of [c.stdout, c.stderr, q.stdout, q.stderr, bad.stdout, bad.stderr, sb.storeBytes()]) expect(text).not.toContain(secret);
      await run('delete', 'pg-pw', '--force');
      expect((await run('action', 'pg', 'remove')).exitCode).toBe(0);
    });

    it('expectedRole=standby on a primary: quickCheck fails with the reason', async () => {
      expect((await run('action', 'pg', 'restore')).exitCode).toBe(0);
      const ctx = createTestContext(kit, { options: { ...cluster.options, expectedRole: 'standby' }, action: 'quickCheck' });
      try {
        expect(await kit.actions.quickCheck!(ctx)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/expected to be a standby/) });
      } finally {
        ctx.dispose();
      }
      expect((await run('action', 'pg', 'remove')).exitCode).toBe(0);
    });
  });
});
