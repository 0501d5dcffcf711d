/** ocf:recovery-kit:oracle and oracle-listener against the fake ORACLE_HOME (kits/oracle/test/helpers.ts). */
import { afterAll, describe, expect, it } from 'vitest';
import { fakeHome } from '../../../kits/oracle/test/helpers.ts';
import { ocfSandbox } from './ocf-helpers.ts';

describe('ocf:recovery-kit:oracle and oracle-listener (fake ORACLE_HOME)', () => {
  const fh = fakeHome();
  afterAll(() => fh.cleanup());
  const long = { OCF_RESKEY_CRM_meta_timeout: '60000' };

  it('the listener agent passes ocf-tester', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.tester('oracle-listener', 'lsnr1', { home: fh.home, listener: fh.listener }, long);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(fh.pids('tnslsnr')).toEqual([]);
  }, 300_000);

  it('the database agent passes ocf-tester (the listener is its own Pacemaker resource: protectListener=false)', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.tester('oracle', 'orcl1', { sid: fh.sid, home: fh.home, listener: fh.listener, protectListener: 'false' }, long);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(fh.pids('pmon')).toEqual([]);
  }, 300_000);

  it('stop of an instance that is already down is 0', async () => {
    const sb = ocfSandbox();
    const p = { sid: fh.sid, home: fh.home, protectListener: 'false' };
    expect((await sb.run('oracle', 'stop', p, long)).code).toBe(0);
    expect((await sb.run('oracle', 'monitor', p, { ...long, OCF_RESKEY_CRM_meta_interval: '0' })).code).toBe(7);
  }, 120_000);
});
