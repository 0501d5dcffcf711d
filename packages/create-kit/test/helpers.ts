/**
 * What the packaging tests share: packing with scripts/bundle.mjs (pnpm pack), running npm and
 * the installed kit-runner, and an app resource's whole life through that kit-runner.
 * Everything happens in temporary directories outside the repository.
 */
import { spawn, spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

export const repo = fileURLToPath(new URL('../../..', import.meta.url));

/** An env without vitest's own variables (a kit's own vitest runs under it). */
export function cleanEnv(extra: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(VITEST|TINYPOOL|NODE_OPTIONS$|npm_)/.test(k)) env[k] = v;
  return { ...env, ...extra };
}

export function tempDir(prefix: string): { dir: string; cleanup: () => void } {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

function check(r: SpawnSyncReturns<string>, what: string): SpawnSyncReturns<string> {
  if (r.error) throw new Error(`${what}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${what} exited ${r.status}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `node scripts/bundle.mjs ARGS` (pnpm pack of the packages named, or the offline bundle). */
export function bundleScript(args: string[]): string {
  return check(spawnSync(process.execPath, [join(repo, 'scripts/bundle.mjs'), ...args], { cwd: repo, encoding: 'utf8' }), `bundle.mjs ${args.join(' ')}`)
    .stdout;
}

/** Packs the packages named into a new directory; returns the tarball paths by short name. */
export function packTarballs(dir: string, names: string[]): Record<string, string> {
  const files = bundleScript(['--tarballs', dir, ...names])
    .trim()
    .split('\n');
  return Object.fromEntries(
    files.map((f) => [
      f
        .split('/')
        .at(-1)!
        .replace(/^recovery-kit-/, '')
        .replace(/-\d+\.\d+\.\d+\.tgz$/, ''),
      f,
    ]),
  );
}

/** npm with vitest's variables removed; throws with npm's output when it fails. */
export function npm(args: string[], cwd: string, env: Record<string, string> = {}): SpawnSyncReturns<string> {
  return check(
    spawnSync('npm', args, {
      cwd,
      encoding: 'utf8',
      env: cleanEnv({ npm_config_audit: 'false', npm_config_fund: 'false', npm_config_update_notifier: 'false', ...env }),
    }),
    `npm ${args.join(' ')} (in ${cwd})`,
  );
}

export interface Runner {
  (args: string[], opts?: { env?: Record<string, string> }): Promise<{ code: number; stdout: string; stderr: string; json: unknown }>;
  stateDir: string;
}

/** The installed kit-runner (its bin, by path), with a state directory and tunables file of its own. */
export function installedRunner(bin: string, work: string, env: Record<string, string> = {}): Runner {
  const stateDir = join(work, 'state');
  const tunables = join(work, 'recovery-kit.conf');
  mkdirSync(work, { recursive: true });
  writeFileSync(tunables, '');
  // Asynchronous: the AWS emulator answering the EC2 kit runs in this process.
  const fn = ((args, opts = {}) =>
    new Promise((resolve, reject) => {
      const c = spawn(bin, args, {
        env: cleanEnv({
          KIT_RUNNER_STATE_DIR: stateDir,
          KIT_RUNNER_TUNABLES: tunables,
          KIT_RUNNER_KITS_DIR: '',
          KIT_RUNNER_NODE: 'node-a',
          ...env,
          ...opts.env,
        }),
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let stdout = '';
      let stderr = '';
      c.stdout.on('data', (d: Buffer) => (stdout += d));
      c.stderr.on('data', (d: Buffer) => (stderr += d));
      c.on('error', reject);
      c.on('close', (code) => {
        let json: unknown;
        try {
          json = JSON.parse(stdout);
        } catch {
          /* not JSON */
        }
        resolve({ code: code ?? -1, stdout, stderr, json });
      });
    })) as Runner;
  fn.stateDir = stateDir;
  return fn;
}

/** A service behind three commands (a flag file: start creates it, stop deletes it, status tests it). */
export function flagService(dir: string): { flag: string; opts: string[] } {
  const flag = join(dir, 'svc.running');
  const ctl = join(dir, 'svc-ctl');
  writeFileSync(
    ctl,
    `#!/bin/sh\ncase "$1" in\n  start) touch '${flag}' ;;\n  stop) rm -f '${flag}' ;;\n  status) test -f '${flag}' ;;\n  *) exit 2 ;;\nesac\n`,
  );
  chmodSync(ctl, 0o755);
  return { flag, opts: ['start', 'stop', 'status'].flatMap((c) => ['--opt', `${c}=${ctl} ${c}`]) };
}

/** create, restore, status, quickCheck, remove, delete of an app resource through `kr`. */
export async function appLifecycle(kr: Runner, dir: string): Promise<void> {
  const svc = flagService(dir);
  const step = async (args: string[], code = 0) => {
    const r = await kr(args);
    expect(r.code, `kit-runner ${args.join(' ')}\n${r.stdout}${r.stderr}`).toBe(code);
    return r;
  };
  await step(['create', 'app', '--tag', 'web', ...svc.opts]);
  await step(['action', 'web', 'restore']);
  expect(existsSync(svc.flag)).toBe(true);
  const isp = JSON.stringify((await step(['status', '--json'])).json);
  expect(isp).toContain('"web"');
  expect(isp).toContain('"ISP"');
  expect((await step(['status'])).stdout).toMatch(/web .*ISP/);
  await step(['action', 'web', 'quickCheck']);
  await step(['action', 'web', 'remove']);
  expect(existsSync(svc.flag)).toBe(false);
  expect(JSON.stringify((await step(['status', '--json'])).json)).not.toContain('"ISP"');
  await step(['action', 'web', 'quickCheck'], 7);
  await step(['delete', 'web']);
  expect((await step(['status', '--json'])).stdout).not.toContain('"web"');
}
