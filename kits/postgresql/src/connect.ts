/**
 * Connecting to the server the way quickCheck and restore do: where (socket or address), with
 * which password (a pgpass file only), one probe query, retries, and the role check.
 */
import { readFileSync, statSync } from 'node:fs';
import { ConfigError } from '@recovery-kit/sdk';
import { sleep } from '@recovery-kit/sdk/util';
import type { Ctx } from './options.ts';
import { postmasterState } from './proc.ts';
import { left } from './server.ts';
import { findPgpassPassword } from './util.ts';

export interface Conn {
  host: string;
  port: number;
}

export function connTarget(ctx: Ctx): Conn {
  const o = ctx.options;
  if (o.socketDir) return { host: o.socketDir, port: o.port };
  const pf = postmasterState(o.dataDir).pidFile;
  if (pf?.socketDir) return { host: pf.socketDir, port: pf.port ?? o.port };
  if (pf?.listenAddress && pf.listenAddress !== '*') return { host: pf.listenAddress, port: pf.port ?? o.port };
  if (pf?.listenAddress === '*') return { host: '127.0.0.1', port: pf.port ?? o.port };
  return { host: '/var/run/postgresql', port: o.port };
}

export function password(ctx: Ctx, target: Conn): string | undefined {
  const file = ctx.options.passwordFile;
  if (!file) return undefined;
  let st;
  let text: string;
  try {
    st = statSync(file);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
      field: 'passwordFile',
      fix: 'create it (mode 0600, readable by kit-runner) or correct passwordFile',
    });
  }
  if ((st.mode & 0o077) !== 0) {
    throw new ConfigError(`password file ${file} has group or world access (mode ${(st.mode & 0o777).toString(8)})`, {
      field: 'passwordFile',
      fix: `chmod 600 ${file}`,
    });
  }
  const pw = findPgpassPassword(text, { host: target.host, port: target.port, database: ctx.options.database, user: dbUser(ctx) });
  if (pw === undefined) {
    throw new ConfigError(
      `password file ${file} has no line for ${target.host.startsWith('/') ? 'localhost' : target.host}:${target.port}:${ctx.options.database}:${dbUser(ctx)}`,
      {
        field: 'passwordFile',
        fix: 'add a line hostname:port:database:username:password (* matches anything; a unix socket matches localhost)',
      },
    );
  }
  return pw;
}

export const dbUser = (ctx: Ctx) => ctx.options.dbUser ?? ctx.options.user;

export type ProbeResult =
  | { kind: 'ok'; inRecovery: boolean; ms: number }
  /** The server answered but refused us (authentication, configuration): it is alive. */
  | { kind: 'refused'; code: string; message: string }
  /** No usable answer (socket missing, timeout, starting up, shutting down). */
  | { kind: 'down'; code: string; message: string };

let pgModule: Promise<typeof import('pg')> | undefined;

/** One connection and `SELECT pg_is_in_recovery()`, bounded by `timeoutMs`. */
export async function probe(target: Conn, user: string, database: string, pw: string | undefined, timeoutMs: number): Promise<ProbeResult> {
  const pg = (await (pgModule ??= import('pg'))).default;
  const t0 = performance.now();
  const client = new pg.Client({
    host: target.host,
    port: target.port,
    user,
    database,
    ...(pw === undefined ? {} : { password: pw }),
    application_name: 'recovery-kit',
    connectionTimeoutMillis: timeoutMs,
    query_timeout: timeoutMs,
    statement_timeout: timeoutMs,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    const r = await client.query<{ r: boolean }>('SELECT pg_is_in_recovery() AS r');
    return { kind: 'ok', inRecovery: r.rows[0]?.r === true, ms: Math.round(performance.now() - t0) };
  } catch (err) {
    const e = err as Error & { code?: string };
    const code = e.code ?? 'CONNECT';
    // 28xxx: authentication / authorization; 3D000: no such database; 42501: no privilege.
    if (/^28/.test(code) || code === '3D000' || code === '42501') return { kind: 'refused', code, message: e.message };
    return { kind: 'down', code, message: e.message };
  } finally {
    client.end().catch(() => undefined);
  }
}

export function authFix(ctx: Ctx): string {
  const o = ctx.options;
  return (
    `let kit-runner (root) connect over the socket as role ${dbUser(ctx)}: in pg_hba.conf "local ${o.database} ${dbUser(ctx)} peer map=recoverykit" ` +
    `and in pg_ident.conf "recoverykit root ${dbUser(ctx)}" (plus "recoverykit ${o.user} ${dbUser(ctx)}"), then reload; or use trust on a socket directory only root and ${o.user} can enter; ` +
    'or name a pgpass file with passwordFile (see the kit README, "Authentication")'
  );
}

/** Connects with retries. Returns the last result. */
export async function connect(ctx: Ctx, attempts?: number): Promise<ProbeResult> {
  const tries = attempts ?? ctx.tunables.int('LKPGSQL_CONN_RETRIES');
  const delay = ctx.tunables.number('PGSQL_CONN_RETRY_DELAY') * 1000;
  const per = ctx.tunables.int('PGSQL_QUERY_TIMEOUT') * 1000;
  let last: ProbeResult = { kind: 'down', code: 'NOT_TRIED', message: 'no attempt' };
  for (let i = 1; i <= tries; i++) {
    const target = connTarget(ctx);
    last = await probe(target, dbUser(ctx), ctx.options.database, password(ctx, target), Math.min(per, left(ctx, 500)));
    if (last.kind !== 'down') return last;
    ctx.logger.debug(`connection attempt ${i}/${tries} failed: ${last.code} ${last.message}`);
    if (i < tries && !ctx.signal.aborted) {
      if (!postmasterState(ctx.options.dataDir).running) break;
      await sleep(delay, ctx.signal).catch(() => undefined); // an abort ends the loop below
    }
  }
  return last;
}

export function roleProblem(ctx: Ctx, inRecovery: boolean): string | undefined {
  const want = ctx.options.expectedRole;
  if (want === 'primary' && inRecovery) return 'the server is in recovery (a standby) but this node is expected to be the primary (expectedRole=primary)';
  if (want === 'standby' && !inRecovery) return 'the server is a primary (not in recovery) but this node is expected to be a standby (expectedRole=standby)';
  return undefined;
}
