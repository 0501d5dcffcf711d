// The side-by-side benchmark's AWS layout: the emulator's two-AZ VPC (twoAzLayout) with its
// private route tables replaced by `tables` tables that each route the overlay /32 to node1's ENI.
// The benchmark acts as node2 (the node taking over), so every scenario starts "on node1".
export function peersLayout(twoAzLayout, tables, layoutOptions = {}) {
  const { seed, ids } = twoAzLayout(layoutOptions);
  const region = seed.regions[ids.region];
  const hex = (i) => i.toString(16).padStart(17, '0');
  const generated = Array.from({ length: tables }, (_, i) => ({
    routeTableId: `rtb-${hex(0x10000 + i)}`,
    vpcId: ids.vpcId,
    routes: [
      { destinationCidrBlock: ids.overlayCidr, networkInterfaceId: ids.enis.node1 },
      { destinationCidrBlock: '0.0.0.0/0', natGatewayId: `nat-${hex(0x701)}` },
    ],
    ...(i === 0 ? { main: true } : {}),
    tags: { Name: `private-${i}` },
  }));
  region.routeTables = [...region.routeTables.filter((t) => t.routeTableId === ids.routeTables.public), ...generated];
  return { seed, ids: { ...ids, tables: generated.map((t) => t.routeTableId) } };
}
