/**
 * The PostgreSQL kit's actions: protects one PostgreSQL cluster (a data directory) on a node.
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
import { statSync } from 'node:fs';
import { ActionFailedError, ConfigError, PermissionError, type QuickCheckResult } from '@recovery-kit/sdk';
import { authFix, connect, connTarget, dbUser, password, roleProblem } from './connect.ts';
import type { Ctx } from './options.ts';
import { postmasterState } from './proc.ts';
import { clearOrphans, facts, left, logFileOf, pgCtl, startFailure, staleLockFile } from './server.ts';
import { pgctlArgs, progressTicker, shQuote } from './util.ts';

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
    let extra: string[];
    try {
      extra = pgctlArgs(o.pgctlOptions);
    } catch (err) {
      throw new ConfigError(`pgctlOptions: ${(err as Error).message}`, {
        field: 'pgctlOptions',
        fix: 'put server settings after -o; give paths without " $ ` or \\ (kit-runner edit ... --opt pgctlOptions=...)',
      });
    }
    // pg_ctl starts the server through /bin/sh with -D and -l between double quotes. So the data
    // (or configuration) directory goes in PGDATA, which no shell reads, and the default log file
    // is given relative to the data directory, pg_ctl's working directory; a logFile option is
    // checked to be safe there (see options.ts).
    const log = o.logFile ?? 'pg_ctl.log';
    const args = ['start', '-w', '-t', String(waitS), '-l', log, '-o', serverOpts, ...extra];
    ctx.logger.info(`starting PostgreSQL ${f.version} (${f.binDir}) on port ${o.port}`);
    const ticker = progressTicker(ctx.logger, (s) => `waiting for PostgreSQL to start on port ${o.port}: ${s} s of ${waitS} s`);
    const r = await pgCtl(ctx, f.binDir, args, waitS * 1000 + 5000, { PGDATA: o.configDir ?? o.dataDir }, o.dataDir).finally(() => ticker.stop());
    if (r.exitCode !== 0) throw startFailure(ctx, `${r.stdout}\n${r.stderr}`);
  }
  const c = await connect(ctx);
  if (c.kind === 'refused')
    throw new ConfigError(`PostgreSQL runs but refuses the kit's connection as role ${dbUser(ctx)}: ${c.message} (${c.code})`, {
      field: 'dbUser',
      fix: authFix(ctx),
    });
  if (c.kind === 'down')
    throw new ActionFailedError(`PostgreSQL does not accept connections after start: ${c.message} (${c.code})`, {
      code: 'NOT_ACCEPTING',
      fix: `read ${logFileOf(ctx)} and the server log`,
    });
  const problem = roleProblem(ctx, c.inRecovery);
  if (problem)
    throw new ActionFailedError(problem, {
      code: 'WRONG_ROLE',
      field: 'expectedRole',
      fix: 'promote the server (pg_ctl promote) or remove standby.signal when this node should be primary; or set expectedRole',
    });
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
  const ticker = progressTicker(ctx.logger, (s) => `waiting for PostgreSQL's fast shutdown: ${s} s of ${fastS} s`);
  const fast = await pgCtl(ctx, f.binDir, ['stop', '-D', o.dataDir, '-m', 'fast', '-w', '-t', String(fastS)], fastS * 1000 + 5000).finally(() => ticker.stop());
  if (fast.exitCode === 0 && !postmasterState(o.dataDir).running) {
    await clearOrphans(ctx, 'wait-then-kill');
    return;
  }
  if (postmasterState(o.dataDir).running) {
    ctx.logger.warn(
      `fast shutdown did not finish within ${fastS} s (${(fast.stderr || fast.stdout).trim().split('\n').pop() ?? ''}); escalating to immediate shutdown`,
    );
    const immS = Math.max(1, Math.floor(left(ctx, 1000) / 1000));
    const imm = await pgCtl(ctx, f.binDir, ['stop', '-D', o.dataDir, '-m', 'immediate', '-w', '-t', String(immS)], immS * 1000 + 2000);
    const after = postmasterState(o.dataDir);
    if (after.running) {
      throw new ActionFailedError(
        `PostgreSQL (postmaster PID ${after.pid}) is still running after fast and immediate shutdown: ${(imm.stderr || imm.stdout).trim().slice(-300)}`,
        {
          code: 'STOP_FAILED',
          fix: `look at the server processes (ps -o pid,stat,wchan,cmd -u ${o.user}); raise REMOVE_TIMEOUT if the node is slow`,
        },
      );
    }
  }
  await clearOrphans(ctx, 'wait-then-kill');
}

/** What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it); no cloud part, so 10 is 0. */
export const checkLevels = {
  0: 'local, no program run and no connection: postmaster.pid names a live postmaster of this data directory (/proc). Proves the server process lives; not that it answers.',
  20: 'as 0, then through the data path: a connection and SELECT pg_is_in_recovery() within the timeout, compared with the role this node is expected to have. Proves the server answers queries.',
} as const;

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const o = ctx.options;
  const state = postmasterState(o.dataDir);
  if (!state.running) return { status: 'failed', reason: `PostgreSQL is not running: ${state.why}` };
  if (ctx.checkLevel < 20) return { status: 'ok', detail: `postmaster PID ${state.pid} runs (check level ${ctx.checkLevel}: no query)` };
  const c = await connect(ctx);
  if (c.kind === 'refused')
    return {
      status: 'unknown',
      reason: `the server answers but refuses the kit's connection as role ${dbUser(ctx)}: ${c.message} (${c.code}); fix the authentication (see the kit README)`,
    };
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
      throw new ConfigError(`socket directory ${o.socketDir} does not exist on ${ctx.server}`, {
        field: 'socketDir',
        fix: `create it (owned by ${o.user}), or correct socketDir`,
      });
    }
  }
  if (o.passwordFile) password(ctx, connTarget(ctx));
  const state = postmasterState(o.dataDir);
  if (state.running) {
    if (state.pidFile?.port !== undefined && state.pidFile.port !== o.port) {
      throw new ConfigError(`the cluster in ${o.dataDir} runs on port ${state.pidFile.port}, not ${o.port}`, {
        field: 'port',
        fix: `set port=${state.pidFile.port}`,
      });
    }
    const c = await connect(ctx, 1);
    if (c.kind === 'refused')
      throw new ConfigError(`the running server refuses the kit's connection as role ${dbUser(ctx)}: ${c.message} (${c.code})`, {
        field: 'dbUser',
        fix: authFix(ctx),
      });
  }
  return { info: { pgVersion: f.version, binDir: f.binDir } };
}

export const actions = { create, restore, remove, quickCheck };
