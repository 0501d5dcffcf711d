/**
 * The standby's recurring check in file mode. Seed 000 monitors the Openswan resource on the
 * active and the standby VPN node: the standby keeps its own tunnel up and recovers it locally.
 * So for a resource this node carries but does not hold (any state but ISP) whose kit has a
 * `health` command (kits/libreswan: check, local recovery, the node attribute under Pacemaker),
 * the monitor runs that command at the resource's check interval, as Pacemaker's role="Stopped"
 * monitor does under the agent (ocf/standby.ts). The result is logged and returned; it never
 * changes the resource's state here, and a failed health is not a failed resource (no
 * escalation, `monitor --once` still exits 0 for it): the active node reads it when it needs it.
 */
import type { Logger } from '@recovery-kit/sdk';
import { asKitError } from './action-runner.ts';
import type { Engine } from './engine.ts';
import type { StoreData } from './store.ts';
import { command } from './walks.ts';

/** The resources on `node` not in service there whose kit has a `health` command. */
export async function standbyTags(engine: Engine, data: StoreData, node: string, logger: Logger): Promise<string[]> {
  const out: string[] = [];
  for (const r of Object.values(data.resources)) {
    const here = r.servers[node];
    if (!here || here.state === 'ISP') continue;
    try {
      if ((await engine.kit(r.kit)).commands?.health) out.push(r.tag);
    } catch (err) {
      logger.debug(`${r.tag}: kit ${r.kit} does not load, no standby check: ${asKitError(err).message}`);
    }
  }
  return out.sort();
}

/** Runs the kit's health command for `tag` (under its hierarchy's reservation, as `kit-runner action TAG health` does). */
export async function checkStandby(engine: Engine, tag: string, logger: Logger): Promise<{ tag: string; result: 'standby'; health: string; reason?: string }> {
  try {
    const r = await command(engine, tag, 'health', []);
    const o = (r !== null && typeof r === 'object' ? r : {}) as { health?: unknown; detail?: unknown };
    const health = typeof o.health === 'string' ? o.health : 'unknown';
    const detail = typeof o.detail === 'string' ? o.detail : JSON.stringify(r ?? null);
    (health === 'failed' ? logger.warn : logger.info).call(
      logger,
      `${tag}: not in service here; the standby's health check says ${health}: ${detail.slice(0, 300)}`,
    );
    return { tag, result: 'standby', health, reason: detail };
  } catch (err) {
    const why = asKitError(err).message;
    logger.warn(`${tag}: not in service here; the standby's health check did not run: ${why}`);
    return { tag, result: 'standby', health: 'unknown', reason: why };
  }
}
