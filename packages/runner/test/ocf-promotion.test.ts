/**
 * Promotion scores (src/ocf/promotion.ts): the installed agent of a fixture kit with roles and a
 * score command, run as Pacemaker runs a promotable clone's monitor, with a fake crm_attribute
 * first on PATH that records its arguments. The real crm_attribute is checked for the argument
 * form (it parses them, then fails to reach a CIB that is not there).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { crmAttributeArgs, isPromotable, scoreOf } from '../src/ocf/promotion.ts';
import { ocfSandbox } from './ocf-helpers.ts';

const KITS = fileURLToPath(new URL('./fixtures/promotion-kits', import.meta.url));
const PROMOTABLE = { OCF_RESKEY_CRM_meta_promotable: 'true', OCF_RESKEY_CRM_meta_interval: '10000', OCF_RESOURCE_INSTANCE: 'scored:0' };

function setup() {
  const sb = ocfSandbox({ kitsDirs: [KITS] });
  const dir = join(sb.dir, 'scored');
  mkdirSync(dir);
  const bin = join(sb.dir, 'bin');
  mkdirSync(bin);
  const calls = join(sb.dir, 'crm_attribute.calls');
  // One line per call, the arguments separated by tabs; exit code from a file (default 0).
  writeFileSync(
    join(bin, 'crm_attribute'),
    `#!/bin/sh\n(IFS='\t'; printf '%s\\n' "$*") >> '${calls}'\nexit $(cat '${join(sb.dir, 'crm_attribute.rc')}' 2>/dev/null || echo 0)\n`,
  );
  chmodSync(join(bin, 'crm_attribute'), 0o755);
  const env = { PATH: `${bin}:${process.env.PATH}` };
  const p = { dir, name: 'one' };
  const score = (text: string) => writeFileSync(join(dir, 'one.score'), text);
  const recorded = (): string[][] =>
    existsSync(calls)
      ? readFileSync(calls, 'utf8')
          .trim()
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t'))
      : [];
  const reset = () => rmSync(calls, { force: true });
  const monitor = (extra: NodeJS.ProcessEnv = PROMOTABLE) => sb.run('scored', 'monitor', p, { ...env, ...extra });
  return { sb, dir, p, env, score, recorded, reset, monitor, rcFile: join(sb.dir, 'crm_attribute.rc') };
}

describe('promotion scores from the monitor of a promotable clone (crm_attribute --promotion)', () => {
  it("publishes the kit's score after each monitor, unpromoted and promoted, and removes it when the instance fails", async () => {
    const t = setup();
    expect((await t.sb.run('scored', 'start', t.p, t.env)).code).toBe(0);
    t.score('10000');
    expect((await t.monitor()).code).toBe(0);
    expect(t.recorded()).toEqual([['--promotion=scored:0', '--lifetime=reboot', '--update=10000']]);
    t.reset();
    expect((await t.sb.run('scored', 'promote', t.p, { ...t.env, ...PROMOTABLE })).code).toBe(0);
    t.score('{"score": 1000}');
    expect((await t.monitor()).code).toBe(8);
    expect(t.recorded()).toEqual([['--promotion=scored:0', '--lifetime=reboot', '--update=1000']]);
    t.reset();
    // The instance fails behind the agent's back: it is no candidate any more.
    rmSync(join(t.dir, 'one.run'));
    expect((await t.monitor()).code).toBe(9);
    expect(t.recorded()).toEqual([['--promotion=scored:0', '--lifetime=reboot', '--delete']]);
  });

  it('null removes the score, "keep" leaves it; a bad score or a failing score command changes nothing, and neither does the monitor result', async () => {
    const t = setup();
    expect((await t.sb.run('scored', 'start', t.p, t.env)).code).toBe(0);
    t.score('null');
    expect((await t.monitor()).code).toBe(0);
    expect(t.recorded()).toEqual([['--promotion=scored:0', '--lifetime=reboot', '--delete']]);
    t.reset();
    t.score('"keep"');
    expect((await t.monitor()).code).toBe(0);
    expect(t.recorded()).toEqual([]);
    for (const bad of ['"-INFINITY"', '1.5', '2000000']) {
      t.score(bad);
      const r = await t.monitor();
      expect(r.code).toBe(0);
      expect(r.stderr).toMatch(/is not a promotion score/);
    }
    t.score('throw');
    const thrown = await t.monitor();
    expect(thrown.code).toBe(0);
    expect(thrown.stderr).toMatch(/score command failed \(no score on purpose\)/);
    expect(t.recorded()).toEqual([]);
    // crm_attribute itself fails (no CIB): logged, the monitor's result stands.
    t.score('10');
    writeFileSync(t.rcFile, '102');
    const failed = await t.monitor();
    expect(failed.code).toBe(0);
    expect(failed.stderr).toMatch(/crm_attribute --promotion=scored:0 --lifetime=reboot --update=10 failed/);
    expect(t.recorded()).toEqual([['--promotion=scored:0', '--lifetime=reboot', '--update=10']]);
  });

  it('only for a promotable clone: a primitive, ocf-tester and a probe of a stopped instance never reach crm_attribute', async () => {
    const t = setup();
    expect((await t.sb.run('scored', 'start', t.p, t.env)).code).toBe(0);
    t.score('10000');
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(0);
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_promotable: 'false', OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(0);
    expect(t.recorded()).toEqual([]);
    // Pacemaker before 2.1 names it master_max; 2.1 passes promoted_max as well.
    expect((await t.monitor({ OCF_RESKEY_CRM_meta_master_max: '1', OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(0);
    expect(t.recorded()).toHaveLength(1);
  });
});

describe('promotion score helpers', () => {
  it('reads a score from a number or { score }, refuses anything else', () => {
    expect(scoreOf(10000)).toEqual({ score: 10000 });
    expect(scoreOf({ score: 0, gate: 'x' })).toEqual({ score: 0 });
    expect(scoreOf({ score: null })).toEqual({ score: null });
    expect(scoreOf('keep')).toEqual({ score: 'keep' });
    expect(scoreOf('10')).toHaveProperty('invalid');
    expect(scoreOf(undefined)).toHaveProperty('invalid');
    expect(scoreOf(-1_000_001)).toHaveProperty('invalid');
  });

  it('promotable from the meta attributes Pacemaker passes', () => {
    expect(isPromotable({ OCF_RESKEY_CRM_meta_promotable: 'true' })).toBe(true);
    expect(isPromotable({ OCF_RESKEY_CRM_meta_promoted_max: '1' })).toBe(true);
    expect(isPromotable({ OCF_RESKEY_CRM_meta_master_max: '0' })).toBe(false);
    expect(isPromotable({})).toBe(false);
  });

  const crm = spawnSync('crm_attribute', ['--version'], { encoding: 'utf8' });
  it.skipIf(crm.status !== 0)('the real crm_attribute (Pacemaker 2.1+) accepts the arguments: it fails only for want of a CIB', () => {
    expect(crm.stdout).toMatch(/Pacemaker 2\.1|Pacemaker [3-9]\./);
    // CIB_file names a CIB that does not exist: never a cluster another test on this machine runs.
    const env = { ...process.env, CIB_file: '/nonexistent/cib.xml' };
    for (const score of [10000, null] as const) {
      const r = spawnSync('crm_attribute', crmAttributeArgs('scored:0', score)!, { encoding: 'utf8', timeout: 20_000, env });
      // 64 is a usage error (an option it does not know); without a cluster it cannot connect.
      expect(r.status, r.stderr).not.toBe(64);
      expect(r.stderr).not.toMatch(/Unknown option|usage/i);
    }
    expect(spawnSync('crm_attribute', ['--no-such-option'], { encoding: 'utf8', env }).status).toBe(64);
  });
});
