import { DescribeRouteTablesCommand, EC2Client, ReplaceRouteCommand } from '@aws-sdk/client-ec2';
import { ListHostedZonesCommand } from '@aws-sdk/client-route-53';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type TwoAzLayoutIds, startEmulator, twoAzLayout } from '../src/index.ts';
import { ec2, failure, route53 } from './helpers.ts';

let emu: Emulator;
let ids: TwoAzLayoutIds;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => emu.stop());
beforeEach(async () => {
  emu.reset();
  emu.config.requireKnownAccessKey = false;
  const layout = twoAzLayout();
  ids = layout.ids;
  await emu.seed(layout.seed);
});

function describeRt(c: EC2Client) {
  return c.send(new DescribeRouteTablesCommand({ RouteTableIds: [ids.routeTables.privateA] }));
}

describe('throttling', () => {
  it('is retried by the SDK standard retry strategy', async () => {
    const c = ec2(emu);
    try {
      emu.faults.throttle('DescribeRouteTables', { count: 2 });
      const out = await describeRt(c);
      expect(out.RouteTables).toHaveLength(1);
      expect(out.$metadata.attempts).toBe(3);
      expect(emu.calls.count('DescribeRouteTables')).toBe(3);
      const faulted = emu.calls.list({ action: 'DescribeRouteTables', ok: false });
      expect(faulted.map((r) => [r.status, r.errorCode, r.fault])).toEqual([
        [503, 'RequestLimitExceeded', 'throttle'],
        [503, 'RequestLimitExceeded', 'throttle'],
      ]);
      expect(emu.faults.list()).toEqual([]);
    } finally {
      c.destroy();
    }
  });

  it('surfaces RequestLimitExceeded (503) with maxAttempts 1', async () => {
    const c = ec2(emu, 'us-east-1', { maxAttempts: 1 });
    try {
      emu.faults.throttle('ReplaceRoute');
      const err = await failure(
        c.send(new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: ids.overlayCidr, NetworkInterfaceId: ids.enis.node2 })),
      );
      expect(err.name).toBe('RequestLimitExceeded');
      expect(err.$metadata.httpStatusCode).toBe(503);
      // Other actions are not affected.
      await describeRt(c);
    } finally {
      c.destroy();
    }
  });

  it('exhausts the default 3 attempts when every call is throttled', async () => {
    const c = ec2(emu);
    try {
      emu.faults.throttle('*', { service: 'ec2' });
      const err = await failure(describeRt(c));
      expect(err.name).toBe('RequestLimitExceeded');
      expect(err.$metadata.attempts).toBe(3);
    } finally {
      c.destroy();
    }
  });

  it('Route53 throttling uses Route53 error XML (400 Throttling) and is retried', async () => {
    const c = route53(emu, { maxAttempts: 1 });
    const retrying = route53(emu);
    try {
      emu.faults.throttle('ListHostedZones', { count: 1 });
      const err = await failure(c.send(new ListHostedZonesCommand({})));
      expect(err.name).toBe('Throttling');
      expect(err.$metadata.httpStatusCode).toBe(400);
      expect(err.message).toBe('Rate exceeded');
      emu.faults.throttle('ListHostedZones', { count: 1 });
      const ok = await retrying.send(new ListHostedZonesCommand({}));
      expect(ok.$metadata.attempts).toBe(2);
    } finally {
      c.destroy();
      retrying.destroy();
    }
  });

  it('supports probabilities and region scoping', async () => {
    const c = ec2(emu, 'us-east-1', { maxAttempts: 1 });
    try {
      emu.faults.random = () => 0.9;
      emu.faults.throttle('DescribeRouteTables', { probability: 0.5 });
      await describeRt(c); // 0.9 >= 0.5: not fired
      emu.faults.random = () => 0.1;
      expect((await failure(describeRt(c))).name).toBe('RequestLimitExceeded');
      emu.faults.clear();
      emu.faults.random = Math.random;
      emu.faults.throttle('*', { region: 'eu-west-1' });
      await describeRt(c);
    } finally {
      c.destroy();
    }
  });
});

describe('server errors, dropped connections, latency', () => {
  it('retries a 500 InternalError and surfaces it with maxAttempts 1', async () => {
    const c = ec2(emu);
    const once = ec2(emu, 'us-east-1', { maxAttempts: 1 });
    try {
      emu.faults.error('DescribeRouteTables', { count: 1 });
      const out = await describeRt(c);
      expect(out.$metadata.attempts).toBe(2);
      emu.faults.error('DescribeRouteTables', { count: 1, status: 503, code: 'Unavailable' });
      const err = await failure(describeRt(once));
      expect(err.name).toBe('Unavailable');
      expect(err.$metadata.httpStatusCode).toBe(503);
      emu.faults.error('DescribeRouteTables', { count: 1 });
      const err500 = await failure(describeRt(once));
      expect(err500.name).toBe('InternalError');
      expect(err500.$fault).toBe('server');
    } finally {
      c.destroy();
      once.destroy();
    }
  });

  it('drops connections without an answer', async () => {
    const c = ec2(emu);
    const once = ec2(emu, 'us-east-1', { maxAttempts: 1 });
    try {
      emu.faults.drop('DescribeRouteTables', { count: 1 });
      const out = await describeRt(c);
      expect(out.$metadata.attempts).toBe(2);
      emu.faults.drop('DescribeRouteTables', { count: 1 });
      const err = await failure(describeRt(once));
      expect(err.code ?? err.name).toMatch(/ECONNRESET|socket hang up|EPIPE/i);
      expect(emu.calls.list({ ok: false }).some((r) => r.fault === 'drop' && r.status === 0)).toBe(true);
    } finally {
      c.destroy();
      once.destroy();
    }
  });

  it('adds latency (composable with other faults)', async () => {
    const c = ec2(emu);
    try {
      emu.faults.latency('DescribeRouteTables', 300, { count: 1 });
      const t0 = Date.now();
      await describeRt(c);
      expect(Date.now() - t0).toBeGreaterThanOrEqual(290);
      const t1 = Date.now();
      await describeRt(c);
      expect(Date.now() - t1).toBeLessThan(250);
      // SDK client-side timeouts see the latency as a timeout.
      const impatient = new EC2Client({
        region: 'us-east-1',
        endpoint: emu.endpoint,
        credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' },
        maxAttempts: 1,
        requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true },
      });
      emu.faults.latency('DescribeRouteTables', 400, { count: 1 });
      const err = await failure(describeRt(impatient));
      expect(err.name).toMatch(/TimeoutError/);
      impatient.destroy();
    } finally {
      c.destroy();
    }
  });

  it('skip lets the first N calls through', async () => {
    const c = ec2(emu, 'us-east-1', { maxAttempts: 1 });
    try {
      emu.faults.error('DescribeRouteTables', { skip: 1, count: 1 });
      await describeRt(c);
      await failure(describeRt(c));
      await describeRt(c);
    } finally {
      c.destroy();
    }
  });
});

describe('authorization faults', () => {
  it('UnauthorizedOperation (403) for one action', async () => {
    const c = ec2(emu);
    try {
      emu.faults.unauthorized('ReplaceRoute');
      const err = await failure(
        c.send(new ReplaceRouteCommand({ RouteTableId: ids.routeTables.privateA, DestinationCidrBlock: ids.overlayCidr, NetworkInterfaceId: ids.enis.node2 })),
      );
      expect(err.name).toBe('UnauthorizedOperation');
      expect(err.$metadata.httpStatusCode).toBe(403);
      expect(err.$metadata.attempts).toBe(1);
    } finally {
      c.destroy();
    }
  });

  it('rejects unknown access keys when requireKnownAccessKey is on', async () => {
    const c = ec2(emu);
    const r = route53(emu);
    try {
      emu.config.requireKnownAccessKey = true;
      const err = await failure(describeRt(c));
      expect(err.name).toBe('AuthFailure');
      expect(err.$metadata.httpStatusCode).toBe(401);
      const rerr = await failure(r.send(new ListHostedZonesCommand({})));
      expect(rerr.name).toBe('InvalidClientTokenId');
      emu.state.knownAccessKeys.add('AKIDEXAMPLE');
      await describeRt(c);
      await r.send(new ListHostedZonesCommand({}));
      // The secret never reaches the call log.
      expect(JSON.stringify(emu.calls.list())).not.toContain('test-secret');
    } finally {
      c.destroy();
      r.destroy();
    }
  });
});
