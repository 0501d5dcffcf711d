/**
 * The example kit, tested the way a third party would test theirs: KitTester for the contract
 * and the lifecycle, against a real service (a small daemon this test starts and stops through
 * real start/stop/status scripts), and the same kit driven through kit-runner.
 */
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { KitTester, createSandbox } from '@recovery-kit/testing';
import kit from '../src/index.ts';
import { splitArgs } from '@recovery-kit/sdk';

/** A real daemon: a detached node process writing its pid file; start/stop/status scripts. */
function service() {
  const dir = mkdtempSync(join(tmpdir(), 'rk-app-'));
  const pid = join(dir, 'svc.pid');
  const ctl = join(dir, 'svc ctl'); // a space in the path: quoting must work without a shell
  writeFileSync(
    ctl,
    `#!/bin/sh
PID='${pid}'
# (a killed daemon may linger as a zombie where PID 1 does not reap orphans: that is not running)
running() { [ -f "$PID" ] && P=$(cat "$PID") && [ -r /proc/$P/status ] && ! grep -q '^State:.*Z' /proc/$P/status; }
case "$1" in
  start) running && exit 0; ${JSON.stringify(process.execPath)} -e 'setInterval(()=>{},1000)' >/dev/null 2>&1 & echo $! > "$PID" ;;
  stop) running && kill "$(cat "$PID")"; for i in 1 2 3 4 5 6 7 8 9 10; do running || { rm -f "$PID"; exit 0; }; sleep 0.1; done; exit 1 ;;
  status) running ;;
  *) exit 2 ;;
esac
`,
  );
  chmodSync(ctl, 0o755);
  const q = `'${ctl}'`;
  const cleanup = () => {
    try {
      process.kill(Number(readFileSync(pid, 'utf8')));
    } catch {
      /* not running */
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, pid, options: { start: `${q} start`, stop: `${q} stop`, status: `${q} status` }, cleanup };
}

const svc = service();
process.on('exit', svc.cleanup);

new KitTester(kit, { packageJson: fileURLToPath(new URL('../package.json', import.meta.url)) }).run({
  cases: [
    {
      name: 'create refuses a program that does not exist',
      action: 'create',
      context: { options: { ...svc.options, start: '/nonexistent/start' } },
      expect: /start: \/nonexistent\/start is not an executable file/,
    },
    { name: 'quickCheck fails while the service is down', action: 'quickCheck', context: { options: svc.options }, expect: 'failed' },
  ],
  lifecycle: { context: { options: svc.options } },
});

describe('app kit', () => {
  it('rejects relative paths and unclosed quotes at create time', () => {
    expect(kit.options.check({ ...svc.options, start: 'myapp start' })).toMatchObject({
      ok: false,
      issues: [{ field: 'start', message: expect.stringMatching(/does not start with an absolute path/) }],
    });
    expect(kit.options.check({ ...svc.options, stop: `'/bin/x stop` })).toMatchObject({ ok: false, issues: [{ field: 'stop', message: "unclosed ' quote" }] });
  });

  it('create refuses a directory as a command and a user that does not exist (issue 16, item 13)', async () => {
    const sb = createSandbox();
    onTestFinished(sb.cleanup);
    const create = (o: Record<string, string>) =>
      sb.run(['create', 'app', '--tag', 'x', ...Object.entries({ ...svc.options, ...o }).flatMap(([k, v]) => ['--opt', `${k}=${v}`])]);
    const dir = await create({ start: tmpdir() });
    expect(dir.exitCode).toBe(6);
    expect(dir.stderr).toContain(`start: ${tmpdir()} is not an executable file`);
    const user = await create({ user: 'rk_no_such_user' });
    expect(user.exitCode).toBe(6);
    expect(user.stderr).toContain('user: there is no user "rk_no_such_user"');
    expect(sb.storeBytes()).toBe('');
    expect((await create({ user: 'root' })).exitCode).toBe(0);
  });

  it('a status command killed by a signal says so, and its binary stderr is stored printable (issue 16, item 13)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'rk-app-segv-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const status = join(dir, 'status');
    // Healthy until told otherwise; then binary garbage and a terminal escape on stderr, and SIGSEGV.
    writeFileSync(status, `#!/bin/sh\n[ -f ${dir}/broken ] || exit 0\nprintf 'core\\001\\377\\033[2Jdumped\\n' >&2\nkill -SEGV $$\n`, { mode: 0o755 });
    const sb = createSandbox({ tunables: { LOCAL_RECOVERY: 0 } });
    onTestFinished(sb.cleanup);
    expect((await sb.run(['create', 'app', '--tag', 's', '--opt', 'start=/bin/true', '--opt', 'stop=/bin/true', '--opt', `status=${status}`])).exitCode).toBe(
      0,
    );
    expect((await sb.run(['action', 's', 'restore'])).exitCode).toBe(0);
    writeFileSync(join(dir, 'broken'), '');
    const q = await sb.run(['action', 's', 'quickCheck']);
    expect(q.exitCode).toBe(7);
    expect(q.stdout).toContain('status command was killed by SIGSEGV: core?[2Jdumped');
    expect(q.stdout).not.toContain('undefined');
    expect((await sb.run(['monitor', '--once'])).exitCode).toBe(7);
    const reason: string = JSON.parse(sb.storeBytes()).resources.s.servers['node-a'].reason;
    expect(reason).toMatch(/killed by SIGSEGV/);
    // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting their absence
    expect(reason).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f\ufffd]/);
  });

  it('splits commands like a person reads them, and nothing more', () => {
    expect(splitArgs(`/bin/echo 'a b' "c \\"d\\"" e\\ f $HOME;ls`)).toEqual(['/bin/echo', 'a b', 'c "d"', 'e f', '$HOME;ls']);
  });

  it('runs under kit-runner: restore, kill the service, monitor recovers it', async () => {
    const s = service();
    onTestFinished(s.cleanup);
    const sb = createSandbox();
    onTestFinished(sb.cleanup);
    const opts = Object.entries(s.options).flatMap(([k, v]) => ['--opt', `${k}=${v}`]);
    expect((await sb.run(['create', 'app', '--tag', 'svc', ...opts])).exitCode).toBe(0);
    expect((await sb.run(['action', 'svc', 'restore'])).exitCode).toBe(0);
    const first = Number(readFileSync(s.pid, 'utf8'));
    process.kill(first, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 100));
    expect((await sb.run(['action', 'svc', 'quickCheck'])).exitCode).toBe(7);
    const m = await sb.run(['monitor', '--once', '--json']);
    expect(m.json).toMatchObject({ outcomes: [{ tag: 'svc', result: 'recovered' }] });
    const second = Number(readFileSync(s.pid, 'utf8'));
    expect(second).not.toBe(first);
    expect((await sb.run(['action', 'svc', 'remove'])).exitCode).toBe(0);
    expect(existsSync(s.pid)).toBe(false);
  });
});
