/**
 * `extend` / `unextend` in cluster mode (KIT_RUNNER_STORE=cib): the hierarchy is read from the
 * CIB (import, into a temporary store), the normal extend runs there on this node (the kit's own
 * extend checks run here, this node's values are recorded), and the changed hierarchy goes back
 * to the CIB: only our elements, only those that differ (apply's plan), in ONE
 * `cibadmin --replace --scope configuration`, so Pacemaker never sees node-b allowed without
 * node-b's values. Elements extend did not change are written back as the CIB has them, and a
 * changed primitive keeps its operations and meta attributes (from an earlier `cluster apply
 * --monitor-interval ...`): only its instance attributes are regenerated. The local file store
 * is not touched.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConflictError, NotFoundError, UsageError } from '@recovery-kit/sdk';
import { openStore } from '../file-store.ts';
import type { Settings } from '../settings.ts';
import { applyGenerated, canon, type ApplyReport, type CibRunner, queryConfiguration } from './apply.ts';
import { generate, MAX_PRIORITY, type Generated } from './cib.ts';
import { importCib } from './cib-import.ts';
import { loadFacts } from './facts.ts';
import { el, kid, kids, serialize, type El } from './xml.ts';
import type { StoreData } from '../store.ts';

export interface ClusterChange {
  done: string[];
  report: ApplyReport;
}

/** The element with this id under <resources> (groups and clones searched) or <constraints>. */
function findById(conf: El, id: string): El | undefined {
  const walk = (e: El | undefined): El | undefined => {
    for (const c of e?.children ?? []) {
      if (c.attrs.id === id) return c;
      if (c.name === 'group' || c.name === 'clone') {
        const hit = walk(c);
        if (hit) return hit;
      }
    }
    return undefined;
  };
  return walk(kid(conf, 'resources')) ?? walk(kid(conf, 'constraints'));
}

/**
 * A chain is one group whose locations come from its root, so a member extended before its root
 * (to give it its own values there, as extend's help says) shows in the CIB only as its
 * node-scoped set. Such a member counts as extended to that node here (priority: a free one, not
 * written: the group's location scores come from the root), so the root's extend keeps its values.
 */
function membersAhead(conf: El, data: StoreData): void {
  for (const g of kids(kid(conf, 'resources'), 'group')) {
    for (const p of kids(g, 'primitive')) {
      const r = data.resources[p.attrs.id ?? ''];
      if (!r) continue;
      for (const set of kids(p, 'instance_attributes')) {
        const x = kids(kid(set, 'rule'), 'expression').find((e) => e.attrs.attribute === '#uname' && e.attrs.operation === 'eq');
        const node = x?.attrs.value;
        if (!node || r.servers[node]) continue;
        const used = new Set(Object.values(r.servers).map((s) => s.priority));
        let priority = MAX_PRIORITY;
        while (used.has(priority)) priority--;
        const values: Record<string, unknown> = Object.fromEntries(kids(set, 'nvpair').map((n) => [n.attrs.name ?? '', n.attrs.value ?? '']));
        delete values.children;
        const any = Object.values(r.servers)[0];
        r.servers[node] = {
          priority,
          switchback: any?.switchback ?? 'intelligent',
          overrides: values,
          info: {},
          state: 'OSU',
          reason: 'imported from the CIB',
          since: new Date(0).toISOString(),
        };
      }
    }
  }
}

/** The live element with the generated primitives' instance attributes (ops and meta kept). */
function merged(live: El, want: El): El {
  const out = structuredClone(live);
  const prims = (e: El) => (e.name === 'primitive' ? [e] : kids(e, 'primitive'));
  const wanted = new Map(prims(want).map((p) => [p.attrs.id!, p]));
  for (const p of prims(out)) {
    const w = wanted.get(p.attrs.id!);
    if (!w) continue;
    const sets = kids(w, 'instance_attributes');
    const rest = p.children.filter((c) => c.name !== 'instance_attributes');
    p.children = [...sets, ...rest];
  }
  return out;
}

/** `after` with every element extend did not change taken from the live CIB as it is. */
function keepLive(conf: El, before: Generated, after: Generated): Generated {
  const was = new Map([...before.resources, ...before.constraints].map((e) => [e.attrs.id!, canon(e)]));
  const pick = (e: El, resource: boolean): El => {
    const live = findById(conf, e.attrs.id!);
    if (!live) return e;
    if (was.get(e.attrs.id!) === canon(e)) return live;
    return resource && live.name === e.name ? merged(live, e) : e;
  };
  const resources = after.resources.map((e) => pick(e, true));
  const constraints = after.constraints.map((e) => pick(e, false));
  const ids = new Set([...resources, ...constraints].map((e) => e.attrs.id!));
  return {
    resources,
    constraints,
    hierarchies: after.hierarchies.map((h) => ({
      ...h,
      resources: resources.filter((e) => h.resources.some((x) => x.attrs.id === e.attrs.id)),
      constraints: constraints.filter((e) => ids.has(e.attrs.id!) && h.constraints.some((x) => x.attrs.id === e.attrs.id)),
    })),
  };
}

/** The configuration with apply's plan carried out, for one replace. */
function planned(conf: El, g: Generated, report: ApplyReport): El {
  const out = structuredClone(conf);
  const byId = new Map([...g.resources, ...g.constraints].map((e) => [e.attrs.id!, e]));
  const gone = new Set([...report.deleted, ...report.replaced]);
  const swap = (parent: El) => {
    parent.children = parent.children.flatMap((c) => {
      const id = c.attrs.id ?? '';
      if (report.replaced.includes(id)) return [byId.get(id)!];
      if (gone.has(id)) return [];
      if (c.name === 'group' || c.name === 'clone') swap(c);
      return [c];
    });
  };
  for (const name of ['resources', 'constraints']) {
    let sec = kid(out, name);
    if (!sec) out.children.push((sec = el(name)));
    swap(sec);
    for (const id of report.created) {
      const e = byId.get(id)!;
      if ((name === 'resources') === g.resources.includes(e)) sec.children.push(e);
    }
  }
  return out;
}

/**
 * Runs `change` (extend or unextend on an Engine) against the hierarchy in the CIB, then writes
 * what changed back. Refused before anything runs: a server other than this node (exit 2), a tag
 * not in the CIB (exit 10).
 */
export async function changeInCib(
  settings: Settings,
  cib: CibRunner,
  input: { tag: string; server: string; verb: 'extend' | 'unextend' },
  change: (s: Settings) => Promise<string[]>,
): Promise<ClusterChange> {
  const { tag, server, verb } = input;
  if (server !== settings.node)
    throw new UsageError(`--server ${server}: in cluster mode ${verb} runs on the target node itself (this node is ${settings.node})`, {
      field: '--server',
      fix: `run "KIT_RUNNER_STORE=cib kit-runner ${verb} ${tag} --server ${server} ..." on ${server}: the kit's checks run there and record that node's values`,
    });
  const conf = await queryConfiguration(cib);
  const data = importCib(conf);
  membersAhead(conf, data);
  if (!data.resources[tag])
    throw new NotFoundError(`no resource with tag "${tag}" in the cluster's configuration (CIB)`, {
      field: 'TAG',
      fix: 'apply the hierarchy first with "kit-runner cluster apply" (on the node whose store has it), or see "kit-runner cluster status"',
    });
  const dir = mkdtempSync(join(tmpdir(), 'rk-cib-change-'));
  let after: StoreData;
  let done: string[];
  try {
    openStore(dir).update((d) => {
      Object.assign(d.resources, data.resources);
      d.dependencies.push(...data.dependencies);
    });
    done = await change({ ...settings, stateDir: dir });
    after = openStore(dir).read();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const facts = await loadFacts(
    settings.kitsDirs,
    settings.tunablesPath,
    Object.values(after.resources).map((r) => r.kit),
  );
  const g = keepLive(conf, generate(data, facts, { tag }), generate(after, facts, { tag }));
  const report = await applyGenerated(cib, g, { dryRun: true });
  if (report.created.length + report.replaced.length + report.deleted.length) {
    // The CIB must not have changed since it was read: else refuse, and let the operator rerun.
    const now = await queryConfiguration(cib);
    if (serialize(now) !== serialize(conf))
      throw new ConflictError(`the CIB changed while ${verb} ran; nothing was written`, {
        code: 'CIB_CHANGED',
        field: 'CIB',
        fix: `run the ${verb} again`,
      });
    const r = await cib.run(['cibadmin', '--replace', '--scope', 'configuration', '--xml-pipe'], serialize(planned(conf, g, report)));
    if (r.code !== 0)
      throw new ConflictError(`cibadmin --replace failed (exit ${r.code}): ${r.stderr.trim() || r.stdout.trim()}`, {
        code: 'CIB_FAILED',
        field: 'CIB',
        fix: 'check that this node is an online cluster member ("crm_mon -1")',
      });
  }
  return { done, report };
}
