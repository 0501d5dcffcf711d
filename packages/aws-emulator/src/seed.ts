import {
  type Address,
  type AvailabilityZone,
  type EmulatorState,
  type HostedZone,
  type Instance,
  type InstanceStateName,
  type NetworkInterface,
  type ResourceRecordSet,
  type Route,
  type RouteTable,
  type Tags,
  awsId,
  newHostedZoneId,
  randomMac,
  zoneIdPrefix,
} from './state.ts';
import { ipv4InCidr, parseIpv4 } from './util.ts';

// ------------------------------------------------------------------ seed document (JSON-able)

export interface AvailabilityZoneSeed {
  zoneName: string;
  zoneId?: string;
  state?: AvailabilityZone['state'];
}

export interface VpcSeed {
  vpcId?: string;
  cidrBlock: string;
  isDefault?: boolean;
  tags?: Tags;
}

export interface SubnetSeed {
  subnetId?: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  tags?: Tags;
}

/**
 * A route as seeded: everything a route has; its origin defaults to CreateRoute (a static route).
 * `origin: 'EnableVgwRoutePropagation'` seeds a route a virtual private gateway propagates: its
 * target must be `gatewayId` vgw-..., one of the table's `propagatingVgws`; a static route for
 * the same destination may sit beside it (AWS prefers the static one).
 */
export type RouteSeed = Omit<Route, 'origin'> & { origin?: 'CreateRoute' | 'EnableVgwRoutePropagation' };

export interface RouteTableSeed {
  routeTableId?: string;
  vpcId: string;
  /** Whether this is the VPC's main route table. */
  main?: boolean;
  /** Subnets explicitly associated with the table. */
  subnetIds?: string[];
  /** Routes besides the implicit `local` route for the VPC CIDR. */
  routes?: RouteSeed[];
  /** Virtual private gateways with route propagation enabled on the table (`PropagatingVgws`). */
  propagatingVgws?: string[];
  tags?: Tags;
}

export interface NetworkInterfaceSeed {
  networkInterfaceId?: string;
  subnetId: string;
  privateIpAddress: string;
  secondaryPrivateIpAddresses?: string[];
  macAddress?: string;
  sourceDestCheck?: boolean;
  description?: string;
  /** Attach to this instance (device index defaults to the next free one). */
  instanceId?: string;
  deviceIndex?: number;
  tags?: Tags;
}

export interface InstanceSeed {
  instanceId?: string;
  subnetId: string;
  /** Primary private IP of the primary ENI (device 0), created with the instance. */
  privateIpAddress: string;
  /** Id / MAC of the primary ENI (generated if omitted). */
  networkInterfaceId?: string;
  macAddress?: string;
  secondaryPrivateIpAddresses?: string[];
  sourceDestCheck?: boolean;
  instanceType?: string;
  imageId?: string;
  state?: InstanceStateName;
  /** IMDS role name; `null` for an instance without instance profile. Default `recovery-kit-node`. */
  iamRole?: string | null;
  tags?: Tags;
}

export interface AddressSeed {
  allocationId?: string;
  publicIp: string;
  /** Associate with this ENI (and optionally private IP), or with the instance's primary ENI. */
  networkInterfaceId?: string;
  instanceId?: string;
  privateIpAddress?: string;
  associationId?: string;
  tags?: Tags;
}

export interface Ec2RegionSeed {
  availabilityZones?: (string | AvailabilityZoneSeed)[];
  vpcs?: VpcSeed[];
  subnets?: SubnetSeed[];
  routeTables?: RouteTableSeed[];
  instances?: InstanceSeed[];
  networkInterfaces?: NetworkInterfaceSeed[];
  addresses?: AddressSeed[];
}

export interface RecordSeed {
  name: string;
  type: string;
  ttl?: number;
  values?: string[];
  setIdentifier?: string;
  weight?: number;
  region?: string;
  failover?: 'PRIMARY' | 'SECONDARY';
  aliasTarget?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth?: boolean };
}

export interface HostedZoneSeed {
  id?: string;
  name: string;
  comment?: string;
  privateZone?: boolean;
  /** VPC associations of a private zone. */
  vpcs?: { vpcRegion: string; vpcId: string }[];
  /** Records besides the SOA and NS records that every zone gets. */
  records?: RecordSeed[];
}

export interface SeedDocument {
  /** EC2 state per region. */
  regions?: Record<string, Ec2RegionSeed>;
  hostedZones?: HostedZoneSeed[];
  /** Access keys accepted when `requireKnownAccessKey` is on. */
  accessKeys?: string[];
}

export class SeedError extends Error {
  override name = 'SeedError';
}

const DEFAULT_ROLE = 'recovery-kit-node';

// ------------------------------------------------------------------ apply

/** Merge a seed document into the state. Entities with an existing id are replaced. Returns new instance ids. */
export function applySeed(state: EmulatorState, doc: SeedDocument): { instanceIds: string[] } {
  const instanceIds: string[] = [];
  for (const key of doc.accessKeys ?? []) state.knownAccessKeys.add(key);
  for (const [regionName, seed] of Object.entries(doc.regions ?? {})) {
    const region = state.ec2(regionName);
    if (seed.availabilityZones) {
      region.availabilityZones = seed.availabilityZones.map((z, i) => {
        const s = typeof z === 'string' ? { zoneName: z } : z;
        return { zoneName: s.zoneName, zoneId: s.zoneId ?? `${zoneIdPrefix(regionName)}-az${i + 1}`, state: s.state ?? 'available' };
      });
    }
    for (const v of seed.vpcs ?? []) {
      const vpcId = v.vpcId ?? awsId('vpc');
      region.vpcs.set(vpcId, { vpcId, cidrBlock: v.cidrBlock, isDefault: v.isDefault ?? false, state: 'available', tags: { ...v.tags } });
    }
    for (const s of seed.subnets ?? []) {
      const vpc = region.vpcs.get(s.vpcId);
      if (!vpc) throw new SeedError(`subnet ${s.subnetId ?? s.cidrBlock}: unknown VPC ${s.vpcId} in ${regionName}`);
      if (!region.availabilityZones.some((z) => z.zoneName === s.availabilityZone)) {
        throw new SeedError(`subnet ${s.subnetId ?? s.cidrBlock}: unknown availability zone ${s.availabilityZone} in ${regionName}`);
      }
      const subnetId = s.subnetId ?? awsId('subnet');
      region.subnets.set(subnetId, { subnetId, vpcId: s.vpcId, cidrBlock: s.cidrBlock, availabilityZone: s.availabilityZone, tags: { ...s.tags } });
    }
    for (const i of seed.instances ?? []) {
      const subnet = region.subnets.get(i.subnetId);
      if (!subnet) throw new SeedError(`instance ${i.instanceId ?? i.privateIpAddress}: unknown subnet ${i.subnetId} in ${regionName}`);
      checkIpInSubnet(i.privateIpAddress, subnet.cidrBlock, `instance ${i.instanceId ?? ''}`);
      const instanceId = i.instanceId ?? awsId('i');
      const instance: Instance = {
        instanceId,
        reservationId: awsId('r'),
        subnetId: subnet.subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        instanceType: i.instanceType ?? 't3.micro',
        imageId: i.imageId ?? 'ami-0abcdef1234567890',
        state: i.state ?? 'running',
        launchTime: new Date(),
        iamRole: i.iamRole === undefined ? DEFAULT_ROLE : i.iamRole,
        tags: { ...i.tags },
      };
      region.instances.set(instanceId, instance);
      instanceIds.push(instanceId);
      // Primary ENI (device 0): drop any previous primary ENI of a re-seeded instance.
      for (const [id, eni] of region.networkInterfaces) {
        if (eni.attachment?.instanceId === instanceId && eni.attachment.deviceIndex === 0) region.networkInterfaces.delete(id);
      }
      const eniId = i.networkInterfaceId ?? awsId('eni');
      region.networkInterfaces.set(eniId, {
        networkInterfaceId: eniId,
        subnetId: subnet.subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        macAddress: i.macAddress ?? randomMac(),
        privateIpAddress: i.privateIpAddress,
        secondaryPrivateIpAddresses: [...(i.secondaryPrivateIpAddresses ?? [])],
        sourceDestCheck: i.sourceDestCheck ?? true,
        description: 'Primary network interface',
        status: 'in-use',
        attachment: {
          attachmentId: awsId('eni-attach'),
          instanceId,
          deviceIndex: 0,
          status: 'attached',
          attachTime: new Date(),
          deleteOnTermination: true,
        },
        tags: {},
      });
    }
    for (const n of seed.networkInterfaces ?? []) {
      const subnet = region.subnets.get(n.subnetId);
      if (!subnet) throw new SeedError(`network interface ${n.networkInterfaceId ?? n.privateIpAddress}: unknown subnet ${n.subnetId}`);
      checkIpInSubnet(n.privateIpAddress, subnet.cidrBlock, `network interface ${n.networkInterfaceId ?? ''}`);
      const eniId = n.networkInterfaceId ?? awsId('eni');
      const eni: NetworkInterface = {
        networkInterfaceId: eniId,
        subnetId: subnet.subnetId,
        vpcId: subnet.vpcId,
        availabilityZone: subnet.availabilityZone,
        macAddress: n.macAddress ?? randomMac(),
        privateIpAddress: n.privateIpAddress,
        secondaryPrivateIpAddresses: [...(n.secondaryPrivateIpAddresses ?? [])],
        sourceDestCheck: n.sourceDestCheck ?? true,
        description: n.description ?? '',
        status: 'available',
        tags: { ...n.tags },
      };
      if (n.instanceId) {
        const instance = region.instances.get(n.instanceId);
        if (!instance) throw new SeedError(`network interface ${eniId}: unknown instance ${n.instanceId}`);
        if (instance.availabilityZone !== subnet.availabilityZone) {
          throw new SeedError(`network interface ${eniId}: subnet ${subnet.subnetId} is not in the AZ of ${n.instanceId}`);
        }
        const used = [...region.networkInterfaces.values()]
          .filter((e) => e.attachment?.instanceId === n.instanceId && e.networkInterfaceId !== eniId)
          .map((e) => e.attachment?.deviceIndex ?? 0);
        const deviceIndex = n.deviceIndex ?? (used.length ? Math.max(...used) + 1 : 0);
        if (used.includes(deviceIndex)) throw new SeedError(`network interface ${eniId}: device index ${deviceIndex} of ${n.instanceId} is taken`);
        eni.status = 'in-use';
        eni.attachment = {
          attachmentId: awsId('eni-attach'),
          instanceId: n.instanceId,
          deviceIndex,
          status: 'attached',
          attachTime: new Date(),
          deleteOnTermination: false,
        };
      }
      region.networkInterfaces.set(eniId, eni);
    }
    for (const t of seed.routeTables ?? []) {
      const vpc = region.vpcs.get(t.vpcId);
      if (!vpc) throw new SeedError(`route table ${t.routeTableId ?? ''}: unknown VPC ${t.vpcId}`);
      const routeTableId = t.routeTableId ?? awsId('rtb');
      const table: RouteTable = {
        routeTableId,
        vpcId: t.vpcId,
        routes: [{ destinationCidrBlock: vpc.cidrBlock, gatewayId: 'local', origin: 'CreateRouteTable' }],
        associations: [],
        propagatingVgws: [...(t.propagatingVgws ?? [])],
        tags: { ...t.tags },
      };
      for (const v of table.propagatingVgws) if (!/^vgw-[0-9a-zA-Z]+$/.test(v)) throw new SeedError(`route table ${routeTableId}: ${v} is not a vgw- id`);
      if (t.main) {
        for (const other of region.routeTables.values()) {
          if (other.vpcId === t.vpcId) other.associations = other.associations.filter((a) => !a.main);
        }
        table.associations.push({ routeTableAssociationId: awsId('rtbassoc'), main: true });
      }
      for (const subnetId of t.subnetIds ?? []) {
        const subnet = region.subnets.get(subnetId);
        if (!subnet || subnet.vpcId !== t.vpcId) throw new SeedError(`route table ${routeTableId}: subnet ${subnetId} is not in ${t.vpcId}`);
        for (const other of region.routeTables.values()) {
          other.associations = other.associations.filter((a) => a.subnetId !== subnetId);
        }
        table.associations.push({ routeTableAssociationId: awsId('rtbassoc'), subnetId, main: false });
      }
      for (const r of t.routes ?? []) {
        const route: Route = { ...r, origin: r.origin ?? 'CreateRoute' };
        const dest = route.destinationCidrBlock ?? route.destinationIpv6CidrBlock;
        if (route.origin === 'EnableVgwRoutePropagation') {
          if (!route.gatewayId || !table.propagatingVgws.includes(route.gatewayId))
            throw new SeedError(`route table ${routeTableId}: propagated route ${dest} must have a gatewayId listed in propagatingVgws`);
        }
        const sameKind = (x: Route) =>
          (x.destinationCidrBlock ?? x.destinationIpv6CidrBlock) === dest &&
          (x.origin === 'EnableVgwRoutePropagation') === (route.origin === 'EnableVgwRoutePropagation');
        if (table.routes.some(sameKind))
          throw new SeedError(`route table ${routeTableId}: two ${route.origin === 'EnableVgwRoutePropagation' ? 'propagated' : 'static'} routes for ${dest}`);
        if (route.instanceId && !route.networkInterfaceId) {
          const primary = [...region.networkInterfaces.values()].find((e) => e.attachment?.instanceId === route.instanceId && e.attachment?.deviceIndex === 0);
          if (primary) route.networkInterfaceId = primary.networkInterfaceId;
        }
        table.routes.push(route);
      }
      region.routeTables.set(routeTableId, table);
    }
    for (const a of seed.addresses ?? []) {
      if (parseIpv4(a.publicIp) === undefined) throw new SeedError(`address ${a.publicIp}: not an IPv4 address`);
      const allocationId = a.allocationId ?? awsId('eipalloc');
      const address: Address = { allocationId, publicIp: a.publicIp, domain: 'vpc', tags: { ...a.tags } };
      let eni: NetworkInterface | undefined;
      if (a.networkInterfaceId) {
        eni = region.networkInterfaces.get(a.networkInterfaceId);
        if (!eni) throw new SeedError(`address ${a.publicIp}: unknown network interface ${a.networkInterfaceId}`);
      } else if (a.instanceId) {
        eni = [...region.networkInterfaces.values()].find((e) => e.attachment?.instanceId === a.instanceId && e.attachment?.deviceIndex === 0);
        if (!eni) throw new SeedError(`address ${a.publicIp}: unknown instance ${a.instanceId}`);
      }
      if (eni) {
        address.networkInterfaceId = eni.networkInterfaceId;
        address.privateIpAddress = a.privateIpAddress ?? eni.privateIpAddress;
        address.associationId = a.associationId ?? awsId('eipassoc');
      }
      region.addresses.set(allocationId, address);
    }
  }
  for (const z of doc.hostedZones ?? []) {
    const zone = makeHostedZone(z);
    state.hostedZones.set(zone.id, zone);
  }
  return { instanceIds };
}

function checkIpInSubnet(ip: string, cidr: string, what: string): void {
  if (!ipv4InCidr(ip, cidr)) throw new SeedError(`${what}: ${ip} is not in subnet CIDR ${cidr}`);
}

export function normalizeDnsName(name: string): string {
  let n = name.trim().toLowerCase();
  if (!n.endsWith('.')) n += '.';
  return n;
}

export function makeHostedZone(z: HostedZoneSeed): HostedZone {
  const id = (z.id ?? newHostedZoneId()).replace(/^\/hostedzone\//, '');
  const name = normalizeDnsName(z.name);
  const privateZone = z.privateZone ?? false;
  const nameServers = privateZone
    ? ['ns-0.awsdns-00.com.', 'ns-512.awsdns-00.net.', 'ns-1024.awsdns-00.org.', 'ns-1536.awsdns-00.co.uk.']
    : ['ns-101.awsdns-12.com.', 'ns-702.awsdns-22.net.', 'ns-1303.awsdns-34.org.', 'ns-1904.awsdns-47.co.uk.'];
  const records: ResourceRecordSet[] = [
    { name, type: 'NS', ttl: 172800, values: nameServers },
    { name, type: 'SOA', ttl: 900, values: [`${nameServers[0]} awsdns-hostmaster.amazon.com. 1 7200 900 1209600 86400`] },
  ];
  for (const r of z.records ?? []) {
    const rec: ResourceRecordSet = {
      name: normalizeDnsName(r.name),
      type: r.type.toUpperCase(),
      values: [...(r.values ?? [])],
    };
    if (r.ttl !== undefined) rec.ttl = r.ttl;
    else if (!r.aliasTarget) rec.ttl = 300;
    if (r.setIdentifier !== undefined) rec.setIdentifier = r.setIdentifier;
    if (r.weight !== undefined) rec.weight = r.weight;
    if (r.region !== undefined) rec.region = r.region;
    if (r.failover !== undefined) rec.failover = r.failover;
    if (r.aliasTarget) {
      rec.aliasTarget = {
        hostedZoneId: r.aliasTarget.hostedZoneId,
        dnsName: normalizeDnsName(r.aliasTarget.dnsName),
        evaluateTargetHealth: r.aliasTarget.evaluateTargetHealth ?? false,
      };
    }
    const existing = records.findIndex((x) => x.name === rec.name && x.type === rec.type && x.setIdentifier === rec.setIdentifier);
    if (existing >= 0) records[existing] = rec;
    else records.push(rec);
  }
  const zone: HostedZone = {
    id,
    name,
    callerReference: `seed-${id}`,
    privateZone,
    vpcs: privateZone ? [...(z.vpcs ?? [])] : [],
    nameServers,
    records,
  };
  if (z.comment !== undefined) zone.comment = z.comment;
  return zone;
}

// ------------------------------------------------------------------ dump

function mapValues<T>(m: Map<string, T>): T[] {
  return [...m.values()];
}

/** JSON-friendly snapshot of the whole state. */
export function dumpState(state: EmulatorState): unknown {
  const regions: Record<string, unknown> = {};
  for (const [name, r] of state.regions) {
    regions[name] = {
      availabilityZones: r.availabilityZones,
      vpcs: mapValues(r.vpcs),
      subnets: mapValues(r.subnets),
      routeTables: mapValues(r.routeTables),
      networkInterfaces: mapValues(r.networkInterfaces),
      instances: mapValues(r.instances),
      addresses: mapValues(r.addresses),
    };
  }
  const now = Date.now();
  return {
    accountId: state.accountId,
    regions,
    hostedZones: mapValues(state.hostedZones),
    changes: mapValues(state.changes).map((c) => ({ ...c, status: now >= c.insyncAt ? 'INSYNC' : 'PENDING' })),
  };
}
