/**
 * sqlplus and the instance's processes: the status query, the CONNECT line (a password only on
 * stdin), ORACLE_HOME from oratab, pmon. What the database actions share.
 */
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError, findProcesses, isCommandFailed, isKitError } from '@recovery-kit/sdk';
import { executableUnder, remainingMs, waitUntil } from '@recovery-kit/sdk/util';
import type { Ctx } from './options.ts';

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
export const has = (r: SqlResult, code: string) => r.errors.some((e) => e.startsWith(code));

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
export function left(ctx: Ctx, margin = 2000): number {
  return Math.max(1000, remainingMs(ctx.deadline) - margin);
}

/** Waits up to `ms` for the instance's pmon to go; true when it is gone. */
export const pmonGone = (sid: string, ms: number) => waitUntil(() => pmonPids(sid).length === 0, { deadline: Date.now() + ms, initialDelayMs: 100, factor: 1 });

export function home(ctx: Ctx): string {
  if (ctx.options.home) return ctx.options.home;
  let text = '';
  try {
    text = readFileSync(ctx.options.oratab, 'utf8');
  } catch {
    /* below */
  }
  const h = homeFromOratab(text, ctx.options.sid);
  if (!h)
    throw new ConfigError(`ORACLE_HOME of ${ctx.options.sid} is not given and ${ctx.options.oratab} has no entry for it`, {
      field: 'home',
      fix: `give home=<ORACLE_HOME>, or add "${ctx.options.sid}:<ORACLE_HOME>:N" to ${ctx.options.oratab}`,
    });
  return h;
}

export async function owner(ctx: Ctx, oracleHome: string): Promise<string> {
  if (ctx.options.user) return ctx.options.user;
  const uid = statSync(oracleHome).uid;
  const r = await ctx.exec('getent', ['passwd', String(uid)], { reject: false, timeoutMs: 5000 });
  const name = r.exitCode === 0 ? r.stdout.split(':')[0] : undefined;
  if (!name) throw new ConfigError(`cannot tell the owner of ${oracleHome} (uid ${uid})`, { field: 'user', fix: 'set user= to the Oracle software owner' });
  return name;
}

export function sqlplusPath(ctx: Ctx, oracleHome: string): string {
  return executableUnder(oracleHome, 'bin/sqlplus', {
    field: 'home',
    server: ctx.server,
    fix: 'correct home= (ORACLE_HOME), or mount the file system holding the Oracle software first',
  });
}

/** The CONNECT line for monitoring (the password, when any, only ever goes to stdin). */
export function monitorConnect(ctx: Ctx): string {
  const o = ctx.options;
  if (o.connect === 'wallet') return `CONNECT /@${o.walletAlias}`;
  if (o.connect === 'password') {
    let pw: string;
    try {
      const st = statSync(o.passwordFile!);
      if ((st.mode & 0o077) !== 0)
        throw new ConfigError(`password file ${o.passwordFile} has group or world access (mode ${(st.mode & 0o777).toString(8)})`, {
          field: 'passwordFile',
          fix: `chmod 600 ${o.passwordFile}`,
        });
      pw = readFileSync(o.passwordFile!, 'utf8').split('\n')[0]!.replace(/\r$/, '');
    } catch (err) {
      if (isKitError(err)) throw err;
      throw new ConfigError(`cannot read the password file ${o.passwordFile}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`, {
        field: 'passwordFile',
        fix: 'create it (first line: the password, mode 0600) or correct passwordFile',
      });
    }
    if (!pw) throw new ConfigError(`password file ${o.passwordFile} is empty`, { field: 'passwordFile' });
    if (pw.includes('"'))
      throw new ConfigError(`the password in ${o.passwordFile} contains a double quote, which SQL*Plus cannot take in a quoted password`, {
        field: 'passwordFile',
      });
    return `CONNECT "${o.monitorUser}"/"${pw}"`;
  }
  return 'CONNECT / AS SYSDBA';
}

/** Runs a script through `sqlplus -S -L /nolog` as the owner; the script goes on stdin. */
export async function sqlplus(ctx: Ctx, connectLine: string, body: string[], timeoutMs: number): Promise<SqlResult> {
  const oracleHome = home(ctx);
  const file = sqlplusPath(ctx, oracleHome);
  const user = await owner(ctx, oracleHome);
  const script = [
    'WHENEVER SQLERROR EXIT SQL.SQLCODE',
    'WHENEVER OSERROR EXIT FAILURE',
    'SET HEADING OFF FEEDBACK OFF PAGESIZE 0 LINESIZE 300 TRIMOUT ON VERIFY OFF ECHO OFF TAB OFF',
    connectLine,
    ...body,
    'EXIT',
    '',
  ].join('\n');
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
    throw new ConfigError(`sqlplus cannot initialize (${result.errors.join(' | ')})`, {
      field: 'home',
      fix: 'check ORACLE_HOME (home=) and that the Oracle owner can read it',
    });
  }
  return result;
}

export const STATUS_SQL = ["SELECT 'RK_STATUS=' || status FROM v$instance;", "SELECT 'RK_OPEN_MODE=' || open_mode FROM v$database;"];

export async function instanceStatus(ctx: Ctx, connectLine = 'CONNECT / AS SYSDBA', timeoutMs?: number) {
  const r = await sqlplus(ctx, connectLine, STATUS_SQL, timeoutMs ?? ctx.tunables.int('ORACLE_SQL_TIMEOUT') * 1000);
  return { r, ...parseStatus(r) };
}

export function openModeProblem(ctx: Ctx, openMode: string | undefined): string | undefined {
  const want = ctx.options.expectedOpenMode;
  if (want === 'any' || !openMode) return undefined;
  return openMode.startsWith(want) ? undefined : `the database is open ${openMode}, expected ${want} (expectedOpenMode)`;
}
