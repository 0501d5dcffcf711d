/**
 * No option value reaches a shell (issue 16 item 5), for the Oracle kits against their fakes:
 * ORACLE_HOME, TNS_ADMIN and the oratab file under names holding `$(...)`, backticks and `;`
 * that would create marker files if a shell saw them. The kits run sqlplus and lsnrctl with
 * argument arrays and the values in the environment: the instance and the listener start and
 * stop, and no marker exists. The options with a pattern refuse such values with exit 6.
 */
import { mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isKitError } from '@recovery-kit/sdk';
import { createTestContext, runTestActions } from '@recovery-kit/testing';
import listenerKit from '../../oracle-listener/src/index.ts';
import { options as listenerOptions } from '../../oracle-listener/src/options.ts';
import kit from '../src/index.ts';
import { options } from '../src/options.ts';
import { fakeHome, type FakeHome } from './helpers.ts';

const evil = (base: string, n: string) => `$(touch ${base}/${n}1)\`touch ${base}/${n}2\`;touch ${base}/${n}3`;

describe('oracle kits: shell characters in option values', () => {
  it('options with a pattern refuse $(...), backticks and ; (exit 6, naming the field)', () => {
    const bad = ['X$(id)', 'X`id`', 'X;id'];
    const cases: Array<[typeof options | typeof listenerOptions, string, Record<string, string>]> = [];
    for (const v of bad) {
      for (const f of ['sid', 'user', 'listener', 'listenerTag', 'monitorUser', 'walletAlias']) cases.push([options, f, { sid: 'ORCL', [f]: v }]);
      for (const f of ['user', 'listener']) cases.push([listenerOptions, f, { home: '/u01/app/oracle', [f]: v }]);
    }
    for (const [schema, field, raw] of cases) {
      let err: unknown;
      try {
        schema.parse(raw);
      } catch (e) {
        err = e;
      }
      expect(isKitError(err), `${field}=${raw[field]}`).toBe(true);
      expect((err as { exitCode: number }).exitCode).toBe(6);
      expect((err as Error).message).toContain(field);
    }
  });

  describe('paths with shell characters, against the fakes', () => {
    let fh: FakeHome;
    let base: string;
    let home: string;
    beforeAll(() => {
      fh = fakeHome();
      base = mkdtempSync('/tmp/rko');
      chmodSync(base, 0o755);
      home = join(base, `h${evil(base, 'h')}`, 'home');
      mkdirSync(join(home, '..'), { recursive: true });
      renameSync(fh.home, home);
      const oratabDir = join(base, `t${evil(base, 't')}`);
      mkdirSync(oratabDir, { recursive: true });
      writeFileSync(join(oratabDir, 'oratab'), `${fh.sid}:${home}:N\n`);
    });
    afterAll(async () => {
      for (const p of fh?.pids('pmon') ?? []) process.kill(p, 'SIGKILL');
      if (base) rmSync(base, { recursive: true, force: true });
    });
    const markers = () => readdirSync(base).filter((f) => /^[ht][123]$/.test(f));
    const oratab = () => join(base, `t${evil(base, 't')}`, 'oratab');

    it('the listener starts, answers and stops with ORACLE_HOME and TNS_ADMIN under such names; nothing ran', async () => {
      const o = { home, listener: fh.listener, tnsAdmin: join(home, 'network', 'admin') };
      const [, q] = await runTestActions(listenerKit, ['restore', 'quickCheck', 'remove'], { tag: 'lsnr', options: o });
      expect(q).toMatchObject({ status: 'ok' });
      expect(markers()).toEqual([]);
    });

    it('the instance starts (ORACLE_HOME from an oratab file under such a name), is healthy and stops; nothing ran', async () => {
      const o = { sid: fh.sid, oratab: oratab(), protectListener: 'false', tnsAdmin: join(home, 'network', 'admin') };
      const created = createTestContext(kit, { tag: 'db', action: 'create', options: o });
      try {
        const r = (await kit.actions.create!(created)) as { options: { home: string } };
        expect(r.options.home).toBe(home);
      } finally {
        created.dispose();
      }
      const [, q] = await runTestActions(kit, ['restore', 'quickCheck', 'remove'], { tag: 'db', options: { ...o, home } });
      expect(q).toMatchObject({ status: 'ok' });
      expect(markers()).toEqual([]);
    });
  });
});
