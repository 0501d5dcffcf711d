/**
 * What the kit learns from the machine without running a program: the postmaster.pid lock file,
 * /proc (is a PID a live postgres, which processes still work in a data directory after the
 * postmaster died, who holds a TCP port). Linux only, like the kit.
 */
import { readFileSync, readdirSync, readlinkSync, realpathSync } from 'node:fs';
import { basename, join } from 'node:path';
import { findProcesses } from '@recovery-kit/sdk';

export interface PidFile {
  pid: number;
  dataDir: string;
  port: number | undefined;
  /** First unix socket directory ('' when the server listens on no socket). */
  socketDir: string;
  /** First listen address ('' when none). */
  listenAddress: string;
  /** "starting", "stopping", "ready", "standby" (PostgreSQL 10 and later). */
  status: string;
}

/** Parses `<dataDir>/postmaster.pid`; undefined when it does not exist or is unreadable. */
export function readPidFile(dataDir: string): PidFile | undefined {
  let text: string;
  try {
    text = readFileSync(join(dataDir, 'postmaster.pid'), 'utf8');
  } catch {
    return undefined;
  }
  const lines = text.split('\n');
  const pid = Number(lines[0]?.trim());
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  const port = Number(lines[3]?.trim());
  return {
    pid,
    dataDir: lines[1]?.trim() ?? '',
    port: Number.isInteger(port) && port > 0 ? port : undefined,
    socketDir: lines[4]?.trim() ?? '',
    listenAddress: lines[5]?.trim() ?? '',
    status: lines[7]?.trim() ?? '',
  };
}

function cmdline(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean);
  } catch {
    return undefined;
  }
}

function procState(pid: number): string | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
  } catch {
    return undefined;
  }
}

/** True when PID is a live (not zombie) PostgreSQL server process. */
export function isPostgresProcess(pid: number): boolean {
  const argv = cmdline(pid);
  if (!argv || argv.length === 0) return false;
  const state = procState(pid);
  if (state === undefined || state === 'Z' || state === 'X') return false;
  const name = basename(argv[0]!);
  // The postmaster keeps its own argv ("/usr/lib/postgresql/15/bin/postgres -D ..."); children
  // rewrite theirs to "postgres: checkpointer" and the like.
  return name === 'postgres' || name === 'postmaster' || name.startsWith('postgres:') || argv[0]!.startsWith('postgres:');
}

export interface PostmasterState {
  running: boolean;
  pid?: number;
  pidFile?: PidFile;
  /** Why it is not running, for messages. */
  why?: string;
}

/** Is the postmaster of this data directory alive? (postmaster.pid + /proc, no program run). */
export function postmasterState(dataDir: string): PostmasterState {
  const pf = readPidFile(dataDir);
  if (!pf) return { running: false, why: 'no postmaster.pid in the data directory' };
  if (!isPostgresProcess(pf.pid)) return { running: false, pid: pf.pid, pidFile: pf, why: `postmaster PID ${pf.pid} from postmaster.pid is not running` };
  return { running: true, pid: pf.pid, pidFile: pf };
}

function realpathOr(p: string): string {
  try {
    return realpathSync(p);
  } catch {
    return p;
  }
}

/**
 * PostgreSQL processes whose working directory is the data directory (every server process
 * chdirs there), other than `except`: after a postmaster is killed, its backends may live on and
 * hold the shared memory, which stops a new postmaster from starting.
 */
export function dataDirProcesses(dataDir: string, except?: number): number[] {
  const want = realpathOr(dataDir);
  return findProcesses((p) => p.pid !== except && p.pid !== process.pid && p.cwd() === want && isPostgresProcess(p.pid));
}

export interface PortHolder {
  pid: number;
  command: string;
}

/** Who listens on TCP `port` (any address), from /proc/net/tcp{,6} and /proc/<pid>/fd. */
export function tcpPortHolders(port: number): { listening: boolean; holders: PortHolder[] } {
  const inodes = new Set<string>();
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  for (const f of ['/proc/net/tcp', '/proc/net/tcp6']) {
    let text = '';
    try {
      text = readFileSync(f, 'utf8');
    } catch {
      continue;
    }
    for (const line of text.split('\n').slice(1)) {
      const cols = line.trim().split(/\s+/);
      if (cols.length < 10) continue;
      if (cols[3] !== '0A') continue; // LISTEN
      if (cols[1]!.split(':')[1] !== hex) continue;
      inodes.add(cols[9]!);
    }
  }
  const holders: PortHolder[] = [];
  if (inodes.size === 0) return { listening: false, holders };
  let entries: string[] = [];
  try {
    entries = readdirSync('/proc');
  } catch {
    /* ignore */
  }
  for (const e of entries) {
    if (!/^\d+$/.test(e)) continue;
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${e}/fd`);
    } catch {
      continue;
    }
    for (const fd of fds) {
      let target = '';
      try {
        target = readlinkSync(`/proc/${e}/fd/${fd}`);
      } catch {
        continue;
      }
      const m = /^socket:\[(\d+)\]$/.exec(target);
      if (m && inodes.has(m[1]!)) {
        let command = '?';
        try {
          command = readFileSync(`/proc/${e}/comm`, 'utf8').trim();
        } catch {
          /* ignore */
        }
        holders.push({ pid: Number(e), command });
        break;
      }
    }
  }
  return { listening: true, holders };
}

/** The PID in a unix socket lock file (`.s.PGSQL.<port>.lock`), when another server holds it. */
export function socketLockHolder(socketDir: string, port: number): number | undefined {
  try {
    const pid = Number(
      readFileSync(join(socketDir, `.s.PGSQL.${port}.lock`), 'utf8')
        .split('\n')[0]
        ?.trim(),
    );
    return Number.isInteger(pid) && pid > 0 && isPostgresProcess(pid) ? pid : undefined;
  } catch {
    return undefined;
  }
}

export function processCommand(pid: number): string {
  return (cmdline(pid) ?? []).join(' ');
}
