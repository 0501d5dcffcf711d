// The running monitor (issue 16, item 7): one error line per interval for a broken store, naming
// the file, instead of a spin; one hung quickCheck delays no other hierarchy.
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '@recovery-kit/runner';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('the running monitor', () => {
  it('a broken store gives one error line per interval, naming the file', async () => {
    const sb = recSandbox();
    sb.setTunables({ LKCHECKINTERVAL: 1 });
    await sb.create('a');
    await sb.ok(['action', 'a', 'restore']);
    const file = new FileStore(sb.stateDir).file;
    const child = sb.spawn(['monitor']);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    // Broken once the monitor has checked (and scheduled) the resource: the old loop then spun.
    for (let i = 0; i < 200 && !sb.log().some((l) => l.tag === 'a' && l.action === 'quickCheck'); i++) await wait(50);
    writeFileSync(file, '{ not json');
    await wait(3500);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const errors = stderr.split('\n').filter((l) => /monitor round failed/.test(l));
    expect(errors.length, stderr.slice(0, 2000)).toBeGreaterThanOrEqual(1);
    expect(errors.length, `${errors.length} error lines in 3.5 s`).toBeLessThanOrEqual(5);
    for (const l of errors) expect(l).toContain(file);
  });

  it('one hung quickCheck delays the recovery of no other hierarchy', async () => {
    const sb = recSandbox();
    sb.setTunables({ LKCHECKINTERVAL: 1, QUICKCHECK_TIMEOUT_hang: 15 });
    await sb.create('hang', ['failOn=quickCheckHang']);
    await sb.create('fast');
    await sb.ok(['action', 'hang', 'restore']);
    await sb.ok(['action', 'fast', 'restore']);
    const child = sb.spawn(['monitor']);
    try {
      // Both have been checked once; then fast breaks.
      for (let i = 0; i < 200 && !sb.log().some((l) => l.tag === 'fast' && l.action === 'quickCheck'); i++) await wait(50);
      for (let i = 0; i < 200 && !sb.log().some((l) => l.tag === 'hang' && l.action === 'quickCheck'); i++) await wait(50);
      const broke = Date.now();
      rmSync(join(sb.dir, 'fast@node-a.up'));
      let recovered = 0;
      for (let i = 0; i < 300 && !recovered; i++) {
        const r = sb.log().find((l) => l.tag === 'fast' && l.action === 'recover:end' && l.t >= broke);
        if (r) recovered = r.t;
        else await wait(50);
      }
      expect(recovered, 'fast was never recovered').toBeGreaterThan(0);
      // Its interval is 1 s; the hung check of the other hierarchy runs for 15 s.
      expect(recovered - broke).toBeLessThan(6000);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
    }
  });

  it('checks at level 20 on the first round and every DEEP_CHECK_EVERY-th, level 10 between; a one-shot quickCheck is level 20', async () => {
    const sb = recSandbox();
    sb.setTunables({ LKCHECKINTERVAL: 1, DEEP_CHECK_EVERY: 3 });
    await sb.create('a');
    await sb.ok(['action', 'a', 'restore']);
    const checks = () => sb.log().filter((l) => l.tag === 'a' && l.action === 'quickCheck');
    const child = sb.spawn(['monitor']);
    try {
      for (let i = 0; i < 300 && checks().length < 7; i++) await wait(50);
    } finally {
      child.kill('SIGKILL');
      await new Promise((r) => child.on('close', r));
    }
    expect(
      checks()
        .slice(0, 7)
        .map((l) => l.level),
    ).toEqual([20, 10, 10, 20, 10, 10, 20]);
    await sb.ok(['action', 'a', 'quickCheck']);
    expect(checks().at(-1)!.level).toBe(20);
  });
});
