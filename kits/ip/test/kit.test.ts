/**
 * KitTester conformance, the option schema and address arithmetic (no root), and the kit's
 * actions called directly (createTestContext) against network namespaces (root): the lifecycle
 * every kit owes, quickCheck's ping list and broadcast ping, idempotence details.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext, KitTester, type TestContextOptions } from '@recovery-kit/testing';
import type { QuickCheckResult } from '@recovery-kit/sdk';
import kit from '../src/index.ts';
import { broadcastOf, canonical, checkVipText, toVip } from '../src/addr.ts';
import { responders } from '../src/net.ts';
import { markerPath } from '../src/vip.ts';
import { canRunNetns, createTopology, netnsSkipReason, type Topology } from './topology.ts';

const tester = new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) });

// The kit's records of the addresses it added (see src/vip.ts) go to a directory of this test file.
const markers = mkdtempSync(join(tmpdir(), 'rk-ip-markers-'));
process.env.RECOVERY_KIT_IP_MARKER_DIR = join(markers, 'ip');
afterAll(() => rmSync(markers, { recursive: true, force: true }));

describe('address arithmetic and the option schema', () => {
  it('canonical IPv6 text and broadcast addresses', () => {
    expect(canonical('FD00:0DB8:0000::0100')).toBe('fd00:db8::100');
    expect(canonical('192.0.2.1')).toBe('192.0.2.1');
    expect(toVip('fd00:DB8::1/64')).toEqual({ address: 'fd00:db8::1', prefix: 64, family: 6 });
    expect(broadcastOf(toVip('192.0.2.100/24')!)).toBe('192.0.2.255');
    expect(broadcastOf(toVip('10.1.0.10/30')!)).toBe('10.1.0.11');
    expect(broadcastOf(toVip('10.1.0.10/32')!)).toBeUndefined();
    expect(broadcastOf(toVip('fd00::1/64')!)).toBeUndefined();
  });

  it('accepts host addresses with a prefix, rejects the rest with a reason', () => {
    for (const good of ['10.1.0.10/32', '192.0.2.10/24', '192.0.2.1/31', 'fd00::10/64', 'fe80::10/64', '2001:db8::1/128'])
      expect(checkVipText(good), good).toBeUndefined();
    const bad: Array<[string, RegExp]> = [
      ['10.1.0.10', /no prefix length/],
      ['10.1.0.10/33', /out of range/],
      ['fd00::1/200', /out of range/],
      ['hello/24', /not an IPv4 or IPv6 address/],
      ['0.0.0.0/32', /cannot be a virtual address/],
      ['224.0.0.5/32', /multicast/],
      ['192.0.2.255/24', /broadcast address of 192\.0\.2\.0\/24/],
      ['::/128', /cannot be a virtual address/],
      ['10.0.0.1/0', /prefix \/0/],
    ];
    for (const [text, re] of bad) {
      const p = checkVipText(text);
      expect(typeof p === 'string' ? p : p?.message, text).toMatch(re);
    }
  });

  it('schema: per-server fields, defaults, cross-field checks', () => {
    const f = kit.options.fields;
    expect(
      Object.entries(f)
        .filter(([, x]) => x.perServer)
        .map(([k]) => k)
        .sort(),
    ).toEqual(['address', 'device', 'netns']);
    expect(kit.options.parse({ address: '10.1.0.10/32' })).toEqual({ address: '10.1.0.10/32', pingList: [] });
    expect(kit.options.parse({ address: '10.1.0.10/32', pingList: '10.1.0.1, 10.1.0.2' }).pingList).toEqual(['10.1.0.1', '10.1.0.2']);
    const issues = (raw: Record<string, string>) => {
      const r = kit.options.check(raw);
      return r.ok ? [] : r.issues.map((i) => `${i.field}: ${i.message}`);
    };
    expect(issues({ address: 'fe80::5/64' })).toEqual(['device: a link-local IPv6 address needs a device (the routing table cannot tell which link)']);
    expect(issues({ address: '10.1.0.10/32', device: 'eth0', label: 'eth1:vip' })[0]).toMatch(/does not start with the device name eth0/);
    expect(issues({ address: '10.1.0.10/32', netns: '../etc' })[0]).toMatch(/not a valid network namespace name/);
    expect(issues({ address: '10.1.0.10/32', pingList: '10.1.0.1,nope' })[0]).toMatch(/"nope" is not an IPv4 or IPv6 address/);
  });

  it('parses ping responders, without zone ids', () => {
    const out =
      '64 bytes from 192.0.2.3: icmp_seq=1 ttl=64 time=0.1 ms\n64 bytes from fe80::3CCD:80ff:fe75:5be4%vb: icmp_seq=1 ttl=64\n64 bytes from 192.0.2.3: icmp_seq=2 (DUP!)\n';
    expect(responders(out)).toEqual(['192.0.2.3', 'fe80::3ccd:80ff:fe75:5be4']);
  });

  it('declares LifeKeeper tunables with their defaults', () => {
    const t = kit.tunables!;
    expect(
      Object.fromEntries(
        ['IP_PINGTRIES', 'IP_PINGTIME', 'IP_QUICKCHECK_TIMEOUT', 'NOIPUNIQUE', 'NOBCASTPING', 'IP_NOLINKCHECK', 'IP_MAX_LINKCHK', 'IP_WAIT_LINKDOWN'].map(
          (k) => [k, t[k]!.default],
        ),
      ),
    ).toEqual({
      IP_PINGTRIES: 3,
      IP_PINGTIME: 1,
      IP_QUICKCHECK_TIMEOUT: 12,
      NOIPUNIQUE: false,
      NOBCASTPING: false,
      IP_NOLINKCHECK: false,
      IP_MAX_LINKCHK: 5,
      IP_WAIT_LINKDOWN: 5,
    });
    expect(kit.timeouts).toEqual({ quickCheck: 'IP_QUICKCHECK_TIMEOUT' });
    expect(Object.keys(kit.cli ?? {}).sort()).toEqual(['bringdown', 'bringup']);
  });
});

// The shape checks need nothing; the lifecycle (restore twice, quickCheck ok, remove twice,
// quickCheck failed) runs against node B of a fresh topology and needs root.
let topo: Topology | undefined;
if (canRunNetns) {
  tester.run({
    lifecycle: {
      // Read when the test runs, after setup made the namespaces.
      get context(): TestContextOptions {
        return { tag: 'vip', server: 'node-b', options: { address: '192.0.2.100/24', netns: topo!.b }, tunables: { NOBCASTPING: 1 } };
      },
      setup: () => {
        topo = createTopology();
      },
      teardown: () => {
        topo?.destroy();
        topo = undefined;
      },
    },
  });
} else {
  tester.run();
  it.skip(`kit ip: lifecycle in network namespaces (needs root: ${netnsSkipReason})`, () => {});
}

describe.skipIf(!canRunNetns)('actions called directly, in network namespaces (needs root)', () => {
  let t: Topology;
  beforeAll(() => {
    t = createTopology();
  });
  afterAll(() => t?.destroy());
  afterEach(() => {
    // Leave no virtual address behind between tests.
    for (const [ns, dev] of [
      [t.a, 'va'],
      [t.b, 'vb'],
    ] as const) {
      for (const a of ['192.0.2.100/24', 'fd00:db8:1::100/64']) t.run(ns, 'ip', 'addr', 'del', a, 'dev', dev);
    }
    t.run(t.c, 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_broadcasts=1');
    rmSync(join(markers, 'ip'), { recursive: true, force: true });
  });

  const call = async (
    action: 'restore' | 'remove' | 'quickCheck' | 'recover',
    options: Record<string, string>,
    tunables: Record<string, string | number> = {},
  ) => {
    const ctx = createTestContext(kit, { tag: 'vip', action, server: 'node-b', options, tunables });
    try {
      const fn = kit.actions[action] as (c: typeof ctx) => Promise<QuickCheckResult | void>;
      return { result: (await fn(ctx)) ?? { status: 'ok' as const }, logs: ctx.logs };
    } finally {
      ctx.dispose();
    }
  };

  it('quickCheck: broadcast ping needs a foreign responder (LifeKeeper default), NOBCASTPING=1 turns it off', async () => {
    const o = { address: '192.0.2.100/24', netns: t.b };
    await call('restore', o);
    // Nobody answers broadcast pings (Linux ignores them by default): the check fails, as in LifeKeeper.
    let r = (await call('quickCheck', o)).result as QuickCheckResult;
    expect(r.status).toBe('failed');
    expect(r.status === 'failed' && r.reason).toMatch(/nobody else on the link of vb answered the broadcast ping/);
    // The client answers broadcasts: healthy.
    t.run(t.c, 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_broadcasts=0');
    r = (await call('quickCheck', o)).result as QuickCheckResult;
    expect(r).toMatchObject({ status: 'ok' });
    expect(r.status === 'ok' && r.detail).toMatch(/broadcast ping answered by 192\.0\.2\.3/);
    t.run(t.c, 'sysctl', '-qw', 'net.ipv4.icmp_echo_ignore_broadcasts=1');
    expect(((await call('quickCheck', o, { NOBCASTPING: 1 })).result as QuickCheckResult).status).toBe('ok');
  });

  it('quickCheck: IPv6 uses the all-nodes group ff02::1 and ignores its own replies', async () => {
    const o = { address: 'fd00:db8:1::100/64', netns: t.b };
    await call('restore', o);
    const r = (await call('quickCheck', o)).result as QuickCheckResult;
    expect(r.status).toBe('ok');
    expect(r.status === 'ok' && r.detail).toMatch(/broadcast ping answered by fe80::/);
  });

  it('quickCheck: ping list from the virtual address; one answer is enough; none fails', async () => {
    const o = { address: '192.0.2.100/24', netns: t.b };
    await call('restore', o);
    const good = (await call('quickCheck', { ...o, pingList: '192.0.2.77,192.0.2.3' }, { IP_PINGTRIES: 1 })).result as QuickCheckResult;
    expect(good).toMatchObject({ status: 'ok' });
    expect(good.status === 'ok' && good.detail).toMatch(/ping list answered: 192\.0\.2\.3/);
    const bad = (await call('quickCheck', { ...o, pingList: '192.0.2.77' }, { IP_PINGTRIES: 2, IP_PINGTIME: 1 })).result as QuickCheckResult;
    expect(bad.status).toBe('failed');
    expect(bad.status === 'failed' && bad.reason).toMatch(/none of the ping list \(192\.0\.2\.77\) answered 2 ping/);
  });

  it('quickCheck changes nothing; recover re-adds a deleted address and announces it', async () => {
    const o = { address: '192.0.2.100/24', netns: t.b };
    await call('restore', o);
    t.ip(t.b, 'addr', 'del', '192.0.2.100/24', 'dev', 'vb');
    const before = t.addrs(t.b);
    const r = (await call('quickCheck', o, { NOBCASTPING: 1 })).result as QuickCheckResult;
    expect(r.status === 'failed' && r.reason).toMatch(/192\.0\.2\.100\/24 is not configured on vb/);
    expect(t.addrs(t.b)).toEqual(before);
    const rec = await call('recover', o, { NOBCASTPING: 1 });
    expect(rec.logs.map((l) => l.message).join('\n')).toMatch(/added 192\.0\.2\.100\/24 to vb.*gratuitous ARP/);
    expect(t.addrs(t.b)).toContain('192.0.2.100');
  });

  it('an address the interface already had (an "actual IP" resource) survives remove; one the kit added does not', async () => {
    // Seed 001: an IP resource may protect a node's own address. Before the fix remove deleted it.
    const o = { address: '192.0.2.100/24', netns: t.b, device: 'vb' };
    t.ip(t.b, 'addr', 'add', '192.0.2.100/24', 'dev', 'vb');
    const up = await call('restore', o, { NOBCASTPING: 1 });
    expect(up.logs.map((l) => l.message).join('\n')).toMatch(
      /192\.0\.2\.100\/24 was on vb .*before this restore, not added by the kit: remove will leave it in place/,
    );
    expect(((await call('quickCheck', o, { NOBCASTPING: 1 })).result as QuickCheckResult).status).toBe('ok');
    const down = await call('remove', o);
    expect(down.logs.map((l) => l.message).join('\n')).toMatch(/192\.0\.2\.100\/24 on vb .*was not added by the kit .*left in place/);
    expect(t.addrs(t.b)).toContain('192.0.2.100');
    await call('remove', o);
    expect(t.addrs(t.b)).toContain('192.0.2.100');

    // Once it is gone, the kit adds it and records that (0600 file in a 0700 directory); remove deletes it and the record.
    t.ip(t.b, 'addr', 'del', '192.0.2.100/24', 'dev', 'vb');
    await call('restore', o, { NOBCASTPING: 1 });
    const file = markerPath({ netns: t.b } as never, 'vb', '192.0.2.100');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(markers, 'ip')).mode & 0o777).toBe(0o700);
    await call('restore', o, { NOBCASTPING: 1 }); // idempotent: still the kit's
    expect(readdirSync(join(markers, 'ip'))).toHaveLength(1);
    await call('remove', o);
    expect(t.addrs(t.b)).not.toContain('192.0.2.100');
    expect(readdirSync(join(markers, 'ip'))).toHaveLength(0);
  });

  it('IP_DAD_WAIT_MS shortens the IPv4 duplicate address probe and it still finds the owner', async () => {
    t.ip(t.a, 'addr', 'add', '192.0.2.100/24', 'dev', 'va');
    try {
      await expect(call('restore', { address: '192.0.2.100/24', netns: t.b }, { IP_DAD_WAIT_MS: 200 })).rejects.toThrow(
        /192\.0\.2\.100 is already in use on the link of vb: host [0-9a-f:]+ answered/,
      );
      expect(t.addrs(t.b)).not.toContain('192.0.2.100');
    } finally {
      t.ip(t.a, 'addr', 'del', '192.0.2.100/24', 'dev', 'va');
    }
    await call('restore', { address: '192.0.2.100/24', netns: t.b }, { IP_DAD_WAIT_MS: 200, NOBCASTPING: 1 });
    expect(t.addrs(t.b)).toContain('192.0.2.100');
  });

  it('a gratuitous ARP request for the address heard during the probe (no reply) is a duplicate, naming the sender', async () => {
    // A holds the address but its kernel answers no ARP request (arp_ignore=8): all B can hear is
    // A's own gratuitous ARP requests, which iputils arping -D counts (exit 1, "request from").
    t.run(t.a, 'sysctl', '-qw', 'net.ipv4.conf.va.arp_ignore=8');
    t.ip(t.a, 'addr', 'add', '192.0.2.100/24', 'dev', 'va');
    const announcer = spawn('ip', ['netns', 'exec', t.a, 'arping', '-U', '-c', '6', '-w', '6', '-I', 'va', '-s', '192.0.2.100', '192.0.2.100'], {
      stdio: 'ignore',
    });
    try {
      const err = await call('restore', { address: '192.0.2.100/24', netns: t.b }, { IP_DAD_PROBES: 2 }).then(
        () => undefined,
        (e: unknown) => e as { code?: string; details?: { owner?: string } },
      );
      expect(err?.code).toBe('DUPLICATE_ADDRESS');
      expect(err?.details?.owner).toBe(t.mac(t.a, 'va').toLowerCase());
      expect(t.addrs(t.b)).not.toContain('192.0.2.100');
    } finally {
      announcer.kill();
      t.ip(t.a, 'addr', 'del', '192.0.2.100/24', 'dev', 'va');
      t.run(t.a, 'sysctl', '-qw', 'net.ipv4.conf.va.arp_ignore=0');
    }
  });

  it('with a runner that honours background exec, restore does not wait for arping -U, which still runs to its end', async () => {
    const ctx = createTestContext(kit, {
      tag: 'vip',
      action: 'restore',
      server: 'node-b',
      options: { address: '192.0.2.100/24', netns: t.b },
      tunables: { NOIPUNIQUE: 1, IP_ARP_COUNT: 2 },
    });
    const finished: Array<Promise<unknown>> = [];
    let settled = false;
    const real = ctx.exec;
    // What ExecOptions.background promises (the runner implements it): resolve at once, settle `completion` later.
    const exec: typeof real = async (file, args, options) => {
      if (!options?.background) return real(file, args, options);
      const { background: _, ...rest } = options;
      const completion = real(file, args, rest);
      finished.push(completion);
      void completion.then(() => (settled = true));
      return {
        command: [file, ...(args ?? [])].join(' '),
        exitCode: undefined,
        signal: undefined,
        timedOut: false,
        stdout: '',
        stderr: '',
        durationMs: 0,
        completion,
      };
    };
    try {
      await kit.actions.restore({ ...ctx, exec });
      // arping -U -c 2 takes about a second after it is started: restore returned before it ended.
      expect(settled).toBe(false);
      expect(ctx.logs.map((l) => l.message).join('\n')).toMatch(/sending gratuitous ARP for 192\.0\.2\.100 \(arping -U, in the background\)/);
      expect(finished).toHaveLength(1);
      const r = (await finished[0]) as { exitCode: number | undefined; command: string };
      expect(r.command).toMatch(/arping -U -c 2/);
      expect(r.exitCode).toBe(0);
      expect(t.addrs(t.b)).toContain('192.0.2.100');
    } finally {
      ctx.dispose();
    }
  });

  it('restore refuses when the address sits on another device of the same node', async () => {
    t.ip(t.b, 'addr', 'add', '192.0.2.100/32', 'dev', 'lo');
    try {
      await expect(call('restore', { address: '192.0.2.100/24', netns: t.b, device: 'vb' })).rejects.toThrow(/already configured on lo \(\/32\).*not on vb/);
      // remove (device vb) leaves the foreign copy on lo alone.
      await call('remove', { address: '192.0.2.100/24', netns: t.b, device: 'vb' });
      expect(t.addrs(t.b)).toContain('192.0.2.100');
    } finally {
      t.ip(t.b, 'addr', 'del', '192.0.2.100/32', 'dev', 'lo');
    }
  });

  it('IPv4 label, and remove of an absent address is a success', async () => {
    const o = { address: '192.0.2.100/24', netns: t.b, device: 'vb', label: 'vb:vip' };
    await call('restore', o);
    expect(t.ip(t.b, 'addr', 'show', 'dev', 'vb')).toMatch(/192\.0\.2\.100\/24 brd 192\.0\.2\.255 scope global secondary vb:vip/);
    await call('remove', o);
    await call('remove', o);
    expect(t.addrs(t.b)).not.toContain('192.0.2.100');
  });
});
