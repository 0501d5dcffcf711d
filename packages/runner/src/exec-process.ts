/**
 * The process layer under ctx.exec (exec.ts): spawning a command without a shell, collecting
 * its output, ending it on timeout or abort (SIGTERM, then SIGKILL after a grace period), and
 * the bookkeeping of the commands still running (background ones SIGTERMed when kit-runner
 * exits unless they outlive it; foreground ones settled when an action is interrupted).
 */
import { spawn, type ChildProcess } from 'node:child_process';

/** Output kept per stream; beyond it the oldest part is dropped (tools can be chatty). */
const MAX_OUTPUT = 8 * 1024 * 1024;
/** Grace between SIGTERM and SIGKILL. */
export const KILL_GRACE_MS = 2000;
/** After the process exits: how long the pipes may stay quiet before we stop reading them. */
const DRAIN_IDLE_MS = 25;
const DRAIN_MAX_MS = 500;

export interface RawResult {
  exitCode: number | undefined;
  signal: string | undefined;
  stdout: string;
  stderr: string;
  timedOut: boolean;
  aborted: boolean;
  spawnError: NodeJS.ErrnoException | undefined;
  /** Ended by its `listenMs` (exec.ts): the result is its output so far; it is still being ended. */
  listened?: boolean;
}

/** Background processes still running; sent SIGTERM when kit-runner exits. */
export const running = new Set<ChildProcess>();
let exitHookInstalled = false;
export function track(child: ChildProcess): void {
  running.add(child);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.on('exit', () => {
      for (const c of running) if (c.exitCode === null && c.signalCode === null) c.kill('SIGTERM');
    });
  }
}

/**
 * A process kit-runner no longer waits for (a background command, a listener whose time is over):
 * it keeps kit-runner running no longer, and gets SIGTERM if still running when kit-runner exits
 * (unless `outlive`: it finishes on its own), until it has ended.
 */
export function release(p: Pick<Started, 'child' | 'ended'>, outlive = false): void {
  if (!outlive) {
    track(p.child);
    void p.ended.then(() => running.delete(p.child));
  }
  p.child.unref();
  for (const s of [p.child.stdin, p.child.stdout, p.child.stderr]) (s as unknown as { unref?: () => void } | null)?.unref?.();
}

/** Commands an action is waiting for (not background ones): what an interrupted action must see end. */
export const foreground = new Set<ChildProcess>();

/**
 * Waits up to `graceMs` for the commands actions were running to end (an abort sent them
 * SIGTERM), then sends SIGKILL to those still running. For a one-shot command that was
 * interrupted (SIGTERM, SIGINT), before it exits: no command outlives it unsignalled.
 */
export async function settleCommands(graceMs = KILL_GRACE_MS): Promise<void> {
  const until = Date.now() + graceMs;
  const alive = () => [...foreground].filter((c) => c.exitCode === null && c.signalCode === null);
  while (alive().length && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  for (const c of alive()) c.kill('SIGKILL');
}

/** Keeps the newest MAX_OUTPUT bytes of a stream. */
function collector() {
  const list: Buffer[] = [];
  let len = 0;
  return {
    add(d: Buffer) {
      list.push(d);
      len += d.length;
      while (len > MAX_OUTPUT && list.length > 1) len -= list.shift()!.length;
    },
    text: () => Buffer.concat(list).toString('utf8'),
  };
}

interface Started {
  child: ChildProcess;
  /** Resolves once the process is running (or failed to start). */
  spawned: Promise<NodeJS.ErrnoException | undefined>;
  /** Resolves when the process has exited and its own output is read. */
  ended: Promise<RawResult>;
  /** Resolves at the first newline on standard output ('line'), or when the process has ended ('ended'). */
  firstLine: Promise<'line' | 'ended'>;
  /** What it has written to standard output so far. */
  stdoutSoFar: () => string;
  /** What it has written to standard error so far. */
  stderrSoFar: () => string;
  /** SIGTERM now, SIGKILL after the grace period (what a timeout or an abort does). */
  terminate: () => void;
}

export function startProcess(
  argv: string[],
  options: {
    env: NodeJS.ProcessEnv;
    cwd?: string | undefined;
    input?: string | undefined;
    timeoutMs: number;
    signal?: AbortSignal | undefined;
    detached?: boolean;
  },
): Started {
  const child = spawn(argv[0]!, argv.slice(1), {
    env: options.env,
    cwd: options.cwd,
    shell: false,
    // No input: /dev/null (end of file at once, as an empty pipe gives), one socket fewer to make.
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
    detached: options.detached ?? false,
    windowsHide: true,
  });
  const out = collector();
  const err = collector();
  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  let spawnError: NodeJS.ErrnoException | undefined;
  let lastData = Date.now();
  let lineSeen: (how: 'line' | 'ended') => void = () => undefined;
  const firstLine = new Promise<'line' | 'ended'>((resolve) => (lineSeen = resolve));
  child.stdout!.on('data', (d: Buffer) => {
    lastData = Date.now();
    out.add(d);
    if (d.includes(10)) lineSeen('line');
  });
  child.stderr!.on('data', (d: Buffer) => {
    lastData = Date.now();
    err.add(d);
  });
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
  // The child's own handle keeps kit-runner running while it runs; the timer must not (background).
  timer.unref();
  const onAbort = () => {
    aborted = true;
    terminate();
  };
  if (options.signal?.aborted) onAbort();
  else options.signal?.addEventListener('abort', onAbort, { once: true });
  const spawned = new Promise<NodeJS.ErrnoException | undefined>((resolve) => {
    child.once('spawn', () => resolve(undefined));
    child.once('error', (e: NodeJS.ErrnoException) => {
      spawnError ??= e;
      resolve(e);
    });
  });
  child.stdin?.on('error', () => {
    /* the program did not read its input: not our failure */
  });
  child.stdin?.end(options.input);
  const ended = new Promise<RawResult>((resolve) => {
    let closed = false;
    child.once('close', () => (closed = true));
    const finish = (code: number | null, signal: NodeJS.Signals | null) => {
      clearTimeout(timer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      lineSeen('ended');
      resolve({ exitCode: code ?? undefined, signal: signal ?? undefined, stdout: out.text(), stderr: err.text(), timedOut, aborted, spawnError });
    };
    // A process that never started emits 'error' and 'close' but no 'exit'.
    child.once('close', (code, signal) => {
      if (spawnError && child.pid === undefined) finish(code, signal);
    });
    child.once('exit', (code, signal) => {
      // Read what the process wrote before it exited; stop when the pipes close, or go quiet
      // (a grandchild it left behind holds them open), and never keep kit-runner alive for them.
      const exitedAt = Date.now();
      const done = () => {
        for (const s of [child.stdout, child.stderr]) {
          if (!s || s.destroyed) continue;
          s.removeAllListeners('data');
          s.on('data', () => undefined);
          (s as unknown as { unref?: () => void }).unref?.();
        }
        finish(code, signal);
      };
      const wait = () => {
        if (closed) return done();
        const now = Date.now();
        if (now - lastData >= DRAIN_IDLE_MS || now - exitedAt >= DRAIN_MAX_MS) return done();
        setTimeout(wait, DRAIN_IDLE_MS).unref();
      };
      if (closed) done();
      else {
        child.once('close', () => done());
        setTimeout(wait, DRAIN_IDLE_MS).unref();
      }
    });
  });
  return { child, spawned, ended, firstLine, stdoutSoFar: out.text, stderrSoFar: err.text, terminate };
}
