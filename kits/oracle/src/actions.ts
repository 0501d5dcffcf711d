/**
 * The Oracle Database kit's actions: protects one instance (ORACLE_SID) on a node, like LifeKeeper's
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
import { ActionFailedError, type QuickCheckResult } from '@recovery-kit/sdk';
import type { Ctx } from './options.ts';
import {
  has,
  home,
  instanceStatus,
  left,
  monitorConnect,
  openModeProblem,
  owner,
  pmonGone,
  pmonPids,
  sqlplus,
  sqlplusPath,
  type SqlResult,
} from './sqlplus.ts';

async function restore(ctx: Ctx): Promise<void> {
  const sid = ctx.options.sid;
  const startS = Math.max(1, Math.min(ctx.tunables.int('ORACLE_STARTUP_TIME'), Math.floor(left(ctx, 5000) / 1000)));
  let s = await instanceStatus(ctx);
  if (s.status === 'UNKNOWN')
    throw new ActionFailedError(
      `cannot read the state of instance ${sid}: ${s.r.timedOut ? 'sqlplus did not answer' : s.r.errors.join(' | ') || s.r.text.trim().slice(-200)}`,
      { code: 'STATUS_UNKNOWN', fix: 'run sqlplus / as sysdba as the Oracle owner to see why' },
    );
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
    throw new ActionFailedError(`starting instance ${sid} did not finish within ${startS} s`, {
      code: 'STARTUP_TIMEOUT',
      field: 'ORACLE_STARTUP_TIME',
      fix: 'raise ORACLE_STARTUP_TIME (and RESTORE_TIMEOUT), and read the alert log',
    });
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
    ctx.logger.warn(
      `SHUTDOWN IMMEDIATE of ${sid} ${imm.timedOut ? `did not finish within ${escS} s` : `did not stop it (${imm.errors.join(' | ') || 'no error shown'})`}; escalating to SHUTDOWN ABORT`,
    );
    const ab = await sqlplus(ctx, 'CONNECT / AS SYSDBA', ['SHUTDOWN ABORT'], Math.max(1000, left(ctx, 1000)));
    await pmonGone(sid, 5000);
    const pids = pmonPids(sid);
    if (pids.length) {
      throw new ActionFailedError(
        `instance ${sid} is still running (pmon ${pids.join(', ')}) after SHUTDOWN IMMEDIATE and SHUTDOWN ABORT${ab.errors.length ? `: ${ab.errors.join(' | ')}` : ''}`,
        {
          code: 'SHUTDOWN_FAILED',
          fix: `look at the instance processes (ps -ef | grep _${sid}) and the alert log`,
        },
      );
    }
  }
}

/** What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it); no cloud part, so 10 is 0. */
export const checkLevels = {
  0: 'local, no program run: an ora_pmon_<SID> process lives (/proc). Proves the instance has not died; not that it is open.',
  20: 'as 0, then a query through sqlplus (ORACLE_SQL_TIMEOUT): V$INSTANCE.STATUS is OPEN and V$DATABASE.OPEN_MODE is what the options ask.',
} as const;

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const sid = ctx.options.sid;
  if (pmonPids(sid).length === 0) return { status: 'failed', reason: `instance ${sid} is not running: no ora_pmon_${sid} process` };
  if (ctx.checkLevel < 20) return { status: 'ok', detail: `ora_pmon_${sid} runs (check level ${ctx.checkLevel}: no query)` };
  const t = ctx.tunables.int('ORACLE_SQL_TIMEOUT');
  const s = await instanceStatus(ctx, monitorConnect(ctx), t * 1000);
  if (s.r.timedOut) return { status: 'failed', reason: `instance ${sid} did not answer a status query within ${t} s (ORACLE_SQL_TIMEOUT)` };
  if (s.auth) return { status: 'unknown', reason: `the ${ctx.options.connect} login is refused (${s.auth}); fix the monitor account (see the kit README)` };
  if (s.status === 'DOWN') return { status: 'failed', reason: `instance ${sid} is not available (${s.r.errors.slice(0, 2).join(' | ')})` };
  if (s.status === 'UNKNOWN')
    return { status: 'failed', reason: `cannot read the state of ${sid}: ${s.r.errors.join(' | ') || `sqlplus exit ${s.r.exitCode}`}` };
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

export const actions = { create, restore, remove, quickCheck };
