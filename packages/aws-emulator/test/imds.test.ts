import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { fromInstanceMetadata } from '@aws-sdk/credential-providers';
import { MetadataService } from '@aws-sdk/ec2-metadata-service';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type TwoAzLayoutIds, startEmulator, twoAzLayout } from '../src/index.ts';
import './helpers.ts';

let emu: Emulator;
let ids: TwoAzLayoutIds;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => emu.stop());
beforeEach(async () => {
  emu.reset();
  emu.config.imdsMaxTokenTtlSeconds = 21600;
  emu.config.imdsV1Allowed = false;
  emu.config.requireKnownAccessKey = false;
  const layout = twoAzLayout();
  ids = layout.ids;
  await emu.seed(layout.seed);
});
afterEach(() => {
  delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
});

async function token(base: string, ttl = '21600'): Promise<Response> {
  return fetch(`${base}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': ttl } });
}

async function get(base: string, path: string, tok?: string): Promise<{ status: number; text: string }> {
  const res = await fetch(`${base}${path}`, tok ? { headers: { 'x-aws-ec2-metadata-token': tok } } : {});
  return { status: res.status, text: await res.text() };
}

describe('IMDSv2 token flow', () => {
  it('serves one listener per instance with its own metadata', async () => {
    const u1 = emu.imdsUrlFor(ids.instances.node1);
    const u2 = emu.imdsUrlFor(ids.instances.node2);
    expect(u1).not.toBe(u2);
    expect(u1).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const t1 = await (await token(u1)).text();
    const t2 = await (await token(u2)).text();
    expect((await get(u1, '/latest/meta-data/instance-id', t1)).text).toBe(ids.instances.node1);
    expect((await get(u2, '/latest/meta-data/instance-id', t2)).text).toBe(ids.instances.node2);
    // A token is only valid on the instance that issued it.
    expect((await get(u2, '/latest/meta-data/instance-id', t1)).status).toBe(401);
    expect(() => emu.imdsUrlFor('i-0000000000000dead')).toThrow(/no IMDS listener/);
  });

  it('answers 401 without a token, 400 for bad TTLs, 405 for GET on the token path', async () => {
    const u = emu.imdsUrlFor(ids.instances.node1);
    expect((await get(u, '/latest/meta-data/instance-id')).status).toBe(401);
    expect((await get(u, '/latest/meta-data/instance-id', 'not-a-token')).status).toBe(401);
    expect((await token(u, '0')).status).toBe(400);
    expect((await token(u, '21601')).status).toBe(400);
    expect((await fetch(`${u}/latest/api/token`, { method: 'PUT' })).status).toBe(400);
    expect((await fetch(`${u}/latest/api/token`)).status).toBe(405);
    const res = await token(u, '60');
    expect(res.status).toBe(200);
    expect(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe('60');
  });

  it('serves IMDSv1 only when allowed', async () => {
    const u = emu.imdsUrlFor(ids.instances.node1);
    emu.config.imdsV1Allowed = true;
    expect((await get(u, '/latest/meta-data/instance-id')).text).toBe(ids.instances.node1);
  });

  it('expires tokens early: max TTL and expire-now', async () => {
    const u = emu.imdsUrlFor(ids.instances.node1);
    emu.config.imdsMaxTokenTtlSeconds = 1;
    const res = await token(u, '21600');
    expect(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds')).toBe('1');
    const short = await res.text();
    expect((await get(u, '/latest/meta-data/instance-id', short)).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1100));
    expect((await get(u, '/latest/meta-data/instance-id', short)).status).toBe(401);

    emu.config.imdsMaxTokenTtlSeconds = 21600;
    const long = await (await token(u)).text();
    expect((await get(u, '/latest/meta-data/mac', long)).status).toBe(200);
    expect(emu.imds.expireTokens()).toBe(1);
    expect((await get(u, '/latest/meta-data/mac', long)).status).toBe(401);
    // Refresh: a new token works again.
    const fresh = await (await token(u)).text();
    expect((await get(u, '/latest/meta-data/mac', fresh)).text).toBe(ids.macs.node1);
  });

  it('serves the metadata paths the kits read', async () => {
    const u = emu.imdsUrlFor(ids.instances.node1);
    const t = await (await token(u)).text();
    const m = async (p: string) => {
      const r = await get(u, p, t);
      expect(r.status, p).toBe(200);
      return r.text;
    };
    expect(await m('/latest/meta-data/mac')).toBe(ids.macs.node1);
    expect(await m('/latest/meta-data/local-ipv4')).toBe(ids.privateIps.node1);
    expect(await m('/latest/meta-data/public-ipv4')).toBe(ids.publicIp);
    expect(await m('/latest/meta-data/placement/availability-zone')).toBe('us-east-1a');
    expect(await m('/latest/meta-data/placement/region')).toBe('us-east-1');
    expect(await m('/latest/meta-data/network/interfaces/macs/')).toBe(`${ids.macs.node1}/`);
    const mac = `/latest/meta-data/network/interfaces/macs/${ids.macs.node1}`;
    expect(await m(`${mac}/interface-id`)).toBe(ids.enis.node1);
    expect(await m(`${mac}/vpc-id`)).toBe(ids.vpcId);
    expect(await m(`${mac}/subnet-id`)).toBe(ids.subnets.privateA);
    expect(await m(`${mac}/local-ipv4s`)).toBe(ids.privateIps.node1);
    expect(await m(`${mac}/device-number`)).toBe('0');
    expect((await m(`${mac}/`)).split('\n')).toContain('interface-id');
    expect((await m('/latest/meta-data/')).split('\n')).toEqual(expect.arrayContaining(['instance-id', 'mac', 'network/', 'placement/', 'iam/']));
    expect(await m('/latest/meta-data/iam/security-credentials/')).toBe('recovery-kit-node');
    const creds = JSON.parse(await m('/latest/meta-data/iam/security-credentials/recovery-kit-node'));
    expect(creds).toMatchObject({ Code: 'Success', Type: 'AWS-HMAC' });
    expect(creds.AccessKeyId).toMatch(/^ASIA/);
    expect(new Date(creds.Expiration).getTime()).toBeGreaterThan(Date.now());
    expect(typeof creds.SecretAccessKey).toBe('string');
    expect(typeof creds.Token).toBe('string');
    const doc = JSON.parse(await m('/latest/dynamic/instance-identity/document'));
    expect(doc).toMatchObject({ instanceId: ids.instances.node1, region: 'us-east-1', availabilityZone: 'us-east-1a', privateIp: ids.privateIps.node1 });
    expect((await get(u, '/latest/meta-data/no/such/path', t)).status).toBe(404);
    expect((await get(u, `${mac.replace(ids.macs.node1, '02:00:00:00:00:00')}/interface-id`, t)).status).toBe(404);
  });

  it('reflects EC2 changes live (EIP moved away)', async () => {
    const u = emu.imdsUrlFor(ids.instances.node1);
    const t = await (await token(u)).text();
    const found = emu.state.ec2('us-east-1').addresses.get(ids.allocationId);
    if (found) {
      delete found.associationId;
      delete found.networkInterfaceId;
      delete found.privateIpAddress;
    }
    expect((await get(u, '/latest/meta-data/public-ipv4', t)).status).toBe(404);
  });

  it('applies IMDS faults (per instance)', async () => {
    const u = emu.imdsUrlFor(ids.instances.node1);
    emu.faults.error('IMDS:PutToken', { count: 1, status: 500, instanceId: ids.instances.node1 });
    expect((await token(u)).status).toBe(500);
    expect((await token(u)).status).toBe(200);
    emu.faults.throttle('IMDS:GetMetadata', { count: 1 });
    const t = await (await token(u)).text();
    expect((await get(u, '/latest/meta-data/mac', t)).status).toBe(429);
    expect(emu.calls.count('IMDS:PutToken')).toBe(3);
    expect(emu.calls.list({ service: 'imds', instanceId: ids.instances.node1 }).length).toBe(4);
  });
});

describe('the SDK IMDS clients against the emulator', () => {
  it('fromInstanceMetadata reads the role credentials', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'false';
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.imdsUrlFor(ids.instances.node2);
    const creds = await fromInstanceMetadata({ timeout: 2000, maxRetries: 0 })();
    const served = emu.state.roleCredentials.get(ids.instances.node2);
    expect(creds.accessKeyId).toBe(served?.accessKeyId);
    expect(creds.secretAccessKey).toBe(served?.secretAccessKey);
    expect(creds.sessionToken).toBe(served?.token);
    expect(creds.expiration?.getTime()).toBe(served?.expiration.getTime());
    expect(emu.calls.byAction()).toMatchObject({ 'IMDS:PutToken': 1, 'IMDS:GetCredentials': 2 });
  });

  it('an EC2 client with the default chain uses IMDS credentials (known-key check on)', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'false';
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = emu.imdsUrlFor(ids.instances.node1);
    emu.config.requireKnownAccessKey = true;
    const c = new EC2Client({ region: 'us-east-1', endpoint: emu.endpoint });
    try {
      const out = await c.send(new DescribeInstancesCommand({ InstanceIds: [ids.instances.node1] }));
      expect(out.Reservations).toHaveLength(1);
      const call = emu.calls.list({ service: 'ec2' })[0];
      expect(call?.accessKeyId).toBe(emu.state.roleCredentials.get(ids.instances.node1)?.accessKeyId);
    } finally {
      c.destroy();
    }
  });

  it('MetadataService (IMDSv2) fetches tokens and metadata, and recovers after tokens expire', async () => {
    const svc = new MetadataService({ endpoint: emu.imdsUrlFor(ids.instances.node1), retries: 0 });
    expect(await svc.request('/latest/meta-data/instance-id', {})).toBe(ids.instances.node1);
    emu.imds.expireTokens();
    expect(await svc.request(`/latest/meta-data/network/interfaces/macs/${ids.macs.node1}/interface-id`, {})).toBe(ids.enis.node1);
    await expect(svc.request('/latest/meta-data/nothing-here', {})).rejects.toThrow(/404/);
  });
});
