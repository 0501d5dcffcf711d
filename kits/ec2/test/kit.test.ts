/**
 * The EC2 kit's actions called directly (createTestContext / KitTester) against the AWS emulator
 * through the real SDK: seed 004's local recovery example, faults in the middle of a switch,
 * missing routes, unknown ids, IMDS token expiry, idempotency, the shared reads of quickCheck.
 */
import { clearSharedReads, imds } from '@recovery-kit/aws';
import { startEmulator, type Emulator } from '@recovery-kit/aws-emulator';
import type { QuickCheckResult } from '@recovery-kit/sdk';
import { KitTester, createTestContext, kitErrorOf, type TestContextOptions } from '@recovery-kit/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { protectedDestinations } from '../src/actions.ts';
import kit from '../src/index.ts';
import type { Ec2Options } from '../src/options.ts';
import { checkRoutes, planSwitch, toTableView } from '../src/routes.ts';
import { addressOf, eniOf, hermetic, ipChild, manyTables, onInstance, routeMap, seed004 } from './fixtures.ts';

hermetic();
let emu: Emulator;
const s4 = seed004();
const many = manyTables(5, { overlays: ['10.1.0.10/32', '10.2.0.0/16'] });

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});

async function reseed(doc: Parameters<Emulator['seed']>[0]) {
  emu.reset();
  await emu.seed(doc);
  clearSharedReads();
}

/** Runs an action; `hostNode` plays a process on another node acting for `server` (a switchover's remove of the peer). */
async function run<R = void>(
  action: 'create' | 'extend' | 'restore' | 'remove' | 'quickCheck' | 'recover',
  o: TestContextOptions & { hostNode?: string },
): Promise<R> {
  const ctx = createTestContext(kit, { action, ...o, tunables: { EC2_VERIFY_TIMEOUT: 2, EC2_MAX_RETRY: 3, ...(o.tunables ?? {}) } });
  try {
    const c = o.hostNode ? { ...ctx, local: o.hostNode === ctx.server, host: { ...ctx.host, node: o.hostNode } } : ctx;
    return (await (kit.actions[action] as unknown as (c: typeof ctx) => Promise<R>)(c)) as R;
  } finally {
    ctx.dispose();
  }
}

const failure = kitErrorOf;

describe('seed 004: local recovery re-points only the protected routes', () => {
  beforeEach(async () => {
    await reseed(s4.seed);
    onInstance(emu, s4.ids.activeInstance);
  });
  const ctx = (): TestContextOptions => ({ options: { scenario: 'route-table' }, children: [ipChild('10.1.0.10/32')] });

  it('before: quickCheck fails naming both tables; recover: A and B point at the active ENI, 10.1.0.20/32 and local untouched', async () => {
    const before = routeMap(emu);
    expect(before[s4.ids.a]).toEqual({ '10.1.0.10/32': s4.ids.other, '10.0.0.0/16': 'local' });
    expect(before[s4.ids.b]).toEqual({ '10.1.0.10/32': s4.ids.other, '10.1.0.20/32': s4.ids.other, '10.0.0.0/16': 'local' });
    const qc = await run<QuickCheckResult>('quickCheck', ctx());
    expect(qc.status).toBe('failed');
    expect(qc.status === 'failed' && qc.reason).toMatch(
      new RegExp(`${s4.ids.a}: 10.1.0.10/32 -> ${s4.ids.other}.*${s4.ids.b}: 10.1.0.10/32 -> ${s4.ids.other}`),
    );
    expect(eniOf(emu, s4.ids.active).sourceDestCheck).toBe(true);
    emu.calls.reset();
    await run('recover', ctx());
    const after = routeMap(emu);
    expect(after[s4.ids.a]).toEqual({ '10.1.0.10/32': s4.ids.active, '10.0.0.0/16': 'local' });
    expect(after[s4.ids.b]).toEqual({ '10.1.0.10/32': s4.ids.active, '10.1.0.20/32': s4.ids.other, '10.0.0.0/16': 'local' });
    expect(eniOf(emu, s4.ids.active).sourceDestCheck).toBe(false);
    // One Describe of the VPC's tables, parallel replaces, one verifying Describe.
    expect(emu.calls.byAction()).toMatchObject({ DescribeRouteTables: 2, ReplaceRoute: 2, ModifyNetworkInterfaceAttribute: 1, DescribeNetworkInterfaces: 1 });
    clearSharedReads();
    expect((await run<QuickCheckResult>('quickCheck', ctx())).status).toBe('ok');
  });

  it('the same example as a pure plan (no AWS)', () => {
    const tables = [
      toTableView({
        RouteTableId: s4.ids.a,
        VpcId: s4.ids.vpc,
        Routes: [
          { DestinationCidrBlock: '10.1.0.10/32', NetworkInterfaceId: s4.ids.other },
          { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' },
        ],
      }),
      toTableView({
        RouteTableId: s4.ids.b,
        VpcId: s4.ids.vpc,
        Routes: [
          { DestinationCidrBlock: '10.1.0.10/32', NetworkInterfaceId: s4.ids.other },
          { DestinationCidrBlock: '10.1.0.20/32', NetworkInterfaceId: s4.ids.other },
          { DestinationCidrBlock: '10.0.0.0/16', GatewayId: 'local' },
        ],
      }),
    ];
    const plan = planSwitch(tables, ['10.1.0.10/32'], s4.ids.active);
    expect(plan.items.map((i) => `${i.op} ${i.routeTableId} ${i.destination}`)).toEqual([
      `replace ${s4.ids.a} 10.1.0.10/32`,
      `replace ${s4.ids.b} 10.1.0.10/32`,
    ]);
    expect(checkRoutes(tables, ['10.1.0.10/32'], s4.ids.active).problems).toHaveLength(2);
    expect(
      protectedDestinations({ children: [ipChild('10.1.0.10/24')], options: { destinations: ['10.2.0.0/16', '10.2.0.0/16'] } as unknown as Ec2Options }),
    ).toEqual(['10.1.0.10/32', '10.2.0.0/16']);
  });
});

describe('route-table scenario against the emulator', () => {
  const ids = many.ids;
  beforeEach(async () => {
    await reseed(many.seed);
    onInstance(emu, ids.node2.instance);
  });
  const rt = (extra: Record<string, string | boolean> = {}): TestContextOptions => ({
    options: { scenario: 'route-table', destinations: '10.2.0.0/16', ...extra },
    children: [ipChild('10.1.0.10/32')],
  });

  it('restore points the IP route and the remote-region destinations of every table at this node; twice is a no-op; remove twice changes nothing', async () => {
    await run('restore', rt());
    for (const t of ids.tables)
      expect(routeMap(emu)[t]).toEqual({
        '10.1.0.10/32': ids.node2.eni,
        '10.2.0.0/16': ids.node2.eni,
        '0.0.0.0/0': 'igw-00000000000000601',
        '10.0.0.0/16': 'local',
      });
    expect(emu.calls.count('ReplaceRoute')).toBe(10);
    emu.calls.reset();
    await run('restore', rt());
    expect(emu.calls.count('ReplaceRoute')).toBe(0);
    expect(emu.calls.byAction()).toEqual({ DescribeNetworkInterfaces: 1, DescribeRouteTables: 1 });
    emu.calls.reset();
    await run('remove', rt());
    await run('remove', rt());
    expect(emu.calls.count()).toBe(0); // remove makes no AWS (or IMDS) call
    expect(routeMap(emu)[ids.tables[0]!]!['10.1.0.10/32']).toBe(ids.node2.eni);
  });

  it('throttling and 5xx injected in the middle of the switch are retried: every table ends up switched', async () => {
    emu.faults.throttle('ReplaceRoute', { skip: 2, count: 3 });
    emu.faults.error('ReplaceRoute', { skip: 4, count: 2, status: 503 });
    await run('restore', rt());
    for (const t of ids.tables) expect(routeMap(emu)[t]!['10.1.0.10/32']).toBe(ids.node2.eni);
    expect(emu.calls.count('ReplaceRoute')).toBe(15);
  });

  it('a switch that fails halfway reports exactly which tables point where (message and details)', async () => {
    emu.faults.error('ReplaceRoute', { skip: 6, count: 1000 });
    const e = await failure(run('restore', { ...rt(), tunables: { EC2_MAX_RETRY: 1, EC2_API_CONCURRENCY: 1 } }));
    expect(e.code).toBe('ROUTE_SWITCH_INCOMPLETE');
    expect(e.retryable).toBe(true);
    const state = routeMap(emu);
    const routes = e.details!.routes as Array<{ routeTableId: string; destination: string; target: string; switched: boolean; error?: string }>;
    expect(routes).toHaveLength(10);
    for (const r of routes) {
      expect(r.target).toBe(state[r.routeTableId]![r.destination]);
      expect(r.switched).toBe(r.target === ids.node2.eni);
      if (!r.switched) {
        expect(e.message).toContain(`${r.routeTableId} ${r.destination} -> ${ids.node1.eni}`);
        expect(r.error).toMatch(/InternalError/);
      } else expect(e.message).toContain(`${r.routeTableId} ${r.destination}`);
    }
    expect(routes.filter((r) => r.switched)).toHaveLength(6);
    // Running it again once AWS is healthy finishes the job and touches only what is left.
    emu.faults.clear();
    emu.calls.reset();
    await run('restore', rt());
    expect(emu.calls.count('ReplaceRoute')).toBe(4);
  });

  it('a missing route fails before anything changes; createMissing creates it (listed tables and the main table)', async () => {
    const e = await failure(run('restore', rt({ destinations: '10.2.0.0/16,10.9.0.0/16' })));
    expect(e.code).toBe('ROUTE_MISSING');
    expect(e.message).toMatch(/no route table of the VPC has a route for 10.9.0.0\/16; nothing was changed/);
    expect(emu.calls.count('ReplaceRoute')).toBe(0);
    await run('restore', rt({ destinations: '10.2.0.0/16,10.9.0.0/16', createMissing: true }));
    expect(routeMap(emu)[ids.tables[0]!]!['10.9.0.0/16']).toBe(ids.node2.eni); // the main table
    const listed = `${ids.tables[1]},${ids.tables[2]}`;
    const f = await failure(run('restore', rt({ destinations: '10.8.0.0/16', routeTables: listed })));
    expect(f.message).toMatch(new RegExp(`route table ${ids.tables[1]} has no route for 10.8.0.0/16`));
    await run('restore', rt({ destinations: '10.8.0.0/16', routeTables: listed, createMissing: true }));
    expect(routeMap(emu)[ids.tables[1]!]!['10.8.0.0/16']).toBe(ids.node2.eni);
    expect(routeMap(emu)[ids.tables[3]!]!['10.8.0.0/16']).toBeUndefined();
  });

  it('an unknown ENI or route table is a ConfigError (exit 6) naming it', async () => {
    const e = await failure(run('restore', rt({ eni: 'eni-0123456789abcdef0' })));
    expect(e.exitCode).toBe(6);
    expect(e.message).toMatch(/eni-0123456789abcdef0/);
    const f = await failure(run('restore', rt({ routeTables: 'rtb-0123456789abcdef0' })));
    expect(f.exitCode).toBe(6);
    expect(f.message).toMatch(/rtb-0123456789abcdef0/);
    const g = await failure(run('create', rt({ routeTables: 'rtb-0123456789abcdef0' })));
    expect(g.exitCode).toBe(6);
  });

  it('quickCheck: ok, then failed when someone re-points a route, unknown when AWS does not answer (stays in service)', async () => {
    await run('restore', rt());
    clearSharedReads();
    expect((await run<QuickCheckResult>('quickCheck', rt())).status).toBe('ok');
    emu.state
      .ec2('us-east-1')
      .routeTables.get(ids.tables[3]!)!
      .routes.find((r) => r.destinationCidrBlock === '10.2.0.0/16')!.networkInterfaceId = ids.node1.eni;
    clearSharedReads();
    const qc = await run<QuickCheckResult>('quickCheck', rt());
    expect(qc).toMatchObject({ status: 'failed' });
    expect(qc.status === 'failed' && qc.reason).toContain(`${ids.tables[3]}: 10.2.0.0/16 -> ${ids.node1.eni}`);
    clearSharedReads();
    emu.faults.throttle('DescribeRouteTables', { count: 100 });
    const unknown = await run<QuickCheckResult>('quickCheck', { ...rt(), tunables: { EC2_MAX_RETRY: 0 } });
    expect(unknown.status).toBe('unknown');
    emu.faults.clear();
    emu.faults.unauthorized('DescribeRouteTables', { count: 100 });
    clearSharedReads();
    const denied = await run<QuickCheckResult>('quickCheck', rt());
    expect(denied).toMatchObject({ status: 'unknown' });
    expect(denied.status === 'unknown' && denied.reason).toMatch(/ec2:DescribeRouteTables/);
  });

  it('quickChecks of one round share one DescribeRouteTables per VPC and one DescribeNetworkInterfaces per ENI', async () => {
    await run('restore', rt());
    clearSharedReads();
    emu.calls.reset();
    const results = await Promise.all(
      Array.from({ length: 40 }, (_, i) =>
        run<QuickCheckResult>('quickCheck', {
          options: { scenario: 'route-table', destinations: '10.2.0.0/16' },
          children: [ipChild('10.1.0.10/32')],
          tag: `r${i}`,
        }),
      ),
    );
    expect(results.every((r) => r.status === 'ok')).toBe(true);
    expect(emu.calls.count('DescribeRouteTables')).toBe(1);
    expect(emu.calls.count('DescribeNetworkInterfaces')).toBe(1);
  });

  it('IMDS token expiry: the kit renews the token (401) and keeps working; IMDS down falls back to recorded values', async () => {
    const client = imds();
    client.identityTtlMs = 0;
    try {
      await run('restore', rt());
      const puts = emu.calls.count('IMDS:PutToken');
      emu.imds.expireTokens(ids.node2.instance);
      clearSharedReads();
      expect((await run<QuickCheckResult>('quickCheck', rt())).status).toBe('ok');
      expect(emu.calls.count('IMDS:PutToken')).toBe(puts + 1);
      // The kit reads the instance identity document (one GET under /latest/dynamic/).
      expect(emu.calls.list({ action: 'IMDS:GetDynamic' }).some((c) => c.status === 401)).toBe(true);
      // IMDS unavailable: restore uses what create/extend recorded.
      emu.faults.add({ kind: 'error', service: 'imds', action: '*', count: 1000 });
      await run('restore', { ...rt(), info: { eni: ids.node2.eni, region: 'us-east-1', vpcId: ids.vpc } });
      const e = await failure(run('restore', rt()));
      expect(e.code).toBe('IMDS_UNAVAILABLE');
      expect(e.fix).toMatch(/eni and region options/);
    } finally {
      client.identityTtlMs = 300_000;
    }
  });
});

describe('elastic-ip scenario against the emulator', () => {
  const ids = many.ids;
  beforeEach(async () => {
    await reseed(many.seed);
    onInstance(emu, ids.node2.instance);
    // Another Elastic IP sits on node2's ENI: the manual says it is taken off.
    const other = addressOf(emu, ids.otherAllocation);
    Object.assign(other, {
      associationId: 'eipassoc-00000000000000009',
      networkInterfaceId: ids.node2.eni,
      privateIpAddress: '10.0.4.10',
      instanceId: ids.node2.instance,
    });
  });
  const eip = (extra: Record<string, string | boolean> = {}): TestContextOptions => ({
    options: { scenario: 'elastic-ip', allocationId: ids.allocation, ...extra },
  });

  it('restore moves the EIP to this node and takes other EIPs off its ENI; quickCheck; remove disassociates; both twice', async () => {
    await run('restore', eip());
    expect(addressOf(emu, ids.allocation).networkInterfaceId).toBe(ids.node2.eni);
    expect(addressOf(emu, ids.otherAllocation).associationId).toBeUndefined();
    emu.calls.reset();
    await run('restore', eip());
    expect(emu.calls.count('AssociateAddress')).toBe(0);
    clearSharedReads();
    expect((await run<QuickCheckResult>('quickCheck', eip())).status).toBe('ok');
    await run('remove', eip());
    expect(addressOf(emu, ids.allocation).associationId).toBeUndefined();
    await run('remove', eip());
    clearSharedReads();
    expect((await run<QuickCheckResult>('quickCheck', eip())).status).toBe('failed');
  });

  it("remove leaves an EIP that is on another node alone; a peer's remove (switchover run here) disassociates it from the peer", async () => {
    await run('remove', eip());
    expect(addressOf(emu, ids.allocation).networkInterfaceId).toBe(ids.node1.eni);
    await run('remove', { ...eip(), server: 'node-a', hostNode: 'node-b', info: { eni: ids.node1.eni } });
    expect(addressOf(emu, ids.allocation).associationId).toBeUndefined();
    // Unknown peer ENI: an association anywhere but on this host (node2) is the peer's.
    await run('restore', {
      ...eip(),
      server: 'node-a',
      hostNode: 'node-b',
      options: { scenario: 'elastic-ip', allocationId: ids.allocation, eni: ids.node1.eni },
    });
    expect(addressOf(emu, ids.allocation).networkInterfaceId).toBe(ids.node1.eni);
    imds().reset();
    emu.calls.reset();
    await run('remove', { ...eip(), server: 'node-a', hostNode: 'node-b' });
    expect(addressOf(emu, ids.allocation).associationId).toBeUndefined();
    // This host's identity: the identity document only (no metadata reads), as the other actions.
    expect(emu.calls.count('IMDS:GetDynamic')).toBe(1);
    expect(emu.calls.count('IMDS:GetMetadata')).toBe(0);
  });

  it("this node's remove finds the EIP on any interface of this instance from the identity document: no DescribeNetworkInterfaces", async () => {
    await run('restore', eip());
    emu.calls.reset();
    await run('remove', eip());
    expect(addressOf(emu, ids.allocation).associationId).toBeUndefined();
    expect(emu.calls.count('DescribeNetworkInterfaces')).toBe(0);
    expect(emu.calls.count('IMDS:GetMetadata')).toBe(0);
  });

  it('unknown allocation: create fails with exit 6; quickCheck fails; remove succeeds (nothing to take down)', async () => {
    const bad = { ...eip(), options: { scenario: 'elastic-ip', allocationId: 'eipalloc-0123456789abcdef0' } };
    expect((await failure(run('create', bad))).exitCode).toBe(6);
    clearSharedReads();
    expect((await run<QuickCheckResult>('quickCheck', bad)).status).toBe('failed');
    await run('remove', bad);
  });
});

describe('bad input is rejected by the schema (exit 6)', () => {
  const bad: Array<Record<string, string>> = [
    { scenario: 'route-table', destinations: '10.1.0.300/32' },
    { scenario: 'route-table', destinations: '10.1.0.10' },
    { scenario: 'route-table', routeTables: 'rtb-xyz' },
    { scenario: 'route-table', vpcId: 'vpc-12' },
    { scenario: 'route-table', eni: 'eni-nothex00' },
    { scenario: 'elastic-ip', allocationId: 'eipalloc-zz' },
    { scenario: 'elastic-ip' },
    { scenario: 'route-table', allocationId: 'eipalloc-0123456789abcdef0' },
    { scenario: 'roundrobin' },
    { scenario: 'route-table', region: 'Virginia' },
  ];
  for (const raw of bad) {
    it(JSON.stringify(raw), () => {
      const r = kit.options.check(raw);
      expect(r.ok).toBe(false);
      expect(() => kit.options.parse(raw)).toThrow(expect.objectContaining({ exitCode: 6 }) as never);
    });
  }
});

// KitTester: the contract, behaviour cases, and the lifecycle (elastic-ip: remove really takes it out of service).
const lifecycleSeed = manyTables(1);
new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) }).run({
  cases: [
    {
      name: 'quickCheck of a route-table resource without destinations fails with a fix',
      action: 'quickCheck',
      context: { options: { scenario: 'route-table' } },
      setup: async () => {
        await reseed(lifecycleSeed.seed);
        onInstance(emu, lifecycleSeed.ids.node1.instance);
      },
      expect: 'failed',
    },
    {
      name: 'remove of a route-table resource never calls AWS',
      action: 'remove',
      context: { options: { scenario: 'route-table', destinations: '10.1.0.10/32' } },
      setup: () => {
        emu.calls.reset();
      },
      expect: 'ok',
      verify: () => {
        expect(emu.calls.count()).toBe(0);
      },
    },
  ],
  lifecycle: {
    context: { options: { scenario: 'elastic-ip', allocationId: lifecycleSeed.ids.allocation }, tunables: { EC2_VERIFY_TIMEOUT: 2, EC2_CHECK_CACHE_TTL: 0 } },
    setup: async () => {
      await reseed(lifecycleSeed.seed);
      onInstance(emu, lifecycleSeed.ids.node2.instance);
    },
  },
});
