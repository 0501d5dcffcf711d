/**
 * The route-table scenario's AWS side: read the route tables once, plan, write in parallel, verify.
 *
 * - One DescribeRouteTables (paged) for the whole VPC, or for the listed tables.
 * - Every route whose destination is protected and whose target is not this node's ENI is replaced
 *   (ReplaceRoute), all tables at once with bounded concurrency; missing routes are created
 *   (CreateRoute) only when asked. No other route is touched.
 * - A missing route is reported before anything is changed.
 * - Then a fresh Describe of the touched tables verifies; when some writes failed for good, the
 *   error names every protected route and where it points now.
 */
import type { EC2Client, NetworkInterface, Route, RouteTable } from '@aws-sdk/client-ec2';
import { awsCall } from '@recovery-kit/aws';
import { ActionFailedError, ConfigError, type KitError, PermissionError, type Logger } from '@recovery-kit/sdk';
import { cidrContains, ipFamily, normalizeCidr, parseCidr, sleep } from '@recovery-kit/sdk/util';
import { sdk } from './aws.ts';
import { plural, pool } from './util.ts';

export interface RouteEntry {
  destination: string;
  /** The target id: eni-..., i-..., igw-..., nat-..., local... */
  target: string;
  eni: string | undefined;
  state: string | undefined;
  /** AWS `Origin`: CreateRouteTable, CreateRoute, or EnableVgwRoutePropagation (a virtual private gateway's, which ReplaceRoute cannot touch). */
  origin?: string | undefined;
}

export interface TableView {
  routeTableId: string;
  vpcId: string;
  main: boolean;
  routes: RouteEntry[];
}

export function targetOf(r: Route): string {
  return (
    r.NetworkInterfaceId ??
    r.InstanceId ??
    r.GatewayId ??
    r.NatGatewayId ??
    r.TransitGatewayId ??
    r.VpcPeeringConnectionId ??
    r.LocalGatewayId ??
    r.CarrierGatewayId ??
    r.EgressOnlyInternetGatewayId ??
    r.CoreNetworkArn ??
    '(none)'
  );
}

export function toTableView(t: RouteTable): TableView {
  const routes: RouteEntry[] = [];
  for (const r of t.Routes ?? []) {
    const d = r.DestinationCidrBlock ?? r.DestinationIpv6CidrBlock;
    const destination = d ? normalizeCidr(d) : undefined;
    if (!destination) continue; // prefix-list destinations are never ours
    routes.push({ destination, target: targetOf(r), eni: r.NetworkInterfaceId, state: r.State, origin: r.Origin });
  }
  return { routeTableId: t.RouteTableId!, vpcId: t.VpcId ?? '', main: (t.Associations ?? []).some((a) => a.Main), routes };
}

export interface TableScope {
  vpcId?: string | undefined;
  routeTableIds?: readonly string[] | undefined;
}

/** Reads the route tables of a VPC (paged) or the listed tables, in one logical Describe. */
export async function describeTables(ec2: EC2Client, scope: TableScope, signal: AbortSignal | undefined): Promise<TableView[]> {
  const ids = scope.routeTableIds?.length ? [...scope.routeTableIds] : undefined;
  if (!ids && !scope.vpcId)
    throw new ConfigError('no VPC and no route tables to look at', { field: 'vpcId', fix: 'give vpcId or routeTables, or let the kit read the VPC from IMDS' });
  const { DescribeRouteTablesCommand } = await sdk();
  const out: TableView[] = [];
  let token: string | undefined;
  do {
    const page = await awsCall(
      {
        service: 'ec2',
        action: 'DescribeRouteTables',
        subject: ids ? `route tables ${ids.join(', ')}` : `VPC ${scope.vpcId}`,
        field: ids ? 'routeTables' : 'vpcId',
      },
      signal,
      (abortSignal) =>
        ec2.send(
          new DescribeRouteTablesCommand(
            ids ? { RouteTableIds: ids } : { Filters: [{ Name: 'vpc-id', Values: [scope.vpcId!] }], MaxResults: 100, ...(token ? { NextToken: token } : {}) },
          ),
          { abortSignal },
        ),
    );
    for (const t of page.RouteTables ?? []) out.push(toTableView(t));
    token = ids ? undefined : page.NextToken;
  } while (token);
  return out;
}

/** Reads one ENI; an unknown id is a ConfigError naming it. */
export async function describeEni(ec2: EC2Client, eni: string, signal: AbortSignal | undefined, field = 'eni'): Promise<NetworkInterface> {
  const { DescribeNetworkInterfacesCommand } = await sdk();
  const out = await awsCall({ service: 'ec2', action: 'DescribeNetworkInterfaces', subject: `network interface ${eni}`, field }, signal, (abortSignal) =>
    ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }), { abortSignal }),
  );
  const found = out.NetworkInterfaces?.find((n) => n.NetworkInterfaceId === eni);
  if (!found) throw new ConfigError(`network interface ${eni} does not exist`, { field, fix: 'check the ENI id and the region' });
  return found;
}

/** The network interfaces attached to an instance (one call; each with its MAC, device index and VPC). */
export async function enisOfInstance(ec2: EC2Client, instanceId: string, signal: AbortSignal | undefined): Promise<NetworkInterface[]> {
  const { DescribeNetworkInterfacesCommand } = await sdk();
  const out = await awsCall({ service: 'ec2', action: 'DescribeNetworkInterfaces', subject: `network interfaces of ${instanceId}` }, signal, (abortSignal) =>
    ec2.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [instanceId] }] }), { abortSignal }),
  );
  return out.NetworkInterfaces ?? [];
}

/** Turns off source/destination checking on the ENI (needed to receive packets for an address that is not the ENI's own). */
export async function disableSourceDestCheck(ec2: EC2Client, eni: string, signal: AbortSignal | undefined): Promise<void> {
  const { ModifyNetworkInterfaceAttributeCommand } = await sdk();
  await awsCall({ service: 'ec2', action: 'ModifyNetworkInterfaceAttribute', subject: `network interface ${eni}`, field: 'eni' }, signal, (abortSignal) =>
    ec2.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: eni, SourceDestCheck: { Value: false } }), { abortSignal }),
  );
}

export const PROPAGATED = 'EnableVgwRoutePropagation';
const isPropagated = (r: RouteEntry) => r.origin === PROPAGATED;

export interface RouteFinding {
  routeTableId: string;
  destination: string;
  message: string;
  fix: string;
}

/**
 * What create/extend find wrong with the protected routes before any is switched (the AWS
 * route-priority rules: the longest prefix wins, then a static route over a propagated one):
 *
 * - errors: a protected destination whose only route is propagated by a virtual private gateway
 *   (Origin=EnableVgwRoutePropagation: ReplaceRoute cannot re-point it, so every restore would
 *   fail); a blackhole route more specific than a protected destination (it swallows part of the
 *   traffic whatever the switch does);
 * - warnings: a protected route that is a blackhole now (its target is gone or stopped; restore
 *   re-points it, which is what a failover from a dead node does, so it cannot be an error);
 *   an active route more specific than a protected destination that points elsewhere (that part
 *   of the traffic does not follow the switch).
 */
export function validateRoutes(
  tables: readonly TableView[],
  destinations: readonly string[],
  eni: string | undefined,
): { errors: RouteFinding[]; warnings: RouteFinding[] } {
  const errors: RouteFinding[] = [];
  const warnings: RouteFinding[] = [];
  const target = eni ?? '<eni of the active node>';
  for (const t of tables) {
    for (const d of destinations) {
      const dc = parseCidr(d);
      if (!dc) continue;
      const exact = t.routes.filter((r) => r.destination === d);
      const stat = exact.find((r) => !isPropagated(r));
      const prop = exact.find(isPropagated);
      if (prop && !stat) {
        errors.push({
          routeTableId: t.routeTableId,
          destination: d,
          message: `${t.routeTableId}: the route for ${d} is propagated by ${prop.target} (Origin=${PROPAGATED}); ReplaceRoute cannot re-point a propagated route`,
          fix: `add a static route beside it, which takes precedence over the propagated one (aws ec2 create-route --route-table-id ${t.routeTableId} --destination-cidr-block ${d} --network-interface-id ${target}), or stop ${prop.target} propagating into the table (aws ec2 disable-vgw-route-propagation --route-table-id ${t.routeTableId} --gateway-id ${prop.target}) and create the route`,
        });
      }
      if (stat?.state === 'blackhole') {
        warnings.push({
          routeTableId: t.routeTableId,
          destination: d,
          message: `${t.routeTableId}: the route for ${d} is a blackhole (State=blackhole: its target ${stat.target} is gone or not running); restore re-points it`,
          fix: `restore the resource on the active node, or point it there now (aws ec2 replace-route --route-table-id ${t.routeTableId} --destination-cidr-block ${d} --network-interface-id ${target})`,
        });
      }
      for (const r of t.routes) {
        const rc = parseCidr(r.destination);
        if (!rc || rc.family !== dc.family || rc.prefix <= dc.prefix || !cidrContains(dc, rc.address)) continue;
        if (destinations.includes(r.destination)) continue; // protected itself: it follows the switch
        if (r.state === 'blackhole') {
          errors.push({
            routeTableId: t.routeTableId,
            destination: r.destination,
            message: `${t.routeTableId}: the blackhole route ${r.destination} -> ${r.target} (State=blackhole) lies inside the protected ${d} and wins over it (longest prefix): traffic for it is dropped whichever node is active`,
            fix: `delete it (aws ec2 delete-route --route-table-id ${t.routeTableId} --destination-cidr-block ${r.destination}) or point it at a running target`,
          });
        } else if (r.target !== eni) {
          warnings.push({
            routeTableId: t.routeTableId,
            destination: r.destination,
            message: `${t.routeTableId}: ${r.destination} -> ${r.target}${isPropagated(r) ? ' (propagated)' : ''} lies inside the protected ${d} and wins over it (longest prefix): that traffic does not follow the switch`,
            fix: `add ${r.destination} to destinations if it belongs to the tunnel, or remove it`,
          });
        }
      }
    }
  }
  return { errors, warnings };
}

export interface PlanItem {
  routeTableId: string;
  destination: string;
  /** Current target ('(missing)' for a route to create). */
  from: string;
  op: 'ok' | 'replace' | 'create';
}

export interface Plan {
  items: PlanItem[];
  /** Problems that stop the switch before anything changes. */
  missing: string[];
}

export interface PlanOptions {
  /** Only these tables (empty: every table given). */
  routeTableIds?: readonly string[] | undefined;
  createMissing?: boolean | undefined;
}

/** What has to change so that every protected route points at `eni`. */
export function planSwitch(tables: readonly TableView[], destinations: readonly string[], eni: string, o: PlanOptions = {}): Plan {
  const items: PlanItem[] = [];
  const missing: string[] = [];
  const listed = o.routeTableIds?.length ? new Set(o.routeTableIds) : undefined;
  const scope = listed ? tables.filter((t) => listed.has(t.routeTableId)) : tables;
  if (listed) for (const id of listed) if (!tables.some((t) => t.routeTableId === id)) missing.push(`route table ${id} was not found`);
  for (const destination of destinations) {
    let found = 0;
    for (const t of scope) {
      // Only a static route can be re-pointed: a propagated one beside it is the gateway's (the static one wins).
      const r = t.routes.find((x) => x.destination === destination && !isPropagated(x));
      if (r) {
        found++;
        items.push({ routeTableId: t.routeTableId, destination, from: r.target, op: r.eni === eni && r.target === eni ? 'ok' : 'replace' });
      } else if (listed) {
        if (o.createMissing) items.push({ routeTableId: t.routeTableId, destination, from: '(missing)', op: 'create' });
        else missing.push(`route table ${t.routeTableId} has no route for ${destination}`);
      }
    }
    if (!listed && found === 0) {
      const main = scope.find((t) => t.main);
      if (o.createMissing && main) items.push({ routeTableId: main.routeTableId, destination, from: '(missing)', op: 'create' });
      else if (o.createMissing) missing.push(`no route table of the VPC has a route for ${destination}, and the VPC has no main route table to create it in`);
      else missing.push(`no route table of the VPC has a route for ${destination}`);
    }
  }
  return { items, missing };
}

export interface RouteState {
  routeTableId: string;
  destination: string;
  target: string;
}

/** Where each protected route points (for messages and --json). */
export function routeStates(tables: readonly TableView[], keys: ReadonlyArray<{ routeTableId: string; destination: string }>): RouteState[] {
  return keys.map((k) => {
    const t = tables.find((x) => x.routeTableId === k.routeTableId);
    const r = t?.routes.find((x) => x.destination === k.destination && !isPropagated(x));
    return { routeTableId: k.routeTableId, destination: k.destination, target: r ? r.target : t ? '(missing)' : '(table not found)' };
  });
}

/** quickCheck: the problems with the protected routes (empty when every one points at `eni`). */
export function checkRoutes(
  tables: readonly TableView[],
  destinations: readonly string[],
  eni: string,
  routeTableIds?: readonly string[],
): { problems: string[]; good: number } {
  const p = planSwitch(tables, destinations, eni, { routeTableIds, createMissing: false });
  const problems = [...p.missing];
  for (const i of p.items) {
    if (i.op !== 'ok') problems.push(`${i.routeTableId}: ${i.destination} -> ${i.from} (expected ${eni})`);
  }
  return { problems, good: p.items.filter((i) => i.op === 'ok').length };
}

export interface SwitchOptions extends PlanOptions {
  ec2: EC2Client;
  /** Tables as read (fresh) before the switch. */
  tables: readonly TableView[];
  destinations: readonly string[];
  eni: string;
  concurrency: number;
  /** Milliseconds to wait for a fresh Describe to show the change. */
  verifyMs: number;
  signal: AbortSignal | undefined;
  logger: Logger;
}

export interface SwitchReport {
  eni: string;
  changed: Array<{ routeTableId: string; destination: string; from: string; to: string; op: 'replace' | 'create' }>;
  unchanged: number;
  routes: RouteState[];
}

/** Points every protected route at `eni` (see the module comment). Throws with the exact state when it cannot. */
export async function switchRoutes(o: SwitchOptions): Promise<SwitchReport> {
  const p = planSwitch(o.tables, o.destinations, o.eni, o);
  if (p.missing.length) {
    throw new ActionFailedError(`cannot point the protected routes at ${o.eni}: ${p.missing.join('; ')}; nothing was changed`, {
      code: 'ROUTE_MISSING',
      details: { missing: p.missing, eni: o.eni },
      fix: `add the route (aws ec2 create-route --route-table-id <rtb> --destination-cidr-block <cidr> --network-interface-id ${o.eni}), correct routeTables, or set createMissing=true to let the kit create it`,
    });
  }
  const todo = p.items.filter((i) => i.op !== 'ok');
  const keys = p.items.map((i) => ({ routeTableId: i.routeTableId, destination: i.destination }));
  if (todo.length === 0) {
    return { eni: o.eni, changed: [], unchanged: p.items.length, routes: routeStates(o.tables, keys) };
  }
  const { CreateRouteCommand, ReplaceRouteCommand } = await sdk();
  const write = async (i: PlanItem, op: 'replace' | 'create'): Promise<void> => {
    const dest = ipFamily(i.destination.split('/')[0]!) === 6 ? { DestinationIpv6CidrBlock: i.destination } : { DestinationCidrBlock: i.destination };
    const input = { RouteTableId: i.routeTableId, NetworkInterfaceId: o.eni, ...dest };
    const info = {
      service: 'ec2' as const,
      action: op === 'replace' ? 'ReplaceRoute' : 'CreateRoute',
      subject: `${i.routeTableId} ${i.destination}`,
      notFound: 'failed' as const,
    };
    await awsCall(info, o.signal, (abortSignal) =>
      o.ec2.send(op === 'replace' ? new ReplaceRouteCommand(input) : new CreateRouteCommand(input), { abortSignal }),
    );
  };
  const errors = new Map<string, KitError>();
  await pool(todo, o.concurrency, async (i) => {
    try {
      try {
        await write(i, i.op as 'replace' | 'create');
      } catch (err) {
        // Someone created it meanwhile: replace it instead. Or it vanished: create it (only when allowed).
        const code = (err as KitError).details?.awsCode;
        if (i.op === 'create' && code === 'RouteAlreadyExists') await write(i, 'replace');
        else if (i.op === 'replace' && code === 'InvalidRoute.NotFound' && o.createMissing) await write(i, 'create');
        else throw err;
      }
    } catch (err) {
      errors.set(`${i.routeTableId} ${i.destination}`, err as KitError);
    }
  });
  // Verify with a fresh read of the touched tables (EC2 is eventually consistent: poll a little).
  const touched = [...new Set(todo.map((i) => i.routeTableId))];
  const deadline = Date.now() + o.verifyMs;
  let after: TableView[] | undefined;
  let verifyError: KitError | undefined;
  for (let attempt = 0; ; attempt++) {
    try {
      after = await describeTables(o.ec2, { routeTableIds: touched }, o.signal);
      verifyError = undefined;
    } catch (err) {
      verifyError = err as KitError;
    }
    const pending = after
      ? planSwitch(after, o.destinations, o.eni, { routeTableIds: touched }).items.filter((i) => i.op !== 'ok' && touched.includes(i.routeTableId))
      : undefined;
    if (pending && pending.length === 0) break;
    if (errors.size > 0 && after) break; // some writes failed for good: report now
    if (Date.now() >= deadline || o.signal?.aborted) break;
    await sleep(Math.min(2000, 200 * 2 ** attempt), o.signal).catch(() => undefined); // aborted: report what is known
  }
  const merged = after ? [...o.tables.filter((t) => !touched.includes(t.routeTableId)), ...after] : undefined;
  const states = merged ? routeStates(merged, keys) : undefined;
  const wrong = states?.filter((s) => s.target !== o.eni) ?? [];
  const changed = todo
    .filter((i) => !errors.has(`${i.routeTableId} ${i.destination}`))
    .map((i) => ({ routeTableId: i.routeTableId, destination: i.destination, from: i.from, to: o.eni, op: i.op as 'replace' | 'create' }));
  if (states && wrong.length === 0) {
    if (errors.size) o.logger.warn(`${plural(errors.size, 'call')} reported an error, but every protected route points at ${o.eni} now`);
    return { eni: o.eni, changed, unchanged: p.items.length - todo.length, routes: states };
  }
  // Incomplete: say exactly which tables point where.
  const errText = (k: string) => {
    const e = errors.get(k);
    return e ? ` (${e.message})` : '';
  };
  let message: string;
  if (states) {
    const good = states.filter((s) => s.target === o.eni);
    message =
      `switch of the protected routes to ${o.eni} is incomplete: ${wrong.length} of ${states.length} still point elsewhere: ` +
      wrong.map((s) => `${s.routeTableId} ${s.destination} -> ${s.target}${errText(`${s.routeTableId} ${s.destination}`)}`).join('; ') +
      (good.length ? `. Pointing at ${o.eni}: ${good.map((s) => `${s.routeTableId} ${s.destination}`).join(', ')}` : '');
  } else {
    const failed = todo.filter((i) => errors.has(`${i.routeTableId} ${i.destination}`));
    message =
      `switch of the protected routes to ${o.eni} could not be verified (${verifyError?.message ?? 'no answer'}). ` +
      `Calls that succeeded: ${changed.map((c) => `${c.routeTableId} ${c.destination}`).join(', ') || 'none'}. ` +
      `Calls that failed: ${failed.map((i) => `${i.routeTableId} ${i.destination} (still -> ${i.from}?)${errText(`${i.routeTableId} ${i.destination}`)}`).join('; ') || 'none'}`;
  }
  const details = {
    eni: o.eni,
    routes: (states ?? keys.map((k) => ({ ...k, target: 'unknown' }))).map((s) => ({
      ...s,
      switched: s.target === o.eni,
      ...(errors.get(`${s.routeTableId} ${s.destination}`) ? { error: errors.get(`${s.routeTableId} ${s.destination}`)!.message } : {}),
    })),
  };
  const all = [...errors.values(), ...(verifyError ? [verifyError] : [])];
  if (all.length && all.every((e) => e.exitCode === 4)) throw new PermissionError(message, { details, fix: all[0]!.fix });
  throw new ActionFailedError(message, {
    code: 'ROUTE_SWITCH_INCOMPLETE',
    retryable: all.length > 0 && all.every((e) => e.retryable),
    details,
    fix: errors.size
      ? 'run the action again (it re-points only what still points elsewhere); if it keeps failing, fix the cause above'
      : `the routes did not show ${o.eni} within the verification time: check them in the console, raise EC2_VERIFY_TIMEOUT, and run the action again`,
  });
}
