/**
 * The Oracle listener kit's actions: protects one named Oracle Net listener (lsnrctl) on a node, like
 * LifeKeeper's "Oracle Database Listener" resource.
 *
 * - restore: `lsnrctl status NAME`; when it does not answer, `lsnrctl start NAME` (TNS-01106
 *   "already been started" is success), then status must answer.
 * - remove: `lsnrctl stop NAME`, then verify: no tnslsnr process for NAME and status refuses.
 *   A listener that refuses to stop (or whose stop times out) gets SIGTERM, and after
 *   LSNR_KILLPID_TIME seconds SIGKILL. Already stopped = success.
 * - quickCheck ({@link checkLevels}): the tnslsnr process (from /proc, no program run); at check
 *   level 20 (kit-runner's own monitor and actions) then `lsnrctl status NAME` within
 *   LSNR_STATUS_TIME seconds.
 * - recover: none here; the runner's default (remove, then restore).
 */
import { ActionFailedError, type QuickCheckResult } from '@recovery-kit/sdk';
import { stopProcesses, waitUntil } from '@recovery-kit/sdk/util';
import { checkBinary, completed, listenerPids, lsnrctl, tnsErrors, up, userOf } from './lsnrctl.ts';
import type { Ctx } from './options.ts';

async function restore(ctx: Ctx): Promise<void> {
  checkBinary(ctx);
  const name = ctx.options.listener;
  if (await up(ctx)) {
    ctx.logger.info(`listener ${name} already running`);
    return;
  }
  const r = await lsnrctl(ctx, 'start', ctx.tunables.int('LSNR_START_TIME'));
  const errs = tnsErrors(r.text);
  if (r.timedOut)
    throw new ActionFailedError(`lsnrctl start ${name} did not finish within ${ctx.tunables.int('LSNR_START_TIME')} s`, {
      code: 'LISTENER_START_TIMEOUT',
      field: 'LSNR_START_TIME',
    });
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
    throw new ActionFailedError(`listener ${name} was started but does not answer lsnrctl status`, {
      code: 'LISTENER_NOT_ANSWERING',
      fix: 'read the listener log (lsnrctl status shows where it is)',
    });
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
    const why = r.timedOut
      ? `lsnrctl stop did not finish within ${ctx.tunables.int('LSNR_STOP_TIME')} s`
      : tnsErrors(r.text).join(' | ') || 'lsnrctl stop left it running';
    ctx.logger.warn(`listener ${name} did not stop (${why}); sending SIGTERM to tnslsnr ${pids.join(', ')}`);
    await stopProcesses(pids, {
      graceMs: ctx.tunables.int('LSNR_KILLPID_TIME') * 1000,
      killWaitMs: 3000,
      alive: () => listenerPids(name),
      onKill: (rest) => ctx.logger.warn(`tnslsnr ${rest.join(', ')} survived SIGTERM for ${ctx.tunables.int('LSNR_KILLPID_TIME')} s; sending SIGKILL`),
    });
  }
  const left = listenerPids(name);
  if (left.length)
    throw new ActionFailedError(`listener ${name} (tnslsnr ${left.join(', ')}) is still running after lsnrctl stop, SIGTERM and SIGKILL`, {
      code: 'LISTENER_STOP_FAILED',
      fix: 'check the process state (ps -o pid,stat,wchan); the node may need a reboot',
    });
}

/** What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it); no cloud part, so 10 is 0. */
export const checkLevels = {
  0: 'local, no program run: a tnslsnr process for the listener name lives (/proc). Proves the listener has not died; not that it answers.',
  20: 'as 0, then lsnrctl status NAME (LSNR_STATUS_TIME) must end in "The command completed successfully": the listener answers on its address.',
} as const;

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const name = ctx.options.listener;
  if (listenerPids(name).length === 0) return { status: 'failed', reason: `no tnslsnr process for listener ${name}` };
  if (ctx.checkLevel < 20) return { status: 'ok', detail: `tnslsnr ${name} runs (check level ${ctx.checkLevel}: no lsnrctl status)` };
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

export const actions = { create, restore, remove, quickCheck };
