/**
 * Placement, and a resource whose kit has roles (both promote and demote, ocf/metadata.ts
 * hasRoles) as a promotable clone:
 * - `<clone id="<tag>-clone">` around the primitive, meta promotable=true, promoted-max=1,
 *   promoted-node-max=1, clone-max=<servers it is extended to>, clone-node-max=1, notify=false
 *   (the agent implements no notify action), the stickiness and migration-threshold;
 * - monitors per role at different intervals (Promoted one second shorter than Unpromoted, as the
 *   agent's meta-data advertises), promote and demote with the start and stop timeouts;
 * - the kit's clone-id option (the mirror's `cibClone`, DRBD's crm-fence-peer --master-id) set to
 *   the clone's id;
 * - the location scores per server apply to the Promoted role (priorities choose where it is
 *   promoted), the -INFINITY rule where it is not extended to every role;
 * - a dependency on it is ordered after its promote and colocated with its Promoted role (a clone
 *   cannot be in a group, so a hierarchy with one is written as constraints).
 */
import type { Dependency, ResourceRecord } from '../store.ts';
import { el, safe, type El } from './xml.ts';

export const PROMOTED = 'Promoted';
export const MAX_PRIORITY = 999;
const THEN = 'then';
export const cloneId = (tag: string): string => `${tag}-clone`;

/** The primary server order of a resource: by priority, then name. */
export function serversByPriority(r: ResourceRecord): string[] {
  return Object.entries(r.servers)
    .sort(([a, x], [b, y]) => x.priority - y.priority || a.localeCompare(b))
    .map(([s]) => s);
}

/**
 * Location constraints: a score per server from its priority (for the Promoted role when `role`
 * is given), -INFINITY where the resource is not extended (every role).
 */
export function locations(root: string, rsc: string, r: ResourceRecord, suffix = '', role?: string): El[] {
  const out: El[] = [];
  const servers = serversByPriority(r);
  for (const server of servers) {
    const p = r.servers[server]!.priority;
    const score = String(1000 - Math.min(MAX_PRIORITY, Math.max(1, p)));
    out.push(el('rsc_location', { id: `rk-${root}${suffix}-prefers-${safe(server)}`, rsc, role, node: server, score }));
  }
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

/** What a promotable clone's primitive runs besides start and stop: promote, demote, a monitor per role. */
export function roleOps(tag: string, f: { startTimeoutS: number; stopTimeoutS: number; monitorTimeoutS: number; monitorIntervalS: number }): El[] {
  const promoted = Math.max(1, f.monitorIntervalS - 1);
  const unpromoted = promoted === f.monitorIntervalS ? f.monitorIntervalS + 1 : f.monitorIntervalS;
  return [
    el('op', { id: `${tag}-promote-0`, name: 'promote', interval: '0s', timeout: `${f.startTimeoutS}s` }),
    el('op', { id: `${tag}-demote-0`, name: 'demote', interval: '0s', timeout: `${f.stopTimeoutS}s` }),
    el('op', { id: `${tag}-monitor-${promoted}s`, name: 'monitor', interval: `${promoted}s`, role: PROMOTED, timeout: `${f.monitorTimeoutS}s` }),
    el('op', { id: `${tag}-monitor-${unpromoted}s`, name: 'monitor', interval: `${unpromoted}s`, role: 'Unpromoted', timeout: `${f.monitorTimeoutS}s` }),
  ];
}

/** The promotable clone around `prim`, one instance per server the resource is extended to. */
export function promotableClone(prim: El, r: ResourceRecord, meta: Record<string, string>, description: string): El {
  const id = cloneId(prim.attrs.id!);
  const all: Record<string, string> = {
    promotable: 'true',
    'promoted-max': '1',
    'promoted-node-max': '1',
    'clone-max': String(Object.keys(r.servers).length),
    'clone-node-max': '1',
    notify: 'false',
    ...meta,
  };
  const pairs = Object.entries(all)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([name, value]) => el('nvpair', { id: `${id}-meta-${safe(name)}`, name, value }));
  return el('clone', { id, description }, [prim, el('meta_attributes', { id: `${id}-meta` }, pairs)]);
}

/**
 * Order and colocation of one dependency: the parent starts after the child (after its promote
 * when the child is a clone) and runs with it (with its Promoted role).
 */
export function dependencyConstraints(root: string, d: Dependency, cloned: ReadonlySet<string>): El[] {
  const rsc = (t: string) => (cloned.has(t) ? cloneId(t) : t);
  const order = el('rsc_order', { id: `rk-${root}-order-${d.child}-then-${d.parent}`, first: rsc(d.child) });
  if (cloned.has(d.child)) order.attrs['first-action'] = 'promote';
  // "then" set by index: an object literal with a then property looks like a promise to linters.
  order.attrs[THEN] = rsc(d.parent);
  // then-action defaults to first-action (promote), which a primitive never runs: always explicit.
  if (cloned.has(d.child) || cloned.has(d.parent)) order.attrs['then-action'] = cloned.has(d.parent) ? 'promote' : 'start';
  order.attrs.kind = 'Mandatory';
  const colocation = el('rsc_colocation', {
    id: `rk-${root}-colocate-${d.parent}-with-${d.child}`,
    rsc: rsc(d.parent),
    'rsc-role': cloned.has(d.parent) ? PROMOTED : undefined,
    'with-rsc': rsc(d.child),
    'with-rsc-role': cloned.has(d.child) ? PROMOTED : undefined,
    score: 'INFINITY',
  });
  return [order, colocation];
}

/** Our promotable clones in `<resources>`: clone id to its primitive (provider recovery-kit). */
export function ourClones(rscs: El | undefined, provider: string): Map<string, El> {
  const out = new Map<string, El>();
  for (const c of rscs?.children ?? []) {
    if (c.name !== 'clone') continue;
    const p = c.children.find((x) => x.name === 'primitive' && x.attrs.provider === provider);
    if (p) out.set(c.attrs.id!, p);
  }
  return out;
}
