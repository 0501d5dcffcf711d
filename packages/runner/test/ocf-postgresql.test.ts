/** ocf:recovery-kit:postgresql against a real server (kits/postgresql/test/helpers.ts makes one). */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { planCluster, realEnv, type Cluster } from '../../../kits/postgresql/test/helpers.ts';
import { ocfSandbox } from './ocf-helpers.ts';

const env = realEnv();

describe.skipIf(!env.ok)(`ocf:recovery-kit:postgresql against a real server${env.ok ? '' : ` (skipped: ${env.why})`}`, () => {
  let cluster: Cluster;
  beforeAll(() => {
    cluster = planCluster(env, 'ocfpg');
    cluster.init();
  });
  afterAll(() => cluster?.cleanup());

  const params = () => ({ ...cluster.options, binDir: env.binDir! });

  it('passes ocf-tester', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.tester('postgresql', 'pg1', params(), { OCF_RESKEY_CRM_meta_timeout: '120000' });
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(cluster.pid()).toBeUndefined();
  }, 300_000);

  it('stop of a database that is already down is 0; a server killed behind its back fails monitor (1)', async () => {
    const sb = ocfSandbox();
    const p = params();
    const long = { OCF_RESKEY_CRM_meta_timeout: '120000' };
    expect((await sb.run('postgresql', 'start', p, long)).code).toBe(0);
    expect(cluster.pid()).toBeGreaterThan(0);
    expect((await sb.run('postgresql', 'monitor', p, { ...long, OCF_RESKEY_CRM_meta_interval: '10000' })).code).toBe(0);
    cluster.stop();
    const m = await sb.run('postgresql', 'monitor', p, { ...long, OCF_RESKEY_CRM_meta_interval: '10000' });
    expect(m.code).toBe(1);
    expect((await sb.run('postgresql', 'stop', p, long)).code).toBe(0);
    expect((await sb.run('postgresql', 'monitor', p, { ...long, OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
  }, 300_000);
  it('OCF_CHECK_LEVEL: 0 (unset) sees a live postmaster, 20 queries it: a frozen server is 0 at level 0 and 1 at level 20', async () => {
    const sb = ocfSandbox();
    writeFileSync(join(sb.dir, 'tunables'), 'LKPGSQL_CONN_RETRIES=1\nPGSQL_QUERY_TIMEOUT=2\n');
    const p = params();
    const long = { OCF_RESKEY_CRM_meta_timeout: '120000' };
    const recurring = { ...long, OCF_RESKEY_CRM_meta_interval: '10000' };
    expect((await sb.run('postgresql', 'start', p, long)).code).toBe(0);
    const pid = cluster.pid()!;
    expect((await sb.run('postgresql', 'monitor', p, { ...recurring, OCF_CHECK_LEVEL: '20' })).code).toBe(0);
    process.kill(pid, 'SIGSTOP');
    try {
      expect((await sb.run('postgresql', 'monitor', p, recurring)).code).toBe(0);
      const deep = await sb.run('postgresql', 'monitor', p, { ...recurring, OCF_CHECK_LEVEL: '20' });
      expect(deep.code).toBe(1);
      expect(deep.stderr).toMatch(/PostgreSQL does not answer/);
    } finally {
      process.kill(pid, 'SIGCONT');
    }
    expect((await sb.run('postgresql', 'stop', p, long)).code).toBe(0);
    expect(cluster.pid()).toBeUndefined();
  }, 300_000);
});
