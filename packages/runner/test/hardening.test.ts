/**
 * Issue 16, item 13 (the smaller ones): a quickCheck with an answer the contract does not allow
 * is a clear error with exit 1; an options file or --opt naming `__proto__` is refused and
 * changes nothing. (The app kit's directory-as-command, unknown user and killed-by-signal cases
 * are in examples/kit-app/test/kit.test.ts; the 0755 state directory and stale temporary files
 * in trust.test.ts.)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

describe('quickCheck with an invalid answer', () => {
  it('is an error naming the answer and the kit, exit 1, and changes no state', async () => {
    const sb = recSandbox();
    await sb.create('b', ['failOn=quickCheckBogus']);
    await sb.ok(['action', 'b', 'restore']);
    const before = sb.storeBytes();
    const q = await sb.run(['action', 'b', 'quickCheck']);
    expect(q.exitCode).toBe(1);
    expect(q.stderr).toMatch(
      /kit-runner: error: kit rec's quickCheck gave an invalid answer \("bogus"; expected status ok, failed or unknown\): a bug in the kit/,
    );
    expect(q.stdout).not.toMatch(/undefined/);
    const j = await sb.run(['action', 'b', 'quickCheck', '--json']);
    expect(j.exitCode).toBe(1);
    expect(j.json).toMatchObject({ ok: false, status: 'unknown', code: 'KIT_INVALID_ANSWER' });
    expect(sb.storeBytes()).toBe(before);
  });
});

describe('option names that reach a prototype', () => {
  it('__proto__, constructor and prototype are refused in a JSON options file, a KEY=VALUE file and --opt', async () => {
    const sb = recSandbox();
    await sb.create('keep');
    const before = sb.storeBytes();
    const json = join(sb.dir, 'o.json');
    // With __proto__ read as a key, "dir" would come from the prototype and pass the schema.
    writeFileSync(json, JSON.stringify({ failOn: 'none' }).replace('{', `{"__proto__": {"dir": ${JSON.stringify(sb.dir)}},`));
    const kv = join(sb.dir, 'o.conf');
    writeFileSync(kv, `dir=${sb.dir}\nconstructor=x\n`);
    for (const args of [
      ['--opts-file', json],
      ['--opts-file', kv],
      ['--opt', `dir=${sb.dir}`, '--opt', 'prototype=1'],
    ]) {
      const r = await sb.run(['create', 'rec', '--tag', 'x', ...args]);
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/"(__proto__|constructor|prototype)" is not an option name/);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
      expect(sb.storeBytes()).toBe(before);
    }
  });
});
