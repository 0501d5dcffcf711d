/** The kit's shape (KitTester), its options' validation, and the resource file it writes. */
import { describe, expect, it } from 'vitest';
import { KitTester } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { renderResource } from '../src/drbd.ts';
import { parseNodes } from '../src/options.ts';

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
    });
    expect(text).toContain('protocol A;');
    for (const p of ['0pri', '1pri', '2pri']) expect(text).toContain(`after-sb-${p} disconnect;`);
    expect(text).toContain('fencing resource-only;');
    expect(text).toContain('resync-rate 50M;');
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
