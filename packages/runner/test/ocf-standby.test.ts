/**
 * The standby's health check (ocf/standby.ts): on a node where the resource is not started,
 * Pacemaker's role="Stopped" monitor (cluster/health.ts; OCF_RESKEY_CRM_meta_role=Stopped) of a kit with a
 * `health` command runs it, so it publishes the node attribute, and still reports 7; probes,
 * ocf-tester and the started node behave as before. The fixture kit `healthy` publishes with
 * attrd_updater; a recording attrd_updater is first on PATH.
 */
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OCF_FIXTURE_KITS, ocfSandbox } from './ocf-helpers.ts';

function setup(profile?: '1.0') {
  const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS], ...(profile ? { profile } : {}) });
  const bin = join(sb.dir, 'bin');
  mkdirSync(bin);
  const log = join(sb.dir, 'attrd.log');
  writeFileSync(join(bin, 'attrd_updater'), `#!/bin/sh\nprintf '%s\\n' "$*" >> '${log}'\n`, { mode: 0o755 });
  const p = { up: join(sb.dir, 'up'), held: join(sb.dir, 'held') };
  const env = { PATH: `${bin}:${process.env.PATH}`, OCF_RESOURCE_INSTANCE: 'h1' };
  const calls = () => (existsSync(log) ? readFileSync(log, 'utf8').trim().split('\n') : []);
  const monitor = (extra: NodeJS.ProcessEnv = {}) => sb.run('healthy', 'monitor', p, { ...env, ...extra });
  const stoppedRole = { OCF_RESKEY_CRM_meta_interval: '31000', OCF_RESKEY_CRM_meta_role: 'Stopped' };
  return { sb, p, env, calls, monitor, stoppedRole };
}

describe('the Stopped-role monitor of a kit with a health command', () => {
  it('on a node where the resource is not started: publishes the health and reports 7 (not running)', async () => {
    const t = setup();
    writeFileSync(t.p.up, '');
    const r = await t.monitor(t.stoppedRole);
    expect(r.code, r.stderr).toBe(7);
    expect(t.calls()).toEqual(['-n rk-health-h1 -U healthy']);
    rmSync(t.p.up);
    expect((await t.monitor(t.stoppedRole)).code).toBe(7);
    expect(t.calls()).toEqual(['-n rk-health-h1 -U healthy', '-n rk-health-h1 -U failed']);
    // held here without a record of a start (the kit's check finds it): running, as before, and the health is published too
    writeFileSync(t.p.up, '');
    writeFileSync(t.p.held, '');
    expect((await t.monitor(t.stoppedRole)).code).toBe(0);
    expect(t.calls()).toHaveLength(3);
  });

  it('a probe (interval 0), a monitor without a role or interval, and ocf-tester (interval 10000, no role) do not run it', async () => {
    // ocf-tester validates the meta-data against OCF 1.0's DTD
    const t = setup('1.0');
    writeFileSync(t.p.up, '');
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
    expect((await t.monitor()).code).toBe(7);
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(7);
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_interval: '0', OCF_RESKEY_CRM_meta_role: 'Stopped' })).code).toBe(7);
    expect(t.calls()).toEqual([]);
    const r = await t.sb.tester('healthy', 'h1', t.p, { PATH: t.env.PATH });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(t.calls()).toEqual([]);
  });

  it('on the started node the monitor is the ordinary one; once stopped there, the node is a standby and its health is published', async () => {
    const t = setup();
    writeFileSync(t.p.up, '');
    expect((await t.sb.run('healthy', 'start', t.p, t.env)).code).toBe(0);
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_interval: '30000' })).code).toBe(0);
    rmSync(t.p.up);
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_interval: '30000' })).code).toBe(1);
    expect(t.calls()).toEqual([]);
    writeFileSync(t.p.up, '');
    expect((await t.sb.run('healthy', 'stop', t.p, t.env)).code).toBe(0);
    expect(existsSync(t.p.held)).toBe(false);
    expect((await t.monitor(t.stoppedRole)).code).toBe(7);
    expect(t.calls()).toEqual(['-n rk-health-h1 -U healthy']);
  });
});
