/**
 * The lifecycle after create: extend to another server, unextend, delete, and dependencies.
 * Each takes the reservation of the hierarchies it touches first, checks its preconditions on
 * the document read under it, lets the kits check, then writes once, checking every store
 * precondition again inside the `store.update` change (lifecycle-checks.ts): a store calls the
 * change on the document it writes, the CIB store again after another node's write.
 */
import { ConfigError, ConflictError, NotFoundError, SERVER_PATTERN, UsageError, type Kit, type RawValue } from '@recovery-kit/sdk';
import { runAction, toRaw } from './action-runner.ts';
import { checkPriority } from './create.ts';
import type { Engine } from './engine.ts';
import { need } from './engine-need.ts';
import { removeOrder, wouldCycle } from './hierarchy.ts';
import { checkDelete, extendSet, unextendSet } from './lifecycle-checks.ts';
import { reserve } from './reservation.ts';
import { discardSecrets, sealSecrets, secretFiles } from './secrets.ts';
import type { Switchback } from './store.ts';

export interface ExtendInput {
  tag: string;
  server: string;
  priority: number;
  switchback?: Switchback | undefined;
  options: Record<string, RawValue>;
}

/** Extends `tag`, and every resource below it not on `server` yet (children first), to `server`. */
export async function extend(engine: Engine, input: ExtendInput): Promise<string[]> {
  const { tag, server, priority } = input;
  if (!SERVER_PATTERN.test(server)) throw new UsageError(`${JSON.stringify(server)} is not a valid server name`, { field: '--server', fix: 'use a host name' });
  checkPriority(priority);
  const { data, release } = await reserve(engine, [tag], `extend ${tag}`);
  try {
    const todo = extendSet(data, tag, server, priority);
    // A parent's extend sees its children as extended: `view` gets each child's entry as it is done.
    const view = structuredClone(data);
    const done: Record<string, { info: Record<string, unknown>; overrides: Record<string, unknown> }> = {};
    for (const t of todo) {
      const stored = data.resources[t]!;
      // The kit checks the values themselves: secret references read back (secrets.ts).
      const r = { ...stored, options: engine.openSecrets(stored.options, t) };
      const kit = await engine.kit(r.kit);
      const overrides = t === tag ? perServerOverrides(kit, input.options, t) : {};
      const perServer = Object.entries(kit.options.fields)
        .filter(([k, f]) => f.perServer && r.options[k] !== undefined)
        .map(([k, f]) => `${k}=${f.secret ? '********' : JSON.stringify(r.options[k])}`);
      if (t !== tag && perServer.length) {
        engine.logger.warn(`${t} is extended to ${server} along with ${tag}, with the values it has elsewhere: ${perServer.join(', ')}`, {
          fix: `if ${server} needs its own values (another subnet or region), unextend and run "kit-runner extend ${t} --server ${server} --priority ${priority} --opt KEY=VALUE" first`,
        });
      }
      kit.options.parse(toRaw({ ...r.options, ...overrides }), `invalid options for ${t} on ${server}`);
      let info: Record<string, unknown> = {};
      if (kit.actions.extend) {
        const result = await runAction(kit, 'extend', engine.actionRun(view, t, server, { overrides, info: {} }), (ctx) => kit.actions.extend!(ctx));
        info = result?.info ?? {};
        if (result?.options) {
          const normalized = perServerOverrides(kit, toRaw(result.options), t);
          kit.options.parse(
            toRaw({ ...r.options, ...overrides, ...normalized }),
            `kit ${r.kit} normalized the options of ${t} on ${server} into invalid values`,
          );
          Object.assign(overrides, normalized);
        }
      }
      // Store the typed values (the schema's coercion), not the text given on the command line.
      const typed = kit.options.parse(toRaw({ ...r.options, ...overrides })) as Record<string, unknown>;
      for (const k of Object.keys(overrides)) overrides[k] = typed[k];
      done[t] = { info, overrides };
      view.resources[t]!.servers[server] = { priority, switchback: 'intelligent', overrides, info, state: 'OSU', reason: '', since: '' };
    }
    const written: string[] = [];
    try {
      for (const t of todo) {
        const sealed = sealSecrets(engine.settings.stateDir, await engine.kit(data.resources[t]!.kit), done[t]!.overrides);
        written.push(...sealed.written);
        done[t]!.overrides = sealed.values;
      }
      engine.store.update((d) => {
        // The checks again, on the document written (another node may have extended it meanwhile).
        extendSet(d, tag, server, priority, todo);
        for (const t of todo) {
          const r = d.resources[t]!;
          const since = new Date().toISOString();
          r.servers[server] = {
            priority,
            switchback: input.switchback ?? 'intelligent',
            overrides: done[t]!.overrides,
            info: done[t]!.info,
            state: 'OSU',
            reason: 'extended',
            since,
          };
        }
      });
    } catch (err) {
      discardSecrets(engine.settings.stateDir, written);
      throw err;
    }
    engine.store.history({ event: 'extend', tags: todo, server, priority });
    return todo;
  } finally {
    release();
  }
}

/** Removes `server` from `tag` and from everything that depends on it (parents first). */
export async function unextend(engine: Engine, tag: string, server: string): Promise<string[]> {
  const { data, release } = await reserve(engine, [tag], `unextend ${tag}`);
  try {
    const set = unextendSet(data, tag, server);
    for (const t of removeOrder(data, set)) {
      const kit = await engine.kit(data.resources[t]!.kit);
      if (kit.actions.unextend) await runAction(kit, 'unextend', engine.actionRun(data, t, server), (ctx) => kit.actions.unextend!(ctx));
    }
    const files: string[] = [];
    engine.store.update((d) => {
      files.length = 0; // a store may call this again (store.ts): count the last call's only
      unextendSet(d, tag, server, set);
      for (const t of set) {
        files.push(...secretFiles(d.resources[t]?.servers[server]?.overrides));
        delete d.resources[t]?.servers[server];
      }
    });
    discardSecrets(engine.settings.stateDir, files);
    engine.store.history({ event: 'unextend', tags: set, server });
    return set;
  } finally {
    release();
  }
}

/** Runs the kit's delete and removes `tag` from the store (refused while others depend on it, or in service without force). */
export async function deleteResource(engine: Engine, tag: string, options: { force?: boolean } = {}): Promise<void> {
  const { data, release } = await reserve(engine, [tag], `delete ${tag}`);
  try {
    checkDelete(data, tag, options.force === true);
    const r = data.resources[tag]!;
    const kit = await engine.kit(r.kit);
    if (kit.actions.delete) {
      // A resource this node does not carry is deleted with the first server's values.
      const server = r.servers[engine.node] ? engine.node : Object.keys(r.servers)[0]!;
      await runAction(kit, 'delete', engine.actionRun(data, tag, server), (ctx) => kit.actions.delete!(ctx));
    }
    const files: string[] = [];
    engine.store.update((d) => {
      files.length = 0; // a store may call this again (store.ts): count the last call's only
      checkDelete(d, tag, options.force === true);
      const gone = d.resources[tag]!;
      files.push(...secretFiles(gone.options), ...Object.values(gone.servers).flatMap((e) => secretFiles(e.overrides)));
      delete d.resources[tag];
      d.dependencies = d.dependencies.filter((x) => x.parent !== tag && x.child !== tag);
    });
    discardSecrets(engine.settings.stateDir, files);
  } finally {
    release();
  }
  engine.store.history({ event: 'delete', tag });
}

export async function depAdd(engine: Engine, parent: string, child: string): Promise<void> {
  const { release } = await reserve(engine, [parent, child], `dep add ${parent} ${child}`);
  try {
    engine.store.update((d) => {
      const p = need(d, parent);
      const c = need(d, child);
      if (d.dependencies.some((x) => x.parent === parent && x.child === child)) {
        throw new ConflictError(`${parent} already depends on ${child}`, { code: 'DUPLICATE_DEPENDENCY', fix: '"kit-runner status" shows the hierarchy' });
      }
      const cycle = wouldCycle(d, parent, child);
      if (cycle) {
        const path = [...cycle, parent].filter((t, i, a) => i === 0 || t !== a[i - 1]).join(' -> ');
        throw new ConflictError(`making ${parent} depend on ${child} would create a cycle: ${path}`, {
          code: 'DEPENDENCY_CYCLE',
          fix: 'a resource cannot depend, directly or through others, on a resource that depends on it',
        });
      }
      const missing = Object.keys(p.servers).filter((s) => !c.servers[s]);
      if (missing.length) {
        throw new ConflictError(`${child} is not extended to ${missing.join(', ')}, where ${parent} is`, {
          code: 'CHILD_NOT_EXTENDED',
          fix: `extend ${child} first: kit-runner extend ${child} --server ${missing[0]} --priority <n>`,
        });
      }
      d.dependencies.push({ parent, child });
    });
  } finally {
    release();
  }
  engine.store.history({ event: 'dep-add', parent, child });
}

export async function depRemove(engine: Engine, parent: string, child: string): Promise<void> {
  const { release } = await reserve(engine, [parent, child], `dep remove ${parent} ${child}`);
  try {
    engine.store.update((d) => {
      need(d, parent);
      need(d, child);
      const before = d.dependencies.length;
      d.dependencies = d.dependencies.filter((x) => !(x.parent === parent && x.child === child));
      if (d.dependencies.length === before)
        throw new NotFoundError(`${parent} does not depend on ${child}`, { code: 'UNKNOWN_DEPENDENCY', fix: '"kit-runner status" shows the hierarchy' });
    });
  } finally {
    release();
  }
  engine.store.history({ event: 'dep-remove', parent, child });
}

/** The per-server values given at extend: only fields declared perServer. */
function perServerOverrides(kit: Kit, raw: Record<string, RawValue>, tag: string): Record<string, unknown> {
  const allowed = Object.entries(kit.options.fields)
    .filter(([, f]) => f.perServer)
    .map(([k]) => k);
  const which = allowed.length ? `options that may differ per server: ${allowed.join(', ')}` : `kit ${kit.meta.kitType} has no per-server options`;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(raw)) {
    if (!kit.options.fields[k]) throw new ConfigError(`unknown option ${k} for ${kit.meta.kitType} resource ${tag}`, { field: k, fix: which });
    if (!allowed.includes(k)) {
      throw new ConfigError(`option ${k} of ${tag} is the same on every server and cannot be given at extend`, {
        field: k,
        fix: allowed.length ? `only these options may differ per server: ${allowed.join(', ')}` : which,
      });
    }
    out[k] = v;
  }
  return out;
}
