/**
 * The EC2 child on the AWS emulator (real AWS SDK, the ec2 kit's own actions): seed 000's
 * route-table transitions 1 -> 2. The Primary VPC's table sends the remote region's subnets
 * (10.2.0.0/16, 172.16.0.0/16) to VPN_P_A's ENI and the service VIP 10.1.0.10/32 to LK_P_A's;
 * when the tunnel resource moves to VPN_P_B, its EC2 child's restore there re-points exactly the
 * remote subnets at VPN_P_B's ENI and leaves the VIP's route alone.
 */
import { hermeticAwsEnv, type Emulator, type RouteTableSeed } from '@recovery-kit/aws-emulator';
import ec2 from '@recovery-kit/kit-ec2';
import type { KitError } from '@recovery-kit/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ec2ChildSpec } from '../src/index.ts';
import { ec2Lab, ids, region, seed, type Ec2Action, type Ec2Lab } from './aws-seed.ts';

hermeticAwsEnv();

let aws: Ec2Lab;
let emu: Emulator;
beforeAll(async () => {
  aws = await ec2Lab();
  emu = aws.emu;
});
afterAll(async () => aws?.stop());

const on = (instanceId: string) => aws.on(instanceId);
const routes = () => aws.routes();
const child = ec2ChildSpec('vpn', ['172.16.0.0/16', '10.2.0.0/16'], { routeTables: [], vpcId: undefined });
const run = (action: Ec2Action, extra: Record<string, string | boolean | string[]> = {}, logs?: string[]) => aws.run(child, action, extra, logs);
const failure = (p: Promise<unknown>) =>
  p.then(
    () => undefined,
    (e: unknown) => e as KitError,
  );

describe("the tunnel resource's EC2 child (seed 000 route-table transitions)", () => {
  it('is an ec2 route-table resource for the remote subnets', () => {
    expect(child).toEqual({
      kitType: 'ec2',
      tag: 'vpn-ec2',
      options: { scenario: 'route-table', destinations: ['172.16.0.0/16', '10.2.0.0/16'], disableSourceDestCheck: true },
    });
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
    expect(routes()).toEqual({
      '0.0.0.0/0': 'igw-00000000000000a01',
      '10.1.0.10/32': ids.lkPA.eni,
      '10.2.0.0/16': ids.vpnPA.eni,
      '172.16.0.0/16': ids.vpnPA.eni,
      '10.0.0.0/16': 'local',
    });
    on(ids.vpnPB.instance);
    await run('restore');
    expect(routes()).toEqual({
      '0.0.0.0/0': 'igw-00000000000000a01',
      '10.1.0.10/32': ids.lkPA.eni,
      '10.2.0.0/16': ids.vpnPB.eni,
      '172.16.0.0/16': ids.vpnPB.eni,
      '10.0.0.0/16': 'local',
    });
    expect(emu.state.ec2(region).networkInterfaces.get(ids.vpnPB.eni)!.sourceDestCheck).toBe(false);
    expect(await run('quickCheck')).toMatchObject({ status: 'ok' });
  });
});

describe('create and extend of the EC2 child refuse what ReplaceRoute cannot fix (AWS emulator, real SDK)', () => {
  const vgw = 'vgw-00000000000000a01';
  const rtb2 = 'rtb-0000000000000a002';
  const reseed = async (table2: Pick<RouteTableSeed, 'routes' | 'propagatingVgws'>) => {
    emu.reset();
    await emu.seed(seed);
    await emu.seed({ regions: { [region]: { routeTables: [{ routeTableId: rtb2, vpcId: ids.vpc, subnetIds: ['subnet-00000000000000a02'], ...table2 }] } } });
  };
  const table2 = () =>
    Object.fromEntries(
      [...emu.state.ec2(region).routeTables.get(rtb2)!.routes].map((r) => [`${r.destinationCidrBlock} ${r.origin}`, r.networkInterfaceId ?? r.gatewayId]),
    );

  it("a remote subnet whose route a virtual private gateway propagates: create and extend fail naming the table, the gateway and the fix; with the fix's static route beside it, create passes and restore re-points only the static route", async () => {
    await reseed({
      propagatingVgws: [vgw],
      routes: [
        { destinationCidrBlock: '172.16.0.0/16', gatewayId: vgw, origin: 'EnableVgwRoutePropagation' },
        { destinationCidrBlock: '10.2.0.0/16', networkInterfaceId: ids.vpnPA.eni },
      ],
    });
    on(ids.vpnPA.instance);
    const err = await failure(run('create'));
    expect(err).toMatchObject({ exitCode: 6, field: 'destinations', code: 'ROUTE_NOT_SWITCHABLE' });
    expect(err!.message).toMatch(
      /rtb-0000000000000a002: the route for 172\.16\.0\.0\/16 is propagated by vgw-00000000000000a01 \(Origin=EnableVgwRoutePropagation\); ReplaceRoute cannot re-point a propagated route/,
    );
    expect(err!.fix).toMatch(
      /aws ec2 create-route --route-table-id rtb-0000000000000a002 --destination-cidr-block 172\.16\.0\.0\/16 --network-interface-id eni-00000000000000a02/,
    );
    expect(err!.fix).toMatch(/aws ec2 disable-vgw-route-propagation --route-table-id rtb-0000000000000a002 --gateway-id vgw-00000000000000a01/);
    on(ids.vpnPB.instance);
    expect(await failure(run('extend'))).toMatchObject({ field: 'destinations', message: expect.stringMatching(/propagated by vgw-/) });
    // The fix: a static route beside the propagated one (AWS prefers it).
    emu.state
      .ec2(region)
      .routeTables.get(rtb2)!
      .routes.push({ destinationCidrBlock: '172.16.0.0/16', networkInterfaceId: ids.vpnPA.eni, origin: 'CreateRoute' });
    on(ids.vpnPA.instance);
    expect(await failure(run('create'))).toBeUndefined();
    on(ids.vpnPB.instance);
    await run('restore');
    expect(table2()).toMatchObject({
      '172.16.0.0/16 CreateRoute': ids.vpnPB.eni,
      '172.16.0.0/16 EnableVgwRoutePropagation': vgw,
      '10.2.0.0/16 CreateRoute': ids.vpnPB.eni,
    });
  });

  it('blackhole routes: a protected route whose target is stopped is only a warning (restore re-points it: a failover from a dead node); a blackhole inside a remote subnet is refused', async () => {
    await reseed({ routes: [{ destinationCidrBlock: '172.16.0.0/16', networkInterfaceId: ids.vpnPA.eni }] });
    emu.state.findInstance(ids.vpnPA.instance)!.instance.state = 'stopped';
    on(ids.vpnPB.instance);
    const logs: string[] = [];
    expect(await failure(run('create', {}, logs))).toBeUndefined();
    expect(logs).toContainEqual(
      expect.stringMatching(
        /^warn rtb-0000000000000a002: the route for 172\.16\.0\.0\/16 is a blackhole \(State=blackhole: its target eni-00000000000000a02 is gone or not running\); restore re-points it/,
      ),
    );
    await run('restore');
    expect(table2()).toMatchObject({ '172.16.0.0/16 CreateRoute': ids.vpnPB.eni });

    await reseed({
      routes: [
        { destinationCidrBlock: '172.16.0.0/16', networkInterfaceId: ids.vpnPA.eni },
        { destinationCidrBlock: '172.16.5.0/24', networkInterfaceId: 'eni-00000000000000aff' },
      ],
    });
    on(ids.vpnPA.instance);
    const err = await failure(run('create'));
    expect(err).toMatchObject({ exitCode: 6, field: 'destinations' });
    expect(err!.message).toMatch(
      /the blackhole route 172\.16\.5\.0\/24 -> eni-00000000000000aff \(State=blackhole\) lies inside the protected 172\.16\.0\.0\/16/,
    );
    expect(err!.fix).toMatch(/aws ec2 delete-route --route-table-id rtb-0000000000000a002 --destination-cidr-block 172\.16\.5\.0\/24/);
  });

  it("source/destination checking left on: refused with disableSourceDestCheck=false (naming the field and the command), logged with the child's default (restore turns it off)", async () => {
    await reseed({ routes: [] });
    on(ids.vpnPB.instance);
    const err = await failure(run('create', { disableSourceDestCheck: false }));
    expect(err).toMatchObject({ exitCode: 6, field: 'disableSourceDestCheck' });
    expect(err!.message).toMatch(
      /source\/destination checking is on for eni-00000000000000a03 of node-a: EC2 drops the packets it would forward for 172\.16\.0\.0\/16, 10\.2\.0\.0\/16/,
    );
    expect(err!.fix).toMatch(/aws ec2 modify-network-interface-attribute --network-interface-id eni-00000000000000a03 --no-source-dest-check/);
    const logs: string[] = [];
    expect(await failure(run('extend', {}, logs))).toBeUndefined();
    expect(logs).toContainEqual(expect.stringMatching(/source\/destination checking is on for eni-00000000000000a03: restore turns it off/));
    await run('restore');
    expect(emu.state.ec2(region).networkInterfaces.get(ids.vpnPB.eni)!.sourceDestCheck).toBe(false);
    expect(await failure(run('create', { disableSourceDestCheck: false }))).toBeUndefined();
  });
});
