/**
 * ctx.exec: runs a program with an argument array (never a shell), bound to the action's
 * deadline and abort signal, logging the command line at debug level and wrapping failures in
 * CommandFailedError with the full context (command, exit code, stderr tail, duration, timeout).
 *
 * A command ends when its process exits, not when every copy of its stdout and stderr is
 * closed: a start script that leaves a daemon behind (`sleep 20 & touch marker`) returns at
 * once. What the process wrote before it exited is read; the pipes are then left to whatever
 * grandchild still holds them (drained, never waited for, never keeping kit-runner alive).
 *
 * `background: true` resolves once the process is spawned (with `readyOnLine`, once it has
 * written its first line to standard output, or ended); `completion` settles when it ends. The
 * runner reaps it, logs how it ended (debug when it exits 0, warn otherwise), never fails the
 * action for it, and sends it SIGTERM if it is still running when kit-runner exits, unless
 * `outlive` is set: then it runs in a session of its own under coreutils' timeout(1) with its
 * `timeoutMs` (default: what is left of the action's time), so it finishes on its own, bounded.
 *
 * Built on node:child_process rather than execa: importing execa costs more than the whole
 * budget of a `kit-runner action TAG quickCheck` process (see docs/benchmarks.md), and the part
 * of it we need is small: spawn without a shell, stdin input, output capture, and on timeout or
 * abort SIGTERM followed by SIGKILL after a grace period.
 */
import { userInfo } from 'node:os';
import { elapsedMs, monotonicMs } from './clock.ts';
import { foreground, release, startProcess, type RawResult } from './exec-process.ts';

export { settleCommands } from './exec-process.ts';
import { CommandFailedError, PermissionError, type Exec, type ExecOptions, type ExecResult, type Logger } from '@recovery-kit/sdk';

export interface ExecBinding {
  logger: Logger;
  signal: AbortSignal;
  /** Absolute time (ms since epoch) when the action's time runs out. */
  deadline: number;
  env?: Record<string, string | undefined>;
}

export function quoteArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`;
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
    const env = { ...process.env, ...binding.env, ...options.env };
    const started = monotonicMs();
    const resultOf = (r: RawResult): ExecResult & { failed: boolean } => {
      const durationMs = elapsedMs(started);
      const notFound = r.spawnError?.code === 'ENOENT';
      const exitCode = r.spawnError ? (notFound ? 127 : 126) : r.exitCode;
      const stderr = r.spawnError ? `${argv[0]}: ${notFound ? 'command not found' : r.spawnError.message}` : r.stderr;
      return {
        command: shown,
        exitCode: r.timedOut || r.aborted ? undefined : (exitCode ?? undefined),
        signal: r.signal ?? undefined,
        timedOut: r.timedOut || (r.aborted && Date.now() >= binding.deadline),
        stdout: r.stdout,
        stderr,
        durationMs,
        // A listener whose time is over ended as intended.
        failed: !r.listened && (r.spawnError !== undefined || r.timedOut || r.aborted || exitCode !== 0),
      };
    };
    const plain = ({ failed: _failed, ...rest }: ExecResult & { failed: boolean }): ExecResult => rest;

    if (options.background) {
      binding.logger.debug(`exec (background${options.outlive ? ', outlives kit-runner' : ''}) ${shown}`);
      // Not bound to the action's deadline: it may outlive the action; kit-runner too with
      // `outlive`, and then timeout(1) bounds it, since kit-runner's own timer goes with it.
      const limitS = Math.max(1, Math.ceil((options.timeoutMs ?? binding.deadline - Date.now()) / 1000));
      const p = options.outlive
        ? startProcess(['timeout', '--kill-after=1', `${limitS}s`, ...argv], {
            env,
            cwd: options.cwd,
            input: options.input,
            timeoutMs: (limitS + 2) * 1000,
            detached: true,
          })
        : startProcess(argv, { env, cwd: options.cwd, input: options.input, timeoutMs: options.timeoutMs ?? 2 ** 31 - 1 });
      const spawnError = await p.spawned;
      release(p, options.outlive);
      const completion = p.ended.then((raw) => {
        const r = resultOf(options.outlive && raw.exitCode === 124 ? { ...raw, timedOut: true } : raw);
        const how = r.timedOut ? 'timed out' : r.exitCode !== undefined ? `exit ${r.exitCode}` : `signal ${r.signal}`;
        const tail = r.stderr.trim().slice(-300);
        if (r.failed) binding.logger.warn(`background ${shown} ended: ${how} after ${r.durationMs} ms${tail ? `: ${tail}` : ''}`);
        else binding.logger.debug(`background ${argv[0]} ended: ${how} after ${r.durationMs} ms`);
        return plain(r);
      });
      if (options.readyOnLine && !spawnError && (await p.firstLine) === 'ended') return { ...(await completion), completion };
      return {
        command: shown,
        exitCode: spawnError ? (spawnError.code === 'ENOENT' ? 127 : 126) : undefined,
        signal: undefined,
        timedOut: false,
        stdout: options.readyOnLine ? p.stdoutSoFar() : '',
        stderr: spawnError ? `${argv[0]}: ${spawnError.code === 'ENOENT' ? 'command not found' : spawnError.message}` : '',
        durationMs: elapsedMs(started),
        completion,
      };
    }

    const left = binding.deadline - Date.now();
    const timeoutMs = Math.max(1, Math.min(options.timeoutMs ?? left, left));
    binding.logger.debug(`exec ${shown}`);
    const p = startProcess(argv, { env, cwd: options.cwd, input: options.input, timeoutMs, signal: binding.signal });
    foreground.add(p.child);
    let raw: RawResult;
    try {
      raw = options.listenMs !== undefined && options.listenMs <= timeoutMs ? await listened(p, options.listenMs) : await p.ended;
    } finally {
      foreground.delete(p.child);
    }
    const r = resultOf(raw);
    binding.logger.debug(`exec done ${argv[0]} ${raw.listened ? 'listened' : `exit=${r.exitCode ?? r.signal}`} ${r.durationMs}ms`);
    if (r.failed && (options.reject ?? true)) throw new CommandFailedError(plain(r));
    return plain(r);
  };
}

/**
 * `listenMs`: the process's own end, or, after `ms`, what it has written so far; then it is
 * ended (SIGTERM, SIGKILL after the grace) and reaped without being waited for, and gets SIGTERM
 * again if kit-runner exits first.
 */
function listened(p: ReturnType<typeof startProcess>, ms: number): Promise<RawResult> {
  return new Promise((resolve) => {
    const timer = setTimeout(() => {
      resolve({
        exitCode: undefined,
        signal: undefined,
        stdout: p.stdoutSoFar(),
        stderr: p.stderrSoFar(),
        timedOut: true,
        aborted: false,
        spawnError: undefined,
        listened: true,
      });
      p.terminate();
      release(p);
    }, ms);
    void p.ended.then((r) => {
      clearTimeout(timer);
      resolve(r);
    });
  });
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
