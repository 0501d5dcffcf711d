/**
 * The EC2 kit's actions (kitType `ec2`), LifeKeeper's Recovery Kit for EC2 on the AWS SDK:
 *
 * - **route-table** scenario (backend cluster): every route of the VPC (or of the listed tables)
 *   whose destination is protected (the host route of the IP child's address on this server, plus
 *   `destinations`) is pointed at this node's ENI; source/destination checking is turned off on
 *   that ENI. remove changes nothing in AWS (see the README for why).
 * - **elastic-ip** scenario (frontend cluster): the allocation is associated with this node's ENI
 *   (reassociation allowed), other Elastic IPs are taken off that ENI; remove disassociates it.
 *
 * quickCheck is read-only and shares one Describe per VPC (route tables), per ENI and per region
 * (addresses) among the resources the monitor checks in the same round. When AWS does not answer,
 * quickCheck returns `unknown`: logged, the resource stays in service. Its depth follows
 * `ctx.checkLevel` ({@link checkLevels}): 0 makes no request, 10 one (the ENI, region and VPC
 * recorded for this server at create), 20 also reads this instance's ENI fresh (IMDSv2, EC2).
 */
import type { EC2Client, NetworkInterface } from '@aws-sdk/client-ec2';
import { classifyAwsError, imds, isAwsUnavailable, isImdsUnavailable, sharedRead } from '@recovery-kit/aws';
import { ActionFailedError, ConfigError, isKitError, type CreateResult, type Kit, type QuickCheckResult } from '@recovery-kit/sdk';
import { ec2For } from './aws.ts';
import { hostRoute, normalizeCidr } from '@recovery-kit/sdk/util';
import { associate, describeAllAddresses, describeAllocation, describeAssociation, disassociate, isAssociatedWith } from './eip.ts';
import { resolveIdentity, type NodeIdentity } from './identity.ts';
import type { Ctx, Ec2Options } from './options.ts';
import { checkRoutes, describeEni, describeTables, disableSourceDestCheck, switchRoutes, validateRoutes, type SwitchReport, type TableView } from './routes.ts';
import { plural } from './util.ts';

const client = (ctx: { tunables: Ctx['tunables'] }, region: string): Promise<EC2Client> => ec2For(ctx.tunables, region);
/** EC2_VERIFY_TIMEOUT, cut to end a second before the action's deadline. */
const verifyMs = (ctx: Ctx) => Math.max(0, Math.min(ctx.tunables.int('EC2_VERIFY_TIMEOUT') * 1000, ctx.deadline - Date.now() - 1000));
/** A signal for a shared read: the loader outlives this caller's signal, never its deadline. */
const untilDeadline = (ctx: Ctx) => AbortSignal.timeout(Math.max(1, ctx.deadline - Date.now()));

/** The protected destinations on this server: the host route of each IP child's address, then `destinations`. */
export function protectedDestinations(ctx: Pick<Ctx, 'children' | 'options'>): string[] {
  const out: string[] = [];
  for (const c of ctx.children.filter((x) => x.kitType === 'ip')) {
    const address = typeof c.info.address === 'string' ? c.info.address : typeof c.options.address === 'string' ? c.options.address : undefined;
    const route = address ? hostRoute(address.split('/')[0]!) : undefined;
    if (route) out.push(route);
  }
  for (const d of ctx.options.destinations) {
    const n = normalizeCidr(d);
    if (n) out.push(n);
  }
  return [...new Set(out)];
}

function needDestinations(ctx: Ctx): string[] {
  const d = protectedDestinations(ctx);
  if (d.length === 0) {
    throw new ConfigError(`${ctx.tag} protects no destination on ${ctx.server}: it has no IP child and no destinations option`, {
      field: 'destinations',
      fix: `make the IP resource a child (kit-runner dep add ${ctx.tag} <ip-tag>), or give --opt destinations=<cidr>,...`,
    });
  }
  return d;
}

function sharedTtl(ctx: Ctx): number {
  const ttl = ctx.tunables.int('EC2_CHECK_CACHE_TTL') * 1000;
  const half = (ctx.tunables.int('LKCHECKINTERVAL', 120) * 1000) / 2;
  return Math.max(0, Math.min(ttl, half));
}

// ------------------------------------------------------------------ route-table scenario

interface RouteContext {
  who: NodeIdentity & { eni: string; region: string };
  ec2: EC2Client;
  eniInfo: NetworkInterface;
  vpcId: string;
}

/** Fresh reads for restore/recover: this node's ENI, its VPC, then the route tables. */
async function routeContext(ctx: Ctx): Promise<RouteContext> {
  const who = (await resolveIdentity(ctx, { eni: true })) as RouteContext['who'];
  const ec2 = await client(ctx, who.region);
  const eniInfo = who.eniInfo ?? (await describeEni(ec2, who.eni, ctx.signal));
  const vpcId = ctx.options.vpcId ?? eniInfo.VpcId ?? who.vpcId;
  if (!vpcId) throw new ActionFailedError(`cannot tell the VPC of ${who.eni}`, { code: 'VPC_UNKNOWN', fix: 'give --opt vpcId=vpc-...' });
  if (ctx.options.vpcId && eniInfo.VpcId && eniInfo.VpcId !== ctx.options.vpcId) {
    throw new ConfigError(`network interface ${who.eni} of ${ctx.server} is in ${eniInfo.VpcId}, not in the configured VPC ${ctx.options.vpcId}`, {
      field: 'vpcId',
      fix: 'routes can only point at an ENI of the same VPC: correct vpcId or eni for this server',
    });
  }
  return { who, ec2, eniInfo, vpcId };
}

async function switchHere(ctx: Ctx, what: 'restore' | 'recover'): Promise<SwitchReport> {
  const destinations = needDestinations(ctx);
  const rc = await routeContext(ctx);
  const sdc =
    ctx.options.disableSourceDestCheck && rc.eniInfo.SourceDestCheck !== false
      ? disableSourceDestCheck(rc.ec2, rc.who.eni, ctx.signal).then(() => ctx.logger.info(`source/destination check turned off on ${rc.who.eni}`))
      : Promise.resolve();
  const routeTableIds = ctx.options.routeTables;
  const tables = await describeTables(rc.ec2, routeTableIds.length ? { routeTableIds } : { vpcId: rc.vpcId }, ctx.signal);
  const [report] = await Promise.all([
    switchRoutes({
      ec2: rc.ec2,
      tables,
      destinations,
      eni: rc.who.eni,
      routeTableIds,
      createMissing: ctx.options.createMissing,
      concurrency: ctx.tunables.int('EC2_API_CONCURRENCY'),
      verifyMs: verifyMs(ctx),
      signal: ctx.signal,
      logger: ctx.logger,
    }),
    sdc,
  ]);
  const tablesTouched = new Set(report.routes.map((r) => r.routeTableId)).size;
  ctx.logger.info(
    `${what}: ${destinations.join(', ')} -> ${rc.who.eni} (${rc.who.source === 'options' ? 'eni option' : rc.who.source === 'recorded' ? 'recorded ENI' : 'ENI of this instance (IMDSv2, EC2)'}) in ${plural(tablesTouched, 'route table')} of ${rc.vpcId}: ` +
      `${report.changed.length} changed, ${report.unchanged} already right`,
    { changed: report.changed },
  );
  return report;
}

/** What quickCheck does at each OCF_CHECK_LEVEL (the OCF meta-data prints it). */
export const checkLevels = {
  0: "no request (no AWS API, no IMDS): the destinations and this server's recorded ENI are known; it proves only what this node last saw (start or the last deeper check pointed the routes, or associated the Elastic IP, here). A route or association changed behind its back is not seen.",
  10: 'one AWS request: DescribeRouteTables of the VPC (or of routeTables), or DescribeAddresses, checked against the ENI, region and VPC recorded for this server at create (no IMDS). Sees a route or an Elastic IP moved away.',
  20: "as 10, but this instance's ENI read fresh (IMDSv2 identity document and DescribeNetworkInterfaces), and for route-table its source/destination check (packets for the address must reach the ENI): 2 requests.",
} as const;

/** Level 0 and 10: this server's ENI, region and VPC without a request (options, else what create recorded here); undefined when something is missing. */
function recordedIdentity(ctx: Ctx): (RouteContext['who'] & { vpcId?: string }) | undefined {
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const eni = ctx.options.eni ?? str(ctx.info.eni);
  const region = ctx.options.region ?? str(ctx.info.region);
  if (!eni || !region) return undefined;
  const vpcId = ctx.options.vpcId ?? str(ctx.info.vpcId);
  return {
    eni,
    region,
    vpcId,
    instanceId: str(ctx.info.instanceId),
    availabilityZone: str(ctx.info.availabilityZone),
    self: ctx.local,
    source: ctx.options.eni ? 'options' : 'recorded',
    regionSource: ctx.options.region ? 'option' : 'recorded',
  };
}

/** Level 0: no request. What the node knows: the configuration and the ENI recorded for it. */
function checkLocal(ctx: Ctx): QuickCheckResult {
  const what = ctx.options.scenario === 'route-table' ? `routes to ${needDestinations(ctx).join(', ')}` : `Elastic IP ${ctx.options.allocationId}`;
  const who = recordedIdentity(ctx);
  return {
    status: 'ok',
    detail: `level 0, no AWS request: ${what} last seen on ${who ? who.eni : ctx.server} (OCF_CHECK_LEVEL=10 reads AWS)`,
  };
}

/** quickCheck, route-table: shared reads (one DescribeRouteTables per VPC, one DescribeNetworkInterfaces per ENI per round). */
async function checkRouteTable(ctx: Ctx): Promise<QuickCheckResult> {
  const destinations = needDestinations(ctx);
  const ttl = sharedTtl(ctx);
  const loadSignal = () => untilDeadline(ctx);
  // Level 10: one request, with the ENI and VPC recorded for this server; 20 reads them fresh.
  const recorded = ctx.checkLevel < 20 ? recordedIdentity(ctx) : undefined;
  const readTables = async (region: string, vpcId: string) =>
    sharedRead<TableView[]>(`ec2:rtb:${region}:${vpcId}`, ttl, async () => describeTables(await client(ctx, region), { vpcId }, loadSignal()), ctx.signal);
  // Level 20 with the VPC known (option, or recorded at create: an ENI never changes VPC): the
  // route tables are read while the ENI is, one round trip for both requests.
  const known = recorded ? undefined : recordedIdentity(ctx);
  const early = known?.vpcId ? readTables(known.region, ctx.options.vpcId ?? known.vpcId) : undefined;
  early?.catch(() => undefined);
  const who = recorded?.vpcId ? recorded : ((await resolveIdentity(ctx, { eni: true }, ttl)) as RouteContext['who']);
  const ec2 = await client(ctx, who.region);
  const eniInfo =
    recorded?.vpcId !== undefined
      ? undefined
      : (who.eniInfo ?? (await sharedRead(`ec2:eni:${who.region}:${who.eni}`, ttl, () => describeEni(ec2, who.eni, loadSignal()), ctx.signal)));
  const vpcId = ctx.options.vpcId ?? eniInfo?.VpcId ?? who.vpcId;
  if (!vpcId) return { status: 'unknown', reason: `cannot tell the VPC of ${who.eni}` };
  const tables = early && known?.region === who.region && (ctx.options.vpcId ?? known?.vpcId) === vpcId ? await early : await readTables(who.region, vpcId);
  const { problems, good } = checkRoutes(tables, destinations, who.eni, ctx.options.routeTables);
  if (eniInfo && ctx.options.disableSourceDestCheck && eniInfo.SourceDestCheck !== false)
    problems.push(`source/destination check is on for ${who.eni}: packets for the protected address are dropped`);
  if (problems.length) return { status: 'failed', reason: problems.join('; ') };
  return { status: 'ok', detail: `${plural(good, 'protected route')} (${destinations.join(', ')}) point at ${who.eni}` };
}

// ------------------------------------------------------------------ elastic-ip scenario

async function associateHere(ctx: Ctx, what: 'restore' | 'recover'): Promise<void> {
  const who = (await resolveIdentity(ctx, { eni: true })) as RouteContext['who'];
  const ec2 = await client(ctx, who.region);
  const r = await associate({
    ec2,
    allocationId: ctx.options.allocationId!,
    eni: who.eni,
    privateIp: ctx.options.privateIp,
    disassociateOthers: ctx.options.disassociateOthers,
    verifyMs: verifyMs(ctx),
    signal: ctx.signal,
    logger: ctx.logger,
  });
  ctx.logger.info(
    r.associated
      ? `${what}: Elastic IP ${r.publicIp} (${r.allocationId}) associated with ${who.eni}${r.previous ? ` (was on ${r.previous})` : ''}`
      : `${what}: Elastic IP ${r.publicIp} (${r.allocationId}) already associated with ${who.eni}`,
    { disassociated: r.disassociated },
  );
}

async function checkEip(ctx: Ctx): Promise<QuickCheckResult> {
  const recorded = ctx.checkLevel < 20 ? recordedIdentity(ctx) : undefined;
  const who = recorded ?? ((await resolveIdentity(ctx, { eni: true }, sharedTtl(ctx))) as RouteContext['who']);
  const ec2 = await client(ctx, who.region);
  const all = await sharedRead(`ec2:addresses:${who.region}`, sharedTtl(ctx), () => describeAllAddresses(ec2, untilDeadline(ctx)), ctx.signal);
  const a = all.find((x) => x.AllocationId === ctx.options.allocationId);
  if (!a) return { status: 'failed', reason: `Elastic IP allocation ${ctx.options.allocationId} does not exist in ${who.region}` };
  if (isAssociatedWith(a, who.eni, ctx.options.privateIp)) return { status: 'ok', detail: `${a.PublicIp} is associated with ${who.eni}` };
  return { status: 'failed', reason: `${describeAssociation(a)}, not with ${who.eni}${ctx.options.privateIp ? ` (${ctx.options.privateIp})` : ''}` };
}

async function removeEip(ctx: Ctx): Promise<void> {
  const allocationId = ctx.options.allocationId!;
  const self = ctx.local;
  // The ENI named for that server (option, else what create/extend recorded). For another server
  // (the first half of a switchover run from this node) IMDS describes this node, not that one.
  const target = ctx.options.eni ?? (typeof ctx.info.eni === 'string' ? ctx.info.eni : undefined);
  const who = await resolveIdentity(ctx, { eni: false });
  // This instance, from the identity document (one IMDS request, cached for the process, as
  // every other action reads it): an association with any of its interfaces is held here.
  const hostInstance = await imds()
    .document(ctx.signal)
    .then(
      (d) => d.instanceId,
      () => undefined,
    );
  const owned = (a: { NetworkInterfaceId?: string | undefined; InstanceId?: string | undefined }) =>
    self
      ? (hostInstance !== undefined && a.InstanceId === hostInstance) || (target !== undefined && a.NetworkInterfaceId === target)
      : target
        ? a.NetworkInterfaceId === target
        : hostInstance
          ? a.InstanceId !== hostInstance
          : true;
  if (self && !hostInstance && !target) {
    throw new ActionFailedError(`cannot tell whether Elastic IP ${allocationId} is held by ${ctx.server}: IMDS did not answer and no ENI is recorded for it`, {
      code: 'ENI_UNKNOWN',
      fix: `give the ENI per server: kit-runner extend ${ctx.tag} --server ${ctx.server} --opt eni=eni-...`,
    });
  }
  const ec2 = await client(ctx, who.region!);
  let r;
  try {
    r = await disassociate({
      ec2,
      allocationId,
      // This node: on one of its interfaces (or its recorded ENI). Another server: on its ENI; when
      // that is unknown, anywhere but on this host.
      owned,
      verifyMs: verifyMs(ctx),
      signal: ctx.signal,
      logger: ctx.logger,
    });
  } catch (err) {
    if (isKitError(err) && err.exitCode === 6 && err.field === 'allocationId') {
      ctx.logger.warn(`${err.message}: nothing to take out of service`);
      return;
    }
    throw err;
  }
  ctx.logger.info(
    r.disassociated
      ? `Elastic IP ${r.publicIp} (${allocationId}) disassociated from ${r.from}`
      : `Elastic IP ${r.publicIp} (${allocationId}) is not associated with ${target ?? ctx.server}: nothing to do${r.from ? ` (it is on ${r.from})` : ''}`,
  );
}

// ------------------------------------------------------------------ create / extend

/**
 * Create/extend, route-table: what no restore can fix is refused before the resource is stored
 * (routes a virtual private gateway propagates, a blackhole inside a protected destination,
 * source/destination checking left on with disableSourceDestCheck=false); what a restore fixes
 * (a protected route that is a blackhole now) is logged. See validateRoutes.
 */
function checkRoutesAtCreate(ctx: Ctx, tables: readonly TableView[], eni: string, eniInfo: NetworkInterface): void {
  const destinations = protectedDestinations(ctx);
  const { errors, warnings } = validateRoutes(tables, destinations, eni);
  for (const w of warnings) ctx.logger.warn(`${w.message} (${w.fix})`);
  if (errors.length) {
    throw new ConfigError(`${ctx.tag} cannot protect its routes from ${ctx.server}: ${errors.map((e) => e.message).join('; ')}`, {
      field: 'destinations',
      fix: errors.map((e) => e.fix).join('; '),
      code: 'ROUTE_NOT_SWITCHABLE',
      details: { errors, warnings },
    });
  }
  if (eniInfo.SourceDestCheck !== false) {
    if (!ctx.options.disableSourceDestCheck)
      throw new ConfigError(
        `source/destination checking is on for ${eni} of ${ctx.server}: EC2 drops the packets it would forward for ${destinations.join(', ') || 'the protected routes'} (they are not addressed to the ENI itself)`,
        {
          field: 'disableSourceDestCheck',
          fix: `set disableSourceDestCheck=true (restore turns it off), or turn it off yourself: aws ec2 modify-network-interface-attribute --network-interface-id ${eni} --no-source-dest-check`,
        },
      );
    ctx.logger.info(`source/destination checking is on for ${eni}: restore turns it off (disableSourceDestCheck=true)`);
  }
}

/** What create/extend record for a server, and the checks that need AWS. */
async function checkServer(ctx: Ctx): Promise<Record<string, unknown>> {
  const self = ctx.local;
  if (!self && !ctx.options.eni) {
    // extend runs on this machine: IMDS would describe this node, not the target; resolved at restore on the target.
    return { ...(ctx.options.region ? { region: ctx.options.region } : {}) };
  }
  const who = await resolveIdentity(ctx, { eni: true });
  const ec2 = await client(ctx, who.region!);
  const eniInfo = who.eniInfo ?? (await describeEni(ec2, who.eni!, ctx.signal));
  const info: Record<string, unknown> = {
    eni: who.eni,
    region: who.region,
    vpcId: eniInfo.VpcId,
    ...(who.instanceId ? { instanceId: who.instanceId } : eniInfo.Attachment?.InstanceId ? { instanceId: eniInfo.Attachment.InstanceId } : {}),
    ...((who.availabilityZone ?? eniInfo.AvailabilityZone) ? { availabilityZone: who.availabilityZone ?? eniInfo.AvailabilityZone } : {}),
  };
  if (ctx.options.scenario === 'route-table') {
    if (ctx.options.vpcId && eniInfo.VpcId !== ctx.options.vpcId) {
      throw new ConfigError(`network interface ${who.eni} is in ${eniInfo.VpcId}, not in ${ctx.options.vpcId}`, {
        field: 'vpcId',
        fix: 'correct vpcId or eni',
      });
    }
    const listed = ctx.options.routeTables.length > 0;
    const vpcId = ctx.options.vpcId ?? eniInfo.VpcId;
    const tables = listed || vpcId ? await describeTables(ec2, listed ? { routeTableIds: ctx.options.routeTables } : { vpcId }, ctx.signal) : [];
    if (listed) {
      const foreign = tables.filter((t) => t.vpcId !== eniInfo.VpcId);
      if (foreign.length) {
        throw new ConfigError(
          `route table ${foreign.map((t) => `${t.routeTableId} (${t.vpcId})`).join(', ')} is not in the VPC of ${who.eni} (${eniInfo.VpcId})`,
          {
            field: 'routeTables',
            fix: 'list route tables of the VPC the node is in',
          },
        );
      }
    }
    checkRoutesAtCreate(ctx, tables, who.eni!, eniInfo);
  } else {
    await describeAllocation(ec2, ctx.options.allocationId!, ctx.signal);
    if (ctx.options.privateIp) {
      const ips = (eniInfo.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress);
      if (!ips.includes(ctx.options.privateIp)) {
        throw new ConfigError(`${ctx.options.privateIp} is not an address of ${who.eni} (${ips.join(', ')})`, {
          field: 'privateIp',
          fix: "give one of the ENI's private addresses, or leave privateIp out",
        });
      }
    }
  }
  return info;
}

// ------------------------------------------------------------------ the kit

/** quickCheck's error policy: AWS or IMDS not answering, or refusing, is `unknown` (logged, stays in service). */
async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  try {
    if (ctx.checkLevel < 10) return checkLocal(ctx);
    return ctx.options.scenario === 'route-table' ? await checkRouteTable(ctx) : await checkEip(ctx);
  } catch (err) {
    const kind = classifyAwsError(err);
    if (isAwsUnavailable(err) || isImdsUnavailable(err) || (isKitError(err) && err.code === 'TIMEOUT')) {
      ctx.logger.warn(`AWS did not answer; ${ctx.tag} stays in service: ${(err as Error).message}`);
      return { status: 'unknown', reason: `AWS did not answer: ${(err as Error).message}` };
    }
    if (kind === 'permission') {
      ctx.logger.error(`AWS refused the check; ${ctx.tag} stays in service, but fix this: ${(err as Error).message}`);
      return { status: 'unknown', reason: `AWS refused the check: ${(err as Error).message}${isKitError(err) && err.fix ? ` (fix: ${err.fix})` : ''}` };
    }
    if (ctx.signal.aborted) return { status: 'unknown', reason: `no answer within EC2_QUICKCHECK_TIMEOUT (${ctx.timeoutMs / 1000} s)` };
    return { status: 'failed', reason: (err as Error).message };
  }
}

export const actions: Kit<Ec2Options>['actions'] = {
  async create(ctx): Promise<CreateResult> {
    const info = await checkServer(ctx);
    const children = ctx.options.ipResource ? [{ kitType: 'ip', tag: ctx.options.ipResource, options: {}, existing: true }] : [];
    if (ctx.options.scenario === 'route-table' && !children.length && !ctx.options.destinations.length) {
      ctx.logger.warn(
        `${ctx.tag} protects nothing yet: make an IP resource its child (kit-runner dep add ${ctx.tag} <ip-tag>) or give destinations before restoring it`,
      );
    }
    return { info, children };
  },
  async extend(ctx) {
    return { info: await checkServer(ctx) };
  },
  async restore(ctx) {
    if (ctx.options.scenario === 'route-table') await switchHere(ctx, 'restore');
    else await associateHere(ctx, 'restore');
  },
  async remove(ctx) {
    if (ctx.options.scenario === 'route-table') {
      // Nothing to undo in AWS: the routes keep pointing here until the next restore points them
      // elsewhere (see README, "Why remove changes nothing"). No AWS or IMDS call, so remove never fails.
      ctx.logger.info(
        `route tables left as they are: ${protectedDestinations(ctx).join(', ') || '(no destination)'} keep pointing at ${ctx.server} until another server restores ${ctx.tag}`,
      );
      return;
    }
    await removeEip(ctx);
  },
  quickCheck,
  async recover(ctx) {
    if (ctx.options.scenario === 'route-table') await switchHere(ctx, 'recover');
    else await associateHere(ctx, 'recover');
  },
};
