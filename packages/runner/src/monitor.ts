/**
 * The monitor: every interval, quickCheck each resource in service (ISP) on this node; on
 * failure run recover once (remove then restore for a kit without recover); when that fails (or
 * LOCAL_RECOVERY=0) mark
 * the resource OSF and start the escalation command. A hierarchy busy with an action is skipped
 * for this round. Checks of one round run concurrently (bounded), so kits can share one API call
 * among resources (e.g. one DescribeRouteTables per VPC). A resource this node carries but does
 * not hold, whose kit has a `health` command (a tunnel's standby VPN node), gets that command at
 * the same interval instead (monitor-standby.ts).
 *
 * In cluster mode (KIT_RUNNER_STORE=cib) Pacemaker runs the monitor operations and the recovery of
 * every resource: this monitor then watches none (it would otherwise restore, behind Pacemaker's
 * back, what the local file store still remembers as in service here).
 */
import { splitArgs, type Logger } from '@recovery-kit/sdk';
import { asKitError } from './action-runner.ts';
import type { Engine } from './engine.ts';
import { createExec, quoteArg } from './exec.ts';
import { hierarchyKey, restoreOrder } from './hierarchy.ts';
import { tryReserve } from './reservation.ts';
import { clearUnknown, markState, markUnknown } from './state.ts';
import type { StoreData } from './store.ts';
import { classifyCheckError, quickCheck, recoverReserved } from './walks.ts';
import { checkStandby, standbyTags } from './monitor-standby.ts';

export interface CheckOutcome {
  tag: string;
  /** `standby`: not in service here, the kit's health command ran (monitor-standby.ts). */
  result: 'ok' | 'unknown' | 'recovered' | 'failed' | 'skipped' | 'standby';
  reason?: string;
  escalated?: boolean;
  /** For `standby`: what the health command said (healthy, recovered, failed, unknown). */
  health?: string;
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
  /** Hierarchies being checked now (the running monitor does not wait for one before the others). */
  private readonly inFlight = new Map<string, Promise<void>>();
  private readonly inFlightTags = new Set<string>();
  /** Checks made of each resource since the monitor started (which of them run at level 20). */
  private readonly rounds = new Map<string, number>();
  /** After a pass that could not start (a broken store or tunables file): no new attempt before this. */
  private quietUntil = 0;
  private lastInterval = 120;
  private toldClusterMode = false;

  constructor(engine: Engine) {
    this.engine = engine;
    this.logger = engine.logger.child('monitor');
  }

  /** One pass over the resources that are due (all of them when `all`). Returns what happened. */
  async pass(all = false): Promise<CheckOutcome[]> {
    const now = Date.now();
    if (process.env.KIT_RUNNER_STORE === 'cib') {
      if (!this.toldClusterMode)
        this.logger.warn('cluster mode (KIT_RUNNER_STORE=cib): Pacemaker monitors and recovers the resources, kit-runner monitor watches none');
      this.toldClusterMode = true;
      return [];
    }
    if (!all && now < this.quietUntil) return [];
    let tunables;
    let data;
    try {
      // The tunables file is read once per pass, so a running monitor sees an operator's change.
      tunables = this.engine.reloadTunables();
      data = this.engine.store.read();
      this.lastInterval = tunables.view().int('LKCHECKINTERVAL');
    } catch (err) {
      // One error per interval (the caller logs it), not one per wake-up: the file stays broken until someone fixes it.
      this.quietUntil = now + this.lastInterval * 1000;
      throw err;
    }
    this.quietUntil = 0;
    const node = this.engine.node;
    const core = tunables.view();
    const candidates = Object.values(data.resources)
      .filter((r) => r.servers[node]?.state === 'ISP')
      .map((r) => r.tag)
      .filter((t) => all || (this.due.get(t) ?? 0) <= now);
    const standby = await standbyTags(this.engine, data, node, this.logger);
    const standbyDue = standby.filter((t) => all || (this.due.get(t) ?? 0) <= now);
    const outcomes: CheckOutcome[] = [];
    const intervalOf = async (tag: string) => {
      try {
        const kit = await this.engine.kit(data.resources[tag]!.kit);
        if (kit.checkIntervalTunable) return tunables.view(kit, tag).int(kit.checkIntervalTunable);
      } catch {
        /* reported by the check */
      }
      return core.int('LKCHECKINTERVAL');
    };
    // One worker per hierarchy: its resources are checked in turn under one reservation,
    // children before parents (a recovered child is in place before its parent is judged).
    const groups = new Map<string, string[]>();
    for (const tag of candidates) {
      const key = hierarchyKey(data, tag);
      groups.set(key, [...(groups.get(key) ?? []), tag]);
    }
    const checkGroup = async ([key, tags]: [string, string[]]): Promise<void> => {
      const ordered = restoreOrderOf(data, tags);
      for (const tag of ordered) this.due.set(tag, now + (await intervalOf(tag)) * 1000);
      const lock = await tryReserve(this.engine, key, `monitor ${key}`);
      if (!lock) {
        this.logger.debug(`${key}: hierarchy busy with an action, checked next round`);
        for (const tag of ordered) {
          // Tried again in a second, not at once (an action may hold it for minutes).
          this.due.set(tag, now + 1000);
          outcomes.push({ tag, result: 'skipped', reason: 'busy' });
        }
        return;
      }
      try {
        for (const tag of ordered) outcomes.push(await this.check(tag));
      } finally {
        lock.release();
      }
    };
    const checkStandbyTag = async (tag: string) => {
      this.due.set(tag, now + (await intervalOf(tag)) * 1000);
      outcomes.push(await checkStandby(this.engine, tag, this.logger));
    };
    if (all) {
      await pool([...groups.entries()], CONCURRENCY, checkGroup);
      await pool(standbyDue, CONCURRENCY, checkStandbyTag);
    } else {
      for (const tag of standbyDue) {
        const key = `standby ${tag}`;
        if (this.inFlight.has(key) || this.inFlight.size >= CONCURRENCY) continue;
        this.inFlightTags.add(tag);
        const job = checkStandbyTag(tag).finally(() => {
          this.inFlight.delete(key);
          this.inFlightTags.delete(tag);
        });
        this.inFlight.set(key, job);
      }
      // Each hierarchy on its own: one whose check hangs (up to its own timeout) delays no other;
      // it is not started again while it is still under way.
      for (const group of groups.entries()) {
        const key = group[0];
        if (this.inFlight.has(key) || this.inFlight.size >= CONCURRENCY) continue;
        for (const t of group[1]) this.inFlightTags.add(t);
        const job = checkGroup(group)
          .catch((err) => this.logger.error(`${key}: check failed to run: ${asKitError(err).message}`))
          .finally(() => {
            this.inFlight.delete(key);
            for (const t of group[1]) this.inFlightTags.delete(t);
          });
        this.inFlight.set(key, job);
      }
    }
    for (const t of [...this.due.keys()])
      if (!candidates.includes(t) && !standby.includes(t) && data.resources[t]?.servers[node]?.state !== 'ISP') this.due.delete(t);
    return outcomes;
  }

  /** Waits for the checks under way (the running monitor, before it exits). */
  async drain(): Promise<void> {
    await Promise.all([...this.inFlight.values()]);
  }

  /** Milliseconds until the next resource is due (capped). */
  nextDelay(cap = 1000): number {
    const now = Date.now();
    if (now < this.quietUntil) return Math.min(cap, this.quietUntil - now);
    let min = cap;
    for (const [tag, t] of this.due) if (!this.inFlightTags.has(tag)) min = Math.min(min, Math.max(0, t - now));
    return min;
  }

  /** Checks one resource; the caller holds its hierarchy's reservation. */
  private async check(tag: string): Promise<CheckOutcome> {
    // Read under the reservation: an action may have changed the hierarchy since the pass began.
    const data = this.engine.store.read();
    if (data.resources[tag]?.servers[this.engine.node]?.state !== 'ISP') return { tag, result: 'skipped', reason: 'no longer in service' };
    const node = this.engine.node;
    let r: { status: 'ok' | 'failed' | 'unknown'; reason?: string | undefined; durationMs: number };
    try {
      r = await quickCheck(this.engine, tag, data, this.depth(tag));
    } catch (err) {
      // The check could not even start (its kit does not load, the store names a child that is gone).
      r = { ...classifyCheckError(err), durationMs: 0 };
    }
    if (r.status === 'ok') {
      clearUnknown(this.engine.store, data, tag, node);
      this.logger.debug(`${tag}: healthy (${r.durationMs} ms)`);
      return { tag, result: 'ok' };
    }
    const record = data.resources[tag]!;
    const limit = this.engine.tunables.view(undefined, tag).int('UNKNOWN_LIMIT');
    if (r.status === 'unknown') {
      const run = markUnknown(this.engine.store, data, tag, node, r.reason ?? 'no reason given');
      if (run.count < limit) {
        this.logger.warn(`${tag}: quickCheck could not tell (${run.count} of ${limit} in a row, since ${run.since}), resource stays in service: ${r.reason}`);
        this.engine.store.history({ event: 'monitor', tag, server: node, outcome: 'unknown', count: run.count, reason: r.reason });
        return { tag, result: 'unknown', reason: r.reason };
      }
      r = {
        status: 'failed',
        reason: `quickCheck could not tell ${run.count} times in a row since ${run.since} (UNKNOWN_LIMIT=${limit}): ${r.reason}`,
        durationMs: r.durationMs,
      };
    }
    this.logger.warn(`${tag}: quickCheck failed: ${r.reason}`);
    let kit;
    try {
      kit = await this.engine.kit(record.kit);
    } catch (err) {
      const why = `quickCheck failed and kit ${record.kit} cannot be loaded to recover it: ${asKitError(err).message}`;
      markState(this.engine.store, data, { tag, server: node, action: 'monitor', state: 'OSF', reason: why, history: { outcome: 'failed', reason: why } });
      return { tag, result: 'failed', reason: why, escalated: await this.escalate(tag, record.kit, why) };
    }
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
    markState(this.engine.store, data, {
      tag,
      server: this.engine.node,
      action: 'monitor',
      state: 'OSF',
      reason: why,
      history: { outcome: 'failed', reason: why },
    });
    return { tag, result: 'failed', reason: why, escalated: await this.escalate(tag, record.kit, why) };
  }

  /** Starts ESCALATION_COMMAND (split into arguments like a command line, quotes group; never a shell). */
  /** Level 20 on the first round and every DEEP_CHECK_EVERY-th after it, level 10 between. */
  private depth(tag: string): 10 | 20 {
    const n = this.rounds.get(tag) ?? 0;
    this.rounds.set(tag, n + 1);
    return n % this.engine.tunables.view(undefined, tag).int('DEEP_CHECK_EVERY') === 0 ? 20 : 10;
  }

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
