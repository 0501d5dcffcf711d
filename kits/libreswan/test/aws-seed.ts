/**
 * Seed 000's primary region on the AWS emulator, for the tunnel resource's EC2 child: the VPC
 * 10.0.0.0/16 with the two AZ subnets, LK_P_A, VPN_P_A (10.0.0.5) and VPN_P_B (10.0.10.5), and
 * the main route table sending the remote region's subnets (10.2.0.0/16, 172.16.0.0/16) to
 * VPN_P_A's ENI and the service VIP 10.1.0.10/32 to LK_P_A's. `ec2Lab()` starts an emulator
 * with it and runs the ec2 kit's own actions (real AWS SDK) as one of the instances.
 */
import { clearSharedReads } from '@recovery-kit/aws';
import { startEmulator, type Emulator, type SeedDocument } from '@recovery-kit/aws-emulator';
import ec2 from '@recovery-kit/kit-ec2';
import type { ChildSpec } from '@recovery-kit/sdk';
import { createTestContext } from '@recovery-kit/testing';

export const region = 'ap-northeast-1';
export const ids = {
  vpc: 'vpc-0000000000000a000',
  rtb: 'rtb-0000000000000a000',
  lkPA: { instance: 'i-00000000000000a01', eni: 'eni-00000000000000a01' },
  vpnPA: { instance: 'i-00000000000000a02', eni: 'eni-00000000000000a02' },
  vpnPB: { instance: 'i-00000000000000a03', eni: 'eni-00000000000000a03' },
};
export const seed: SeedDocument = {
  regions: {
    [region]: {
      vpcs: [{ vpcId: ids.vpc, cidrBlock: '10.0.0.0/16' }],
      subnets: [
        { subnetId: 'subnet-00000000000000a01', vpcId: ids.vpc, cidrBlock: '10.0.0.0/24', availabilityZone: 'ap-northeast-1a' },
        { subnetId: 'subnet-00000000000000a02', vpcId: ids.vpc, cidrBlock: '10.0.10.0/24', availabilityZone: 'ap-northeast-1c' },
      ],
      instances: [
        {
          instanceId: ids.lkPA.instance,
          subnetId: 'subnet-00000000000000a01',
          privateIpAddress: '10.0.0.20',
          networkInterfaceId: ids.lkPA.eni,
          macAddress: '02:00:00:00:0a:01',
        },
        {
          instanceId: ids.vpnPA.instance,
          subnetId: 'subnet-00000000000000a01',
          privateIpAddress: '10.0.0.5',
          networkInterfaceId: ids.vpnPA.eni,
          macAddress: '02:00:00:00:0a:02',
          sourceDestCheck: false,
        },
        {
          instanceId: ids.vpnPB.instance,
          subnetId: 'subnet-00000000000000a02',
          privateIpAddress: '10.0.10.5',
          networkInterfaceId: ids.vpnPB.eni,
          macAddress: '02:00:00:00:0a:03',
        },
      ],
      routeTables: [
        {
          routeTableId: ids.rtb,
          vpcId: ids.vpc,
          main: true,
          routes: [
            { destinationCidrBlock: '0.0.0.0/0', gatewayId: 'igw-00000000000000a01' },
            { destinationCidrBlock: '10.1.0.10/32', networkInterfaceId: ids.lkPA.eni },
            { destinationCidrBlock: '10.2.0.0/16', networkInterfaceId: ids.vpnPA.eni },
            { destinationCidrBlock: '172.16.0.0/16', networkInterfaceId: ids.vpnPA.eni },
          ],
        },
      ],
    },
  },
};

type Raw = Record<string, string | boolean | string[]>;
export type Ec2Action = 'create' | 'extend' | 'restore' | 'quickCheck';

export interface Ec2Lab {
  emu: Emulator;
  /** Acts as this instance (the emulator's IMDS answers for it). */
  on(instanceId: string): void;
  /** The main route table: destination -> target. */
  routes(): Record<string, string>;
  /** One action of the ec2 kit for the child, its log lines appended to `logs`. */
  run(child: ChildSpec, action: Ec2Action, extra?: Raw, logs?: string[]): Promise<unknown>;
  stop(): Promise<void>;
}

export async function ec2Lab(): Promise<Ec2Lab> {
  const emu = await startEmulator();
  await emu.seed(seed);
  return {
    emu,
    on(instanceId) {
      for (const [k, v] of Object.entries(emu.env({ instanceId, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test' } }))) process.env[k] = v;
      clearSharedReads();
    },
    routes: () =>
      Object.fromEntries(
        [...emu.state.ec2(region).routeTables.get(ids.rtb)!.routes].map((r) => [r.destinationCidrBlock ?? '?', r.networkInterfaceId ?? r.gatewayId ?? '?']),
      ),
    async run(child, action, extra = {}, logs) {
      const ctx = createTestContext(ec2, {
        tag: child.tag,
        action,
        options: { ...(child.options as Raw), ...extra },
        tunables: { EC2_VERIFY_TIMEOUT: 2 },
      });
      try {
        return await (ec2.actions[action] as (c: typeof ctx) => Promise<unknown>)(ctx);
      } finally {
        logs?.push(...ctx.logs.map((l) => `${l.level} ${l.message}`));
        ctx.dispose();
      }
    },
    stop: () => emu.stop(),
  };
}
