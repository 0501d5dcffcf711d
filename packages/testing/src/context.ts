/**
 * A real KitContext for tests, built by the runner's own action runner (the context the runner
 * gives kits: tunables checked against the kit's declarations, the kit's timeout tunable, the
 * deadline and signal, `local`, the runner's contract version), with tunables from a plain
 * object, an in-memory logger you can assert on, and real exec (argument arrays, no shell).
 * Call kit actions directly with it, then `dispose()`; or use `runTestActions`, which disposes.
 */
import type { CheckLevel, DependencyView, Exec, Kit, KitActions, KitContext, RawValue } from '@recovery-kit/sdk';
import { createActionContext, createLogger, memorySink, tunableSetOf, type ActionRun, type LogRecord } from '@recovery-kit/runner';

export interface TestContextOptions {
  tag?: string;
  action?: string;
  /** The server the action is for (default node-a). */
  server?: string;
  /** This machine's node name (default: `server`, so `ctx.local` is true). */
  node?: string;
  /** Raw option values, parsed through the kit's schema (so tests also prove the schema). */
  options?: Record<string, RawValue>;
  info?: Record<string, unknown>;
  children?: DependencyView[];
  tunables?: Record<string, string | number | boolean>;
  /** Overrides the timeout the kit's tunables give the action. */
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
  /** ctx.roles: the caller runs the kit's roles (an OCF promotable clone). */
  roles?: boolean;
  /** ctx.checkLevel (OCF_CHECK_LEVEL); default 20, as kit-runner's own monitor. */
  checkLevel?: CheckLevel;
}

export interface TestContext<O> extends KitContext<O> {
  /** Everything the action logged. */
  readonly logs: LogRecord[];
  /** Clears the deadline timer. */
  dispose(): void;
}

interface Built<O> {
  ctx: KitContext<O>;
  logs: LogRecord[];
  call<R>(fn: (ctx: KitContext<O>) => Promise<R> | R): Promise<R>;
  dispose(): void;
}

/** The runner's ActionRun for a test (`freeze` and `wrapExec` are KitTester's). */
export function buildTestContext<O>(
  kit: Kit<O>,
  opts: TestContextOptions = {},
  extra: Pick<ActionRun, 'freeze'> & { wrapExec?: (exec: Exec) => Exec } = {},
): Built<O> {
  const sink = memorySink();
  const server = opts.server ?? 'node-a';
  const run: ActionRun = {
    tag: opts.tag ?? 'test',
    server,
    node: opts.node ?? server,
    options: opts.options ?? {},
    optionsContext: `invalid options for ${kit.meta.kitType}`,
    info: opts.info ?? {},
    children: opts.children ?? [],
    tunables: tunableSetOf(opts.tunables ?? {}),
    logger: createLogger([sink], 'debug'),
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.timeoutMs !== undefined ? { timeoutMs: opts.timeoutMs } : {}),
    ...(opts.roles !== undefined ? { roles: opts.roles } : {}),
    ...(opts.checkLevel !== undefined ? { checkLevel: opts.checkLevel } : {}),
    ...extra,
  };
  const a = createActionContext(kit, opts.action ?? 'test', run);
  return { ctx: a.ctx, logs: sink.records, call: a.call, dispose: a.dispose };
}

export function createTestContext<O>(kit: Kit<O>, opts: TestContextOptions = {}): TestContext<O> {
  const b = buildTestContext(kit, opts);
  return { ...b.ctx, logs: b.logs, dispose: b.dispose };
}

/**
 * Runs `actions` in turn, each in a context of its own (`opts` with that action) that is disposed
 * afterwards, and returns their results. A quickCheck that does not report ok (or nothing) throws,
 * as does a kit without one of the actions.
 */
export async function runTestActions<O>(kit: Kit<O>, actions: ReadonlyArray<keyof KitActions<O>>, opts: TestContextOptions = {}): Promise<unknown[]> {
  const results: unknown[] = [];
  for (const action of actions) {
    const fn = kit.actions[action] as ((ctx: KitContext<O>) => unknown) | undefined;
    if (!fn) throw new Error(`${kit.meta.kitType} has no ${action} action`);
    const ctx = createTestContext(kit, { ...opts, action });
    try {
      const r = await fn(ctx);
      const status = (r as { status?: string } | undefined)?.status;
      if (action === 'quickCheck' && status !== undefined && status !== 'ok')
        throw new Error(`quickCheck of ${opts.tag ?? 'test'} reported ${JSON.stringify(r)}`);
      results.push(r);
    } finally {
      ctx.dispose();
    }
  }
  return results;
}
