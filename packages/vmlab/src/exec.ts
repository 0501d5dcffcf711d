/**
 * A kit's `ctx.exec` that runs its programs inside a lab VM: the kit's code runs in the test
 * process, every command it runs (ipsec, ping, ...) runs in the guest, through the lab's command
 * channel, with the same ExecResult and CommandFailedError the runner's exec gives.
 */
import { CommandFailedError, type Exec, type ExecOptions, type ExecResult, type Logger } from '@recovery-kit/sdk';
import type { Vm } from './vm.ts';

export interface VmExecBinding {
  vm: Vm;
  /** Absolute time (ms since epoch) when the action's time runs out. */
  deadline: number;
  logger?: Logger;
  /** Every command run, in order (for tests that check what a kit did). */
  record?: ExecResult[];
}

const quote = (a: string) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, `'\\''`)}'`);

export function vmExec(binding: VmExecBinding): Exec {
  return async (file: string, args: readonly string[] = [], options: ExecOptions = {}) => {
    const env = Object.entries(options.env ?? {})
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k}=${v}`);
    let argv = [...(env.length ? ['env', ...env] : []), file, ...args];
    if (options.user) argv = ['runuser', '-u', options.user, '--', ...argv];
    if (options.cwd) argv = ['env', '-C', options.cwd, ...argv];
    const shown = options.quiet ? `${file} [arguments hidden]` : [file, ...args].map(quote).join(' ');
    const left = binding.deadline - Date.now();
    const timeoutMs = Math.max(1000, Math.min(options.timeoutMs ?? left, left));
    binding.logger?.debug(`exec (${binding.vm.name}) ${shown}`);
    const go = async (): Promise<ExecResult> => {
      const r = await binding.vm.run(argv, { timeoutSec: Math.ceil(timeoutMs / 1000), ...(options.input !== undefined ? { input: options.input } : {}) });
      const result: ExecResult = {
        command: shown,
        exitCode: r.timedOut ? undefined : r.exitCode,
        signal: r.exitCode === 137 ? 'SIGKILL' : undefined,
        timedOut: r.timedOut,
        stdout: r.stdout,
        stderr: r.exitCode === 127 && !r.stderr ? `${file}: command not found` : r.stderr,
        durationMs: r.durationMs,
      };
      binding.record?.push(result);
      return result;
    };
    if (options.background) {
      const completion = go().catch((e: Error) => ({
        command: shown,
        exitCode: undefined,
        signal: undefined,
        timedOut: false,
        stdout: '',
        stderr: e.message,
        durationMs: 0,
      }));
      return { command: shown, exitCode: undefined, signal: undefined, timedOut: false, stdout: '', stderr: '', durationMs: 0, completion };
    }
    const result = await go();
    if ((result.exitCode !== 0 || result.timedOut) && (options.reject ?? true)) throw new CommandFailedError(result);
    return result;
  };
}
