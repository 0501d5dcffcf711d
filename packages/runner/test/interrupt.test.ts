/**
 * SIGTERM and SIGINT to a one-shot action (issue 16, item 4): the action ends at once, the
 * kit's commands are stopped (SIGTERM, then SIGKILL for one that ignores it), a line says what
 * was interrupted, the resource is recorded OSF ("interrupted": an interrupted restore is not in
 * service, as a failed one is not) with its pending mark cleared, and the exit code is 128 + the
 * signal (docs/reference/exit-codes.md). Real processes: the app kit's start command is a shell
 * script that records its pid and waits.
 */
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    // A zombie (not reaped: PID 1 in a container may not) is not running.
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

const until = async (f: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
};

function appResource(sb: ReturnType<typeof recSandbox>, body: string, prelude = '') {
  const start = join(sb.dir, 'start');
  const pidFile = join(sb.dir, 'start.pid');
  writeFileSync(start, `#!/bin/sh\n${prelude}\necho $$ > ${pidFile}.tmp && mv ${pidFile}.tmp ${pidFile}\n${body}\n`);
  chmodSync(start, 0o755);
  return { start, pidFile, pid: () => Number(readFileSync(pidFile, 'utf8')) };
}

async function interrupted(sb: ReturnType<typeof recSandbox>, args: string[], pidFile: string, sig: NodeJS.Signals) {
  const child = sb.spawn(args);
  let stdout = '';
  let stderr = '';
  child.stdout!.on('data', (d: Buffer) => (stdout += d));
  child.stderr!.on('data', (d: Buffer) => (stderr += d));
  const closed = new Promise<number | null>((r) => child.on('close', (code) => r(code)));
  await until(() => existsSync(pidFile));
  const sent = Date.now();
  child.kill(sig);
  const code = await closed;
  return { code, stdout, stderr, ms: Date.now() - sent };
}

const entry = (sb: ReturnType<typeof recSandbox>, tag: string) => JSON.parse(sb.storeBytes()).resources[tag].servers['node-a'];

describe('a one-shot action told to stop', () => {
  it('SIGTERM during restore: the start command is stopped, the resource is OSF with the reason, no pending mark, exit 143', async () => {
    const sb = recSandbox();
    const app = appResource(sb, 'exec sleep 30');
    await sb.ok(['create', 'app', '--tag', 'a', '--opt', `start=${app.start}`, '--opt', 'stop=/bin/true', '--opt', 'status=/bin/false']);
    const r = await interrupted(sb, ['action', 'a', 'restore'], app.pidFile, 'SIGTERM');
    expect(r.code).toBe(143);
    expect(r.ms).toBeLessThan(3000);
    expect(r.stderr).toMatch(/kit-runner: SIGTERM received: interrupting restore of a/);
    expect(r.stderr).toMatch(/kit-runner: restore of a interrupted by SIGTERM: restore of a on node-a stopped, marked OSF/);
    expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    expect(alive(app.pid())).toBe(false);
    const e = entry(sb, 'a');
    expect(e.state).toBe('OSF');
    expect(e.reason).toMatch(/restore failed: restore of a was interrupted: SIGTERM received/);
    expect(e.pending).toBeUndefined();
    const history = readFileSync(join(sb.stateDir, 'history.jsonl'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(history.at(-1)).toMatchObject({ event: 'restore', tag: 'a', outcome: 'failed', reason: expect.stringMatching(/SIGTERM/) });
    // The next restore starts from there as from any failure.
    expect((await sb.run(['status', 'a'])).stdout).toMatch(/OSF/);
  });

  it('SIGINT: a command that ignores SIGTERM is killed after the grace period; exit 130; --json says what happened', async () => {
    const sb = recSandbox();
    const app = appResource(sb, 'while :; do sleep 0.1; done', "trap '' TERM");
    await sb.ok(['create', 'app', '--tag', 'a', '--opt', `start=${app.start}`, '--opt', 'stop=/bin/true', '--opt', 'status=/bin/false']);
    const r = await interrupted(sb, ['action', 'a', 'restore', '--json'], app.pidFile, 'SIGINT');
    expect(r.code).toBe(130);
    // SIGTERM was ignored: SIGKILL came after the 2 s grace.
    expect(r.ms).toBeGreaterThanOrEqual(1900);
    expect(r.ms).toBeLessThan(5000);
    expect(alive(app.pid())).toBe(false);
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: false,
      interrupted: 'SIGINT',
      error: { code: 'INTERRUPTED', exitCode: 130 },
      steps: [{ tag: 'a', action: 'restore', outcome: 'failed' }],
    });
    expect(entry(sb, 'a')).toMatchObject({ state: 'OSF' });
    expect(entry(sb, 'a').pending).toBeUndefined();
  });

  it('SIGTERM while waiting for the reservation: exits 143, nothing changed', async () => {
    const sb = recSandbox();
    const app = appResource(sb, 'exec sleep 30');
    await sb.ok(['create', 'app', '--tag', 'a', '--opt', `start=${app.start}`, '--opt', 'stop=/bin/true', '--opt', 'status=/bin/false']);
    const holder = sb.spawn(['action', 'a', 'restore']);
    const held = new Promise((r) => holder.on('close', r));
    await until(() => existsSync(app.pidFile));
    const before = sb.storeBytes();
    const waiter = sb.spawn(['action', 'a', 'remove']);
    let stderr = '';
    waiter.stderr!.on('data', (d: Buffer) => (stderr += d));
    const closed = new Promise<number | null>((r) => waiter.on('close', (c) => r(c)));
    await new Promise((r) => setTimeout(r, 500));
    waiter.kill('SIGTERM');
    expect(await closed).toBe(143);
    expect(stderr).toMatch(/remove of a interrupted by SIGTERM before any action started; nothing was changed/);
    expect(sb.storeBytes()).toBe(before);
    holder.kill('SIGTERM');
    await held;
  });
});
