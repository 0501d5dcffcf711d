/**
 * The offline bundle (scripts/bundle.mjs, docs/operate/installing-kits.md "A node without registry
 * access"): one tarball with the runner, every kit and every third-party dependency, installed
 * the documented way (tar into /usr/lib/recovery-kit) under a temporary root, with the registry
 * unreachable for every step after the bundle is made (npm_config_registry=http://127.0.0.1:9).
 * Making it needs the registry or npm's cache (pg for the PostgreSQL kit).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appLifecycle, bundleScript, cleanEnv, installedRunner, npm, packTarballs, tempDir } from './helpers.ts';

const work = tempDir('rk-bundle-');
afterAll(work.cleanup);
const offline = { npm_config_registry: 'http://127.0.0.1:9', npm_config_offline: 'true' };
const prefix = join(work.dir, 'root/usr/lib/recovery-kit');
const bin = join(prefix, 'node_modules/.bin/kit-runner');

describe('the offline bundle', { timeout: 180_000 }, () => {
  it('bundle.mjs writes one tarball with the runner, the kits and their dependencies', () => {
    const out = bundleScript(['--out', join(work.dir, 'bundle.tgz')]);
    expect(out).toMatch(/kit-runner 0\.1\.0 with 9 kits/);
    expect(out).toContain('tar -xzf bundle.tgz -C /usr/lib/recovery-kit');
    const list = spawnSync('tar', ['-tzf', join(work.dir, 'bundle.tgz')], { encoding: 'utf8' }).stdout;
    for (const f of [
      './package.json',
      './package-lock.json',
      './node_modules/.bin/kit-runner',
      './node_modules/pg/package.json',
      './packages/recovery-kit-runner-0.1.0.tgz',
    ])
      expect(list.split('\n'), f).toContain(f);
  });

  it('installs with tar alone, as documented, and runs with the registry unreachable', async () => {
    mkdirSync(prefix, { recursive: true });
    const x = spawnSync('tar', ['-xzf', join(work.dir, 'bundle.tgz'), '-C', prefix, '--no-same-owner']);
    expect(x.status, x.stderr?.toString()).toBe(0);
    const kr = installedRunner(bin, join(work.dir, 'app'), offline);
    const kits = await kr(['kits', '--json']);
    expect(kits.code, kits.stderr).toBe(0);
    const text = JSON.stringify(kits.json);
    for (const k of ['app', 'ec2', 'ip', 'libreswan', 'mirror', 'oracle', 'oracle-listener', 'postgresql', 'route53'])
      expect(text).toContain(`"kitType":"${k}"`);
    // The PostgreSQL kit's own dependency (pg) is there: the kit imports and describes itself.
    const pg = await kr(['kits', 'postgresql']);
    expect(pg.code, pg.stderr).toBe(0);
    const imp = spawnSync(process.execPath, ['--input-type=module', '-e', "await import('pg')"], { cwd: prefix, env: cleanEnv(offline), encoding: 'utf8' });
    expect(imp.status, imp.stderr).toBe(0);
    await appLifecycle(kr, work.dir);
  });

  it('npm can manage the installed prefix offline: the tree checks, a kit tarball installs', () => {
    npm(['ls', '--offline'], prefix, offline);
    // A kit made elsewhere (here: the app kit packed again) is added without the registry.
    const extra = packTarballs(join(work.dir, 'extra'), ['kit-app'])['kit-app']!;
    const r = npm(['install', '--offline', extra], prefix, offline);
    expect(r.status).toBe(0);
    expect(existsSync(join(prefix, 'node_modules/@recovery-kit/kit-app/package.json'))).toBe(true);
  });
});
