/**
 * The monitor: every interval, quickCheck each resource in service (ISP) on this node; on
 * failure run recover once (remove then restore for a kit without recover); when that fails (or
 * LOCAL_RECOVERY=0) mark
 * the resource OSF and start the escalation command. A hierarchy busy with an action is skipped
 * for this round. Checks of one round run concurrently (bounded), so kits can share one API call
 * among resources (e.g. one DescribeRouteTables per VPC).
 */
import { splitArgs, type Logger } from '@recovery-kit/sdk';
import { asKitError } from './action-runner.ts';
import type { Engine } from './engine.ts';
import { createExec, quoteArg } from './exec.ts';
import { hierarchyKey, restoreOrder } from './hierarchy.ts';
import { tryReserve } from './reservation.ts';
import { markState } from './state.ts';
import type { StoreData } from './store.ts';
import { quickCheck, recoverReserved } from './walks.ts';

export interface CheckOutcome {
  tag: string;
  result: 'ok' | 'unknown' | 'recovered' | 'failed' | 'skipped';
  reason?: string;
  escalated?: boolean;
}

const CONCURRENCY = 16;

/** `tags` ordered children first, as a restore would walk them. */
function restoreOrderOf(data: StoreData, tags: string[]): string[] {
  const want = new Set(tags);
  const out: string[] = [];
  for (const t of [...tags].sort()) for (const x of restoreOrder(data, t)) if (want.has(x) && !out.includes(x)) out.push(x);
  return out;
}

async function pool<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) {
      const item = items[next++]!;
      await fn(item);
    }
  });
  await Promise.all(workers);
}

export class Monitor {
  readonly engine: Engine;
  readonly logger: Logger;
  private readonly due = new Map<string, number>();

  constructor(engine: Engine) {
    this.engine = engine;
    this.logger = engine.logger.child('monitor');
  }

  /** One pass over the resources that are due (all of them when `all`). Returns what happened. */
  async pass(all = false): Promise<CheckOutcome[]> {
    // The tunables file is read once per pass, so a running monitor sees an operator's change.
    const tunables = this.engine.reloadTunables();
    const data = this.engine.store.read();
    const node = this.engine.node;
    const now = Date.now();
    const core = tunables.view();
    const candidates = Object.values(data.resources)
      .filter((r) => r.servers[node]?.state === 'ISP')
      .map((r) => r.tag)
      .filter((t) => all || (this.due.get(t) ?? 0) <= now);
    const outcomes: CheckOutcome[] = [];
    // One worker per hierarchy: its resources are checked in turn under one reservation,
    // children before parents (a recovered child is in place before its parent is judged).
    const groups = new Map<string, string[]>();
    for (const tag of candidates) {
      const key = hierarchyKey(data, tag);
      groups.set(key, [...(groups.get(key) ?? []), tag]);
    }
    await pool([...groups.entries()], CONCURRENCY, async ([key, tags]) => {
      const ordered = restoreOrderOf(data, tags);
      for (const tag of ordered) {
        let interval = core.int('LKCHECKINTERVAL');
        try {
          const kit = await this.engine.kit(data.resources[tag]!.kit);
          if (kit.checkIntervalTunable) interval = tunables.view(kit, tag).int(kit.checkIntervalTunable);
        } catch {
          /* reported by the check */
        }
        this.due.set(tag, now + interval * 1000);
      }
      const lock = await tryReserve(this.engine, key, `monitor ${key}`);
      if (!lock) {
        this.logger.debug(`${key}: hierarchy busy with an action, checked next round`);
        for (const tag of ordered) {
          this.due.set(tag, now);
          outcomes.push({ tag, result: 'skipped', reason: 'busy' });
        }
        return;
      }
      try {
        for (const tag of ordered) outcomes.push(await this.check(tag));
      } finally {
        lock.release();
      }
    });
    for (const t of [...this.due.keys()]) if (!candidates.includes(t) && data.resources[t]?.servers[node]?.state !== 'ISP') this.due.delete(t);
    return outcomes;
  }

  /** Milliseconds until the next resource is due (capped). */
  nextDelay(cap = 1000): number {
    const now = Date.now();
    let min = cap;
    for (const t of this.due.values()) min = Math.min(min, Math.max(0, t - now));
    return min;
  }

  /** Checks one resource; the caller holds its hierarchy's reservation. */
  private async check(tag: string): Promise<CheckOutcome> {
    // Read under the reservation: an action may have changed the hierarchy since the pass began.
    const data = this.engine.store.read();
    if (data.resources[tag]?.servers[this.engine.node]?.state !== 'ISP') return { tag, result: 'skipped', reason: 'no longer in service' };
    let r;
    try {
      r = await quickCheck(this.engine, tag, data);
    } catch (err) {
      r = { status: 'failed' as const, reason: asKitError(err).message, durationMs: 0 };
    }
    if (r.status === 'ok') {
      this.logger.debug(`${tag}: healthy (${r.durationMs} ms)`);
      return { tag, result: 'ok' };
    }
    if (r.status === 'unknown') {
      this.logger.warn(`${tag}: quickCheck could not tell, resource stays in service: ${r.reason}`);
      return { tag, result: 'unknown', reason: r.reason };
    }
    this.logger.warn(`${tag}: quickCheck failed: ${r.reason}`);
    const record = data.resources[tag]!;
    const kit = await this.engine.kit(record.kit);
    const local = this.engine.tunables.view(kit, tag).bool('LOCAL_RECOVERY');
    if (local) {
      this.logger.info(`${tag}: local recovery started`);
      try {
        await recoverReserved(this.engine, data, tag);
        this.logger.info(`${tag}: local recovery succeeded`);
        return { tag, result: 'recovered', reason: r.reason };
      } catch (err) {
        const why = asKitError(err).message;
        this.logger.error(`${tag}: local recovery failed: ${why}`);
        return { tag, result: 'failed', reason: why, escalated: await this.escalate(tag, record.kit, `recover failed: ${why}`) };
      }
    }
    const why = `quickCheck failed (LOCAL_RECOVERY=0): ${r.reason}`;
    markState(this.engine.store, data, { tag, server: this.engine.node, action: 'monitor', state: 'OSF', reason: why, history: { outcome: 'failed', reason: why } });
    return { tag, result: 'failed', reason: why, escalated: await this.escalate(tag, record.kit, why) };
  }

  /** Starts ESCALATION_COMMAND (split into arguments like a command line, quotes group; never a shell). */
  private async escalate(tag: string, kit: string, reason: string): Promise<boolean> {
    const t = this.engine.tunables.view(undefined, tag);
    const command = t.string('ESCALATION_COMMAND').trim();
    this.engine.store.history({ event: 'escalate', tag, reason, command: command || null });
    if (!command) {
      this.logger.error(`${tag}: out of service (OSF): ${reason}; no ESCALATION_COMMAND is set, nothing else happens`);
      return false;
    }
    let argv: string[];
    try {
      argv = splitArgs(command);
    } catch (err) {
      this.logger.error(`${tag}: ESCALATION_COMMAND cannot be read: ${(err as Error).message}`);
      return false;
    }
    this.logger.error(`${tag}: escalating: ${argv.map(quoteArg).join(' ')}`);
    const controller = new AbortController();
    const seconds = t.int('ESCALATION_TIMEOUT');
    const exec = createExec({ logger: this.logger, signal: controller.signal, deadline: Date.now() + seconds * 1000 });
    const r = await exec(argv[0]!, argv.slice(1), {
      reject: false,
      env: { KIT_RUNNER_TAG: tag, KIT_RUNNER_KIT: kit, KIT_RUNNER_REASON: reason, KIT_RUNNER_NODE: this.engine.node },
    });
    if (r.exitCode !== 0) this.logger.error(`${tag}: escalation command failed: exit ${r.exitCode}: ${r.stderr.trim().slice(-300)}`);
    return r.exitCode === 0;
  }
}
