/** Ready-made seed documents: the manual's two-AZ VPC, and a two-region pair. IDs are fixed so docs and tests can name them. */
import type { SeedDocument } from './seed.ts';

export interface TwoAzLayoutOptions {
  region?: string;
  /** Overlay (virtual) IP routed to the active node; default 10.1.0.10. */
  overlayIp?: string;
  /** Give each node a second ENI in its AZ's public subnet (default false). */
  secondEni?: boolean;
  /** Associate the Elastic IP with node1 at start (default true). */
  eipAssociated?: boolean;
  /** Which node the overlay routes point at initially (default node1). */
  activeNode?: 'node1' | 'node2';
  /** Public zone name (default example.com) and private zone name (default internal.example.com). */
  publicZone?: string;
  privateZone?: string;
}

export interface TwoAzLayoutIds {
  region: string;
  availabilityZones: [string, string];
  vpcId: string;
  vpcCidr: string;
  subnets: { publicA: string; privateA: string; publicB: string; privateB: string };
  routeTables: { public: string; privateA: string; privateB: string };
  instances: { node1: string; node2: string };
  enis: { node1: string; node2: string; node1Secondary?: string; node2Secondary?: string };
  macs: { node1: string; node2: string };
  privateIps: { node1: string; node2: string };
  overlayIp: string;
  overlayCidr: string;
  allocationId: string;
  publicIp: string;
  hostedZones: { public: string; private: string };
  records: { public: string; private: string };
}

/**
 * The EC2 kit manual's layout: one VPC (10.0.0.0/16) over two AZs, a public and a private subnet per AZ,
 * node1 in private A (10.0.2.10) and node2 in private B (10.0.4.10), an overlay /32 routed to the active node
 * in both private route tables, an Elastic IP, and a public plus a private (VPC-associated) hosted zone.
 */
export function twoAzLayout(opts: TwoAzLayoutOptions = {}): { seed: SeedDocument; ids: TwoAzLayoutIds } {
  const region = opts.region ?? 'us-east-1';
  const overlayIp = opts.overlayIp ?? '10.1.0.10';
  const azA = `${region}a`;
  const azB = `${region}b`;
  const ids: TwoAzLayoutIds = {
    region,
    availabilityZones: [azA, azB],
    vpcId: 'vpc-0a1b2c3d4e5f60001',
    vpcCidr: '10.0.0.0/16',
    subnets: {
      publicA: 'subnet-0a1b2c3d4e5f60011',
      privateA: 'subnet-0a1b2c3d4e5f60012',
      publicB: 'subnet-0a1b2c3d4e5f60013',
      privateB: 'subnet-0a1b2c3d4e5f60014',
    },
    routeTables: { public: 'rtb-0a1b2c3d4e5f60021', privateA: 'rtb-0a1b2c3d4e5f60022', privateB: 'rtb-0a1b2c3d4e5f60023' },
    instances: { node1: 'i-0a1b2c3d4e5f60031', node2: 'i-0a1b2c3d4e5f60032' },
    enis: { node1: 'eni-0a1b2c3d4e5f60041', node2: 'eni-0a1b2c3d4e5f60042' },
    macs: { node1: '02:a1:b2:c3:d4:01', node2: '02:a1:b2:c3:d4:02' },
    privateIps: { node1: '10.0.2.10', node2: '10.0.4.10' },
    overlayIp,
    overlayCidr: `${overlayIp}/32`,
    allocationId: 'eipalloc-0a1b2c3d4e5f60051',
    publicIp: '203.0.113.10',
    hostedZones: { public: 'Z0A1B2C3D4E5F6000001', private: 'Z0A1B2C3D4E5F6000002' },
    records: {
      public: `app.${(opts.publicZone ?? 'example.com').replace(/\.$/, '')}.`,
      private: `db.${(opts.privateZone ?? 'internal.example.com').replace(/\.$/, '')}.`,
    },
  };
  if (opts.secondEni) {
    ids.enis.node1Secondary = 'eni-0a1b2c3d4e5f60043';
    ids.enis.node2Secondary = 'eni-0a1b2c3d4e5f60044';
  }
  const activeEni = opts.activeNode === 'node2' ? ids.enis.node2 : ids.enis.node1;
  const seed: SeedDocument = {
    regions: {
      [region]: {
        availabilityZones: [azA, azB, `${region}c`],
        vpcs: [{ vpcId: ids.vpcId, cidrBlock: ids.vpcCidr, tags: { Name: 'recovery-kit-vpc' } }],
        subnets: [
          { subnetId: ids.subnets.publicA, vpcId: ids.vpcId, cidrBlock: '10.0.1.0/24', availabilityZone: azA, tags: { Name: 'public-a' } },
          { subnetId: ids.subnets.privateA, vpcId: ids.vpcId, cidrBlock: '10.0.2.0/24', availabilityZone: azA, tags: { Name: 'private-a' } },
          { subnetId: ids.subnets.publicB, vpcId: ids.vpcId, cidrBlock: '10.0.3.0/24', availabilityZone: azB, tags: { Name: 'public-b' } },
          { subnetId: ids.subnets.privateB, vpcId: ids.vpcId, cidrBlock: '10.0.4.0/24', availabilityZone: azB, tags: { Name: 'private-b' } },
        ],
        instances: [
          {
            instanceId: ids.instances.node1,
            subnetId: ids.subnets.privateA,
            privateIpAddress: ids.privateIps.node1,
            networkInterfaceId: ids.enis.node1,
            macAddress: ids.macs.node1,
            tags: { Name: 'node1' },
          },
          {
            instanceId: ids.instances.node2,
            subnetId: ids.subnets.privateB,
            privateIpAddress: ids.privateIps.node2,
            networkInterfaceId: ids.enis.node2,
            macAddress: ids.macs.node2,
            tags: { Name: 'node2' },
          },
        ],
        networkInterfaces: opts.secondEni
          ? [
              {
                networkInterfaceId: ids.enis.node1Secondary ?? '',
                subnetId: ids.subnets.publicA,
                privateIpAddress: '10.0.1.10',
                macAddress: '02:a1:b2:c3:d4:11',
                instanceId: ids.instances.node1,
                deviceIndex: 1,
              },
              {
                networkInterfaceId: ids.enis.node2Secondary ?? '',
                subnetId: ids.subnets.publicB,
                privateIpAddress: '10.0.3.10',
                macAddress: '02:a1:b2:c3:d4:12',
                instanceId: ids.instances.node2,
                deviceIndex: 1,
              },
            ]
          : [],
        routeTables: [
          {
            routeTableId: ids.routeTables.public,
            vpcId: ids.vpcId,
            subnetIds: [ids.subnets.publicA, ids.subnets.publicB],
            routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-0a1b2c3d4e5f60061' }],
            tags: { Name: 'public' },
          },
          {
            routeTableId: ids.routeTables.privateA,
            vpcId: ids.vpcId,
            main: true,
            subnetIds: [ids.subnets.privateA],
            routes: [
              { destinationCidrBlock: ids.overlayCidr, networkInterfaceId: activeEni },
              { destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0a1b2c3d4e5f60071' },
            ],
            tags: { Name: 'private-a' },
          },
          {
            routeTableId: ids.routeTables.privateB,
            vpcId: ids.vpcId,
            subnetIds: [ids.subnets.privateB],
            routes: [
              { destinationCidrBlock: ids.overlayCidr, networkInterfaceId: activeEni },
              { destinationCidrBlock: '0.0.0.0/0', natGatewayId: 'nat-0a1b2c3d4e5f60072' },
            ],
            tags: { Name: 'private-b' },
          },
        ],
        addresses: [
          {
            allocationId: ids.allocationId,
            publicIp: ids.publicIp,
            ...(opts.eipAssociated === false ? {} : { networkInterfaceId: ids.enis.node1 }),
          },
        ],
      },
    },
    hostedZones: [
      {
        id: ids.hostedZones.public,
        name: opts.publicZone ?? 'example.com',
        records: [{ name: ids.records.public, type: 'A', ttl: 60, values: [ids.publicIp] }],
      },
      {
        id: ids.hostedZones.private,
        name: opts.privateZone ?? 'internal.example.com',
        privateZone: true,
        vpcs: [{ vpcRegion: region, vpcId: ids.vpcId }],
        records: [{ name: ids.records.private, type: 'A', ttl: 10, values: [overlayIp] }],
      },
    ],
  };
  return { seed, ids };
}

export interface TwoRegionLayoutOptions {
  regions?: [string, string];
  zoneName?: string;
}

export interface TwoRegionSide {
  region: string;
  availabilityZone: string;
  vpcId: string;
  vpcCidr: string;
  subnetId: string;
  routeTableId: string;
  instanceId: string;
  eniId: string;
  mac: string;
  privateIp: string;
  allocationId: string;
  publicIp: string;
}

export interface TwoRegionLayoutIds {
  primary: TwoRegionSide;
  secondary: TwoRegionSide;
  hostedZoneId: string;
  zoneName: string;
  /** A record pointing at the primary node's public IP. */
  recordName: string;
}

/** Two regions with one VPC, subnet, node and Elastic IP each, and a public zone whose A record points at the primary. */
export function twoRegionLayout(opts: TwoRegionLayoutOptions = {}): { seed: SeedDocument; ids: TwoRegionLayoutIds } {
  const [r1, r2] = opts.regions ?? ['us-east-1', 'us-west-2'];
  const zoneName = (opts.zoneName ?? 'example.com').replace(/\.$/, '');
  const side = (region: string, n: 1 | 2): TwoRegionSide => ({
    region,
    availabilityZone: `${region}a`,
    vpcId: `vpc-0b1b2c3d4e5f6000${n}`,
    vpcCidr: `10.${n * 10}.0.0/16`,
    subnetId: `subnet-0b1b2c3d4e5f6001${n}`,
    routeTableId: `rtb-0b1b2c3d4e5f6002${n}`,
    instanceId: `i-0b1b2c3d4e5f6003${n}`,
    eniId: `eni-0b1b2c3d4e5f6004${n}`,
    mac: `02:b1:b2:c3:d4:0${n}`,
    privateIp: `10.${n * 10}.1.10`,
    allocationId: `eipalloc-0b1b2c3d4e5f6005${n}`,
    publicIp: `198.51.100.${n * 10}`,
  });
  const primary = side(r1, 1);
  const secondary = side(r2, 2);
  const regionSeed = (s: TwoRegionSide) => ({
    vpcs: [{ vpcId: s.vpcId, cidrBlock: s.vpcCidr }],
    subnets: [{ subnetId: s.subnetId, vpcId: s.vpcId, cidrBlock: s.vpcCidr.replace('.0.0/16', '.1.0/24'), availabilityZone: s.availabilityZone }],
    instances: [
      {
        instanceId: s.instanceId,
        subnetId: s.subnetId,
        privateIpAddress: s.privateIp,
        networkInterfaceId: s.eniId,
        macAddress: s.mac,
        tags: { Name: `node-${s.region}` },
      },
    ],
    routeTables: [
      {
        routeTableId: s.routeTableId,
        vpcId: s.vpcId,
        main: true,
        subnetIds: [s.subnetId],
        routes: [{ destinationCidrBlock: '0.0.0.0/0', gatewayId: `igw-0b1b2c3d4e5f6006${s === primary ? 1 : 2}` }],
      },
    ],
    addresses: [{ allocationId: s.allocationId, publicIp: s.publicIp, networkInterfaceId: s.eniId }],
  });
  const ids: TwoRegionLayoutIds = {
    primary,
    secondary,
    hostedZoneId: 'Z0B1B2C3D4E5F6000001',
    zoneName: `${zoneName}.`,
    recordName: `app.${zoneName}.`,
  };
  const seed: SeedDocument = {
    regions: { [r1]: regionSeed(primary), [r2]: regionSeed(secondary) },
    hostedZones: [{ id: ids.hostedZoneId, name: zoneName, records: [{ name: ids.recordName, type: 'A', ttl: 60, values: [primary.publicIp] }] }],
  };
  return { seed, ids };
}
