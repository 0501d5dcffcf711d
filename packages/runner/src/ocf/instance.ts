/**
 * One OCF action on one resource instance: what every action of the agent shares. The kit call
 * (through the runner's one action runner, with Pacemaker's deadline and `ctx.checkLevel`), the
 * parameters, the kit's create validation cached per instance (state.ts), and quickCheck.
 * The actions themselves are in lifecycle.ts (start, stop, validate-all, reload-agent, recover)
 * and monitor.ts (monitor, promote, demote).
 */
import type { CheckLevel, ChildSpec, CreateResult, DependencyView, Kit, KitContext, Logger, QuickCheckResult } from '@recovery-kit/sdk';
import { runAction, toRaw } from '../action-runner.ts';
import { createExec } from '../exec.ts';
import { loadKit, type Discovery } from '../loader.ts';
import { loadTunables, TunableSet } from '../tunables.ts';
import { resolveChildren } from './children.ts';
import { hasRoles } from './metadata.ts';
import { inlineSecrets, paramError, parseOptions, readParams, type OcfParams } from './params.ts';
import { isPromotable } from './promotion.ts';
import { paramsHash, readState, stateDir, stateFile, writeState, type InstanceState } from './state.ts';

export interface Prepared {
  options: Record<string, unknown>;
  info: Record<string, unknown>;
  children: DependencyView[];
  hash: string;
}

export type KitInput = Pick<Prepared, 'options' | 'info' | 'children'>;
export type Params = OcfParams & { options: Record<string, unknown> };

/** OCF_CHECK_LEVEL: 0, 10 or 20; anything else is 0 (10 for validate-all, OCF 1.1's "local environment"). */
export function checkLevelOf(env: NodeJS.ProcessEnv, action: string): CheckLevel {
  const lvl = Number(env.OCF_CHECK_LEVEL);
  if (lvl === 0 || lvl === 10 || lvl === 20) return lvl;
  return action === 'validate-all' ? 10 : 0;
}

export class AgentInstance {
  readonly probe: boolean;
  stage: 'parameters' | 'action' = 'parameters';
  readonly instance: string;
  readonly file: string;
  readonly deadline: number;
  /** The OCF_CHECK_LEVEL asked for (monitor.ts may check deeper when this node has no record of the resource). */
  readonly checkLevel: CheckLevel;
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
    this.checkLevel = checkLevelOf(env, action);
    const file = loadTunables(tunablesPath);
    this.tunables = new TunableSet({ path: file.path, exists: file.exists, values: file.values });
  }

  /** Milliseconds left for a kit call: Pacemaker's budget, or the kit's own timeout tunable. */
  timeoutMs(): number | undefined {
    if (this.deadline === Number.POSITIVE_INFINITY) return undefined;
    return Math.max(1000, this.deadline - Date.now());
  }

  call<R>(action: string, p: KitInput, fn: (ctx: KitContext<unknown>) => Promise<R> | R, checkLevel: CheckLevel = this.checkLevel): Promise<R> {
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
        checkLevel,
        // A promotable clone's start leaves a kit with roles unpromoted; a plain primitive's brings it fully up.
        roles: hasRoles(this.kit) && isPromotable(this.env),
        ...(t !== undefined ? { timeoutMs: t } : {}),
      },
      fn,
    );
  }

  params(): Params {
    const p = readParams(this.kit, this.env);
    const options = parseOptions(this.kit, p.raw) as Record<string, unknown>;
    return { ...p, options };
  }

  hashOf(p: OcfParams): string {
    return paramsHash(p.raw, [...p.agent.children.entries()]);
  }

  checkSecrets(p: OcfParams): void {
    const issues = inlineSecrets(this.kit, p.raw);
    if (issues.length) throw paramError(this.kit, issues);
  }

  cached(): InstanceState | undefined {
    return readState(this.file);
  }

  /** The kit's create validation for these parameters (info, normalized options, children), cached per instance. */
  async prepare(p: Params, cached: InstanceState | undefined): Promise<Prepared> {
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

  save(prepared: Prepared, phase: InstanceState['phase'], role?: InstanceState['role']): void {
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

  async quickCheck(prepared: KitInput, checkLevel: CheckLevel = this.checkLevel): Promise<QuickCheckResult> {
    const qc = this.kit.actions.quickCheck;
    if (!qc) return { status: 'unknown', reason: 'the kit has no quickCheck' };
    const r = await this.call('quickCheck', prepared, (ctx) => qc(ctx), checkLevel);
    return r ?? { status: 'ok' };
  }

  /** The kit's recover; a kit without one gets the runner's default: remove, then restore. */
  async recoverHere(prepared: KitInput): Promise<void> {
    const recover = this.kit.actions.recover;
    if (recover) await this.call('recover', prepared, (ctx) => recover(ctx));
    else {
      await this.call('remove', prepared, (ctx) => this.kit.actions.remove(ctx));
      await this.call('restore', prepared, (ctx) => this.kit.actions.restore(ctx));
    }
  }
}
