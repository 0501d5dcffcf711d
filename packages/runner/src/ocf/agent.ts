/**
 * The OCF resource agent of one kit (`ocf:recovery-kit:<kitType>`): Pacemaker runs
 * `/usr/lib/ocf/resource.d/recovery-kit/<kitType> ACTION` with the parameters in `OCF_RESKEY_*`.
 * Every kit call goes through the runner's one action runner (runAction), every result through
 * the SDK's OCF policy (ocfExitCode / ocfMonitorCode), so no kit can return an OCF code itself.
 *
 * - start = restore (after the kit's create validation, cached per instance), stop = remove,
 *   monitor = quickCheck (recover first when local_recovery=true), validate-all, meta-data,
 *   reload-agent, promote/demote for kits with roles, recover.
 * - Stop never needs the network or valid parameters: it uses what start cached, and returns 0
 *   when the kit's remove succeeded or, after a second (forced) attempt failed, when quickCheck
 *   shows the resource is not held here (docs/reference/ocf.md, "The stop contract").
 */
import { hostname } from 'node:os';
import {
  KitError,
  OcfCode,
  ocfClassify,
  ocfCodeName,
  ocfMonitorCode,
  type ChildSpec,
  type CreateResult,
  type DependencyView,
  type Kit,
  type KitContext,
  type Logger,
  type QuickCheckResult,
  type RawValue,
} from '@recovery-kit/sdk';
import { runAction, toRaw } from '../action-runner.ts';
import { createExec } from '../exec.ts';
import { discoverKits, loadKit, type Discovery } from '../loader.ts';
import { createLogger, streamSink } from '../logger.ts';
import { resolveSettings } from '../settings.ts';
import { loadTunables, TunableSet } from '../tunables.ts';
import { resolveChildren } from './children.ts';
import { DEFAULT_PROFILE, extrasOf, hasRoles, metadataXml, OCF_PROFILES, type OcfProfile } from './metadata.ts';
import { inlineSecrets, paramError, parseOptions, readParams, type OcfParams } from './params.ts';
import { publishPromotion } from './promotion.ts';
import { paramsHash, readState, removeState, stateDir, stateFile, writeState, type InstanceState } from './state.ts';

export const OCF_ACTIONS = [
  'start',
  'stop',
  'monitor',
  'status',
  'validate-all',
  'meta-data',
  'reload-agent',
  'promote',
  'demote',
  'recover',
  'notify',
  'usage',
  'help',
] as const;

export interface AgentIo {
  env: NodeJS.ProcessEnv;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export function profileOf(env: NodeJS.ProcessEnv): OcfProfile {
  const p = env.KIT_RUNNER_OCF_PROFILE;
  return p && (OCF_PROFILES as readonly string[]).includes(p) ? (p as OcfProfile) : DEFAULT_PROFILE;
}

function usage(kitType: string): string {
  return `usage: ${kitType} {start|stop|monitor|validate-all|meta-data|reload-agent|promote|demote|recover}\nocf:recovery-kit:${kitType}, an OCF resource agent run by kit-runner; parameters in OCF_RESKEY_*. See docs/operate/pacemaker.md.\n`;
}

/** Runs one OCF action; returns the OCF exit code. Never throws. */
export async function runAgent(
  kitType: string,
  action: string | undefined,
  io: AgentIo = { env: process.env, stdout: process.stdout, stderr: process.stderr },
): Promise<number> {
  const env = io.env;
  if (action === undefined || action === 'usage' || action === 'help') {
    io.stdout.write(usage(kitType));
    return action === undefined ? OcfCode.ERR_ARGS : OcfCode.SUCCESS;
  }
  const level = env.HA_debug === '1' ? 'debug' : ((env.KIT_RUNNER_LOG_LEVEL as 'debug' | 'info' | 'warn' | 'error' | undefined) ?? 'info');
  const logger = createLogger([streamSink(io.stderr, env)], level, `ocf:${kitType}`);
  const reason = (text: string) => io.stderr.write(`ocf-exit-reason:${text.split('\n').join(' ').slice(0, 500)}\n`);
  let discovery: Discovery;
  let kit: Kit;
  const settings = (() => {
    try {
      return resolveSettings({ node: env.OCF_RESKEY_CRM_meta_on_node || undefined }, env);
    } catch {
      return resolveSettings({ node: hostname().split('.')[0] || 'localhost' }, { ...env, KIT_RUNNER_NODE: undefined });
    }
  })();
  try {
    discovery = discoverKits(settings.kitsDirs);
    kit = await loadKit(discovery, kitType);
  } catch (err) {
    const e = err as KitError;
    reason(e.message);
    logger.error(e.message, { fix: e.fix });
    // meta-data cannot describe a kit that does not load; a probe of it is "not running".
    if (action === 'monitor' && env.OCF_RESKEY_CRM_meta_interval === '0') return OcfCode.NOT_RUNNING;
    if (action === 'stop') return OcfCode.SUCCESS;
    return OcfCode.ERR_INSTALLED;
  }
  if (action === 'meta-data') {
    io.stdout.write(metadataXml(kit, profileOf(env)));
    return OcfCode.SUCCESS;
  }
  const agent = new Agent(kit, action, env, logger, settings.node, settings.tunablesPath, discovery, reason);
  try {
    return await agent.run();
  } catch (err) {
    const { rc, rule } = ocfClassify(err, { action, probe: agent.probe, stage: agent.stage });
    const msg = err instanceof Error ? err.message : String(err);
    reason(msg);
    logger.error(`${action} failed: ${msg}`, { rc: `${rc} ${ocfCodeName(rc)}`, rule, ...(err instanceof KitError && err.fix ? { fix: err.fix } : {}) });
    return rc;
  }
}

interface Prepared {
  options: Record<string, unknown>;
  info: Record<string, unknown>;
  children: DependencyView[];
  hash: string;
}

class Agent {
  readonly probe: boolean;
  stage: 'parameters' | 'action' = 'parameters';
  readonly instance: string;
  readonly file: string;
  readonly deadline: number;
  readonly checkLevel: number;
  readonly tunables: TunableSet;

  constructor(
    readonly kit: Kit,
    readonly action: string,
    readonly env: NodeJS.ProcessEnv,
    readonly logger: Logger,
    readonly node: string,
    tunablesPath: string,
    readonly discovery: Discovery,
    readonly reason: (text: string) => void,
  ) {
    this.probe = (action === 'monitor' || action === 'status') && env.OCF_RESKEY_CRM_meta_interval === '0';
    this.instance = env.OCF_RESOURCE_INSTANCE || kit.meta.kitType;
    this.file = stateFile(stateDir(env), kit.meta.kitType, this.instance);
    // Pacemaker's timeout for this operation, minus a reserve, so the kit reports its own time-out first.
    const metaMs = Number(env.OCF_RESKEY_CRM_meta_timeout);
    const budget = Number.isFinite(metaMs) && metaMs > 0 ? metaMs - Math.min(5000, metaMs * 0.1) : undefined;
    this.deadline = budget === undefined ? Number.POSITIVE_INFINITY : Date.now() + budget;
    const lvl = Number(env.OCF_CHECK_LEVEL);
    this.checkLevel = [0, 10, 20].includes(lvl) ? lvl : action === 'validate-all' ? 10 : 0;
    const file = loadTunables(tunablesPath);
    // OCF_CHECK_LEVEL reaches the kit as the CHECK_LEVEL tunable (ctx.tunables.int('CHECK_LEVEL', 0)).
    this.tunables = new TunableSet({ path: file.path, exists: file.exists, values: { ...file.values, CHECK_LEVEL: String(this.checkLevel) } });
  }

  /** Milliseconds left for a kit call: Pacemaker's budget, or the kit's own timeout tunable. */
  private timeoutMs(): number | undefined {
    if (this.deadline === Number.POSITIVE_INFINITY) return undefined;
    return Math.max(1000, this.deadline - Date.now());
  }

  private call<R>(action: string, p: Pick<Prepared, 'options' | 'info' | 'children'>, fn: (ctx: KitContext<unknown>) => Promise<R> | R): Promise<R> {
    const t = this.timeoutMs();
    return runAction(
      this.kit,
      action,
      {
        tag: this.instance,
        server: this.node,
        node: this.node,
        options: p.options,
        optionsContext: `parameters of ${this.instance} are not valid for kit ${this.kit.meta.kitType}`,
        info: p.info,
        children: p.children,
        tunables: this.tunables,
        logger: this.logger,
        ...(t !== undefined ? { timeoutMs: t } : {}),
      },
      fn,
    );
  }

  private params(): OcfParams & { options: Record<string, unknown> } {
    const p = readParams(this.kit, this.env);
    const options = parseOptions(this.kit, p.raw) as Record<string, unknown>;
    return { ...p, options };
  }

  private hashOf(p: OcfParams): string {
    return paramsHash(p.raw, [...p.agent.children.entries()]);
  }

  /** The kit's create validation for these parameters (info, normalized options, children), cached per instance. */
  private async prepare(p: OcfParams & { options: Record<string, unknown> }, cached: InstanceState | undefined): Promise<Prepared> {
    const hash = this.hashOf(p);
    if (cached && cached.paramsHash === hash) return { options: cached.options, info: cached.info, children: cached.children, hash };
    const create = this.kit.actions.create;
    const result: CreateResult | undefined = create
      ? ((await this.call('create', { options: p.options, info: {}, children: [] }, (ctx) => create(ctx as never))) ?? undefined)
      : undefined;
    const specs: ChildSpec[] = result?.children ?? [];
    // A child missing from the CIB is configuration, the same on every node (6); a CIB that does not answer is retried (1).
    const stage = this.stage;
    this.stage = 'parameters';
    const children = await resolveChildren(specs, {
      explicit: p.agent.children,
      exec: createExec({ logger: this.logger, signal: new AbortController().signal, deadline: Date.now() + 30_000 }),
      kitOf: (type) => loadKit(this.discovery, type).catch(() => undefined),
    });
    this.stage = stage;
    const options = result?.options ? (toRaw(result.options) as Record<string, unknown>) : p.options;
    return { options, info: result?.info ?? {}, children, hash };
  }

  private save(prepared: Prepared, phase: InstanceState['phase'], role?: InstanceState['role']): void {
    writeState(this.file, {
      paramsHash: prepared.hash,
      options: prepared.options,
      info: prepared.info,
      children: prepared.children,
      phase,
      ...(role ? { role } : {}),
      updated: new Date().toISOString(),
    });
  }

  async run(): Promise<number> {
    switch (this.action) {
      case 'start':
        return this.start();
      case 'stop':
        return this.stop();
      case 'monitor':
      case 'status':
        return this.monitor();
      case 'validate-all':
        return this.validate();
      case 'reload-agent':
        return this.reloadAgent();
      case 'promote':
      case 'demote':
        return this.role(this.action);
      case 'recover':
        return this.recover();
      default:
        // notify, migrate_to, migrate_from, reload: not implemented (optional in OCF).
        this.logger.info(`action ${this.action} is not implemented by ocf:recovery-kit:${this.kit.meta.kitType}`);
        return OcfCode.ERR_UNIMPLEMENTED;
    }
  }

  private checkSecrets(p: OcfParams): void {
    const issues = inlineSecrets(this.kit, p.raw);
    if (issues.length) throw paramError(this.kit, issues);
  }

  private async start(): Promise<number> {
    const p = this.params();
    this.checkSecrets(p);
    this.stage = 'action';
    const cached = readState(this.file);
    const prepared = await this.prepare(p, cached);
    await this.call('restore', prepared, (ctx) => this.kit.actions.restore(ctx));
    // A start leaves a resource with roles unpromoted (OCF 1.1).
    this.save(prepared, 'started', hasRoles(this.kit) ? 'unpromoted' : undefined);
    return OcfCode.SUCCESS;
  }

  private async validate(): Promise<number> {
    const p = this.params();
    this.checkSecrets(p);
    this.stage = 'action';
    if (this.checkLevel === 0) return OcfCode.SUCCESS;
    const cached = readState(this.file);
    const prepared = await this.prepare(p, cached);
    // A resource started with other parameters keeps its cache: stop must use what start used.
    if (cached?.phase === 'started' && cached.paramsHash !== prepared.hash) return OcfCode.SUCCESS;
    this.save(prepared, cached?.phase ?? 'validated', cached?.role);
    return OcfCode.SUCCESS;
  }

  private async reloadAgent(): Promise<number> {
    const p = this.params();
    this.checkSecrets(p);
    this.stage = 'action';
    const cached = readState(this.file);
    if (cached) {
      // Only reloadable parameters change (Pacemaker restarts the resource for any other); they
      // take effect at the next action, as the kit reads its options at every call.
      const options = { ...cached.options };
      for (const [name, field] of Object.entries(this.kit.options.fields)) {
        if (extrasOf(field).reloadable) options[name] = p.options[name];
      }
      this.save({ options, info: cached.info, children: cached.children, hash: this.hashOf(p) }, cached.phase, cached.role);
    }
    return OcfCode.SUCCESS;
  }

  /**
   * Stop: the parameters and the network are not needed. Options come from what start cached
   * (else from the parameters; when those are invalid nothing can have been started with them).
   */
  private async stop(): Promise<number> {
    const cached = readState(this.file);
    let prepared: Prepared;
    if (cached) prepared = { options: cached.options, info: cached.info, children: cached.children, hash: cached.paramsHash };
    else {
      let p;
      try {
        p = this.params();
      } catch (err) {
        this.logger.warn(
          `stop: the parameters are not valid and this node has no record of starting ${this.instance}: nothing to stop (${(err as Error).message.split('\n').join(' ')})`,
        );
        return OcfCode.SUCCESS;
      }
      prepared = { options: p.options, info: {}, children: [], hash: this.hashOf(p) };
    }
    this.stage = 'action';
    const remove = () => this.call('remove', prepared, (ctx) => this.kit.actions.remove(ctx));
    let last: unknown;
    for (let attempt = 1; attempt <= 2; attempt++) {
      try {
        await remove();
        this.save(prepared, 'stopped');
        if (attempt > 1) this.logger.info(`stop: the second attempt succeeded`);
        return OcfCode.SUCCESS;
      } catch (err) {
        last = err;
        this.logger.warn(`stop: remove attempt ${attempt} failed: ${(err as Error).message}`);
        if (this.timeoutMs() !== undefined && this.timeoutMs()! <= 1000) break;
      }
    }
    // Both attempts failed: is the resource still held here?
    const check = await this.quickCheck(prepared).catch((err: unknown) => ({ status: 'unknown' as const, reason: (err as Error).message }));
    if (check.status === 'failed') {
      this.logger.info(`stop: ${this.instance} is not held here (${check.reason}): stopped`);
      this.save(prepared, 'stopped');
      return OcfCode.SUCCESS;
    }
    if (check.status === 'unknown') {
      this.logger.error(
        `stop: remove failed and the kit cannot tell whether ${this.instance} is still held here (${check.reason}); reporting stopped, since it is not proven held`,
      );
      this.save(prepared, 'stopped');
      return OcfCode.SUCCESS;
    }
    this.logger.error(`stop: ${this.instance} is still held here after two attempts (${check.detail ?? 'quickCheck ok'})`);
    throw last;
  }

  private async quickCheck(prepared: Pick<Prepared, 'options' | 'info' | 'children'>): Promise<QuickCheckResult & { role?: string }> {
    const qc = this.kit.actions.quickCheck;
    if (!qc) return { status: 'unknown', reason: 'the kit has no quickCheck' };
    const r = await this.call('quickCheck', prepared, (ctx) => qc(ctx));
    return (r ?? { status: 'ok' }) as QuickCheckResult & { role?: string };
  }

  private async monitor(): Promise<number> {
    const p = this.params();
    this.stage = 'action';
    const cached = readState(this.file);
    if (cached?.phase === 'stopped') return OcfCode.NOT_RUNNING;
    const started = cached?.phase === 'started';
    let prepared: Prepared;
    try {
      prepared = await this.prepare(p, cached);
    } catch (err) {
      // Not started here and cannot even be validated here (a program, a device, a child missing): not running.
      if (!started) {
        this.logger.info(`monitor: ${this.instance} cannot run here (${(err as Error).message.split('\n')[0]}): not running`);
        return OcfCode.NOT_RUNNING;
      }
      throw err;
    }
    let r = await this.quickCheck(prepared);
    const promoted = (r.status === 'ok' && r.role === 'promoted') || (r.role === undefined && cached?.role === 'promoted');
    if (r.status === 'failed' && !started) {
      this.logger.info(`monitor: not running here: ${r.reason}`);
      return OcfCode.NOT_RUNNING;
    }
    if (r.status === 'failed' && this.paramsLocalRecovery() && !this.probe) {
      this.logger.warn(`monitor: ${r.reason}; local recovery (local_recovery=true)`);
      const recover = this.kit.actions.recover;
      try {
        // A kit without recover gets the runner's default: remove, then restore.
        if (recover) await this.call('recover', prepared, (ctx) => recover(ctx));
        else {
          await this.call('remove', prepared, (ctx) => this.kit.actions.remove(ctx));
          await this.call('restore', prepared, (ctx) => this.kit.actions.restore(ctx));
        }
        r = await this.quickCheck(prepared);
        if (r.status !== 'failed') this.logger.info(`monitor: local recovery succeeded`);
      } catch (err) {
        this.logger.error(`monitor: local recovery failed: ${(err as Error).message}`);
      }
    }
    if (r.status === 'failed') {
      this.reason(r.reason);
      this.logger.error(`monitor: ${r.reason}`);
    } else if (r.status === 'unknown') this.logger.warn(`monitor: could not tell: ${r.reason}`);
    const rc = ocfMonitorCode({ status: r.status, promoted, degraded: readParams(this.kit, this.env).agent.degraded });
    return publishPromotion({ kit: this.kit, env: this.env, logger: this.logger, rc, run: (fn) => this.call('score', prepared, fn) });
  }

  private paramsLocalRecovery(): boolean {
    return readParams(this.kit, this.env).agent.localRecovery;
  }

  private async role(action: 'promote' | 'demote'): Promise<number> {
    const fn = (this.kit.actions as unknown as Record<string, unknown>)[action] as ((ctx: KitContext<unknown>) => Promise<void> | void) | undefined;
    if (!fn || !hasRoles(this.kit)) return OcfCode.ERR_UNIMPLEMENTED;
    const p = this.params();
    this.stage = 'action';
    const cached = readState(this.file);
    const prepared = await this.prepare(p, cached);
    await this.call(action, prepared, (ctx) => fn(ctx));
    this.save(prepared, 'started', action === 'promote' ? 'promoted' : 'unpromoted');
    return OcfCode.SUCCESS;
  }

  private async recover(): Promise<number> {
    const p = this.params();
    this.stage = 'action';
    const cached = readState(this.file);
    const prepared = await this.prepare(p, cached);
    const recover = this.kit.actions.recover;
    if (recover) await this.call('recover', prepared, (ctx) => recover(ctx));
    else {
      await this.call('remove', prepared, (ctx) => this.kit.actions.remove(ctx));
      await this.call('restore', prepared, (ctx) => this.kit.actions.restore(ctx));
    }
    this.save(prepared, 'started', cached?.role);
    return OcfCode.SUCCESS;
  }
}

/** For tests: forget an instance's cache. */
export function forgetInstance(kitType: string, instance: string, env: NodeJS.ProcessEnv = process.env): void {
  removeState(stateFile(stateDir(env), kitType, instance));
}

export type { RawValue };
