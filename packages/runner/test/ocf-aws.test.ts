/**
 * ocf:recovery-kit:ec2 and route53 against the AWS emulator (real AWS SDK, wire protocol), with
 * the emulator's IMDS on loopback for "this instance" (node1). Nothing leaves 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { useTwoAzEmulator } from './ocf-aws-helpers.ts';
import { ocfSandbox } from './ocf-helpers.ts';

const lab = useTwoAzEmulator();
const { ids } = lab;

const onNode1 = () => ({ ...lab.emu.env({ instanceId: ids.instances.node1 }), OCF_RESKEY_CRM_meta_timeout: '60000' });
const routeTarget = (rtb: string) =>
  lab.emu.state
    .ec2(ids.region)
    .routeTables.get(rtb)!
    .routes.find((r) => r.destinationCidrBlock === ids.overlayCidr)?.networkInterfaceId;
const eipEni = () => lab.emu.state.ec2(ids.region).addresses.get(ids.allocationId)!.networkInterfaceId;

describe('ocf:recovery-kit:ec2 (AWS emulator, IMDS on loopback)', () => {
  it('route-table scenario passes ocf-tester; the routes end up pointing at node1', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    expect(routeTarget(ids.routeTables.privateA)).toBe(ids.enis.node2);
    const r = await sb.tester('ec2', 'rt1', { scenario: 'route-table', destinations: ids.overlayCidr }, onNode1());
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(routeTarget(ids.routeTables.privateA)).toBe(ids.enis.node1);
    expect(routeTarget(ids.routeTables.privateB)).toBe(ids.enis.node1);
  }, 300_000);

  it('elastic-ip scenario passes ocf-tester; stop leaves the Elastic IP unassociated', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    expect(eipEni()).toBeUndefined();
    const r = await sb.tester('ec2', 'eip1', { scenario: 'elastic-ip', allocationId: ids.allocationId }, onNode1());
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(eipEni()).toBeUndefined();
  }, 300_000);

  it('stop is 0 when the Elastic IP is on another ENI, or on none; a route-table stop makes no AWS call', async () => {
    const sb = ocfSandbox();
    const p = { scenario: 'elastic-ip', allocationId: ids.allocationId };
    expect((await sb.run('ec2', 'start', p, onNode1())).code).toBe(0);
    expect(eipEni()).toBe(ids.enis.node1);
    // moved to node2 behind our back
    lab.emu.state.ec2(ids.region).addresses.get(ids.allocationId)!.networkInterfaceId = ids.enis.node2;
    expect((await sb.run('ec2', 'monitor', p, { ...onNode1(), OCF_RESKEY_CRM_meta_interval: '10000', OCF_CHECK_LEVEL: '10' })).code).toBe(1);
    expect((await sb.run('ec2', 'stop', p, onNode1())).code).toBe(0);
    expect(eipEni()).toBe(ids.enis.node2);
    lab.emu.state.ec2(ids.region).addresses.get(ids.allocationId)!.networkInterfaceId = undefined;
    expect((await sb.run('ec2', 'stop', p, onNode1())).code).toBe(0);
    // a route-table stop needs neither IMDS nor the API: it succeeds with IMDS pointed nowhere
    const rt = { scenario: 'route-table', destinations: ids.overlayCidr };
    expect((await sb.run('ec2', 'start', rt, { ...onNode1(), OCF_RESOURCE_INSTANCE: 'rt2' })).code).toBe(0);
    const calls = lab.emu.calls.count();
    const noImds = {
      ...onNode1(),
      OCF_RESOURCE_INSTANCE: 'rt2',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: 'http://127.0.0.1:9',
      AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9',
    };
    expect((await sb.run('ec2', 'stop', rt, noImds)).code).toBe(0);
    expect(lab.emu.calls.count()).toBe(calls);
    expect((await sb.run('ec2', 'monitor', rt, { ...noImds, OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(7);
  }, 300_000);

  it('AWS unavailable during monitor is not a failure; during start it is 1, never 6 or 7', async () => {
    const sb = ocfSandbox();
    const rt = { scenario: 'route-table', destinations: ids.overlayCidr };
    const env = { ...onNode1(), OCF_RESOURCE_INSTANCE: 'rt3' };
    expect((await sb.run('ec2', 'start', rt, env)).code).toBe(0);
    const down = { ...env, AWS_ENDPOINT_URL_EC2: 'http://127.0.0.1:9', EC2_MAX_RETRY: '0' };
    const deep = { ...down, OCF_RESKEY_CRM_meta_interval: '10000', OCF_CHECK_LEVEL: '10' };
    expect((await sb.run('ec2', 'monitor', rt, deep)).code).toBe(0);
    expect((await sb.run('ec2', 'monitor', { ...rt, degraded_results: 'true' }, deep)).code).toBe(190);
    const s = await sb.run('ec2', 'start', rt, { ...down, OCF_RESOURCE_INSTANCE: 'rt4' });
    expect(s.code, s.stderr).toBe(1);
  }, 300_000);
});

describe('ocf:recovery-kit:route53 (AWS emulator)', () => {
  it('passes ocf-tester with the IP child given in the children parameter; the record holds the address', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.tester('route53', 'r53', { zone: 'example.com', host: 'app', ip: 'vip', children: 'vip:address=10.0.2.10/32' }, onNode1());
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    const zone = lab.emu.state.hostedZones.get(ids.hostedZones.public);
    expect(JSON.stringify(zone)).toContain('10.0.2.10');
  }, 300_000);

  it('a child not in children and no cluster to ask: start fails with 1 (retried, never 6) saying how to give it; stop is still 0', async () => {
    const sb = ocfSandbox();
    const p = { zone: 'example.com', host: 'app2', ip: 'nosuchvip' };
    const s = await sb.run('route53', 'start', p, onNode1());
    expect(s.code).toBe(1);
    expect(s.stderr).toMatch(/crm_resource --resource nosuchvip --get-parameter address failed \(exit 102\)/);
    expect(s.stderr).toMatch(/children=\\?"nosuchvip:address=<value>\\?"/);
    expect((await sb.run('route53', 'stop', p, onNode1())).code).toBe(0);
  }, 120_000);
});
