/**
 * The EC2 child on the AWS emulator (real AWS SDK, the ec2 kit's own actions): seed 000's
 * route-table transitions 1 -> 2. The Primary VPC's table sends the remote region's subnets
 * (10.2.0.0/16, 172.16.0.0/16) to VPN_P_A's ENI and the service VIP 10.1.0.10/32 to LK_P_A's;
 * when the tunnel resource moves to VPN_P_B, its EC2 child's restore there re-points exactly the
 * remote subnets at VPN_P_B's ENI and leaves the VIP's route alone.
 */
import { clearSharedReads } from '@recovery-kit/aws';
import { hermeticAwsEnv, startEmulator, type Emulator, type SeedDocument } from '@recovery-kit/aws-emulator';
import ec2 from '@recovery-kit/kit-ec2';
import { createTestContext } from '@recovery-kit/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ec2ChildSpec } from '../src/index.ts';

hermeticAwsEnv();
const region = 'ap-northeast-1';
const ids = {
  vpc: 'vpc-0000000000000a000',
  rtb: 'rtb-0000000000000a000',
  lkPA: { instance: 'i-00000000000000a01', eni: 'eni-00000000000000a01' },
  vpnPA: { instance: 'i-00000000000000a02', eni: 'eni-00000000000000a02' },
  vpnPB: { instance: 'i-00000000000000a03', eni: 'eni-00000000000000a03' },
};
const seed: SeedDocument = {
  regions: {
    [region]: {
      vpcs: [{ vpcId: ids.vpc, cidrBlock: '10.0.0.0/16' }],
      subnets: [
        { subnetId: 'subnet-00000000000000a01', vpcId: ids.vpc, cidrBlock: '10.0.0.0/24', availabilityZone: 'ap-northeast-1a' },
        { subnetId: 'subnet-00000000000000a02', vpcId: ids.vpc, cidrBlock: '10.0.10.0/24', availabilityZone: 'ap-northeast-1c' },
      ],
      instances: [
        { instanceId: ids.lkPA.instance, subnetId: 'subnet-00000000000000a01', privateIpAddress: '10.0.0.20', networkInterfaceId: ids.lkPA.eni, macAddress: '02:00:00:00:0a:01' },
        { instanceId: ids.vpnPA.instance, subnetId: 'subnet-00000000000000a01', privateIpAddress: '10.0.0.5', networkInterfaceId: ids.vpnPA.eni, macAddress: '02:00:00:00:0a:02', sourceDestCheck: false },
        { instanceId: ids.vpnPB.instance, subnetId: 'subnet-00000000000000a02', privateIpAddress: '10.0.10.5', networkInterfaceId: ids.vpnPB.eni, macAddress: '02:00:00:00:0a:03' },
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

let emu: Emulator;
beforeAll(async () => {
  emu = await startEmulator();
  await emu.seed(seed);
});
afterAll(async () => emu?.stop());

const on = (instanceId: string) => {
  for (const [k, v] of Object.entries(emu.env({ instanceId, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test' } }))) process.env[k] = v;
  clearSharedReads();
};
const routes = () => Object.fromEntries([...emu.state.ec2(region).routeTables.get(ids.rtb)!.routes].map((r) => [r.destinationCidrBlock ?? '?', r.networkInterfaceId ?? r.gatewayId ?? '?']));
const child = ec2ChildSpec('vpn', ['172.16.0.0/16', '10.2.0.0/16'], { routeTables: [], vpcId: undefined });
const run = async (action: 'create' | 'restore' | 'quickCheck') => {
  const ctx = createTestContext(ec2, { tag: child.tag, action, options: child.options as Record<string, string | boolean | string[]>, tunables: { EC2_VERIFY_TIMEOUT: 2 } });
  try {
    return await (ec2.actions[action] as (c: typeof ctx) => Promise<unknown>)(ctx);
  } finally {
    ctx.dispose();
  }
};

describe("the tunnel resource's EC2 child (seed 000 route-table transitions)", () => {
  it('is an ec2 route-table resource for the remote subnets', () => {
    expect(child).toEqual({ kitType: 'ec2', tag: 'vpn-ec2', options: { scenario: 'route-table', destinations: ['172.16.0.0/16', '10.2.0.0/16'], disableSourceDestCheck: true } });
    expect(ec2.options.check(child.options as Record<string, string | boolean | string[]>).ok).toBe(true);
  });

  it('1: active on VPN_P_A, the routes are right there and wrong on VPN_P_B', async () => {
    on(ids.vpnPA.instance);
    await run('create');
    expect(await run('quickCheck')).toMatchObject({ status: 'ok' });
    on(ids.vpnPB.instance);
    expect(await run('quickCheck')).toMatchObject({ status: 'failed', reason: expect.stringMatching(/10\.2\.0\.0\/16|172\.16\.0\.0\/16/) });
  });

  it('2: switched to VPN_P_B, the remote subnets point at its ENI; the VIP route is unchanged', async () => {
    expect(routes()).toEqual({ '0.0.0.0/0': 'igw-00000000000000a01', '10.1.0.10/32': ids.lkPA.eni, '10.2.0.0/16': ids.vpnPA.eni, '172.16.0.0/16': ids.vpnPA.eni, '10.0.0.0/16': 'local' });
    on(ids.vpnPB.instance);
    await run('restore');
    expect(routes()).toEqual({ '0.0.0.0/0': 'igw-00000000000000a01', '10.1.0.10/32': ids.lkPA.eni, '10.2.0.0/16': ids.vpnPB.eni, '172.16.0.0/16': ids.vpnPB.eni, '10.0.0.0/16': 'local' });
    expect(emu.state.ec2(region).networkInterfaces.get(ids.vpnPB.eni)!.sourceDestCheck).toBe(false);
    expect(await run('quickCheck')).toMatchObject({ status: 'ok' });
  });
});
