/**
 * The engine: lifecycle (create, extend, unextend, delete, dependencies) and hierarchy walks
 * (restore children first, remove parents first, stop at the first failure), each action with
 * its timeout, under a reservation lock per hierarchy so two kit-runner processes never act on
 * one hierarchy at once.
 */
import { join } from 'node:path';
import {
  ConfigError,
  ConflictError,
  KIT_API_VERSION,
  KitError,
  NotFoundError,
  TAG_PATTERN,
  SERVER_PATTERN,
  TimeoutError,
  UnsupportedActionError,
  UsageError,
  isKitError,
  type ActionName,
  type ChildSpec,
  type DependencyView,
  type Kit,
  type KitContext,
  type Logger,
  type QuickCheckResult,
  type RawValue,
  type TunableSpec,
} from '@recovery-kit/sdk';
import { randomBytes } from 'node:crypto';
import { createExec } from './exec.ts';
import { ancestors, childrenOf, hierarchyKey, parentsOf, removeOrder, restoreOrder, wouldCycle } from './hierarchy.ts';
import { acquireLock, type Lock } from './lock.ts';
import { discoverKits, loadKit, type Discovery } from './loader.ts';
import type { Settings } from './settings.ts';
import { Store, type ResourceRecord, type ServerEntry, type StoreData, type Switchback } from './store.ts';
import { checkTunables, CORE_TUNABLES, createTunables, readTunablesFile } from './tunables.ts';
import { runnerVersion } from './version.ts';
import { need } from './engine-need.ts';

export { need };

export interface StepReport {
  tag: string;
  server: string;
  action: string;
  outcome: 'ok' | 'skipped' | 'failed';
  durationMs: number;
  detail?: string;
}

export class ActionError extends KitError {
  readonly steps: StepReport[];
  constructor(inner: KitError, steps: StepReport[]) {
    super(inner.message, { code: inner.code, exitCode: inner.exitCode, fix: inner.fix, field: inner.field, cause: inner, details: { ...inner.details, steps } });
    this.name = 'ActionError';
    this.steps = steps;
  }
}

const TIMEOUT_TUNABLE: Partial<Record<string, string>> = {
  restore: 'RESTORE_TIMEOUT',
  remove: 'REMOVE_TIMEOUT',
  quickCheck: 'QUICKCHECK_TIMEOUT',
  recover: 'RECOVER_TIMEOUT',
};

export interface RunnerOptions {
  settings: Settings;
  logger: Logger;
  /** Aborted when the process is told to stop. */
  signal?: AbortSignal;
}

/** The reservation keys of the hierarchies holding `tags`, sorted (the order locks are taken in). */
function hierarchyKeys(data: StoreData, tags: string[]): string[] {
  return [...new Set(tags.map((t) => hierarchyKey(data, t)))].sort();
}

export function lockName(tag: string): string {
  return `${encodeURIComponent(tag).replace(/%/g, '_')}.lock`;
}

export class Engine {
  readonly settings: Settings;
  readonly store: Store;
  readonly logger: Logger;
  readonly signal: AbortSignal;
  #discovery: Discovery | undefined;

  constructor(options: RunnerOptions) {
    this.settings = options.settings;
    this.store = new Store(options.settings.stateDir);
    this.logger = options.logger;
    this.signal = options.signal ?? new AbortController().signal;
  }

  get node(): string {
    return this.settings.node;
  }

  discovery(): Discovery {
    return (this.#discovery ??= discoverKits(this.settings.kitsDirs));
  }

  kit(kitType: string): Promise<Kit> {
    return loadKit(this.discovery(), kitType);
  }

  /** Reads the tunables file and checks the values of every tunable the given kits declare. */
  tunableValues(kits: Kit[] = []): { values: Record<string, string>; specs: Record<string, TunableSpec> } {
    const file = readTunablesFile(this.settings.tunablesPath);
    const specs: Record<string, TunableSpec> = { ...CORE_TUNABLES };
    for (const k of kits) Object.assign(specs, k.tunables ?? {});
    const issues = checkTunables(file.values, specs);
    if (issues.length) throw ConfigError.fromIssues(`invalid value in the tunables file ${file.path}`, issues);
    return { values: file.values, specs };
  }

  // ---------------------------------------------------------------- locks

  /** Takes the reservation of the hierarchy holding `tags`, waiting LOCK_WAIT_TIMEOUT seconds. */
  async reserve(tags: string[], purpose: string, waitMs?: number): Promise<Lock> {
    const wait = waitMs ?? createTunables(this.tunableValues().values, CORE_TUNABLES).int('LOCK_WAIT_TIMEOUT') * 1000;
    this.store.ensureDir();
    for (;;) {
      const data = this.store.read();
      const names = hierarchyKeys(data, tags);
      const locks: Lock[] = [];
      try {
        for (const n of names) {
          locks.push(await acquireLock(join(this.store.lockDir, lockName(n)), { waitMs: wait, purpose, what: `the hierarchy of ${n}` }));
        }
      } catch (err) {
        for (const l of locks) l.release();
        throw err;
      }
      // The hierarchy may have been joined to another while we waited: then lock again.
      const again = hierarchyKeys(this.store.read(), tags);
      if (again.join('\0') === names.join('\0')) {
        return { path: locks.map((l) => l.path).join(','), release: () => locks.forEach((l) => l.release()) };
      }
      for (const l of locks) l.release();
    }
  }

  // ---------------------------------------------------------------- context

  async context<O>(
    kit: Kit<O>,
    record: Pick<ResourceRecord, 'tag'> & { options: Record<string, unknown> },
    server: string,
    action: string,
    data: StoreData,
    extra: { overrides?: Record<string, unknown>; info?: Record<string, unknown>; signal?: AbortSignal } = {},
  ): Promise<{ ctx: KitContext<O>; done: () => void }> {
    const { values, specs } = this.tunableValues([kit]);
    const tunables = createTunables(values, specs, record.tag);
    const entry = data.resources[record.tag]?.servers[server];
    const overrides = extra.overrides ?? entry?.overrides ?? {};
    const options = kit.options.parse(toRaw({ ...record.options, ...overrides }), `stored options of ${record.tag} are no longer valid for kit ${kit.meta.kitType}@${kit.meta.version}`);
    const timeoutName = kit.timeouts?.[action as ActionName] ?? TIMEOUT_TUNABLE[action] ?? 'ADMIN_TIMEOUT';
    const timeoutMs = tunables.int(timeoutName, tunables.int(TIMEOUT_TUNABLE[action] ?? 'ADMIN_TIMEOUT')) * 1000;
    const deadline = Date.now() + timeoutMs;
    const controller = new AbortController();
    const timer = setTimeout(
      () => controller.abort(new TimeoutError(`${action} of ${record.tag} did not finish within ${timeoutMs / 1000} s`, { field: timeoutName, fix: `raise ${timeoutName} in the tunables file if the resource needs longer` })),
      timeoutMs,
    );
    const onStop = () => controller.abort(new KitError(`${action} of ${record.tag} was interrupted: kit-runner is stopping`, { code: 'STOPPED' }));
    const parents = [this.signal, extra.signal].filter((s): s is AbortSignal => s !== undefined);
    for (const s of parents) s.addEventListener('abort', onStop, { once: true });
    const logger = this.logger.child(`${kit.meta.kitType}:${record.tag}`);
    const children: DependencyView[] = childrenOf(data, record.tag).map((c) => {
      const r = data.resources[c]!;
      const e = r.servers[server];
      return { tag: c, kitType: r.kit, options: { ...r.options, ...(e?.overrides ?? {}) }, info: e?.info ?? {}, state: e?.state ?? 'ILLSTATE' };
    });
    const ctx: KitContext<O> = {
      tag: record.tag,
      action,
      server,
      options,
      info: extra.info ?? entry?.info ?? {},
      children,
      tunables,
      logger,
      exec: createExec({ logger, signal: controller.signal, deadline }),
      signal: controller.signal,
      timeoutMs,
      deadline,
      local: server === this.node,
      host: { runnerVersion: runnerVersion(), apiVersion: KIT_API_VERSION, node: this.node },
    };
    const done = () => {
      clearTimeout(timer);
      for (const s of parents) s.removeEventListener('abort', onStop);
    };
    return { ctx, done };
  }

  /** Runs one kit function with the context's deadline; a timeout rejects even if the kit ignores the signal. */
  async invoke<O, R>(ctx: KitContext<O>, done: () => void, fn: () => Promise<R> | R): Promise<R> {
    const aborted = new Promise<never>((_, reject) => {
      const fail = () => reject(ctx.signal.reason instanceof Error ? ctx.signal.reason : new TimeoutError(`${ctx.action} of ${ctx.tag} was aborted`));
      if (ctx.signal.aborted) fail();
      else ctx.signal.addEventListener('abort', fail, { once: true });
    });
    try {
      return await Promise.race([Promise.resolve().then(fn), aborted]);
    } finally {
      done();
    }
  }

  // ---------------------------------------------------------------- lifecycle

  async create(input: {
    kitType: string;
    tag: string;
    options: Record<string, RawValue>;
    priority?: number | undefined;
    switchback?: Switchback | undefined;
    id?: string | undefined;
  }): Promise<ResourceRecord[]> {
    const priority = input.priority ?? 1;
    checkPriority(priority);
    const planned: ResourceRecord[] = [];
    const deps: Array<{ parent: string; child: string }> = [];
    const data = this.store.read();
    const plan = async (kitType: string, tag: string, raw: Record<string, RawValue>, id: string | undefined): Promise<void> => {
      checkTag(tag);
      if (data.resources[tag] || planned.some((p) => p.tag === tag)) {
        throw new ConflictError(`a resource with tag "${tag}" already exists`, { code: 'DUPLICATE_TAG', field: 'tag', fix: 'choose another --tag, or delete the existing resource first' });
      }
      if (id !== undefined && Object.values(data.resources).some((r) => r.id === id)) {
        throw new ConflictError(`a resource with id "${id}" already exists`, { code: 'DUPLICATE_ID', field: 'id', fix: 'choose another --id or leave it out' });
      }
      const kit = await this.kit(kitType);
      const parsed = kit.options.parse(raw, `invalid options for ${kitType} resource "${tag}"`) as Record<string, unknown>;
      let options = parsed;
      let info: Record<string, unknown> = {};
      const childSpecs: ChildSpec[] = [];
      if (kit.actions.create) {
        const { ctx, done } = await this.context(kit, { tag, options: parsed }, this.node, 'create', data, { overrides: {}, info: {} });
        let result;
        try {
          result = await this.invoke(ctx, done, () => kit.actions.create!(ctx));
        } catch (err) {
          const e = asKitError(err);
          if (e.fix) throw e;
          throw new KitError(e.message, { code: e.code, exitCode: e.exitCode, cause: e, field: e.field, details: e.details, fix: `nothing was stored; correct the options (or what kit ${kitType} checks on this server) and run create again` });
        }
        if (result?.options) options = kit.options.parse(toRaw(result.options), `kit ${kitType} normalized the options of "${tag}" into invalid values`) as Record<string, unknown>;
        if (result?.info) info = result.info;
        if (result?.id !== undefined && id === undefined) id = result.id;
        for (const c of result?.children ?? []) childSpecs.push(c);
      }
      for (const c of childSpecs) {
        const existing = data.resources[c.tag];
        if (existing) {
          if (existing.kit !== c.kitType) throw new ConflictError(`kit ${kitType} wants a ${c.kitType} child "${c.tag}", but that tag is a ${existing.kit} resource`, { code: 'DUPLICATE_TAG', field: 'tag', fix: 'rename one of them' });
        } else if (c.existing) {
          const ofType = Object.values(data.resources).filter((r) => r.kit === c.kitType).map((r) => r.tag);
          throw new NotFoundError(`${kitType} resource "${tag}" needs the existing ${c.kitType} resource "${c.tag}" as its child, and there is no resource "${c.tag}"`, { code: 'UNKNOWN_TAG', field: 'tag', fix: ofType.length ? `name one of the ${c.kitType} resources: ${ofType.join(', ')}` : `create the ${c.kitType} resource first: kit-runner create ${c.kitType} --tag ${c.tag} ...`, details: { child: c.tag, kitType: c.kitType } });
        } else await plan(c.kitType, c.tag, toRaw(c.options), undefined);
        deps.push({ parent: tag, child: c.tag });
      }
      planned.push({
        tag,
        id: id ?? `${kitType}-${randomBytes(4).toString('hex')}`,
        kit: kitType,
        kitPackage: kit.meta.name,
        kitVersion: kit.meta.version,
        options,
        createdAt: new Date().toISOString(),
        servers: {
          [this.node]: { priority, switchback: input.switchback ?? 'intelligent', overrides: {}, info, state: 'OSU', reason: 'created', since: new Date().toISOString() },
        },
      });
    };
    await plan(input.kitType, input.tag, input.options, input.id);
    this.store.update((d) => {
      for (const p of planned) {
        if (d.resources[p.tag]) throw new ConflictError(`a resource with tag "${p.tag}" was created meanwhile`, { code: 'DUPLICATE_TAG', field: 'tag' });
        d.resources[p.tag] = p;
      }
      d.dependencies.push(...deps);
    });
    for (const p of planned) this.store.history({ event: 'create', tag: p.tag, kit: p.kit, node: this.node });
    return planned;
  }

  async extend(input: { tag: string; server: string; priority: number; switchback?: Switchback | undefined; options: Record<string, RawValue> }): Promise<string[]> {
    const { tag, server, priority } = input;
    if (!SERVER_PATTERN.test(server)) throw new UsageError(`${JSON.stringify(server)} is not a valid server name`, { field: '--server', fix: 'use a host name' });
    checkPriority(priority);
    const data = this.store.read();
    const record = need(data, tag);
    if (record.servers[server]) {
      throw new ConflictError(`${tag} is already extended to ${server} (priority ${record.servers[server].priority})`, { code: 'ALREADY_EXTENDED', field: '--server', fix: `unextend it first: kit-runner unextend ${tag} --server ${server}` });
    }
    // Extend the resource and every resource below it that is not on the server yet, children first.
    const todo = restoreOrder(data, tag).filter((t) => !data.resources[t]!.servers[server]);
    const infos: Record<string, { info: Record<string, unknown>; overrides: Record<string, unknown> }> = {};
    for (const t of todo) {
      const r = data.resources[t]!;
      const used = Object.entries(r.servers).find(([, s]) => s.priority === priority);
      if (used) {
        throw new ConflictError(`priority ${priority} is already used by ${used[0]} for ${t}`, { code: 'PRIORITY_IN_USE', field: '--priority', fix: `use a priority no other server has for this resource (in use: ${Object.values(r.servers).map((s) => s.priority).sort((a, b) => a - b).join(', ')})` });
      }
      const kit = await this.kit(r.kit);
      const overrides = t === tag ? perServerOverrides(kit, input.options, t) : {};
      const perServer = Object.entries(kit.options.fields).filter(([k, f]) => f.perServer && r.options[k] !== undefined).map(([k]) => `${k}=${JSON.stringify(r.options[k])}`);
      if (t !== tag && perServer.length) {
        this.logger.warn(`${t} is extended to ${server} along with ${tag}, with the values it has elsewhere: ${perServer.join(', ')}`, {
          fix: `if ${server} needs its own values (another subnet or region), unextend and run "kit-runner extend ${t} --server ${server} --priority ${priority} --opt KEY=VALUE" first`,
        });
      }
      kit.options.parse(toRaw({ ...r.options, ...overrides }), `invalid options for ${t} on ${server}`);
      let info: Record<string, unknown> = {};
      if (kit.actions.extend) {
        const view = structuredClone(data);
        for (const [ct, ci] of Object.entries(infos)) {
          view.resources[ct]!.servers[server] = { priority, switchback: 'intelligent', overrides: ci.overrides, info: ci.info, state: 'OSU', reason: '', since: '' };
        }
        const { ctx, done } = await this.context(kit, r, server, 'extend', view, { overrides, info: {} });
        const result = await this.invoke(ctx, done, () => kit.actions.extend!(ctx));
        info = result?.info ?? {};
        if (result?.options) {
          const normalized = perServerOverrides(kit, toRaw(result.options), t);
          kit.options.parse(toRaw({ ...r.options, ...overrides, ...normalized }), `kit ${r.kit} normalized the options of ${t} on ${server} into invalid values`);
          Object.assign(overrides, normalized);
        }
      }
      // Store the typed values (the schema's coercion), not the text given on the command line.
      const typed = kit.options.parse(toRaw({ ...r.options, ...overrides })) as Record<string, unknown>;
      for (const k of Object.keys(overrides)) overrides[k] = typed[k];
      infos[t] = { info, overrides };
    }
    this.store.update((d) => {
      for (const t of todo) {
        const r = d.resources[t];
        if (!r) throw new NotFoundError(`${t} was deleted meanwhile`, { code: 'UNKNOWN_TAG' });
        r.servers[server] = {
          priority,
          switchback: input.switchback ?? 'intelligent',
          overrides: infos[t]!.overrides,
          info: infos[t]!.info,
          state: 'OSU',
          reason: 'extended',
          since: new Date().toISOString(),
        };
      }
    });
    this.store.history({ event: 'extend', tags: todo, server, priority });
    return todo;
  }

  async unextend(tag: string, server: string): Promise<string[]> {
    const data = this.store.read();
    need(data, tag);
    const set = [tag, ...ancestors(data, tag)].filter((t) => data.resources[t]!.servers[server]);
    if (set.length === 0) throw new NotFoundError(`${tag} is not extended to ${server}`, { code: 'NOT_EXTENDED', field: '--server', fix: `"kit-runner status ${tag}" shows its servers` });
    for (const t of set) {
      const r = data.resources[t]!;
      const e = r.servers[server]!;
      if (e.state === 'ISP') throw new ConflictError(`${t} is in service on ${server}`, { code: 'IN_SERVICE', fix: `take it out of service first: kit-runner action ${t} remove --node ${server}` });
      if (Object.keys(r.servers).length === 1) throw new ConflictError(`${server} is the only server of ${t}`, { code: 'LAST_SERVER', fix: `delete the resource instead: kit-runner delete ${t}` });
    }
    const lock = await this.reserve([tag], `unextend ${tag}`);
    try {
      for (const t of removeOrder(data, set)) {
        const r = data.resources[t]!;
        const kit = await this.kit(r.kit);
        if (kit.actions.unextend) {
          const { ctx, done } = await this.context(kit, r, server, 'unextend', data);
          await this.invoke(ctx, done, () => kit.actions.unextend!(ctx));
        }
      }
      this.store.update((d) => {
        for (const t of set) delete d.resources[t]?.servers[server];
      });
    } finally {
      lock.release();
    }
    this.store.history({ event: 'unextend', tags: set, server });
    return set;
  }

  async delete(tag: string, options: { force?: boolean } = {}): Promise<void> {
    const data = this.store.read();
    const r = need(data, tag);
    const parents = parentsOf(data, tag);
    if (parents.length) {
      throw new ConflictError(`${tag} cannot be deleted: ${parents.join(', ')} depend${parents.length === 1 ? 's' : ''} on it`, { code: 'HAS_DEPENDENTS', fix: `delete ${parents.join(', ')} first, or remove the dependency with "kit-runner dep remove <parent> ${tag}"` });
    }
    const inService = Object.entries(r.servers).filter(([, s]) => s.state === 'ISP').map(([s]) => s);
    if (inService.length && !options.force) {
      throw new ConflictError(`${tag} is in service on ${inService.join(', ')}`, { code: 'IN_SERVICE', fix: `take it out of service first (kit-runner action ${tag} remove), or pass --force` });
    }
    const lock = await this.reserve([tag], `delete ${tag}`);
    try {
      const kit = await this.kit(r.kit);
      if (kit.actions.delete) {
        const server = r.servers[this.node] ? this.node : Object.keys(r.servers)[0]!;
        const { ctx, done } = await this.context(kit, r, server, 'delete', data);
        await this.invoke(ctx, done, () => kit.actions.delete!(ctx));
      }
      this.store.update((d) => {
        delete d.resources[tag];
        d.dependencies = d.dependencies.filter((x) => x.parent !== tag && x.child !== tag);
      });
    } finally {
      lock.release();
    }
    this.store.history({ event: 'delete', tag });
  }

  async depAdd(parent: string, child: string): Promise<void> {
    const lock = await this.reserve([parent, child], `dep add ${parent} ${child}`);
    try {
      this.store.update((d) => {
        const p = need(d, parent);
        const c = need(d, child);
        if (d.dependencies.some((x) => x.parent === parent && x.child === child)) {
          throw new ConflictError(`${parent} already depends on ${child}`, { code: 'DUPLICATE_DEPENDENCY', fix: '"kit-runner status" shows the hierarchy' });
        }
        const cycle = wouldCycle(d, parent, child);
        if (cycle) {
          throw new ConflictError(`making ${parent} depend on ${child} would create a cycle: ${[...cycle, parent].filter((t, i, a) => i === 0 || t !== a[i - 1]).join(' -> ')}`, { code: 'DEPENDENCY_CYCLE', fix: 'a resource cannot depend, directly or through others, on a resource that depends on it' });
        }
        const missing = Object.keys(p.servers).filter((s) => !c.servers[s]);
        if (missing.length) {
          throw new ConflictError(`${child} is not extended to ${missing.join(', ')}, where ${parent} is`, { code: 'CHILD_NOT_EXTENDED', fix: `extend ${child} first: kit-runner extend ${child} --server ${missing[0]} --priority <n>` });
        }
        d.dependencies.push({ parent, child });
      });
    } finally {
      lock.release();
    }
    this.store.history({ event: 'dep-add', parent, child });
  }

  async depRemove(parent: string, child: string): Promise<void> {
    const lock = await this.reserve([parent, child], `dep remove ${parent} ${child}`);
    try {
      this.store.update((d) => {
        need(d, parent);
        need(d, child);
        const before = d.dependencies.length;
        d.dependencies = d.dependencies.filter((x) => !(x.parent === parent && x.child === child));
        if (d.dependencies.length === before) throw new NotFoundError(`${parent} does not depend on ${child}`, { code: 'UNKNOWN_DEPENDENCY', fix: '"kit-runner status" shows the hierarchy' });
      });
    } finally {
      lock.release();
    }
    this.store.history({ event: 'dep-remove', parent, child });
  }

  // ---------------------------------------------------------------- runtime actions

  private setState(tag: string, server: string, patch: Partial<ServerEntry>): void {
    this.store.update((d) => {
      const e = d.resources[tag]?.servers[server];
      if (!e) return;
      if (patch.state !== undefined && patch.state !== e.state) patch.since ??= new Date().toISOString();
      Object.assign(e, patch);
      if ('pending' in patch && patch.pending === undefined) delete e.pending;
    });
  }

  /** Runs restore or remove of one resource on one server and records the resulting state. */
  private async step(tag: string, server: string, action: 'restore' | 'remove', steps: StepReport[], note?: (s: StepReport) => void): Promise<void> {
    const data = this.store.read();
    const r = data.resources[tag]!;
    const started = performance.now();
    const kit = await this.kit(r.kit);
    const { ctx, done } = await this.context(kit, r, server, action, data);
    this.setState(tag, server, { pending: { action, pid: process.pid, since: new Date().toISOString() } });
    try {
      await this.invoke(ctx, done, () => kit.actions[action](ctx));
    } catch (err) {
      const e = asKitError(err);
      const report: StepReport = { tag, server, action, outcome: 'failed', durationMs: Math.round(performance.now() - started), detail: e.message };
      steps.push(report);
      note?.(report);
      this.setState(tag, server, { state: 'OSF', reason: `${action} failed: ${e.message}`, pending: undefined });
      this.store.history({ event: action, tag, server, outcome: 'failed', reason: e.message });
      throw e;
    }
    const report: StepReport = { tag, server, action, outcome: 'ok', durationMs: Math.round(performance.now() - started) };
    steps.push(report);
    note?.(report);
    this.setState(tag, server, { state: action === 'restore' ? 'ISP' : 'OSU', reason: action === 'restore' ? 'restored' : 'removed', pending: undefined });
    this.store.history({ event: action, tag, server, outcome: 'ok', durationMs: report.durationMs });
  }

  /**
   * Brings `tag` and everything it depends on into service on this node, children first,
   * skipping what is already in service. A resource in service on another server is first
   * taken out of service there (with everything above it), so it is never active twice.
   */
  async restore(tag: string, options: { note?: (s: StepReport) => void } = {}): Promise<StepReport[]> {
    const steps: StepReport[] = [];
    const lock = await this.reserve([tag], `restore ${tag}`);
    try {
      const data = this.store.read();
      need(data, tag);
      const order = restoreOrder(data, tag);
      for (const t of order) {
        if (!data.resources[t]!.servers[this.node]) {
          throw new NotFoundError(`${t} is not extended to ${this.node}`, { code: 'NOT_EXTENDED', fix: `extend it first: kit-runner extend ${t} --server ${this.node} --priority <n>` });
        }
      }
      const todo = order.filter((t) => data.resources[t]!.servers[this.node]!.state !== 'ISP');
      for (const t of order) if (!todo.includes(t)) steps.push({ tag: t, server: this.node, action: 'restore', outcome: 'skipped', durationMs: 0, detail: 'already in service' });
      const peers = new Set(todo.flatMap((t) => Object.keys(data.resources[t]!.servers)).filter((s) => s !== this.node));
      for (const peer of [...peers].sort()) {
        const held = todo.filter((t) => data.resources[t]!.servers[peer]?.state === 'ISP');
        if (!held.length) continue;
        const set = new Set(held);
        for (const t of held) for (const a of ancestors(data, t)) if (data.resources[a]!.servers[peer]?.state === 'ISP') set.add(a);
        this.logger.info(`taking ${[...set].join(', ')} out of service on ${peer} before restoring on ${this.node}`);
        for (const t of removeOrder(data, set)) {
          try {
            await this.step(t, peer, 'remove', steps, options.note);
          } catch (err) {
            throw new ActionError(
              new KitError(`cannot take ${t} out of service on ${peer}: ${asKitError(err).message}; not restoring on ${this.node}, so that it is never active twice`, { code: 'PEER_REMOVE_FAILED', exitCode: 1, fix: `make sure ${t} is down on ${peer}, then run "kit-runner action ${t} remove --node ${peer}"` }),
              steps,
            );
          }
        }
      }
      for (const t of todo) {
        try {
          await this.step(t, this.node, 'restore', steps, options.note);
        } catch (err) {
          throw new ActionError(asKitError(err), steps);
        }
      }
      return steps;
    } finally {
      lock.release();
    }
  }

  /** Takes `tag` and everything that depends on it out of service on this node, parents first. */
  async remove(tag: string, options: { force?: boolean; note?: (s: StepReport) => void } = {}): Promise<StepReport[]> {
    const steps: StepReport[] = [];
    const lock = await this.reserve([tag], `remove ${tag}`);
    try {
      const data = this.store.read();
      need(data, tag);
      if (!data.resources[tag]!.servers[this.node]) throw new NotFoundError(`${tag} is not extended to ${this.node}`, { code: 'NOT_EXTENDED', fix: `"kit-runner status ${tag}" shows its servers` });
      const set = new Set([tag, ...[...ancestors(data, tag)].filter((a) => data.resources[a]!.servers[this.node])]);
      for (const t of removeOrder(data, set)) {
        const e = data.resources[t]!.servers[this.node]!;
        if (e.state === 'OSU' && !options.force) {
          steps.push({ tag: t, server: this.node, action: 'remove', outcome: 'skipped', durationMs: 0, detail: 'already out of service' });
          continue;
        }
        try {
          await this.step(t, this.node, 'remove', steps, options.note);
        } catch (err) {
          throw new ActionError(asKitError(err), steps);
        }
      }
      return steps;
    } finally {
      lock.release();
    }
  }

  /** Runs quickCheck of one resource on this node. Read-only: the store is not changed. */
  async quickCheck(tag: string): Promise<QuickCheckResult & { durationMs: number }> {
    const data = this.store.read();
    const r = need(data, tag);
    if (!r.servers[this.node]) throw new NotFoundError(`${tag} is not extended to ${this.node}`, { code: 'NOT_EXTENDED', fix: `"kit-runner status ${tag}" shows its servers` });
    const kit = await this.kit(r.kit);
    const started = performance.now();
    if (!kit.actions.quickCheck) throw UnsupportedActionError.of(r.kit, 'quickCheck');
    const { ctx, done } = await this.context(kit, r, this.node, 'quickCheck', data);
    let result: QuickCheckResult;
    try {
      result = (await this.invoke(ctx, done, () => kit.actions.quickCheck!(ctx))) ?? { status: 'ok' };
    } catch (err) {
      const e = asKitError(err);
      result = { status: 'failed', reason: e.message };
    }
    return { ...result, durationMs: Math.round(performance.now() - started) };
  }

  /** Runs recover of one resource on this node; records ISP on success, OSF on failure. */
  async recover(tag: string): Promise<StepReport> {
    const lock = await this.reserve([tag], `recover ${tag}`);
    try {
      return await this.recoverLocked(tag);
    } finally {
      lock.release();
    }
  }

  async recoverLocked(tag: string): Promise<StepReport> {
    const data = this.store.read();
    const r = need(data, tag);
    if (!r.servers[this.node]) throw new NotFoundError(`${tag} is not extended to ${this.node}`, { code: 'NOT_EXTENDED' });
    const kit = await this.kit(r.kit);
    if (!kit.actions.recover) throw UnsupportedActionError.of(r.kit, 'recover');
    const { ctx, done } = await this.context(kit, r, this.node, 'recover', data);
    const started = performance.now();
    this.setState(tag, this.node, { pending: { action: 'recover', pid: process.pid, since: new Date().toISOString() } });
    try {
      await this.invoke(ctx, done, () => kit.actions.recover!(ctx));
    } catch (err) {
      const e = asKitError(err);
      this.setState(tag, this.node, { state: 'OSF', reason: `recover failed: ${e.message}`, pending: undefined });
      this.store.history({ event: 'recover', tag, server: this.node, outcome: 'failed', reason: e.message });
      throw new ActionError(e, [{ tag, server: this.node, action: 'recover', outcome: 'failed', durationMs: Math.round(performance.now() - started), detail: e.message }]);
    }
    this.setState(tag, this.node, { state: 'ISP', reason: 'recovered', pending: undefined });
    this.store.history({ event: 'recover', tag, server: this.node, outcome: 'ok' });
    return { tag, server: this.node, action: 'recover', outcome: 'ok', durationMs: Math.round(performance.now() - started) };
  }

  /** Runs a kit's extra named action. */
  async command(tag: string, name: string, args: readonly string[]): Promise<unknown> {
    const data = this.store.read();
    const r = need(data, tag);
    const kit = await this.kit(r.kit);
    const cmd = kit.commands?.[name];
    if (!cmd) throw UnsupportedActionError.of(r.kit, name);
    const server = r.servers[this.node] ? this.node : Object.keys(r.servers)[0]!;
    const lock = await this.reserve([tag], `${name} ${tag}`);
    try {
      const { ctx, done } = await this.context(kit, r, server, name, data);
      return await this.invoke(ctx, done, () => cmd.run(ctx, args));
    } finally {
      lock.release();
    }
  }
}

export function asKitError(err: unknown): KitError {
  if (isKitError(err)) return err;
  const e = err instanceof Error ? err : new Error(String(err));
  return new KitError(e.message, { code: 'ACTION_FAILED', exitCode: 1, cause: e });
}

function checkTag(tag: string): void {
  if (!TAG_PATTERN.test(tag)) {
    throw new ConfigError(`tag ${JSON.stringify(tag)} is not valid`, {
      field: 'tag',
      fix: 'use 1-256 letters, digits, "-", "_", "." or "/", not starting with "." or "/"',
    });
  }
}

function checkPriority(p: number): void {
  if (!Number.isInteger(p) || p < 1 || p > 999) throw new ConfigError(`priority ${p} is out of range`, { field: '--priority', fix: 'use a whole number from 1 (highest) to 999' });
}

function perServerOverrides(kit: Kit, raw: Record<string, RawValue>, tag: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const allowed = Object.entries(kit.options.fields).filter(([, f]) => f.perServer).map(([k]) => k);
  for (const [k, v] of Object.entries(raw)) {
    if (!kit.options.fields[k]) {
      throw new ConfigError(`unknown option ${k} for ${kit.meta.kitType} resource ${tag}`, {
        field: k,
        fix: allowed.length ? `options that may differ per server: ${allowed.join(', ')}` : `kit ${kit.meta.kitType} has no per-server options`,
      });
    }
    if (!allowed.includes(k)) {
      throw new ConfigError(`option ${k} of ${tag} is the same on every server and cannot be given at extend`, {
        field: k,
        fix: allowed.length ? `only these options may differ per server: ${allowed.join(', ')}` : `kit ${kit.meta.kitType} has no per-server options`,
      });
    }
    out[k] = v;
  }
  return out;
}

/** Stored values back into the raw shape option schemas accept. */
export function toRaw(values: Record<string, unknown>): Record<string, RawValue> {
  const out: Record<string, RawValue> = {};
  for (const [k, v] of Object.entries(values)) {
    out[k] = Array.isArray(v) ? v.map(String) : typeof v === 'object' && v !== null ? JSON.stringify(v) : (v as RawValue);
  }
  return out;
}
