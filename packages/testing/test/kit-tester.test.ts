/**
 * KitTester as a conformance harness: frozen options and info, quickCheck proven read-only by
 * the commands it runs, `{ code, exitCode }` expectations, failures that must be KitErrors with a
 * fix, schema rejections counted as the action's failure, and no test framework needed.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { ConflictError, defineKit, defineOptions, KitError, opt } from '@recovery-kit/sdk';
import { KitTester } from '@recovery-kit/testing';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));

const options = defineOptions({
  dir: opt.string({ description: 'a directory', required: true }),
  port: opt.integer({ description: 'a port', min: 1, max: 65535, default: 80 }),
});

const kit = defineKit({
  meta: { name: 'tester-kit', version: '1.0.0', kitType: 'tester' },
  options,
  actions: {
    create: () => undefined,
    restore: async (ctx) => {
      if (ctx.tag === 'mutate-options') (ctx.options as { port: number }).port = 1;
      if (ctx.tag === 'mutate-info') (ctx.info as Record<string, unknown>).x = 1;
      if (ctx.tag === 'plain-error') throw new Error('plain');
      if (ctx.tag === 'no-fix') throw new KitError('no fix here');
      if (ctx.tag === 'conflict') throw new ConflictError('busy elsewhere', { code: 'IN_USE', fix: 'wait' });
      await ctx.exec('touch', [join(ctx.options.dir, 'up')]);
    },
    remove: async (ctx) => {
      await ctx.exec('rm', ['-f', join(ctx.options.dir, 'up')]);
    },
    quickCheck: async (ctx) => {
      if (ctx.tag === 'writes') await ctx.exec('touch', [join(ctx.options.dir, 'written-by-quickcheck')]);
      const r = await ctx.exec('test', ['-f', join(ctx.options.dir, 'up')], { reject: false });
      return r.exitCode === 0 ? { status: 'ok' } : { status: 'failed', reason: 'not up' };
    },
  },
});

function dir(): string {
  const d = mkdtempSync(join(tmpdir(), 'rk-tester-'));
  dirs.push(d);
  return d;
}

const tester = new KitTester(kit);

describe('KitTester.runCase', () => {
  it('passes a kit that behaves, and records the commands it ran', async () => {
    const d = dir();
    const r = await tester.runCase({ name: 'restore', action: 'restore', context: { options: { dir: d } }, expect: 'ok' });
    expect(r.problems).toEqual([]);
    expect(r.exec).toEqual([['touch', join(d, 'up')]]);
  });

  it('options and info are frozen: a kit that changes them fails the case', async () => {
    const d = dir();
    const a = await tester.runCase({ name: 'o', action: 'restore', context: { tag: 'mutate-options', options: { dir: d } }, expect: 'ok' });
    expect(a.problems.join()).toMatch(/expected restore to succeed; it failed: .*read only|expected restore to succeed; it failed: .*Cannot assign/);
    const b = await tester.runCase({ name: 'i', action: 'restore', context: { tag: 'mutate-info', options: { dir: d }, info: { a: 1 } }, expect: 'ok' });
    expect(b.problems).toHaveLength(1);
  });

  it('quickCheck is read-only: a command the case does not allow is refused and fails the case', async () => {
    const d = dir();
    const ok = await tester.runCase({ name: 'reads', action: 'quickCheck', context: { options: { dir: d } }, expect: 'failed', allowExec: ['test'] });
    expect(ok.problems).toEqual([]);
    const bad = await tester.runCase({ name: 'writes', action: 'quickCheck', context: { tag: 'writes', options: { dir: d } }, expect: 'failed', allowExec: ['test'] });
    expect(bad.problems.join('\n')).toMatch(/quickCheck ran "touch .*written-by-quickcheck", which is not in allowExec/);
    expect(existsSync(join(d, 'written-by-quickcheck'))).toBe(false);
    const byTester = await new KitTester(kit, { quickCheckExec: [/^test -f /] }).runCase({ name: 'w', action: 'quickCheck', context: { tag: 'writes', options: { dir: d } }, expect: 'failed' });
    expect(byTester.problems.join()).toMatch(/not in allowExec/);
  });

  it('a case can expect { code, exitCode }', async () => {
    const d = dir();
    const c = { name: 'c', action: 'restore' as const, context: { tag: 'conflict', options: { dir: d } } };
    expect((await tester.runCase({ ...c, expect: { code: 'IN_USE', exitCode: 11 } })).problems).toEqual([]);
    expect((await tester.runCase({ ...c, expect: { code: 'OTHER' } })).problems).toEqual(['expected code OTHER, got IN_USE']);
    expect((await tester.runCase({ ...c, expect: { exitCode: 1 } })).problems).toEqual(['expected exit code 1, got 11']);
  });

  it('every failure must be a KitError with a fix', async () => {
    const d = dir();
    const plain = await tester.runCase({ name: 'p', action: 'restore', context: { tag: 'plain-error', options: { dir: d } }, expect: 'throws' });
    expect(plain.problems).toEqual(['failures must be KitErrors (with a code, an exit code and a fix); the kit threw Error: plain']);
    const noFix = await tester.runCase({ name: 'n', action: 'restore', context: { tag: 'no-fix', options: { dir: d } }, expect: /no fix here/ });
    expect(noFix.problems.join()).toMatch(/the failure has no fix for the operator/);
  });

  it('a create the option schema rejects counts as throws (not an error outside the case)', async () => {
    const r = await tester.runCase({ name: 'bad port', action: 'create', context: { options: { dir: '/tmp', port: '70000' } }, expect: { code: 'INVALID_CONFIG' } });
    expect(r.problems).toEqual([]);
    expect(r.error).toBeInstanceOf(Error);
    const unexpected = await tester.runCase({ name: 'bad port ok', action: 'create', context: { options: { dir: '/tmp', port: '70000' } }, expect: 'ok' });
    expect(unexpected.problems.join()).toMatch(/expected create to succeed; it failed: [\s\S]*port/);
  });

  it('runLifecycle checks restore twice, remove twice and quickCheck after each', async () => {
    const d = dir();
    expect((await tester.runLifecycle({ context: { options: { dir: d } } })).problems).toEqual([]);
  });
});

describe('no test framework needed', () => {
  it('@recovery-kit/testing/harness runs a case in plain node without loading vitest', () => {
    const here = fileURLToPath(new URL('..', import.meta.url));
    const hooks = `data:text/javascript,${encodeURIComponent("export async function resolve(s, c, next) { if (s === 'vitest' || s.startsWith('vitest/')) throw new Error('vitest was imported'); return next(s, c); }")}`;
    const script = `
      import { register } from 'node:module';
      register(${JSON.stringify(hooks)});
      const { KitTester, assertCase } = await import('@recovery-kit/testing/harness');
      const { defineKit, defineOptions, opt } = await import('@recovery-kit/sdk');
      const kit = defineKit({ meta: { name: 'k', version: '1.0.0', kitType: 'k' }, options: defineOptions({ n: opt.integer({ description: 'n', default: 1 }) }),
        actions: { restore: () => undefined, remove: () => undefined } });
      const r = await new KitTester(kit).runCase({ name: 'r', action: 'restore', expect: 'ok' });
      assertCase(r);
      let threw = false;
      try { assertCase(await new KitTester(kit).runCase({ name: 'x', action: 'remove', expect: 'throws' })); } catch (e) { threw = e instanceof Error && /expected a failure/.test(e.message); }
      console.log(JSON.stringify({ problems: r.problems, threw }));
    `;
    const out = execFileSync(process.execPath, ['--input-type=module', '-e', script], { cwd: here, encoding: 'utf8' });
    expect(JSON.parse(out)).toEqual({ problems: [], threw: true });
  });
});
