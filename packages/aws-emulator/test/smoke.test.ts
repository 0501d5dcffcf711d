import { DescribeRouteTablesCommand, DescribeInstancesCommand, DescribeNetworkInterfacesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { type Emulator, startEmulator, twoAzLayout } from '../src/index.ts';
import { ec2 } from './helpers.ts';

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator({ seed: twoAzLayout().seed, logger: (l) => console.log(l) });
});
afterAll(async () => emu.stop());

it('smoke', async () => {
  const c = ec2(emu);
  const ids = twoAzLayout().ids;
  const rt = await c.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA], Filters: [{ Name: 'vpc-id', Values: [ids.vpcId] }] }));
  console.log(JSON.stringify(rt.RouteTables, null, 1));
  await c.send(new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: ids.overlayCidr, NetworkInterfaceId: ids.enis.node2 }));
  const inst = await c.send(new DescribeInstancesCommand({ InstanceIds: [ids.instances.node1] }));
  console.log(JSON.stringify(inst.Reservations, null, 1));
  const enis = await c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: [ids.instances.node1] }] }));
  console.log(JSON.stringify(enis.NetworkInterfaces, null, 1));
  console.log(JSON.stringify(emu.calls.list(), null, 1));
  expect(1).toBe(1);
});
