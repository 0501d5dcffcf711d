import {
  AssignPrivateIpAddressesCommand,
  AssociateAddressCommand,
  CreateRouteCommand,
  DeleteRouteCommand,
  DescribeAddressesCommand,
  DescribeAvailabilityZonesCommand,
  DescribeInstancesCommand,
  DescribeNetworkInterfaceAttributeCommand,
  DescribeNetworkInterfacesCommand,
  DescribeRouteTablesCommand,
  DescribeSubnetsCommand,
  DescribeVpcsCommand,
  DisassociateAddressCommand,
  type EC2Client,
  ModifyInstanceAttributeCommand,
  ModifyNetworkInterfaceAttributeCommand,
  ReplaceRouteCommand,
  UnassignPrivateIpAddressesCommand,
} from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type TwoAzLayoutIds, startEmulator, twoAzLayout } from '../src/index.ts';
import { ec2 } from './helpers.ts';

let emu: Emulator;
let client: EC2Client;
let ids: TwoAzLayoutIds;

beforeAll(async () => {
  emu = await startEmulator();
  client = ec2(emu);
});
afterAll(async () => {
  client.destroy();
  await emu.stop();
});
beforeEach(async () => {
  emu.reset();
  const layout = twoAzLayout({ secondEni: false });
  ids = layout.ids;
  await emu.seed(layout.seed);
});

async function expectAwsError(p: Promise<unknown>, name: string, status?: number): Promise<any> {
  const err: any = await p.then(
    () => {
      throw new Error(`expected ${name}, got success`);
    },
    (e: unknown) => e,
  );
  expect(err.name).toBe(name);
  if (status !== undefined) expect(err.$metadata?.httpStatusCode).toBe(status);
  return err;
}

function overlayTarget(rt: any, cidr: string): any {
  return rt.Routes.find((r: any) => r.DestinationCidrBlock === cidr);
}

describe('route tables', () => {
  it('describes by id and by filters', async () => {
    const byId = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA, ids.routeTables.privateB] }));
    expect(byId.RouteTables?.map((t) => t.RouteTableId).sort()).toEqual([ids.routeTables.privateA, ids.routeTables.privateB]);
    const local = byId.RouteTables?.[0]?.Routes?.find((r) => r.GatewayId === 'local');
    expect(local).toMatchObject({ DestinationCidrBlock: '10.0.0.0/16', Origin: 'CreateRouteTable', State: 'active' });

    const byVpc = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [ids.vpcId] }] }));
    expect(byVpc.RouteTables).toHaveLength(3);

    const byDest = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.destination-cidr-block', Values: [ids.overlayCidr] }] }));
    expect(byDest.RouteTables?.map((t) => t.RouteTableId).sort()).toEqual([ids.routeTables.privateA, ids.routeTables.privateB]);

    const bySubnet = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'association.subnet-id', Values: [ids.subnets.privateB] }] }));
    expect(bySubnet.RouteTables?.map((t) => t.RouteTableId)).toEqual([ids.routeTables.privateB]);
    expect(bySubnet.RouteTables?.[0]?.Associations?.[0]).toMatchObject({ SubnetId: ids.subnets.privateB, Main: false });

    const byIdFilter = await client.send(
      new DescribeRouteTablesCommand({
        Filters: [
          { Name: 'route-table-id', Values: ['rtb-*21', ids.routeTables.privateA] },
          { Name: 'tag:Name', Values: ['public'] },
        ],
      }),
    );
    expect(byIdFilter.RouteTables?.map((t) => t.RouteTableId)).toEqual([ids.routeTables.public]);

    const overlay = overlayTarget(byId.RouteTables?.[0], ids.overlayCidr);
    expect(overlay).toMatchObject({ NetworkInterfaceId: ids.enis.node1, InstanceId: ids.instances.node1, State: 'active', Origin: 'CreateRoute' });
  });

  it('reports unknown and malformed route table ids and filters', async () => {
    const err = await expectAwsError(
      client.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0000000000000dead'] })),
      'InvalidRouteTableID.NotFound',
      400,
    );
    expect(err.message).toContain('rtb-0000000000000dead');
    await expectAwsError(client.send(new DescribeRouteTablesCommand({ RouteTableIds: ['bogus'] })), 'InvalidRouteTableID.Malformed', 400);
    await expectAwsError(client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'no-such-filter', Values: ['x'] }] })), 'InvalidParameterValue', 400);
  });

  it('replaces the overlay route to the other node (ENI target)', async () => {
    await client.send(
      new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: ids.overlayCidr, NetworkInterfaceId: ids.enis.node2 }),
    );
    const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA] }));
    expect(overlayTarget(out.RouteTables?.[0], ids.overlayCidr)).toMatchObject({
      NetworkInterfaceId: ids.enis.node2,
      InstanceId: ids.instances.node2,
    });
    // The other table is untouched.
    const other = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateB] }));
    expect(overlayTarget(other.RouteTables?.[0], ids.overlayCidr).NetworkInterfaceId).toBe(ids.enis.node1);
  });

  it('replace/create with an InstanceId target resolves the primary ENI', async () => {
    await client.send(
      new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateB, DestinationCidrBlock: ids.overlayCidr, InstanceId: ids.instances.node2 }),
    );
    const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateB] }));
    expect(overlayTarget(out.RouteTables?.[0], ids.overlayCidr)).toMatchObject({ InstanceId: ids.instances.node2, NetworkInterfaceId: ids.enis.node2 });
  });

  it('creates and deletes routes, IPv4 and IPv6, with AWS errors', async () => {
    await client.send(
      new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.20/32', NetworkInterfaceId: ids.enis.node1 }),
    );
    await client.send(new CreateRouteCommand({ RouteTableId: ids.routeTables.public, DestinationIpv6CidrBlock: '::/0', GatewayId: 'igw-0a1b2c3d4e5f60061' }));
    const err = await expectAwsError(
      client.send(new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.20/32', NetworkInterfaceId: ids.enis.node2 })),
      'RouteAlreadyExists',
      400,
    );
    expect(err.message).toContain('10.1.0.20/32');
    await expectAwsError(
      client.send(new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.30/24', NetworkInterfaceId: ids.enis.node2 })),
      'InvalidParameterValue',
    );
    await expectAwsError(
      client.send(new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.30/32' })),
      'MissingParameter',
    );
    await expectAwsError(
      client.send(new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, NetworkInterfaceId: ids.enis.node2 })),
      'MissingParameter',
    );
    await expectAwsError(
      client.send(
        new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.30/32', NetworkInterfaceId: 'eni-00000000000000bad' }),
      ),
      'InvalidNetworkInterfaceID.NotFound',
    );
    await expectAwsError(
      client.send(new CreateRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.30/32', InstanceId: 'i-00000000000000bad' })),
      'InvalidInstanceID.NotFound',
    );
    await expectAwsError(
      client.send(new CreateRouteCommand({ RouteTableId: 'rtb-00000000000000bad', DestinationCidrBlock: '10.1.0.30/32', NetworkInterfaceId: ids.enis.node1 })),
      'InvalidRouteTableID.NotFound',
    );

    await client.send(new DeleteRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.20/32' }));
    await client.send(new DeleteRouteCommand({ RouteTableId: ids.routeTables.public, DestinationIpv6CidrBlock: '::/0' }));
    await expectAwsError(
      client.send(new DeleteRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.20/32' })),
      'InvalidRoute.NotFound',
    );
    await expectAwsError(
      client.send(
        new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.1.0.99/32', NetworkInterfaceId: ids.enis.node1 }),
      ),
      'InvalidRoute.NotFound',
    );
    await expectAwsError(
      client.send(new DeleteRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: '10.0.0.0/16' })),
      'InvalidParameterValue',
    );
    const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA] }));
    expect(out.RouteTables?.[0]?.Routes?.map((r) => r.DestinationCidrBlock)).toEqual(['10.0.0.0/16', ids.overlayCidr, '0.0.0.0/0']);
  });

  it('rejects an InstanceId target when the instance has several ENIs', async () => {
    emu.reset();
    const layout = twoAzLayout({ secondEni: true });
    await emu.seed(layout.seed);
    await expectAwsError(
      client.send(new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: ids.overlayCidr, InstanceId: ids.instances.node2 })),
      'InvalidInstanceID',
    );
  });

  it('shows a blackhole route when the target instance is stopped', async () => {
    const found = emu.state.findInstance(ids.instances.node1);
    if (found) found.instance.state = 'stopped';
    const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA] }));
    expect(overlayTarget(out.RouteTables?.[0], ids.overlayCidr).State).toBe('blackhole');
  });
});

describe('routes a virtual private gateway propagates', () => {
  const vgw = 'vgw-0a1b2c3d4e5f60081';
  const rtb = 'rtb-0a1b2c3d4e5f60029';
  const seedVgwTable = (routes: any[], propagatingVgws: string[] = [vgw]) =>
    emu.seed({ regions: { 'us-east-1': { routeTables: [{ routeTableId: rtb, vpcId: ids.vpcId, propagatingVgws, routes }] } } });

  it('shows Origin=EnableVgwRoutePropagation and PropagatingVgws; ReplaceRoute and DeleteRoute cannot touch the propagated route, CreateRoute adds a static one beside it', async () => {
    await seedVgwTable([{ destinationCidrBlock: '172.16.0.0/16', gatewayId: vgw, origin: 'EnableVgwRoutePropagation' }]);
    const read = async () => (await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [rtb] }))).RouteTables![0]!;
    const t = await read();
    expect(t.PropagatingVgws).toEqual([{ GatewayId: vgw }]);
    expect(t.Routes?.find((r) => r.DestinationCidrBlock === '172.16.0.0/16')).toMatchObject({
      GatewayId: vgw,
      Origin: 'EnableVgwRoutePropagation',
      State: 'active',
    });
    const eni = ids.enis.node1;
    const replace = await expectAwsError(
      client.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eni })),
      'InvalidRoute.NotFound',
    );
    expect(replace.message).toMatch(/propagated by vgw-0a1b2c3d4e5f60081 and cannot be replaced/);
    await expectAwsError(client.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16' })), 'InvalidRoute.NotFound');
    await client.send(new CreateRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: eni }));
    const both = (await read()).Routes!.filter((r) => r.DestinationCidrBlock === '172.16.0.0/16');
    expect(both.map((r) => [r.Origin, r.GatewayId ?? r.NetworkInterfaceId]).sort()).toEqual([
      ['CreateRoute', eni],
      ['EnableVgwRoutePropagation', vgw],
    ]);
    // Now ReplaceRoute and DeleteRoute act on the static route only.
    await client.send(new ReplaceRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16', NetworkInterfaceId: ids.enis.node2 }));
    await client.send(new DeleteRouteCommand({ RouteTableId: rtb, DestinationCidrBlock: '172.16.0.0/16' }));
    expect((await read()).Routes!.filter((r) => r.DestinationCidrBlock === '172.16.0.0/16').map((r) => r.Origin)).toEqual(['EnableVgwRoutePropagation']);
    const byOrigin = await client.send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'route.origin', Values: ['EnableVgwRoutePropagation'] }] }));
    expect(byOrigin.RouteTables?.map((x) => x.RouteTableId)).toEqual([rtb]);
  });

  it('refuses a seeded propagated route whose gateway does not propagate into the table', async () => {
    await expect(seedVgwTable([{ destinationCidrBlock: '172.16.0.0/16', gatewayId: vgw, origin: 'EnableVgwRoutePropagation' }], [])).rejects.toThrow(
      /propagated route 172\.16\.0\.0\/16 must have a gatewayId listed in propagatingVgws/,
    );
  });

  it('shows a blackhole route when the target ENI is detached', async () => {
    delete emu.state.ec2('us-east-1').networkInterfaces.get(ids.enis.node1)!.attachment;
    const out = await client.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA] }));
    expect(overlayTarget(out.RouteTables?.[0], ids.overlayCidr)).toMatchObject({ State: 'blackhole', Origin: 'CreateRoute' });
  });
});

describe('network interfaces', () => {
  it('describes by id and filters', async () => {
    const byId = await client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [ids.enis.node2] }));
    expect(byId.NetworkInterfaces?.[0]).toMatchObject({
      NetworkInterfaceId: ids.enis.node2,
      MacAddress: ids.macs.node2,
      PrivateIpAddress: ids.privateIps.node2,
      VpcId: ids.vpcId,
      SubnetId: ids.subnets.privateB,
      AvailabilityZone: ids.availabilityZones[1],
      SourceDestCheck: true,
      Status: 'in-use',
      Attachment: { InstanceId: ids.instances.node2, DeviceIndex: 0, Status: 'attached' },
    });
    const filters: [string, string, string][] = [
      ['attachment.instance-id', ids.instances.node1, ids.enis.node1],
      ['mac-address', ids.macs.node2, ids.enis.node2],
      ['addresses.private-ip-address', ids.privateIps.node1, ids.enis.node1],
      ['private-ip-address', ids.privateIps.node2, ids.enis.node2],
      ['subnet-id', ids.subnets.privateB, ids.enis.node2],
    ];
    for (const [name, value, expected] of filters) {
      const out = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: name, Values: [value] }] }));
      expect(
        out.NetworkInterfaces?.map((e) => e.NetworkInterfaceId),
        name,
      ).toEqual([expected]);
    }
    const vpc = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'vpc-id', Values: [ids.vpcId] }] }));
    expect(vpc.NetworkInterfaces).toHaveLength(2);
    await expectAwsError(
      client.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: ['eni-0000000000000dead'] })),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('reads and modifies SourceDestCheck', async () => {
    const before = await client.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.enis.node1, Attribute: 'sourceDestCheck' }));
    expect(before.SourceDestCheck?.Value).toBe(true);
    expect(before.NetworkInterfaceId).toBe(ids.enis.node1);
    await client.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.enis.node1, SourceDestCheck: { Value: false } }));
    const after = await client.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.enis.node1, Attribute: 'sourceDestCheck' }));
    expect(after.SourceDestCheck?.Value).toBe(false);
    const att = await client.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.enis.node1, Attribute: 'attachment' }));
    expect(att.Attachment?.InstanceId).toBe(ids.instances.node1);
    await expectAwsError(
      client.send(new ModifyNetworkInterfaceAttributeCommand({ NetworkInterfaceId: 'eni-0000000000000dead', SourceDestCheck: { Value: false } })),
      'InvalidNetworkInterfaceID.NotFound',
    );
  });

  it('assigns and unassigns secondary private IPs (with reassignment)', async () => {
    await client.send(new AssignPrivateIpAddressesCommand({ NetworkInterfaceId: ids.enis.node1, PrivateIpAddresses: ['10.0.2.50'] }));
    const out = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.2.50'] }] }));
    expect(out.NetworkInterfaces?.[0]?.PrivateIpAddresses?.map((a) => [a.PrivateIpAddress, a.Primary])).toEqual([
      [ids.privateIps.node1, true],
      ['10.0.2.50', false],
    ]);
    await client.send(new UnassignPrivateIpAddressesCommand({ NetworkInterfaceId: ids.enis.node1, PrivateIpAddresses: ['10.0.2.50'] }));
    const gone = await client.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'addresses.private-ip-address', Values: ['10.0.2.50'] }] }));
    expect(gone.NetworkInterfaces).toEqual([]);
  });
});

describe('instances', () => {
  it('describes instances with ENIs, placement and state', async () => {
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [ids.instances.node1] }));
    const inst = out.Reservations?.[0]?.Instances?.[0];
    expect(inst).toMatchObject({
      InstanceId: ids.instances.node1,
      State: { Name: 'running', Code: 16 },
      Placement: { AvailabilityZone: ids.availabilityZones[0] },
      VpcId: ids.vpcId,
      SubnetId: ids.subnets.privateA,
      PrivateIpAddress: ids.privateIps.node1,
      PublicIpAddress: ids.publicIp,
      SourceDestCheck: true,
    });
    expect(inst?.NetworkInterfaces?.[0]).toMatchObject({ NetworkInterfaceId: ids.enis.node1, MacAddress: ids.macs.node1, Attachment: { DeviceIndex: 0 } });
    const filtered = await client.send(new DescribeInstancesCommand({ Filters: [{ Name: 'instance-id', Values: [ids.instances.node2] }] }));
    expect(filtered.Reservations?.flatMap((r) => r.Instances?.map((i) => i.InstanceId))).toEqual([ids.instances.node2]);
    const all = await client.send(new DescribeInstancesCommand({}));
    expect(all.Reservations).toHaveLength(2);
    await expectAwsError(client.send(new DescribeInstancesCommand({ InstanceIds: ['i-0000000000000dead'] })), 'InvalidInstanceID.NotFound', 400);
    await expectAwsError(client.send(new DescribeInstancesCommand({ InstanceIds: ['nope'] })), 'InvalidInstanceID.Malformed', 400);
  });

  it('modifies SourceDestCheck via ModifyInstanceAttribute', async () => {
    await client.send(new ModifyInstanceAttributeCommand({ InstanceId: ids.instances.node2, SourceDestCheck: { Value: false } }));
    const out = await client.send(new DescribeInstancesCommand({ InstanceIds: [ids.instances.node2] }));
    expect(out.Reservations?.[0]?.Instances?.[0]?.SourceDestCheck).toBe(false);
    const eni = await client.send(new DescribeNetworkInterfaceAttributeCommand({ NetworkInterfaceId: ids.enis.node2, Attribute: 'sourceDestCheck' }));
    expect(eni.SourceDestCheck?.Value).toBe(false);
  });
});

describe('elastic IPs', () => {
  it('describes addresses by allocation id, public ip and filters', async () => {
    const byAlloc = await client.send(new DescribeAddressesCommand({ AllocationIds: [ids.allocationId] }));
    expect(byAlloc.Addresses?.[0]).toMatchObject({
      AllocationId: ids.allocationId,
      PublicIp: ids.publicIp,
      Domain: 'vpc',
      NetworkInterfaceId: ids.enis.node1,
      InstanceId: ids.instances.node1,
      PrivateIpAddress: ids.privateIps.node1,
    });
    expect(byAlloc.Addresses?.[0]?.AssociationId).toMatch(/^eipassoc-/);
    const byIp = await client.send(new DescribeAddressesCommand({ PublicIps: [ids.publicIp] }));
    expect(byIp.Addresses).toHaveLength(1);
    const byFilter = await client.send(new DescribeAddressesCommand({ Filters: [{ Name: 'instance-id', Values: [ids.instances.node1] }] }));
    expect(byFilter.Addresses?.[0]?.AllocationId).toBe(ids.allocationId);
    await expectAwsError(client.send(new DescribeAddressesCommand({ AllocationIds: ['eipalloc-0000000000000dead'] })), 'InvalidAllocationID.NotFound');
    await expectAwsError(client.send(new DescribeAddressesCommand({ PublicIps: ['192.0.2.99'] })), 'InvalidAddress.NotFound');
  });

  it('moves the EIP between nodes with AllowReassociation semantics', async () => {
    const err = await expectAwsError(
      client.send(new AssociateAddressCommand({ AllocationId: ids.allocationId, NetworkInterfaceId: ids.enis.node2 })),
      'Resource.AlreadyAssociated',
      400,
    );
    expect(err.message).toContain(ids.allocationId);
    const moved = await client.send(
      new AssociateAddressCommand({ AllocationId: ids.allocationId, NetworkInterfaceId: ids.enis.node2, AllowReassociation: true }),
    );
    expect(moved.AssociationId).toMatch(/^eipassoc-/);
    const after = await client.send(new DescribeAddressesCommand({ AllocationIds: [ids.allocationId] }));
    expect(after.Addresses?.[0]).toMatchObject({ NetworkInterfaceId: ids.enis.node2, InstanceId: ids.instances.node2, AssociationId: moved.AssociationId });
    // Association with the same target again is idempotent.
    const again = await client.send(new AssociateAddressCommand({ AllocationId: ids.allocationId, NetworkInterfaceId: ids.enis.node2 }));
    expect(again.AssociationId).toBe(moved.AssociationId);

    await client.send(new DisassociateAddressCommand({ AssociationId: moved.AssociationId }));
    const free = await client.send(new DescribeAddressesCommand({ AllocationIds: [ids.allocationId] }));
    expect(free.Addresses?.[0]?.AssociationId).toBeUndefined();
    await expectAwsError(client.send(new DisassociateAddressCommand({ AssociationId: moved.AssociationId })), 'InvalidAssociationID.NotFound');

    // InstanceId form (single ENI), then disassociate by public IP.
    const byInstance = await client.send(new AssociateAddressCommand({ AllocationId: ids.allocationId, InstanceId: ids.instances.node1 }));
    expect(byInstance.AssociationId).toMatch(/^eipassoc-/);
    await client.send(new DisassociateAddressCommand({ PublicIp: ids.publicIp }));
    expect((await client.send(new DescribeAddressesCommand({ PublicIps: [ids.publicIp] }))).Addresses?.[0]?.NetworkInterfaceId).toBeUndefined();

    await expectAwsError(
      client.send(new AssociateAddressCommand({ AllocationId: 'eipalloc-0000000000000dead', NetworkInterfaceId: ids.enis.node2 })),
      'InvalidAllocationID.NotFound',
    );
    await expectAwsError(client.send(new AssociateAddressCommand({ AllocationId: ids.allocationId })), 'MissingParameter');
    await expectAwsError(
      client.send(new AssociateAddressCommand({ AllocationId: ids.allocationId, NetworkInterfaceId: ids.enis.node2, PrivateIpAddress: '10.0.4.99' })),
      'InvalidParameterValue',
    );
  });

  it('rejects InstanceId association for multi-ENI instances', async () => {
    emu.reset();
    await emu.seed(twoAzLayout({ secondEni: true, eipAssociated: false }).seed);
    await expectAwsError(client.send(new AssociateAddressCommand({ AllocationId: ids.allocationId, InstanceId: ids.instances.node1 })), 'InvalidInstanceID');
  });
});

describe('zones, VPCs, subnets and regions', () => {
  it('describes availability zones with the zone-name filter', async () => {
    const all = await client.send(new DescribeAvailabilityZonesCommand({}));
    expect(all.AvailabilityZones?.map((z) => z.ZoneName)).toEqual(['us-east-1a', 'us-east-1b', 'us-east-1c']);
    const one = await client.send(new DescribeAvailabilityZonesCommand({ Filters: [{ Name: 'zone-name', Values: ['us-east-1b'] }] }));
    expect(one.AvailabilityZones).toEqual([
      expect.objectContaining({ ZoneName: 'us-east-1b', State: 'available', RegionName: 'us-east-1', ZoneId: 'use1-az2' }),
    ]);
  });

  it('describes VPCs and subnets', async () => {
    const vpcs = await client.send(new DescribeVpcsCommand({ VpcIds: [ids.vpcId] }));
    expect(vpcs.Vpcs?.[0]).toMatchObject({ VpcId: ids.vpcId, CidrBlock: '10.0.0.0/16', State: 'available' });
    const subnets = await client.send(
      new DescribeSubnetsCommand({
        Filters: [
          { Name: 'vpc-id', Values: [ids.vpcId] },
          { Name: 'availability-zone', Values: ['us-east-1a'] },
        ],
      }),
    );
    expect(subnets.Subnets?.map((s) => s.SubnetId).sort()).toEqual([ids.subnets.publicA, ids.subnets.privateA].sort());
    await expectAwsError(client.send(new DescribeVpcsCommand({ VpcIds: ['vpc-0000000000000dead'] })), 'InvalidVpcID.NotFound');
    await expectAwsError(client.send(new DescribeSubnetsCommand({ SubnetIds: ['subnet-0000000000000dead'] })), 'InvalidSubnetID.NotFound');
  });

  it('keeps EC2 state per region (from the SigV4 scope)', async () => {
    const west = ec2(emu, 'us-west-2');
    try {
      const rts = await west.send(new DescribeRouteTablesCommand({}));
      expect(rts.RouteTables).toEqual([]);
      const azs = await west.send(new DescribeAvailabilityZonesCommand({}));
      expect(azs.AvailabilityZones?.[0]?.ZoneName).toBe('us-west-2a');
      await expectAwsError(west.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA] })), 'InvalidRouteTableID.NotFound');
      expect(emu.calls.list({ region: 'us-west-2' })).toHaveLength(3);
    } finally {
      west.destroy();
    }
  });

  it('pages with MaxResults/NextToken', async () => {
    const first = await client.send(new DescribeRouteTablesCommand({ MaxResults: 5 }));
    expect(first.RouteTables).toHaveLength(3);
    expect(first.NextToken).toBeUndefined();
  });

  it('answers DryRun with DryRunOperation', async () => {
    await expectAwsError(client.send(new DescribeInstancesCommand({ DryRun: true })), 'DryRunOperation', 412);
  });
});
