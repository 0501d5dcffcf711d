/**
 * A throw-away kit-runner installation for tests: its own state directory, tunables file and
 * kits directories, and a `run()` that spawns the real `kit-runner` bin (built JS) so tests see
 * exactly what operators see: stdout, stderr and the exit code.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { FileStore } from '@recovery-kit/runner';

export interface RunResult {
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** stdout parsed as JSON, when it is JSON. */
  json: unknown;
}

export interface Sandbox {
  root: string;
  stateDir: string;
  tunablesPath: string;
  env: Record<string, string>;
  /** Writes the tunables file (KEY=VALUE lines). */
  setTunables(values: Record<string, string | number | boolean> | string): void;
  /** Runs `kit-runner <args>`; never throws on a non-zero exit. */
  run(args: string[], options?: { env?: Record<string, string>; input?: string; timeoutMs?: number; node?: string }): Promise<RunResult>;
  /** Starts `kit-runner <args>` and returns the child (for concurrency and kill -9 tests). */
  spawn(args: string[], options?: { env?: Record<string, string>; node?: string }): ReturnType<typeof spawn>;
  /** The store file's bytes ('' when there is none). */
  storeBytes(): string;
  cleanup(): void;
}

export function runnerBin(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('@recovery-kit/runner/package.json')), 'bin', 'kit-runner.js');
}

export function createSandbox(options: { kitsDirs?: string[]; node?: string; tunables?: Record<string, string | number | boolean> } = {}): Sandbox {
  const root = mkdtempSync(join(tmpdir(), 'rk-sandbox-'));
  const stateDir = join(root, 'state');
  const tunablesPath = join(root, 'recovery-kit.conf');
  const env: Record<string, string> = {
    KIT_RUNNER_STATE_DIR: stateDir,
    KIT_RUNNER_TUNABLES: tunablesPath,
    KIT_RUNNER_KITS_DIR: (options.kitsDirs ?? []).join(':'),
    KIT_RUNNER_NODE: options.node ?? 'node-a',
  };
  const bin = runnerBin();
  const self: Sandbox = {
    root,
    stateDir,
    tunablesPath,
    env,
    setTunables(values) {
      const text = typeof values === 'string' ? values : Object.entries(values).map(([k, v]) => `${k}=${v}`).join('\n');
      writeFileSync(tunablesPath, `${text}\n`);
    },
    spawn(args, opts = {}) {
      return spawn(process.execPath, [bin, ...args], {
        env: { ...process.env, ...env, ...(opts.node ? { KIT_RUNNER_NODE: opts.node } : {}), ...opts.env },
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    },
    run(args, opts = {}) {
      const started = performance.now();
      return new Promise((resolve, reject) => {
        const child = self.spawn(args, opts);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
        child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
        const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 120_000);
        child.on('error', reject);
        child.on('close', (code, signal) => {
          clearTimeout(timer);
          let json: unknown;
          try {
            json = JSON.parse(stdout);
          } catch {
            json = undefined;
          }
          resolve({ exitCode: code ?? (signal ? 128 : 1), stdout, stderr, durationMs: Math.round(performance.now() - started), json });
        });
        if (opts.input !== undefined) child.stdin!.end(opts.input);
        else child.stdin!.end();
      });
    },
    storeBytes() {
      const f = new FileStore(stateDir).file;
      return existsSync(f) ? readFileSync(f, 'utf8') : '';
    },
    cleanup() {
      rmSync(root, { recursive: true, force: true });
    },
  };
  if (options.tunables) self.setTunables(options.tunables);
  return self;
}
