/** Running programs for the lab: argument arrays only, never a shell. */
import { spawn } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync } from 'node:fs';
import { CommandFailedError, type ExecResult } from '@recovery-kit/sdk';

export interface RunOptions {
  /** Kill the program after this many ms (SIGKILL). Default 30 000. */
  timeoutMs?: number;
  /** Written to the program's stdin, then stdin is closed. */
  input?: string;
  /** Environment for the program (replaces the inherited one when given). */
  env?: NodeJS.ProcessEnv;
  /** Resolve with the result instead of throwing CommandFailedError on a non-zero exit. */
  allowFailure?: boolean;
}

/** Runs `argv` to completion; throws CommandFailedError (with `.result`) unless it exits 0 or `allowFailure`. */
export function run(argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
  const [file, ...args] = argv;
  if (!file) throw new TypeError('run: argv must name a program');
  const started = Date.now();
  const command = argv.join(' ');
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { stdio: ['pipe', 'pipe', 'pipe'], env: options.env ?? process.env, cwd: '/' });
    let stdout = '';
    let stderr = '';
    let timedOut = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      child.kill('SIGKILL');
    }, options.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const result: ExecResult = {
        command,
        exitCode: code ?? undefined,
        signal: signal ?? undefined,
        timedOut,
        stdout,
        stderr,
        durationMs: Date.now() - started,
      };
      if ((code === 0 && !timedOut) || options.allowFailure) resolve(result);
      else reject(new CommandFailedError(result));
    });
    child.stdin.on('error', () => {});
    child.stdin.end(options.input ?? '');
  });
}

/** True while a process with this pid exists (a zombie counts as gone). */
export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return false;
  }
}

/** The namespace link (`net:[4026532…]`) of a process, or undefined when it is gone. */
export function nsOf(pid: number, kind: 'net' | 'mnt' | 'uts'): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/** Every live pid whose network namespace is `netns` (a `net:[…]` link). */
export function pidsInNetns(netns: string): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const pid = Number(name);
    if (nsOf(pid, 'net') === netns && alive(pid)) out.push(pid);
  }
  return out;
}

/** The short command name of a process (`/proc/PID/comm`), or undefined. */
export function commOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function killAll(pids: readonly number[], signal: NodeJS.Signals = 'SIGKILL'): void {
  for (const pid of pids) {
    try {
      process.kill(pid, signal);
    } catch {
      // already gone
    }
  }
}

/** Waits (polling /proc) until none of `pids` is alive, up to `timeoutMs`; returns those still alive. */
export async function waitGone(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const until = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length && Date.now() < until) {
    await new Promise((r) => setTimeout(r, 20));
    left = left.filter(alive);
  }
  return left;
}
