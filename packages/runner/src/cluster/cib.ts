/**
 * The store form of a hierarchy (StoreData) to Pacemaker CIB XML, and back.
 *
 * - every resource a primitive of our OCF agent (`ocf:recovery-kit:<kit>`), id = its tag; the
 *   options common to every server in a default instance_attributes set, each server's own values
 *   (perServer overrides) in a node-scoped set with a rule on `#uname`, which Pacemaker evaluates
 *   first (higher score). Secret options are never written (the CIB is readable by haclient).
 * - a hierarchy that is a chain becomes a group (children first); any other shape becomes
 *   order + colocation constraints, one pair per dependency.
 * - priorities become location scores (1000 - priority: priority 1 is the most preferred),
 *   servers the resource is not extended to a -INFINITY rule.
 * - switchback becomes resource-stickiness: intelligent (stay) = STICKY, automatic (move back to
 *   the highest priority) = 0.
 * - operations carry the agents' timeouts (each kit's own timeout tunables, as in its meta-data)
 *   and a monitor interval from the kit's check interval.
 * Every element we write has an id from the tag (`rk-<root>-…` for constraints and groups) and
 * our primitives a `description` starting with DESCRIPTION_PREFIX, so apply and import find
 * what is ours and nothing else.
 */
import { ConfigError } from '@recovery-kit/sdk';
import { childrenOf, component, restoreOrder, roots } from '../hierarchy.ts';
import { emptyStore, type ResourceRecord, type StoreData, type Switchback } from '../store.ts';
import { all, el, kid, kids, serialize, type El } from './xml.ts';

export const DESCRIPTION_PREFIX = 'recovery-kit:';
export const PROVIDER = 'recovery-kit';
/** resource-stickiness for intelligent switchback: more than any difference of location scores. */
export const STICKY = 10_000;
export const MAX_PRIORITY = 999;
const THEN = 'then';

/** What the generator needs to know about a kit (from its option schema and tunables). */
export interface KitFacts {
  kitType: string;
  /** Option names the kit marks secret: never written to the CIB. */
  secret: ReadonlySet<string>;
  startTimeoutS: number;
  stopTimeoutS: number;
  monitorTimeoutS: number;
  monitorIntervalS: number;
  /**
   * The kit publishes a node health attribute `rk-health-<tag>` (a `health` command, like
   * ocf:pacemaker:ping's `pingd`): the resource gets a location rule -INFINITY where it is `failed`.
   */
  healthAttribute?: boolean;
}

/** The node attribute a health-publishing kit's resource TAG sets (kits/libreswan: `rk-health-<tag>`). */
export const healthAttributeOf = (tag: string) => `rk-health-${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

/** `rk-ROOT-health-TAG`: not on a node whose `rk-health-TAG` says `failed` (the kit's failover decision). */
function healthRule(root: string, rsc: string, tag: string): El {
  const id = `rk-${root}-health-${safe(tag)}`;
  return el('rsc_location', { id, rsc }, [
    el('rule', { id: `${id}-rule`, score: '-INFINITY' }, [
      el('expression', { id: `${id}-rule-0`, attribute: healthAttributeOf(tag), operation: 'eq', value: 'failed' }),
    ]),
  ]);
}

export interface GenerateOptions {
  /** Limit to the hierarchy holding this tag. */
  tag?: string;
  /** Pacemaker's migration-threshold for our resources (failures on a node before it moves). Default 3. */
  migrationThreshold?: number;
}

export interface GeneratedHierarchy {
  root: string;
  tags: string[];
  /** Group or primitives, as they go under <resources>. */
  resources: El[];
  constraints: El[];
}

export interface Generated {
  hierarchies: GeneratedHierarchy[];
  resources: El[];
  constraints: El[];
}

const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]/g, '_');

/** An option value as the agent's parameter text (lists comma-separated, as the agent parses them). */
export function paramText(v: unknown): string | undefined {
  if (v === undefined || v === null) return undefined;
  if (Array.isArray(v)) return v.length ? v.map(String).join(',') : undefined;
  if (typeof v === 'object') return JSON.stringify(v);
  return String(v);
}

function nvpairs(prefix: string, values: Record<string, string>): El[] {
  return Object.entries(values)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => el('nvpair', { id: `${prefix}-${safe(name)}`, name, value }));
}

function unameRule(id: string, server: string, score: string): El {
  return el('rule', { id, score }, [el('expression', { id: `${id}-expr`, attribute: '#uname', operation: 'eq', value: server })]);
}

/** The primary server order of a resource: by priority, then name. */
export function serversByPriority(r: ResourceRecord): string[] {
  return Object.entries(r.servers)
    .sort(([a, x], [b, y]) => x.priority - y.priority || a.localeCompare(b))
    .map(([s]) => s);
}

function isChain(data: StoreData, tags: string[]): boolean {
  for (const t of tags) {
    if (childrenOf(data, t).length > 1) return false;
    if (data.dependencies.filter((d) => d.child === t).length > 1) return false;
  }
  return roots(data).filter((r) => tags.includes(r)).length === 1;
}

function primitive(data: StoreData, tag: string, facts: KitFacts, o: { meta?: Record<string, string> }): El {
  const r = data.resources[tag]!;
  const common: Record<string, string> = {};
  for (const [k, v] of Object.entries(r.options)) {
    if (facts.secret.has(k)) continue;
    const t = paramText(v);
    if (t !== undefined) common[k] = t;
  }
  const servers = serversByPriority(r);
  const sets: El[] = [];
  // Node-scoped values: the server's overrides, and the children parameter (each child's options on that server).
  for (const server of servers) {
    const e = r.servers[server]!;
    const own: Record<string, string> = {};
    for (const [k, v] of Object.entries(e.overrides)) {
      if (facts.secret.has(k)) continue;
      const t = paramText(v);
      if (t !== undefined && t !== common[k]) own[k] = t;
    }
    const childText = childrenParam(data, tag, server);
    if (childText) own.children = childText;
    if (Object.keys(own).length) {
      const id = `${tag}-ia-${safe(server)}`;
      sets.push(el('instance_attributes', { id, score: '2' }, [unameRule(`${id}-rule`, server, '0'), ...nvpairs(id, own)]));
    }
  }
  const base = el('instance_attributes', { id: `${tag}-ia`, score: '1' }, nvpairs(`${tag}-ia`, common));
  const ops = el('operations', {}, [
    el('op', { id: `${tag}-start-0`, name: 'start', interval: '0s', timeout: `${facts.startTimeoutS}s` }),
    el('op', { id: `${tag}-stop-0`, name: 'stop', interval: '0s', timeout: `${facts.stopTimeoutS}s` }),
    el('op', {
      id: `${tag}-monitor-${facts.monitorIntervalS}s`,
      name: 'monitor',
      interval: `${facts.monitorIntervalS}s`,
      timeout: `${facts.monitorTimeoutS}s`,
    }),
  ]);
  const children: El[] = [...(base.children.length ? [base] : []), ...sets];
  if (o.meta && Object.keys(o.meta).length) children.push(el('meta_attributes', { id: `${tag}-meta` }, nvpairs(`${tag}-meta`, o.meta)));
  children.push(ops);
  return el(
    'primitive',
    {
      id: tag,
      class: 'ocf',
      provider: PROVIDER,
      type: r.kit,
      description: `${DESCRIPTION_PREFIX} ${r.kitPackage}@${r.kitVersion} id=${r.id} created=${r.createdAt}`,
    },
    children,
  );
}

/** `TAG:OPTION=VALUE ...` for every child of `tag`: its options with its overrides on `server` (no secrets, no spaces). */
function childrenParam(data: StoreData, tag: string, server: string): string | undefined {
  const out: string[] = [];
  for (const c of childrenOf(data, tag)) {
    const r = data.resources[c];
    if (!r) continue;
    const opts = { ...r.options, ...(r.servers[server]?.overrides ?? {}) };
    // Only what the child kit must have (the agent checks the rest): today the address of an IP child.
    for (const [k, v] of Object.entries(opts)) {
      if (k !== 'address') continue;
      const t = paramText(v);
      if (t !== undefined && !/\s/.test(t)) out.push(`${c}:${k}=${t}`);
    }
  }
  return out.length ? out.join(' ') : undefined;
}

function stickiness(sb: Switchback): string {
  return sb === 'automatic' ? '0' : String(STICKY);
}

/** Location constraints: a score per server from its priority, -INFINITY where the resource is not extended. */
function locations(root: string, rsc: string, r: ResourceRecord, suffix = ''): El[] {
  const out: El[] = [];
  for (const server of serversByPriority(r)) {
    const p = r.servers[server]!.priority;
    out.push(
      el('rsc_location', {
        id: `rk-${root}${suffix}-prefers-${safe(server)}`,
        rsc,
        node: server,
        score: String(1000 - Math.min(MAX_PRIORITY, Math.max(1, p))),
      }),
    );
  }
  const servers = serversByPriority(r);
  out.push(
    el('rsc_location', { id: `rk-${root}${suffix}-only-extended`, rsc }, [
      el(
        'rule',
        { id: `rk-${root}${suffix}-only-extended-rule`, score: '-INFINITY', 'boolean-op': 'and' },
        servers.map((s, i) => el('expression', { id: `rk-${root}${suffix}-only-extended-rule-${i}`, attribute: '#uname', operation: 'ne', value: s })),
      ),
    ]),
  );
  return out;
}

/** The CIB elements for every hierarchy in `data` (or the one holding `o.tag`). */
export function generate(data: StoreData, facts: ReadonlyMap<string, KitFacts>, o: GenerateOptions = {}): Generated {
  if (o.tag !== undefined && !data.resources[o.tag]) {
    throw new ConfigError(`no resource with tag "${o.tag}" in the store`, { field: 'TAG', fix: 'run "kit-runner status" for the tags' });
  }
  const done = new Set<string>();
  const hierarchies: GeneratedHierarchy[] = [];
  const wanted = o.tag !== undefined ? component(data, o.tag) : Object.keys(data.resources).sort();
  for (const start of wanted) {
    if (done.has(start)) continue;
    const tags = component(data, start);
    for (const t of tags) done.add(t);
    const top = roots(data).filter((r) => tags.includes(r));
    const root = top[0]!;
    const factsOf = (t: string): KitFacts => {
      const kit = data.resources[t]!.kit;
      const f = facts.get(kit);
      if (!f)
        throw new ConfigError(`kit ${kit} (resource ${t}) is not installed here: its OCF agent's timeouts and secret options are unknown`, {
          field: t,
          fix: `install the ${kit} kit on this node (kit-runner kits lists what is installed)`,
        });
      return f;
    };
    const migration = String(o.migrationThreshold ?? 3);
    const resources: El[] = [];
    const constraints: El[] = [];
    const rootRec = data.resources[root]!;
    if (isChain(data, tags)) {
      const order = restoreOrder(data, root);
      const group = `rk-${root}`;
      const meta = { 'resource-stickiness': stickiness(rootRec.servers[serversByPriority(rootRec)[0]!]!.switchback), 'migration-threshold': migration };
      resources.push(
        el('group', { id: group, description: `${DESCRIPTION_PREFIX} hierarchy ${root}` }, [
          ...order.map((t) => primitive(data, t, factsOf(t), {})),
          el('meta_attributes', { id: `${group}-meta` }, nvpairs(`${group}-meta`, meta)),
        ]),
      );
      constraints.push(...locations(root, group, rootRec));
      for (const t of order) if (factsOf(t).healthAttribute) constraints.push(healthRule(root, group, t));
      hierarchies.push({ root, tags: order, resources, constraints });
      continue;
    }
    for (const t of tags) {
      const r = data.resources[t]!;
      const meta = { 'resource-stickiness': stickiness(r.servers[serversByPriority(r)[0]!]!.switchback), 'migration-threshold': migration };
      resources.push(primitive(data, t, factsOf(t), { meta }));
      constraints.push(...locations(root, t, r, tags.length > 1 ? `-${t}` : ''));
      if (factsOf(t).healthAttribute) constraints.push(healthRule(root, t, t));
    }
    for (const d of data.dependencies.filter((x) => tags.includes(x.parent)).sort((a, b) => `${a.parent}/${a.child}`.localeCompare(`${b.parent}/${b.child}`))) {
      const order = el('rsc_order', { id: `rk-${root}-order-${d.child}-then-${d.parent}`, first: d.child });
      // "then" set by index: an object literal with a then property looks like a promise to linters.
      order.attrs[THEN] = d.parent;
      order.attrs.kind = 'Mandatory';
      constraints.push(order);
      constraints.push(el('rsc_colocation', { id: `rk-${root}-colocate-${d.parent}-with-${d.child}`, rsc: d.parent, 'with-rsc': d.child, score: 'INFINITY' }));
    }
    hierarchies.push({ root, tags, resources, constraints });
  }
  return { hierarchies, resources: hierarchies.flatMap((h) => h.resources), constraints: hierarchies.flatMap((h) => h.constraints) };
}

/** `<configuration>` with our resources and constraints: what --dry-run prints. */
export function configurationXml(g: Generated): string {
  return `${serialize(el('configuration', {}, [el('resources', {}, g.resources), el('constraints', {}, g.constraints)]), '  ')}\n`;
}

/** Equivalent crm shell commands, or undefined when the configuration is not simple (node-scoped values). */
export function crmCommands(g: Generated): string | undefined {
  const lines: string[] = [];
  for (const h of g.hierarchies) {
    for (const p of all(el('x', {}, h.resources), 'primitive').concat(h.resources.filter((e) => e.name === 'primitive'))) {
      if (lines.some((l) => l.startsWith(`crm configure primitive ${p.attrs.id} `))) continue;
      const sets = kids(p, 'instance_attributes');
      if (sets.length > 1) return undefined;
      const params = (sets[0]?.children ?? []).map((n) => `${n.attrs.name}=${shq(n.attrs.value ?? '')}`);
      const ops = kids(kid(p, 'operations'), 'op').map((op) => `op ${op.attrs.name} interval=${op.attrs.interval} timeout=${op.attrs.timeout}`);
      const meta = kids(kid(p, 'meta_attributes'), 'nvpair').map((n) => `${n.attrs.name}=${n.attrs.value}`);
      lines.push(
        `crm configure primitive ${p.attrs.id} ocf:${p.attrs.provider}:${p.attrs.type}${params.length ? ` params ${params.join(' ')}` : ''}${meta.length ? ` meta ${meta.join(' ')}` : ''} ${ops.join(' ')}`,
      );
    }
    for (const grp of h.resources.filter((e) => e.name === 'group')) {
      const meta = kids(kid(grp, 'meta_attributes'), 'nvpair').map((n) => `${n.attrs.name}=${n.attrs.value}`);
      lines.push(
        `crm configure group ${grp.attrs.id} ${kids(grp, 'primitive')
          .map((p) => p.attrs.id)
          .join(' ')} meta ${meta.join(' ')}`,
      );
    }
    for (const c of h.constraints) {
      if (c.name === 'rsc_location' && c.attrs.node) lines.push(`crm configure location ${c.attrs.id} ${c.attrs.rsc} ${c.attrs.score}: ${c.attrs.node}`);
      else if (c.name === 'rsc_location') {
        const rule = kid(c, 'rule')!;
        lines.push(
          `crm configure location ${c.attrs.id} ${c.attrs.rsc} rule ${rule.attrs.score}: ${kids(rule, 'expression')
            .map((x) => `${x.attrs.attribute} ${x.attrs.operation} ${x.attrs.value}`)
            .join(' and ')}`,
        );
      } else if (c.name === 'rsc_order') lines.push(`crm configure order ${c.attrs.id} Mandatory: ${c.attrs.first} ${c.attrs.then}`);
      else if (c.name === 'rsc_colocation') lines.push(`crm configure colocation ${c.attrs.id} inf: ${c.attrs.rsc} ${c.attrs['with-rsc']}`);
    }
  }
  return `${lines.join('\n')}\n`;
}

const shq = (s: string) => (/^[A-Za-z0-9_./:,=@+-]*$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

// ---------------------------------------------------------------- import

function nvs(set: El | undefined): Record<string, string> {
  return Object.fromEntries(kids(set, 'nvpair').map((n) => [n.attrs.name ?? '', n.attrs.value ?? '']));
}

/**
 * Reads our part of a CIB `<configuration>` (or whole `<cib>`) back into the store form: our
 * primitives (provider recovery-kit), their default and node-scoped instance attributes, the
 * dependencies from groups and order constraints, priorities from the location scores, switchback
 * from stickiness. Option values come back as text (the kit's schema parses them). States are
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
        meta.set(p.attrs.id!, { ...gm, ...nvs(kid(p, 'meta_attributes')) });
      }
      for (let i = 1; i < members.length; i++) data.dependencies.push({ parent: members[i]!.attrs.id!, child: members[i - 1]!.attrs.id! });
    }
  }
  const groupOf = new Map<string, string>();
  for (const g of kids(rscs, 'group')) for (const p of kids(g, 'primitive')) groupOf.set(p.attrs.id!, g.attrs.id!);
  const now = new Date(0).toISOString();
  for (const p of prims) {
    const tag = p.attrs.id!;
    const desc = p.attrs.description ?? '';
    const m = /^recovery-kit: (\S+)@(\S+) id=(\S*) created=(\S*)/.exec(desc);
    const sets = kids(p, 'instance_attributes');
    const base = sets.find((s) => !kid(s, 'rule'));
    const options: Record<string, unknown> = nvs(base);
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
    const stick = (meta.get(tag) ?? nvs(kid(p, 'meta_attributes')))['resource-stickiness'];
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
        info: {},
        state: 'OSU',
        reason: 'imported from the CIB',
        since: now,
      };
    }
    data.resources[tag] = rec;
  }
  for (const o of kids(cons, 'rsc_order')) {
    const first = o.attrs.first;
    const then = o.attrs.then;
    if (first && then && data.resources[first] && data.resources[then] && !data.dependencies.some((d) => d.parent === then && d.child === first)) {
      data.dependencies.push({ parent: then, child: first });
    }
  }
  return data;
}
