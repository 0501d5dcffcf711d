/**
 * The agent's monitor (and status), promote and demote: the path a promotion score follows.
 *
 * monitor = quickCheck at OCF_CHECK_LEVEL (`ctx.checkLevel`), with the kit's recover first when
 * local_recovery=true. Level 0 leans on what this node knows (it started the resource and has not
 * stopped it); when the node has no record of starting it (a probe after a reboot, ocf-tester's
 * first monitor) that knowledge is missing, so the check runs at least at level 10: once, to find
 * out where the resource is. A recurring monitor there (Pacemaker's role="Stopped" monitor) runs the
 * kit's health command first, when it has one (standby.ts).
 */
import { ocfMonitorCode, OcfCode, type CheckLevel, type KitContext, type QuickCheckResult } from '@recovery-kit/sdk';
import type { AgentInstance, Prepared } from './instance.ts';
import { hasRoles } from './metadata.ts';
import { readParams } from './params.ts';
import { publishPromotion } from './promotion.ts';
import { watchStandby } from './standby.ts';

/** What a monitor found, before it becomes an OCF code (a hook for promotion scores). */
export interface MonitorResult {
  check: QuickCheckResult;
  /** The check was made on a resource this node started. */
  started: boolean;
  promoted: boolean;
  level: CheckLevel;
  prepared?: Prepared;
}

export async function monitor(a: AgentInstance): Promise<number> {
  const r = await check(a);
  const agent = readParams(a.kit, a.env).agent;
  const rc =
    !r.started && r.check.status === 'failed'
      ? OcfCode.NOT_RUNNING
      : ocfMonitorCode({ status: r.check.status, promoted: r.promoted, degraded: agent.degraded });
  // A promotable clone publishes the kit's promotion score (promotion.ts); the result is unchanged.
  const prepared = r.prepared;
  const run = (fn: (ctx: KitContext<unknown>) => unknown) =>
    prepared ? a.call('score', prepared, fn) : Promise.reject(new Error('the instance could not be prepared here'));
  return publishPromotion({ kit: a.kit, env: a.env, logger: a.logger, rc, run });
}

/** The monitor's check (with local recovery), as a result; monitor() turns it into the exit code. */
export async function check(a: AgentInstance): Promise<MonitorResult> {
  const p = a.params();
  a.stage = 'action';
  const cached = a.cached();
  const stopped = { status: 'failed' as const, reason: `${a.instance} was stopped here` };
  if (cached?.phase === 'stopped') {
    await watchStandby(a, () => a.prepare(p, cached));
    return { check: stopped, started: false, promoted: false, level: a.checkLevel };
  }
  const started = cached?.phase === 'started';
  const level: CheckLevel = started ? a.checkLevel : (Math.max(a.checkLevel, 10) as CheckLevel);
  let prepared: Prepared;
  try {
    prepared = await a.prepare(p, cached);
  } catch (err) {
    // Not started here and cannot even be validated here (a program, a device, a child missing): not running.
    if (!started) {
      const reason = `${a.instance} cannot run here (${(err as Error).message.split('\n')[0]})`;
      a.logger.info(`monitor: ${reason}: not running`);
      return { check: { status: 'failed', reason }, started, promoted: false, level };
    }
    throw err;
  }
  // A node with no record of these parameters keeps the validation it just made (as validate-all
  // does), so the start that follows a probe, at failover, does not run the kit's create again.
  if (!cached || (cached.phase === 'validated' && cached.paramsHash !== prepared.hash)) a.save(prepared, 'validated');
  if (!started) await watchStandby(a, async () => prepared);
  let r = await a.quickCheck(prepared, level);
  const found = r.status === 'ok' ? r.role : undefined;
  const promoted = found === 'promoted' || (found === undefined && cached?.role === 'promoted');
  if (r.status === 'failed' && !started) {
    a.logger.info(`monitor: not running here: ${r.reason}`);
    return { check: r, started, promoted: false, level, prepared };
  }
  if (r.status === 'failed' && readParams(a.kit, a.env).agent.localRecovery && !a.probe) {
    a.logger.warn(`monitor: ${r.reason}; local recovery (local_recovery=true)`);
    try {
      await a.recoverHere(prepared);
      r = await a.quickCheck(prepared, level);
      if (r.status !== 'failed') a.logger.info(`monitor: local recovery succeeded`);
    } catch (err) {
      a.logger.error(`monitor: local recovery failed: ${(err as Error).message}`);
    }
  }
  if (r.status === 'failed') {
    a.reason(r.reason);
    a.logger.error(`monitor: ${r.reason}`);
  } else if (r.status === 'unknown') a.logger.warn(`monitor: could not tell: ${r.reason}`);
  return { check: r, started, promoted, level, prepared };
}

/** promote / demote, for kits with roles (both declared). */
export async function role(a: AgentInstance, action: 'promote' | 'demote'): Promise<number> {
  const fn: ((ctx: KitContext<unknown>) => Promise<void> | void) | undefined = a.kit.actions[action];
  if (!fn || !hasRoles(a.kit)) return OcfCode.ERR_UNIMPLEMENTED;
  const p = a.params();
  a.stage = 'action';
  const prepared = await a.prepare(p, a.cached());
  await a.call(action, prepared, (ctx) => fn(ctx));
  a.save(prepared, 'started', action === 'promote' ? 'promoted' : 'unpromoted');
  return OcfCode.SUCCESS;
}
