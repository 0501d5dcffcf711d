/**
 * The PostgreSQL kit: protects one PostgreSQL cluster (a data directory) on a node.
 *
 * - restore: `pg_ctl start -w` as the cluster's OS user, then a real connection (node-postgres
 *   over the unix socket) proves the server accepts connections. Already running = success.
 * - remove: `pg_ctl stop -m fast`, escalating to `-m immediate` after PGSQL_STOP_ESCALATE
 *   seconds; leftover server processes of a killed postmaster are terminated. Already stopped =
 *   success.
 * - quickCheck: postmaster.pid and /proc first (a dead postmaster fails at once, no program
 *   run), then a connection and `SELECT pg_is_in_recovery()` with a timeout, compared with the
 *   role the node is expected to have.
 * - recover: none here; the runner's default (remove, then restore).
 *
 * Passwords: only from a pgpass-format file the operator names; handed to the client library
 * in memory, never on a command line, in the environment of a program, or in a log.
 */
import { existsSync, readFileSync, renameSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import {
  ActionFailedError,
  ConfigError,
  PermissionError,
  defineKit,
  defineOptions,
  opt,
  type KitContext,
  type QuickCheckResult,
} from '@recovery-kit/sdk';
import { remainingMs, sleep, stopProcesses, waitUntil } from '@recovery-kit/sdk/util';
import { findBinDir, isExecutable, majorFromVersionText } from './binaries.ts';
import { dataDirProcesses, isPostgresProcess, postmasterState, processCommand, socketLockHolder, tcpPortHolders } from './proc.ts';
import { findPgpassPassword, shQuote, splitArgs } from './util.ts';

export { splitArgs, findPgpassPassword, shQuote } from './util.ts';
export { findBinDir, majorFromVersionText, versionedCandidates } from './binaries.ts';
export { readPidFile, postmasterState, dataDirProcesses, tcpPortHolders } from './proc.ts';

const absolute = (what: string) => (v: string) => (isAbsolute(v) ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: `give the full path of the ${what}` });
const NAME = /^[A-Za-z_][A-Za-z0-9_.-]*\$?$/;

export const options = defineOptions({
  dataDir: opt.string({
    description: 'Data directory of the cluster (holds PG_VERSION and postmaster.pid); usually on the replicated or shared file system.',
    required: true,
    example: '/var/lib/postgresql/15/main',
    check: absolute('data directory'),
  }),
  configDir: opt.string({
    description: 'Directory holding postgresql.conf when it is not the data directory (Debian: /etc/postgresql/<version>/<cluster>); given to pg_ctl start -D.',
    example: '/etc/postgresql/15/main',
    check: absolute('configuration directory'),
  }),
  port: opt.integer({ description: 'Port the server listens on (passed to the server with -p, so it wins over postgresql.conf).', default: 5432, min: 1, max: 65535 }),
  socketDir: opt.string({
    description: 'Unix socket directory. When given, the server is started with -k DIR; otherwise the directory the server reports in postmaster.pid is used.',
    example: '/var/run/postgresql',
    check: absolute('socket directory'),
  }),
  user: opt.string({ description: 'OS user that owns the data directory and runs the server (kit-runner runs pg_ctl as this user through runuser).', default: 'postgres', pattern: /^[a-z_][a-z0-9_-]*\$?$/ }),
  binDir: opt.string({
    description: 'Directory of pg_ctl and postgres. Default: found from the installed versions, matching PG_VERSION in the data directory (/usr/lib/postgresql/<v>/bin, /usr/pgsql-<v>/bin, /usr/bin...).',
    example: '/usr/lib/postgresql/15/bin',
    check: absolute('binaries directory'),
  }),
  pgctlOptions: opt.string({
    description: 'Extra arguments for pg_ctl start, split like a command line (quotes group words; no shell), e.g. -o "-c shared_buffers=1GB".',
    default: '',
    example: '-o "-c shared_buffers=1GB"',
    check: (v: string) => {
      try {
        splitArgs(v);
        return undefined;
      } catch (err) {
        return (err as Error).message;
      }
    },
  }),
  logFile: opt.string({
    description: 'File pg_ctl start appends the server\'s early output to (-l). Default: <dataDir>/pg_ctl.log. Its tail is quoted when a start fails.',
    example: '/var/log/postgresql/recovery-kit.log',
    check: absolute('log file'),
  }),
  database: opt.string({ description: 'Database quickCheck connects to.', default: 'postgres', pattern: NAME }),
  dbUser: opt.string({ description: 'Database role quickCheck connects as. Default: the OS user (the cluster owner role). See README "Authentication".', pattern: NAME }),
  passwordFile: opt.string({
    description: 'A pgpass-format file (host:port:database:user:password, mode 0600) holding the password of dbUser, when the socket needs one. Read by the kit; the password is never logged or put on a command line.',
    example: '/etc/recovery-kit/pg.pgpass',
    check: absolute('password file'),
  }),
  expectedRole: opt.enum(['primary', 'standby', 'any'] as const, {
    description: 'Role the server must have on this node: primary (not in recovery), standby (in recovery) or any. A server in the wrong role fails restore and quickCheck.',
    default: 'primary',
    perServer: true,
  }),
});

export type Options = ReturnType<typeof options.parse>;
type Ctx = KitContext<Options>;

export const tunables = {
  LKPGSQL_CONN_RETRIES: { kind: 'integer', default: 3, min: 1, max: 100, description: 'Connection attempts before the database is declared unreachable (restore, quickCheck, recover), PGSQL_CONN_RETRY_DELAY seconds apart. A dead postmaster fails at once.' },
  LKPGSQL_DISCONNECT_CLIENT: { kind: 'boolean', default: true, description: 'Before starting a server whose postmaster died, terminate its leftover server processes (they hold the shared memory and block the start). 0 = wait PGSQL_ORPHAN_WAIT seconds for them and fail if they remain.' },
  PGSQL_CONN_RETRY_DELAY: { kind: 'number', default: 1, min: 0, max: 60, description: 'Seconds between connection attempts.' },
  PGSQL_QUERY_TIMEOUT: { kind: 'integer', default: 10, min: 1, max: 600, description: 'Seconds one connection attempt and its health query may take.' },
  PGSQL_START_TIMEOUT: { kind: 'integer', default: 240, min: 1, description: 'Seconds pg_ctl start waits for the server to accept connections (crash recovery can be long); capped by the restore timeout.' },
  PGSQL_STOP_ESCALATE: { kind: 'integer', default: 60, min: 1, description: 'Seconds of fast shutdown (-m fast) before escalating to immediate shutdown (-m immediate); capped so immediate always gets its turn within the remove timeout.' },
  PGSQL_ORPHAN_WAIT: { kind: 'integer', default: 5, min: 0, max: 600, description: 'Seconds to wait for leftover processes of a dead postmaster to exit before terminating them (SIGTERM, then SIGKILL).' },
} as const;

// ------------------------------------------------------------------ helpers

/** Milliseconds left of the action (what ctx.exec is bound by), less a margin; at least 1 s. */
function left(ctx: Ctx, margin = 2000): number {
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

interface Facts {
  version: string;
  binDir: string;
  uid: number;
}

async function userUid(ctx: Ctx, user: string): Promise<number> {
  const r = await ctx.exec('id', ['-u', user], { reject: false, timeoutMs: 5000 });
  const uid = Number(r.stdout.trim());
  if (r.exitCode !== 0 || !Number.isInteger(uid)) {
    throw new ConfigError(`OS user ${user} does not exist on ${ctx.server}`, { field: 'user', fix: 'create the user, or set user= to the owner of the data directory' });
  }
  return uid;
}

async function ownerName(ctx: Ctx, uid: number): Promise<string> {
  const r = await ctx.exec('getent', ['passwd', String(uid)], { reject: false, timeoutMs: 5000 });
  return r.exitCode === 0 ? (r.stdout.split(':')[0] ?? String(uid)) : `uid ${uid}`;
}

/** The checks every action needs: data directory, owner, binaries. Throws ConfigError. */
async function facts(ctx: Ctx): Promise<Facts> {
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
    throw new ConfigError(`data directory ${o.dataDir} is owned by ${owner}, not by ${o.user} (uid ${uid}); PostgreSQL runs as the owner of its data directory`, {
      field: 'user',
      fix: `set user=${owner.startsWith('uid ') ? '<owner>' : owner}, or give the directory to ${o.user} (chown -R ${o.user}: ${o.dataDir})`,
      details: { owner, expected: o.user },
    });
  }
  let binDir = o.binDir;
  if (binDir) {
    if (!isExecutable(join(binDir, 'pg_ctl'))) {
      throw new ConfigError(`pg_ctl not found: ${join(binDir, 'pg_ctl')} is missing or not executable`, { field: 'binDir', fix: `install the PostgreSQL ${version} server package, or correct binDir` });
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

interface Conn {
  host: string;
  port: number;
}

function connTarget(ctx: Ctx): Conn {
  const o = ctx.options;
  if (o.socketDir) return { host: o.socketDir, port: o.port };
  const pf = postmasterState(o.dataDir).pidFile;
  if (pf?.socketDir) return { host: pf.socketDir, port: pf.port ?? o.port };
  if (pf?.listenAddress && pf.listenAddress !== '*') return { host: pf.listenAddress, port: pf.port ?? o.port };
  if (pf?.listenAddress === '*') return { host: '127.0.0.1', port: pf.port ?? o.port };
  return { host: '/var/run/postgresql', port: o.port };
}

function password(ctx: Ctx, target: Conn): string | undefined {
  const file = ctx.options.passwordFile;
  if (!file) return undefined;
  let st;
  let text: string;
  try {
    st = statSync(file);
    text = readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read the password file ${file}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { field: 'passwordFile', fix: 'create it (mode 0600, readable by kit-runner) or correct passwordFile' });
  }
  if ((st.mode & 0o077) !== 0) {
    throw new ConfigError(`password file ${file} has group or world access (mode ${(st.mode & 0o777).toString(8)})`, { field: 'passwordFile', fix: `chmod 600 ${file}` });
  }
  const pw = findPgpassPassword(text, { host: target.host, port: target.port, database: ctx.options.database, user: dbUser(ctx) });
  if (pw === undefined) {
    throw new ConfigError(`password file ${file} has no line for ${target.host.startsWith('/') ? 'localhost' : target.host}:${target.port}:${ctx.options.database}:${dbUser(ctx)}`, {
      field: 'passwordFile',
      fix: 'add a line hostname:port:database:username:password (* matches anything; a unix socket matches localhost)',
    });
  }
  return pw;
}

const dbUser = (ctx: Ctx) => ctx.options.dbUser ?? ctx.options.user;

type ProbeResult =
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

function authFix(ctx: Ctx): string {
  const o = ctx.options;
  return (
    `let kit-runner (root) connect over the socket as role ${dbUser(ctx)}: in pg_hba.conf "local ${o.database} ${dbUser(ctx)} peer map=recoverykit" ` +
    `and in pg_ident.conf "recoverykit root ${dbUser(ctx)}" (plus "recoverykit ${o.user} ${dbUser(ctx)}"), then reload; or use trust on a socket directory only root and ${o.user} can enter; ` +
    'or name a pgpass file with passwordFile (see the kit README, "Authentication")'
  );
}

/** Connects with retries. Returns the last result. */
async function connect(ctx: Ctx, attempts?: number): Promise<ProbeResult> {
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

function roleProblem(ctx: Ctx, inRecovery: boolean): string | undefined {
  const want = ctx.options.expectedRole;
  if (want === 'primary' && inRecovery) return 'the server is in recovery (a standby) but this node is expected to be the primary (expectedRole=primary)';
  if (want === 'standby' && !inRecovery) return 'the server is a primary (not in recovery) but this node is expected to be a standby (expectedRole=standby)';
  return undefined;
}

function tail(file: string, lines = 8): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

const logFileOf = (ctx: Ctx) => ctx.options.logFile ?? join(ctx.options.dataDir, 'pg_ctl.log');

/** Terminates leftover processes of a dead postmaster (SIGTERM, then SIGKILL). */
async function clearOrphans(ctx: Ctx, mode: 'kill' | 'wait-then-kill' | 'wait-only'): Promise<void> {
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
      throw new ActionFailedError(`leftover server processes of the dead postmaster still run in ${dataDir}: ${pids.map((p) => `${p} (${processCommand(p)})`).join(', ')}`, {
        code: 'LEFTOVER_PROCESSES',
        fix: 'terminate them, or set LKPGSQL_DISCONNECT_CLIENT=1 to let the kit do it',
      });
    }
  }
  ctx.logger.warn(`terminating leftover server processes of the dead postmaster: ${pids.map((p) => `${p} (${processCommand(p)})`).join(', ')}`);
  const still = await stopProcesses(pids, {
    graceMs: 3000,
    killWaitMs: 3000,
    alive: () => dataDirProcesses(dataDir),
    onKill: (rest) => ctx.logger.warn(`server processes ${rest.join(', ')} survived SIGTERM for 3 s; sending SIGKILL`),
  });
  if (still.length) throw new ActionFailedError(`server processes ${still.join(', ')} of ${dataDir} survive SIGKILL (stuck in the kernel?)`, { code: 'LEFTOVER_PROCESSES', fix: 'check the node (ps -o stat,wchan -p ...); a reboot may be needed' });
}

/**
 * A killed postmaster stays a zombie until its parent (often init) reaps it, and PostgreSQL
 * refuses to start while the PID in postmaster.pid exists ("lock file already exists"). Wait for
 * the PID to go; if it stays a zombie and none of its processes remain, the lock file is stale:
 * move it aside.
 */
async function staleLockFile(ctx: Ctx, pid: number): Promise<void> {
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
function startFailure(ctx: Ctx, output: string): ActionFailedError {
  const o = ctx.options;
  const log = tail(logFileOf(ctx), 12);
  const text = `${output}\n${log}`;
  const port = o.port;
  if (/Address already in use|could not create any TCP\/IP sockets|could not bind/i.test(text) || /lock file ".*\.s\.PGSQL\.\d+\.lock" already exists/.test(text)) {
    const tcp = tcpPortHolders(port);
    const sockHolder = o.socketDir ? socketLockHolder(o.socketDir, port) : undefined;
    const who = [...tcp.holders.map((h) => `PID ${h.pid} (${h.command})`), ...(sockHolder ? [`PostgreSQL PID ${sockHolder} (socket lock in ${o.socketDir})`] : [])];
    return new ActionFailedError(`cannot start PostgreSQL: port ${port} is already in use${who.length ? ` by ${who.join(', ')}` : ''}`, {
      code: 'PORT_IN_USE',
      field: 'port',
      fix: 'stop whatever holds the port (another cluster or program on this node), or give this resource another port',
      details: { port, holders: who, log: log.split('\n').slice(-4) },
    });
  }
  const lastLines = log.split('\n').filter((l) => /FATAL|PANIC|ERROR|could not|invalid|permission/i.test(l)).slice(-3);
  return new ActionFailedError(`pg_ctl start failed: ${(lastLines.join(' | ') || output.trim().split('\n').slice(-3).join(' | ') || 'no output').slice(0, 800)}`, {
    code: 'START_FAILED',
    fix: `read ${logFileOf(ctx)} and the server log for the reason`,
    details: { log: log.split('\n') },
  });
}

async function pgCtl(ctx: Ctx, binDir: string, args: string[], timeoutMs: number) {
  return ctx.exec(join(binDir, 'pg_ctl'), args, { user: ctx.options.user, reject: false, timeoutMs, env: { LC_ALL: 'C', LANG: 'C' } });
}

// ------------------------------------------------------------------ actions

async function restore(ctx: Ctx): Promise<void> {
  const o = ctx.options;
  const f = await facts(ctx);
  const state = postmasterState(o.dataDir);
  if (state.running) {
    ctx.logger.info(`already running (postmaster PID ${state.pid}); checking that it accepts connections`);
  } else {
    await clearOrphans(ctx, ctx.tunables.bool('LKPGSQL_DISCONNECT_CLIENT') ? 'wait-then-kill' : 'wait-only');
    if (state.pid !== undefined) await staleLockFile(ctx, state.pid);
    const waitS = Math.max(1, Math.min(ctx.tunables.int('PGSQL_START_TIMEOUT'), Math.floor(left(ctx, 3000) / 1000)));
    const serverOpts = [`-p ${o.port}`, ...(o.socketDir ? [`-k ${shQuote(o.socketDir)}`] : [])].join(' ');
    const args = ['start', '-D', o.configDir ?? o.dataDir, '-w', '-t', String(waitS), '-l', logFileOf(ctx), '-o', serverOpts, ...splitArgs(o.pgctlOptions)];
    ctx.logger.info(`starting PostgreSQL ${f.version} (${f.binDir}) on port ${o.port}`);
    const r = await pgCtl(ctx, f.binDir, args, waitS * 1000 + 5000);
    if (r.exitCode !== 0) throw startFailure(ctx, `${r.stdout}\n${r.stderr}`);
  }
  const c = await connect(ctx);
  if (c.kind === 'refused') throw new ConfigError(`PostgreSQL runs but refuses the kit's connection as role ${dbUser(ctx)}: ${c.message} (${c.code})`, { field: 'dbUser', fix: authFix(ctx) });
  if (c.kind === 'down') throw new ActionFailedError(`PostgreSQL does not accept connections after start: ${c.message} (${c.code})`, { code: 'NOT_ACCEPTING', fix: `read ${logFileOf(ctx)} and the server log` });
  const problem = roleProblem(ctx, c.inRecovery);
  if (problem) throw new ActionFailedError(problem, { code: 'WRONG_ROLE', field: 'expectedRole', fix: 'promote the server (pg_ctl promote) or remove standby.signal when this node should be primary; or set expectedRole' });
  ctx.logger.info(`PostgreSQL accepts connections (${c.inRecovery ? 'standby' : 'primary'})`);
}

async function remove(ctx: Ctx): Promise<void> {
  const o = ctx.options;
  const state = postmasterState(o.dataDir);
  if (!state.running) {
    // Nothing to stop, but leftover backends of a killed postmaster must not keep writing.
    await clearOrphans(ctx, 'kill');
    ctx.logger.info(`not running (${state.why})`);
    return;
  }
  const f = await facts(ctx);
  const budget = Math.floor(left(ctx, 2000) / 1000);
  // Keep at least 20 s (or half the budget) for the immediate shutdown.
  const fastS = Math.max(1, Math.min(ctx.tunables.int('PGSQL_STOP_ESCALATE'), budget - Math.min(20, Math.floor(budget / 2))));
  ctx.logger.info(`fast shutdown (up to ${fastS} s)`);
  const fast = await pgCtl(ctx, f.binDir, ['stop', '-D', o.dataDir, '-m', 'fast', '-w', '-t', String(fastS)], fastS * 1000 + 5000);
  if (fast.exitCode === 0 && !postmasterState(o.dataDir).running) {
    await clearOrphans(ctx, 'wait-then-kill');
    return;
  }
  if (postmasterState(o.dataDir).running) {
    ctx.logger.warn(`fast shutdown did not finish within ${fastS} s (${(fast.stderr || fast.stdout).trim().split('\n').pop() ?? ''}); escalating to immediate shutdown`);
    const immS = Math.max(1, Math.floor(left(ctx, 1000) / 1000));
    const imm = await pgCtl(ctx, f.binDir, ['stop', '-D', o.dataDir, '-m', 'immediate', '-w', '-t', String(immS)], immS * 1000 + 2000);
    const after = postmasterState(o.dataDir);
    if (after.running) {
      throw new ActionFailedError(`PostgreSQL (postmaster PID ${after.pid}) is still running after fast and immediate shutdown: ${(imm.stderr || imm.stdout).trim().slice(-300)}`, {
        code: 'STOP_FAILED',
        fix: 'look at the server processes (ps -o pid,stat,wchan,cmd -u ' + o.user + '); raise REMOVE_TIMEOUT if the node is slow',
      });
    }
  }
  await clearOrphans(ctx, 'wait-then-kill');
}

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const o = ctx.options;
  const state = postmasterState(o.dataDir);
  if (!state.running) return { status: 'failed', reason: `PostgreSQL is not running: ${state.why}` };
  const c = await connect(ctx);
  if (c.kind === 'refused') return { status: 'unknown', reason: `the server answers but refuses the kit's connection as role ${dbUser(ctx)}: ${c.message} (${c.code}); fix the authentication (see the kit README)` };
  if (c.kind === 'down') {
    if (c.code === '53300') return { status: 'ok', detail: 'the server answers but has no free connection slot (too_many_connections)' };
    if (!postmasterState(o.dataDir).running) return { status: 'failed', reason: 'PostgreSQL stopped while being checked' };
    return { status: 'failed', reason: `PostgreSQL does not answer: ${c.message} (${c.code}) after ${ctx.tunables.int('LKPGSQL_CONN_RETRIES')} attempt(s)` };
  }
  const problem = roleProblem(ctx, c.inRecovery);
  if (problem) return { status: 'failed', reason: problem };
  return { status: 'ok', detail: `${c.inRecovery ? 'standby' : 'primary'}, query ${c.ms} ms` };
}

async function create(ctx: Ctx) {
  const o = ctx.options;
  const f = await facts(ctx);
  if (process.getuid?.() !== 0 && o.user !== (await import('node:os')).userInfo().username) {
    throw new PermissionError(`kit-runner must run as root (or as ${o.user}) to run pg_ctl as ${o.user}`, { field: 'user', fix: 'run kit-runner as root' });
  }
  if (o.socketDir) {
    try {
      if (!statSync(o.socketDir).isDirectory()) throw new Error('not a directory');
    } catch {
      throw new ConfigError(`socket directory ${o.socketDir} does not exist on ${ctx.server}`, { field: 'socketDir', fix: `create it (owned by ${o.user}), or correct socketDir` });
    }
  }
  if (o.passwordFile) password(ctx, connTarget(ctx));
  const state = postmasterState(o.dataDir);
  if (state.running) {
    if (state.pidFile?.port !== undefined && state.pidFile.port !== o.port) {
      throw new ConfigError(`the cluster in ${o.dataDir} runs on port ${state.pidFile.port}, not ${o.port}`, { field: 'port', fix: `set port=${state.pidFile.port}` });
    }
    const c = await connect(ctx, 1);
    if (c.kind === 'refused') throw new ConfigError(`the running server refuses the kit's connection as role ${dbUser(ctx)}: ${c.message} (${c.code})`, { field: 'dbUser', fix: authFix(ctx) });
  }
  return { info: { pgVersion: f.version, binDir: f.binDir } };
}

export default defineKit({
  meta: { name: '@recovery-kit/kit-postgresql', version: '0.1.0', kitType: 'postgresql', description: 'PostgreSQL cluster: pg_ctl start/stop, health through a real connection' },
  options,
  actions: { create, restore, remove, quickCheck },
  tunables,
});
