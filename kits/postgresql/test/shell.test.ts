/**
 * No option value reaches a shell (issue 16 item 5). pg_ctl starts the server through `sh -c`
 * with -D, -l and the -o options in its command line. Against a real server: every string option
 * that pg_ctl's shell could see holds `$(...)`, backticks and `;` that would create a marker
 * file; the server starts and no marker exists, or the value is refused with exit 6 naming it.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKitError } from '@recovery-kit/sdk';
import { createTestContext } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { options } from '../src/options.ts';
import { pgctlArgs } from '../src/util.ts';
import { planCluster, realEnv, type Cluster } from './helpers.ts';

const env = realEnv();

/** `$(touch B/n1)`, backticks and `;` with their own markers: what a shell would run. */
const evil = (base: string, n: string) => `$(touch ${base}/${n}1)\`touch ${base}/${n}2\`;touch ${base}/${n}3`;

describe("postgresql: pgctlOptions are quoted for pg_ctl's shell (no server)", () => {
  it('quotes each word after -o, keeps other arguments, refuses shell characters outside -o', () => {
    expect(pgctlArgs(`-o "-c shared_buffers=1GB" -t 5`)).toEqual(['-o', `'-c' 'shared_buffers=1GB'`, '-t', '5']);
    expect(pgctlArgs(`--options="-c 'cluster_name=a b'"`)).toEqual([`--options='-c' 'cluster_name=a b'`]);
    expect(pgctlArgs(`-o "-c \\"x=it's\\""`)).toEqual(['-o', `'-c' 'x=it'\\''s'`]);
    expect(pgctlArgs(`-o "$(touch /tmp/x)"`)).toEqual(['-o', `'$(touch' '/tmp/x)'`]);
    expect(() => pgctlArgs(`-l '/tmp/$(touch /tmp/x)'`)).toThrow(/would interpret/);
    expect(() => pgctlArgs('-o')).toThrow(/needs the server options/);
  });

  it('the schema refuses shell characters in logFile, binDir and pgctlOptions outside -o (exit 6, naming the field)', () => {
    for (const [field, value] of [
      ['logFile', '/tmp/$(touch /tmp/m).log'],
      ['logFile', '/tmp/`touch /tmp/m`.log'],
      ['binDir', '/usr/lib/postgresql/$(id)/bin'],
      ['pgctlOptions', '-l /tmp/$(touch /tmp/m)'],
      ['pgctlOptions', '-l "/tmp/`id`"'],
    ] as const) {
      let err: unknown;
      try {
        options.parse({ dataDir: '/var/lib/postgresql/15/main', [field]: value });
      } catch (e) {
        err = e;
      }
      expect(isKitError(err), `${field}=${value}`).toBe(true);
      expect((err as { exitCode: number }).exitCode).toBe(6);
      expect((err as Error).message).toContain(field);
    }
    // `;` alone is harmless between double quotes, and anything is harmless after -o.
    expect(() => options.parse({ dataDir: '/d', logFile: '/tmp/a;b.log', pgctlOptions: `-o "-c 'cluster_name=$(x)'"` })).not.toThrow();
  });
});

describe.skipIf(!env.ok)(`postgresql: shell characters in every path option against a real server${env.ok ? '' : ` (skipped: ${env.why})`}`, () => {
  let cluster: Cluster;
  let base: string;
  let opts: Record<string, string>;

  beforeAll(() => {
    cluster = planCluster(env, 'pgsh');
    cluster.init();
    // A short base directory keeps the socket path under the 107-byte limit of unix sockets.
    base = mkdtempSync('/tmp/rkq');
    chmodSync(base, 0o755);
    const mk = (dir: string) => {
      mkdirSync(dir, { recursive: true });
      for (let d = dir; d.startsWith(`${base}/`); d = d.slice(0, d.lastIndexOf('/'))) chmodSync(d, 0o755);
    };
    // The data directory (also the configuration directory) under a name a shell would run.
    const dataDir = join(base, `d${evil(base, 'd')}`, 'data');
    mk(join(dataDir, '..'));
    renameSync(cluster.dataDir, dataDir);
    const socketDir = join(base, `s${evil(base, 's')}`);
    mk(socketDir);
    chownSync(socketDir, env.uid!, env.gid!);
    expect(`${socketDir}/.s.PGSQL.${cluster.port}`.length).toBeLessThan(107);
    const logDir = join(base, 'l;touch x');
    mk(logDir);
    chownSync(logDir, env.uid!, env.gid!);
    opts = {
      dataDir,
      configDir: dataDir,
      socketDir,
      port: String(cluster.port),
      user: 'postgres',
      logFile: join(logDir, 'pg.log;touch x'),
      pgctlOptions: `-o "-c 'cluster_name=c${evil(base, 'o')}'"`,
    };
  });
  afterAll(async () => {
    if (opts) {
      const ctx = createTestContext(kit, { tag: 'pg', action: 'remove', options: opts });
      await Promise.resolve(kit.actions.remove(ctx)).catch(() => undefined);
      ctx.dispose();
    }
    cluster?.cleanup();
    if (base) rmSync(base, { recursive: true, force: true });
  });

  const markers = () => readdirSync(base).filter((f) => /^[dso][123]$/.test(f) || f === 'x');

  it('restore starts the server, which got every value literally; nothing ran', async () => {
    const ctx = createTestContext(kit, { tag: 'pg', action: 'restore', options: opts, timeoutMs: 120_000 });
    try {
      await kit.actions.restore(ctx);
    } finally {
      ctx.dispose();
    }
    expect(markers()).toEqual([]);
    expect(existsSync(opts.logFile!)).toBe(true);
    const client = new pg.Client({ host: opts.socketDir, port: cluster.port, user: 'postgres', database: 'postgres' });
    await client.connect();
    try {
      const r = await client.query<{ c: string; d: string }>('SELECT current_setting($1) AS c, current_setting($2) AS d', ['cluster_name', 'data_directory']);
      expect(r.rows[0]!.d).toBe(opts.dataDir);
      expect(r.rows[0]!.c).toMatch(/^c\$\(touch /);
    } finally {
      await client.end();
    }
    const q = createTestContext(kit, { tag: 'pg', action: 'quickCheck', options: opts });
    try {
      expect(await kit.actions.quickCheck!(q)).toMatchObject({ status: 'ok' });
    } finally {
      q.dispose();
    }
    expect(markers()).toEqual([]);
  });

  it('the default log file (inside a data directory with such a name) is used without a shell seeing its path', async () => {
    const stop = createTestContext(kit, { tag: 'pg', action: 'remove', options: opts });
    await Promise.resolve(kit.actions.remove(stop)).finally(() => stop.dispose());
    const { logFile: _, ...noLog } = opts;
    const ctx = createTestContext(kit, { tag: 'pg', action: 'restore', options: noLog, timeoutMs: 120_000 });
    try {
      await kit.actions.restore(ctx);
    } finally {
      ctx.dispose();
    }
    expect(existsSync(join(opts.dataDir!, 'pg_ctl.log'))).toBe(true);
    expect(markers()).toEqual([]);
  });
});
