/**
 * oracle-listener: the contract shape and the in-process lifecycle against the fake lsnrctl of
 * kits/oracle/test/fixtures/bin. The CLI, hierarchy and failure cases are in
 * kits/oracle/test/kit.test.ts (the listener is the database's child there).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { createTestContext, KitTester } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { completed, tnsErrors } from '../src/lsnrctl.ts';
import { fakeHome } from '../../oracle/test/helpers.ts';

const fh = fakeHome();
afterAll(() => fh.cleanup());
new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) }).run({
  lifecycle: { context: { options: { home: fh.home, listener: fh.listener } }, teardown: () => fh.cleanup() },
});

describe('oracle-listener: lsnrctl output', () => {
  it('reads TNS errors and success', () => {
    const text =
      'Connecting to (DESCRIPTION=(ADDRESS=(PROTOCOL=tcp)(HOST=h)(PORT=1521)))\nTNS-12541: TNS:no listener\n TNS-12560: TNS:protocol adapter error\n  TNS-00511: No listener\n   Linux Error: 111: Connection refused\n';
    expect(tnsErrors(text)).toEqual([
      'TNS-12541: TNS:no listener',
      'TNS-12560: TNS:protocol adapter error',
      'TNS-00511: No listener',
      'Linux Error: 111: Connection refused',
    ]);
    expect(completed(text)).toBe(false);
    expect(completed('The command completed successfully\n')).toBe(true);
  });

  it('a listener name missing from listener.ora fails start with TNS-01151 and a fix', async () => {
    const h = fakeHome();
    const ctx = createTestContext(kit, { options: { home: h.home, listener: 'NOT_CONFIGURED' } });
    try {
      await expect(kit.actions.restore(ctx)).rejects.toThrow(/TNS-01151: Missing listener name, NOT_CONFIGURED, in LISTENER.ORA/);
    } finally {
      ctx.dispose();
      h.cleanup();
    }
  });
});

describe('oracle-listener: check levels', () => {
  it('level 0 looks only at the tnslsnr process (no lsnrctl run); level 20 also needs lsnrctl status to answer', async () => {
    const h = fakeHome();
    const opts = { options: { home: h.home, listener: h.listener }, tunables: { LSNR_STATUS_TIME: 1 } };
    const at = async (checkLevel: 0 | 10 | 20) => {
      const ctx = createTestContext(kit, { ...opts, action: 'quickCheck', checkLevel });
      try {
        return await kit.actions.quickCheck!(ctx);
      } finally {
        ctx.dispose();
      }
    };
    try {
      const ctx = createTestContext(kit, { ...opts, action: 'restore' });
      try {
        await kit.actions.restore(ctx);
      } finally {
        ctx.dispose();
      }
      h.inject('lsnr-status-hang');
      const before = h
        .calls()
        .split('\n')
        .filter((l) => l.includes(' lsnrctl status')).length;
      for (const level of [0, 10] as const) expect(await at(level)).toMatchObject({ status: 'ok', detail: expect.stringMatching(/no lsnrctl status/) });
      expect(
        h
          .calls()
          .split('\n')
          .filter((l) => l.includes(' lsnrctl status')).length,
      ).toBe(before);
      expect(await at(20)).toEqual({ status: 'failed', reason: `lsnrctl status ${h.listener} did not answer within 1 s` });
      h.clear('lsnr-status-hang');
      expect(await at(20)).toEqual({ status: 'ok' });
      for (const p of h.pids('tnslsnr')) process.kill(p, 'SIGKILL');
      await new Promise((r) => setTimeout(r, 100));
      expect(await at(0)).toEqual({ status: 'failed', reason: `no tnslsnr process for listener ${h.listener}` });
    } finally {
      h.cleanup();
    }
  }, 30_000);
});
