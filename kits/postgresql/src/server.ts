/**
 * The server side of the PostgreSQL kit: the checks every action needs (data directory, owner,
 * binaries), pg_ctl, leftovers of a dead postmaster, and the explanation of a failed start.
 */
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ActionFailedError, ConfigError } from '@recovery-kit/sdk';
import { remainingMs, stopProcesses, waitUntil } from '@recovery-kit/sdk/util';
import { findBinDir, isExecutable, majorFromVersionText } from './binaries.ts';
import type { Ctx } from './options.ts';
import { dataDirProcesses, isPostgresProcess, processCommand, socketLockHolder, tcpPortHolders } from './proc.ts';

/** Milliseconds left of the action (what ctx.exec is bound by), less a margin; at least 1 s. */
export function left(ctx: Ctx, margin = 2000): number {
  return Math.max(1000, remainingMs(ctx.deadline) - margin);
}

function readVersion(dataDir: string): string {
  try {
    return readFileSync(join(dataDir, 'PG_VERSION'), 'utf8').trim();
  } catch {
    throw new ConfigError(`${dataDir} is not a PostgreSQL data directory: it has no PG_VERSION file`, {
      field: 'dataDir',
      fix: 'check dataDir (and that its file system is mounted), or create the cluster with initdb',
    });
  }
}

export interface Facts {
  version: string;
  binDir: string;
  uid: number;
}

async function userUid(ctx: Ctx, user: string): Promise<number> {
  const r = await ctx.exec('id', ['-u', user], { reject: false, timeoutMs: 5000 });
  const uid = Number(r.stdout.trim());
  if (r.exitCode !== 0 || !Number.isInteger(uid)) {
    throw new ConfigError(`OS user ${user} does not exist on ${ctx.server}`, {
      field: 'user',
      fix: 'create the user, or set user= to the owner of the data directory',
    });
  }
  return uid;
}

async function ownerName(ctx: Ctx, uid: number): Promise<string> {
  const r = await ctx.exec('getent', ['passwd', String(uid)], { reject: false, timeoutMs: 5000 });
  return r.exitCode === 0 ? (r.stdout.split(':')[0] ?? String(uid)) : `uid ${uid}`;
}

/** The checks every action needs: data directory, owner, binaries. Throws ConfigError. */
export async function facts(ctx: Ctx): Promise<Facts> {
  const o = ctx.options;
  let st;
  try {
    st = statSync(o.dataDir);
  } catch {
    throw new ConfigError(`data directory ${o.dataDir} does not exist on ${ctx.server}`, {
      field: 'dataDir',
      fix: 'mount its file system first (make the file system resource a child of this one), or correct dataDir',
    });
  }
  if (!st.isDirectory()) throw new ConfigError(`${o.dataDir} is not a directory`, { field: 'dataDir', fix: 'give the data directory of the cluster' });
  const version = readVersion(o.dataDir);
  const uid = await userUid(ctx, o.user);
  if (st.uid !== uid) {
    const owner = await ownerName(ctx, st.uid);
    throw new ConfigError(
      `data directory ${o.dataDir} is owned by ${owner}, not by ${o.user} (uid ${uid}); PostgreSQL runs as the owner of its data directory`,
      {
        field: 'user',
        fix: `set user=${owner.startsWith('uid ') ? '<owner>' : owner}, or give the directory to ${o.user} (chown -R ${o.user}: ${o.dataDir})`,
        details: { owner, expected: o.user },
      },
    );
  }
  let binDir = o.binDir;
  if (binDir) {
    if (!isExecutable(join(binDir, 'pg_ctl'))) {
      throw new ConfigError(`pg_ctl not found: ${join(binDir, 'pg_ctl')} is missing or not executable`, {
        field: 'binDir',
        fix: `install the PostgreSQL ${version} server package, or correct binDir`,
      });
    }
  } else {
    const found = await findBinDir(version, async (pgCtl) => {
      const r = await ctx.exec(pgCtl, ['--version'], { reject: false, timeoutMs: 5000 });
      return r.exitCode === 0 ? majorFromVersionText(r.stdout) : undefined;
    });
    if (!found.binDir) {
      throw new ConfigError(`no PostgreSQL ${version} server binaries (pg_ctl, postgres) found on ${ctx.server}; looked in ${found.looked.join(', ')}`, {
        field: 'binDir',
        fix: `install the PostgreSQL ${version} server (Debian: apt-get install postgresql-${version}; RHEL: postgresql${version.replace('.', '')}-server), or set binDir`,
      });
    }
    binDir = found.binDir;
  }
  return { version, binDir, uid };
}

export function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

export const logFileOf = (ctx: Ctx) => ctx.options.logFile ?? join(ctx.options.dataDir, 'pg_ctl.log');

/** Terminates leftover processes of a dead postmaster (SIGTERM, then SIGKILL). */
export async function clearOrphans(ctx: Ctx, mode: 'kill' | 'wait-then-kill' | 'wait-only'): Promise<void> {
  const dataDir = ctx.options.dataDir;
  let pids = dataDirProcesses(dataDir);
  if (pids.length === 0) return;
  const waitMs = ctx.tunables.int('PGSQL_ORPHAN_WAIT') * 1000;
  if (mode !== 'kill') {
    ctx.logger.info(`waiting up to ${waitMs / 1000} s for ${pids.length} leftover server process(es) of the dead postmaster to exit: ${pids.join(', ')}`);
    await waitUntil(() => dataDirProcesses(dataDir).length === 0, { deadline: Date.now() + waitMs, initialDelayMs: 100, factor: 1, signal: ctx.signal });
    pids = dataDirProcesses(dataDir);
    if (pids.length === 0) return;
    if (mode === 'wait-only') {
      throw new ActionFailedError(
        `leftover server processes of the dead postmaster still run in ${dataDir}: ${pids.map((p) => `${p} (${processCommand(p)})`).join(', ')}`,
        {
          code: 'LEFTOVER_PROCESSES',
          fix: 'terminate them, or set LKPGSQL_DISCONNECT_CLIENT=1 to let the kit do it',
        },
      );
    }
  }
  ctx.logger.warn(`terminating leftover server processes of the dead postmaster: ${pids.map((p) => `${p} (${processCommand(p)})`).join(', ')}`);
  const still = await stopProcesses(pids, {
    graceMs: 3000,
    killWaitMs: 3000,
    alive: () => dataDirProcesses(dataDir),
    onKill: (rest) => ctx.logger.warn(`server processes ${rest.join(', ')} survived SIGTERM for 3 s; sending SIGKILL`),
  });
  if (still.length)
    throw new ActionFailedError(`server processes ${still.join(', ')} of ${dataDir} survive SIGKILL (stuck in the kernel?)`, {
      code: 'LEFTOVER_PROCESSES',
      fix: 'check the node (ps -o stat,wchan -p ...); a reboot may be needed',
    });
}

/**
 * A killed postmaster stays a zombie until its parent (often init) reaps it, and PostgreSQL
 * refuses to start while the PID in postmaster.pid exists ("lock file already exists"). Wait for
 * the PID to go; if it stays a zombie and none of its processes remain, the lock file is stale:
 * move it aside.
 */
export async function staleLockFile(ctx: Ctx, pid: number): Promise<void> {
  const deadline = Date.now() + Math.max(1000, ctx.tunables.int('PGSQL_ORPHAN_WAIT') * 1000);
  await waitUntil(() => !existsSync(`/proc/${pid}`), { deadline, initialDelayMs: 100, factor: 1, signal: ctx.signal });
  if (!existsSync(`/proc/${pid}`)) return;
  if (isPostgresProcess(pid) || dataDirProcesses(ctx.options.dataDir).length) return;
  const file = join(ctx.options.dataDir, 'postmaster.pid');
  ctx.logger.warn(`PID ${pid} of the dead postmaster is still a zombie (its parent has not reaped it); moving the stale ${file} aside`);
  try {
    renameSync(file, `${file}.stale`);
  } catch (err) {
    ctx.logger.warn(`could not move ${file}: ${(err as Error).message}`);
  }
}

/** Explains a failed start from the log tail and the machine: port in use, lock file, permissions. */
export function startFailure(ctx: Ctx, output: string): ActionFailedError {
  const o = ctx.options;
  const log = tail(logFileOf(ctx), 12);
  const text = `${output}\n${log}`;
  const port = o.port;
  if (
    /Address already in use|could not create any TCP\/IP sockets|could not bind/i.test(text) ||
    /lock file ".*\.s\.PGSQL\.\d+\.lock" already exists/.test(text)
  ) {
    const tcp = tcpPortHolders(port);
    const sockHolder = o.socketDir ? socketLockHolder(o.socketDir, port) : undefined;
    const who = [
      ...tcp.holders.map((h) => `PID ${h.pid} (${h.command})`),
      ...(sockHolder ? [`PostgreSQL PID ${sockHolder} (socket lock in ${o.socketDir})`] : []),
    ];
    return new ActionFailedError(`cannot start PostgreSQL: port ${port} is already in use${who.length ? ` by ${who.join(', ')}` : ''}`, {
      code: 'PORT_IN_USE',
      field: 'port',
      fix: 'stop whatever holds the port (another cluster or program on this node), or give this resource another port',
      details: { port, holders: who, log: log.split('\n').slice(-4) },
    });
  }
  const lastLines = log
    .split('\n')
    .filter((l) => /FATAL|PANIC|ERROR|could not|invalid|permission/i.test(l))
    .slice(-3);
  return new ActionFailedError(
    `pg_ctl start failed: ${(lastLines.join(' | ') || output.trim().split('\n').slice(-3).join(' | ') || 'no output').slice(0, 800)}`,
    {
      code: 'START_FAILED',
      fix: `read ${logFileOf(ctx)} and the server log for the reason`,
      details: { log: log.split('\n') },
    },
  );
}

export async function pgCtl(ctx: Ctx, binDir: string, args: string[], timeoutMs: number, env: Record<string, string> = {}, cwd?: string) {
  return ctx.exec(join(binDir, 'pg_ctl'), args, {
    user: ctx.options.user,
    reject: false,
    timeoutMs,
    env: { LC_ALL: 'C', LANG: 'C', PGDATA: undefined, ...env },
    ...(cwd ? { cwd } : {}),
  });
}
