/** The kit's shape (KitTester), its options' validation, and the resource file it writes. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Exec } from '@recovery-kit/sdk';
import { createTestContext, KitTester } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { renderResource } from '../src/drbd.ts';
import { parseNodes } from '../src/options.ts';
import { shrinkExt4, writeFileAtomic } from '../src/fs.ts';

new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) }).run({});

const base = { resource: 'r0', nodes: 'a=192.0.2.1,b=192.0.2.2', disk: '/dev/vdb', mountPoint: '/srv/data' };

describe('options', () => {
  it('accepts a two-node mirror with defaults', () => {
    expect(kit.options.parse(base)).toMatchObject({
      resource: 'r0',
      nodes: ['a=192.0.2.1', 'b=192.0.2.2'],
      minor: 0,
      port: 7789,
      protocol: 'C',
      fsType: 'ext4',
      fencing: 'none',
      existingFs: false,
    });
  });
  it.each([
    [{ nodes: 'a=192.0.2.1' }, 'nodes', /two nodes/],
    [{ nodes: 'a=192.0.2.1,a=192.0.2.2' }, 'nodes', /both nodes are named a/],
    [{ nodes: 'a:192.0.2.1,b=192.0.2.2' }, 'nodes', /NAME=IPv4/],
    [{ disk: 'vdb' }, 'disk', /absolute/],
    [{ protocol: 'B' }, 'protocol', /one of C, A/],
    [{ resource: 'r0;rm' }, 'resource', /does not match/],
    [{ mountOptions: 'rw; reboot' }, 'mountOptions', /does not match/],
  ])('refuses %j naming %s', (over, field, msg) => {
    let err: unknown;
    try {
      kit.options.parse({ ...base, ...over });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ field });
    expect(JSON.stringify((err as { issues?: unknown }).issues ?? (err as Error).message)).toMatch(msg);
  });
});

describe('resource file', () => {
  it('writes both nodes, the protocol, fencing, and never-discard split-brain policies', () => {
    const text = renderResource({
      resource: 'r0',
      nodes: parseNodes(['a=192.0.2.1', 'b=192.0.2.2']),
      disks: { '*': '/dev/vdb' },
      minor: 0,
      port: 7789,
      protocol: 'A',
      fencing: 'resource-only',
      syncRate: '50M',
      cibClone: 'mirror-clone',
      generation: 8,
    });
    expect(text).toContain('protocol A;');
    for (const p of ['0pri', '1pri', '2pri']) expect(text).toContain(`after-sb-${p} disconnect;`);
    expect(text).toContain('fencing resource-only;');
    expect(text).toContain('resync-rate 50M;');
    expect(text).toContain('fence-peer "/usr/lib/drbd/crm-fence-peer.sh --master-id=mirror-clone";');
    expect(text).toContain('after-resync-target "/usr/lib/drbd/crm-unfence-peer.sh --master-id=mirror-clone";');
    expect(text).toContain('split-brain "mkdir -p /var/lib/drbd && touch /var/lib/drbd/rk-split-brain-r0";');
    expect(text).toMatch(/on a \{\n {4}device \/dev\/drbd0 minor 0;\n {4}disk \/dev\/vdb;\n {4}address 192\.0\.2\.1:7789;\n {4}meta-disk internal;/);
    expect(text).toMatch(/on b \{[^}]*address 192\.0\.2\.2:7789;/);
    const plain = renderResource({
      resource: 'r0',
      nodes: parseNodes(['a=192.0.2.1', 'b=192.0.2.2']),
      disks: { '*': '/dev/vdb' },
      minor: 1,
      port: 7790,
      protocol: 'C',
      fencing: 'none',
    });
    expect(plain).not.toContain('fencing');
    expect(plain).not.toContain('disk {');
    expect(plain).toContain('/dev/drbd1 minor 1;');
  });
});

describe('remove about the peer (the runner takes the mirror out of service on the other server before restoring here)', () => {
  const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');
  /** remove for server a, run on b, whose DRBD shows `events2`; every command is recorded. */
  const removeOnA = async (events2: string) => {
    const c = createTestContext(kit, { action: 'remove', server: 'a', node: 'b', options: base });
    const ran: string[] = [];
    const exec: Exec = async (file, args = []) => {
      ran.push([file, ...args].join(' '));
      const stdout = file === 'uname' ? 'b\n' : file === 'drbdsetup' ? events2 : '';
      return { command: file, exitCode: 0, signal: undefined, timedOut: false, stdout, stderr: '', durationMs: 0 };
    };
    try {
      await kit.actions.remove!({ ...c, exec } as never);
      return { ok: true as const, ran, logs: c.logs };
    } catch (err) {
      return { ok: false as const, error: err as Error & { fix?: string }, ran, logs: c.logs };
    } finally {
      c.dispose();
    }
  };

  it('is refused while this node is connected to the peer and sees it Primary; nothing here is touched', async () => {
    const r = await removeOnA(fixture('events2-84-b-uptodate-secondary.txt'));
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.message).toMatch(/still the source on a: this node is connected to it and sees it Primary/);
    expect(!r.ok && r.error.fix).toMatch(/kit-runner action test remove \(on a\)/);
    expect(r.ran).toEqual(['uname -n', 'drbdsetup events2 --now --statistics r0']);
  });

  it('succeeds with a warning when the peer is not connected (not proven held: the gate decides at restore); no umount, no demote here', async () => {
    const r = await removeOnA(fixture('events2-84-b-peer-down.txt'));
    expect(r.ok).toBe(true);
    expect(r.ran).toEqual(['uname -n', 'drbdsetup events2 --now --statistics r0']);
    expect(r.logs.some((l) => l.level === 'warn' && /not held there as far as b can tell \(a Connecting/.test(l.message))).toBe(true);
  });
});

describe('files written through the node commands (writeFileAtomic)', () => {
  it("writes a resource file with the runner's real exec (standard input a socket, which install /dev/stdin cannot open)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rk-mirror-write-'));
    const c = createTestContext(kit, { action: 'create', options: base });
    try {
      const path = join(dir, 'drbd.d', 'r0.res');
      await writeFileAtomic(c.exec, path, 'resource r0 {\n}\n');
      expect(readFileSync(path, 'utf8')).toBe('resource r0 {\n}\n');
      expect((statSync(path).mode & 0o777).toString(8)).toBe('644');
      await writeFileAtomic(c.exec, path, 'second\n');
      expect(readFileSync(path, 'utf8')).toBe('second\n');
      expect(readdirSync(join(dir, 'drbd.d'))).toEqual(['r0.res']);
    } finally {
      c.dispose();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('existingFs: shrinking the ext4 for the metadata', () => {
  it('a file system too full to shrink is a configuration error naming existingFs, with the sizes (resize2fs output recorded in the lab)', async () => {
    const exec: Exec = async (file) => {
      const out = (stdout: string, exitCode = 0, stderr = '') => ({
        command: file,
        exitCode,
        signal: undefined,
        timedOut: false,
        stdout,
        stderr,
        durationMs: 0,
      });
      if (file === 'dumpe2fs') return out('Block count:              40960\nBlock size:               1024\n');
      if (file === 'e2fsck') return out('');
      return out('resize2fs 1.47.0 (5-Feb-2023)\n', 1, 'resize2fs: New size smaller than minimum (40960)\n');
    };
    const err = await shrinkExt4(exec, '/dev/vdc', 40 * 1024 * 1024, 1024 * 1024).catch((e: unknown) => e);
    expect(err).toMatchObject({ field: 'existingFs', fix: expect.stringMatching(/free space on it/) });
    expect((err as Error).message).toMatch(/cannot shrink by 1024 KiB .* needs at least 40960 KiB .* leaves 39936 KiB/);
  });
});
