/**
 * No option value reaches a shell (issue 16 item 5): the start, stop and status commands are
 * split into arguments and run without one. Values holding `$(...)`, backticks and `;` that would
 * create marker files reach the program as plain arguments; nothing else runs. A command whose
 * program part holds them is refused at create (exit 6).
 */
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isKitError } from '@recovery-kit/sdk';
import { createTestContext, runTestActions } from '@recovery-kit/testing';
import kit from '../src/index.ts';

const dir = mkdtempSync(join(tmpdir(), 'rk-app-shell-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const evil = (n: string) => `$(touch ${dir}/${n}1) \`touch ${dir}/${n}2\` ;touch ${dir}/${n}3`;
const markers = () => readdirSync(dir).filter((f) => /^[a-z][123]$/.test(f));

describe('app kit: shell characters in the commands', () => {
  it('restore, quickCheck and remove pass them to the program as arguments; nothing else runs', async () => {
    // A program that records its arguments and keeps a state file, so status tells start from stop.
    const prog = join(dir, 'svc');
    writeFileSync(
      prog,
      `#!/bin/sh\nprintf '%s\\n' "$@" > ${dir}/args-$1\ncase "$1" in start) : > ${dir}/up ;; stop) rm -f ${dir}/up ;; status) test -e ${dir}/up ;; esac\n`,
    );
    chmodSync(prog, 0o755);
    const o = { start: `${prog} start ${evil('a')}`, stop: `${prog} stop ${evil('b')}`, status: `${prog} status ${evil('c')}`, settleSeconds: '2' };
    const [, , q] = await runTestActions(kit, ['create', 'restore', 'quickCheck', 'remove'], { tag: 'app', options: o });
    expect(q).toMatchObject({ status: 'ok' });
    expect(markers()).toEqual([]);
    expect(existsSync(join(dir, 'up'))).toBe(false);
    const { readFileSync } = await import('node:fs');
    expect(readFileSync(join(dir, 'args-start'), 'utf8').split('\n')).toEqual([
      'start',
      '$(touch',
      `${dir}/a1)`,
      '`touch',
      `${dir}/a2\``,
      `;touch`,
      `${dir}/a3`,
      '',
    ]);
  });

  it('a program path holding them is not an executable file: create exits 6', async () => {
    const ctx = createTestContext(kit, {
      tag: 'app',
      action: 'create',
      options: { start: `/bin/true;touch${dir}/d1`, stop: '/bin/true', status: '/bin/true' },
    });
    let err: unknown;
    try {
      await kit.actions.create!(ctx);
    } catch (e) {
      err = e;
    } finally {
      ctx.dispose();
    }
    expect(isKitError(err)).toBe(true);
    expect((err as { exitCode: number }).exitCode).toBe(6);
    expect((err as Error).message).toMatch(/start: .* is not an executable file/);
    expect(markers()).toEqual([]);
  });
});
