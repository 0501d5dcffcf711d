/**
 * ctx.exec: runs a program with an argument array (never a shell) through execa, bound to the
 * action's deadline and abort signal, logging the command line at debug level and wrapping
 * failures in CommandFailedError with the full context. execa is imported on first use so that
 * commands that run no program do not pay for it.
 */
import { CommandFailedError, PermissionError, type Exec, type ExecOptions, type Logger } from '@recovery-kit/sdk';
import { userInfo } from 'node:os';

export interface ExecBinding {
  logger: Logger;
  signal: AbortSignal;
  /** Absolute time (ms since epoch) when the action's time runs out. */
  deadline: number;
  env?: Record<string, string | undefined>;
}

let execaModule: Promise<typeof import('execa')> | undefined;

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
    const left = binding.deadline - Date.now();
    const timeout = Math.max(1, Math.min(options.timeoutMs ?? left, left));
    binding.logger.debug(`exec ${shown}`);
    const { execa } = await (execaModule ??= import('execa'));
    const started = performance.now();
    const result = await execa(argv[0]!, argv.slice(1), {
      reject: false,
      timeout,
      cancelSignal: binding.signal,
      forceKillAfterDelay: 2000,
      input: options.input,
      cwd: options.cwd,
      env: { ...binding.env, ...options.env },
      extendEnv: true,
      stripFinalNewline: false,
      windowsHide: true,
    });
    const durationMs = Math.round(performance.now() - started);
    const stdout = String(result.stdout ?? '');
    const stderr = String(result.stderr ?? '');
    const exitCode = result.exitCode;
    binding.logger.debug(`exec done ${argv[0]} exit=${exitCode ?? result.signal} ${durationMs}ms`);
    const failed = result.failed;
    if (failed && (options.reject ?? true)) {
      throw new CommandFailedError({
        command: shown,
        exitCode,
        stdout,
        stderr: stderr || (result.code === 'ENOENT' || /ENOENT/.test(String(result.message)) ? `${argv[0]}: command not found` : ''),
        durationMs,
        timedOut: Boolean(result.timedOut) || (binding.signal.aborted && Date.now() >= binding.deadline),
        signal: result.signal,
      });
    }
    return { command: shown, exitCode: exitCode ?? (failed ? 127 : 0), stdout, stderr, durationMs };
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
