/**
 * The documented install (docs/operate/installing-kits.md), from the packed tarballs: pnpm pack
 * (scripts/bundle.mjs --tarballs) of the runner, the sdk, the app kit and the EC2 kit, then plain
 * `npm install --offline` into an empty prefix laid out as on a node (ROOT/usr/lib/recovery-kit).
 * No registry is needed: none of these has a third-party dependency at run time (the EC2 kit's
 * bundle carries the AWS SDK commands it sends). Then the installed kit-runner: `kits`, an app
 * resource's whole life, an EC2 resource against the AWS emulator, and the systemd unit of
 * examples/systemd verified against that same tree (`systemd-analyze verify --root`).
 */
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { startEmulator, twoAzLayout } from '@recovery-kit/aws-emulator';
import { appLifecycle, installedRunner, npm, packTarballs, repo, tempDir } from './helpers.ts';

const work = tempDir('rk-install-');
afterAll(work.cleanup);
const root = join(work.dir, 'root');
const prefix = join(root, 'usr/lib/recovery-kit');
const bin = join(prefix, 'node_modules/.bin/kit-runner');

describe('every publishable package', () => {
  it('has a README and a LICENSE (npm packs both whatever "files" says)', () => {
    const dirs = ['packages', 'kits', 'examples'].flatMap((g) => readdirSync(join(repo, g)).map((d) => join(repo, g, d)));
    const publishable = dirs.filter((d) => existsSync(join(d, 'package.json')) && !JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')).private);
    expect(publishable.length).toBeGreaterThanOrEqual(15);
    for (const d of publishable) for (const f of ['README.md', 'LICENSE']) expect(existsSync(join(d, f)), join(d, f)).toBe(true);
  });
});

describe('installing the packed packages with npm', { timeout: 120_000 }, () => {
  let tarballs: Record<string, string> = {};

  it('packs tarballs whose package.json npm accepts, each with README and LICENSE', () => {
    tarballs = packTarballs(join(work.dir, 'tarballs'), ['runner', 'sdk', 'kit-app', 'kit-ec2']);
    expect(Object.keys(tarballs).sort()).toEqual(['kit-app', 'kit-ec2', 'runner', 'sdk']);
    for (const [name, file] of Object.entries(tarballs)) {
      const list = spawnSync('tar', ['-tzf', file], { encoding: 'utf8' }).stdout.split('\n');
      expect(list, name).toEqual(expect.arrayContaining(['package/package.json', 'package/README.md', 'package/LICENSE']));
      const pkg = spawnSync('tar', ['-xOzf', file, 'package/package.json'], { encoding: 'utf8' }).stdout;
      expect(pkg, `${name}: a workspace: or catalog: range left in package.json`).not.toMatch(/"(workspace|catalog):/);
    }
  });

  it('installs with plain npm install --offline into an empty prefix', () => {
    mkdirSync(prefix, { recursive: true });
    npm(['install', '--offline', '--prefix', prefix, ...Object.values(tarballs)], work.dir);
    expect(existsSync(bin)).toBe(true);
    // Bundled kits declare what they bundle as devDependencies: no AWS SDK is installed.
    expect(readdirSync(join(prefix, 'node_modules')).filter((e) => !e.startsWith('.'))).toEqual(['@recovery-kit']);
  });

  it('kit-runner kits lists the installed kits, found next to the runner', async () => {
    const kr = installedRunner(bin, work.dir);
    const r = await kr(['kits', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const text = JSON.stringify(r.json);
    for (const kit of ['@recovery-kit/kit-app', '@recovery-kit/kit-ec2']) expect(text).toContain(kit);
    const human = (await kr(['kits'])).stdout;
    expect(human).toMatch(/^app\s+@recovery-kit\/kit-app\s+0\.1\.0\s+ok/m);
    expect(human).toMatch(/^ec2\s+@recovery-kit\/kit-ec2\s+0\.1\.0\s+ok/m);
  });

  it('runs an app resource: create, restore, status, quickCheck, remove, delete', async () => {
    await appLifecycle(installedRunner(bin, join(work.dir, 'app')), work.dir);
  });

  it('runs an EC2 route-table resource against the AWS emulator (the bundled SDK commands)', async () => {
    const { seed, ids } = twoAzLayout();
    const emu = await startEmulator({ seed });
    try {
      const kr = installedRunner(bin, join(work.dir, 'ec2'), emu.env({ instanceId: ids.instances.node1 }));
      for (const args of [
        ['create', 'ec2', '--tag', 'routes', '--opt', 'scenario=route-table', '--opt', `destinations=${ids.overlayCidr}`],
        ['action', 'routes', 'restore'],
        ['action', 'routes', 'quickCheck'],
      ]) {
        const r = await kr(args);
        expect(r.code, `kit-runner ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(0);
      }
      const routes = [...emu.state.ec2(ids.region).routeTables.values()].flatMap((t) => t.routes).filter((r) => r.destinationCidrBlock === ids.overlayCidr);
      expect(routes.length).toBeGreaterThan(0);
      for (const r of routes) expect(r.networkInterfaceId).toBe(ids.enis.node1);
      expect((await kr(['action', 'routes', 'remove'])).code).toBe(0);
      expect((await kr(['delete', 'routes'])).code).toBe(0);
    } finally {
      await emu.stop();
    }
  });

  it('the systemd unit of examples/systemd verifies against the installed tree', () => {
    const unitDir = join(root, 'etc/systemd/system');
    mkdirSync(unitDir, { recursive: true });
    // systemd's own units (sysinit.target, network-online.target ...) as on any node.
    cpSync('/usr/lib/systemd/system', join(root, 'usr/lib/systemd/system'), { recursive: true, verbatimSymlinks: true });
    const unit = readFileSync(join(repo, 'examples/systemd/kit-runner-monitor.service'), 'utf8');
    writeFileSync(join(unitDir, 'kit-runner-monitor.service'), unit);
    const verify = () => spawnSync('systemd-analyze', ['verify', `--root=${root}`, 'kit-runner-monitor.service'], { encoding: 'utf8' });
    const r = verify();
    expect(r.error, 'systemd-analyze is missing: install systemd (scripts/setup.sh)').toBeUndefined();
    expect(`${r.stdout}${r.stderr}`).toBe('');
    expect(r.status).toBe(0);
    // Documentation= names files of the installed packages.
    const docs = [...unit.matchAll(/^Documentation=(.*)$/gm)].flatMap((m) => m[1]!.split(/\s+/)).filter((d) => d.startsWith('file://'));
    expect(docs.length).toBeGreaterThan(0);
    for (const d of docs) expect(existsSync(join(root, d.slice('file://'.length))), d).toBe(true);
    // And the check can fail: a unit naming a kit-runner that is not installed does not verify.
    writeFileSync(join(unitDir, 'kit-runner-monitor.service'), unit.replace(/^ExecStart=\S+/m, 'ExecStart=/usr/bin/kit-runner'));
    const bad = verify();
    expect(bad.status).not.toBe(0);
    expect(bad.stderr).toMatch(/\/usr\/bin\/kit-runner is not executable/);
  });
});
