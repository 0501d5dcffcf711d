/**
 * The Route53 kit's actions called directly (createTestContext) against the AWS emulator through
 * the real AWS SDK and the kit's real client factory (@recovery-kit/aws, endpoint from the
 * environment), plus KitTester conformance. The kit-runner tests are in cli.test.ts.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { startEmulator, type Emulator } from '@recovery-kit/aws-emulator';
import type { DependencyView, QuickCheckResult } from '@recovery-kit/sdk';
import { createTestContext, kitErrorOf, KitTester, type TestContextOptions } from '@recovery-kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { findZone } from '../src/actions.ts';
import { pollSchedule } from '../src/api.ts';
import kit from '../src/index.ts';
import type { Route53Options } from '../src/options.ts';
import { directClient, recordValues, setRecord, ZONES, zonesSeed } from './helpers.ts';

let emu: Emulator;
let direct: Route53Client;

beforeAll(async () => {
  emu = await startEmulator({ route53ChangeDelayMs: 0 });
  // The kit builds its client from the environment, as under kit-runner.
  Object.assign(process.env, emu.env());
  direct = directClient(emu);
});
afterAll(async () => {
  direct?.destroy();
  await emu?.stop();
});
beforeEach(async () => {
  emu.reset();
  emu.config.route53ChangeDelayMs = 0;
  emu.config.route53RejectWhilePending = false;
  await emu.seed(zonesSeed());
});

/** Fast tunables: no SDK retries (the kit's own tries are under test), short intervals. */
const FAST = {
  ROUTE53_MAX_RETRY: 0,
  ROUTE53_RECORD_INTERVAL: 0.05,
  ROUTE53_RECORDCHECK_INTERVAL: 0.05,
  ROUTE53_CHANGEID_INTERVAL: 0.2,
  ROUTE53_CHANGEID_FIRST_INTERVAL: 0.05,
};

const ipChild = (address: string, tag = 'ip-route53', kitType = 'ip'): DependencyView => ({ tag, kitType, options: { address }, info: {}, state: 'ISP' });

const BASE = { zone: 'example.com', zoneId: ZONES.public, host: 'www', ip: 'ip-route53' };

function ctxFor(action: string, o: Partial<TestContextOptions> & { address?: string } = {}) {
  return createTestContext(kit, {
    tag: 'route53-www',
    action,
    server: 'node-a',
    children: [ipChild(o.address ?? '10.1.0.10/32')],
    info: { zoneId: ZONES.public, zoneName: 'example.com.' },
    ...o,
    options: { ...BASE, ...(o.options ?? {}) },
    tunables: { ...FAST, ...(o.tunables ?? {}) },
  });
}

async function run<R = void>(
  action: 'create' | 'restore' | 'recover' | 'remove' | 'quickCheck' | 'extend',
  o: Parameters<typeof ctxFor>[1] = {},
): Promise<{ result: R; logs: string[] }> {
  const ctx = ctxFor(action, o);
  try {
    const result = (await (kit.actions[action] as unknown as (c: typeof ctx) => Promise<R>)(ctx)) as R;
    return { result, logs: ctx.logs.map((l) => `${l.level}: ${l.message}`) };
  } finally {
    ctx.dispose();
  }
}

const failure = kitErrorOf;

const count = (action: string) => emu.calls.count(action);

describe('create', () => {
  it('lists the zones, finds the zone by name (any case, trailing dot), records the zone id and asks for the IP child', async () => {
    const { result, logs } = await run<{ options: Route53Options; info: Record<string, unknown>; children: unknown[] }>('create', {
      options: { zone: 'Example.COM.', zoneId: undefined },
    });
    expect(result.options).toMatchObject({ zone: 'example.com', zoneId: ZONES.public, host: 'www', ip: 'ip-route53' });
    expect(result.info).toMatchObject({ zoneId: ZONES.public, zoneName: 'example.com.', privateZone: false, fqdn: 'www.example.com.' });
    expect(result.children).toEqual([{ kitType: 'ip', tag: 'ip-route53', options: {}, existing: true }]);
    expect(logs.join('\n')).toMatch(
      /hosted zones of the account: example\.com\. \(Z0R53PUBLIC000000001, public\), internal\.example\.com\. \(Z0R53PRIVATE00000002, private\)/,
    );
    // The result must be valid options for the schema (the runner parses them again).
    expect(kit.options.check(result.options as never).ok).toBe(true);
  });

  it('accepts the zone by id, and a private zone', async () => {
    const byId = await run<{ options: Route53Options; info: Record<string, unknown> }>('create', { options: { zone: ZONES.private, zoneId: undefined } });
    expect(byId.result.options).toMatchObject({ zone: 'internal.example.com', zoneId: ZONES.private });
    expect(byId.result.info.privateZone).toBe(true);
  });

  it('an unknown zone fails with the list of zones and a did-you-mean', async () => {
    const e = await failure(run('create', { options: { zone: 'exampel.com', zoneId: undefined } }));
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(
      /hosted zone exampel\.com\. not found; the account's hosted zones: example\.com\. \(Z0R53PUBLIC000000001, public\), internal\.example\.com\./,
    );
    expect(e.fix).toMatch(/did you mean --opt zone=example\.com\?/);
    expect(count('ChangeResourceRecordSets')).toBe(0);
  });

  it('a name held by a public and a private zone needs the zone id', async () => {
    const e = await failure(run('create', { options: { zone: 'corp.example.net', zoneId: undefined } }));
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(/2 hosted zones are named corp\.example\.net\./);
    expect(e.fix).toMatch(/--opt zoneId=Z0R53SPLITPUB0000003/);
    const ok = await run<{ options: Route53Options; info: Record<string, unknown> }>('create', {
      options: { zone: 'corp.example.net', zoneId: ZONES.splitPrivate },
    });
    expect(ok.result.info).toMatchObject({ zoneId: ZONES.splitPrivate, privateZone: true });
  });

  it('accepts hosted zone ids the API returns whatever their shape (the model: a string of at most 32 characters), with or without /hostedzone/', async () => {
    // Ids without the usual Z prefix, as the API can return them (ResourceId has no pattern).
    const odd = ['0A1B2C3D4E5F6G7H8I9J', 'hz-0123abcd', 'Q'.repeat(32)];
    await emu.seed({ hostedZones: odd.map((id, i) => ({ id, name: `odd${i}.example.org` })) });
    for (const [i, id] of odd.entries()) {
      const byName = await run<{ options: Route53Options; info: Record<string, unknown> }>('create', {
        options: { zone: `odd${i}.example.org`, zoneId: undefined },
      });
      expect(byName.result.options.zoneId).toBe(id);
      expect(kit.options.check({ ...byName.result.options }).ok).toBe(true);
      for (const given of [id, `/hostedzone/${id}`]) {
        const c = await run<{ info: Record<string, unknown> }>('create', { options: { zone: `odd${i}.example.org`, zoneId: given } });
        expect(c.result.info).toMatchObject({ zoneId: id, zoneName: `odd${i}.example.org.` });
      }
      await run('restore', { options: { zone: `odd${i}.example.org`, zoneId: id }, info: { zoneId: id, zoneName: `odd${i}.example.org.` } });
      expect(await recordValues(direct, id, `www.odd${i}.example.org`)).toMatchObject({ values: ['10.1.0.10'] });
    }
    // The zone option takes an odd id with the prefix the API puts in front of it.
    const prefixed = await run<{ options: Route53Options }>('create', { options: { zone: `/hostedzone/${odd[1]}`, zoneId: undefined } });
    expect(prefixed.result.options).toMatchObject({ zone: 'odd1.example.org', zoneId: odd[1] });
  });

  it('a zone id of another zone is refused', async () => {
    const e = await failure(run('create', { options: { zone: 'example.com', zoneId: ZONES.private } }));
    expect(e.message).toMatch(/hosted zone Z0R53PRIVATE00000002 is internal\.example\.com\., not example\.com\./);
  });

  it('the account answering AccessDenied is a permission error naming the IAM actions (exit 4)', async () => {
    emu.faults.unauthorized('ListHostedZones', { count: 1 });
    const e = await failure(run('create', { options: { zoneId: undefined } }));
    expect(e.exitCode).toBe(4);
    expect(e.message).toMatch(/ListHostedZones/);
    expect(e.fix).toMatch(/route53:ListHostedZones, route53:ListResourceRecordSets, route53:ChangeResourceRecordSets, route53:GetChange/);
  });

  it('the ip option must not name the resource itself', async () => {
    const e = await failure(run('create', { tag: 'route53-www', options: { ip: 'route53-www' } }));
    expect(e.exitCode).toBe(6);
  });
});

describe('option schema', () => {
  const check = (raw: Record<string, string>) => kit.options.check({ ...BASE, zoneId: undefined, ...raw });
  it.each([
    ['www.example.com', /looks like a fully qualified name/, /use host=www and zone=example\.com/],
    ['www.example.com.', /looks like a fully qualified name/, /use host=www and zone=example\.com/],
    ['-www', /is not a valid host name/, /letters, digits/],
    ['w_w', /is not a valid host name/, /letters, digits/],
    ['*', /wildcard/, /host name/],
  ])('host %s is refused', (host, message, fix) => {
    const r = check({ host });
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues[0]!.field).toBe('host');
      expect(r.issues[0]!.message).toMatch(message);
      expect(r.issues[0]!.fix).toMatch(fix);
    }
  });
  it('zone, ip and host are required; a bad zone id is refused', () => {
    const r = kit.options.check({});
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.issues.map((i) => i.field).sort()).toEqual(['host', 'ip', 'zone']);
    // The API model allows any string of at most 32 characters ('zone-1' is one): refused are
    // the values no id can be (too long, a "/" or white space inside, empty after the prefix).
    for (const zoneId of ['Z'.repeat(33), 'zone/1', 'Z123 456', '/hostedzone/', '/hostedzone/Z1/x']) {
      const z = check({ zoneId });
      expect(z.ok, zoneId).toBe(false);
      if (!z.ok) expect(z.issues[0]!.field).toBe('zoneId');
    }
  });
  it('findZone: an account without zones says so', () => {
    expect(() => findZone([], 'example.com', undefined)).toThrow(/\(none: the account has no hosted zones\)/);
  });
});

describe('restore', () => {
  it('UPSERTs the A record, waits for INSYNC, reads it back; a second restore changes nothing', async () => {
    const first = await run('restore');
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 10 });
    expect(count('ChangeResourceRecordSets')).toBe(1);
    expect(count('GetChange')).toBeGreaterThanOrEqual(1);
    expect(count('ListHostedZones')).toBe(0); // the zone id recorded at create is used
    expect(first.logs.join('\n')).toMatch(/www\.example\.com\. A 10\.1\.0\.10: change \/change\/\S+ INSYNC after/);

    emu.calls.reset();
    const again = await run('restore');
    expect(count('ChangeResourceRecordSets')).toBe(0);
    expect(count('ListResourceRecordSets')).toBe(1);
    expect(again.logs.join('\n')).toMatch(/already holds 10\.1\.0\.10 \(TTL 10, the address of ip-route53 on node-a\): nothing to change/);
  });

  it("switches the record to the other server's address (cross-region) and honours ttl / ROUTE53_TTL", async () => {
    await run('restore');
    await run('restore', { server: 'node-b', address: '10.2.0.10/32', tunables: { ROUTE53_TTL: 30 } });
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.2.0.10'], ttl: 30 });
    await run('restore', { options: { ttl: '60' } });
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 60 });
  });

  it('an IPv6 child gets an AAAA record', async () => {
    await run('restore', { address: 'fd00:db8:1::10/64' });
    expect(await recordValues(direct, ZONES.public, 'www.example.com', 'AAAA')).toEqual({ values: ['fd00:db8:1::10'], ttl: 10 });
    emu.calls.reset();
    await run('restore', { address: 'FD00:0DB8:0001:0000:0000:0000:0000:0010/64' });
    expect(count('ChangeResourceRecordSets')).toBe(0);
  });

  it('a private zone works the same', async () => {
    await run('restore', { options: { zone: 'internal.example.com', zoneId: ZONES.private, host: 'db' }, info: {} });
    expect(await recordValues(direct, ZONES.private, 'db.internal.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 10 });
  });

  it('a change still PENDING when the wait runs out fails plainly; the next restore succeeds without a new change', async () => {
    emu.config.route53ChangeDelayMs = 10_000;
    const tunables = { ROUTE53_CHANGEID_INTERVAL: 0.4, ROUTE53_CHANGEID_TRY_COUNT: 2 };
    const t0 = Date.now();
    const e = await failure(run('restore', { tunables }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.code).toBe('ROUTE53_CHANGE_PENDING');
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(
      /Route 53 accepted the change of www\.example\.com\. A to 10\.1\.0\.10 \(change \/change\/\S+\), but it was still PENDING after 0\.\d s and \d GetChange polls: the record already holds the new value; its propagation to Route 53's DNS servers is slow$/,
    );
    expect(e.fix).toMatch(/run the restore again .* succeeds without a new change.*raise ROUTE53_CHANGEID_TRY_COUNT \(now 2\)/);
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 10 });
    expect(count('ChangeResourceRecordSets')).toBe(1);

    await run('restore', { tunables });
    expect(count('ChangeResourceRecordSets')).toBe(1);
  });

  it("the wait stops before the action's own deadline, and says the time limit cut it short", async () => {
    emu.config.route53ChangeDelayMs = 60_000;
    const t0 = Date.now();
    const e = await failure(run('restore', { timeoutMs: 3000, tunables: { ROUTE53_CHANGEID_INTERVAL: 1, ROUTE53_CHANGEID_TRY_COUNT: 100 } }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.code).toBe('ROUTE53_CHANGE_PENDING');
    expect(e.message).toMatch(/the action's time limit, RESTORE_TIMEOUT, cut the wait short/);
  });

  it('retries a throttled change ROUTE53_RECORD_TRY_COUNT times, then fails with the API message and a fix', async () => {
    emu.faults.throttle('ChangeResourceRecordSets', { count: 2 });
    const ok = await run('restore');
    expect(count('ChangeResourceRecordSets')).toBe(3);
    expect(ok.logs.filter((l) => /^warn: .*Throttling.*trying again in 0\.05 s \(try \d of 3\)/.test(l))).toHaveLength(2);
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 10 });

    emu.calls.reset();
    emu.faults.throttle('ChangeResourceRecordSets', { count: 100 });
    const e = await failure(run('restore', { address: '10.2.0.10/32' }));
    expect(count('ChangeResourceRecordSets')).toBe(3);
    expect(e.code).toBe('AWS_THROTTLED');
    expect(e.message).toMatch(/ChangeResourceRecordSets .*Throttling.*\(gave up after 3 tries 0\.05 s apart\)/);
    expect(e.fix).toMatch(/5 requests per second.*ROUTE53_RECORD_INTERVAL \/ ROUTE53_RECORD_TRY_COUNT/);
  });

  it("the SDK's own retries (ROUTE53_MAX_RETRY) come first: two throttles are absorbed in one try", async () => {
    emu.faults.throttle('ChangeResourceRecordSets', { count: 2 });
    const { logs } = await run('restore', { tunables: { ROUTE53_MAX_RETRY: 2 } });
    expect(count('ChangeResourceRecordSets')).toBe(3);
    expect(logs.filter((l) => l.startsWith('warn:'))).toHaveLength(0);
  });

  it('PriorRequestNotComplete is retried', async () => {
    emu.faults.error('ChangeResourceRecordSets', {
      status: 400,
      code: 'PriorRequestNotComplete',
      message: 'The request was rejected because Route 53 was still processing a prior request.',
      count: 1,
    });
    await run('restore');
    expect(count('ChangeResourceRecordSets')).toBe(2);
  });

  it('a throttled GetChange is just a poll that saw nothing', async () => {
    emu.faults.throttle('GetChange', { count: 1 });
    await run('restore');
    expect(count('GetChange')).toBeGreaterThanOrEqual(2);
  });

  it("a CNAME at the name: InvalidChangeBatch with Route 53's message and a fix, no retries", async () => {
    const e = await failure(run('restore', { options: { host: 'legacy' } }));
    expect(e.code).toBe('ROUTE53_INVALID_CHANGE_BATCH');
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(/ChangeResourceRecordSets.*CNAME/);
    expect(e.fix).toMatch(/a CNAME record already uses this name/);
    expect(count('ChangeResourceRecordSets')).toBe(1);
  });

  it('a zone deleted since create: NoSuchHostedZone with a fix (exit 6)', async () => {
    const e = await failure(run('restore', { options: { zoneId: 'Z0R53GONE00000000009' } }));
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(/NoSuchHostedZone|No hosted zone found/);
    expect(e.fix).toMatch(/the hosted zone does not exist/);
  });

  it('no IP child: a clear error naming the fix (exit 6), and no API call', async () => {
    const e = await failure(run('restore', { children: [] }));
    expect(e.code).toBe('ROUTE53_NO_IP_CHILD');
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(/route53-www has no IP child resource "ip-route53" on node-a/);
    expect(e.fix).toMatch(/kit-runner dep add route53-www ip-route53/);
    expect(emu.calls.count()).toBe(0);
    const other = await failure(run('restore', { children: [ipChild('10.1.0.10/32', 'vip-other')] }));
    expect(other.fix).toMatch(/its IP child is vip-other, but the ip option names ip-route53/);
    const noAddress = await failure(run('restore', { children: [{ tag: 'ip-route53', kitType: 'app', options: {}, info: {}, state: 'ISP' }] }));
    expect(noAddress.code).toBe('ROUTE53_NO_ADDRESS');
  });
});

describe('quickCheck and recover', () => {
  it('ok when the record holds the address; a record changed behind our back fails, recover fixes it', async () => {
    await run('restore');
    let qc = (await run<QuickCheckResult>('quickCheck')).result;
    expect(qc).toEqual({ status: 'ok', detail: 'www.example.com. A 10.1.0.10 (TTL 10)' });

    await setRecord(direct, ZONES.public, 'www.example.com', '203.0.113.99');
    emu.calls.reset();
    qc = (await run<QuickCheckResult>('quickCheck')).result;
    expect(qc).toEqual({ status: 'failed', reason: 'www.example.com. A is 203.0.113.99 (TTL 10), not 10.1.0.10 (the address of ip-route53 on node-a)' });
    expect(count('ChangeResourceRecordSets')).toBe(0); // quickCheck never writes

    await run('recover');
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 10 });
    expect((await run<QuickCheckResult>('quickCheck')).result.status).toBe('ok');
  });

  it('a missing record fails (recover creates it)', async () => {
    const qc = (await run<QuickCheckResult>('quickCheck')).result;
    expect(qc.status).toBe('failed');
    expect(qc.status === 'failed' && qc.reason).toMatch(
      /there is no A record www\.example\.com\. in zone example\.com\. \(Z0R53PUBLIC000000001\); it should hold 10\.1\.0\.10/,
    );
    await run('recover');
    expect((await run<QuickCheckResult>('quickCheck')).result.status).toBe('ok');
  });

  it('an API that cannot be read after ROUTE53_RECORDCHECK_TRY_COUNT tries is "unknown", logged', async () => {
    await run('restore');
    emu.calls.reset();
    emu.faults.throttle('ListResourceRecordSets', { count: 100 });
    const { result, logs } = await run<QuickCheckResult>('quickCheck', { tunables: { ROUTE53_RECORDCHECK_TRY_COUNT: 3 } });
    expect(result.status).toBe('unknown');
    expect(count('ListResourceRecordSets')).toBe(3);
    expect(logs.join('\n')).toMatch(/warn: cannot read the record from Route 53: .*Throttling.*gave up after 3 tries.*; this check is skipped \(no recovery\)/);

    emu.faults.clear();
    emu.faults.drop('ListResourceRecordSets', { count: 100 });
    expect((await run<QuickCheckResult>('quickCheck')).result.status).toBe('unknown');
    emu.faults.clear();
    emu.faults.unauthorized('ListResourceRecordSets', { count: 100 });
    expect((await run<QuickCheckResult>('quickCheck')).result.status).toBe('unknown');
  });

  it('an API that hangs: quickCheck says "unknown" before its time limit (never "failed" by the runner\'s timeout)', async () => {
    await run('restore');
    emu.faults.latency('ListResourceRecordSets', 30_000, { count: 1 });
    const t0 = Date.now();
    const { result } = await run<QuickCheckResult>('quickCheck', { timeoutMs: 3000 });
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(result.status).toBe('unknown');
    expect(result.status === 'unknown' && result.reason).toMatch(/ListResourceRecordSets .* did not answer in time: gave up after 2\.\d s and 1 try/);
  });

  it("an API that hangs: restore fails with its own clear message before the runner's timeout", async () => {
    emu.faults.latency('ChangeResourceRecordSets', 30_000, { count: 1 });
    const t0 = Date.now();
    const e = await failure(run('restore', { timeoutMs: 3000 }));
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(e.code).toBe('AWS_UNAVAILABLE');
    expect(e.exitCode).toBe(1);
    expect(e.message).toMatch(/Route 53 ChangeResourceRecordSets \(UPSERT www\.example\.com\. A 10\.1\.0\.10 in zone example\.com\.\) did not answer in time/);
  });

  it('a zone that no longer exists is a failure, not unknown', async () => {
    const qc = (await run<QuickCheckResult>('quickCheck', { options: { zoneId: 'Z0R53GONE00000000009' } })).result;
    expect(qc.status).toBe('failed');
  });
});

describe('remove and extend', () => {
  it('remove leaves the record and calls no API', async () => {
    await run('restore');
    emu.calls.reset();
    const { logs } = await run('remove');
    expect(emu.calls.count()).toBe(0);
    expect(logs.join('\n')).toMatch(/www\.example\.com\. is left as it is/);
    expect(await recordValues(direct, ZONES.public, 'www.example.com')).toEqual({ values: ['10.1.0.10'], ttl: 10 });
  });

  it('extend records what the target server will publish', async () => {
    const { result } = await run<{ info: Record<string, unknown> }>('extend', { server: 'node-b', address: '10.2.0.10/32' });
    expect(result.info).toMatchObject({ fqdn: 'www.example.com.', address: '10.2.0.10', type: 'A' });
    await expect(run('extend', { server: 'node-b', children: [] })).rejects.toThrow(/no IP child/);
  });
});

describe('poll schedule', () => {
  it('one quick poll at 50 ms, then from firstMs growing by 1.5x up to the interval, and ends at the budget', () => {
    expect(pollSchedule({ firstMs: 500, maxIntervalMs: 20_000, budgetMs: 100_000 }).map((x) => Math.round(x))).toEqual([
      50, 500, 1250, 2375, 4063, 6594, 10391, 16086, 24629, 37443, 56665, 76665, 96665, 100000,
    ]);
    expect(pollSchedule({ firstMs: 50, maxIntervalMs: 200, budgetMs: 400 })).toEqual([50, 125, 237.5, 400]);
    expect(pollSchedule({ firstMs: 500, maxIntervalMs: 20_000, budgetMs: 0 })).toEqual([0]);
    expect(pollSchedule({ firstMs: 5000, maxIntervalMs: 1000, budgetMs: 2500 })).toEqual([50, 1000, 2000, 2500]);
  });

  it("with the kit's default tunables the first poll is 50 ms after the submit, then the 0.5 s schedule: LifeKeeper's 5 x 20 s wait is 14 polls (issue 15)", () => {
    const t = kit.tunables!;
    const interval = Number(t.ROUTE53_CHANGEID_INTERVAL!.default) * 1000;
    const s = pollSchedule({
      firstMs: Number(t.ROUTE53_CHANGEID_FIRST_INTERVAL!.default) * 1000,
      maxIntervalMs: interval,
      budgetMs: Number(t.ROUTE53_CHANGEID_TRY_COUNT!.default) * interval,
    });
    expect(s[0]).toBe(50);
    expect(s.slice(1, 4)).toEqual([500, 1250, 2375]);
    expect(s.length).toBe(14);
  });

  it('an immediate INSYNC with the default tunables: one GetChange, seen at the first poll', async () => {
    const ctx = createTestContext(kit, {
      tag: 'route53-www',
      action: 'restore',
      children: [ipChild('10.1.0.10/32')],
      info: { zoneId: ZONES.public, zoneName: 'example.com.' },
      options: BASE,
      tunables: { ROUTE53_MAX_RETRY: 0 },
    });
    try {
      await kit.actions.restore(ctx);
    } finally {
      ctx.dispose();
    }
    expect(count('ChangeResourceRecordSets')).toBe(1);
    expect(count('GetChange')).toBe(1);
    expect(ctx.logs.map((l) => l.message).join('\n')).toMatch(/INSYNC after [\d.]+ s \(1 GetChange poll\)/);
  });
});

// KitTester: shape against package.json, restore twice / remove twice, and behaviour cases.
// The lifecycle skips its generic "quickCheck fails after remove" step on purpose: remove
// leaves the record in place (see README), so the record still holds the address afterwards.
new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) }).run({
  lifecycle: {
    context: { tag: 'route53-www', options: BASE, children: [ipChild('10.1.0.10/32')], tunables: FAST },
    noQuickCheck: true,
  },
  cases: [
    {
      name: 'quickCheck fails while the record is missing',
      action: 'quickCheck',
      context: { tag: 'route53-www', options: { ...BASE, host: 'nothere' }, children: [ipChild('10.1.0.10/32')], tunables: FAST },
      expect: 'failed',
    },
    {
      name: 'restore then quickCheck is ok',
      action: 'restore',
      context: { tag: 'route53-www', options: { ...BASE, host: 'kt' }, children: [ipChild('198.51.100.10/32')], tunables: FAST },
      expect: 'ok',
      verify: async () => {
        expect(await recordValues(direct, ZONES.public, 'kt.example.com')).toEqual({ values: ['198.51.100.10'], ttl: 10 });
      },
    },
    {
      name: 'restore without the IP child throws',
      action: 'restore',
      context: { tag: 'route53-www', options: BASE, children: [], tunables: FAST },
      expect: /no IP child/,
    },
    {
      name: 'create with an unknown zone throws',
      action: 'create',
      context: { tag: 'route53-www', options: { ...BASE, zone: 'nosuch.example', zoneId: undefined }, tunables: FAST },
      expect: /hosted zone nosuch\.example\. not found/,
    },
  ],
});
