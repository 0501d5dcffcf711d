/**
 * The store form of a hierarchy (StoreData) to Pacemaker CIB XML, and back.
 *
 * - every resource a primitive of our OCF agent (`ocf:recovery-kit:<kit>`), id = its tag; the
 *   options common to every server in a default instance_attributes set, each server's own values
 *   (perServer overrides) in a node-scoped set with a rule on `#uname`, which Pacemaker evaluates
 *   first (higher score). Secret options are never written (the CIB is readable by haclient).
 * - a hierarchy that is a chain becomes a group (children first); any other shape becomes
 *   order + colocation constraints, one pair per dependency.
 * - a resource whose kit has roles (promote and demote) becomes a promotable clone `<tag>-clone`
 *   (cib-clone.ts): its scores apply to the Promoted role, its hierarchy is written as constraints
 *   (a clone cannot be in a group), ordered after its promote and colocated with its Promoted role.
 * - priorities become location scores (1000 - priority: priority 1 is the most preferred),
 *   servers the resource is not extended to a -INFINITY rule.
 * - switchback becomes resource-stickiness: intelligent (stay) = STICKY, automatic (move back to
 *   the highest priority) = 0.
 * - operations carry the agents' timeouts (each kit's own timeout tunables, as in its meta-data)
 *   and a monitor interval from the kit's check interval.
 * - a hierarchy with servers in more than one region: a ticket per other region (ticket.ts).
 * - each server's kit info (what the kit recorded at create/extend) in a meta attributes set (info.ts).
 * Every element we write has an id from the tag (`rk-<root>-…` for constraints and groups) and
 * our primitives a `description` starting with DESCRIPTION_PREFIX, so apply and import find
 * what is ours and nothing else.
 */
import { ConfigError } from '@recovery-kit/sdk';
import { childrenOf, component, restoreOrder, roots } from '../hierarchy.ts';
import type { StoreData, Switchback } from '../store.ts';
import { crossRegions, grantElements, type LossPolicy } from './ticket.ts';
import { depthMonitors, healthRule, standbyMonitor } from './health.ts';
import { infoSet } from './info.ts';
import { cloneId, dependencyConstraints, locations, PROMOTED, promotableClone, roleOps, serversByPriority } from './cib-clone.ts';
import { el, safe, serialize, type El } from './xml.ts';

export { MAX_PRIORITY, serversByPriority } from './cib-clone.ts';

export const DESCRIPTION_PREFIX = 'recovery-kit:';
export const PROVIDER = 'recovery-kit';
/** resource-stickiness for intelligent switchback: more than any difference of location scores. */
export const STICKY = 10_000;

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
   * ocf:pacemaker:ping's `pingd`): the resource gets a location rule -INFINITY where it is `failed`,
   * and a second monitor with role="Stopped" (health.ts), which runs the check on the standby nodes.
   */
  healthAttribute?: boolean;
  /** The kit's deeper check levels (its `checkLevels`): a monitor each with OCF_CHECK_LEVEL (health.ts depthMonitors). */
  checkDepths?: readonly (10 | 20)[];
  /** Seconds the Stopped-role monitor may take (the kit's health command: its check, then its local recovery). */
  healthTimeoutS?: number;
  /** The kit has roles (promote and demote): a promotable clone (cib-clone.ts). */
  roles?: boolean;
  /** The kit with roles publishes promotion scores (a score command): a new clone's release waits for them. */
  promotionScores?: boolean;
  /** The kit's option that takes the clone's id (the mirror's cibClone): set by apply. */
  cloneOption?: string;
}

export interface GenerateOptions {
  /** Limit to the hierarchy holding this tag. */
  tag?: string;
  /** Pacemaker's migration-threshold for our resources (failures on a node before it moves). Default 3. */
  migrationThreshold?: number;
  /** loss-policy of the cross-region tickets (ticket.ts). Default stop. */
  lossPolicy?: LossPolicy;
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
  if (facts.cloneOption) common[facts.cloneOption] = cloneId(tag);
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
    ...(facts.roles
      ? roleOps(tag, facts)
      : [
          el('op', {
            id: `${tag}-monitor-${facts.monitorIntervalS}s`,
            name: 'monitor',
            interval: `${facts.monitorIntervalS}s`,
            timeout: `${facts.monitorTimeoutS}s`,
          }),
        ]),
    ...(facts.healthAttribute ? [standbyMonitor(tag, facts)] : []),
    ...depthMonitors(tag, facts, new Set([facts.monitorIntervalS, ...(facts.healthAttribute ? [facts.monitorIntervalS + 1] : [])])),
  ]);
  const children: El[] = [...(base.children.length ? [base] : []), ...sets];
  if (o.meta && Object.keys(o.meta).length) children.push(el('meta_attributes', { id: `${tag}-meta` }, nvpairs(`${tag}-meta`, o.meta)));
  const info = infoSet(tag, r, facts.secret);
  if (info) children.push(info);
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

/**
 * `TAG:OPTION=VALUE ...` for everything `tag` depends on, directly or not: its options with its
 * overrides on `server` (no secrets, no spaces). Descendants too, so that a resource above another
 * in a chain (Route 53 above the route table above the IP) still finds its IP resource's address.
 */
function childrenParam(data: StoreData, tag: string, server: string): string | undefined {
  const out: string[] = [];
  const below: string[] = [];
  const walk = (t: string) => {
    for (const c of childrenOf(data, t))
      if (!below.includes(c)) {
        below.push(c);
        walk(c);
      }
  };
  walk(tag);
  for (const c of below) {
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
    const cloned = new Set(tags.filter((t) => facts.get(data.resources[t]!.kit)?.roles));
    if (!cloned.size && isChain(data, tags)) {
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
      const grants = grantElements(root, [group], crossRegions(data, root).others, o.lossPolicy ?? 'stop');
      resources.push(...grants.resources);
      constraints.push(...grants.constraints);
      for (const t of order) if (factsOf(t).healthAttribute) constraints.push(healthRule(root, group, t));
      hierarchies.push({ root, tags: order, resources, constraints });
      continue;
    }
    for (const t of tags) {
      const r = data.resources[t]!;
      const meta = { 'resource-stickiness': stickiness(r.servers[serversByPriority(r)[0]!]!.switchback), 'migration-threshold': migration };
      const rsc = cloned.has(t) ? cloneId(t) : t;
      if (cloned.has(t)) resources.push(promotableClone(primitive(data, t, factsOf(t), {}), r, meta, `${DESCRIPTION_PREFIX} promotable clone of ${t}`));
      else resources.push(primitive(data, t, factsOf(t), { meta }));
      constraints.push(...locations(root, rsc, r, tags.length > 1 ? `-${t}` : '', cloned.has(t) ? PROMOTED : undefined));
      if (factsOf(t).healthAttribute) constraints.push(healthRule(root, rsc, t));
    }
    for (const d of data.dependencies.filter((x) => tags.includes(x.parent)).sort((a, b) => `${a.parent}/${a.child}`.localeCompare(`${b.parent}/${b.child}`))) {
      constraints.push(...dependencyConstraints(root, d, cloned));
    }
    const grants = grantElements(
      root,
      tags.map((t) => (cloned.has(t) ? cloneId(t) : t)),
      crossRegions(data, root).others,
      o.lossPolicy ?? 'stop',
      new Set([...cloned].map(cloneId)),
    );
    resources.push(...grants.resources);
    constraints.push(...grants.constraints);
    hierarchies.push({ root, tags, resources, constraints });
  }
  return { hierarchies, resources: hierarchies.flatMap((h) => h.resources), constraints: hierarchies.flatMap((h) => h.constraints) };
}

/** `<configuration>` with our resources and constraints: what --dry-run prints. */
export function configurationXml(g: Generated): string {
  return `${serialize(el('configuration', {}, [el('resources', {}, g.resources), el('constraints', {}, g.constraints)]), '  ')}\n`;
}
