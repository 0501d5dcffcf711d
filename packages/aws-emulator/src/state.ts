import { awsId, hex, randomMac, upperAlnum } from './util.ts';

export const DEFAULT_ACCOUNT_ID = '123456789012';

export type Tags = Record<string, string>;

export interface AvailabilityZone {
  zoneName: string;
  zoneId: string;
  state: 'available' | 'information' | 'impaired' | 'unavailable';
}

export interface Vpc {
  vpcId: string;
  cidrBlock: string;
  isDefault: boolean;
  state: 'available' | 'pending';
  tags: Tags;
}

export interface Subnet {
  subnetId: string;
  vpcId: string;
  cidrBlock: string;
  availabilityZone: string;
  tags: Tags;
}

export interface Route {
  destinationCidrBlock?: string;
  destinationIpv6CidrBlock?: string;
  gatewayId?: string;
  natGatewayId?: string;
  networkInterfaceId?: string;
  /** Set when the route was created with an InstanceId target (resolved to its primary ENI as well). */
  instanceId?: string;
  vpcPeeringConnectionId?: string;
  transitGatewayId?: string;
  /** How the route came to be (AWS `Origin`): propagated routes (a virtual private gateway's) cannot be replaced or deleted. */
  origin: 'CreateRouteTable' | 'CreateRoute' | 'EnableVgwRoutePropagation';
}

export interface RouteTableAssociation {
  routeTableAssociationId: string;
  subnetId?: string;
  gatewayId?: string;
  main: boolean;
}

export interface RouteTable {
  routeTableId: string;
  vpcId: string;
  routes: Route[];
  associations: RouteTableAssociation[];
  /** Virtual private gateways propagating routes into the table (AWS `PropagatingVgws`). */
  propagatingVgws: string[];
  tags: Tags;
}

export interface NetworkInterfaceAttachment {
  attachmentId: string;
  instanceId: string;
  deviceIndex: number;
  status: 'attached' | 'attaching' | 'detaching' | 'detached';
  attachTime: Date;
  deleteOnTermination: boolean;
}

export interface NetworkInterface {
  networkInterfaceId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  macAddress: string;
  privateIpAddress: string;
  secondaryPrivateIpAddresses: string[];
  sourceDestCheck: boolean;
  description: string;
  status: 'available' | 'in-use';
  attachment?: NetworkInterfaceAttachment;
  tags: Tags;
}

export type InstanceStateName = 'pending' | 'running' | 'shutting-down' | 'terminated' | 'stopping' | 'stopped';

export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export interface Instance {
  instanceId: string;
  reservationId: string;
  subnetId: string;
  vpcId: string;
  availabilityZone: string;
  instanceType: string;
  imageId: string;
  state: InstanceStateName;
  launchTime: Date;
  /** IAM role served by IMDS (`iam/security-credentials/<role>`); null = no instance profile. */
  iamRole: string | null;
  tags: Tags;
}

export interface Address {
  allocationId: string;
  publicIp: string;
  domain: 'vpc';
  associationId?: string;
  networkInterfaceId?: string;
  privateIpAddress?: string;
  tags: Tags;
}

export interface Ec2Region {
  region: string;
  availabilityZones: AvailabilityZone[];
  vpcs: Map<string, Vpc>;
  subnets: Map<string, Subnet>;
  routeTables: Map<string, RouteTable>;
  networkInterfaces: Map<string, NetworkInterface>;
  instances: Map<string, Instance>;
  addresses: Map<string, Address>;
}

export interface ResourceRecordSet {
  name: string;
  type: string;
  ttl?: number;
  values: string[];
  setIdentifier?: string;
  weight?: number;
  region?: string;
  failover?: 'PRIMARY' | 'SECONDARY';
  multiValueAnswer?: boolean;
  healthCheckId?: string;
  aliasTarget?: { hostedZoneId: string; dnsName: string; evaluateTargetHealth: boolean };
}

export interface HostedZone {
  id: string;
  name: string;
  callerReference: string;
  comment?: string;
  privateZone: boolean;
  vpcs: { vpcRegion: string; vpcId: string }[];
  nameServers: string[];
  records: ResourceRecordSet[];
}

export interface Route53Change {
  id: string;
  status: 'PENDING' | 'INSYNC';
  submittedAt: Date;
  /** Epoch ms at which the change reports INSYNC. */
  insyncAt: number;
  comment?: string;
  hostedZoneId: string;
}

export interface ImdsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  token: string;
  expiration: Date;
  lastUpdated: Date;
}

/** The whole mutable world of the emulator. Tests may read (and carefully mutate) it directly. */
export class EmulatorState {
  readonly accountId: string;
  readonly regions = new Map<string, Ec2Region>();
  readonly hostedZones = new Map<string, HostedZone>();
  readonly changes = new Map<string, Route53Change>();
  /** Per-instance IMDS role credentials (keyed by instance id). */
  readonly roleCredentials = new Map<string, ImdsCredentials>();
  /** Access keys the emulator considers valid when `requireKnownAccessKey` is on. */
  readonly knownAccessKeys = new Set<string>();

  constructor(accountId = DEFAULT_ACCOUNT_ID) {
    this.accountId = accountId;
  }

  /** The region's EC2 state, created on first use with three default AZs. */
  ec2(region: string): Ec2Region {
    let r = this.regions.get(region);
    if (!r) {
      r = {
        region,
        availabilityZones: defaultAzs(region),
        vpcs: new Map(),
        subnets: new Map(),
        routeTables: new Map(),
        networkInterfaces: new Map(),
        instances: new Map(),
        addresses: new Map(),
      };
      this.regions.set(region, r);
    }
    return r;
  }

  /** Find an instance in any region. */
  findInstance(instanceId: string): { region: Ec2Region; instance: Instance } | undefined {
    for (const region of this.regions.values()) {
      const instance = region.instances.get(instanceId);
      if (instance) return { region, instance };
    }
    return undefined;
  }

  clear(): void {
    this.regions.clear();
    this.hostedZones.clear();
    this.changes.clear();
    this.roleCredentials.clear();
  }
}

const REGION_ABBREVIATIONS: Record<string, string> = {
  'us-east-1': 'use1',
  'us-east-2': 'use2',
  'us-west-1': 'usw1',
  'us-west-2': 'usw2',
  'eu-west-1': 'euw1',
  'eu-west-2': 'euw2',
  'eu-central-1': 'euc1',
  'ap-northeast-1': 'apne1',
  'ap-southeast-1': 'apse1',
};

export function zoneIdPrefix(region: string): string {
  return REGION_ABBREVIATIONS[region] ?? region.replace(/[^a-z0-9]/g, '').slice(0, 6);
}

export function defaultAzs(region: string): AvailabilityZone[] {
  return ['a', 'b', 'c'].map((suffix, i) => ({
    zoneName: `${region}${suffix}`,
    zoneId: `${zoneIdPrefix(region)}-az${i + 1}`,
    state: 'available' as const,
  }));
}

export function newHostedZoneId(): string {
  return `Z${upperAlnum(20)}`;
}

export function newChangeId(): string {
  return `C${upperAlnum(20)}`;
}

export function newAccessKeyId(prefix = 'ASIA'): string {
  return `${prefix}${upperAlnum(16)}`;
}

export function newSecret(): string {
  return Buffer.from(hex(40), 'hex').toString('base64');
}

export { awsId, randomMac };
