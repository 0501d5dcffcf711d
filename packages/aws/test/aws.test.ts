/**
 * @recovery-kit/aws against the AWS emulator, through the real AWS SDK: client reuse, retries with
 * backoff on throttling and 5xx, request timeouts that throw, error mapping (exit codes, IAM action
 * names, ids), IMDSv2 (token cache, renewal on 401, retries, disabled) and shared reads.
 */
import { DescribeRouteTablesCommand, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { ExitCode } from '@recovery-kit/sdk';
import { startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  awsCall,
  awsTunables,
  clientOptionsFrom,
  ImdsClient,
  imds,
  isAwsUnavailable,
  mapAwsError,
  sdkClientConfig,
  sharedRead,
  clearSharedReads,
} from '../src/index.ts';
import { ec2Client, ec2ClientCount } from '../src/ec2.ts';
import { route53Client } from '../src/route53.ts';
import { kitErrorOf } from '@recovery-kit/testing';
import { applyEnv, hermetic } from './helpers.ts';

hermetic();
const { seed, ids } = twoAzLayout();
let emu: Emulator;

beforeAll(async () => {
  emu = await startEmulator({ seed });
  applyEnv(emu.env()); // static test credentials, AWS_EC2_METADATA_DISABLED=true, endpoints
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(() => {
  emu.faults.clear();
  emu.calls.reset();
  emu.config.baseLatencyMs = 0;
});

const failure = kitErrorOf;

const describeTables = (maxRetries = 3, extra: { requestTimeoutMs?: number } = {}) =>
  awsCall({ service: 'ec2', action: 'DescribeRouteTables' }, undefined, (abortSignal) =>
    ec2Client({ region: ids.region, maxRetries, ...extra }).send(new DescribeRouteTablesCommand({ Filters: [{ Name: 'vpc-id', Values: [ids.vpcId] }] }), {
      abortSignal,
    }),
  );

describe('client factory', () => {
  it('builds one client per region and configuration, reused', () => {
    const before = ec2ClientCount();
    const a = ec2Client({ region: 'us-east-1' });
    expect(ec2Client({ region: 'us-east-1' })).toBe(a);
    expect(ec2Client({ region: 'eu-west-1' })).not.toBe(a);
    expect(ec2ClientCount()).toBe(before + (before === 0 ? 2 : ec2ClientCount() - before));
    expect(route53Client()).toBe(route53Client());
  });

  it('uses standard retries, EC2_MAX_RETRY + 1 attempts, timeouts that throw', () => {
    const c = sdkClientConfig({ region: 'us-east-1', maxRetries: 5 });
    expect(c).toMatchObject({
      maxAttempts: 6,
      retryMode: 'standard',
      requestHandler: { throwOnRequestTimeout: true, connectionTimeout: 5000, requestTimeout: 20000 },
    });
    const specs = awsTunables('EC2');
    expect(Object.keys(specs)).toEqual(['EC2_MAX_RETRY', 'EC2_CONNECT_TIMEOUT', 'EC2_REQUEST_TIMEOUT']);
    const t = { int: (n: string) => ({ EC2_MAX_RETRY: 1, EC2_CONNECT_TIMEOUT: 2, EC2_REQUEST_TIMEOUT: 3 })[n]! } as never;
    expect(clientOptionsFrom(t, 'EC2', 'us-west-2')).toEqual({ region: 'us-west-2', maxRetries: 1, connectTimeoutMs: 2000, requestTimeoutMs: 3000 });
  });
});

describe('Node version', () => {
  it.skipIf(Number(process.versions.node.split('.')[0]) < 22)('on Node 22+ a client is built without any warning, so there is nothing to hide', async () => {
    const saved = process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    delete process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED;
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(`${w.name}: ${w.message}`);
    process.on('warning', onWarning);
    try {
      const { EC2Client } = await import('@aws-sdk/client-ec2');
      new EC2Client(sdkClientConfig({ region: 'us-east-1', maxRetries: 1 })).destroy();
      await new Promise((r) => setImmediate(r));
      expect(warnings).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      if (saved !== undefined) process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = saved;
    }
  });
});

describe('retries and error mapping (real SDK, emulator)', () => {
  it('retries throttling and 5xx with backoff, then succeeds', async () => {
    emu.faults.throttle('DescribeRouteTables', { count: 2 });
    const out = await describeTables();
    expect(out.RouteTables).toHaveLength(3);
    expect(emu.calls.count('DescribeRouteTables')).toBe(3);
    emu.faults.error('DescribeRouteTables', { count: 1, status: 503 });
    emu.faults.error('DescribeRouteTables', { count: 1 });
    await describeTables();
    expect(emu.calls.count('DescribeRouteTables')).toBe(6);
  });

  it('gives up after EC2_MAX_RETRY retries with a retryable AWS_UNAVAILABLE error (exit 1)', async () => {
    emu.faults.throttle('DescribeRouteTables', { count: 10 });
    const e = await failure(describeTables(1));
    expect(emu.calls.count('DescribeRouteTables')).toBe(2);
    expect(e.code).toBe('AWS_UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(e.exitCode).toBe(ExitCode.FAILED);
    expect(e.message).toMatch(/RequestLimitExceeded/);
    expect(isAwsUnavailable(e)).toBe(true);
  });

  it('a request that takes longer than the request timeout throws and is retried', async () => {
    emu.faults.latency('DescribeRouteTables', 1500, { count: 1 });
    const started = Date.now();
    await describeTables(2, { requestTimeoutMs: 300 });
    expect(Date.now() - started).toBeLessThan(1500);
    // (the emulator logs the slow call when its delayed answer is written, after the retry answered)
    await new Promise((r) => setTimeout(r, 1600));
    expect(emu.calls.count('DescribeRouteTables')).toBe(2);
    emu.faults.latency('DescribeRouteTables', 1500, { count: 5 });
    const e = await failure(describeTables(1, { requestTimeoutMs: 300 }));
    expect(e.code).toBe('AWS_UNAVAILABLE');
    expect(e.message).toMatch(/TimeoutError|timed? ?out/i);
  });

  it('UnauthorizedOperation is a PermissionError (exit 4) naming the IAM action', async () => {
    emu.faults.unauthorized('ReplaceRoute', { count: 1 });
    const e = await failure(
      awsCall({ service: 'ec2', action: 'ReplaceRoute', subject: `route table ${ids.routeTables.privateA}` }, undefined, (abortSignal) =>
        ec2Client({ region: ids.region }).send(
          new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: ids.overlayCidr, NetworkInterfaceId: ids.enis.node2 }),
          { abortSignal },
        ),
      ),
    );
    expect(e.exitCode).toBe(ExitCode.PERMISSION);
    expect(e.message).toMatch(/ReplaceRoute.*denied.*UnauthorizedOperation/);
    expect(e.fix).toMatch(/allow ec2:ReplaceRoute/);
  });

  it('a NotFound answer is a ConfigError (exit 6) with the id, or an ActionFailedError when asked', async () => {
    const call = (notFound?: 'failed') =>
      awsCall({ service: 'ec2', action: 'DescribeRouteTables', field: 'routeTables', ...(notFound ? { notFound } : {}) }, undefined, (abortSignal) =>
        ec2Client({ region: ids.region }).send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0123456789abcdef0'] }), { abortSignal }),
      );
    const e = await failure(call());
    expect(e.exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(e.message).toMatch(/rtb-0123456789abcdef0/);
    expect(e.details?.awsCode).toBe('InvalidRouteTableID.NotFound');
    expect(e.field).toBe('routeTables');
    const f = await failure(call('failed'));
    expect(f.exitCode).toBe(ExitCode.FAILED);
    expect(f.code).toBe('AWS_NOT_FOUND');
  });

  it('no credentials is a PermissionError with a fix that never asks for keys in options', async () => {
    const saved = { ...process.env };
    delete process.env.AWS_ACCESS_KEY_ID;
    delete process.env.AWS_SECRET_ACCESS_KEY;
    try {
      const e = await failure(describeTables(0, { requestTimeoutMs: 1999 }));
      expect(e.exitCode).toBe(ExitCode.PERMISSION);
      expect(e.message).toMatch(/no AWS credentials/);
      expect(e.fix).toMatch(/IAM role/);
    } finally {
      Object.assign(process.env, saved);
    }
  });

  it('an aborted action reports the abort reason', async () => {
    emu.faults.latency('DescribeRouteTables', 2000, { count: 1 });
    const controller = new AbortController();
    setTimeout(() => controller.abort(new Error('deadline')), 100);
    const p = awsCall({ service: 'ec2', action: 'DescribeRouteTables' }, controller.signal, (abortSignal) =>
      ec2Client({ region: ids.region }).send(new DescribeRouteTablesCommand({}), { abortSignal }),
    );
    const e = await failure(p);
    expect(e.code).toBe('TIMEOUT');
  });

  it('maps network errors and plain 5xx shapes', () => {
    expect(mapAwsError(Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), { service: 'ec2', action: 'X' }).code).toBe('AWS_UNAVAILABLE');
    expect(mapAwsError({ name: 'Weird', message: 'x', $metadata: { httpStatusCode: 502 } }, { service: 'ec2', action: 'X' }).retryable).toBe(true);
    expect(mapAwsError({ name: 'Resource.AlreadyAssociated', message: 'x', $metadata: { httpStatusCode: 400 } }, { service: 'ec2', action: 'X' }).code).toBe(
      'AWS_ERROR',
    );
  });
});

describe('IMDSv2 client', () => {
  it('reads the identity with one token, cached', async () => {
    const c = new ImdsClient({ endpoint: emu.imdsUrlFor(ids.instances.node1) });
    process.env.AWS_EC2_METADATA_DISABLED = 'false';
    const id = await c.identity();
    expect(id).toEqual({
      instanceId: ids.instances.node1,
      region: ids.region,
      availabilityZone: ids.availabilityZones[0],
      mac: ids.macs.node1,
      eniId: ids.enis.node1,
      vpcId: ids.vpcId,
      subnetId: ids.subnets.privateA,
      privateIp: ids.privateIps.node1,
    });
    await c.identity();
    expect(await c.eniForMac(ids.macs.node1)).toBe(ids.enis.node1);
    expect(await c.macs()).toEqual([ids.macs.node1]);
    expect(c.tokenRequests).toBe(1);
    expect(emu.calls.count('IMDS:PutToken')).toBe(1);
  });

  it('renews the token on a 401 (expired token) and when its TTL passes', async () => {
    const c = new ImdsClient({ endpoint: emu.imdsUrlFor(ids.instances.node2), tokenTtlSeconds: 60 });
    process.env.AWS_EC2_METADATA_DISABLED = 'false';
    expect(await c.get('meta-data/instance-id')).toBe(ids.instances.node2);
    emu.imds.expireTokens(ids.instances.node2);
    expect(await c.get('meta-data/instance-id')).toBe(ids.instances.node2);
    expect(c.tokenRequests).toBe(2);
    expect(emu.calls.list({ action: 'IMDS:GetMetadata' }).map((r) => r.status)).toEqual([200, 401, 200]);
    // A server that grants only 1 s: the client asks for a new token before using an expired one.
    emu.config.imdsMaxTokenTtlSeconds = 1;
    try {
      const d = new ImdsClient({ endpoint: emu.imdsUrlFor(ids.instances.node2) });
      await d.get('meta-data/instance-id');
      await new Promise((r) => setTimeout(r, 1100));
      await d.get('meta-data/instance-id');
      expect(d.tokenRequests).toBe(2);
    } finally {
      emu.config.imdsMaxTokenTtlSeconds = 21600;
    }
  });

  it('retries 5xx and throttling from IMDS; unreachable IMDS is IMDS_UNAVAILABLE without the token in the message', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'false';
    emu.faults.add({ kind: 'error', service: 'imds', action: 'IMDS:GetMetadata', count: 2 });
    const c = new ImdsClient({ endpoint: emu.imdsUrlFor(ids.instances.node1) });
    expect(await c.get('meta-data/instance-id')).toBe(ids.instances.node1);
    const dead = new ImdsClient({ endpoint: 'http://127.0.0.1:9', timeoutMs: 200, retries: 1 });
    const e = await failure(dead.get('meta-data/instance-id'));
    expect(e.code).toBe('IMDS_UNAVAILABLE');
    expect(e.retryable).toBe(true);
    expect(e.message).not.toMatch(/token:/i);
  });

  it('AWS_EC2_METADATA_DISABLED=true is a ConfigError telling which options to give', async () => {
    process.env.AWS_EC2_METADATA_DISABLED = 'true';
    const e = await failure(new ImdsClient({ endpoint: emu.imdsUrlFor(ids.instances.node1) }).identity());
    expect(e.exitCode).toBe(ExitCode.INVALID_CONFIG);
    expect(e.fix).toMatch(/eni/);
  });

  it('the endpoint comes from AWS_EC2_METADATA_SERVICE_ENDPOINT; the process-wide client is shared', () => {
    process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT = `${emu.imdsUrlFor(ids.instances.node1)}/`;
    try {
      expect(imds().endpoint).toBe(emu.imdsUrlFor(ids.instances.node1));
      expect(imds()).toBe(imds());
    } finally {
      delete process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT;
    }
  });
});

describe('shared reads', () => {
  it('concurrent callers share one load; later callers within the TTL get the cached answer; failures are not kept', async () => {
    clearSharedReads();
    let n = 0;
    const load = async () => {
      n++;
      await new Promise((r) => setTimeout(r, 20));
      return n;
    };
    const all = await Promise.all(Array.from({ length: 16 }, () => sharedRead('k', 1000, load)));
    expect(new Set(all)).toEqual(new Set([1]));
    expect(await sharedRead('k', 1000, load)).toBe(1);
    expect(await sharedRead('k', 0, load)).toBe(2);
    await expect(sharedRead('bad', 1000, () => Promise.reject(new Error('x')))).rejects.toThrow('x');
    expect(await sharedRead('bad', 1000, async () => 7)).toBe(7);
  });
});
