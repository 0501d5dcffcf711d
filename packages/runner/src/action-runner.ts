/**
 * The one place a kit is called. `runAction` builds the KitContext the way every caller gets it
 * (the engine's walks and lifecycle, and @recovery-kit/testing's KitTester): options parsed
 * through the kit's schema, the shared tunables, the action's timeout as a deadline and an
 * AbortSignal, `local`, and the runner's contract version in `host`. It races the kit against
 * the deadline (a kit that ignores its signal still ends on time), disposes the timer and
 * listeners, and stamps every error with where it came from: `withOrigin(err, { kit:
 * name@version, tag, server, action })`, wrapping anything that is not a KitError first.
 * `runCliCommand` does the same for a kit's top-level commands (`kit-runner ec2 ...`).
 */
import {
  KIT_API_VERSION,
  KitError,
  TimeoutError,
  ConfigError,
  isKitError,
  UnsupportedActionError,
  withOrigin,
  type ActionName,
  type CheckLevel,
  type DependencyView,
  type ErrorOrigin,
  type Exec,
  type HostInfo,
  type Kit,
  type KitCliCommand,
  type KitCliContext,
  type KitContext,
  type Logger,
  type RawValue,
  type Tunables,
} from '@recovery-kit/sdk';
import { createExec } from './exec.ts';
import { scrubError, scrubLogger, secretScrubber } from './secrets.ts';
import type { TunableSet } from './tunables.ts';
import { runnerVersion } from './version.ts';

/** The longest a timer can wait (Node's setTimeout: 2^31-1 ms; longer fires at once). */
const MAX_TIMER_MS = 2 ** 31 - 1;

/** The runner's own timeout tunable for each action; everything else uses ADMIN_TIMEOUT. */
const TIMEOUT_TUNABLE: Partial<Record<string, string>> = {
  restore: 'RESTORE_TIMEOUT',
  remove: 'REMOVE_TIMEOUT',
  quickCheck: 'QUICKCHECK_TIMEOUT',
  recover: 'RECOVER_TIMEOUT',
};

export interface ActionRun {
  tag: string;
  /** The server the action is for (a peer's, for the remove a restore runs there first). */
  server: string;
  /** This node (the machine kit-runner runs on). */
  node: string;
  /** Stored option values with this server's overrides applied; parsed through the kit's schema here. */
  options: Record<string, unknown>;
  /** Message prefix when they do not parse (default: the stored options are no longer valid). */
  optionsContext?: string;
  info?: Record<string, unknown>;
  children?: DependencyView[];
  tunables: TunableSet;
  /** The runner's logger; the kit gets `child("<kitType>:<tag>")`. */
  logger: Logger;
  /** Aborted when kit-runner is told to stop. */
  stop?: readonly (AbortSignal | undefined)[];
  /** Extra environment for the commands the kit runs. */
  env?: Record<string, string | undefined>;
  /** Overrides the timeout tunables (tests). */
  timeoutMs?: number;
  /** Freeze options, info and children (KitTester: a kit must not change them). */
  freeze?: boolean;
  /** Wraps ctx.exec (KitTester records the commands a quickCheck runs). */
  wrapExec?: (exec: Exec) => Exec;
  host?: Partial<HostInfo>;
  /** ctx.checkLevel: OCF_CHECK_LEVEL for the OCF agent; default 20 (everything the kit checks). */
  checkLevel?: CheckLevel;
  /** ctx.roles: the OCF agent of a promotable clone runs this kit's roles (promote/demote) itself. */
  roles?: boolean;
}

/** Any error as a KitError (a plain Error becomes ACTION_FAILED, exit 1, with it as the cause). */
export function asKitError(err: unknown): KitError {
  if (isKitError(err)) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new KitError(e.message, { code: 'ACTION_FAILED', cause: e });
}

export const kitId = (kit: Pick<Kit, 'meta'>): string => `${kit.meta.name}@${kit.meta.version}`;

/** Stored values back into the raw shape option schemas accept. */
export function toRaw(values: Record<string, unknown>): Record<string, RawValue> {
  const out: Record<string, RawValue> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as RawValue);
  }
  return out;
}

interface Scope {
  signal: AbortSignal;
  timeoutMs: number;
  deadline: number;
  /** Races `body` against the deadline and the stop signals, stamps its error, then disposes. */
  call<R>(body: () => Promise<R> | R): Promise<R>;
  dispose(): void;
}

/**
 * A deadline and an abort signal for one action: a timeout or a stop aborts the signal, and
 * `call` rejects even when the body ignores it. Every error leaves `call` stamped with `origin`.
 */
function openScope(origin: ErrorOrigin, what: string, timeout: { name: string; ms: number; fix?: string }, stop: readonly (AbortSignal | undefined)[]): Scope {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new TimeoutError(`${what} did not finish within ${timeout.ms / 1000} s`, { field: timeout.name, fix: timeout.fix })),
    timeout.ms,
  );
  const stops = stop.filter((s): s is AbortSignal => s !== undefined);
  // A stop signal aborted with a STOPPED KitError says why ("SIGTERM received"); else kit-runner is stopping.
  const onStop = () => {
    const why = stops.map((s) => s.reason).find((r) => isKitError(r) && r.code === 'STOPPED') as KitError | undefined;
    controller.abort(new KitError(`${what} was interrupted: ${why?.message ?? 'kit-runner is stopping'}`, { code: 'STOPPED' }));
  };
  for (const s of stops) {
    if (s.aborted) onStop();
    else s.addEventListener('abort', onStop, { once: true });
  }
  const dispose = () => {
    clearTimeout(timer);
    for (const s of stops) s.removeEventListener('abort', onStop);
  };
  const call = async <R>(body: () => Promise<R> | R): Promise<R> => {
    let fail: (() => void) | undefined;
    const aborted = new Promise<never>((_, reject) => {
      fail = () => reject(controller.signal.reason instanceof Error ? controller.signal.reason : new TimeoutError(`${what} was aborted`));
      if (controller.signal.aborted) fail();
      else controller.signal.addEventListener('abort', fail, { once: true });
    });
    aborted.catch(() => undefined);
    try {
      // Stopped or timed out before it began: the kit is not called at all.
      if (controller.signal.aborted) await aborted;
      return await Promise.race([Promise.resolve().then(body), aborted]);
    } catch (err) {
      throw withOrigin(asKitError(err), origin);
    } finally {
      if (fail) controller.signal.removeEventListener('abort', fail);
      dispose();
    }
  };
  return { signal: controller.signal, timeoutMs: timeout.ms, deadline: Date.now() + timeout.ms, call, dispose };
}

const deepFreeze = <T>(v: T): T => {
  if (v && typeof v === 'object' && !Object.isFrozen(v)) {
    Object.freeze(v);
    for (const x of Object.values(v as object)) deepFreeze(x);
  }
  return v;
};

/** A context for `action` of `run.tag` on `run.server`, with `call` to run the kit in it (and dispose it). */
export interface ActionContext<O> {
  ctx: KitContext<O>;
  call<R>(fn: (ctx: KitContext<O>) => Promise<R> | R): Promise<R>;
  /** Clears the timer and listeners without calling (the context was built but not used). */
  dispose(): void;
}

/** Builds the context the runner gives a kit. Throws (stamped with the origin) when it cannot: bad tunables or options. */
export function createActionContext<O>(kit: Kit<O>, action: string, run: ActionRun): ActionContext<O> {
  const origin: ErrorOrigin = { kit: kitId(kit), tag: run.tag, server: run.server, action };
  let scope: Scope | undefined;
  try {
    const tunables = run.tunables.view(kit, run.tag);
    const name = kit.timeouts?.[action as ActionName] ?? TIMEOUT_TUNABLE[action] ?? 'ADMIN_TIMEOUT';
    // The kit's own timeout tunable when it names one, else the runner's for the action.
    const ms = run.timeoutMs ?? tunables.int(name, tunables.int(TIMEOUT_TUNABLE[action] ?? 'ADMIN_TIMEOUT')) * 1000;
    if (!(ms > 0 && ms <= MAX_TIMER_MS))
      throw new ConfigError(`tunable ${name} (${ms / 1000} s) is out of range for a timeout`, {
        field: name,
        fix: `set ${name} to a whole number of seconds from 1 to ${Math.floor(MAX_TIMER_MS / 1000)} (about 24.8 days; a timer cannot wait longer)`,
      });
    const where = `kit ${kit.meta.kitType}@${kit.meta.version}`;
    const options = kit.options.parse(toRaw(run.options), run.optionsContext ?? `stored options of ${run.tag} are no longer valid for ${where}`);
    const s = (scope = openScope(
      origin,
      `${action} of ${run.tag}`,
      { name, ms, fix: `raise ${name} in the tunables file if the resource needs longer` },
      run.stop ?? [],
    ));
    // What the kit logs or throws never carries the values of its secret options (secrets.ts).
    const scrub = secretScrubber(kit, options as Record<string, unknown>);
    const logger = scrub ? scrubLogger(run.logger.child(`${kit.meta.kitType}:${run.tag}`), scrub) : run.logger.child(`${kit.meta.kitType}:${run.tag}`);
    const exec = createExec({ logger, signal: s.signal, deadline: s.deadline, ...(run.env ? { env: run.env } : {}) });
    const info = run.info ?? {};
    const children = run.children ?? [];
    const ctx: KitContext<O> = {
      tag: run.tag,
      action,
      server: run.server,
      options: run.freeze ? deepFreeze(options) : options,
      info: run.freeze ? deepFreeze(structuredClone(info)) : info,
      children: run.freeze ? deepFreeze(structuredClone(children)) : children,
      tunables,
      logger,
      exec: run.wrapExec ? run.wrapExec(exec) : exec,
      signal: s.signal,
      timeoutMs: s.timeoutMs,
      deadline: s.deadline,
      local: run.server === run.node,
      host: { runnerVersion: runnerVersion(), apiVersion: KIT_API_VERSION, node: run.node, ...run.host },
      checkLevel: run.checkLevel ?? 20,
      roles: run.roles ?? false,
    };
    if (!scrub) return { ctx, call: (fn) => s.call(() => fn(ctx)), dispose: s.dispose };
    return {
      ctx,
      call: async (fn) => {
        try {
          const r = await s.call(() => fn(ctx));
          // A quickCheck's reason is stored and printed: scrubbed like an error.
          if (action === 'quickCheck' && r && typeof r === 'object' && typeof (r as { reason?: unknown }).reason === 'string')
            return { ...r, reason: scrub((r as unknown as { reason: string }).reason) } as typeof r;
          return r;
        } catch (err) {
          throw scrubError(err, scrub);
        }
      },
      dispose: s.dispose,
    };
  } catch (err) {
    scope?.dispose();
    throw withOrigin(asKitError(err), origin);
  }
}

/** Builds the context for `action` of `run.tag` on `run.server`, calls `fn` with it, and disposes it. */
export async function runAction<O, R>(kit: Kit<O>, action: string, run: ActionRun, fn: (ctx: KitContext<O>) => Promise<R> | R): Promise<R> {
  return createActionContext(kit, action, run).call(fn);
}

/** Calls the kit's own function for `action` in the context `a` built for it (through `a.call`, which disposes it). */
export function callKit<O>(kit: Kit<O>, action: string, a: ActionContext<O>): Promise<unknown> {
  return a.call((ctx) => {
    const fn = (kit.actions as unknown as Record<string, ((c: KitContext<O>) => unknown) | undefined>)[action];
    if (!fn) throw UnsupportedActionError.of(kit.meta.kitType, action);
    return fn(ctx);
  });
}

/** Runs a kit's top-level command (`kit-runner <kitType> <name>`) with the same deadline and error stamping. */
export function runCliCommand<R>(
  kit: Kit,
  name: string,
  cmd: KitCliCommand,
  run: { tunables: TunableSet; logger: Logger; node: string; json: boolean; stop?: readonly (AbortSignal | undefined)[] },
  fn: (ctx: KitCliContext) => Promise<R> | R,
): Promise<R> {
  const origin: ErrorOrigin = { kit: kitId(kit), action: name };
  let scope: Scope;
  let tunables: Tunables;
  try {
    tunables = run.tunables.view(kit);
    const tname = cmd.timeoutTunable ?? 'ADMIN_TIMEOUT';
    scope = openScope(origin, `${kit.meta.kitType} ${name}`, { name: tname, ms: tunables.int(tname) * 1000 }, run.stop ?? []);
  } catch (err) {
    return Promise.reject(withOrigin(asKitError(err), origin));
  }
  const s = scope;
  return s.call(() =>
    fn({
      logger: run.logger,
      exec: createExec({ logger: run.logger, signal: s.signal, deadline: s.deadline }),
      tunables,
      signal: s.signal,
      timeoutMs: s.timeoutMs,
      deadline: s.deadline,
      host: { runnerVersion: runnerVersion(), apiVersion: KIT_API_VERSION, node: run.node },
      json: run.json,
    }),
  );
}
