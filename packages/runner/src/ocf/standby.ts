/**
 * The standby's health check: Pacemaker runs a monitor only where the resource is started,
 * except a monitor operation with `role="Stopped"`, which it runs on the other nodes and which
 * expects 7 (not running). `cluster apply` gives a resource whose kit has a `health` command
 * (it publishes the node attribute `rk-health-<tag>`, kits/libreswan) such a monitor
 * (cluster/health.ts). Pacemaker runs it as a recurring monitor with OCF_RESKEY_CRM_meta_role=Stopped
 * (and CRM_meta_op_target_rc=7). There, on a node with no record of starting the resource (or one
 * that stopped it), the agent runs the kit's health command first; the monitor's result is what it
 * was without it: 7 unless quickCheck finds the resource held here. Probes (interval 0),
 * ocf-tester (interval 10000, no role) and the Started monitor never run it; a health command
 * that fails is logged and changes nothing.
 */
import type { AgentInstance, Prepared } from './instance.ts';

/** Pacemaker's role="Stopped" monitor: recurring (OCF_RESKEY_CRM_meta_interval above 0), for the Stopped role. */
export function isStoppedRoleMonitor(env: NodeJS.ProcessEnv): boolean {
  const ms = Number(env.OCF_RESKEY_CRM_meta_interval);
  return Number.isFinite(ms) && ms > 0 && env.OCF_RESKEY_CRM_meta_role === 'Stopped';
}

/** On a node where the resource is not started: the kit's health command, for the Stopped-role monitor. */
export async function watchStandby(a: AgentInstance, prepare: () => Promise<Prepared>): Promise<void> {
  const health = a.kit.commands?.health;
  if (!health || a.action !== 'monitor' || !isStoppedRoleMonitor(a.env)) return;
  try {
    const prepared = await prepare();
    const r = await a.call('health', prepared, (ctx) => health.run(ctx as never, []));
    const text = r !== null && typeof r === 'object' && 'health' in r ? String((r as { health: unknown }).health) : JSON.stringify(r ?? null);
    a.logger.info(`monitor: not started here: the standby's health check says ${text.slice(0, 200)}`);
  } catch (err) {
    a.logger.warn(`monitor: not started here: the health check failed: ${(err as Error).message.split('\n')[0]}`);
  }
}
