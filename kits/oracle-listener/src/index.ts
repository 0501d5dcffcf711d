/**
 * The Oracle listener kit: protects one named Oracle Net listener (lsnrctl) on a node, like
 * LifeKeeper's "Oracle Database Listener" resource.
 *
 * - restore: `lsnrctl status NAME`; when it does not answer, `lsnrctl start NAME` (TNS-01106
 *   "already been started" is success), then status must answer.
 * - remove: `lsnrctl stop NAME`, then verify: no tnslsnr process for NAME and status refuses.
 *   A listener that refuses to stop (or whose stop times out) gets SIGTERM, and after
 *   LSNR_KILLPID_TIME seconds SIGKILL. Already stopped = success.
 * - quickCheck: the tnslsnr process (from /proc, no program run), then `lsnrctl status NAME`
 *   within LSNR_STATUS_TIME seconds.
 * - recover: none here; the runner's default (remove, then restore).
 */
import { statSync } from 'node:fs';
import { basename, isAbsolute, join } from 'node:path';
import { ActionFailedError, ConfigError, defineKit, defineOptions, findProcesses, isCommandFailed, opt, type KitContext, type QuickCheckResult } from '@recovery-kit/sdk';
import { stopProcesses, waitUntil } from '@recovery-kit/sdk/util';

const absolute = (what: string) => (v: string) => (isAbsolute(v) ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: `give the full path of the ${what}` });

export const options = defineOptions({
  home: opt.string({ description: 'ORACLE_HOME holding bin/lsnrctl.', required: true, example: '/u01/app/oracle/product/19.0.0/dbhome_1', check: absolute('Oracle home') }),
  user: opt.string({ description: 'OS user that runs the listener. Default: the owner of ORACLE_HOME (recorded at create).', pattern: /^[a-z_][a-z0-9_-]*\$?$/ }),
  listener: opt.string({ description: 'Listener name as in listener.ora.', default: 'LISTENER', pattern: /^[A-Za-z][A-Za-z0-9_]{0,63}$/ }),
  tnsAdmin: opt.string({ description: 'TNS_ADMIN: directory of listener.ora. Default: <home>/network/admin.', check: absolute('TNS_ADMIN directory') }),
});
export type Options = ReturnType<typeof options.parse>;
type Ctx = KitContext<Options>;

export const tunables = {
  LSNR_START_TIME: { kind: 'integer', default: 60, min: 1, description: 'Seconds lsnrctl start may take.' },
  LSNR_STATUS_TIME: { kind: 'integer', default: 15, min: 1, description: 'Seconds lsnrctl status may take; a listener that does not answer in time fails quickCheck.' },
  LSNR_STOP_TIME: { kind: 'integer', default: 60, min: 1, description: 'Seconds lsnrctl stop may take before the kit ends the tnslsnr process itself.' },
  LSNR_KILLPID_TIME: { kind: 'integer', default: 10, min: 0, description: 'Seconds between SIGTERM and SIGKILL of a tnslsnr process that does not stop.' },
} as const;

/** PIDs of tnslsnr processes serving `name` (cmdline "…/tnslsnr NAME -inherit"). */
export function listenerPids(name: string): number[] {
  const want = name.toUpperCase();
  return findProcesses((p) => {
    const argv = p.argv();
    return argv.some((a, i) => basename(a) === 'tnslsnr' && (argv[i + 1] ?? 'LISTENER').toUpperCase() === want);
  });
}

/** The TNS-/NL- error lines of lsnrctl output, for messages. */
export function tnsErrors(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => /^(TNS|NL)-\d{5}:/.test(l) || /^Linux Error:/.test(l));
}

export const completed = (text: string) => /The command completed successfully/.test(text);

function envOf(ctx: Ctx): Record<string, string> {
  const o = ctx.options;
  return {
    ORACLE_HOME: o.home,
    PATH: `${join(o.home, 'bin')}:${process.env.PATH ?? '/usr/bin:/bin'}`,
    LD_LIBRARY_PATH: join(o.home, 'lib'),
    NLS_LANG: 'AMERICAN_AMERICA.AL32UTF8',
    ...(o.tnsAdmin ? { TNS_ADMIN: o.tnsAdmin } : {}),
  };
}

async function userOf(ctx: Ctx): Promise<string> {
  if (ctx.options.user) return ctx.options.user;
  const uid = statSync(ctx.options.home).uid;
  const r = await ctx.exec('getent', ['passwd', String(uid)], { reject: false, timeoutMs: 5000 });
  const name = r.exitCode === 0 ? r.stdout.split(':')[0] : undefined;
  if (!name) throw new ConfigError(`cannot tell the owner of ${ctx.options.home} (uid ${uid})`, { field: 'user', fix: 'set user= to the Oracle software owner' });
  return name;
}

/** Runs `lsnrctl CMD NAME` as the owner. timedOut = the command did not finish in time. */
async function lsnrctl(ctx: Ctx, cmd: 'start' | 'stop' | 'status', timeoutS: number): Promise<{ exitCode: number; text: string; timedOut: boolean }> {
  const user = await userOf(ctx);
  try {
    const r = await ctx.exec(join(ctx.options.home, 'bin', 'lsnrctl'), [cmd, ctx.options.listener], { user, env: envOf(ctx), timeoutMs: timeoutS * 1000 });
    return { exitCode: r.exitCode ?? 1, text: r.stdout + r.stderr, timedOut: false };
  } catch (err) {
    if (!isCommandFailed(err)) throw err;
    const e = err.result;
    return { exitCode: e.exitCode ?? 1, text: `${e.stdout}${e.stderr}`, timedOut: e.timedOut };
  }
}

function checkBinary(ctx: Ctx): void {
  const file = join(ctx.options.home, 'bin', 'lsnrctl');
  try {
    statSync(file);
  } catch {
    throw new ConfigError(`lsnrctl not found: ${file} does not exist on ${ctx.server}`, { field: 'home', fix: 'correct home= (ORACLE_HOME), or mount the file system holding it first' });
  }
}

async function up(ctx: Ctx): Promise<boolean> {
  if (listenerPids(ctx.options.listener).length === 0) return false;
  const s = await lsnrctl(ctx, 'status', ctx.tunables.int('LSNR_STATUS_TIME'));
  return completed(s.text);
}

async function restore(ctx: Ctx): Promise<void> {
  checkBinary(ctx);
  const name = ctx.options.listener;
  if (await up(ctx)) {
    ctx.logger.info(`listener ${name} already running`);
    return;
  }
  const r = await lsnrctl(ctx, 'start', ctx.tunables.int('LSNR_START_TIME'));
  const errs = tnsErrors(r.text);
  if (r.timedOut) throw new ActionFailedError(`lsnrctl start ${name} did not finish within ${ctx.tunables.int('LSNR_START_TIME')} s`, { code: 'LISTENER_START_TIMEOUT', field: 'LSNR_START_TIME' });
  if (!completed(r.text) && !errs.some((e) => e.startsWith('TNS-01106'))) {
    throw new ActionFailedError(`lsnrctl start ${name} failed: ${errs.join(' | ') || r.text.trim().split('\n').slice(-2).join(' | ')}`, {
      code: 'LISTENER_START_FAILED',
      fix: errs.some((e) => /TNS-12542|TNS-00512|Error: 98/.test(e))
        ? 'another process holds the listener address: stop it, or fix the address in listener.ora'
        : errs.some((e) => e.startsWith('TNS-01151'))
          ? `add ${name} to listener.ora (TNS_ADMIN), or correct listener=`
          : 'run lsnrctl start as the Oracle owner to see the full output, and read the listener log',
    });
  }
  if (!(await waitUntil(() => up(ctx), { deadline: Date.now() + 5000, initialDelayMs: 250, factor: 1 }))) {
    throw new ActionFailedError(`listener ${name} was started but does not answer lsnrctl status`, { code: 'LISTENER_NOT_ANSWERING', fix: 'read the listener log (lsnrctl status shows where it is)' });
  }
}

async function remove(ctx: Ctx): Promise<void> {
  const name = ctx.options.listener;
  if (listenerPids(name).length === 0) {
    ctx.logger.info(`listener ${name} is not running`);
    return;
  }
  checkBinary(ctx);
  const r = await lsnrctl(ctx, 'stop', ctx.tunables.int('LSNR_STOP_TIME'));
  await waitUntil(() => listenerPids(name).length === 0, { deadline: Date.now() + 3000, initialDelayMs: 100, factor: 1 });
  const pids = listenerPids(name);
  if (pids.length) {
    const why = r.timedOut ? `lsnrctl stop did not finish within ${ctx.tunables.int('LSNR_STOP_TIME')} s` : tnsErrors(r.text).join(' | ') || 'lsnrctl stop left it running';
    ctx.logger.warn(`listener ${name} did not stop (${why}); sending SIGTERM to tnslsnr ${pids.join(', ')}`);
    await stopProcesses(pids, {
      graceMs: ctx.tunables.int('LSNR_KILLPID_TIME') * 1000,
      killWaitMs: 3000,
      alive: () => listenerPids(name),
      onKill: (rest) => ctx.logger.warn(`tnslsnr ${rest.join(', ')} survived SIGTERM for ${ctx.tunables.int('LSNR_KILLPID_TIME')} s; sending SIGKILL`),
    });
  }
  const left = listenerPids(name);
  if (left.length) throw new ActionFailedError(`listener ${name} (tnslsnr ${left.join(', ')}) is still running after lsnrctl stop, SIGTERM and SIGKILL`, { code: 'LISTENER_STOP_FAILED', fix: 'check the process state (ps -o pid,stat,wchan); the node may need a reboot' });
}

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const name = ctx.options.listener;
  if (listenerPids(name).length === 0) return { status: 'failed', reason: `no tnslsnr process for listener ${name}` };
  const s = await lsnrctl(ctx, 'status', ctx.tunables.int('LSNR_STATUS_TIME'));
  if (s.timedOut) return { status: 'failed', reason: `lsnrctl status ${name} did not answer within ${ctx.tunables.int('LSNR_STATUS_TIME')} s` };
  if (!completed(s.text)) return { status: 'failed', reason: `lsnrctl status ${name}: ${tnsErrors(s.text).join(' | ') || `exit ${s.exitCode}`}` };
  return { status: 'ok' };
}

async function create(ctx: Ctx) {
  checkBinary(ctx);
  const user = await userOf(ctx);
  return { options: { ...ctx.options, user } };
}

export default defineKit({
  meta: { name: '@recovery-kit/kit-oracle-listener', version: '0.1.0', kitType: 'oracle-listener', description: 'Oracle Net listener: lsnrctl start/stop/status' },
  options,
  actions: { create, restore, remove, quickCheck },
  tunables,
  timeouts: {},
});
