/**
 * The exec layer with real processes: a command ends when its process exits (not when a
 * grandchild it left behind closes the pipes), background commands resolve at once and are
 * reaped and logged, and kit-runner exits when the action ends, ending what it started in the
 * background.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createExec } from '../src/exec.ts';
import { createLogger, memorySink } from '../src/logger.ts';
import { createSandbox } from '@recovery-kit/testing';
import { recSandbox } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

function tmp(): string {
  const d = mkdtempSync(join(tmpdir(), 'rk-exec-'));
  cleanups.push(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

function killLater(pid: number) {
  cleanups.push(() => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* gone */
    }
  });
}

function execFor(timeoutMs = 30_000) {
  const sink = memorySink();
  const controller = new AbortController();
  const exec = createExec({ logger: createLogger([sink], 'debug'), signal: controller.signal, deadline: Date.now() + timeoutMs });
  return { exec, logs: sink.records };
}

describe('exec: a command ends when its process exits', () => {
  it("sh -c 'sleep 20 & touch marker' returns at once, with what sh printed", async () => {
    const d = tmp();
    const { exec } = execFor();
    const started = Date.now();
    const r = await exec('sh', ['-c', `sleep 20 & echo "$!"; touch ${d}/marker`]);
    expect(Date.now() - started).toBeLessThan(3000);
    expect(r.exitCode).toBe(0);
    expect(existsSync(join(d, 'marker'))).toBe(true);
    const pid = Number(r.stdout.trim());
    killLater(pid);
    expect(alive(pid)).toBe(true);
  });

  it('still reads all of a large output written just before exit', async () => {
    const { exec } = execFor();
    const r = await exec(process.execPath, ['-e', "process.stdout.write('x'.repeat(3 * 1024 * 1024)); process.stderr.write('done')"]);
    expect(r.stdout.length).toBe(3 * 1024 * 1024);
    expect(r.stderr).toBe('done');
  });

  it('a failure still reports the exit code and stderr', async () => {
    const { exec } = execFor();
    const r = await exec('sh', ['-c', 'echo bad >&2; sleep 20 & exit 4'], { reject: false });
    expect(r.exitCode).toBe(4);
    expect(r.stderr).toBe('bad\n');
  });
});

describe('exec: listenMs', () => {
  it('after listenMs the result is what the listener wrote so far, not a failure; it is ended without being waited for', async () => {
    const { exec, logs } = execFor();
    const started = Date.now();
    // On SIGTERM it takes another 0.5 s to die: the result must not wait for that.
    const r = await exec('sh', ['-c', 'trap "sleep 0.5; exit 0" TERM; echo $$; echo err >&2; while :; do sleep 0.05; done'], { listenMs: 300 });
    const took = Date.now() - started;
    expect(took).toBeGreaterThanOrEqual(290);
    expect(took).toBeLessThan(550);
    expect(r).toMatchObject({ exitCode: undefined, signal: undefined, timedOut: true, stderr: 'err\n' });
    const pid = Number(r.stdout.trim());
    killLater(pid);
    expect(alive(pid)).toBe(true);
    const until = Date.now() + 3000;
    while (alive(pid) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    expect(alive(pid)).toBe(false);
    expect(logs.some((l) => /exec done sh listened/.test(l.message))).toBe(true);
  });

  it('a listener that exits sooner ends the command as usual, with its exit code', async () => {
    const { exec } = execFor();
    const started = Date.now();
    const r = await exec('sh', ['-c', 'echo answered; exit 1'], { listenMs: 5000, reject: false });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(r).toMatchObject({ exitCode: 1, timedOut: false, stdout: 'answered\n' });
  });
});

describe('exec: background', () => {
  it('resolves once spawned; completion settles with the final result, logged at debug (exit 0) or warn', async () => {
    const { exec, logs } = execFor();
    const started = Date.now();
    const ok = await exec('sh', ['-c', 'sleep 0.3; echo fine'], { background: true });
    expect(Date.now() - started).toBeLessThan(250);
    expect(ok.exitCode).toBeUndefined();
    const failed = await exec('sh', ['-c', 'echo oops >&2; exit 3'], { background: true });
    const [a, b] = await Promise.all([ok.completion!, failed.completion!]);
    expect(a.exitCode).toBe(0);
    expect(a.stdout).toBe('fine\n');
    expect(b.exitCode).toBe(3);
    expect(logs.some((l) => l.level === 'debug' && /background sh ended: exit 0/.test(l.message))).toBe(true);
    expect(logs.some((l) => l.level === 'warn' && /background .* ended: exit 3 .*oops/.test(l.message))).toBe(true);
  });

  it('readyOnLine: resolves at the first line of standard output (with what it wrote), or with the final result when it ends first', async () => {
    const { exec } = execFor();
    const started = Date.now();
    const r = await exec('sh', ['-c', 'sleep 0.3; echo first; sleep 0.5; echo second'], { background: true, readyOnLine: true });
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(250);
    expect(r.exitCode).toBeUndefined();
    expect(r.stdout).toBe('first\n');
    expect((await r.completion!).stdout).toBe('first\nsecond\n');
    const ended = await exec('sh', ['-c', 'printf partial; exit 3'], { background: true, readyOnLine: true });
    expect(ended.exitCode).toBe(3);
    expect(ended.stdout).toBe('partial');
    expect((await ended.completion!).exitCode).toBe(3);
  });

  it('outlive: still reaped while kit-runner runs; timeoutMs bounds it through timeout(1)', async () => {
    const { exec, logs } = execFor();
    const ok = await exec('sh', ['-c', 'echo fine'], { background: true, outlive: true });
    expect((await ok.completion!).exitCode).toBe(0);
    const slow = await exec('sleep', ['30'], { background: true, outlive: true, timeoutMs: 1000 });
    const r = await slow.completion!;
    expect(r.timedOut).toBe(true);
    expect(r.durationMs).toBeLessThan(5000);
    expect(logs.some((l) => l.level === 'warn' && /background .*sleep 30 ended: timed out/.test(l.message))).toBe(true);
  });

  it('a program that does not exist does not fail the action: exit 127 in the result', async () => {
    const { exec } = execFor();
    const r = await exec('/nonexistent/prog', [], { background: true });
    expect(r.exitCode).toBe(127);
    expect((await r.completion!).exitCode).toBe(127);
  });
});

describe('kit-runner exits when the action ends', () => {
  it('a start command that leaves a daemon holding its pipes: restore returns at once', async () => {
    const d = tmp();
    const sb = createSandbox();
    cleanups.push(() => sb.cleanup());
    writeFileSync(join(d, 'pids'), '');
    const start = `/bin/sh -c "sleep 20 & echo $! >> ${d}/pids; touch ${d}/up"`;
    const r0 = await sb.run([
      'create',
      'app',
      '--tag',
      'svc',
      '--opt',
      `start=${start}`,
      '--opt',
      `stop=/bin/rm -f ${d}/up`,
      '--opt',
      `status=/usr/bin/test -f ${d}/up`,
    ]);
    expect(r0.exitCode, r0.stderr).toBe(0);
    const r = await sb.run(['action', 'svc', 'restore']);
    for (const p of readFileSync(join(d, 'pids'), 'utf8').split('\n').filter(Boolean)) killLater(Number(p));
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.durationMs).toBeLessThan(8000);
  });

  it('a background command still running when kit-runner exits is ended', async () => {
    const sb = recSandbox();
    const pidFile = join(sb.dir, 'bg.pid');
    writeFileSync(join(sb.dir, 'bg.sh'), `echo $$ > ${pidFile}\nexec sleep 30\n`);
    await sb.create('bg', [`background=/bin/sh,${join(sb.dir, 'bg.sh')}`, 'sleepMs=300']);
    const r = await sb.run(['action', 'bg', 'restore']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.durationMs).toBeLessThan(8000);
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    killLater(pid);
    const until = Date.now() + 3000;
    while (alive(pid) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    expect(alive(pid)).toBe(false);
  });

  it('a background command with outlive finishes on its own after kit-runner exits', async () => {
    const sb = recSandbox();
    const pidFile = join(sb.dir, 'bg.pid');
    const doneFile = join(sb.dir, 'bg.done');
    writeFileSync(join(sb.dir, 'bg.sh'), `echo $$ > ${pidFile}\nsleep 1\ntouch ${doneFile}\n`);
    await sb.create('bg', [`background=/bin/sh,${join(sb.dir, 'bg.sh')}`, 'backgroundOutlives=1']);
    const r = await sb.run(['action', 'bg', 'restore']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.durationMs).toBeLessThan(8000);
    const until = Date.now() + 3000;
    while (!existsSync(pidFile) && Date.now() < until) await new Promise((res) => setTimeout(res, 20));
    const pid = Number(readFileSync(pidFile, 'utf8').trim());
    killLater(pid);
    expect(existsSync(doneFile)).toBe(false);
    while (!existsSync(doneFile) && Date.now() < until) await new Promise((res) => setTimeout(res, 50));
    expect(existsSync(doneFile)).toBe(true);
  });
});
