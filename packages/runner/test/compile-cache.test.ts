/**
 * kit-runner's bin (and every OCF agent, which carries the same block) turns Node's compile cache
 * on only in a directory no other user can write to or replace: the cache is code a root process
 * runs. Node's default, $TMPDIR/node-compile-cache, is one any user could create first.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { agentSource, compileCacheBlock } from '../src/ocf/install.ts';
import { RUNNER_BIN } from './ocf-helpers.ts';

const dir = mkdtempSync(join(tmpdir(), 'rk-cc-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Runs `kit-runner --version` with `env` (nothing of the caller's NODE_COMPILE_CACHE); the files the cache wrote under `cacheDir`. */
function cached(cacheDir: string, env: NodeJS.ProcessEnv): string[] {
  const { NODE_COMPILE_CACHE: _a, NODE_DISABLE_COMPILE_CACHE: _b, ...rest } = process.env;
  const r = spawnSync(process.execPath, [RUNNER_BIN, '--version'], { encoding: 'utf8', env: { ...rest, ...env } });
  expect(r.status, r.stderr).toBe(0);
  const root = join(cacheDir, 'node-compile-cache');
  if (!existsSync(root)) return [];
  return readdirSync(root).flatMap((v) => readdirSync(join(root, v)).map((f) => `${v}/${f}`));
}

describe('the compile cache', () => {
  it('is written in a private directory (KIT_RUNNER_CACHE_DIR), made 0700', () => {
    const d = join(dir, 'private');
    expect(cached(d, { KIT_RUNNER_CACHE_DIR: d }).length).toBeGreaterThan(0);
    expect(readdirSync(d)).toEqual(['node-compile-cache']);
    expect(readdirSync(join(d, 'node-compile-cache')).length).toBe(1);
  });

  it('is not used below a directory others can write to (not sticky), nor in one another user owns', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o777);
    // ...and never falls back to Node's default in the temporary directory.
    const tmp = join(dir, 'tmp');
    mkdirSync(tmp);
    expect(cached(join(open, 'rk'), { KIT_RUNNER_CACHE_DIR: join(open, 'rk'), TMPDIR: tmp })).toEqual([]);
    expect(readdirSync(tmp)).toEqual([]);
    if (process.getuid?.() === 0) {
      const theirs = join(dir, 'theirs');
      mkdirSync(theirs, { mode: 0o700 });
      chownSync(theirs, 65534, 65534);
      expect(cached(theirs, { KIT_RUNNER_CACHE_DIR: theirs })).toEqual([]);
    }
  });

  it("follows NODE_COMPILE_CACHE (the operator's choice), and NODE_DISABLE_COMPILE_CACHE turns it off", () => {
    const d = join(dir, 'chosen');
    const r = spawnSync(process.execPath, [RUNNER_BIN, '--version'], { encoding: 'utf8', env: { ...process.env, NODE_COMPILE_CACHE: d } });
    expect(r.status, r.stderr).toBe(0);
    expect(readdirSync(d).length).toBe(1);
    const off = join(dir, 'off');
    expect(cached(off, { KIT_RUNNER_CACHE_DIR: off, NODE_DISABLE_COMPILE_CACHE: '1' })).toEqual([]);
  });

  it('each OCF agent carries the same block as the bin', () => {
    const bundle = join(RUNNER_BIN, '..', '..', 'dist', 'kit-runner.mjs');
    const block = compileCacheBlock(bundle);
    expect(readFileSync(RUNNER_BIN, 'utf8')).toContain(block);
    expect(block).toContain('mod.enableCompileCache(dir)');
    const agent = agentSource('app', { env: {}, node: process.execPath, bundle });
    expect(agent).toContain(block);
    expect(agent).not.toMatch(/enableCompileCache\?\.\(\)/);
  });
});
