/**
 * The engine in process, on the real file store and the real fixture kits: the action runner's
 * context and error stamping, one store read per walk, reservations taken before reading, and
 * the monitor recording through the engine.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ActionFailedError, KIT_API_VERSION, KitError, defineKit, defineOptions, isKitError, opt, type KitContext } from '@recovery-kit/sdk';
import { kitErrorOf } from '@recovery-kit/testing';
import { createLogger, memorySink } from '../src/logger.ts';
import { Engine } from '../src/engine.ts';
import { openStore } from '../src/file-store.ts';
import { create } from '../src/create.ts';
import { deleteResource, depAdd } from '../src/lifecycle.ts';
import { reserve } from '../src/reservation.ts';
import { restore, remove } from '../src/walks.ts';
import { runAction } from '../src/action-runner.ts';
import { loadTunables, tunableSetOf } from '../src/tunables.ts';
import { resolveSettings } from '../src/settings.ts';
import { FIXTURE_KITS } from './helpers.ts';

const cleanups: Array<() => void> = [];
afterEach(() => {
  for (const f of cleanups.splice(0)) f();
});

function setup(node = 'node-a') {
  const root = mkdtempSync(join(tmpdir(), 'rk-engine-'));
  cleanups.push(() => rmSync(root, { recursive: true, force: true }));
  const dir = join(root, 'rec');
  rmSync(dir, { recursive: true, force: true });
  writeFileSync(join(root, 'tunables'), 'LOCK_WAIT_TIMEOUT=5\n');
  const settings = resolveSettings({ 'state-dir': join(root, 'state'), tunables: join(root, 'tunables'), 'kits-dir': [FIXTURE_KITS], node });
  const engine = (n = node) => new Engine({ settings: { ...settings, node: n }, logger: createLogger([memorySink()], 'warn') });
  return { root, dir, settings, engine };
}

const probeKit = defineKit({
  meta: { name: 'probe-kit', version: '2.3.4', kitType: 'probe' },
  options: defineOptions({ n: opt.integer({ description: 'a number', default: 1 }) }),
  actions: {
    restore: () => undefined,
    remove: () => undefined,
  },
});

describe('the action runner', () => {
  const run = { tag: 't1', server: 'node-b', node: 'node-a', options: { n: '5' }, tunables: tunableSetOf({}), logger: createLogger([memorySink()], 'warn') };

  it('gives the kit the context the runner builds: parsed options, deadline, local, the runner contract version', async () => {
    const seen = await runAction(probeKit, 'restore', run, (ctx: KitContext<{ n: number }>) => ({ ...ctx, left: ctx.deadline - Date.now() }));
    expect(seen.options).toEqual({ n: 5 });
    expect(seen.local).toBe(false);
    expect(seen.host.apiVersion).toBe(KIT_API_VERSION);
    expect(seen.host.node).toBe('node-a');
    expect(seen.timeoutMs).toBe(300_000);
    expect(seen.left).toBeGreaterThan(299_000);
    const local = await runAction(probeKit, 'restore', { ...run, server: 'node-a' }, (ctx) => ctx.local);
    expect(local).toBe(true);
  });

  it('a stop signal already aborted (SIGTERM while waiting for the reservation) never calls the kit, and says why', async () => {
    const stop = new AbortController();
    stop.abort(new KitError('SIGTERM received', { code: 'STOPPED' }));
    let called = false;
    const e = await kitErrorOf(
      runAction(probeKit, 'restore', { ...run, stop: [stop.signal] }, () => {
        called = true;
      }),
    );
    expect(called).toBe(false);
    expect(e.code).toBe('STOPPED');
    expect(e.message).toBe('restore of t1 was interrupted: SIGTERM received');
  });

  it('stamps every error with kit@version, tag, server and action; a plain Error is wrapped first', async () => {
    const plain = await kitErrorOf(runAction(probeKit, 'remove', run, () => Promise.reject(new TypeError('boom'))));
    expect(plain.code).toBe('ACTION_FAILED');
    expect(plain.origin).toEqual({ kit: 'probe-kit@2.3.4', tag: 't1', server: 'node-b', action: 'remove' });
    expect((plain.cause as Error).message).toBe('boom');
    const own = new ActionFailedError('nope', { fix: 'do it' });
    const e = await kitErrorOf(
      runAction(probeKit, 'restore', run, () => {
        throw own;
      }),
    );
    expect(e).toBe(own);
    expect(e.origin?.kit).toBe('probe-kit@2.3.4');
  });

  it('ends an action that ignores its signal at its deadline, and disposes the timer and listeners', async () => {
    const stop = new AbortController();
    const started = Date.now();
    const e = await kitErrorOf(runAction(probeKit, 'restore', { ...run, timeoutMs: 150, stop: [stop.signal] }, () => new Promise(() => undefined)));
    expect(e.code).toBe('TIMEOUT');
    expect(Date.now() - started).toBeLessThan(2000);
    // A stop after the action ended changes nothing (its listener is gone).
    let aborted = false;
    await runAction(probeKit, 'restore', { ...run, stop: [stop.signal] }, (ctx) => {
      ctx.signal.addEventListener('abort', () => (aborted = true));
    });
    stop.abort();
    expect(aborted).toBe(false);
  });

  it('an invalid stored option fails before the kit runs, stamped, naming the field', async () => {
    let ran = false;
    const e = await kitErrorOf(runAction(probeKit, 'restore', { ...run, options: { n: 'x' } }, () => (ran = true)));
    expect(ran).toBe(false);
    expect(isKitError(e) && e.origin?.action).toBe('restore');
    expect(e.message).toMatch(/n/);
  });
});

describe('tunables', () => {
  it('are read once per process: the engine and every action share one set', () => {
    const { root, engine } = setup();
    const e = engine();
    const first = e.tunables;
    writeFileSync(join(root, 'tunables'), 'LOCK_WAIT_TIMEOUT=7\n');
    expect(engine().tunables).toBe(first);
    expect(first.view().int('LOCK_WAIT_TIMEOUT')).toBe(5);
    expect(loadTunables(join(root, 'tunables'), true).view().int('LOCK_WAIT_TIMEOUT')).toBe(7);
  });
});

describe('walks and the store', () => {
  async function hierarchy(s: ReturnType<typeof setup>) {
    const e = s.engine();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(s.dir, { recursive: true });
    for (const t of ['app', 'web', 'db', 'vip']) await create(e, { kitType: 'rec', tag: t, options: { dir: s.dir } });
    await depAdd(e, 'app', 'web');
    await depAdd(e, 'web', 'db');
    await depAdd(e, 'web', 'vip');
  }

  it('a restore of N resources reads the store once and writes twice per resource (pending, then the state)', async () => {
    const s = setup();
    await hierarchy(s);
    const e = s.engine();
    const steps = await restore(e, 'app');
    expect(steps.map((x) => `${x.tag}:${x.outcome}`)).toEqual(['db:ok', 'vip:ok', 'web:ok', 'app:ok']);
    expect(e.store.reads).toBe(1);
    expect(e.store.writes).toBe(8);
    const fresh = openStore(s.settings.stateDir).read();
    expect(Object.values(fresh.resources).map((r) => r.servers['node-a']!.state)).toEqual(['ISP', 'ISP', 'ISP', 'ISP']);
    const again = s.engine();
    await remove(again, 'db');
    expect(again.store.reads).toBe(1);
  });

  it('the store notices a write by another process and reads again', async () => {
    const s = setup();
    await hierarchy(s);
    const mine = openStore(s.settings.stateDir);
    expect(Object.keys(mine.read().resources)).toHaveLength(4);
    const other = openStore(s.settings.stateDir);
    other.update((d) => {
      delete d.resources.vip;
      d.dependencies = d.dependencies.filter((x) => x.child !== 'vip');
    });
    expect(Object.keys(mine.read().resources).sort()).toEqual(['app', 'db', 'web']);
    mine.update((d) => {
      d.resources.db!.servers['node-a']!.reason = 'mine';
    });
    expect(Object.keys(other.read().resources).sort()).toEqual(['app', 'db', 'web']);
    expect(other.read().resources.db!.servers['node-a']!.reason).toBe('mine');
  });

  it('delete takes the reservation before it reads: it waits for a restore and then sees the resource in service', async () => {
    const s = setup();
    const e = s.engine();
    const { mkdirSync } = await import('node:fs');
    mkdirSync(s.dir, { recursive: true });
    await create(e, { kitType: 'rec', tag: 'slow', options: { dir: s.dir, sleepMs: '400' } });
    const restoring = restore(s.engine(), 'slow');
    await new Promise((r) => setTimeout(r, 100));
    const err = await kitErrorOf(deleteResource(s.engine(), 'slow'));
    await restoring;
    expect(err.code).toBe('IN_SERVICE');
    expect(Object.keys(openStore(s.settings.stateDir).read().resources)).toEqual(['slow']);
  });

  it('a reservation returns the document read under it', async () => {
    const s = setup();
    await hierarchy(s);
    const e = s.engine();
    const r = await reserve(e, ['db'], 'test');
    try {
      expect(Object.keys(r.data.resources).sort()).toEqual(['app', 'db', 'vip', 'web']);
      const busy = await kitErrorOf(reserve(s.engine(), ['app'], 'other', 0));
      expect(busy.code).toBe('BUSY');
    } finally {
      r.release();
    }
  });
});
