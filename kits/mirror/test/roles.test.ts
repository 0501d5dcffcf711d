/**
 * Roles (a promotable clone, ctx.roles): start as Secondary, promote through the gate, demote,
 * stop (down), quickCheck's role; and kit-runner's file mode unchanged. DRBD's state is output
 * recorded in the lab (test/fixtures/, DRBD 8.4.11); the fake node below only tracks what the
 * commands the kit runs would change (up/down, role, mount) and answers with that output.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { Exec, ExecResult, QuickCheckResult } from '@recovery-kit/sdk';
import { createTestContext } from '@recovery-kit/testing';
import kit from '../src/index.ts';

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
const base = { resource: 'r0', nodes: 'a=192.0.2.1,b=192.0.2.2', disk: '/dev/vdb', mountPoint: '/srv/data' };

/** Node a's DRBD: `peer` connected and Secondary with UpToDate data, or down (a Connecting, peer unknown). */
class FakeNode {
  up = false;
  role: 'Primary' | 'Secondary' = 'Secondary';
  mounted = false;
  /** A process holds the raw device open: secondary and down fail, as DRBD's (-12). */
  heldOpen = false;
  ran: string[] = [];
  constructor(public peer: 'connected' | 'down' = 'connected') {}

  events2(): string {
    // a-reconnected: a Primary, b Secondary, Connected, both UpToDate. b-peer-down: Secondary, Connecting, peer DUnknown.
    const text = this.peer === 'connected' ? fixture('events2-84-a-reconnected.txt') : fixture('events2-84-b-peer-down.txt');
    return text.replace(/^exists resource name:r0 role:\w+/m, `exists resource name:r0 role:${this.role}`);
  }

  exec: Exec = async (file, args = []) => {
    this.ran.push([file, ...args].join(' '));
    const out = (stdout: string, exitCode = 0, stderr = ''): ExecResult => ({
      command: file,
      exitCode,
      signal: undefined,
      timedOut: false,
      stdout,
      stderr,
      durationMs: 0,
    });
    const fail = (stderr: string, exitCode = 11) => {
      const r = out('', exitCode, stderr);
      throw Object.assign(new Error(`${file} ${args.join(' ')} failed: ${stderr}`), { code: 'COMMAND_FAILED', result: r });
    };
    const dev = '/dev/drbd0 /srv/data ext4\n';
    switch (file) {
      case 'uname':
        return out('a\n');
      case 'cat':
        return out('', 1, 'No such file or directory');
      case 'cibadmin':
      case 'test':
        return out('', 1);
      case 'findmnt':
        return this.mounted ? out(dev) : out('', 1);
      case 'mount':
        this.mounted = true;
        return out('');
      case 'umount':
        this.mounted = false;
        return out('');
      case 'drbdsetup':
        return this.up ? out(this.events2()) : out('', 10, 'r0: No such resource');
      case 'drbdadm': {
        const verb = args[0];
        if (verb === 'adjust') this.up = true;
        else if (verb === 'primary') {
          if (!this.up) fail('r0: no such resource');
          this.role = 'Primary';
        } else if (verb === 'secondary') {
          if (this.mounted || this.heldOpen) fail('r0: State change failed: (-12) Device is held open by someone');
          this.role = 'Secondary';
        } else if (verb === 'down') {
          if (this.mounted) fail('r0: State change failed: (-12) Device is held open by someone');
          this.up = false;
          this.role = 'Secondary';
        }
        return out('');
      }
      default:
        return out('');
    }
  };
}

type Act = 'restore' | 'remove' | 'promote' | 'demote' | 'quickCheck' | 'recover';

async function run(node: FakeNode, action: Act, roles: boolean, tunables: Record<string, string | number | boolean> = {}) {
  const c = createTestContext(kit, { action, server: 'a', options: base, roles, tunables: { MIRROR_CONNECT_WAIT: 0, MIRROR_DEMOTE_WAIT: 1, ...tunables } });
  node.ran = [];
  try {
    const fn = kit.actions[action] as (ctx: unknown) => Promise<unknown>;
    const result = await fn({ ...c, exec: node.exec });
    return { ok: true as const, result: result as QuickCheckResult | undefined, logs: c.logs };
  } catch (err) {
    return { ok: false as const, error: err as Error & { code?: string; fix?: string }, logs: c.logs };
  } finally {
    c.dispose();
  }
}

const adm = (node: FakeNode) => node.ran.filter((l) => /^(drbdadm (adjust|primary|secondary|down)|mount |umount )/.test(l));

describe('a promotable clone (ctx.roles)', () => {
  it('declares promote and demote, and what quickCheck does at each check level', () => {
    expect(typeof kit.actions.promote).toBe('function');
    expect(typeof kit.actions.demote).toBe('function');
    expect(Object.keys(kit.checkLevels ?? {})).toEqual(['0']);
    expect(kit.checkLevels?.['0']).toMatch(/drbdsetup events2.*mount table/);
  });

  it('start (restore) brings DRBD up as Secondary: attach and connect, no promote, no mount; quickCheck ok, unpromoted', async () => {
    const n = new FakeNode();
    const r = await run(n, 'restore', true);
    expect(r.ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0']);
    expect(n).toMatchObject({ up: true, role: 'Secondary', mounted: false });
    const q = await run(n, 'quickCheck', true);
    expect(q.result).toMatchObject({ status: 'ok', role: 'unpromoted' });
    // Started twice: nothing more.
    expect((await run(n, 'restore', true)).ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0']);
  });

  it('promote passes the gate, makes this node Primary and mounts; quickCheck reports promoted; promote again changes nothing', async () => {
    const n = new FakeNode();
    await run(n, 'restore', true);
    const p = await run(n, 'promote', true);
    expect(p.ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0', 'drbdadm primary r0', 'mount -t ext4 -o defaults /dev/drbd0 /srv/data']);
    expect(n).toMatchObject({ role: 'Primary', mounted: true });
    expect((await run(n, 'quickCheck', true)).result).toMatchObject({ status: 'ok', role: 'promoted' });
    expect((await run(n, 'promote', true)).ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0']);
  });

  it('promote is refused by the gate when the peer is unknown and no fencing is confirmed: nothing promoted or mounted', async () => {
    const n = new FakeNode('down');
    expect((await run(n, 'restore', true)).ok).toBe(true);
    expect((await run(n, 'quickCheck', true)).result).toMatchObject({
      status: 'ok',
      role: 'unpromoted',
      detail: expect.stringMatching(/^degraded \(peer not connected\)/),
    });
    const p = await run(n, 'promote', true);
    expect(p.ok).toBe(false);
    expect(!p.ok && p.error.code).toBe('PROMOTION_REFUSED');
    expect(!p.ok && p.error.message).toMatch(/refusing to make this node the source of r0/);
    expect(adm(n)).toEqual(['drbdadm adjust r0']);
    expect(n).toMatchObject({ role: 'Secondary', mounted: false });
  });

  it('demote unmounts and goes Secondary, proving both; DRBD stays up; demote again changes nothing', async () => {
    const n = new FakeNode();
    await run(n, 'restore', true);
    await run(n, 'promote', true);
    const d = await run(n, 'demote', true);
    expect(d.ok).toBe(true);
    expect(adm(n)).toEqual(['umount /srv/data', 'drbdadm secondary r0']);
    expect(n).toMatchObject({ up: true, role: 'Secondary', mounted: false });
    expect((await run(n, 'quickCheck', true)).result).toMatchObject({ status: 'ok', role: 'unpromoted' });
    expect((await run(n, 'demote', true)).ok).toBe(true);
    expect(adm(n)).toEqual([]);
  });

  it('demote fails, naming what holds the device, when it stays Primary', async () => {
    const n = new FakeNode();
    await run(n, 'restore', true);
    await run(n, 'promote', true);
    n.heldOpen = true;
    const d = await run(n, 'demote', true);
    expect(d.ok).toBe(false);
    expect(!d.ok && d.error.message).toMatch(/cannot demote r0/);
    expect(!d.ok && d.error.fix).toMatch(/then demote again/);
    expect(n.role).toBe('Primary');
  });

  it('stop (remove) from promoted: unmount, Secondary, down, proven; quickCheck then fails (not up); stop again succeeds', async () => {
    const n = new FakeNode();
    await run(n, 'restore', true);
    await run(n, 'promote', true);
    const s = await run(n, 'remove', true);
    expect(s.ok).toBe(true);
    expect(adm(n)).toEqual(['umount /srv/data', 'drbdadm secondary r0', 'drbdadm down r0']);
    expect(n).toMatchObject({ up: false, mounted: false });
    expect((await run(n, 'quickCheck', true)).result).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not up/) });
    expect((await run(n, 'remove', true)).ok).toBe(true);
    expect(adm(n)).toEqual([]);
  });

  it('stop from unpromoted: down only', async () => {
    const n = new FakeNode();
    await run(n, 'restore', true);
    expect((await run(n, 'remove', true)).ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm down r0']);
  });

  it('quickCheck fails on a Primary that is not mounted, and on a Secondary with the device mounted', async () => {
    const n = new FakeNode();
    n.up = true;
    n.role = 'Primary';
    expect((await run(n, 'quickCheck', true)).result).toMatchObject({ status: 'failed', reason: '/dev/drbd0 is not mounted' });
    n.role = 'Secondary';
    n.mounted = true;
    expect((await run(n, 'quickCheck', true)).result).toMatchObject({ status: 'failed', reason: expect.stringMatching(/mounted while r0 is Secondary/) });
  });
});

describe('recover in a promotable clone', () => {
  it('an unpromoted instance is reattached and reconnected, never promoted or mounted; a promoted one is remounted', async () => {
    const n = new FakeNode();
    n.up = true;
    const r = await run(n, 'recover', true);
    expect(r.ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0']);
    expect(n).toMatchObject({ role: 'Secondary', mounted: false });
    n.role = 'Primary';
    expect((await run(n, 'recover', true)).ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0', 'mount -t ext4 -o defaults /dev/drbd0 /srv/data']);
    expect(n).toMatchObject({ role: 'Primary', mounted: true });
  });
});

describe("kit-runner's file mode (no roles) is unchanged", () => {
  it('restore becomes the source and mounts; quickCheck reports no role; remove unmounts and demotes but leaves DRBD up', async () => {
    const n = new FakeNode();
    expect((await run(n, 'restore', false)).ok).toBe(true);
    expect(adm(n)).toEqual(['drbdadm adjust r0', 'drbdadm primary r0', 'mount -t ext4 -o defaults /dev/drbd0 /srv/data']);
    const q = await run(n, 'quickCheck', false);
    expect(q.result).toMatchObject({ status: 'ok' });
    expect(q.result && 'role' in q.result).toBe(false);
    expect((await run(n, 'remove', false)).ok).toBe(true);
    expect(adm(n)).toEqual(['umount /srv/data', 'drbdadm secondary r0']);
    expect(n).toMatchObject({ up: true, role: 'Secondary', mounted: false });
    expect((await run(n, 'quickCheck', false)).result).toMatchObject({ status: 'failed', reason: 'r0 is Secondary, not the source' });
  });
});
