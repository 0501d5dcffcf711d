/**
 * Trusted locations (issue 16, item 10; docs/operate/trusted-locations.md): kits directories
 * and the state directory are refused when they, or a directory above them, belong to another
 * user or are writable by others; symbolic links are not followed for the store and history
 * files; a kits-directory kit replaces a bundled kit type only when told to; a relative kits or
 * state directory is refused; a manifest entry outside its package is refused. Real files, real
 * modes and owners (the tests run as root: uid 4242 plays the other user).
 */
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL, fileURLToPath } from 'node:url';
import { describe, expect, it, onTestFinished } from 'vitest';
import { FIXTURE_KITS, recSandbox } from './helpers.ts';

const SDK = pathToFileURL(fileURLToPath(new URL('../../sdk/dist/index.js', import.meta.url))).href;
const OTHER_UID = 4242;

function tmp(prefix: string): string {
  const d = mkdtempSync(join(tmpdir(), prefix));
  onTestFinished(() => rmSync(d, { recursive: true, force: true }));
  return d;
}

/**
 * A kit package whose module, when imported, leaves `<markers>/imported-<kitType>`, and whose
 * restore leaves `<markers>/restored-<kitType>`: proof that its code ran.
 */
function plantKit(dir: string, kitType: string, markers: string, manifest: Record<string, unknown> = {}): string {
  const pkg = join(dir, `kit-${kitType}`);
  mkdirSync(pkg, { recursive: true });
  writeFileSync(
    join(pkg, 'package.json'),
    JSON.stringify({ name: `planted-${kitType}`, version: '6.6.6', type: 'module', recoveryKit: { kitType, apiVersion: 1, entry: 'index.js', ...manifest } }),
  );
  writeFileSync(join(pkg, 'index.js'), kitModule(kitType, markers));
  return pkg;
}

function kitModule(kitType: string, markers: string): string {
  return `import { writeFileSync } from 'node:fs';
import { defineKit, defineOptions, opt } from ${JSON.stringify(SDK)};
writeFileSync(${JSON.stringify(join(markers, `imported-${kitType}`))}, '');
export default defineKit({
  meta: { name: 'planted-${kitType}', version: '6.6.6', kitType: ${JSON.stringify(kitType)} },
  options: defineOptions({ start: opt.string({ description: 'x' }), stop: opt.string({ description: 'x' }), status: opt.string({ description: 'x' }) }),
  actions: {
    restore: () => writeFileSync(${JSON.stringify(join(markers, `restored-${kitType}`))}, ''),
    remove: () => undefined,
    quickCheck: () => ({ status: 'ok' }),
  },
});
`;
}

type KitRow = { kitType: string; source: string; usable: boolean; dir: string; shadowed: string[]; problem?: { code: string; message: string; fix: string } };
const kitsOf = async (sb: ReturnType<typeof recSandbox>, env: Record<string, string> = {}) => {
  const r = await sb.run(['kits', '--json'], { env });
  return Object.fromEntries((r.json as { kits: KitRow[] }).kits.map((k) => [k.kitType, k]));
};

describe('trusted kits directories', () => {
  it('a kits directory writable by others, owned by another user, or below such a directory is not read: its kits never run', async () => {
    const markers = tmp('rk-markers-');
    const top = tmp('rk-trust-');
    const kits = join(top, 'kits');
    mkdirSync(kits, { mode: 0o755 });
    chmodSync(top, 0o755);
    plantKit(kits, 'evil', markers);
    const sb = recSandbox([kits]);
    const refused = async (why: RegExp) => {
      const k = (await kitsOf(sb)).evil!;
      expect(k).toMatchObject({ usable: false, problem: { code: 'KIT_UNTRUSTED' } });
      expect(k.problem!.message).toMatch(why);
      const r = await sb.run(['create', 'evil', '--tag', 'e']);
      expect(r.exitCode).toBe(5);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/fix: chmod go-w|fix: chown root/);
      expect(existsSync(join(markers, 'imported-evil'))).toBe(false);
      expect(sb.storeBytes()).toBe('');
    };
    chmodSync(kits, 0o777);
    await refused(/kits is writable by others \(mode 0777\)/);
    chmodSync(kits, 0o775);
    await refused(/kits is writable by its group/);
    chmodSync(kits, 0o755);
    chownSync(kits, OTHER_UID, OTHER_UID);
    await refused(new RegExp(`kits is owned by uid ${OTHER_UID}`));
    chownSync(kits, 0, 0);
    // A directory above it that others may write to (no sticky bit): they could swap "kits" for their own.
    chmodSync(top, 0o777);
    await refused(/rk-trust-\w+ is writable by others/);
    // The package directory itself, when another user owns it.
    chmodSync(top, 0o755);
    chownSync(join(kits, 'kit-evil'), OTHER_UID, OTHER_UID);
    await refused(new RegExp(`kit-evil is owned by uid ${OTHER_UID}`));
    // Trusted again (root's, 0755, below /tmp's sticky 1777): the same kit loads and runs.
    chownSync(join(kits, 'kit-evil'), 0, 0);
    expect((await sb.run(['create', 'evil', '--tag', 'e'])).exitCode).toBe(0);
    expect((await sb.run(['action', 'e', 'restore'])).exitCode).toBe(0);
    expect(existsSync(join(markers, 'restored-evil'))).toBe(true);
  });

  it('a kits-directory package with a bundled kit type is not used unless KIT_RUNNER_REPLACE_KITS names the type', async () => {
    const markers = tmp('rk-markers-');
    const kits = tmp('rk-shadow-');
    chmodSync(kits, 0o755);
    plantKit(kits, 'app', markers);
    const sb = recSandbox([kits]);
    const app = (await kitsOf(sb)).app!;
    expect(app.source).toBe('runner-install');
    expect(app.shadowed.join('\n')).toMatch(/planted-app@6\.6\.6 .*: not used, it would replace the bundled kit; set KIT_RUNNER_REPLACE_KITS=app to use it/);
    const opts = ['--opt', 'start=/bin/true', '--opt', 'stop=/bin/true', '--opt', 'status=/bin/true'];
    await sb.ok(['create', 'app', '--tag', 'a', ...opts]);
    await sb.ok(['action', 'a', 'restore']);
    expect(JSON.parse(sb.storeBytes()).resources.a.kitPackage).toBe('@recovery-kit/kit-app');
    expect(existsSync(join(markers, 'imported-app'))).toBe(false);
    // Told to: the kits directory's copy replaces the bundled one.
    const env = { KIT_RUNNER_REPLACE_KITS: 'app' };
    expect((await kitsOf(sb, env)).app).toMatchObject({ source: 'kits-dir', usable: true });
    const c = await sb.run(['create', 'app', '--tag', 'b', ...opts], { env });
    expect(c.exitCode).toBe(0);
    expect(JSON.parse(sb.storeBytes()).resources.b.kitPackage).toBe('planted-app');
    expect(existsSync(join(markers, 'imported-app'))).toBe(true);
  });

  it('a manifest entry that resolves outside its package is refused, also through a symbolic link', async () => {
    const markers = tmp('rk-markers-');
    const kits = tmp('rk-entry-');
    chmodSync(kits, 0o755);
    writeFileSync(join(kits, 'outside.js'), kitModule('out1', markers));
    plantKit(kits, 'out1', markers, { entry: '../outside.js' });
    const linked = plantKit(kits, 'out2', markers);
    rmSync(join(linked, 'index.js'));
    writeFileSync(join(kits, 'outside2.js'), kitModule('out2', markers));
    symlinkSync(join(kits, 'outside2.js'), join(linked, 'index.js'));
    plantKit(kits, 'out3', markers, { entry: '/etc/passwd' });
    const sb = recSandbox([kits]);
    const k = await kitsOf(sb);
    for (const t of ['out1', 'out2', 'out3']) {
      expect(k[t]).toMatchObject({ usable: false, problem: { code: 'KIT_MANIFEST_INVALID' } });
      expect(k[t]!.problem!.message).toMatch(/its entry module .* is outside the package/);
      const r = await sb.run(['create', t, '--tag', t]);
      expect(r.exitCode).toBe(5);
      expect(existsSync(join(markers, `imported-${t}`))).toBe(false);
    }
  });

  it('a relative kits or state directory is refused, not resolved against the current directory', async () => {
    const sb = recSandbox();
    const flag = await sb.run(['--kits-dir', 'kits', 'kits']);
    expect(flag.exitCode).toBe(2);
    expect(flag.stderr).toMatch(/kits directory "kits" \(--kits-dir\) is a relative path/);
    const env = await sb.run(['kits'], { env: { KIT_RUNNER_KITS_DIR: `${FIXTURE_KITS}:kits` } });
    expect(env.exitCode).toBe(6);
    expect(env.stderr).toMatch(/kits directory "kits" \(KIT_RUNNER_KITS_DIR\) is a relative path/);
    const state = await sb.run(['status'], { env: { KIT_RUNNER_STATE_DIR: 'state' } });
    expect(state.exitCode).toBe(6);
    expect(state.stderr).toMatch(/state directory "state" \(KIT_RUNNER_STATE_DIR\) is a relative path/);
    expect((await sb.run(['--state-dir', 'state', 'status'])).exitCode).toBe(2);
  });
});

describe('trusted state directory', () => {
  it('a state directory owned by another user, or writable by others, is refused: reached directly or through a link in /tmp', async () => {
    const sb = recSandbox();
    await sb.create('p');
    const before = sb.storeBytes();
    // Another user's directory holding a store whose kit would run as root.
    chownSync(sb.stateDir, OTHER_UID, OTHER_UID);
    for (const args of [['status'], ['action', 'p', 'restore'], ['create', 'rec', '--tag', 'q', '--opt', `dir=${sb.dir}`]]) {
      const r = await sb.run(args);
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(new RegExp(`refusing the state directory: .*state is owned by uid ${OTHER_UID}`));
      expect(r.stderr).toMatch(/code: UNTRUSTED_LOCATION/);
    }
    const link = join(tmp('rk-link-'), 'state');
    symlinkSync(sb.stateDir, link);
    const viaLink = await sb.run(['action', 'p', 'restore'], { env: { KIT_RUNNER_STATE_DIR: link } });
    expect(viaLink.exitCode).toBe(6);
    expect(viaLink.stderr).toMatch(/owned by uid 4242/);
    chownSync(sb.stateDir, 0, 0);
    chmodSync(sb.stateDir, 0o777);
    const open = await sb.run(['action', 'p', 'restore']);
    expect(open.exitCode).toBe(6);
    expect(open.stderr).toMatch(/state is writable by others \(mode 0777\)/);
    expect(existsSync(join(sb.dir, 'p@node-a.up'))).toBe(false);
    expect(sb.storeBytes()).toBe(before);
    // Tightened by hand: used again.
    chmodSync(sb.stateDir, 0o700);
    await sb.ok(['action', 'p', 'restore']);
    expect(existsSync(join(sb.dir, 'p@node-a.up'))).toBe(true);
  });

  it('a tunables file writable by others, owned by another user, or in such a directory is refused; the store is unchanged', async () => {
    const sb = recSandbox();
    await sb.create('p');
    const before = sb.storeBytes();
    const dir = tmp('rk-tun-');
    chmodSync(dir, 0o755);
    const file = join(dir, 'tunables');
    writeFileSync(file, 'KIT_RUNNER_LOCK_WAIT=5\n', { mode: 0o644 });
    const refused = async (why: RegExp) => {
      const r = await sb.run(['--tunables', file, 'action', 'p', 'restore']);
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/refusing the tunables file: /);
      expect(r.stderr).toMatch(why);
      expect(r.stderr).toMatch(/code: UNTRUSTED_LOCATION/);
      expect(existsSync(join(sb.dir, 'p@node-a.up'))).toBe(false);
      expect(sb.storeBytes()).toBe(before);
    };
    chmodSync(file, 0o666);
    await refused(/tunables is writable by others \(mode 0666\)/);
    chmodSync(file, 0o644);
    chownSync(file, OTHER_UID, OTHER_UID);
    await refused(/tunables is owned by uid 4242/);
    chownSync(file, 0, 0);
    chmodSync(dir, 0o777);
    await refused(/rk-tun-\w+ is writable by others/);
    chmodSync(dir, 0o755);
    await sb.ok(['--tunables', file, 'action', 'p', 'restore']);
    expect(existsSync(join(sb.dir, 'p@node-a.up'))).toBe(true);
  });

  it('store.json and history.jsonl are never followed through a symbolic link', async () => {
    const sb = recSandbox();
    await sb.create('p');
    const elsewhere = tmp('rk-elsewhere-');
    // history.jsonl planted as a link: the next line is not written through it.
    const target = join(elsewhere, 'victim');
    writeFileSync(target, 'untouched\n');
    rmSync(join(sb.stateDir, 'history.jsonl'));
    symlinkSync(target, join(sb.stateDir, 'history.jsonl'));
    await sb.ok(['action', 'p', 'restore']);
    expect(readFileSync(target, 'utf8')).toBe('untouched\n');
    // store.json planted as a link to a store someone else wrote.
    const planted = join(elsewhere, 'store.json');
    writeFileSync(planted, sb.storeBytes());
    rmSync(join(sb.stateDir, 'store.json'));
    symlinkSync(planted, join(sb.stateDir, 'store.json'));
    for (const args of [['status'], ['action', 'p', 'remove']]) {
      const r = await sb.run(args);
      expect(r.exitCode).toBe(6);
      expect(r.stderr).toMatch(/the store .*store\.json is a symbolic link: refused/);
    }
    expect(existsSync(join(sb.dir, 'p@node-a.up'))).toBe(true);
  });

  it('a pre-existing 0755 state directory is tightened to 0700', async () => {
    const sb = recSandbox();
    mkdirSync(sb.stateDir, { mode: 0o755 });
    chmodSync(sb.stateDir, 0o755);
    await sb.create('p');
    expect(statSync(sb.stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(sb.stateDir, 'locks')).mode & 0o777).toBe(0o700);
  });

  it('a store.json.tmp-* left by a writer killed mid-write is removed by the next write, under the store lock', async () => {
    const sb = recSandbox();
    await sb.create('p');
    // What kill -9 between creating the temporary file and renaming it leaves behind.
    const stale = join(sb.stateDir, 'store.json.tmp-999999-deadbeef');
    writeFileSync(stale, '{"half": ', { mode: 0o600 });
    await sb.ok(['status']);
    expect(existsSync(stale)).toBe(true); // reads do not touch it
    await sb.ok(['action', 'p', 'restore']);
    expect(existsSync(stale)).toBe(false);
    expect(JSON.parse(sb.storeBytes()).resources.p.servers['node-a'].state).toBe('ISP');
  });
});
