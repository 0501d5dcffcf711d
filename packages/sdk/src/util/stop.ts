/** Ending local processes: SIGTERM, a grace period, then SIGKILL (ocf-shellfuncs' ocf_stop_processes). */
import { processState } from '../processes.ts';
import { sleep } from './time.ts';

export interface StopProcessesOptions {
  /** Milliseconds between SIGTERM and SIGKILL. */
  graceMs: number;
  /** Milliseconds to wait after SIGKILL for the processes to be gone. Default 3000. */
  killWaitMs?: number;
  /** Called once, before SIGKILL, with the pids that survived SIGTERM (for a log line). */
  onKill?: (pids: number[]) => void;
  /** Re-reads which processes still count (e.g. a /proc scan); default: the given pids that are alive. */
  alive?: () => number[];
}

const isAlive = (pid: number): boolean => {
  const s = processState(pid);
  return s !== undefined && s !== 'Z' && s !== 'X';
};

function signal(pids: number[], sig: NodeJS.Signals): void {
  for (const p of pids) {
    try {
      process.kill(p, sig);
    } catch {
      /* already gone */
    }
  }
}

async function waitGone(alive: () => number[], ms: number): Promise<number[]> {
  const until = Date.now() + ms;
  let left = alive();
  while (left.length && Date.now() < until) {
    await sleep(Math.min(100, until - Date.now()));
    left = alive();
  }
  return left;
}

/**
 * Sends SIGTERM to `pids`, waits up to `graceMs` for them to go, sends SIGKILL to the rest and
 * waits for them again. Returns the pids still alive afterwards (empty on success).
 */
export async function stopProcesses(pids: readonly number[], options: StopProcessesOptions): Promise<number[]> {
  const alive = options.alive ?? (() => pids.filter(isAlive));
  let left = alive();
  if (!left.length) return [];
  signal(left, 'SIGTERM');
  left = await waitGone(alive, options.graceMs);
  if (!left.length) return [];
  options.onKill?.(left);
  signal(left, 'SIGKILL');
  return waitGone(alive, options.killWaitMs ?? 3000);
}
