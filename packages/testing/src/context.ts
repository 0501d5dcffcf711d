/**
 * A real KitContext for tests: real exec (execa, argument arrays), tunables from a plain object,
 * an in-memory logger you can assert on, and a deadline. Call kit actions directly with it.
 */
import type { DependencyView, Kit, KitContext, RawValue } from '@recovery-kit/sdk';
import { createExec, createLogger, createTunables, memorySink, CORE_TUNABLES, type LogRecord } from '@recovery-kit/runner';

export interface TestContextOptions {
  tag?: string;
  action?: string;
  server?: string;
  /** Raw option values, parsed through the kit's schema (so tests also prove the schema). */
  options?: Record<string, RawValue>;
  info?: Record<string, unknown>;
  children?: DependencyView[];
  tunables?: Record<string, string | number | boolean>;
  timeoutMs?: number;
  env?: Record<string, string | undefined>;
}

export interface TestContext<O> extends KitContext<O> {
  /** Everything the action logged. */
  readonly logs: LogRecord[];
  /** Clears the deadline timer. */
  dispose(): void;
}

export function createTestContext<O>(kit: Kit<O>, opts: TestContextOptions = {}): TestContext<O> {
  const sink = memorySink();
  const logger = createLogger([sink], 'debug', `${kit.meta.kitType}:${opts.tag ?? 'test'}`);
  const timeoutMs = opts.timeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(new Error('test context deadline')), timeoutMs);
  const values: Record<string, string> = {};
  for (const [k, v] of Object.entries(opts.tunables ?? {})) values[k] = String(v);
  const options = kit.options.parse(opts.options ?? {});
  return {
    tag: opts.tag ?? 'test',
    action: opts.action ?? 'test',
    server: opts.server ?? 'node-a',
    options,
    info: opts.info ?? {},
    children: opts.children ?? [],
    tunables: createTunables(values, { ...CORE_TUNABLES, ...(kit.tunables ?? {}) }, opts.tag ?? 'test'),
    logger,
    exec: createExec({ logger, signal: controller.signal, deadline, ...(opts.env ? { env: opts.env } : {}) }),
    signal: controller.signal,
    timeoutMs,
    deadline,
    local: true,
    host: { runnerVersion: 'test', apiVersion: kit.apiVersion, node: opts.server ?? 'node-a' },
    logs: sink.records,
    dispose: () => clearTimeout(timer),
  };
}
