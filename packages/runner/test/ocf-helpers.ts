import { execFile, execFileSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';

export const RUNNER_BIN = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));
export const OCF_FIXTURE_KITS = fileURLToPath(new URL('./fixtures/ocf-kits', import.meta.url));
export const RNG_11 = fileURLToPath(new URL('../schemas/ocf-1.1.rng', import.meta.url));
export const DTD_10 = '/usr/share/resource-agents/ra-api-1.dtd';
export const BUNDLED_KITS = ['app', 'ec2', 'ip', 'libreswan', 'mirror', 'oracle', 'oracle-listener', 'postgresql', 'route53'];

export interface OcfRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** kit-runner with arguments (sync; for install and meta-data). */
export function kitRunner(args: string[], env: NodeJS.ProcessEnv = {}): OcfRun {
  try {
    const stdout = execFileSync(process.execPath, [RUNNER_BIN, ...args], {
      env: { ...process.env, ...env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    return { code: 0, stdout, stderr: '' };
  } catch (err) {
    const e = err as { status: number; stdout: string; stderr: string };
    return { code: e.status, stdout: e.stdout, stderr: e.stderr };
  }
}

/** A temporary OCF root with our agents installed, and a state directory. */
export function ocfSandbox(opts: { kitsDirs?: string[]; profile?: '1.0' | '1.1' } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'rk-ocf-'));
  // ocf-tester runs meta-data as nobody: the agent's directory must be reachable.
  chmodSync(dir, 0o755);
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const root = join(dir, 'resource.d');
  const state = join(dir, 'state');
  const kitsArgs = (opts.kitsDirs ?? []).flatMap((d) => ['--kits-dir', d]);
  const r = kitRunner([...kitsArgs, 'ocf', 'install', '--root', root, ...(opts.profile ? ['--profile', opts.profile] : [])]);
  if (r.code !== 0) throw new Error(`ocf install failed: ${r.stderr}`);
  const agent = (kitType: string) => join(root, 'recovery-kit', kitType);
  const baseEnv = (instance: string): NodeJS.ProcessEnv => ({
    OCF_ROOT: '/usr/lib/ocf',
    OCF_RESOURCE_INSTANCE: instance,
    KIT_RUNNER_OCF_STATE_DIR: state,
    KIT_RUNNER_TUNABLES: join(dir, 'tunables'),
  });
  /** Runs one action of an installed agent with OCF_RESKEY_* parameters. */
  const run = (kitType: string, action: string, params: Record<string, string>, env: NodeJS.ProcessEnv = {}, wrap: string[] = []): Promise<OcfRun> =>
    new Promise((resolve) => {
      const reskeys = Object.fromEntries(Object.entries(params).map(([k, v]) => [`OCF_RESKEY_${k}`, v]));
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OCF_')));
      const [file, ...args] = [...wrap, agent(kitType), action];
      execFile(
        file!,
        args,
        { env: { ...clean, ...baseEnv(String(env.OCF_RESOURCE_INSTANCE ?? 'r1')), OCF_RESKEY_CRM_meta_timeout: '20000', ...reskeys, ...env } },
        (err, stdout, stderr) => {
          resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
        },
      );
    });
  /** ocf-tester against an installed agent: [exit code, output]. */
  const tester = (kitType: string, name: string, params: Record<string, string>, env: NodeJS.ProcessEnv = {}, wrap: string[] = []): Promise<OcfRun> =>
    new Promise((resolve) => {
      const args = ['-v', '-n', name, ...Object.entries(params).flatMap(([k, v]) => ['-o', `${k}=${v}`]), agent(kitType)];
      const [file, ...rest] = [...wrap, '/usr/sbin/ocf-tester', ...args];
      const clean = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('OCF_')));
      execFile(file!, rest, { env: { ...clean, ...baseEnv(name), ...env }, maxBuffer: 32 * 1024 * 1024 }, (err, stdout, stderr) => {
        resolve({ code: err ? (typeof (err as { code?: unknown }).code === 'number' ? (err as { code: number }).code : 1) : 0, stdout, stderr });
      });
    });
  return { dir, root, state, agent, run, tester };
}

/** xmllint: [ok, messages]. */
export function xmllint(args: string[], input: string, cwd?: string): { ok: boolean; out: string } {
  try {
    const out = execFileSync('xmllint', ['--noout', ...args, '-'], { input, encoding: 'utf8', stdio: ['pipe', 'pipe', 'pipe'], ...(cwd ? { cwd } : {}) });
    return { ok: true, out };
  } catch (err) {
    const e = err as { stdout: string; stderr: string };
    return { ok: false, out: `${e.stdout}${e.stderr}` };
  }
}

/** Our agents (installed under `root`) overlaid on /usr/lib/ocf/resource.d inside a lab node's own mount namespace. */
export async function overlayAgents(c: { id: string; exec(node: string, argv: string[]): Promise<unknown> }, root: string, node = 'node-a'): Promise<void> {
  await c.exec(node, ['mount', '-t', 'overlay', `${c.id}-ocf`, '-o', `lowerdir=${root}:/usr/lib/ocf/resource.d`, '/usr/lib/ocf/resource.d']);
}
