/**
 * Cross-region placement needs an operator's grant (seed 000's Confirm Failover): a hierarchy
 * whose servers lie in more than one AWS region may run in its home region (the region of its
 * highest-priority server) freely, and in any other region R only while the ticket
 * `rk-<root>-<R>` is granted.
 *
 * - A server's region is the `region` per-server value (override) of any resource of the
 *   hierarchy, else the `region` the kit recorded in its info at create/extend (the EC2 kit does).
 *   A hierarchy with fewer than two known regions gets no ticket.
 * - In the CIB (one cluster stretched over both regions) the ticket gates a small clone of
 *   Pacemaker's own `ocf:pacemaker:attribute` agent, placed on R's nodes only, through
 *   `rsc_ticket` with an explicit `loss-policy`; the clone sets the node attribute
 *   `rk-<root>-granted-<R>` to 1 where it runs. The hierarchy carries, per server in R, a
 *   location rule -INFINITY "on that node unless the attribute is 1". So a move or a failover into
 *   R waits until `crm_ticket --ticket rk-<root>-<R> --grant --force` (or booth, between two
 *   clusters), and a revoke takes the hierarchy out of R (the gate stops: loss-policy stop).
 * - Stand-alone (file store) the grant is a record in `<state dir>/grants.json`, written by
 *   `kit-runner cluster grant`; a restore into R without it is refused (grant.ts).
 */
import { roots, component } from '../hierarchy.ts';
import type { StoreData } from '../store.ts';
import { el, safe, type El } from './xml.ts';

export type LossPolicy = 'stop' | 'fence' | 'freeze';
export const LOSS_POLICIES: readonly LossPolicy[] = ['stop', 'fence', 'freeze'];

export interface CrossRegion {
  region: string;
  /** Pacemaker ticket name (also the grants.json key stand-alone). */
  ticket: string;
  /** The hierarchy's servers in this region. */
  nodes: string[];
}

export const ticketName = (root: string, region: string): string => `rk-${safe(root)}-${safe(region)}`;
export const grantAttribute = (root: string, region: string): string => `rk-${safe(root)}-granted-${safe(region)}`;
/** The location constraint that keeps the hierarchy off `node` (in `region`) until the grant. */
export const needsGrantId = (root: string, region: string, node: string): string => `rk-${root}-grant-${safe(region)}-on-${safe(node)}`;

/** The root that names a hierarchy (the first root of the component holding `tag`, as cluster apply names it). */
export function hierarchyRoot(data: StoreData, tag: string): string {
  const tags = component(data, tag);
  return roots(data).find((r) => tags.includes(r)) ?? tag;
}

/** The region of `server` for the hierarchy made of `tags`: a `region` override, else a recorded `region` info. */
export function regionOf(data: StoreData, tags: readonly string[], server: string): string | undefined {
  for (const t of [...tags].sort()) {
    const e = data.resources[t]?.servers[server];
    const v = e?.overrides.region ?? e?.info.region;
    if (typeof v === 'string' && v) return v;
  }
  return undefined;
}

/** The home region (the root's highest-priority server's) and every other region with its servers. */
export function crossRegions(data: StoreData, root: string): { home: string | undefined; others: CrossRegion[] } {
  const tags = component(data, root);
  const r = data.resources[root];
  if (!r) return { home: undefined, others: [] };
  const servers = Object.entries(r.servers)
    .sort(([a, x], [b, y]) => x.priority - y.priority || a.localeCompare(b))
    .map(([s]) => s);
  const home = servers.length ? regionOf(data, tags, servers[0]!) : undefined;
  if (home === undefined) return { home, others: [] };
  const by = new Map<string, string[]>();
  for (const s of servers) {
    const reg = regionOf(data, tags, s);
    if (reg === undefined || reg === home) continue;
    by.set(reg, [...(by.get(reg) ?? []), s]);
  }
  const others = [...by.entries()].sort(([a], [b]) => a.localeCompare(b)).map(([region, nodes]) => ({ region, ticket: ticketName(root, region), nodes }));
  return { home, others };
}

/**
 * The CIB elements of the grant for each other region: the gate clone (resources) and the
 * rsc_ticket, the gate's placement and, for each resource id in `rscs` (the group, or every
 * primitive), the per-node rule that needs the gate's attribute (constraints).
 */
export function grantElements(
  root: string,
  rscs: readonly string[],
  others: readonly CrossRegion[],
  lossPolicy: LossPolicy,
  /** Promotable clones among `rscs`: their rule holds for the Promoted role (an unpromoted instance, a replica, may run ungranted). */
  promoted: ReadonlySet<string> = new Set(),
): { resources: El[]; constraints: El[] } {
  const resources: El[] = [];
  const constraints: El[] = [];
  for (const x of others) {
    const gate = `rk-${root}-grant-${safe(x.region)}`;
    const attr = grantAttribute(root, x.region);
    const prim = el('primitive', { id: `${gate}-attr`, class: 'ocf', provider: 'pacemaker', type: 'attribute' }, [
      el('instance_attributes', { id: `${gate}-attr-ia` }, [
        el('nvpair', { id: `${gate}-attr-ia-name`, name: 'name', value: attr }),
        el('nvpair', { id: `${gate}-attr-ia-active`, name: 'active_value', value: '1' }),
        el('nvpair', { id: `${gate}-attr-ia-inactive`, name: 'inactive_value', value: '0' }),
      ]),
      el('operations', {}, [
        el('op', { id: `${gate}-attr-start-0`, name: 'start', interval: '0s', timeout: '20s' }),
        el('op', { id: `${gate}-attr-stop-0`, name: 'stop', interval: '0s', timeout: '20s' }),
        el('op', { id: `${gate}-attr-monitor-10s`, name: 'monitor', interval: '10s', timeout: '20s' }),
      ]),
    ]);
    resources.push(el('clone', { id: gate, description: `recovery-kit: grant of ticket ${x.ticket} (hierarchy ${root} in ${x.region})` }, [prim]));
    constraints.push(el('rsc_ticket', { id: `rk-${root}-ticket-${safe(x.region)}`, rsc: gate, ticket: x.ticket, 'loss-policy': lossPolicy }));
    constraints.push(
      el('rsc_location', { id: `${gate}-in-region`, rsc: gate }, [
        el(
          'rule',
          { id: `${gate}-in-region-rule`, score: '-INFINITY', 'boolean-op': 'and' },
          x.nodes.map((n, i) => el('expression', { id: `${gate}-in-region-rule-${i}`, attribute: '#uname', operation: 'ne', value: n })),
        ),
      ]),
    );
    for (const rsc of rscs) {
      for (const node of x.nodes) {
        const id = rscs.length > 1 ? `${needsGrantId(root, x.region, node)}-${rsc}` : needsGrantId(root, x.region, node);
        const rule = (n: string, op: El) =>
          el('rule', { id: `${id}-${n}`, score: '-INFINITY', 'boolean-op': 'and' }, [
            el('expression', { id: `${id}-${n}-node`, attribute: '#uname', operation: 'eq', value: node }),
            op,
          ]);
        constraints.push(
          el('rsc_location', { id, rsc, role: promoted.has(rsc) ? 'Promoted' : undefined }, [
            rule('ungranted', el('expression', { id: `${id}-ungranted-attr`, attribute: attr, operation: 'ne', value: '1' })),
            rule('undefined', el('expression', { id: `${id}-undefined-attr`, attribute: attr, operation: 'not_defined' })),
          ]),
        );
      }
    }
  }
  return { resources, constraints };
}
