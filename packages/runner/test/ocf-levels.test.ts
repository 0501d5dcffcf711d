/**
 * OCF_CHECK_LEVEL under the AWS kits, counted on the emulator: a level-0 monitor makes no request
 * at all (no AWS API, no IMDS), level 10 at most one AWS request per kit (IMDS only for the
 * instance role's credentials, which the AWS SDK fetches once per process), level 20 reads this
 * instance's ENI fresh. Each level's claim is checked both ways: level 10 sees a
 * route, an Elastic IP or a record moved behind the agent's back; level 0 does not (it says so in
 * its meta-data). Nothing leaves 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { useTwoAzEmulator } from './ocf-aws-helpers.ts';
import { kitRunner, ocfSandbox } from './ocf-helpers.ts';

const lab = useTwoAzEmulator();
const { ids } = lab;

const onNode1 = (instance: string) => ({
  ...lab.emu.env({ instanceId: ids.instances.node1 }),
  OCF_RESKEY_CRM_meta_timeout: '60000',
  OCF_RESOURCE_INSTANCE: instance,
});
const monitorAt = (level: string | undefined, instance: string) => ({
  ...onNode1(instance),
  OCF_RESKEY_CRM_meta_interval: '10000',
  ...(level === undefined ? {} : { OCF_CHECK_LEVEL: level }),
});
/** AWS requests and IMDS requests since the last call. */
const counted = () => {
  const by = lab.emu.calls.byAction();
  lab.emu.calls.reset();
  const sum = (imds: boolean) =>
    Object.entries(by)
      .filter(([k]) => k.startsWith('IMDS:') === imds)
      .reduce((s, [, n]) => s + n, 0);
  return { aws: sum(false), imds: sum(true), by };
};
/** The AWS API requests only, after checking that IMDS was asked for nothing but the role's credentials. */
const awsOnly = () => {
  const c = counted();
  const imds = Object.keys(c.by).filter((k) => k.startsWith('IMDS:'));
  expect(imds.filter((k) => k !== 'IMDS:PutToken' && k !== 'IMDS:GetCredentials')).toEqual([]);
  return Object.fromEntries(Object.entries(c.by).filter(([k]) => !k.startsWith('IMDS:')));
};

describe('OCF_CHECK_LEVEL of the AWS kits (requests counted on the emulator)', () => {
  it('ec2 route-table: level 0 and unset make no request, 10 one DescribeRouteTables, 20 two; only 10 and 20 see a stolen route', async () => {
    const sb = ocfSandbox();
    const p = { scenario: 'route-table', destinations: ids.overlayCidr };
    expect((await sb.run('ec2', 'start', p, onNode1('lv-rt'))).code).toBe(0);
    counted();
    for (const level of [undefined, '0']) {
      expect((await sb.run('ec2', 'monitor', p, monitorAt(level, 'lv-rt'))).code).toBe(0);
      expect(counted()).toEqual({ aws: 0, imds: 0, by: {} });
    }
    expect((await sb.run('ec2', 'monitor', p, monitorAt('10', 'lv-rt'))).code).toBe(0);
    expect(awsOnly()).toEqual({ DescribeRouteTables: 1 });
    const m20 = await sb.run('ec2', 'monitor', p, monitorAt('20', 'lv-rt'));
    expect(m20.code, m20.stderr).toBe(0);
    const c20 = counted();
    expect(c20.aws).toBe(2);
    expect(c20.by.DescribeRouteTables).toBe(1);
    expect(c20.by['IMDS:GetDynamic']).toBe(1);
    // The route taken by node2 behind our back.
    const route = lab.emu.state
      .ec2(ids.region)
      .routeTables.get(ids.routeTables.privateA)!
      .routes.find((r) => r.destinationCidrBlock === ids.overlayCidr)!;
    route.networkInterfaceId = ids.enis.node2;
    expect((await sb.run('ec2', 'monitor', p, monitorAt('0', 'lv-rt'))).code).toBe(0);
    const m10 = await sb.run('ec2', 'monitor', p, monitorAt('10', 'lv-rt'));
    expect(m10.code).toBe(1);
    expect(m10.stderr).toContain(ids.routeTables.privateA);
    expect((await sb.run('ec2', 'monitor', p, monitorAt('20', 'lv-rt'))).code).toBe(1);
  }, 120_000);

  it('ec2 elastic-ip: level 0 no request, 10 one DescribeAddresses; a probe before any start checks at 10', async () => {
    const sb = ocfSandbox();
    const p = { scenario: 'elastic-ip', allocationId: ids.allocationId };
    counted();
    // A probe on a node with no record of the resource: the create validation (this ENI, the
    // allocation exists), then one read at level 10 to find out where it is.
    expect((await sb.run('ec2', 'monitor', p, { ...onNode1('lv-eip'), OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
    const probe = counted();
    expect(probe.by.DescribeAddresses).toBe(2);
    expect(probe.aws).toBe(3);
    expect((await sb.run('ec2', 'start', p, onNode1('lv-eip'))).code).toBe(0);
    counted();
    expect((await sb.run('ec2', 'monitor', p, monitorAt('0', 'lv-eip'))).code).toBe(0);
    expect(counted()).toEqual({ aws: 0, imds: 0, by: {} });
    expect((await sb.run('ec2', 'monitor', p, monitorAt('10', 'lv-eip'))).code).toBe(0);
    expect(awsOnly()).toEqual({ DescribeAddresses: 1 });
    lab.emu.state.ec2(ids.region).addresses.get(ids.allocationId)!.networkInterfaceId = ids.enis.node2;
    expect((await sb.run('ec2', 'monitor', p, monitorAt('0', 'lv-eip'))).code).toBe(0);
    expect((await sb.run('ec2', 'monitor', p, monitorAt('10', 'lv-eip'))).code).toBe(1);
    expect((await sb.run('ec2', 'stop', p, onNode1('lv-eip'))).code).toBe(0);
    lab.emu.state.ec2(ids.region).addresses.get(ids.allocationId)!.networkInterfaceId = undefined;
  }, 120_000);

  it('route53: level 0 no request, 10 one ListResourceRecordSets (never a write); only 10 sees the record changed', async () => {
    const sb = ocfSandbox();
    const p = { zone: 'example.com', host: 'levels', ip: 'vip', children: 'vip:address=10.0.2.10/32' };
    expect((await sb.run('route53', 'start', p, onNode1('lv-dns'))).code).toBe(0);
    counted();
    expect((await sb.run('route53', 'monitor', p, monitorAt('0', 'lv-dns'))).code).toBe(0);
    expect(counted()).toEqual({ aws: 0, imds: 0, by: {} });
    for (const level of ['10', '20']) {
      expect((await sb.run('route53', 'monitor', p, monitorAt(level, 'lv-dns'))).code).toBe(0);
      expect(awsOnly()).toEqual({ ListResourceRecordSets: 1 });
    }
    const zone = lab.emu.state.hostedZones.get(ids.hostedZones.public)!;
    const rec = zone.records.find((r) => r.name.startsWith('levels.') && r.type === 'A')!;
    rec.values = ['10.0.9.9'];
    expect((await sb.run('route53', 'monitor', p, monitorAt('0', 'lv-dns'))).code).toBe(0);
    const m = await sb.run('route53', 'monitor', p, monitorAt('10', 'lv-dns'));
    expect(m.code).toBe(1);
    expect(m.stderr).toContain('10.0.9.9');
    expect(counted().by.ChangeResourceRecordSets).toBeUndefined();
  }, 120_000);

  it('the meta-data says what each level does and offers a deeper monitor for it', () => {
    for (const kit of ['ec2', 'route53', 'ip', 'postgresql', 'oracle', 'oracle-listener']) {
      const r = kitRunner(['ocf', 'meta-data', kit]);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toContain('OCF_CHECK_LEVEL 0: ');
      expect(r.stdout).toMatch(/<action name="monitor" [^>]*depth="(10|20)"\/>/);
    }
    expect(kitRunner(['ocf', 'meta-data', 'ec2']).stdout).toMatch(/OCF_CHECK_LEVEL 0: no request \(no AWS API, no IMDS\)/);
    expect(kitRunner(['ocf', 'meta-data', 'oracle-listener']).stdout).toMatch(/OCF_CHECK_LEVEL 20: as 0, then lsnrctl status NAME/);
    // libreswan: the pings through the tunnel are seed 000's detection, so every level runs them
    // (said in the meta-data), and no deeper monitor is offered (there is nothing deeper).
    const vpn = kitRunner(['ocf', 'meta-data', 'libreswan']).stdout;
    expect(vpn).toMatch(/OCF_CHECK_LEVEL 0: every level \(0, 10 and 20\) runs the whole check, data path included/);
    expect(vpn).not.toMatch(/depth="(10|20)"/);
    // unique and reloadable, declared on the kits' option fields (SDK contract).
    const ip = kitRunner(['ocf', 'meta-data', 'ip']).stdout;
    expect(ip).toMatch(/<parameter name="address" required="1" unique-group="address">/);
    expect(ip).toMatch(/<parameter name="pingList" required="0" reloadable="1">/);
    expect(ip).toContain('<action name="reload-agent"');
    const dns = kitRunner(['ocf', 'meta-data', 'route53']).stdout;
    expect(dns).toMatch(/<parameter name="zone" required="1" unique-group="record">/);
    expect(dns).toMatch(/<parameter name="host" required="1" unique-group="record">/);
    expect(kitRunner(['ocf', 'meta-data', 'ip', '--profile', '1.0']).stdout).toMatch(/<parameter name="address" required="1" unique="1">/);
  });
});
