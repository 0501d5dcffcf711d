/**
 * Dynamic loading: kits are npm packages found in configured directories and in the runner's
 * own installation; manifests are read before any code is imported; a broken or incompatible kit
 * is reported on its own and never hides the others.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { discoverKits, loadKit } from '../src/loader.ts';
import { FIXTURE_KITS, recSandbox } from './helpers.ts';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

describe('kit discovery', () => {
  it('a kit with a wrong contract version is refused while the others still load', async () => {
    const sb = recSandbox();
    const list = await sb.ok(['kits', '--json']);
    const kits = (list.json as { kits: Array<{ kitType: string; usable: boolean; problem?: { code: string; message: string } }> }).kits;
    const by = Object.fromEntries(kits.map((k) => [k.kitType, k]));
    expect(by.rec?.usable).toBe(true);
    expect(by.app?.usable).toBe(true); // from the runner's own installation
    expect(by.future).toMatchObject({ usable: false, problem: { code: 'KIT_CONTRACT_MISMATCH' } });
    expect(by.future!.problem!.message).toMatch(/written for kit contract version 99; this kit-runner supports version 1/);
    const human = await sb.ok(['kits']);
    expect(human.stdout).toMatch(/future\s+kit-runner-kit-future\s+9\.0\.0\s+unusable: KIT_CONTRACT_MISMATCH/);
    expect(human.stdout).toMatch(/fix: upgrade kit-runner/);
    const r = await sb.run(['create', 'future', '--tag', 'x']);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/contract version 99/);
    // The refused kit's code was never imported (its module throws when imported).
    expect(r.stderr).not.toMatch(/must never be imported/);
    await sb.create('fine');
    expect((await sb.run(['action', 'fine', 'restore'])).exitCode).toBe(0);
  });

  it('a kit that throws on import or exports no kit fails alone, with exit 5 and the reason', async () => {
    const sb = recSandbox();
    const a = await sb.run(['create', 'throws', '--tag', 'x']);
    expect(a.exitCode).toBe(5);
    expect(a.stderr).toMatch(/kit-runner-kit-throws@1.0.0 failed to load from .*: broken on import/);
    const b = await sb.run(['create', 'notakit', '--tag', 'x']);
    expect(b.exitCode).toBe(5);
    expect(b.stderr).toMatch(/is not a kit made with defineKit\(\)/);
    expect(sb.storeBytes()).toBe('');
    await sb.create('still-works');
  });

  it('describes a kit: options, actions, tunables', async () => {
    const sb = recSandbox();
    const r = await sb.ok(['kits', 'rec']);
    expect(r.stdout).toMatch(/Actions: create, extend, restore, remove, quickCheck, recover/);
    expect(r.stdout).toMatch(/dir\s+string\s+yes/);
    expect(r.stdout).toMatch(/REC_RESTORE_TIMEOUT\s+integer\s+30/);
    const j = await sb.ok(['kits', 'rec', '--json']);
    expect(j.json).toMatchObject({ kit: { kitType: 'rec', options: { port: { perServer: true, kind: 'integer' } } } });
  });

  it('finds and runs a kit installed from an npm pack tarball into a temporary kits directory', async () => {
    const packs = tmp('rk-pack-');
    for (const pkg of ['packages/sdk', 'examples/kit-app']) {
      execFileSync('pnpm', ['pack', '--pack-destination', packs], { cwd: join(ROOT, pkg), stdio: 'pipe' });
    }
    const tarballs = readdirSync(packs)
      .filter((f) => f.endsWith('.tgz'))
      .map((f) => join(packs, f));
    expect(tarballs.length).toBe(2);
    const kitsDir = tmp('rk-kits-');
    execFileSync('npm', ['install', '--prefix', kitsDir, '--no-audit', '--no-fund', '--offline', '--loglevel=error', ...tarballs], { stdio: 'pipe' });
    const sb = recSandbox([kitsDir]);
    // It replaces the bundled app kit: that takes an explicit setting (trust.test.ts).
    sb.env.KIT_RUNNER_REPLACE_KITS = 'app';
    const list = await sb.ok(['kits', '--json']);
    const app = (list.json as { kits: Array<{ kitType: string; source: string; dir: string; shadowed: string[] }> }).kits.find((k) => k.kitType === 'app')!;
    expect(app.source).toBe('kits-dir');
    expect(app.dir.startsWith(kitsDir)).toBe(true);
    // The copy in the runner's own installation comes after the configured directory.
    expect(app.shadowed.length).toBe(1);
    const flag = join(sb.dir, 'up');
    const ctl = join(sb.dir, 'ctl');
    writeFileSync(ctl, `#!/bin/sh\ncase "$1" in start) touch ${flag};; stop) rm -f ${flag};; status) test -f ${flag};; esac\n`, { mode: 0o755 });
    await sb.ok(['create', 'app', '--tag', 'svc', '--opt', `start=${ctl} start`, '--opt', `stop=${ctl} stop`, '--opt', `status=${ctl} status`]);
    await sb.ok(['action', 'svc', 'restore']);
    expect((await sb.run(['action', 'svc', 'quickCheck'])).exitCode).toBe(0);
    const st = JSON.parse(sb.storeBytes());
    expect(st.resources.svc.kitPackage).toBe('@recovery-kit/kit-app');
    await sb.ok(['action', 'svc', 'remove']);
    expect((await sb.run(['action', 'svc', 'quickCheck'])).exitCode).toBe(7);
  });

  it('loads only from configured locations: a kit elsewhere on disk is not found', async () => {
    const sb = recSandbox([tmp('rk-empty-')]);
    const r = await sb.run(['create', 'rec', '--tag', 'x', '--opt', `dir=${sb.dir}`]);
    expect(r.exitCode).toBe(5);
    expect(r.stderr).toMatch(/no kit of type "rec" is installed/);
    expect(r.stderr).toMatch(/npm install --prefix/);
    void FIXTURE_KITS;
  });

  it('limited to one kit type (an action, an OCF agent) finds what the full search finds for it; other types come from the full search', async () => {
    const dir = tmp('rk-only-');
    // a kits-directory package of a bundled type: shadowed by the bundled one in both searches
    mkdirSync(join(dir, 'planted-app'));
    writeFileSync(
      join(dir, 'planted-app', 'package.json'),
      JSON.stringify({ name: 'planted-app', version: '6.6.6', recoveryKit: { kitType: 'app', apiVersion: 1 } }),
    );
    // a kitType written with a JSON escape: the text alone cannot rule it out
    mkdirSync(join(dir, 'escaped'));
    writeFileSync(join(dir, 'escaped', 'package.json'), '{"name":"escaped","version":"1.0.0","recoveryKit":{"kitType":"esc\\u0061ped","apiVersion":1}}');
    const full = discoverKits([FIXTURE_KITS, dir], []);
    for (const type of ['rec', 'app', 'escaaped'.replace('aa', 'a')]) {
      const limited = discoverKits([FIXTURE_KITS, dir], [], type);
      // only what names the type, and what has a backslash in its package.json (parsed to be sure)
      expect([...limited.kits.keys()].sort(), type).toEqual([...new Set([type, 'escaped'])].sort());
      expect(limited.kits.get(type)).toEqual(full.kits.get(type));
      expect(limited.full).toBeTypeOf('function');
    }
    expect(full.kits.get('app')!.source).toBe('runner-install');
    expect(full.kits.get('app')!.shadowed.join()).toMatch(/planted-app@6\.6\.6/);
    const limited = discoverKits([FIXTURE_KITS, dir], [], 'rec');
    expect((await loadKit(limited, 'rec')).meta.kitType).toBe('rec');
    // a type the limited search skipped: from the full search, made then
    expect((await loadKit(limited, 'norec')).meta.kitType).toBe('norec');
    await expect(loadKit(limited, 'nothing-of-the-kind')).rejects.toMatchObject({ code: 'KIT_NOT_FOUND' });
  });
});
