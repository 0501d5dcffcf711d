/**
 * The mirror kit (DRBD) under the OCF agent: a promotable clone's roles path (start Secondary,
 * promote, demote, stop; monitor 0/8; the promotion score published) and a plain primitive's start
 * (the source, mounted), through the installed agent as Pacemaker runs it. DRBD and the mount
 * table are fakes first on PATH (sh scripts over state files; `drbdsetup events2` answers with the
 * output recorded in the lab, its role set from the fake's state); everything else is real. The
 * real DRBD is in the VM lab (kits/mirror/test/lab.test.ts).
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ocfSandbox } from './ocf-helpers.ts';

const MIRROR = fileURLToPath(new URL('../../../kits/mirror', import.meta.url));
const FIXTURE = join(MIRROR, 'test/fixtures/events2-84-a-reconnected.txt');
const PROMOTABLE = { OCF_RESKEY_CRM_meta_promotable: 'true', OCF_RESKEY_CRM_meta_promoted_max: '1', OCF_RESOURCE_INSTANCE: 'mirror:0' };
const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };

function setup(profile?: '1.0') {
  const kits = mkdtempSync(join(tmpdir(), 'rk-ocf-mirror-kits-'));
  symlinkSync(MIRROR, join(kits, 'mirror'));
  const sb = ocfSandbox({ kitsDirs: [kits], ...(profile ? { profile } : {}) });
  const s = join(sb.dir, 'drbd-state');
  const bin = join(sb.dir, 'bin');
  const mp = join(sb.dir, 'mnt');
  mkdirSync(s);
  mkdirSync(bin);
  const fake = (name: string, body: string) => {
    writeFileSync(join(bin, name), `#!/bin/sh\nS='${s}'\necho "${name} $*" >> "$S/ran"\n${body}\n`);
    chmodSync(join(bin, name), 0o755);
  };
  fake(
    'drbdadm',
    `case "$1" in
  adjust) touch "$S/up" ;;
  primary) [ -e "$S/up" ] || exit 10; touch "$S/primary" ;;
  secondary) if [ -e "$S/mounted" ]; then echo 'r0: State change failed: (-12) Device is held open by someone' >&2; exit 11; fi; rm -f "$S/primary" ;;
  down) if [ -e "$S/mounted" ]; then echo 'r0: State change failed: (-12) Device is held open by someone' >&2; exit 11; fi; rm -f "$S/up" "$S/primary" ;;
esac
exit 0`,
  );
  fake(
    'drbdsetup',
    `[ -e "$S/up" ] || { echo 'r0: No such resource' >&2; exit 10; }
role=Secondary; [ -e "$S/primary" ] && role=Primary
sed "1s/role:[A-Za-z]*/role:$role/" '${FIXTURE}'`,
  );
  fake(
    'findmnt',
    `[ -e "$S/mounted" ] || exit 1
case "$*" in *'${mp}'*|*/dev/drbd0*) echo '/dev/drbd0 ${mp} ext4' ;; *) exit 1 ;; esac`,
  );
  fake('mount', 'touch "$S/mounted"');
  fake('umount', 'rm -f "$S/mounted"');
  fake('modprobe', 'exit 0');
  fake('blockdev', 'echo 67108864');
  fake('cibadmin', 'exit 1');
  fake('crm_attribute', 'exit 0');
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const node = execFileSync('uname', ['-n'], { encoding: 'utf8' }).trim();
  const p = {
    resource: 'r0',
    nodes: `${node}=192.0.2.1,peer=192.0.2.2`,
    disk: '/dev/vdb',
    mountPoint: mp,
    configDir: join(sb.dir, 'drbd.d'),
  };
  const has = (f: string) => existsSync(join(s, f));
  const ran = () => (existsSync(join(s, 'ran')) ? readFileSync(join(s, 'ran'), 'utf8').trim().split('\n') : []);
  const reset = () => rmSync(join(s, 'ran'), { force: true });
  const state = () => ({ up: has('up'), primary: has('primary'), mounted: has('mounted') });
  const run = (action: string, extra: NodeJS.ProcessEnv = {}) => sb.run('mirror', action, p, { ...env, ...extra });
  const cleanup = () => rmSync(kits, { recursive: true, force: true });
  return { sb, p, run, ran, reset, state, cleanup };
}

const roleCmds = (lines: string[]) => lines.filter((l) => /^(drbdadm (adjust|primary|secondary|down)|mount |umount )/.test(l));

describe('ocf:recovery-kit:mirror', () => {
  it('as a promotable clone: start Secondary (0), promote (8, the score published), demote (0), stop (down, 7)', async () => {
    const t = setup();
    try {
      expect((await t.run('monitor', { ...PROMOTABLE, OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
      t.reset();
      const start = await t.run('start', PROMOTABLE);
      expect(start.code, start.stderr).toBe(0);
      expect(t.state()).toEqual({ up: true, primary: false, mounted: false });
      expect(roleCmds(t.ran())).toEqual(['drbdadm adjust r0']);
      t.reset();
      expect((await t.run('monitor', { ...PROMOTABLE, ...recurring })).code).toBe(0);
      // Secondary, UpToDate, peer connected: 10000 (ocf:linbit:drbd's "UpToDate").
      expect(t.ran()).toContain('crm_attribute --promotion=mirror:0 --lifetime=reboot --update=10000');
      t.reset();
      const promote = await t.run('promote', PROMOTABLE);
      expect(promote.code, promote.stderr).toBe(0);
      expect(t.state()).toEqual({ up: true, primary: true, mounted: true });
      expect(roleCmds(t.ran())).toEqual(['drbdadm adjust r0', 'drbdadm primary r0', `mount -t ext4 -o defaults /dev/drbd0 ${t.p.mountPoint}`]);
      expect((await t.run('monitor', { ...PROMOTABLE, ...recurring })).code).toBe(8);
      expect((await t.run('promote', PROMOTABLE)).code).toBe(0);
      t.reset();
      const demote = await t.run('demote', PROMOTABLE);
      expect(demote.code, demote.stderr).toBe(0);
      expect(t.state()).toEqual({ up: true, primary: false, mounted: false });
      expect(roleCmds(t.ran())).toEqual([`umount ${t.p.mountPoint}`, 'drbdadm secondary r0']);
      expect((await t.run('monitor', { ...PROMOTABLE, ...recurring })).code).toBe(0);
      expect((await t.run('demote', PROMOTABLE)).code).toBe(0);
      await t.run('promote', PROMOTABLE);
      t.reset();
      const stop = await t.run('stop', PROMOTABLE);
      expect(stop.code, stop.stderr).toBe(0);
      expect(t.state()).toEqual({ up: false, primary: false, mounted: false });
      expect(roleCmds(t.ran())).toEqual([`umount ${t.p.mountPoint}`, 'drbdadm secondary r0', 'drbdadm down r0']);
      expect((await t.run('monitor', { ...PROMOTABLE, ...recurring })).code).toBe(7);
      expect((await t.run('stop', PROMOTABLE)).code).toBe(0);
    } finally {
      t.cleanup();
    }
  });

  it('as a plain primitive: start makes this node the source and mounts (monitor 0, not 8); stop unmounts and demotes, DRBD stays up', async () => {
    const t = setup();
    try {
      const start = await t.run('start');
      expect(start.code, start.stderr).toBe(0);
      expect(t.state()).toEqual({ up: true, primary: true, mounted: true });
      expect((await t.run('monitor', recurring)).code).toBe(0);
      expect(t.ran().some((l) => l.startsWith('crm_attribute'))).toBe(false);
      const stop = await t.run('stop');
      expect(stop.code, stop.stderr).toBe(0);
      expect(t.state()).toEqual({ up: true, primary: false, mounted: false });
    } finally {
      t.cleanup();
    }
  });

  it('passes ocf-tester as a promotable clone (CRM_meta_promotable=true), its promote/demote sequence included', async () => {
    const t = setup('1.0');
    try {
      const r = await t.sb.tester('mirror', 'mirror1', { ...t.p, CRM_meta_promotable: 'true' }, { PATH: `${join(t.sb.dir, 'bin')}:${process.env.PATH}` });
      expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
      expect(r.stdout).toContain('passed all tests');
      expect(r.stdout).not.toContain('does not support the demote');
      expect(t.state()).toEqual({ up: false, primary: false, mounted: false });
    } finally {
      t.cleanup();
    }
  });
});
