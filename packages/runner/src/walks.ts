/**
 * The walks: restore brings a hierarchy into service children first, remove takes it out
 * parents first, each stopping at the first failure; recover repairs one resource; quickCheck
 * probes one; and a kit's own named actions. Each reads the store once, under its reservation,
 * plans from that snapshot, and records one state change per store write (state.ts).
 */
import { ExitCode, KitError, UnsupportedActionError, withOrigin, type CheckLevel, type Kit, type QuickCheckResult } from '@recovery-kit/sdk';
import { asKitError, callKit, createActionContext, runAction } from './action-runner.ts';
import { elapsedMs, monotonicMs } from './clock.ts';
import type { Engine } from './engine.ts';
import { requireGrant } from './cluster/grant.ts';
import { need, needOn } from './engine-need.ts';
import { ancestors, removeOrder, restoreOrder } from './hierarchy.ts';
import { reserve } from './reservation.ts';
import { markPending, markState } from './state.ts';
import type { StoreData } from './store.ts';

export interface StepReport {
  tag: string;
  server: string;
  action: string;
  outcome: 'ok' | 'skipped' | 'failed';
  durationMs: number;
  detail?: string;
}

type Note = (s: StepReport) => void;

/** A walk that stopped at a failure: the failure, with the steps done before it. */
export class ActionError extends KitError {
  readonly steps: StepReport[];
  constructor(inner: KitError, steps: StepReport[]) {
    super(inner.message, {
      code: inner.code,
      exitCode: inner.exitCode,
      fix: inner.fix,
      field: inner.field,
      cause: inner,
      details: { ...inner.details, steps },
    });
    this.name = 'ActionError';
    this.steps = steps;
    if (inner.origin) withOrigin(this, inner.origin);
  }
}

/**
 * Runs `action` (restore, remove or recover) of one resource on one server and records the
 * state it ends in. A context that cannot be built (stored options no longer valid) throws
 * before anything is recorded.
 */
async function step(
  engine: Engine,
  data: StoreData,
  kit: Kit,
  tag: string,
  server: string,
  action: 'restore' | 'remove' | 'recover',
  steps: StepReport[],
  note?: Note,
): Promise<void> {
  const started = monotonicMs();
  const { store } = engine;
  // Built first: a context that cannot be built throws before anything is recorded.
  const a = createActionContext(kit, action, engine.actionRun(data, tag, server));
  try {
    markPending(store, data, tag, server, action);
  } catch (err) {
    a.dispose();
    throw err;
  }
  try {
    await callKit(kit, action, a);
  } catch (err) {
    const e = asKitError(err);
    const report: StepReport = { tag, server, action, outcome: 'failed', durationMs: elapsedMs(started), detail: e.message };
    steps.push(report);
    note?.(report);
    markState(store, data, { tag, server, action, state: 'OSF', reason: `${action} failed: ${e.message}`, history: { outcome: 'failed', reason: e.message } });
    throw e;
  }
  const report: StepReport = { tag, server, action, outcome: 'ok', durationMs: elapsedMs(started) };
  steps.push(report);
  note?.(report);
  const [state, reason] = action === 'remove' ? (['OSU', 'removed'] as const) : (['ISP', action === 'restore' ? 'restored' : 'recovered'] as const);
  markState(store, data, { tag, server, action, state, reason, history: { outcome: 'ok', durationMs: report.durationMs } });
}

/**
 * Brings `tag` and everything it depends on into service on this node, children first,
 * skipping what is already in service. A resource in service on another server is first
 * taken out of service there (with everything above it), so it is never active twice.
 */
export async function restore(engine: Engine, tag: string, options: { note?: Note } = {}): Promise<StepReport[]> {
  const steps: StepReport[] = [];
  const node = engine.node;
  const { data, release } = await reserve(engine, [tag], `restore ${tag}`);
  try {
    need(data, tag);
    const order = restoreOrder(data, tag);
    for (const t of order) needOn(data, t, node, `extend it first: kit-runner extend ${t} --server ${node} --priority <n>`);
    // Into another region only with the operator's grant (cluster/ticket.ts); refused before anything runs.
    requireGrant(data, tag, node, engine.settings.stateDir);
    const todo = order.filter((t) => data.resources[t]!.servers[node]!.state !== 'ISP');
    const skipped = new Map<string, StepReport>();
    for (const t of order) {
      if (todo.includes(t)) continue;
      const report: StepReport = { tag: t, server: node, action: 'restore', outcome: 'skipped', durationMs: 0, detail: 'already in service' };
      skipped.set(t, report);
      steps.push(report);
    }
    const kits = new Map<string, Kit>();
    for (const t of order) kits.set(t, await engine.kit(data.resources[t]!.kit));
    const peers = new Set(todo.flatMap((t) => Object.keys(data.resources[t]!.servers)).filter((s) => s !== node));
    for (const peer of [...peers].sort()) {
      const held = todo.filter((t) => data.resources[t]!.servers[peer]?.state === 'ISP');
      if (!held.length) continue;
      const set = new Set(held);
      for (const t of held) for (const a of ancestors(data, t)) if (data.resources[a]!.servers[peer]?.state === 'ISP') set.add(a);
      engine.logger.info(`taking ${[...set].join(', ')} out of service on ${peer} before restoring on ${node}`);
      for (const t of removeOrder(data, set)) {
        try {
          await step(engine, data, kits.get(t) ?? (await engine.kit(data.resources[t]!.kit)), t, peer, 'remove', steps, options.note);
        } catch (err) {
          const e = asKitError(err);
          const peerFailed = new KitError(
            `cannot take ${t} out of service on ${peer}: ${e.message}; not restoring on ${node}, so that it is never active twice`,
            {
              code: 'PEER_REMOVE_FAILED',
              fix: `make sure ${t} is down on ${peer}, then run "kit-runner action ${t} remove --node ${peer}"`,
              cause: e,
            },
          );
          throw new ActionError(e.origin ? withOrigin(peerFailed, e.origin) : peerFailed, steps);
        }
      }
    }
    // In the walk's order: a skipped resource is noted where the walk passes it.
    for (const t of order) {
      const skip = skipped.get(t);
      if (skip) {
        options.note?.(skip);
        continue;
      }
      try {
        await step(engine, data, kits.get(t)!, t, node, 'restore', steps, options.note);
      } catch (err) {
        throw new ActionError(asKitError(err), steps);
      }
    }
    return steps;
  } finally {
    release();
  }
}

/** Takes `tag` and everything that depends on it out of service on this node, parents first. */
export async function remove(engine: Engine, tag: string, options: { force?: boolean; note?: Note } = {}): Promise<StepReport[]> {
  const steps: StepReport[] = [];
  const node = engine.node;
  const { data, release } = await reserve(engine, [tag], `remove ${tag}`);
  try {
    needOn(data, tag, node);
    const set = new Set([tag, ...[...ancestors(data, tag)].filter((a) => data.resources[a]!.servers[node])]);
    for (const t of removeOrder(data, set)) {
      if (data.resources[t]!.servers[node]!.state === 'OSU' && !options.force) {
        const report: StepReport = { tag: t, server: node, action: 'remove', outcome: 'skipped', durationMs: 0, detail: 'already out of service' };
        steps.push(report);
        options.note?.(report);
        continue;
      }
      try {
        await step(engine, data, await engine.kit(data.resources[t]!.kit), t, node, 'remove', steps, options.note);
      } catch (err) {
        throw new ActionError(asKitError(err), steps);
      }
    }
    return steps;
  } finally {
    release();
  }
}

/**
 * Runs quickCheck of one resource on this node. Read-only: it writes nothing, so it takes no
 * reservation (a check may run while another command holds the hierarchy, as the monitor's do).
 * `data` is the snapshot of a caller that holds the reservation (the monitor).
 */
export async function quickCheck(
  engine: Engine,
  tag: string,
  data: StoreData = engine.store.read(),
  checkLevel?: CheckLevel,
): Promise<QuickCheckResult & { durationMs: number; invalidAnswer?: true }> {
  const r = needOn(data, tag, engine.node);
  const kit = await engine.kit(r.kit);
  const started = monotonicMs();
  if (!kit.actions.quickCheck) throw UnsupportedActionError.of(r.kit, 'quickCheck');
  let result: QuickCheckResult & { invalidAnswer?: true };
  try {
    const answer: unknown = await runAction(
      kit,
      'quickCheck',
      { ...engine.actionRun(data, tag, engine.node), ...(checkLevel !== undefined ? { checkLevel } : {}) },
      (ctx) => kit.actions.quickCheck!(ctx),
    );
    result = checkAnswer(answer, r.kit);
  } catch (err) {
    result = classifyCheckError(err);
  }
  return { ...result, durationMs: elapsedMs(started) };
}

const STATUSES = new Set(['ok', 'failed', 'unknown']);

/**
 * A kit's quickCheck answer, checked: anything but { status: ok | failed | unknown } is unknown
 * (the monitor leaves the resource alone), saying what came back, and flagged `invalidAnswer`
 * (a one-shot `action TAG quickCheck` exits 1: a bug in the kit is not an answer).
 */
function checkAnswer(answer: unknown, kitType: string): QuickCheckResult & { invalidAnswer?: true } {
  if (answer === undefined) return { status: 'ok' };
  const status = (answer as { status?: unknown } | null)?.status;
  if (typeof answer === 'object' && answer !== null && typeof status === 'string' && STATUSES.has(status)) {
    const reason = (answer as { reason?: unknown }).reason;
    return {
      ...(answer as QuickCheckResult),
      ...(status !== 'ok' && typeof reason !== 'string' ? { reason: `quickCheck said ${status} without a reason` } : {}),
    };
  }
  const shown = typeof status === 'string' ? JSON.stringify(status.slice(0, 40)) : typeof answer === 'object' && answer !== null ? 'no status' : typeof answer;
  return {
    status: 'unknown',
    reason: `kit ${kitType}'s quickCheck gave an invalid answer (${shown}; expected status ok, failed or unknown): a bug in the kit`,
    invalidAnswer: true,
  };
}

/**
 * What a quickCheck that threw means. Unknown (could not tell; the resource stays in service)
 * when the check itself could not run: its own timeout, invalid configuration (a password file
 * with the wrong mode), a damaged store, a busy or retryable condition. Failed otherwise (the
 * kit found the resource broken), and for missing or refused credentials: no later round can
 * tell either, so the operator must hear of it now.
 */
export function classifyCheckError(err: unknown): QuickCheckResult {
  const e = asKitError(err);
  const reason = e.fix ? `${e.message} (fix: ${e.fix})` : e.message;
  if (e.code === 'PERMISSION_DENIED') return { status: 'failed', reason };
  const unknownCodes = new Set(['TIMEOUT', 'COMMAND_TIMEOUT', 'INVALID_CONFIG', 'STORE_DAMAGED', 'BUSY', 'STOPPED', 'KIT_LOAD_FAILED']);
  if (unknownCodes.has(e.code) || e.retryable || e.exitCode === ExitCode.INVALID_CONFIG) return { status: 'unknown', reason };
  return { status: 'failed', reason };
}

/** Runs recover of one resource on this node; records ISP on success, OSF on failure. */
export async function recover(engine: Engine, tag: string): Promise<StepReport> {
  const { data, release } = await reserve(engine, [tag], `recover ${tag}`);
  try {
    return await recoverReserved(engine, data, tag);
  } finally {
    release();
  }
}

/**
 * recover for a caller that holds the reservation and read `data` under it (the monitor).
 * A kit without recover gets remove, then restore, of that one resource (OCF's stop/start).
 */
export async function recoverReserved(engine: Engine, data: StoreData, tag: string): Promise<StepReport> {
  const node = engine.node;
  const r = needOn(data, tag, node);
  const kit = await engine.kit(r.kit);
  const steps: StepReport[] = [];
  const started = monotonicMs();
  try {
    if (kit.actions.recover) await step(engine, data, kit, tag, node, 'recover', steps);
    else {
      await step(engine, data, kit, tag, node, 'remove', steps);
      await step(engine, data, kit, tag, node, 'restore', steps);
    }
  } catch (err) {
    throw new ActionError(asKitError(err), [
      { tag, server: node, action: 'recover', outcome: 'failed', durationMs: elapsedMs(started), detail: asKitError(err).message },
    ]);
  }
  return { tag, server: node, action: 'recover', outcome: 'ok', durationMs: elapsedMs(started) };
}

/** Runs a kit's own named action (on this node, or the resource's first server when it is not extended here). */
export async function command(engine: Engine, tag: string, name: string, args: readonly string[]): Promise<unknown> {
  const { data, release } = await reserve(engine, [tag], `${name} ${tag}`);
  try {
    const r = need(data, tag);
    const kit = await engine.kit(r.kit);
    const cmd = kit.commands?.[name];
    if (!cmd) throw UnsupportedActionError.of(r.kit, name);
    // A command about a resource this node does not carry runs with the first server's values.
    const server = r.servers[engine.node] ? engine.node : Object.keys(r.servers)[0]!;
    return await runAction(kit, name, engine.actionRun(data, tag, server), (ctx) => cmd.run(ctx, args));
  } finally {
    release();
  }
}
