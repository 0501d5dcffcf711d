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
