/** EC2 Query API (Version 2016-11-15) over the emulator state. */
import {
  type Address,
  type Ec2Region,
  type EmulatorState,
  type Instance,
  INSTANCE_STATE_CODES,
  type InstanceStateName,
  type NetworkInterface,
  type Route,
  type RouteTable,
  type Tags,
  awsId,
} from './state.ts';
import type { InstanceLifecycle } from './instances.ts';
import { globMatch, ipv4InCidr, isIpv4, normalizeIpv4Cidr, normalizeIpv6Cidr } from './util.ts';
import { type XmlObject, type XmlValue, items, renderDocument } from './xml.ts';

export const EC2_NAMESPACE = 'http://ec2.amazonaws.com/doc/2016-11-15/';
export const EC2_VERSION = '2016-11-15';

export class Ec2Error extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly status = 400,
  ) {
    super(message);
  }
}

export function renderEc2Error(code: string, message: string, requestId: string): string {
  return renderDocument('Response', undefined, {
    Errors: { Error: { Code: code, Message: message } },
    RequestID: requestId,
  });
}

export function renderEc2Response(action: string, requestId: string, body: XmlObject): string {
  return renderDocument(`${action}Response`, EC2_NAMESPACE, { requestId, ...body });
}

// ------------------------------------------------------------------ request parameters

export class QueryParams {
  constructor(readonly raw: URLSearchParams) {}

  get(name: string): string | undefined {
    const v = this.raw.get(name);
    return v === null ? undefined : v;
  }

  require(name: string): string {
    const v = this.get(name);
    if (v === undefined || v === '') throw new Ec2Error('MissingParameter', `The request must contain the parameter ${lowerFirst(name)}`);
    return v;
  }

  bool(name: string): boolean | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    if (v === 'true') return true;
    if (v === 'false') return false;
    throw new Ec2Error('InvalidParameterValue', `Value (${v}) for parameter ${lowerFirst(name)} is invalid. Expected: 'true' or 'false'.`);
  }

  int(name: string): number | undefined {
    const v = this.get(name);
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new Ec2Error('InvalidParameterValue', `Value (${v}) for parameter ${lowerFirst(name)} is invalid. Expected an integer.`);
    return n;
  }

  /** `Name.1`, `Name.2`, ... in index order. */
  list(name: string): string[] {
    const found: [number, string][] = [];
    const re = new RegExp(`^${name.replace(/\./g, '\\.')}\\.(\\d+)$`);
    for (const [k, v] of this.raw) {
      const m = re.exec(k);
      if (m) found.push([Number(m[1]), v]);
    }
    return found.sort((a, b) => a[0] - b[0]).map(([, v]) => v);
  }

  /** `Filter.N.Name` / `Filter.N.Value.M`. */
  filters(): Filter[] {
    const byIndex = new Map<number, Filter>();
    for (const [k, v] of this.raw) {
      const m = /^Filter\.(\d+)\.(Name|Value\.(\d+))$/.exec(k);
      if (!m) continue;
      const idx = Number(m[1]);
      let f = byIndex.get(idx);
      if (!f) {
        f = { name: '', values: [] };
        byIndex.set(idx, f);
      }
      if (m[2] === 'Name') f.name = v;
      else f.values.push(v);
    }
    return [...byIndex.entries()].sort((a, b) => a[0] - b[0]).map(([, f]) => f);
  }

  /** Selected parameters for the call log (ids, CIDRs; never anything secret-looking). */
  summary(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [k, v] of this.raw) {
      if (k === 'Action' || k === 'Version') continue;
      if (/secret|token|password|userdata/i.test(k)) continue;
      out[k] = v.length > 200 ? `${v.slice(0, 200)}...` : v;
    }
    return out;
  }
}

export interface Filter {
  name: string;
  values: string[];
}

function lowerFirst(s: string): string {
  return s.charAt(0).toLowerCase() + s.slice(1);
}

type FilterGetter<T> = (item: T) => string | boolean | number | (string | undefined)[] | undefined;

function applyFilters<T>(list: T[], filters: Filter[], getters: Record<string, FilterGetter<T>>, tags?: (item: T) => Tags): T[] {
  for (const f of filters) {
    if (!f.name) throw new Ec2Error('InvalidParameterValue', 'The filter name must not be empty');
    if (f.values.length === 0) throw new Ec2Error('InvalidParameterCombination', `The filter '${f.name}' requires at least one value`);
  }
  return list.filter((item) =>
    filters.every((f) => {
      let raw: ReturnType<FilterGetter<T>>;
      if (f.name.startsWith('tag:') && tags) {
        raw = tags(item)[f.name.slice(4)];
      } else if (f.name === 'tag-key' && tags) {
        raw = Object.keys(tags(item));
      } else if (f.name === 'tag-value' && tags) {
        raw = Object.values(tags(item));
      } else {
        const getter = getters[f.name];
        if (!getter) throw new Ec2Error('InvalidParameterValue', `The filter '${f.name}' is invalid`);
        raw = getter(item);
      }
      const candidates = (Array.isArray(raw) ? raw : [raw]).filter((x) => x !== undefined).map(String);
      return f.values.some((pattern) => candidates.some((c) => globMatch(pattern, c)));
    }),
  );
}

function tagSet(tags: Tags): XmlValue {
  return items(Object.entries(tags).map(([key, value]) => ({ key, value })));
}

/** Simple MaxResults/NextToken paging over an already filtered list. */
function page<T>(p: QueryParams, list: T[]): { page: T[]; nextToken?: string } {
  const max = p.int('MaxResults');
  const token = p.get('NextToken');
  let start = 0;
  if (token !== undefined) {
    const n = Number(Buffer.from(token, 'base64url').toString('utf8'));
    if (!Number.isInteger(n) || n < 0) throw new Ec2Error('InvalidNextToken', 'The token provided is invalid.');
    start = n;
  }
  if (max === undefined) return { page: list.slice(start) };
  if (max < 5 || max > 1000)
    throw new Ec2Error('InvalidParameterValue', `Value (${max}) for parameter maxResults is invalid. Expecting a value between 5 and 1000.`);
  const end = start + max;
  const result: { page: T[]; nextToken?: string } = { page: list.slice(start, end) };
  if (end < list.length) result.nextToken = Buffer.from(String(end)).toString('base64url');
  return result;
}

// ------------------------------------------------------------------ lookups

function idCheck(id: string, prefix: string, code: string, kind: string): void {
  if (!new RegExp(`^${prefix}-[0-9a-zA-Z]+$`).test(id)) throw new Ec2Error(`${code}.Malformed`, `Invalid id: "${id}" (expecting "${prefix}-...")`);
  void kind;
}

function getRouteTable(r: Ec2Region, id: string): RouteTable {
  idCheck(id, 'rtb', 'InvalidRouteTableID', 'routeTable');
  const t = r.routeTables.get(id);
  if (!t) throw new Ec2Error('InvalidRouteTableID.NotFound', `The routeTable ID '${id}' does not exist`);
  return t;
}

function getEni(r: Ec2Region, id: string): NetworkInterface {
  idCheck(id, 'eni', 'InvalidNetworkInterfaceID', 'networkInterface');
  const e = r.networkInterfaces.get(id);
  if (!e) throw new Ec2Error('InvalidNetworkInterfaceID.NotFound', `The networkInterface ID '${id}' does not exist`);
  return e;
}

function getInstance(r: Ec2Region, id: string): Instance {
  idCheck(id, 'i', 'InvalidInstanceID', 'instance');
  const i = r.instances.get(id);
  if (!i) throw new Ec2Error('InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
  return i;
}

function instanceEnis(r: Ec2Region, instanceId: string): NetworkInterface[] {
  return [...r.networkInterfaces.values()]
    .filter((e) => e.attachment?.instanceId === instanceId)
    .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
}

function primaryEni(r: Ec2Region, instanceId: string): NetworkInterface | undefined {
  return instanceEnis(r, instanceId).find((e) => e.attachment?.deviceIndex === 0);
}

/** The single ENI of an instance, as AssociateAddress / CreateRoute require when given an InstanceId. */
function soleEni(r: Ec2Region, instance: Instance): NetworkInterface {
  const enis = instanceEnis(r, instance.instanceId);
  if (enis.length > 1) {
    throw new Ec2Error(
      'InvalidInstanceID',
      `There are multiple interfaces attached to instance '${instance.instanceId}'. Please specify an interface ID for the operation instead.`,
    );
  }
  const eni = enis[0];
  if (!eni) throw new Ec2Error('InvalidInstanceID', `Instance '${instance.instanceId}' has no network interface`);
  return eni;
}

function eniIps(e: NetworkInterface): string[] {
  return [e.privateIpAddress, ...e.secondaryPrivateIpAddresses];
}

function addressFor(r: Ec2Region, eniId: string, privateIp: string): Address | undefined {
  for (const a of r.addresses.values()) {
    if (a.networkInterfaceId === eniId && a.privateIpAddress === privateIp) return a;
  }
  return undefined;
}

function instanceIdOfEni(r: Ec2Region, eniId: string | undefined): string | undefined {
  if (!eniId) return undefined;
  return r.networkInterfaces.get(eniId)?.attachment?.instanceId;
}

// ------------------------------------------------------------------ renderers

function routeTarget(r: Ec2Region, route: Route): { instanceId?: string; state: 'active' | 'blackhole' } {
  if (route.networkInterfaceId) {
    const eni = r.networkInterfaces.get(route.networkInterfaceId);
    if (!eni) return { state: 'blackhole', ...(route.instanceId ? { instanceId: route.instanceId } : {}) };
    const instanceId = eni.attachment?.instanceId;
    if (!instanceId) return { state: 'blackhole' };
    const instance = r.instances.get(instanceId);
    const state = instance && instance.state !== 'running' ? 'blackhole' : 'active';
    return { instanceId, state };
  }
  if (route.instanceId) {
    const instance = r.instances.get(route.instanceId);
    return { instanceId: route.instanceId, state: instance && instance.state === 'running' ? 'active' : 'blackhole' };
  }
  return { state: 'active' };
}

function renderRoute(r: Ec2Region, route: Route, accountId: string): XmlObject {
  const target = routeTarget(r, route);
  return {
    destinationCidrBlock: route.destinationCidrBlock,
    destinationIpv6CidrBlock: route.destinationIpv6CidrBlock,
    gatewayId: route.gatewayId,
    instanceId: target.instanceId,
    instanceOwnerId: target.instanceId ? accountId : undefined,
    natGatewayId: route.natGatewayId,
    transitGatewayId: route.transitGatewayId,
    networkInterfaceId: route.networkInterfaceId,
    vpcPeeringConnectionId: route.vpcPeeringConnectionId,
    origin: route.origin,
    state: target.state,
  };
}

function renderRouteTable(r: Ec2Region, t: RouteTable, accountId: string): XmlObject {
  return {
    routeTableId: t.routeTableId,
    vpcId: t.vpcId,
    ownerId: accountId,
    routeSet: items(t.routes.map((route) => renderRoute(r, route, accountId))),
    associationSet: items(
      t.associations.map((a) => ({
        routeTableAssociationId: a.routeTableAssociationId,
        routeTableId: t.routeTableId,
        subnetId: a.subnetId,
        gatewayId: a.gatewayId,
        main: a.main,
        associationState: { state: 'associated' },
      })),
    ),
    propagatingVgwSet: items(t.propagatingVgws.map((gatewayId) => ({ gatewayId }))),
    tagSet: tagSet(t.tags),
  };
}

function eipAssociation(a: Address | undefined, accountId: string): XmlObject | undefined {
  if (!a) return undefined;
  return {
    publicIp: a.publicIp,
    publicDnsName: `ec2-${a.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com`,
    ipOwnerId: accountId,
    allocationId: a.allocationId,
    associationId: a.associationId,
  };
}

function privateDnsName(ip: string, region: string): string {
  const suffix = region === 'us-east-1' ? 'ec2.internal' : `${region}.compute.internal`;
  return `ip-${ip.replace(/\./g, '-')}.${suffix}`;
}

function renderEni(r: Ec2Region, e: NetworkInterface, accountId: string): XmlObject {
  const primaryAddr = addressFor(r, e.networkInterfaceId, e.privateIpAddress);
  return {
    networkInterfaceId: e.networkInterfaceId,
    subnetId: e.subnetId,
    vpcId: e.vpcId,
    availabilityZone: e.availabilityZone,
    availabilityZoneId: r.availabilityZones.find((z) => z.zoneName === e.availabilityZone)?.zoneId,
    description: e.description,
    ownerId: accountId,
    requesterManaged: false,
    status: e.status,
    macAddress: e.macAddress,
    privateIpAddress: e.privateIpAddress,
    privateDnsName: privateDnsName(e.privateIpAddress, r.region),
    sourceDestCheck: e.sourceDestCheck,
    interfaceType: 'interface',
    groupSet: items([]),
    attachment: e.attachment
      ? {
          attachmentId: e.attachment.attachmentId,
          instanceId: e.attachment.instanceId,
          instanceOwnerId: accountId,
          deviceIndex: e.attachment.deviceIndex,
          networkCardIndex: 0,
          status: e.attachment.status,
          attachTime: e.attachment.attachTime,
          deleteOnTermination: e.attachment.deleteOnTermination,
        }
      : undefined,
    association: eipAssociation(primaryAddr, accountId),
    tagSet: tagSet(e.tags),
    privateIpAddressesSet: items(
      eniIps(e).map((ip, idx) => ({
        privateIpAddress: ip,
        privateDnsName: privateDnsName(ip, r.region),
        primary: idx === 0,
        association: eipAssociation(addressFor(r, e.networkInterfaceId, ip), accountId),
      })),
    ),
    ipv6AddressesSet: items([]),
  };
}

function renderInstance(r: Ec2Region, i: Instance, accountId: string): XmlObject {
  const enis = instanceEnis(r, i.instanceId);
  const primary = enis.find((e) => e.attachment?.deviceIndex === 0);
  const publicAddr = primary ? addressFor(r, primary.networkInterfaceId, primary.privateIpAddress) : undefined;
  const running = i.state === 'running';
  return {
    instanceId: i.instanceId,
    imageId: i.imageId,
    instanceState: { code: INSTANCE_STATE_CODES[i.state], name: i.state },
    privateDnsName: primary ? privateDnsName(primary.privateIpAddress, r.region) : '',
    dnsName: publicAddr && running ? `ec2-${publicAddr.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com` : '',
    reason: running ? '' : 'User initiated',
    amiLaunchIndex: 0,
    instanceType: i.instanceType,
    launchTime: i.launchTime,
    placement: {
      availabilityZone: i.availabilityZone,
      availabilityZoneId: r.availabilityZones.find((z) => z.zoneName === i.availabilityZone)?.zoneId,
      groupName: '',
      tenancy: 'default',
    },
    monitoring: { state: 'disabled' },
    subnetId: i.subnetId,
    vpcId: i.vpcId,
    privateIpAddress: primary?.privateIpAddress,
    ipAddress: publicAddr && running ? publicAddr.publicIp : undefined,
    sourceDestCheck: primary?.sourceDestCheck ?? true,
    groupSet: items([]),
    architecture: 'x86_64',
    rootDeviceType: 'ebs',
    rootDeviceName: '/dev/xvda',
    virtualizationType: 'hvm',
    hypervisor: 'xen',
    iamInstanceProfile: i.iamRole
      ? { arn: `arn:aws:iam::${accountId}:instance-profile/${i.iamRole}`, id: `AIPA${i.instanceId.slice(2, 18).toUpperCase()}` }
      : undefined,
    tagSet: tagSet(i.tags),
    networkInterfaceSet: items(
      enis.map((e) => ({
        networkInterfaceId: e.networkInterfaceId,
        subnetId: e.subnetId,
        vpcId: e.vpcId,
        description: e.description,
        ownerId: accountId,
        status: e.status,
        macAddress: e.macAddress,
        privateIpAddress: e.privateIpAddress,
        privateDnsName: privateDnsName(e.privateIpAddress, r.region),
        sourceDestCheck: e.sourceDestCheck,
        groupSet: items([]),
        interfaceType: 'interface',
        attachment: e.attachment
          ? {
              attachmentId: e.attachment.attachmentId,
              deviceIndex: e.attachment.deviceIndex,
              networkCardIndex: 0,
              status: e.attachment.status,
              attachTime: e.attachment.attachTime,
              deleteOnTermination: e.attachment.deleteOnTermination,
            }
          : undefined,
        association: eipAssociationForInstance(addressFor(r, e.networkInterfaceId, e.privateIpAddress), accountId),
        privateIpAddressesSet: items(
          eniIps(e).map((ip, idx) => ({
            privateIpAddress: ip,
            privateDnsName: privateDnsName(ip, r.region),
            primary: idx === 0,
            association: eipAssociationForInstance(addressFor(r, e.networkInterfaceId, ip), accountId),
          })),
        ),
      })),
    ),
  };
}

function eipAssociationForInstance(a: Address | undefined, accountId: string): XmlObject | undefined {
  if (!a) return undefined;
  return {
    publicIp: a.publicIp,
    publicDnsName: `ec2-${a.publicIp.replace(/\./g, '-')}.compute-1.amazonaws.com`,
    ipOwnerId: accountId,
  };
}

function renderAddress(r: Ec2Region, a: Address, accountId: string): XmlObject {
  const instanceId = instanceIdOfEni(r, a.networkInterfaceId);
  return {
    publicIp: a.publicIp,
    allocationId: a.allocationId,
    domain: a.domain,
    instanceId: a.associationId ? (instanceId ?? '') : undefined,
    associationId: a.associationId,
    networkInterfaceId: a.networkInterfaceId,
    networkInterfaceOwnerId: a.networkInterfaceId ? accountId : undefined,
    privateIpAddress: a.privateIpAddress,
    publicIpv4Pool: 'amazon',
    networkBorderGroup: r.region,
    tagSet: tagSet(a.tags),
  };
}

// ------------------------------------------------------------------ actions

export interface Ec2Request {
  action: string;
  params: QueryParams;
  region: Ec2Region;
  state: EmulatorState;
  /** Power state changes (StopInstances, StartInstances) and their events. */
  instances: InstanceLifecycle;
}

/** The instances a StopInstances / StartInstances names, all checked before any changes (as EC2 does). */
function namedInstances(req: Ec2Request): Instance[] {
  const ids = req.params.list('InstanceId');
  if (ids.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter InstanceId');
  for (const id of ids) idCheck(id, 'i', 'InvalidInstanceID', 'instance');
  const missing = ids.filter((id) => !req.region.instances.has(id));
  if (missing.length) {
    throw new Ec2Error(
      'InvalidInstanceID.NotFound',
      `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
    );
  }
  return [...new Set(ids)].map((id) => req.region.instances.get(id)!);
}

const stateXml = (name: InstanceStateName) => ({ code: INSTANCE_STATE_CODES[name], name });

type Handler = (req: Ec2Request) => XmlObject;

function validateDestination(p: QueryParams): { v4?: string; v6?: string } {
  const v4 = p.get('DestinationCidrBlock');
  const v6 = p.get('DestinationIpv6CidrBlock');
  if (v4 === undefined && v6 === undefined) {
    throw new Ec2Error('MissingParameter', 'The request must contain the parameter destinationCidrBlock or destinationIpv6CidrBlock');
  }
  if (v4 !== undefined && v6 !== undefined) {
    throw new Ec2Error('InvalidParameterCombination', 'Only one of destinationCidrBlock and destinationIpv6CidrBlock may be specified');
  }
  if (v4 !== undefined) {
    const n = normalizeIpv4Cidr(v4);
    if (!n) throw new Ec2Error('InvalidParameterValue', `Value (${v4}) for parameter destinationCidrBlock is invalid. This is not a valid CIDR block.`);
    return { v4: n };
  }
  const n = normalizeIpv6Cidr(v6 ?? '');
  if (!n) throw new Ec2Error('InvalidParameterValue', `Value (${v6}) for parameter destinationIpv6CidrBlock is invalid. This is not a valid IPv6 CIDR block.`);
  return { v6: n };
}

const isPropagated = (r: Route) => r.origin === 'EnableVgwRoutePropagation';

/**
 * The static route for a destination (CreateRoute, ReplaceRoute and DeleteRoute see only these):
 * a route a virtual private gateway propagates is the gateway's, not the caller's; a static route
 * for the same destination may be created beside it and takes precedence (AWS route priority).
 */
function findRoute(t: RouteTable, dest: { v4?: string; v6?: string }): number {
  return t.routes.findIndex((r) => !isPropagated(r) && (dest.v4 !== undefined ? r.destinationCidrBlock === dest.v4 : r.destinationIpv6CidrBlock === dest.v6));
}

function propagatedRoute(t: RouteTable, dest: { v4?: string; v6?: string }): Route | undefined {
  return t.routes.find((r) => isPropagated(r) && (dest.v4 !== undefined ? r.destinationCidrBlock === dest.v4 : r.destinationIpv6CidrBlock === dest.v6));
}

const TARGET_PARAMS = [
  'GatewayId',
  'NatGatewayId',
  'NetworkInterfaceId',
  'InstanceId',
  'VpcPeeringConnectionId',
  'TransitGatewayId',
  'EgressOnlyInternetGatewayId',
  'LocalGatewayId',
  'CarrierGatewayId',
  'VpcEndpointId',
  'CoreNetworkArn',
] as const;

function buildTarget(req: Ec2Request, table: RouteTable, dest: { v4?: string; v6?: string }): Omit<Route, 'origin'> {
  const p = req.params;
  const given = TARGET_PARAMS.filter((k) => p.get(k) !== undefined && p.get(k) !== '');
  if (given.length === 0) {
    throw new Ec2Error(
      'MissingParameter',
      'The request must contain exactly one of gatewayId, natGatewayId, networkInterfaceId, vpcPeeringConnectionId, egressOnlyInternetGatewayId, transitGatewayId, localGatewayId, carrierGatewayId, or instanceId',
    );
  }
  if (given.length > 1) {
    throw new Ec2Error('InvalidParameterCombination', `Only one of ${given.map(lowerFirst).join(', ')} may be specified`);
  }
  const route: Omit<Route, 'origin'> = {};
  if (dest.v4) route.destinationCidrBlock = dest.v4;
  if (dest.v6) route.destinationIpv6CidrBlock = dest.v6;
  const kind = given[0];
  const value = p.get(kind ?? '') ?? '';
  switch (kind) {
    case 'NetworkInterfaceId': {
      const eni = getEni(req.region, value);
      if (eni.vpcId !== table.vpcId) {
        throw new Ec2Error('InvalidParameterValue', `route table ${table.routeTableId} and network interface ${value} belong to different networks`);
      }
      route.networkInterfaceId = eni.networkInterfaceId;
      break;
    }
    case 'InstanceId': {
      const instance = getInstance(req.region, value);
      if (instance.vpcId !== table.vpcId) {
        throw new Ec2Error('InvalidParameterValue', `route table ${table.routeTableId} and instance ${value} belong to different networks`);
      }
      const eni = soleEni(req.region, instance);
      route.instanceId = instance.instanceId;
      route.networkInterfaceId = eni.networkInterfaceId;
      break;
    }
    case 'GatewayId':
      if (value === 'local') throw new Ec2Error('InvalidParameterValue', "The gateway ID 'local' is not valid for this operation");
      if (!/^(igw|vgw)-[0-9a-zA-Z]+$/.test(value)) throw new Ec2Error('InvalidGatewayID.NotFound', `The gateway ID '${value}' does not exist`);
      route.gatewayId = value;
      break;
    case 'NatGatewayId':
      if (!/^nat-[0-9a-zA-Z]+$/.test(value)) throw new Ec2Error('NatGatewayNotFound', `The natGateway ID '${value}' does not exist`);
      route.natGatewayId = value;
      break;
    case 'VpcPeeringConnectionId':
      route.vpcPeeringConnectionId = value;
      break;
    case 'TransitGatewayId':
      route.transitGatewayId = value;
      break;
    default:
      throw new Ec2Error('InvalidParameterValue', `The emulator does not support route targets of type ${lowerFirst(kind ?? '')}`);
  }
  return route;
}

function isLocal(route: Route): boolean {
  return route.gatewayId === 'local';
}

const handlers: Record<string, Handler> = {
  DescribeRouteTables(req) {
    const p = req.params;
    const ids = p.list('RouteTableId');
    let list = [...req.region.routeTables.values()];
    if (ids.length) {
      for (const id of ids) getRouteTable(req.region, id);
      list = list.filter((t) => ids.includes(t.routeTableId));
    }
    list = applyFilters(
      list,
      p.filters(),
      {
        'route-table-id': (t) => t.routeTableId,
        'vpc-id': (t) => t.vpcId,
        'owner-id': () => req.state.accountId,
        'association.main': (t) => t.associations.some((a) => a.main),
        'association.subnet-id': (t) => t.associations.map((a) => a.subnetId),
        'association.route-table-association-id': (t) => t.associations.map((a) => a.routeTableAssociationId),
        'association.route-table-id': (t) => (t.associations.length ? t.routeTableId : undefined),
        'association.gateway-id': (t) => t.associations.map((a) => a.gatewayId),
        'route.destination-cidr-block': (t) => t.routes.map((r) => r.destinationCidrBlock),
        'route.destination-ipv6-cidr-block': (t) => t.routes.map((r) => r.destinationIpv6CidrBlock),
        'route.gateway-id': (t) => t.routes.map((r) => r.gatewayId),
        'route.nat-gateway-id': (t) => t.routes.map((r) => r.natGatewayId),
        'route.network-interface-id': (t) => t.routes.map((r) => r.networkInterfaceId),
        'route.instance-id': (t) => t.routes.map((r) => routeTarget(req.region, r).instanceId),
        'route.origin': (t) => t.routes.map((r) => r.origin),
        'route.state': (t) => t.routes.map((r) => routeTarget(req.region, r).state),
      },
      (t) => t.tags,
    );
    const pg = page(p, list);
    return {
      routeTableSet: items(pg.page.map((t) => renderRouteTable(req.region, t, req.state.accountId))),
      nextToken: pg.nextToken,
    };
  },

  CreateRoute(req) {
    const table = getRouteTable(req.region, req.params.require('RouteTableId'));
    const dest = validateDestination(req.params);
    const route = buildTarget(req, table, dest);
    if (findRoute(table, dest) >= 0) {
      throw new Ec2Error('RouteAlreadyExists', `The route identified by ${dest.v4 ?? dest.v6} already exists.`);
    }
    table.routes.push({ ...route, origin: 'CreateRoute' });
    return { return: true };
  },

  ReplaceRoute(req) {
    const table = getRouteTable(req.region, req.params.require('RouteTableId'));
    const dest = validateDestination(req.params);
    const idx = findRoute(table, dest);
    if (idx < 0) {
      const vgw = propagatedRoute(table, dest);
      throw new Ec2Error(
        'InvalidRoute.NotFound',
        `There is no route defined for '${dest.v4 ?? dest.v6}' in the route table${vgw ? ` (the route for it is propagated by ${vgw.gatewayId} and cannot be replaced)` : ''}. Use CreateRoute instead.`,
      );
    }
    const existing = table.routes[idx];
    if (existing && isLocal(existing)) {
      throw new Ec2Error('InvalidParameterValue', `The route identified by ${dest.v4 ?? dest.v6} is a local route and cannot be replaced.`);
    }
    const route = buildTarget(req, table, dest);
    table.routes[idx] = { ...route, origin: 'CreateRoute' };
    return { return: true };
  },

  DeleteRoute(req) {
    const table = getRouteTable(req.region, req.params.require('RouteTableId'));
    const dest = validateDestination(req.params);
    const idx = findRoute(table, dest);
    if (idx < 0) {
      throw new Ec2Error(
        'InvalidRoute.NotFound',
        `${propagatedRoute(table, dest) ? 'A propagated route cannot be deleted (disable route propagation instead). ' : ''}No route with destination-${dest.v4 ? 'cidr-block' : 'ipv6-cidr-block'} ${dest.v4 ?? dest.v6} in route table ${table.routeTableId}`,
      );
    }
    const existing = table.routes[idx];
    if (existing && isLocal(existing)) {
      throw new Ec2Error('InvalidParameterValue', `cannot remove local route ${dest.v4 ?? dest.v6} in route table ${table.routeTableId}`);
    }
    table.routes.splice(idx, 1);
    return { return: true };
  },

  DescribeNetworkInterfaces(req) {
    const p = req.params;
    const ids = p.list('NetworkInterfaceId');
    let list = [...req.region.networkInterfaces.values()];
    if (ids.length) {
      for (const id of ids) getEni(req.region, id);
      list = list.filter((e) => ids.includes(e.networkInterfaceId));
    }
    const r = req.region;
    list = applyFilters(
      list,
      p.filters(),
      {
        'network-interface-id': (e) => e.networkInterfaceId,
        'attachment.instance-id': (e) => e.attachment?.instanceId,
        'attachment.attachment-id': (e) => e.attachment?.attachmentId,
        'attachment.device-index': (e) => e.attachment?.deviceIndex,
        'attachment.status': (e) => e.attachment?.status,
        'attachment.instance-owner-id': (e) => (e.attachment ? req.state.accountId : undefined),
        'vpc-id': (e) => e.vpcId,
        'subnet-id': (e) => e.subnetId,
        'availability-zone': (e) => e.availabilityZone,
        'mac-address': (e) => e.macAddress,
        'private-ip-address': (e) => eniIps(e),
        'addresses.private-ip-address': (e) => eniIps(e),
        'private-dns-name': (e) => privateDnsName(e.privateIpAddress, r.region),
        'source-dest-check': (e) => e.sourceDestCheck,
        status: (e) => e.status,
        description: (e) => e.description,
        'owner-id': () => req.state.accountId,
        'requester-managed': () => false,
        'interface-type': () => 'interface',
        'association.public-ip': (e) => eniIps(e).map((ip) => addressFor(r, e.networkInterfaceId, ip)?.publicIp),
        'association.allocation-id': (e) => eniIps(e).map((ip) => addressFor(r, e.networkInterfaceId, ip)?.allocationId),
        'association.association-id': (e) => eniIps(e).map((ip) => addressFor(r, e.networkInterfaceId, ip)?.associationId),
        'addresses.association.public-ip': (e) => eniIps(e).map((ip) => addressFor(r, e.networkInterfaceId, ip)?.publicIp),
      },
      (e) => e.tags,
    );
    const pg = page(p, list);
    return {
      networkInterfaceSet: items(pg.page.map((e) => renderEni(req.region, e, req.state.accountId))),
      nextToken: pg.nextToken,
    };
  },

  DescribeNetworkInterfaceAttribute(req) {
    const eni = getEni(req.region, req.params.require('NetworkInterfaceId'));
    const attribute = req.params.get('Attribute');
    const out: XmlObject = { networkInterfaceId: eni.networkInterfaceId };
    switch (attribute) {
      case 'sourceDestCheck':
        out.sourceDestCheck = { value: eni.sourceDestCheck };
        break;
      case 'description':
        out.description = { value: eni.description };
        break;
      case 'groupSet':
        out.groupSet = items([]);
        break;
      case 'attachment':
        out.attachment = eni.attachment
          ? {
              attachmentId: eni.attachment.attachmentId,
              instanceId: eni.attachment.instanceId,
              instanceOwnerId: req.state.accountId,
              deviceIndex: eni.attachment.deviceIndex,
              status: eni.attachment.status,
              attachTime: eni.attachment.attachTime,
              deleteOnTermination: eni.attachment.deleteOnTermination,
            }
          : undefined;
        break;
      case 'associatePublicIpAddress':
        out.associatePublicIpAddress = false;
        break;
      case undefined:
        throw new Ec2Error('MissingParameter', 'The request must contain the parameter attribute');
      default:
        throw new Ec2Error('InvalidParameterValue', `Value (${attribute}) for parameter attribute is invalid. Unknown attribute.`);
    }
    return out;
  },

  ModifyNetworkInterfaceAttribute(req) {
    const eni = getEni(req.region, req.params.require('NetworkInterfaceId'));
    const sdc = req.params.bool('SourceDestCheck.Value');
    const description = req.params.get('Description.Value');
    if (sdc === undefined && description === undefined) {
      throw new Ec2Error('MissingParameter', 'The request must contain the parameter sourceDestCheck, description, groupSet or attachment');
    }
    if (sdc !== undefined) eni.sourceDestCheck = sdc;
    if (description !== undefined) eni.description = description;
    return { return: true };
  },

  DescribeInstances(req) {
    const p = req.params;
    const ids = p.list('InstanceId');
    let list = [...req.region.instances.values()];
    if (ids.length) {
      const missing = ids.filter((id) => {
        idCheck(id, 'i', 'InvalidInstanceID', 'instance');
        return !req.region.instances.has(id);
      });
      if (missing.length) {
        throw new Ec2Error(
          'InvalidInstanceID.NotFound',
          `The instance ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
        );
      }
      list = list.filter((i) => ids.includes(i.instanceId));
    }
    const r = req.region;
    list = applyFilters(
      list,
      p.filters(),
      {
        'instance-id': (i) => i.instanceId,
        'vpc-id': (i) => i.vpcId,
        'subnet-id': (i) => i.subnetId,
        'availability-zone': (i) => i.availabilityZone,
        'instance-state-name': (i) => i.state,
        'instance-state-code': (i) => INSTANCE_STATE_CODES[i.state],
        'instance-type': (i) => i.instanceType,
        'image-id': (i) => i.imageId,
        'reservation-id': (i) => i.reservationId,
        'private-ip-address': (i) => primaryEni(r, i.instanceId)?.privateIpAddress,
        'ip-address': (i) => {
          const e = primaryEni(r, i.instanceId);
          return e ? addressFor(r, e.networkInterfaceId, e.privateIpAddress)?.publicIp : undefined;
        },
        'network-interface.network-interface-id': (i) => instanceEnis(r, i.instanceId).map((e) => e.networkInterfaceId),
        'network-interface.mac-address': (i) => instanceEnis(r, i.instanceId).map((e) => e.macAddress),
        'network-interface.addresses.private-ip-address': (i) => instanceEnis(r, i.instanceId).flatMap(eniIps),
        'network-interface.subnet-id': (i) => instanceEnis(r, i.instanceId).map((e) => e.subnetId),
        'network-interface.vpc-id': (i) => instanceEnis(r, i.instanceId).map((e) => e.vpcId),
        'source-dest-check': (i) => primaryEni(r, i.instanceId)?.sourceDestCheck,
        'owner-id': () => req.state.accountId,
      },
      (i) => i.tags,
    );
    const pg = page(p, list);
    return {
      reservationSet: items(
        pg.page.map((i) => ({
          reservationId: i.reservationId,
          ownerId: req.state.accountId,
          groupSet: items([]),
          instancesSet: items([renderInstance(req.region, i, req.state.accountId)]),
        })),
      ),
      nextToken: pg.nextToken,
    };
  },

  StopInstances(req) {
    const list = namedInstances(req);
    const bad = list.filter((i) => i.state === 'terminated' || i.state === 'shutting-down');
    if (bad.length) throw new Ec2Error('IncorrectInstanceState', `This instance '${bad[0]!.instanceId}' is not in a state from which it can be stopped.`);
    // Force (fence_aws sends Force=true) and Hibernate change nothing here: the stop is immediate.
    return {
      instancesSet: items(
        list.map((i) => {
          const [previous, current] = req.instances.stop(req.region, i);
          return { instanceId: i.instanceId, currentState: stateXml(current), previousState: stateXml(previous) };
        }),
      ),
    };
  },

  StartInstances(req) {
    const list = namedInstances(req);
    const bad = list.filter((i) => i.state !== 'stopped' && i.state !== 'running' && i.state !== 'pending');
    if (bad.length) throw new Ec2Error('IncorrectInstanceState', `The instance '${bad[0]!.instanceId}' is not in a state from which it can be started.`);
    return {
      instancesSet: items(
        list.map((i) => {
          const [previous, current] = req.instances.start(req.region, i);
          return { instanceId: i.instanceId, currentState: stateXml(current), previousState: stateXml(previous) };
        }),
      ),
    };
  },

  ModifyInstanceAttribute(req) {
    const p = req.params;
    const instance = getInstance(req.region, p.require('InstanceId'));
    let sdc = p.bool('SourceDestCheck.Value');
    const attribute = p.get('Attribute');
    if (sdc === undefined && attribute !== undefined) {
      if (attribute !== 'sourceDestCheck') {
        throw new Ec2Error('InvalidParameterValue', `The emulator only supports the sourceDestCheck attribute, not ${attribute}`);
      }
      sdc = p.bool('Value');
    }
    if (sdc === undefined) throw new Ec2Error('MissingParameter', 'The request must contain the parameter sourceDestCheck');
    const eni = primaryEni(req.region, instance.instanceId);
    if (!eni) throw new Ec2Error('InvalidInstanceID', `Instance '${instance.instanceId}' has no network interface`);
    eni.sourceDestCheck = sdc;
    return { return: true };
  },

  DescribeAddresses(req) {
    const p = req.params;
    const allocIds = p.list('AllocationId');
    const publicIps = p.list('PublicIp');
    let list = [...req.region.addresses.values()];
    if (allocIds.length) {
      const missing = allocIds.filter((id) => !req.region.addresses.has(id));
      if (missing.length) {
        throw new Ec2Error(
          'InvalidAllocationID.NotFound',
          `The allocation ID${missing.length > 1 ? 's' : ''} '${missing.join(', ')}' do${missing.length > 1 ? '' : 'es'} not exist`,
        );
      }
      list = list.filter((a) => allocIds.includes(a.allocationId));
    }
    if (publicIps.length) {
      for (const ip of publicIps) {
        if (!list.some((a) => a.publicIp === ip)) throw new Ec2Error('InvalidAddress.NotFound', `Address '${ip}' not found.`);
      }
      list = list.filter((a) => publicIps.includes(a.publicIp));
    }
    const r = req.region;
    list = applyFilters(
      list,
      p.filters(),
      {
        'allocation-id': (a) => a.allocationId,
        'association-id': (a) => a.associationId,
        domain: (a) => a.domain,
        'instance-id': (a) => instanceIdOfEni(r, a.networkInterfaceId),
        'network-interface-id': (a) => a.networkInterfaceId,
        'network-interface-owner-id': (a) => (a.networkInterfaceId ? req.state.accountId : undefined),
        'private-ip-address': (a) => a.privateIpAddress,
        'public-ip': (a) => a.publicIp,
        'network-border-group': () => r.region,
      },
      (a) => a.tags,
    );
    return { addressesSet: items(list.map((a) => renderAddress(req.region, a, req.state.accountId))) };
  },

  AssociateAddress(req) {
    const p = req.params;
    const r = req.region;
    const allocationId = p.get('AllocationId');
    const publicIp = p.get('PublicIp');
    let address: Address | undefined;
    if (allocationId) {
      address = r.addresses.get(allocationId);
      if (!address) throw new Ec2Error('InvalidAllocationID.NotFound', `The allocation ID '${allocationId}' does not exist`);
    } else if (publicIp) {
      address = [...r.addresses.values()].find((a) => a.publicIp === publicIp);
      if (!address) throw new Ec2Error('InvalidAddress.NotFound', `Address '${publicIp}' not found.`);
    } else {
      throw new Ec2Error('MissingParameter', 'Either public IP or allocation id must be specified');
    }
    const eniId = p.get('NetworkInterfaceId');
    const instanceId = p.get('InstanceId');
    let eni: NetworkInterface;
    if (eniId) {
      eni = getEni(r, eniId);
      if (instanceId && eni.attachment?.instanceId !== instanceId) {
        throw new Ec2Error('InvalidParameterCombination', `Network interface '${eniId}' is not attached to instance '${instanceId}'`);
      }
    } else if (instanceId) {
      const instance = getInstance(r, instanceId);
      if (instance.state !== 'running' && instance.state !== 'stopped') {
        throw new Ec2Error('IncorrectInstanceState', `The instance '${instanceId}' is not in a valid state for this operation.`);
      }
      eni = soleEni(r, instance);
    } else {
      throw new Ec2Error('MissingParameter', 'Either instance ID or network interface id must be specified');
    }
    const privateIp = p.get('PrivateIpAddress') ?? eni.privateIpAddress;
    if (!eniIps(eni).includes(privateIp)) {
      throw new Ec2Error(
        'InvalidParameterValue',
        `The specified private IP address '${privateIp}' is not associated with network interface '${eni.networkInterfaceId}'`,
      );
    }
    const allowReassociation = p.bool('AllowReassociation') ?? false;
    if (address.associationId) {
      const same = address.networkInterfaceId === eni.networkInterfaceId && address.privateIpAddress === privateIp;
      if (same) return { return: true, associationId: address.associationId };
      if (!allowReassociation) {
        throw new Ec2Error('Resource.AlreadyAssociated', `resource ${address.allocationId} is already associated with associate-id ${address.associationId}`);
      }
    }
    // An EIP already mapped to the target private IP is replaced (disassociated).
    const previous = addressFor(r, eni.networkInterfaceId, privateIp);
    if (previous && previous !== address) clearAssociation(previous);
    address.networkInterfaceId = eni.networkInterfaceId;
    address.privateIpAddress = privateIp;
    address.associationId = awsId('eipassoc');
    return { return: true, associationId: address.associationId };
  },

  DisassociateAddress(req) {
    const p = req.params;
    const r = req.region;
    const associationId = p.get('AssociationId');
    const publicIp = p.get('PublicIp');
    if (associationId) {
      if (!/^eipassoc-[0-9a-zA-Z]+$/.test(associationId)) {
        throw new Ec2Error('InvalidAssociationID.Malformed', `Invalid id: "${associationId}" (expecting "eipassoc-...")`);
      }
      const address = [...r.addresses.values()].find((a) => a.associationId === associationId);
      if (!address) throw new Ec2Error('InvalidAssociationID.NotFound', `The association ID '${associationId}' does not exist`);
      clearAssociation(address);
    } else if (publicIp) {
      const address = [...r.addresses.values()].find((a) => a.publicIp === publicIp);
      if (!address) throw new Ec2Error('InvalidAddress.NotFound', `Address '${publicIp}' not found.`);
      clearAssociation(address);
    } else {
      throw new Ec2Error('MissingParameter', 'Either public IP or association id must be specified');
    }
    return { return: true };
  },

  AssignPrivateIpAddresses(req) {
    const p = req.params;
    const r = req.region;
    const eni = getEni(r, p.require('NetworkInterfaceId'));
    const ips = p.list('PrivateIpAddress');
    if (ips.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter privateIpAddress');
    const subnet = r.subnets.get(eni.subnetId);
    const allow = p.bool('AllowReassignment') ?? false;
    for (const ip of ips) {
      if (!isIpv4(ip) || (subnet && !ipv4InCidr(ip, subnet.cidrBlock))) {
        throw new Ec2Error('InvalidParameterValue', `Address ${ip} does not fall within the subnet's address range`);
      }
      const holder = [...r.networkInterfaces.values()].find((e) => eniIps(e).includes(ip));
      if (holder && holder !== eni) {
        if (!allow || holder.privateIpAddress === ip) {
          throw new Ec2Error('PrivateIpAddressLimitExceeded', `Address ${ip} is in use.`);
        }
      }
    }
    for (const ip of ips) {
      for (const e of r.networkInterfaces.values()) {
        if (e !== eni) e.secondaryPrivateIpAddresses = e.secondaryPrivateIpAddresses.filter((x) => x !== ip);
      }
      if (!eniIps(eni).includes(ip)) eni.secondaryPrivateIpAddresses.push(ip);
    }
    return {
      return: true,
      networkInterfaceId: eni.networkInterfaceId,
      assignedPrivateIpAddressesSet: items(ips.map((ip) => ({ privateIpAddress: ip }))),
    };
  },

  UnassignPrivateIpAddresses(req) {
    const p = req.params;
    const eni = getEni(req.region, p.require('NetworkInterfaceId'));
    const ips = p.list('PrivateIpAddress');
    if (ips.length === 0) throw new Ec2Error('MissingParameter', 'The request must contain the parameter privateIpAddress');
    for (const ip of ips) {
      if (!eni.secondaryPrivateIpAddresses.includes(ip)) {
        throw new Ec2Error('InvalidParameterValue', `Some of the specified addresses are not assigned to interface ${eni.networkInterfaceId}`);
      }
    }
    eni.secondaryPrivateIpAddresses = eni.secondaryPrivateIpAddresses.filter((x) => !ips.includes(x));
    return { return: true };
  },

  DescribeAvailabilityZones(req) {
    const p = req.params;
    const names = p.list('ZoneName');
    const zoneIds = p.list('ZoneId');
    let list = req.region.availabilityZones;
    for (const n of names) {
      if (!list.some((z) => z.zoneName === n)) throw new Ec2Error('InvalidParameterValue', `Invalid availability zone: [${n}]`);
    }
    if (names.length) list = list.filter((z) => names.includes(z.zoneName));
    if (zoneIds.length) list = list.filter((z) => zoneIds.includes(z.zoneId));
    list = applyFilters(list, p.filters(), {
      'zone-name': (z) => z.zoneName,
      'zone-id': (z) => z.zoneId,
      state: (z) => z.state,
      'region-name': () => req.region.region,
      'zone-type': () => 'availability-zone',
      'group-name': () => req.region.region,
      'opt-in-status': () => 'opt-in-not-required',
    });
    return {
      availabilityZoneInfo: items(
        list.map((z) => ({
          zoneName: z.zoneName,
          zoneState: z.state,
          regionName: req.region.region,
          zoneId: z.zoneId,
          optInStatus: 'opt-in-not-required',
          groupName: req.region.region,
          networkBorderGroup: req.region.region,
          zoneType: 'availability-zone',
          messageSet: items([]),
        })),
      ),
    };
  },

  DescribeVpcs(req) {
    const p = req.params;
    const ids = p.list('VpcId');
    let list = [...req.region.vpcs.values()];
    for (const id of ids) {
      if (!req.region.vpcs.has(id)) throw new Ec2Error('InvalidVpcID.NotFound', `The vpc ID '${id}' does not exist`);
    }
    if (ids.length) list = list.filter((v) => ids.includes(v.vpcId));
    list = applyFilters(
      list,
      p.filters(),
      {
        'vpc-id': (v) => v.vpcId,
        cidr: (v) => v.cidrBlock,
        'cidr-block-association.cidr-block': (v) => v.cidrBlock,
        'is-default': (v) => v.isDefault,
        state: (v) => v.state,
        'owner-id': () => req.state.accountId,
      },
      (v) => v.tags,
    );
    const pg = page(p, list);
    return {
      vpcSet: items(
        pg.page.map((v) => ({
          vpcId: v.vpcId,
          ownerId: req.state.accountId,
          state: v.state,
          cidrBlock: v.cidrBlock,
          cidrBlockAssociationSet: items([
            { cidrBlock: v.cidrBlock, associationId: `vpc-cidr-assoc-${v.vpcId.slice(4)}`, cidrBlockState: { state: 'associated' } },
          ]),
          dhcpOptionsId: 'dopt-0default0000000',
          instanceTenancy: 'default',
          isDefault: v.isDefault,
          tagSet: tagSet(v.tags),
        })),
      ),
      nextToken: pg.nextToken,
    };
  },

  DescribeSubnets(req) {
    const p = req.params;
    const ids = p.list('SubnetId');
    let list = [...req.region.subnets.values()];
    for (const id of ids) {
      if (!req.region.subnets.has(id)) throw new Ec2Error('InvalidSubnetID.NotFound', `The subnet ID '${id}' does not exist`);
    }
    if (ids.length) list = list.filter((s) => ids.includes(s.subnetId));
    const zoneId = (az: string): string | undefined => req.region.availabilityZones.find((z) => z.zoneName === az)?.zoneId;
    list = applyFilters(
      list,
      p.filters(),
      {
        'subnet-id': (s) => s.subnetId,
        'vpc-id': (s) => s.vpcId,
        'availability-zone': (s) => s.availabilityZone,
        'availability-zone-id': (s) => zoneId(s.availabilityZone),
        'cidr-block': (s) => s.cidrBlock,
        cidrBlock: (s) => s.cidrBlock,
        cidr: (s) => s.cidrBlock,
        'default-for-az': () => false,
        state: () => 'available',
        'owner-id': () => req.state.accountId,
      },
      (s) => s.tags,
    );
    const pg = page(p, list);
    return {
      subnetSet: items(
        pg.page.map((s) => ({
          subnetId: s.subnetId,
          subnetArn: `arn:aws:ec2:${req.region.region}:${req.state.accountId}:subnet/${s.subnetId}`,
          state: 'available',
          ownerId: req.state.accountId,
          vpcId: s.vpcId,
          cidrBlock: s.cidrBlock,
          availableIpAddressCount: 250,
          availabilityZone: s.availabilityZone,
          availabilityZoneId: zoneId(s.availabilityZone),
          defaultForAz: false,
          mapPublicIpOnLaunch: false,
          assignIpv6AddressOnCreation: false,
          ipv6CidrBlockAssociationSet: items([]),
          tagSet: tagSet(s.tags),
        })),
      ),
      nextToken: pg.nextToken,
    };
  },
};

function clearAssociation(a: Address): void {
  delete a.associationId;
  delete a.networkInterfaceId;
  delete a.privateIpAddress;
}

export const EC2_ACTIONS = Object.keys(handlers);

/** Run one EC2 action; throws Ec2Error for API errors. */
export function runEc2Action(req: Ec2Request): XmlObject {
  const handler = handlers[req.action];
  if (!handler) throw new Ec2Error('InvalidAction', `The action ${req.action} is not valid for this web service.`);
  if (req.params.bool('DryRun')) {
    throw new Ec2Error('DryRunOperation', 'Request would have succeeded, but DryRun flag is set.', 412);
  }
  return handler(req);
}
