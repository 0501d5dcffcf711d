/**
 * The Oracle Database kit: protects one instance (ORACLE_SID) on a node, like LifeKeeper's
 * "Oracle Database" resource. Its `create` asks for the listener resource (kit oracle-listener)
 * as a child, so restore brings the listener up first and remove takes the database down first.
 *
 * All SQL goes to `sqlplus -S -L /nolog` on standard input (never on the command line): the
 * CONNECT line, with a password when the monitor account uses one, is never logged.
 *
 * - restore: status from V$INSTANCE; idle -> STARTUP; STARTED -> ALTER DATABASE MOUNT + OPEN;
 *   MOUNTED -> ALTER DATABASE OPEN; OPEN -> nothing. Then the instance must be OPEN in the
 *   expected open mode; an instance this restore started and could not open is aborted again.
 * - remove: SHUTDOWN IMMEDIATE for ORACLE_SHUTDOWN_ESCALATE seconds, then SHUTDOWN ABORT; the
 *   pmon process must be gone. Already down = success.
 * - quickCheck: the ora_pmon_<SID> process (from /proc, no program run), then V$INSTANCE.STATUS
 *   = OPEN and V$DATABASE.OPEN_MODE, with a per-call timeout (ORACLE_SQL_TIMEOUT).
 * - recover: none here; the runner's default (remove, then restore).
 */
import { readFileSync, statSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ActionFailedError, ConfigError, defineKit, defineOptions, findProcesses, isCommandFailed, isKitError, opt, type KitContext, type QuickCheckResult } from '@recovery-kit/sdk';
import { remainingMs, waitUntil } from '@recovery-kit/sdk/util';

const absolute = (what: string) => (v: string) => (isAbsolute(v) ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: `give the full path of the ${what}` });

export const options = defineOptions(
  {
    sid: opt.string({ description: 'ORACLE_SID of the instance.', required: true, example: 'ORCL', pattern: /^[A-Za-z][A-Za-z0-9_]{0,11}$/ }),
    home: opt.string({ description: 'ORACLE_HOME. Default: the entry for the SID in the oratab file (recorded at create).', example: '/u01/app/oracle/product/19.0.0/dbhome_1', check: absolute('Oracle home') }),
    user: opt.string({ description: 'OS user that owns the Oracle software and runs sqlplus. Default: the owner of ORACLE_HOME (recorded at create).', pattern: /^[a-z_][a-z0-9_-]*\$?$/ }),
    oratab: opt.string({ description: 'The oratab file used to find ORACLE_HOME.', default: '/etc/oratab', check: absolute('oratab file') }),
    tnsAdmin: opt.string({ description: 'TNS_ADMIN (directory of tnsnames.ora, sqlnet.ora, listener.ora). Default: <home>/network/admin.', check: absolute('TNS_ADMIN directory') }),
    listener: opt.string({ description: 'Name of the listener serving this database (as in listener.ora).', default: 'LISTENER', pattern: /^[A-Za-z][A-Za-z0-9_]{0,63}$/ }),
    protectListener: opt.boolean({ description: 'Create (or reuse) an oracle-listener resource for the listener as a child of this database at create.', default: true }),
    listenerTag: opt.string({ description: 'Tag of the listener resource. Default: lsnr-<listener name in lower case> (several databases may share it).', pattern: /^[A-Za-z0-9_-][A-Za-z0-9_./-]{0,255}$/ }),
    connect: opt.enum(['os', 'password', 'wallet'] as const, {
      description: 'How quickCheck logs in: os = "/ as sysdba" (OS authentication, the user must be in the OSDBA group); password = monitorUser with the password read from passwordFile; wallet = "/@walletAlias" through a secure external password store.',
      default: 'os',
    }),
    monitorUser: opt.string({ description: 'Database account for connect=password (needs CREATE SESSION and SELECT on V_$INSTANCE and V_$DATABASE).', pattern: /^[A-Za-z][A-Za-z0-9_$#]{0,127}$/ }),
    passwordFile: opt.string({ description: 'File whose first line is the password of monitorUser (mode 0600). Fed to sqlplus on standard input only.', check: absolute('password file') }),
    walletAlias: opt.string({ description: 'TNS alias whose credentials the wallet holds, for connect=wallet.', pattern: /^[A-Za-z][A-Za-z0-9_.-]*$/ }),
    expectedOpenMode: opt.enum(['READ WRITE', 'READ ONLY', 'any'] as const, { description: 'Open mode V$DATABASE must show (READ WRITE for a primary).', default: 'READ WRITE', perServer: true }),
  },
  (v) => {
    const issues = [];
    if (v.connect === 'password' && (!v.monitorUser || !v.passwordFile)) issues.push({ field: v.monitorUser ? 'passwordFile' : 'monitorUser', message: 'connect=password needs monitorUser and passwordFile', fix: 'give both, or use connect=os' });
    if (v.connect === 'wallet' && !v.walletAlias) issues.push({ field: 'walletAlias', message: 'connect=wallet needs walletAlias', fix: 'give the TNS alias stored in the wallet' });
    return issues;
  },
);
export type Options = ReturnType<typeof options.parse>;
type Ctx = KitContext<Options>;

export const tunables = {
  ORACLE_STARTUP_TIME: { kind: 'integer', default: 240, min: 1, description: 'Seconds sqlplus STARTUP (or MOUNT/OPEN) may take; capped by the restore timeout.' },
  ORACLE_SHUTDOWN_ESCALATE: { kind: 'integer', default: 120, min: 1, description: 'Seconds SHUTDOWN IMMEDIATE may take before the kit runs SHUTDOWN ABORT.' },
  ORACLE_SQL_TIMEOUT: { kind: 'integer', default: 30, min: 1, description: 'Seconds one status query (sqlplus call) may take; an instance that does not answer in time fails quickCheck.' },
} as const;

export type InstanceStatus = 'DOWN' | 'STARTED' | 'MOUNTED' | 'OPEN' | 'OPEN MIGRATE' | 'UNKNOWN';

export interface SqlResult {
  exitCode: number;
  text: string;
  timedOut: boolean;
  /** ORA-/SP2-/TNS- lines. */
  errors: string[];
}

/** Error lines (ORA-01034: ..., SP2-0640: ..., TNS-12541: ...) of sqlplus output. */
export function oraErrors(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(ORA|SP2|TNS|LRM)-\d{4,5}\b/.test(l));
}
const has = (r: SqlResult, code: string) => r.errors.some((e) => e.startsWith(code));

/** Reads V$INSTANCE/V$DATABASE answers (lines RK_STATUS=..., RK_OPEN_MODE=...). */
export function parseStatus(r: SqlResult): { status: InstanceStatus; openMode?: string; auth?: string } {
  const st = /^RK_STATUS=(.+)$/m.exec(r.text)?.[1]?.trim();
  const om = /^RK_OPEN_MODE=(.+)$/m.exec(r.text)?.[1]?.trim();
  if (st) return { status: (['STARTED', 'MOUNTED', 'OPEN', 'OPEN MIGRATE'].includes(st) ? st : 'UNKNOWN') as InstanceStatus, ...(om ? { openMode: om } : {}) };
  // ORA-01034 ORACLE not available / ORA-27101: the instance is idle.
  if (has(r, 'ORA-01034') || has(r, 'ORA-27101')) return { status: 'DOWN' };
  const auth = r.errors.find((e) => /^ORA-(01017|28000|28001|01031|01045|12154|01033|01090)\b/.test(e));
  if (auth) return { status: 'UNKNOWN', auth };
  return { status: 'UNKNOWN' };
}

/** PIDs of ora_pmon_<SID> (Oracle rewrites argv[0] of its background processes). */
export function pmonPids(sid: string): number[] {
  const want = `ora_pmon_${sid}`;
  return findProcesses((p) => p.argv()[0]?.trim() === want);
}

/** ORACLE_HOME of SID from oratab lines "SID:HOME:Y|N". */
export function homeFromOratab(text: string, sid: string): string | undefined {
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [s, h] = t.split(':');
    if (s === sid && h) return h;
  }
  return undefined;
}

/** Milliseconds left of the action, less a margin; at least 1 s. */
function left(ctx: Ctx, margin = 2000): number {
  return Math.max(1000, remainingMs(ctx.deadline) - margin);
}

/** Waits up to `ms` for the instance's pmon to go; true when it is gone. */
const pmonGone = (sid: string, ms: number) => waitUntil(() => pmonPids(sid).length === 0, { deadline: Date.now() + ms, initialDelayMs: 100, factor: 1 });

function home(ctx: Ctx): string {
  if (ctx.options.home) return ctx.options.home;
  let text = '';
  try {
    text = readFileSync(ctx.options.oratab, 'utf8');
  } catch {
    /* below */
  }
  const h = homeFromOratab(text, ctx.options.sid);
  if (!h) throw new ConfigError(`ORACLE_HOME of ${ctx.options.sid} is not given and ${ctx.options.oratab} has no entry for it`, { field: 'home', fix: `give home=<ORACLE_HOME>, or add "${ctx.options.sid}:<ORACLE_HOME>:N" to ${ctx.options.oratab}` });
  return h;
}

async function owner(ctx: Ctx, oracleHome: string): Promise<string> {
  if (ctx.options.user) return ctx.options.user;
  const uid = statSync(oracleHome).uid;
  const r = await ctx.exec('getent', ['passwd', String(uid)], { reject: false, timeoutMs: 5000 });
  const name = r.exitCode === 0 ? r.stdout.split(':')[0] : undefined;
  if (!name) throw new ConfigError(`cannot tell the owner of ${oracleHome} (uid ${uid})`, { field: 'user', fix: 'set user= to the Oracle software owner' });
  return name;
}

function sqlplusPath(ctx: Ctx, oracleHome: string): string {
  const file = join(oracleHome, 'bin', 'sqlplus');
  try {
    statSync(file);
  } catch {
    throw new ConfigError(`sqlplus not found: ${file} does not exist on ${ctx.server}`, { field: 'home', fix: 'correct home= (ORACLE_HOME), or mount the file system holding the Oracle software first' });
  }
  return file;
}

/** The CONNECT line for monitoring (the password, when any, only ever goes to stdin). */
function monitorConnect(ctx: Ctx): string {
  const o = ctx.options;
  if (o.connect === 'wallet') return `CONNECT /@${o.walletAlias}`;
  if (o.connect === 'password') {
    let pw: string;
    try {
      const st = statSync(o.passwordFile!);
      if ((st.mode & 0o077) !== 0) throw new ConfigError(`password file ${o.passwordFile} has group or world access (mode ${(st.mode & 0o777).toString(8)})`, { field: 'passwordFile', fix: `chmod 600 ${o.passwordFile}` });
      pw = readFileSync(o.passwordFile!, 'utf8').split('\n')[0]!.replace(/\r$/, '');
    } catch (err) {
      if (isKitError(err)) throw err;
      throw new ConfigError(`cannot read the password file ${o.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, { field: 'passwordFile', fix: 'create it (first line: the password, mode 0600) or correct passwordFile' });
    }
    if (!pw) throw new ConfigError(`password file ${o.passwordFile} is empty`, { field: 'passwordFile' });
    if (pw.includes('"')) throw new ConfigError(`the password in ${o.passwordFile} contains a double quote, which SQL*Plus cannot take in a quoted password`, { field: 'passwordFile' });
    return `CONNECT "${o.monitorUser}"/"${pw}"`;
  }
  return 'CONNECT / AS SYSDBA';
}

/** Runs a script through `sqlplus -S -L /nolog` as the owner; the script goes on stdin. */
async function sqlplus(ctx: Ctx, connectLine: string, body: string[], timeoutMs: number): Promise<SqlResult> {
  const oracleHome = home(ctx);
  const file = sqlplusPath(ctx, oracleHome);
  const user = await owner(ctx, oracleHome);
  const script = ['WHENEVER SQLERROR EXIT SQL.SQLCODE', 'WHENEVER OSERROR EXIT FAILURE', 'SET HEADING OFF FEEDBACK OFF PAGESIZE 0 LINESIZE 300 TRIMOUT ON VERIFY OFF ECHO OFF TAB OFF', connectLine, ...body, 'EXIT', ''].join('\n');
  const env = {
    ORACLE_HOME: oracleHome,
    ORACLE_SID: ctx.options.sid,
    PATH: `${join(oracleHome, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LD_LIBRARY_PATH: join(oracleHome, 'lib'),
    NLS_LANG: 'AMERICAN_AMERICA.AL32UTF8',
    ...(ctx.options.tnsAdmin ? { TNS_ADMIN: ctx.options.tnsAdmin } : {}),
  };
  let exitCode = 0;
  let text = '';
  let timedOut = false;
  try {
    const r = await ctx.exec(file, ['-S', '-L', '/nolog'], { user, env, input: script, timeoutMs: Math.min(timeoutMs, left(ctx, 500)) });
    exitCode = r.exitCode ?? 1;
    text = r.stdout + r.stderr;
  } catch (err) {
    if (!isCommandFailed(err)) throw err;
    const e = err.result;
    exitCode = e.exitCode ?? 1;
    text = `${e.stdout}${e.stderr}`;
    timedOut = e.timedOut;
  }
  const result = { exitCode, text, timedOut, errors: oraErrors(text) };
  if (result.errors.some((l) => l.startsWith('SP2-0667') || l.startsWith('SP2-0750'))) {
    throw new ConfigError(`sqlplus cannot initialize (${result.errors.join(' | ')})`, { field: 'home', fix: 'check ORACLE_HOME (home=) and that the Oracle owner can read it' });
  }
  return result;
}

const STATUS_SQL = ["SELECT 'RK_STATUS=' || status FROM v$instance;", "SELECT 'RK_OPEN_MODE=' || open_mode FROM v$database;"];

async function instanceStatus(ctx: Ctx, connectLine = 'CONNECT / AS SYSDBA', timeoutMs?: number) {
  const r = await sqlplus(ctx, connectLine, STATUS_SQL, timeoutMs ?? ctx.tunables.int('ORACLE_SQL_TIMEOUT') * 1000);
  return { r, ...parseStatus(r) };
}

function openModeProblem(ctx: Ctx, openMode: string | undefined): string | undefined {
  const want = ctx.options.expectedOpenMode;
  if (want === 'any' || !openMode) return undefined;
  return openMode.startsWith(want) ? undefined : `the database is open ${openMode}, expected ${want} (expectedOpenMode)`;
}

// ------------------------------------------------------------------ actions

async function restore(ctx: Ctx): Promise<void> {
  const sid = ctx.options.sid;
  const startS = Math.max(1, Math.min(ctx.tunables.int('ORACLE_STARTUP_TIME'), Math.floor(left(ctx, 5000) / 1000)));
  let s = await instanceStatus(ctx);
  if (s.status === 'UNKNOWN') throw new ActionFailedError(`cannot read the state of instance ${sid}: ${s.r.timedOut ? 'sqlplus did not answer' : s.r.errors.join(' | ') || s.r.text.trim().slice(-200)}`, { code: 'STATUS_UNKNOWN', fix: 'run sqlplus / as sysdba as the Oracle owner to see why' });
  let startedHere = false;
  let step: SqlResult | undefined;
  if (s.status === 'OPEN') ctx.logger.info(`instance ${sid} already open`);
  else if (s.status === 'DOWN') {
    ctx.logger.info(`starting instance ${sid}`);
    step = await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['STARTUP'], startS * 1000);
    startedHere = !has(step, 'ORA-01081');
  } else if (s.status === 'STARTED') {
    ctx.logger.info(`instance ${sid} is started (NOMOUNT): mounting and opening`);
    step = await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['ALTER DATABASE MOUNT;', 'ALTER DATABASE OPEN;'], startS * 1000);
  } else if (s.status === 'MOUNTED') {
    ctx.logger.info(`instance ${sid} is mounted: opening`);
    step = await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['ALTER DATABASE OPEN;'], startS * 1000);
  }
  if (step?.timedOut) {
    throw new ActionFailedError(`starting instance ${sid} did not finish within ${startS} s`, { code: 'STARTUP_TIMEOUT', field: 'ORACLE_STARTUP_TIME', fix: 'raise ORACLE_STARTUP_TIME (and RESTORE_TIMEOUT), and read the alert log' });
  }
  s = await instanceStatus(ctx);
  const problem = s.status !== 'OPEN' ? `instance ${sid} is ${s.status === 'DOWN' ? 'down' : s.status} after startup` : openModeProblem(ctx, s.openMode);
  if (problem) {
    const errs = [...(step?.errors ?? []), ...s.r.errors].filter((e, i, a) => a.indexOf(e) === i && !/^ORA-(01034|27101)/.test(e));
    if (startedHere && s.status !== 'DOWN') {
      ctx.logger.warn(`aborting the half-started instance ${sid} so the resource is cleanly out of service`);
      await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['SHUTDOWN ABORT'], Math.max(1000, Math.min(60_000, left(ctx, 500))));
    }
    throw new ActionFailedError(`${problem}${errs.length ? `: ${errs.join(' | ')}` : ''}`, {
      code: 'STARTUP_FAILED',
      fix: errs.some((e) => e.startsWith('ORA-01078') || e.startsWith('LRM-00109'))
        ? 'the instance has no parameter file: check spfile<SID>.ora / init<SID>.ora in $ORACLE_HOME/dbs (and that its file system is mounted)'
        : errs.some((e) => e.startsWith('ORA-01157') || e.startsWith('ORA-01110'))
          ? 'a data file cannot be opened: check that every file system of the database is mounted (make them children of this resource)'
          : 'read the alert log of the instance',
      details: { errors: errs },
    });
  }
  ctx.logger.info(`instance ${sid} is open (${s.openMode ?? 'open mode unknown'})`);
}

async function remove(ctx: Ctx): Promise<void> {
  const sid = ctx.options.sid;
  if (pmonPids(sid).length === 0) {
    // Without pmon there is no instance (its background processes die with it): nothing to stop,
    // and no need for sqlplus (whose file system may already be gone).
    ctx.logger.info(`instance ${sid} is not running (no ora_pmon_${sid} process)`);
    return;
  }
  const escS = Math.max(1, Math.min(ctx.tunables.int('ORACLE_SHUTDOWN_ESCALATE'), Math.floor(left(ctx, 20_000) / 1000)));
  ctx.logger.info(`SHUTDOWN IMMEDIATE of ${sid} (up to ${escS} s)`);
  const imm = await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['SHUTDOWN IMMEDIATE'], escS * 1000);
  let down = !imm.timedOut && /ORACLE instance shut down\./.test(imm.text) && pmonPids(sid).length === 0;
  if (!down) {
    await pmonGone(sid, 2000);
    down = pmonPids(sid).length === 0 && !imm.timedOut;
  }
  if (!down) {
    ctx.logger.warn(`SHUTDOWN IMMEDIATE of ${sid} ${imm.timedOut ? `did not finish within ${escS} s` : `did not stop it (${imm.errors.join(' | ') || 'no error shown'})`}; escalating to SHUTDOWN ABORT`);
    const ab = await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['SHUTDOWN ABORT'], Math.max(1000, left(ctx, 1000)));
    await pmonGone(sid, 5000);
    const pids = pmonPids(sid);
    if (pids.length) {
      throw new ActionFailedError(`instance ${sid} is still running (pmon ${pids.join(', ')}) after SHUTDOWN IMMEDIATE and SHUTDOWN ABORT${ab.errors.length ? `: ${ab.errors.join(' | ')}` : ''}`, {
        code: 'SHUTDOWN_FAILED',
        fix: 'look at the instance processes (ps -ef | grep _' + sid + ') and the alert log',
      });
    }
  }
}

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const sid = ctx.options.sid;
  if (pmonPids(sid).length === 0) return { status: 'failed', reason: `instance ${sid} is not running: no ora_pmon_${sid} process` };
  const t = ctx.tunables.int('ORACLE_SQL_TIMEOUT');
  const s = await instanceStatus(ctx, monitorConnect(ctx), t * 1000);
  if (s.r.timedOut) return { status: 'failed', reason: `instance ${sid} did not answer a status query within ${t} s (ORACLE_SQL_TIMEOUT)` };
  if (s.auth) return { status: 'unknown', reason: `the ${ctx.options.connect} login is refused (${s.auth}); fix the monitor account (see the kit README)` };
  if (s.status === 'DOWN') return { status: 'failed', reason: `instance ${sid} is not available (${s.r.errors.slice(0, 2).join(' | ')})` };
  if (s.status === 'UNKNOWN') return { status: 'failed', reason: `cannot read the state of ${sid}: ${s.r.errors.join(' | ') || `sqlplus exit ${s.r.exitCode}`}` };
  if (s.status !== 'OPEN') return { status: 'failed', reason: `instance ${sid} is ${s.status}, not OPEN` };
  const problem = openModeProblem(ctx, s.openMode);
  if (problem) return { status: 'failed', reason: problem };
  return { status: 'ok', detail: `OPEN ${s.openMode ?? ''}`.trim() };
}

async function create(ctx: Ctx) {
  const o = ctx.options;
  const oracleHome = home(ctx);
  sqlplusPath(ctx, oracleHome);
  const user = await owner(ctx, oracleHome);
  if (o.connect !== 'os') monitorConnect(ctx);
  const normalized = { ...o, home: oracleHome, user };
  const children = o.protectListener
    ? [
        {
          kitType: 'oracle-listener',
          tag: o.listenerTag ?? `lsnr-${o.listener.toLowerCase()}`,
          options: { home: oracleHome, user, listener: o.listener, ...(o.tnsAdmin ? { tnsAdmin: o.tnsAdmin } : {}) },
        },
      ]
    : [];
  return { options: normalized, children, info: { home: oracleHome } };
}

export default defineKit({
  meta: { name: '@recovery-kit/kit-oracle', version: '0.1.0', kitType: 'oracle', description: 'Oracle Database instance: sqlplus startup/shutdown, V$INSTANCE health; listener as a child' },
  options,
  actions: { create, restore, remove, quickCheck },
  tunables,
});
