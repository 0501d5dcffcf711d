/**
 * Oracle kits (oracle + oracle-listener) against the stateful fake sqlplus/lsnrctl of
 * fixtures/bin: every action through the built kit-runner, the hierarchy create builds, the
 * failure cases (startup failing, SHUTDOWN IMMEDIATE hanging until ABORT, a hung instance, a
 * listener that refuses to stop), and that a monitor password never leaves stdin.
 * Oracle itself cannot run here: see the README for what this does and does not prove.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createSandbox, createTestContext, KitTester, type Sandbox } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { options } from '../src/options.ts';
import { homeFromOratab, oraErrors, parseStatus } from '../src/sqlplus.ts';
import { fakeHome, type FakeHome } from './helpers.ts';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');

describe('oracle: parsing sqlplus output', () => {
  it('reads the status lines and the ORA- errors', () => {
    const open = { exitCode: 0, timedOut: false, text: 'Connected.\nRK_STATUS=OPEN\nRK_OPEN_MODE=READ WRITE\n', errors: [] };
    expect(parseStatus(open)).toEqual({ status: 'OPEN', openMode: 'READ WRITE' });
    const idleText = 'Connected to an idle instance.\nSELECT x\n*\nERROR at line 1:\nORA-01034: ORACLE not available\nProcess ID: 0\n';
    expect(parseStatus({ exitCode: 10, timedOut: false, text: idleText, errors: oraErrors(idleText) })).toEqual({ status: 'DOWN' });
    const nomount = 'RK_STATUS=STARTED\nERROR at line 1:\nORA-01507: database not mounted\n';
    expect(parseStatus({ exitCode: 227, timedOut: false, text: nomount, errors: oraErrors(nomount) })).toEqual({ status: 'STARTED' });
    const denied = 'ERROR:\nORA-01017: invalid username/password; logon denied\n\nSP2-0640: Not connected\n';
    expect(parseStatus({ exitCode: 249, timedOut: false, text: denied, errors: oraErrors(denied) })).toMatchObject({
      status: 'UNKNOWN',
      auth: expect.stringMatching(/^ORA-01017/),
    });
    expect(oraErrors('ORA-01078: failure\nLRM-00109: could not open\nfoo\n')).toEqual(['ORA-01078: failure', 'LRM-00109: could not open']);
  });

  it('finds ORACLE_HOME in oratab', () => {
    const text = '# comment\n+ASM:/u01/grid:N\nORCL:/u01/app/oracle/product/19.0.0/dbhome_1:Y\n';
    expect(homeFromOratab(text, 'ORCL')).toBe('/u01/app/oracle/product/19.0.0/dbhome_1');
    expect(homeFromOratab(text, 'NONE')).toBeUndefined();
  });

  it('validates options: SID syntax, password method needs its file, wallet needs an alias', () => {
    expect(options.check({ sid: '9bad' }).ok).toBe(false);
    expect(options.check({ sid: 'ORCL', connect: 'password', monitorUser: 'RKMON' }).ok).toBe(false);
    expect(options.check({ sid: 'ORCL', connect: 'wallet' }).ok).toBe(false);
    expect(options.check({ sid: 'ORCL', home: 'relative' }).ok).toBe(false);
    const ok = options.check({ sid: 'ORCL' });
    expect(ok.ok && ok.value).toMatchObject({ listener: 'LISTENER', connect: 'os', protectListener: true, expectedOpenMode: 'READ WRITE' });
  });
});

// Shape of the kit, and the in-process lifecycle (restore twice, remove twice) on a fake home.
const lifeHome: FakeHome = fakeHome();
afterAll(() => lifeHome.cleanup());
new KitTester(kit, { packageJson: new URL('../package.json', import.meta.url) }).run({
  lifecycle: { context: { options: { sid: lifeHome.sid, home: lifeHome.home, protectListener: false } }, teardown: () => lifeHome.cleanup() },
});

describe('oracle + oracle-listener through kit-runner (fake sqlplus/lsnrctl)', () => {
  let fh: FakeHome;
  let sb: Sandbox;
  const lsnrTag = () => `lsnr-${fh.listener.toLowerCase()}`;
  const run = (...args: string[]) => sb.run(args, { timeoutMs: 120_000 });
  const json = async (...args: string[]) => {
    const r = await run(...args, '--json');
    return { ...r, body: r.json as Record<string, any> };
  };

  beforeAll(() => {
    fh = fakeHome();
    sb = createSandbox({
      kitsDirs: [join(repo, 'kits')],
      tunables: { ORACLE_SHUTDOWN_ESCALATE: 3, ORACLE_SQL_TIMEOUT: 5, LSNR_KILLPID_TIME: 1, LSNR_STATUS_TIME: 3 },
    });
  });
  afterAll(() => {
    fh?.cleanup();
    sb?.cleanup();
  });
  afterEach(() => {
    for (const n of ['startup-fail', 'startup-mount-only', 'shutdown-hang', 'query-hang', 'lsnr-stop-refuse', 'lsnr-ignore-term', 'lsnr-start-fail'])
      fh.clear(n);
  });

  it('create builds the hierarchy: the database over its listener', async () => {
    const r = await json('create', 'oracle', '--tag', 'orcl', '--opt', `sid=${fh.sid}`, '--opt', `home=${fh.home}`, '--opt', `listener=${fh.listener}`);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.body.created.map((c: any) => `${c.tag}:${c.kit}`).sort()).toEqual([`${lsnrTag()}:oracle-listener`, 'orcl:oracle'].sort());
    const store = JSON.parse(sb.storeBytes());
    expect(store.dependencies).toContainEqual({ parent: 'orcl', child: lsnrTag() });
    expect(store.resources.orcl.options.user).toBeTruthy();
    expect(store.resources[lsnrTag()].options).toMatchObject({ home: fh.home, listener: fh.listener });
  });

  it('restore starts the listener, then the instance; quickCheck is healthy', async () => {
    const r = await json('action', 'orcl', 'restore');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.body.steps.filter((s: any) => s.outcome === 'ok').map((s: any) => s.tag)).toEqual([lsnrTag(), 'orcl']);
    expect(fh.pids('pmon')).toHaveLength(1);
    expect(fh.pids('tnslsnr')).toHaveLength(1);
    expect((await run('action', 'orcl', 'quickCheck')).exitCode).toBe(0);
    expect((await run('action', lsnrTag(), 'quickCheck')).exitCode).toBe(0);
  });

  it('restore of what already runs succeeds and starts nothing (kit level)', async () => {
    const pmon = fh.pids('pmon');
    const ctx = createTestContext(kit, { options: { sid: fh.sid, home: fh.home } });
    try {
      await kit.actions.restore(ctx);
      expect(ctx.logs.some((l) => /already open/.test(l.message))).toBe(true);
    } finally {
      ctx.dispose();
    }
    expect(fh.pids('pmon')).toEqual(pmon);
  });

  it('a crashed instance (pmon killed) fails quickCheck (exit 7) and recover restarts it', async () => {
    process.kill(fh.pids('pmon')[0]!, 'SIGKILL');
    const q = await run('action', 'orcl', 'quickCheck');
    expect(q.exitCode).toBe(7);
    expect(q.stdout).toMatch(new RegExp(`no ora_pmon_${fh.sid} process`));
    const r = await run('action', 'orcl', 'recover');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(fh.pids('pmon')).toHaveLength(1);
    expect((await run('action', 'orcl', 'quickCheck')).exitCode).toBe(0);
  });

  it('kit-runner monitor --once restarts a killed listener', async () => {
    for (const p of fh.pids('tnslsnr')) process.kill(p, 'SIGKILL');
    const m = await json('monitor', '--once');
    expect(m.body.outcomes).toContainEqual(expect.objectContaining({ tag: lsnrTag(), result: 'recovered' }));
    expect(m.body.outcomes).toContainEqual(expect.objectContaining({ tag: 'orcl', result: 'ok' }));
    expect(fh.pids('tnslsnr')).toHaveLength(1);
  });

  it('a hung instance (status query never answers) fails quickCheck after ORACLE_SQL_TIMEOUT', async () => {
    fh.inject('query-hang');
    const q = await run('action', 'orcl', 'quickCheck');
    expect(q.exitCode).toBe(7);
    expect(q.stdout).toMatch(/did not answer a status query within 5 s/);
  });

  it('remove: SHUTDOWN IMMEDIATE that hangs is escalated to SHUTDOWN ABORT; the listener goes after the database', async () => {
    fh.inject('shutdown-hang');
    const r = await json('action', lsnrTag(), 'remove');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.body.steps.filter((s: any) => s.outcome === 'ok').map((s: any) => s.tag)).toEqual(['orcl', lsnrTag()]);
    expect(fh.calls()).toMatch(/SHUTDOWN IMMEDIATE hangs/);
    expect(fh.pids('pmon')).toEqual([]);
    expect(fh.pids('tnslsnr')).toEqual([]);
    const again = await run('action', 'orcl', 'remove', '--force');
    expect(again.exitCode, again.stderr).toBe(0);
    expect((await run('action', 'orcl', 'quickCheck')).exitCode).toBe(7);
    expect((await run('action', lsnrTag(), 'quickCheck')).exitCode).toBe(7);
  });

  it('startup failing (no parameter file): restore exits 1 with the ORA- errors and a fix; nothing left running', async () => {
    fh.inject(
      'startup-fail',
      `ORA-01078: failure in processing system parameters\nLRM-00109: could not open parameter file '${fh.home}/dbs/init${fh.sid}.ora'\n`,
    );
    const r = await run('action', 'orcl', 'restore');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/instance .* is down after startup: ORA-01078: failure in processing system parameters \| LRM-00109/);
    expect(r.stderr).toMatch(/fix: the instance has no parameter file/);
    expect(fh.pids('pmon')).toEqual([]);
    expect((await json('status')).body).toBeTruthy();
  });

  it('a database that mounts but cannot open: restore fails and aborts the half-started instance', async () => {
    fh.inject('startup-mount-only');
    await run('action', 'orcl', 'remove', '--force');
    const r = await run('action', 'orcl', 'restore');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/is MOUNTED after startup: ORA-01157/);
    expect(r.stderr).toMatch(/fix: a data file cannot be opened/);
    expect(fh.pids('pmon')).toEqual([]);
  });

  it('a listener that refuses lsnrctl stop and ignores SIGTERM is killed; remove still succeeds', async () => {
    await run('action', 'orcl', 'remove', '--force');
    expect((await run('action', lsnrTag(), 'restore')).exitCode).toBe(0);
    fh.inject('lsnr-stop-refuse');
    fh.inject('lsnr-ignore-term');
    // The injection is read when tnslsnr starts: restart it under the injection.
    for (const p of fh.pids('tnslsnr')) process.kill(p, 'SIGKILL');
    expect((await run('action', lsnrTag(), 'recover')).exitCode).toBe(0);
    const r = await run('action', lsnrTag(), 'remove', '-v');
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/TNS-01190: The user is not authorized/);
    expect(r.stderr).toMatch(/survived SIGTERM .*sending SIGKILL/);
    expect(fh.pids('tnslsnr')).toEqual([]);
  });

  it('a listener that cannot bind its address: restore exits 1 with the TNS errors', async () => {
    fh.inject('lsnr-start-fail');
    const r = await run('action', lsnrTag(), 'restore');
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/TNS-12542: TNS:address already in use/);
    expect(r.stderr).toMatch(/another process holds the listener address/);
  });

  describe('monitor account with a password file', () => {
    const secret = 'Tr0ub4dor&3-never-logged';
    let dir: string;
    beforeAll(() => {
      dir = mkdtempSync(join(tmpdir(), 'rk-orapw-'));
      writeFileSync(join(dir, 'pw'), `${secret}\n`);
      chmodSync(join(dir, 'pw'), 0o600);
      fh.inject('users', `RKMON:${secret}\n`);
    });
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('quickCheck logs in as monitorUser; the password appears in no output, log, argument or store', async () => {
      const c = await run(
        'create',
        'oracle',
        '--tag',
        'orcl-pw',
        '--opt',
        `sid=${fh.sid}`,
        '--opt',
        `home=${fh.home}`,
        '--opt',
        `listener=${fh.listener}`,
        '--opt',
        'connect=password',
        '--opt',
        'monitorUser=RKMON',
        '--opt',
        `passwordFile=${join(dir, 'pw')}`,
      );
      expect(c.exitCode, c.stderr).toBe(0);
      const up = await run('action', 'orcl-pw', 'restore', '-v');
      expect(up.exitCode, up.stderr).toBe(0);
      const q = await run('action', 'orcl-pw', 'quickCheck', '-v');
      expect(q.exitCode, q.stdout + q.stderr).toBe(0);
      for (const text of [c.stdout, c.stderr, up.stdout, up.stderr, q.stdout, q.stderr, sb.storeBytes(), fh.calls()]) expect(text).not.toContain(secret);
      expect(q.stderr).toMatch(/exec .*sqlplus -S -L \/nolog/);
    });

    it('a wrong password is "could not tell" (the instance answers), not a restart', async () => {
      fh.inject('users', 'RKMON:something-else\n');
      const q = await run('action', 'orcl-pw', 'quickCheck');
      expect(q.exitCode).toBe(0);
      expect(q.stdout).toMatch(/could not tell: the password login is refused \(ORA-01017/);
      fh.inject('users', `RKMON:${secret}\n`);
      expect((await run('action', 'orcl-pw', 'remove')).exitCode).toBe(0);
    });

    it('a password file readable by others is refused', async () => {
      chmodSync(join(dir, 'pw'), 0o644);
      const r = await run(
        'create',
        'oracle',
        '--tag',
        'orcl-pw2',
        '--opt',
        `sid=${fh.sid}`,
        '--opt',
        `home=${fh.home}`,
        '--opt',
        'protectListener=false',
        '--opt',
        'connect=password',
        '--opt',
        'monitorUser=RKMON',
        '--opt',
        `passwordFile=${join(dir, 'pw')}`,
      );
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/has group or world access/);
      chmodSync(join(dir, 'pw'), 0o600);
    });
  });

  describe('bad input', () => {
    it('no home and no oratab entry: exit 6', async () => {
      const r = await run('create', 'oracle', '--tag', 'orcl-x', '--opt', 'sid=NOSUCH', '--opt', `oratab=${join(fh.home, 'oratab')}`);
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/has no entry for it/);
    });

    it('home from oratab', async () => {
      writeFileSync(join(fh.home, 'oratab'), `# oratab\n${fh.sid}:${fh.home}:N\n`);
      const r = await json(
        'create',
        'oracle',
        '--tag',
        'orcl-tab',
        '--opt',
        `sid=${fh.sid}`,
        '--opt',
        `oratab=${join(fh.home, 'oratab')}`,
        '--opt',
        'protectListener=false',
      );
      expect(r.exitCode, r.stderr).toBe(0);
      expect(JSON.parse(sb.storeBytes()).resources['orcl-tab'].options.home).toBe(fh.home);
    });

    it('a home without sqlplus: exit 6 naming it', async () => {
      const r2 = await run('create', 'oracle', '--tag', 'orcl-y', '--opt', 'sid=ORCL', '--opt', `home=${join(fh.home, 'nothing')}`);
      expect(r2.exitCode).toBe(6);
      expect(r2.stderr).toMatch(/sqlplus not found/);
    });
  });
});
