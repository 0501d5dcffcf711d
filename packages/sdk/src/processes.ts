/** Finding local processes through /proc (Linux), for kits that must see what a tool left behind. */
import { readdirSync, readFileSync, readlinkSync } from 'node:fs';

/** Lazy views of one process: each field reads /proc only when asked. */
export interface ProcessView {
  readonly pid: number;
  /** The command line (argv), empty when unreadable. */
  argv(): string[];
  /** The working directory, undefined when unreadable. */
  cwd(): string | undefined;
}

/** One-letter state from /proc/PID/stat (R, S, D, Z, X...), or undefined when the process is gone. */
export function processState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/**
 * The pids of live processes (zombies and dead ones left out) for which `match` is true, in
 * ascending order. A process that vanishes while it is being looked at is skipped.
 */
export function findProcesses(match: (p: ProcessView) => boolean): number[] {
  let entries: string[];
  try {
    entries = readdirSync('/proc');
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    const pid = Number(e);
    const view: ProcessView = {
      pid,
      argv() {
        try {
          return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
        } catch {
          return [];
        }
      },
      cwd() {
        try {
          return readlinkSync(`/proc/${pid}/cwd`);
        } catch {
          return undefined;
        }
      },
    };
    try {
      if (!match(view)) continue;
    } catch {
      continue;
    }
    const state = processState(pid);
    if (state === undefined || state === 'Z' || state === 'X') continue;
    out.push(pid);
  }
  return out.sort((a, b) => a - b);
}
