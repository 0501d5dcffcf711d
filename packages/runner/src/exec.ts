/**
 * ctx.exec: runs a program with an argument array (never a shell), bound to the action's
 * deadline and abort signal, logging the command line at debug level and wrapping failures in
 * CommandFailedError with the full context (command, exit code, stderr tail, duration, timeout).
 *
 * Built on node:child_process rather than execa: importing execa costs more than the whole
 * budget of a `kit-runner action TAG quickCheck` process (see docs/benchmarks.md), and the part
 * of it we need is small: spawn without a shell, stdin input, output capture, and on timeout or
 * abort SIGTERM followed by SIGKILL after a grace period.
 */
import { spawn } from 'node:child_process';
import { userInfo } from 'node:os';
import { CommandFailedError, PermissionError, type Exec, type ExecOptions, type Logger } from '@recovery-kit/sdk';

export interface ExecBinding {
  logger: Logger;
  signal: AbortSignal;
  /** Absolute time (ms since epoch) when the action's time runs out. */
  deadline: number;
  env?: Record<string, string | undefined>;
}

/** Output kept per stream; beyond it the oldest part is dropped (tools can be chatty). */
const MAX_OUTPUT = 8 * 1024 * 1024;
/** Grace between SIGTERM and SIGKILL. */
const KILL_GRACE_MS = 2000;

export function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
}

interface RawResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  spawnError: NodeJS.ErrnoException | undefined;
}

function runProcess(argv: string[], options: { env: NodeJS.ProcessEnv; cwd?: string | undefined; input?: string | undefined; timeoutMs: number; signal: AbortSignal }): Promise<RawResult> {
  return new Promise((resolve) => {
    const child = spawn(argv[0]!, argv.slice(1), { env: options.env, cwd: options.cwd, shell: false, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outLen = 0;
    let errLen = 0;
    let timedOut = false;
    let aborted = false;
    let killTimer: NodeJS.Timeout | undefined;
    const collect = (list: Buffer[], d: Buffer, which: 'out' | 'err') => {
      list.push(d);
      if (which === 'out') outLen += d.length;
      else errLen += d.length;
      while ((which === 'out' ? outLen : errLen) > MAX_OUTPUT && list.length > 1) {
        const dropped = list.shift()!;
        if (which === 'out') outLen -= dropped.length;
        else errLen -= dropped.length;
      }
    };
    child.stdout.on('data', (d: Buffer) => collect(out, d, 'out'));
    child.stderr.on('data', (d: Buffer) => collect(err, d, 'err'));
    const terminate = () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), KILL_GRACE_MS);
      killTimer.unref();
    };
    const timer = setTimeout(() => {
      timedOut = true;
      terminate();
    }, options.timeoutMs);
    const onAbort = () => {
      aborted = true;
      terminate();
    };
    if (options.signal.aborted) onAbort();
    else options.signal.addEventListener('abort', onAbort, { once: true });
    let spawnError: NodeJS.ErrnoException | undefined;
    child.on('error', (e: NodeJS.ErrnoException) => {
      spawnError = e;
    });
    child.stdin.on('error', () => {
      /* the program did not read its input: not our failure */
    });
    child.stdin.end(options.input ?? '');
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal.removeEventListener('abort', onAbort);
      resolve({
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        stdout: Buffer.concat(out).toString('utf8'),
        stderr: Buffer.concat(err).toString('utf8'),
        timedOut,
        aborted,
        spawnError,
      });
    });
  });
}

export function createExec(binding: ExecBinding): Exec {
  return async (file: string, args: readonly string[] = [], options: ExecOptions = {}) => {
    let argv = [file, ...args];
    if (options.user !== undefined && options.user !== currentUser()) {
      if (process.getuid?.() !== 0) {
        throw new PermissionError(`cannot run ${file} as user ${options.user}: kit-runner is not root`, {
          fix: 'run kit-runner as root, or configure the resource with the user kit-runner runs as',
        });
      }
      argv = ['runuser', '-u', options.user, '--', ...argv];
    }
    const shown = options.quiet ? `${argv[0]} [arguments hidden]` : argv.map(quoteArg).join(' ');
    const left = binding.deadline - Date.now();
    const timeoutMs = Math.max(1, Math.min(options.timeoutMs ?? left, left));
    binding.logger.debug(`exec ${shown}`);
    const started = performance.now();
    const r = await runProcess(argv, {
      env: { ...process.env, ...binding.env, ...options.env },
      cwd: options.cwd,
      input: options.input,
      timeoutMs,
      signal: binding.signal,
    });
    const durationMs = Math.round(performance.now() - started);
    const notFound = r.spawnError?.code === 'ENOENT';
    const exitCode = r.spawnError ? (notFound ? 127 : 126) : r.exitCode;
    const stderr = r.spawnError ? `${argv[0]}: ${notFound ? 'command not found' : r.spawnError.message}` : r.stderr;
    binding.logger.debug(`exec done ${argv[0]} exit=${exitCode ?? r.signal} ${durationMs}ms`);
    const failed = r.spawnError !== undefined || r.timedOut || r.aborted || exitCode !== 0;
    const result = {
      command: shown,
      exitCode: r.timedOut || r.aborted ? undefined : (exitCode ?? undefined),
      signal: r.signal ?? undefined,
      timedOut: r.timedOut || (r.aborted && Date.now() >= binding.deadline),
      stdout: r.stdout,
      stderr,
      durationMs,
    };
    if (failed && (options.reject ?? true)) throw new CommandFailedError(result);
    return result;
  };
}

let cachedUser: string | undefined;
function currentUser(): string {
  try {
    cachedUser ??= userInfo().username;
  } catch {
    cachedUser = '';
  }
  return cachedUser;
}
