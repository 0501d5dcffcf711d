/** `kit-runner cluster import`: our part of a CIB back in the store form. */
import { ConfigError } from '@recovery-kit/sdk';
import { emptyStore, type ResourceRecord, type StoreData, type Switchback } from '../store.ts';
import { MAX_PRIORITY, PROVIDER } from './cib.ts';
import { cloneId, ourClones } from './cib-clone.ts';
import { isInfoSet, readInfo } from './info.ts';
import { kid, kids, type El } from './xml.ts';

function nvs(set: El | undefined): Record<string, string> {
  return Object.fromEntries(kids(set, 'nvpair').map((n) => [n.attrs.name ?? '', n.attrs.value ?? '']));
}

/** A primitive's own meta attributes (not its info set). */
const metaOf = (p: El): El | undefined => kids(p, 'meta_attributes').find((m) => !isInfoSet(p.attrs.id ?? '', m));

/**
 * Reads our part of a CIB `<configuration>` (or whole `<cib>`) back into the store form: our
 * primitives (provider recovery-kit), their default and node-scoped instance attributes, the
 * dependencies from groups and order constraints, priorities from the location scores, switchback
 * from stickiness, each server's kit info from the info set (info.ts). Option values come back as
 * text (the kit's schema parses them). States are
 * not configuration: every server entry is OSU (`kit-runner status` in cluster mode reads the
 * live state from crm_mon).
 */
export function importCib(root: El): StoreData {
  const conf = root.name === 'configuration' ? root : kid(root, 'configuration');
  if (!conf)
    throw new ConfigError('the XML has no <configuration> section', {
      field: 'CIB',
      fix: 'give the output of "cibadmin --query" or "cibadmin --query --scope configuration"',
    });
  const data = emptyStore();
  const rscs = kid(conf, 'resources');
  const cons = kid(conf, 'constraints');
  const meta = new Map<string, Record<string, string>>();
  const prims: El[] = [];
  for (const e of rscs?.children ?? []) {
    if (e.name === 'primitive' && e.attrs.provider === PROVIDER) prims.push(e);
    if (e.name === 'group') {
      const members = kids(e, 'primitive').filter((p) => p.attrs.provider === PROVIDER);
      const gm = nvs(kid(e, 'meta_attributes'));
      for (const p of members) {
        prims.push(p);
        meta.set(p.attrs.id!, { ...gm, ...nvs(metaOf(p)) });
      }
      for (let i = 1; i < members.length; i++) data.dependencies.push({ parent: members[i]!.attrs.id!, child: members[i - 1]!.attrs.id! });
    }
  }
  const groupOf = new Map<string, string>();
  for (const g of kids(rscs, 'group')) for (const p of kids(g, 'primitive')) groupOf.set(p.attrs.id!, g.attrs.id!);
  // Promotable clones (cib-clone.ts): the clone's meta, locations and order/colocation name the clone.
  const tagOf = new Map<string, string>();
  for (const [id, p] of ourClones(rscs, PROVIDER)) {
    prims.push(p);
    meta.set(
      p.attrs.id!,
      nvs(
        kid(
          rscs!.children.find((c) => c.attrs.id === id),
          'meta_attributes',
        ),
      ),
    );
    groupOf.set(p.attrs.id!, id);
    tagOf.set(id, p.attrs.id!);
  }
  const now = new Date(0).toISOString();
  for (const p of prims) {
    const tag = p.attrs.id!;
    const desc = p.attrs.description ?? '';
    const m = /^recovery-kit: (\S+)@(\S+) id=(\S*) created=(\S*)/.exec(desc);
    const sets = kids(p, 'instance_attributes');
    const base = sets.find((s) => !kid(s, 'rule'));
    const options: Record<string, unknown> = nvs(base);
    // The clone's id apply sets in the kit's cibClone option is not the user's.
    if (groupOf.get(tag) === cloneId(tag) && options.cibClone === cloneId(tag)) delete options.cibClone;
    const perServer = new Map<string, Record<string, unknown>>();
    for (const s of sets) {
      const rule = kid(s, 'rule');
      const expr = kids(rule, 'expression').find((x) => x.attrs.attribute === '#uname' && x.attrs.operation === 'eq');
      if (!expr) continue;
      const values: Record<string, unknown> = nvs(s);
      delete values.children;
      perServer.set(expr.attrs.value!, values);
    }
    const rscId = groupOf.get(tag) ?? tag;
    const stick = (meta.get(tag) ?? nvs(metaOf(p)))['resource-stickiness'];
    const info = readInfo(p);
    const switchback: Switchback = stick === '0' ? 'automatic' : 'intelligent';
    const rec: ResourceRecord = {
      tag,
      id: m?.[3] || tag,
      kit: p.attrs.type!,
      kitPackage: m?.[1] ?? `@recovery-kit/kit-${p.attrs.type}`,
      kitVersion: m?.[2] ?? '0.0.0',
      options,
      createdAt: m?.[4] || now,
      servers: {},
    };
    for (const c of kids(cons, 'rsc_location')) {
      if (c.attrs.rsc !== rscId || !c.attrs.node || c.attrs.score === undefined) continue;
      const score = Number(c.attrs.score);
      if (!Number.isFinite(score)) continue;
      rec.servers[c.attrs.node] = {
        priority: Math.min(MAX_PRIORITY, Math.max(1, 1000 - score)),
        switchback,
        overrides: perServer.get(c.attrs.node) ?? {},
        info: info[c.attrs.node] ?? {},
        state: 'OSU',
        reason: 'imported from the CIB',
        since: now,
      };
    }
    data.resources[tag] = rec;
  }
  for (const o of kids(cons, 'rsc_order')) {
    const first = tagOf.get(o.attrs.first ?? '') ?? o.attrs.first;
    const then = tagOf.get(o.attrs.then ?? '') ?? o.attrs.then;
    if (first && then && data.resources[first] && data.resources[then] && !data.dependencies.some((d) => d.parent === then && d.child === first)) {
      data.dependencies.push({ parent: then, child: first });
    }
  }
  membersAhead(conf, data);
  return data;
}

/**
 * A chain is one group whose locations come from its root, so a member extended before its root
 * (to give it its own values there, as extend's help says) shows in the CIB only as its
 * node-scoped set or its kit info for that node. Such a member counts as extended to that node (priority: a free one, not
 * written: the group's location scores come from the root), so the root's extend keeps its values.
 */
function membersAhead(conf: El, data: StoreData): void {
  for (const g of kids(kid(conf, 'resources'), 'group')) {
    for (const p of kids(g, 'primitive')) {
      const r = data.resources[p.attrs.id ?? ''];
      if (!r) continue;
      const info = readInfo(p);
      const sets = new Map<string, El | undefined>(Object.keys(info).map((n) => [n, undefined]));
      for (const set of kids(p, 'instance_attributes')) {
        const x = kids(kid(set, 'rule'), 'expression').find((e) => e.attrs.attribute === '#uname' && e.attrs.operation === 'eq');
        if (x?.attrs.value) sets.set(x.attrs.value, set);
      }
      for (const [node, set] of sets) {
        if (r.servers[node]) continue;
        const used = new Set(Object.values(r.servers).map((s) => s.priority));
        let priority = MAX_PRIORITY;
        while (used.has(priority)) priority--;
        const values: Record<string, unknown> = nvs(set);
        delete values.children;
        r.servers[node] = {
          priority,
          switchback: Object.values(r.servers)[0]?.switchback ?? 'intelligent',
          overrides: values,
          info: info[node] ?? {},
          state: 'OSU',
          reason: 'imported from the CIB',
          since: new Date(0).toISOString(),
        };
      }
    }
  }
}
