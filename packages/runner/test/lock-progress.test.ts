/**
 * Waiting for a hierarchy's reservation is not silent: the waiter says, on stderr, what it waits
 * for (the tag it was asked about) and who holds it; on a pipe only when asked (--progress or
 * -v), never under -q; and the BUSY error names the tag asked for and the holder.
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

describe('lock wait progress', () => {
  it('names the tag asked for and the holder, on a pipe only when asked, and -q silences it', async () => {
    const sb = recSandbox();
    await sb.create('app');
    await sb.create('web', ['sleepMs=3000']);
    await sb.ok(['dep', 'add', 'app', 'web']);
    sb.setTunables({ LOCK_WAIT_TIMEOUT: 2 });
    const patient = join(sb.root, 'patient.conf');
    writeFileSync(patient, 'LOCK_WAIT_TIMEOUT=30\n');
    // The holder: restore app takes the reservation of the hierarchy (key "app") and restores web, slowly.
    const holder = sb.run(['action', 'app', 'restore']);
    for (let i = 0; i < 100 && !sb.log().some((l) => l.action === 'restore:start'); i++) await new Promise((r) => setTimeout(r, 50));
    // On a terminal (a pseudo-terminal from script(1)), without --progress: one line rewritten in place.
    const bin = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));
    const onTerminal = new Promise<string>((resolve) => {
      const child = spawn('script', ['-q', '-e', '-c', `"${process.execPath}" "${bin}" action web remove`, '/dev/null'], {
        env: { ...process.env, ...sb.env },
      });
      let out = '';
      child.stdout.on('data', (d) => {
        out += String(d);
      });
      child.on('close', () => resolve(out));
    });
    const [asked, silent, quiet, verbose, waits] = await Promise.all([
      sb.run(['action', 'web', 'remove', '--progress']),
      sb.run(['action', 'web', 'remove']),
      sb.run(['action', 'web', 'remove', '-q', '--progress']),
      sb.run(['action', 'web', 'remove', '-v']),
      sb.run(['--tunables', patient, 'action', 'web', 'remove', '--progress']),
    ]);
    expect((await holder).exitCode).toBe(0);
    const waiting = /waiting for the reservation of web \(the hierarchy of app\) \(\d s of 2 s\): kit-runner pid \d+ \(restore app\) holds it since \d{4}-/;
    const busy = /error: web \(the hierarchy of app\) is busy: kit-runner pid \d+ \(restore app\) holds it since/;
    expect(asked.exitCode, asked.stderr).toBe(12);
    expect(asked.stderr).toMatch(waiting);
    expect(asked.stderr).toMatch(busy);
    // On a pipe a progress line is printed at most every 5 s: one in a 2 s wait.
    expect(asked.stderr.match(/waiting for the reservation/g)).toHaveLength(1);
    expect(silent.exitCode).toBe(12);
    expect(silent.stderr).not.toMatch(/waiting for/);
    expect(silent.stderr).toMatch(busy);
    expect(quiet.exitCode).toBe(12);
    expect(quiet.stderr).not.toMatch(/waiting for/);
    expect(quiet.stderr).toMatch(busy);
    expect(verbose.stderr).toMatch(waiting);
    expect(waits.exitCode, waits.stderr).toBe(0);
    expect(waits.stderr).toMatch(/waiting for the reservation of web \(the hierarchy of app\) \(\d+ s of 30 s\): kit-runner pid \d+ \(restore app\)/);
    expect(waits.stderr).toMatch(/web \(the hierarchy of app\): reserved after waiting \d+\.\d s/);
    const tty = await onTerminal;
    const CLEAR = '\r\x1b[K';
    expect(tty).toContain(`${CLEAR}waiting for the reservation of web (the hierarchy of app) (1 s of 2 s)`);
    // The error that follows starts on a cleared line.
    expect(tty).toContain(`${CLEAR}kit-runner: error: web (the hierarchy of app) is busy`);
  });
});
