/**
 * create-kit: the scaffold's input checks, and the steps of docs/extend/writing-a-kit.md run as a
 * kit author outside this repository would: `npm init @recovery-kit/kit` (here `npm exec` of the
 * packed create-kit, the same bin), npm install (recovery-kit's packages from their packed
 * tarballs, --packages; vitest and TypeScript from the registry or npm's cache), build, test,
 * pack; then the packed kit installed next to a packed kit-runner and listed by it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dependencyRanges, render, scaffold, ScaffoldError } from '../src/index.ts';
import { cleanEnv, installedRunner, npm, packTarballs, repo, tempDir } from './helpers.ts';

const work = tempDir('rk-create-kit-');
afterAll(work.cleanup);

describe('create-kit input', () => {
  it('derives the kit type from the package name and fills every placeholder', () => {
    const { dir, files } = render({ name: '@acme/kit-redis-cache', dir: join(work.dir, 'x') });
    expect(dir).toBe(join(work.dir, 'x'));
    const pkg = JSON.parse(files.get('package.json')!);
    expect(pkg).toMatchObject({ name: '@acme/kit-redis-cache', recoveryKit: { kitType: 'redis-cache', apiVersion: 1 } });
    expect(files.get('src/tunables.ts')).toContain("'REDIS_CACHE_QUICKCHECK_TIMEOUT'");
    expect(files.has('.gitignore')).toBe(true);
    for (const [f, text] of files) expect(text, f).not.toMatch(/\{\{\w+\}\}/);
    for (const f of ['src/index.ts', 'src/options.ts', 'src/tunables.ts', 'src/actions.ts', 'src/cli.ts', 'test/kit.test.ts', 'test/cli.test.ts', 'README.md'])
      expect(files.has(f), f).toBe(true);
  });

  it('in this checkout, resolves workspace: and catalog: ranges to real ones', () => {
    const r = dependencyRanges();
    expect(r['@recovery-kit/sdk']).toMatch(/^\^\d+\.\d+\.\d+$/);
    expect(r.vitest).toMatch(/^[~^]?\d/);
    for (const v of Object.values(r)) expect(v).not.toMatch(/^(workspace|catalog):/);
  });

  it('refuses a bad name, a bad kit type and a non-empty directory, writing nothing', () => {
    expect(() => render({ name: 'Kit Foo' })).toThrow(ScaffoldError);
    expect(() => render({ name: 'kit-foo', kitType: 'Foo' })).toThrow(/kit type "Foo" is not valid/);
    const dir = join(work.dir, 'taken');
    mkdirSync(dir);
    writeFileSync(join(dir, 'keep'), 'x');
    expect(() => scaffold({ name: 'kit-foo', dir })).toThrow(/exists and is not empty/);
    expect(existsSync(join(dir, 'package.json'))).toBe(false);
  });

  it('the bin exits 2 with a fix for a missing NAME', () => {
    const r = spawnSync(process.execPath, [join(repo, 'packages/create-kit/dist/cli.js')], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/NAME is missing\n\(fix: npm init @recovery-kit\/kit/);
  });
});

describe("the writing-a-kit guide's steps, outside the repository", { timeout: 180_000 }, () => {
  let tarballs: Record<string, string> = {};
  const kitDir = join(work.dir, 'kit-foo');

  it('scaffolds with the packed create-kit (npm exec, offline)', () => {
    tarballs = packTarballs(join(work.dir, 'tarballs'), ['create-kit', 'sdk', 'testing', 'runner']);
    const r = npm(
      ['exec', '--yes', '--offline', `--package=${tarballs['create-kit']}`, '--', 'create-kit', '@acme/kit-foo', '--packages', join(work.dir, 'tarballs')],
      work.dir,
    );
    expect(r.stdout).toMatch(/created kit @acme\/kit-foo \(kit type foo\) in kit-foo/);
    const pkg = JSON.parse(readFileSync(join(kitDir, 'package.json'), 'utf8'));
    expect(pkg.peerDependencies['@recovery-kit/sdk']).toMatch(/^\^\d/);
    expect(pkg.devDependencies['@recovery-kit/sdk']).toBe(`file:${tarballs.sdk}`);
  });

  it('installs, builds, type-checks and passes its own tests', () => {
    npm(['install', '--prefer-offline'], kitDir);
    npm(['run', 'build'], kitDir);
    expect(existsSync(join(kitDir, 'dist/index.js'))).toBe(true);
    npm(['run', 'typecheck'], kitDir);
    const t = npm(['test'], kitDir, { NO_COLOR: '1', CI: '1' });
    expect(t.stdout).toMatch(/Test Files\s+2 passed \(2\)/);
    expect(t.stdout).toMatch(/Tests\s+\d+ passed/);
  });

  it('packs into a tarball kit-runner installs and lists', async () => {
    const p = npm(['pack'], kitDir);
    const file = join(kitDir, p.stdout.trim().split('\n').at(-1)!);
    const packed = spawnSync('tar', ['-xOzf', file, 'package/package.json'], { encoding: 'utf8' }).stdout;
    expect(JSON.parse(packed).peerDependencies).toEqual({ '@recovery-kit/sdk': expect.stringMatching(/^\^\d/) });
    const prefix = join(work.dir, 'node/usr/lib/recovery-kit');
    mkdirSync(prefix, { recursive: true });
    npm(['install', '--offline', '--prefix', prefix, tarballs.runner!, tarballs.sdk!, file], work.dir);
    const kr = installedRunner(join(prefix, 'node_modules/.bin/kit-runner'), join(work.dir, 'node'));
    const r = await kr(['kits']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^foo\s+@acme\/kit-foo\s+0\.1\.0\s+ok/m);
    const probe = await kr(['foo', 'probe', '--path', file]);
    expect(probe.stdout, probe.stderr).toMatch(/present/);
    expect(cleanEnv().VITEST).toBeUndefined();
  });
});
