/**
 * The OCF agents, run as Pacemaker runs them (one process per action, OCF_RESKEY_* parameters),
 * and through the real ocf-tester. Kits: the app kit and the fixture kit with roles here; the IP
 * kit in network namespaces in ocf-ip.test.ts; the others in their own files.
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { OCF_FIXTURE_KITS, kitRunner, ocfSandbox } from './ocf-helpers.ts';

const appParams = (dir: string) => ({
  start: `/bin/touch ${dir}/app.run`,
  stop: `/bin/rm -f ${dir}/app.run`,
  status: `/usr/bin/test -f ${dir}/app.run`,
  settleSeconds: '2',
});

describe('kit-runner ocf install / uninstall', () => {
  it('writes one 0755 agent per installed kit, is safe to run twice, and uninstall removes only its own', () => {
    const sb = ocfSandbox();
    const dir = join(sb.root, 'recovery-kit');
    const names = readdirSync(dir).sort();
    expect(names).toEqual(['app', 'ec2', 'ip', 'libreswan', 'mirror', 'oracle', 'oracle-listener', 'postgresql', 'route53']);
    for (const n of names) expect(statSync(join(dir, n)).mode & 0o777).toBe(0o755);
    const again = kitRunner(['ocf', 'install', '--root', sb.root, '--json']);
    expect(again.code).toBe(0);
    const r = JSON.parse(again.stdout) as { written: string[]; unchanged: string[] };
    expect(r.written).toEqual([]);
    expect(r.unchanged).toHaveLength(names.length);
    writeFileSync(join(dir, 'mine'), '#!/bin/sh\necho not ours\n', { mode: 0o755 });
    const un = kitRunner(['ocf', 'uninstall', '--root', sb.root, '--json']);
    expect(un.code).toBe(0);
    expect((JSON.parse(un.stdout) as { removed: string[] }).removed).toHaveLength(names.length);
    expect(readdirSync(dir)).toEqual(['mine']);
    expect(kitRunner(['ocf', 'uninstall', '--root', sb.root]).code).toBe(0);
    expect(readdirSync(dir)).toEqual(['mine']);
  });
});

describe('ocf:recovery-kit:app', () => {
  it('passes ocf-tester', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.tester('app', 'app1', appParams(sb.dir));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
  });

  it('start, monitor, stop, monitor as Pacemaker runs them; the cache is a 0600 file per instance', async () => {
    const sb = ocfSandbox();
    const p = appParams(sb.dir);
    expect((await sb.run('app', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
    // what Pacemaker adds besides the parameters is not taken for one
    expect((await sb.run('app', 'start', p, { OCF_RESKEY_crm_feature_set: '3.16.1', OCF_RESKEY_CRM_meta_on_node: 'node-a' })).code).toBe(0);
    expect(existsSync(join(sb.dir, 'app.run'))).toBe(true);
    expect((await sb.run('app', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(0);
    const [file] = readdirSync(sb.state);
    expect(file).toBe('app.r1.json');
    expect(statSync(join(sb.state, file!)).mode & 0o777).toBe(0o600);
    expect(JSON.parse(readFileSync(join(sb.state, file!), 'utf8')).phase).toBe('started');
    // deleted behind its back: a failure (1), not "cleanly stopped" (7)
    writeFileSync(join(sb.dir, 'x'), '');
    (await import('node:fs')).rmSync(join(sb.dir, 'app.run'));
    const failed = await sb.run('app', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '10000' });
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/ocf-exit-reason:status command exited 1/);
    // with local_recovery=true the kit's recover runs first and monitor reports running
    const healed = await sb.run('app', 'monitor', { ...p, local_recovery: 'true' }, { OCF_RESKEY_CRM_meta_interval: '10000' });
    expect(healed.code, healed.stderr).toBe(0);
    expect(existsSync(join(sb.dir, 'app.run'))).toBe(true);
    expect((await sb.run('app', 'stop', p)).code).toBe(0);
    expect((await sb.run('app', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(7);
    expect((await sb.run('app', 'stop', p)).code).toBe(0);
  });

  it('bad parameters: exit 6 naming the parameter, for start, monitor and validate-all', async () => {
    const sb = ocfSandbox();
    const p = appParams(sb.dir);
    const relative = await sb.run('app', 'validate-all', { ...p, start: 'touch x' });
    expect(relative.code).toBe(6);
    expect(relative.stderr).toMatch(/parameter start \(OCF_RESKEY_start\): "touch x" does not start with an absolute path/);
    const missing = await sb.run('app', 'start', { stop: p.stop, status: p.status });
    expect(missing.code).toBe(6);
    expect(missing.stderr).toMatch(/parameter start \(OCF_RESKEY_start\): is required \(fix: give it with the parameter start=/);
    const typo = await sb.run('app', 'monitor', { ...p, settleSecond: '3' }, { OCF_RESKEY_CRM_meta_interval: '0' });
    expect(typo.code).toBe(6);
    expect(typo.stderr).toMatch(/parameter settleSecond \(OCF_RESKEY_settleSecond\): unknown parameter \(fix: did you mean "settleSeconds"\?\)/);
    const unknown = await sb.run('app', 'start', { ...p, foo: '1' });
    expect(unknown.code).toBe(6);
    expect(unknown.stderr).toMatch(
      /parameter foo \(OCF_RESKEY_foo\): unknown parameter \(fix: known parameters: start, stop, status, user, settleSeconds, and the agent's local_recovery, degraded_results, children\)/,
    );
    const bool = await sb.run('app', 'start', { ...p, local_recovery: 'maybe' });
    expect(bool.code).toBe(6);
    expect(bool.stderr).toMatch(/parameter local_recovery \(OCF_RESKEY_local_recovery\)/);
    // a program that is not there: validate-all (level 10, checks this host) says "invalid on this host"
    const absent = await sb.run('app', 'validate-all', { ...p, status: '/nonexistent/status' });
    expect(absent.code).toBe(2);
    expect(absent.stderr).toMatch(/status: \/nonexistent\/status is not an executable file/);
    // level 0 checks the parameters only
    expect((await sb.run('app', 'validate-all', { ...p, status: '/nonexistent/status' }, { OCF_CHECK_LEVEL: '0' })).code).toBe(0);
    // and a probe of it is "not running", not "not installed"
    expect((await sb.run('app', 'monitor', { ...p, status: '/nonexistent/status' }, { OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
  });

  it('stop never fails because a parameter is missing or invalid', async () => {
    const sb = ocfSandbox();
    expect((await sb.run('app', 'stop', {})).code).toBe(0);
    expect((await sb.run('app', 'stop', { start: 'relative' })).code).toBe(0);
    // started with good parameters, stopped with none: what start cached is used
    const p = appParams(sb.dir);
    expect((await sb.run('app', 'start', p, { OCF_RESOURCE_INSTANCE: 'r2' })).code).toBe(0);
    expect(existsSync(join(sb.dir, 'app.run'))).toBe(true);
    expect((await sb.run('app', 'stop', {}, { OCF_RESOURCE_INSTANCE: 'r2' })).code).toBe(0);
    expect(existsSync(join(sb.dir, 'app.run'))).toBe(false);
  });

  it('unknown actions are 3, usage is 0', async () => {
    const sb = ocfSandbox();
    expect((await sb.run('app', 'migrate_to', appParams(sb.dir))).code).toBe(3);
    expect((await sb.run('app', 'notify', appParams(sb.dir))).code).toBe(3);
    const u = await sb.run('app', 'usage', {});
    expect(u.code).toBe(0);
    expect(u.stdout).toMatch(/^usage: app \{start\|stop\|monitor/);
  });
});

describe('a kit with roles (fixture), secrets, reload-agent and check levels', () => {
  const params = (dir: string) => ({ dir, name: 'one' });

  it('passes ocf-tester including promote and demote', async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS], profile: '1.0' });
    const dir = join(sb.dir, 'roles');
    mkdirSync(dir);
    const r = await sb.tester('roles', 'roles1', params(dir));
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(r.stdout).not.toContain('does not support the demote');
  });

  it("a stop on a node with no record of a start (Pacemaker's stop after a probe found it) leaves nothing a later start would reuse", async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS] });
    const dir = join(sb.dir, 'roles');
    mkdirSync(dir);
    expect((await sb.run('roles', 'stop', params(dir))).code).toBe(0);
    // The start validates again (create's info reaches restore) instead of taking the stop's record.
    const start = await sb.run('roles', 'start', params(dir));
    expect(start.code, start.stderr).toBe(0);
    expect((await sb.run('roles', 'monitor', params(dir), { OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(0);
  });

  it('monitor reports 8 when promoted, 0 when demoted; start leaves it unpromoted', async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS] });
    const p = params(join(sb.dir, 'roles'));
    const mon = () => sb.run('roles', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '10000' });
    expect((await sb.run('roles', 'start', p)).code).toBe(0);
    expect((await mon()).code).toBe(0);
    expect((await sb.run('roles', 'promote', p)).code).toBe(0);
    expect((await sb.run('roles', 'promote', p)).code).toBe(0);
    expect((await mon()).code).toBe(8);
    expect((await sb.run('roles', 'demote', p)).code).toBe(0);
    expect((await mon()).code).toBe(0);
    expect((await sb.run('roles', 'stop', p)).code).toBe(0);
    expect((await mon()).code).toBe(7);
  });

  it('a secret given inline fails validate-all (and start) telling the operator to use a 0600 file', async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS] });
    const p = { ...params(join(sb.dir, 'roles')), token: 's3cr3t-value' };
    for (const action of ['validate-all', 'start']) {
      const r = await sb.run('roles', action, p);
      expect(r.code).toBe(6);
      expect(r.stderr).toMatch(/parameter token \(OCF_RESKEY_token\): is a secret and must not be given inline: OCF parameters are stored in the CIB/);
      expect(r.stderr).toMatch(/give tokenFile=<path to a 0600 file holding it>/);
      expect(r.stderr).not.toContain('s3cr3t-value');
    }
  });

  it('OCF_CHECK_LEVEL reaches the kit as ctx.checkLevel (0 when unset); a monitor with no record of a start here checks at least at 10', async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS] });
    const dir = join(sb.dir, 'roles');
    const p = params(dir);
    const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };
    const levels = () =>
      readFileSync(join(dir, 'calls.log'), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as { action: string; level: number })
        .filter((c) => c.action === 'quickCheck')
        .map((c) => c.level);
    // A probe before any start: this node knows nothing, so level 0 would only repeat that.
    expect((await sb.run('roles', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
    expect(levels()).toEqual([10]);
    expect((await sb.run('roles', 'start', p)).code).toBe(0);
    for (const level of ['0', '10', '20', 'bogus']) expect((await sb.run('roles', 'monitor', p, { ...recurring, OCF_CHECK_LEVEL: level })).code).toBe(0);
    expect((await sb.run('roles', 'monitor', p, recurring)).code).toBe(0);
    expect(levels()).toEqual([10, 0, 10, 20, 0, 0]);
  });

  it('reload-agent takes new reloadable parameters without a restart', async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS] });
    const p = params(join(sb.dir, 'roles'));
    expect((await sb.run('roles', 'start', p)).code).toBe(0);
    expect((await sb.run('roles', 'reload-agent', { ...p, mode: 'slow' })).code).toBe(0);
    const state = JSON.parse(readFileSync(join(sb.state, 'roles.r1.json'), 'utf8'));
    expect(state.options.mode).toBe('slow');
    expect(state.phase).toBe('started');
    expect((await sb.run('roles', 'reload-agent', { ...p, mode: 'bogus' })).code).toBe(6);
    // validate-all of other parameters does not replace what the running resource was started with
    expect((await sb.run('roles', 'validate-all', { ...p, name: 'other' })).code).toBe(0);
    expect(JSON.parse(readFileSync(join(sb.state, 'roles.r1.json'), 'utf8')).options.name).toBe('one');
    expect((await sb.run('roles', 'stop', { ...p, name: 'other' })).code).toBe(0);
    expect(existsSync(join(sb.dir, 'roles', 'one.run'))).toBe(false);
  });

  it('stop: a failed remove is retried (forced attempt); 0 when the resource is then proven gone, 1 only when it is still held', async () => {
    const sb = ocfSandbox({ kitsDirs: [OCF_FIXTURE_KITS] });
    const dir = join(sb.dir, 'roles');
    // the first remove fails, the second succeeds
    const once = { ...params(dir), failRemove: '1' };
    expect((await sb.run('roles', 'start', once, { OCF_RESOURCE_INSTANCE: 'a' })).code).toBe(0);
    expect((await sb.run('roles', 'stop', once, { OCF_RESOURCE_INSTANCE: 'a' })).code).toBe(0);
    // both removes fail, but the state file is gone (not held): 0
    const gone = { ...params(dir), name: 'two', failRemove: '5' };
    expect((await sb.run('roles', 'start', gone, { OCF_RESOURCE_INSTANCE: 'b' })).code).toBe(0);
    const g = await sb.run('roles', 'stop', gone, { OCF_RESOURCE_INSTANCE: 'b' });
    expect(g.code, g.stderr).toBe(0);
    expect(g.stderr).toMatch(/is not held here/);
    // both removes fail and it is still held: 1
    const held = { ...params(dir), name: 'three', failRemove: '5', failRemoveHeld: 'true' };
    expect((await sb.run('roles', 'start', held, { OCF_RESOURCE_INSTANCE: 'c' })).code).toBe(0);
    const h = await sb.run('roles', 'stop', held, { OCF_RESOURCE_INSTANCE: 'c' });
    expect(h.code).toBe(1);
    expect(h.stderr).toMatch(/still held here after two attempts/);
    const removes = readFileSync(join(dir, 'calls.log'), 'utf8')
      .split('\n')
      .filter((l) => l.includes('"remove"')).length;
    expect(removes).toBe(6);
  });
});
