/** Seeds and helpers for the EC2 kit's tests (AWS emulator; never a real endpoint). */
import { createRequire } from 'node:module';
import type { DependencyView } from '@recovery-kit/sdk';
import type { Emulator, SeedDocument } from '@recovery-kit/aws-emulator';

/** Keeps the process away from ~/.aws and 169.254.169.254. */
export { hermeticAwsEnv as hermetic } from '@recovery-kit/aws-emulator';

/** Makes this process "run on" an instance: its IMDS endpoint, the emulator's endpoints, static test keys. */
export function onInstance(emu: Emulator, instanceId: string): void {
  for (const [k, v] of Object.entries(emu.env({ instanceId, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test' } }))) process.env[k] = v;
}

/** An IP child as the runner shows it to the EC2 kit. */
export function ipChild(address: string, extra: Record<string, unknown> = {}): DependencyView {
  const [a, p] = address.split('/');
  return {
    tag: 'vip',
    kitType: 'ip',
    options: { address, netns: 'test' },
    info: { address: a, prefix: Number(p ?? 32), family: a!.includes(':') ? 6 : 4, device: 'va', netns: 'test', ...extra },
    state: 'ISP',
  };
}

/**
 * The EC2 kit manual's local recovery example (seed 004): IP resource 10.1.0.10, active node's ENI
 * eni-01234567, Route Table A and B pointing at eni-89abcdef, B also holding 10.1.0.20/32.
 */
export function seed004(): {
  seed: SeedDocument;
  ids: { region: string; vpc: string; active: string; other: string; activeInstance: string; otherInstance: string; a: string; b: string };
} {
  const ids = {
    region: 'us-east-1',
    vpc: 'vpc-00000004',
    active: 'eni-01234567',
    other: 'eni-89abcdef',
    activeInstance: 'i-0000000a',
    otherInstance: 'i-0000000b',
    a: 'rtb-0000000a',
    b: 'rtb-0000000b',
  };
  const seed: SeedDocument = {
    regions: {
      [ids.region]: {
        vpcs: [{ vpcId: ids.vpc, cidrBlock: '10.0.0.0/16' }],
        subnets: [
          { subnetId: 'subnet-0000000a', vpcId: ids.vpc, cidrBlock: '10.0.2.0/24', availabilityZone: 'us-east-1a' },
          { subnetId: 'subnet-0000000b', vpcId: ids.vpc, cidrBlock: '10.0.4.0/24', availabilityZone: 'us-east-1b' },
        ],
        instances: [
          {
            instanceId: ids.activeInstance,
            subnetId: 'subnet-0000000a',
            privateIpAddress: '10.0.2.10',
            networkInterfaceId: ids.active,
            macAddress: '02:00:00:00:04:0a',
          },
          {
            instanceId: ids.otherInstance,
            subnetId: 'subnet-0000000b',
            privateIpAddress: '10.0.4.10',
            networkInterfaceId: ids.other,
            macAddress: '02:00:00:00:04:0b',
          },
        ],
        routeTables: [
          {
            routeTableId: ids.a,
            vpcId: ids.vpc,
            main: true,
            subnetIds: ['subnet-0000000a'],
            routes: [{ destinationCidrBlock: '10.1.0.10/32', networkInterfaceId: ids.other }],
          },
          {
            routeTableId: ids.b,
            vpcId: ids.vpc,
            subnetIds: ['subnet-0000000b'],
            routes: [
              { destinationCidrBlock: '10.1.0.10/32', networkInterfaceId: ids.other },
              { destinationCidrBlock: '10.1.0.20/32', networkInterfaceId: ids.other },
            ],
          },
        ],
      },
    },
  };
  return { seed, ids };
}

/** One VPC over two AZs, two nodes, `n` route tables each routing `overlay` to node1 (benchmarks, batching, faults). */
export function manyTables(n: number, opts: { overlays?: string[]; region?: string } = {}) {
  const region = opts.region ?? 'us-east-1';
  const overlays = opts.overlays ?? ['10.1.0.10/32'];
  const hex = (i: number, w = 17) => i.toString(16).padStart(w, '0');
  const ids = {
    region,
    vpc: `vpc-${hex(0x100)}`,
    node1: { instance: `i-${hex(0x201)}`, eni: `eni-${hex(0x301)}`, az: `${region}a` },
    node2: { instance: `i-${hex(0x202)}`, eni: `eni-${hex(0x302)}`, az: `${region}b` },
    tables: Array.from({ length: n }, (_, i) => `rtb-${hex(0x10000 + i)}`),
    allocation: `eipalloc-${hex(0x401)}`,
    otherAllocation: `eipalloc-${hex(0x402)}`,
  };
  const seed: SeedDocument = {
    regions: {
      [region]: {
        vpcs: [{ vpcId: ids.vpc, cidrBlock: '10.0.0.0/16' }],
        subnets: [
          { subnetId: `subnet-${hex(0x501)}`, vpcId: ids.vpc, cidrBlock: '10.0.2.0/24', availabilityZone: ids.node1.az },
          { subnetId: `subnet-${hex(0x502)}`, vpcId: ids.vpc, cidrBlock: '10.0.4.0/24', availabilityZone: ids.node2.az },
        ],
        instances: [
          {
            instanceId: ids.node1.instance,
            subnetId: `subnet-${hex(0x501)}`,
            privateIpAddress: '10.0.2.10',
            networkInterfaceId: ids.node1.eni,
            macAddress: '02:00:00:00:00:01',
          },
          {
            instanceId: ids.node2.instance,
            subnetId: `subnet-${hex(0x502)}`,
            privateIpAddress: '10.0.4.10',
            networkInterfaceId: ids.node2.eni,
            macAddress: '02:00:00:00:00:02',
          },
        ],
        routeTables: ids.tables.map((t, i) => ({
          routeTableId: t,
          vpcId: ids.vpc,
          main: i === 0,
          routes: [
            ...overlays.map((o) => ({ destinationCidrBlock: o, networkInterfaceId: ids.node1.eni })),
            { destinationCidrBlock: '0.0.0.0/0', gatewayId: `igw-${hex(0x601)}` },
          ],
        })),
        addresses: [
          { allocationId: ids.allocation, publicIp: '203.0.113.10', networkInterfaceId: ids.node1.eni },
          { allocationId: ids.otherAllocation, publicIp: '203.0.113.11' },
        ],
      },
    },
  };
  return { seed, ids };
}

/** Route table contents from the emulator's state: { rtb: { destination: target } }. */
export function routeMap(emu: Emulator, region = 'us-east-1'): Record<string, Record<string, string>> {
  const out: Record<string, Record<string, string>> = {};
  const r = emu.state.ec2(region);
  for (const t of r.routeTables.values()) {
    out[t.routeTableId] = Object.fromEntries(
      t.routes.map((x) => [
        x.destinationCidrBlock ?? x.destinationIpv6CidrBlock ?? '?',
        x.networkInterfaceId ?? x.gatewayId ?? x.natGatewayId ?? x.instanceId ?? '?',
      ]),
    );
  }
  return out;
}

export function eniOf(emu: Emulator, eni: string, region = 'us-east-1') {
  return emu.state.ec2(region).networkInterfaces.get(eni)!;
}

export function addressOf(emu: Emulator, allocationId: string, region = 'us-east-1') {
  return emu.state.ec2(region).addresses.get(allocationId)!;
}

/**
 * Copies a stored resource `n` times (tags `<tag>-<i>`, options changed by `options(i)`), writing the
 * sandbox's store.json directly: creating hundreds of resources one kit-runner process at a time
 * would take minutes (each process loads the AWS SDK), and the store copy is exactly what create wrote.
 */
export function cloneResource(storeFile: string, tag: string, n: number, options: (i: number) => Record<string, unknown>): string[] {
  const { readFileSync, writeFileSync } = createRequire(import.meta.url)('node:fs') as typeof import('node:fs');
  const data = JSON.parse(readFileSync(storeFile, 'utf8')) as { resources: Record<string, { tag: string; id: string; options: Record<string, unknown> }> };
  const base = data.resources[tag]!;
  const tags: string[] = [];
  for (let i = 0; i < n; i++) {
    const t = `${tag}-${i}`;
    data.resources[t] = { ...structuredClone(base), tag: t, id: `${base.id}-${i}`, options: { ...base.options, ...options(i) } };
    tags.push(t);
  }
  writeFileSync(storeFile, JSON.stringify(data, null, 2));
  return tags;
}
