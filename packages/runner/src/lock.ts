/**
 * File locks that survive `kill -9`: a lock is a file created with O_EXCL holding the owner's pid
 * and process start time. A waiter that finds the owner dead breaks the lock, but only while it
 * holds a short-lived "breaker" lock, so two waiters can never both break and take it.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import { BusyError } from '@recovery-kit/sdk';

export interface LockOwner {
  pid: number;
  start: string;
  host: string;
  since: string;
  purpose: string;
}

export interface Lock {
  path: string;
  release(): void;
}

function startTime(pid: number): string {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Field 22 (starttime), counted after the parenthesised command name.
    const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return rest[19] ?? '';
  } catch {
    return '';
  }
}

const myStart = startTime(process.pid);

export function readOwner(path: string): LockOwner | undefined {
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as LockOwner;
  } catch {
    return undefined;
  }
}

/** True when no process with this pid exists on this host. */
export function processGone(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
}

/** True when the process that wrote the lock is gone (or is another process reusing its pid). */
export function ownerIsDead(owner: LockOwner | undefined): boolean {
  if (!owner || typeof owner.pid !== 'number') return true;
  if (owner.host !== hostname()) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'ESRCH';
  }
  const now = startTime(owner.pid);
  return owner.start !== '' && now !== '' && now !== owner.start;
}

function tryCreate(path: string, purpose: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw err;
  }
  const owner: LockOwner = { pid: process.pid, start: myStart, host: hostname(), since: new Date().toISOString(), purpose };
  // Not fsync'd: what excludes others is the file's existence, and its content only has to
  // outlive this process, not the machine. After a crash of the machine every owner is dead and
  // either content breaks the lock: a lost one (empty file, not fresh: see breakIfStale) as well
  // as a kept one (no such process, or another one since the reboot). Three fsyncs fewer in
  // every restore (the resource lock, the store lock of each of its two writes).
  writeSync(fd, JSON.stringify(owner));
  closeSync(fd);
  return true;
}

/** Breaks `path` if its owner is dead. Returns true when it removed a stale lock. */
function breakIfStale(path: string): boolean {
  const breaker = `${path}.break`;
  if (!tryCreate(breaker, 'break')) {
    // A breaker that died within its few microseconds of work leaves this file; clear it after 5 s.
    try {
      if (Date.now() - statSync(breaker).mtimeMs > 5000 && ownerIsDead(readOwner(breaker))) unlinkSync(breaker);
    } catch {
      /* gone already */
    }
    return false;
  }
  try {
    const owner = readOwner(path);
    if (owner && !ownerIsDead(owner)) return false;
    try {
      // An unreadable lock file that is fresh may be mid-write by its creator: leave it.
      if (!owner && Date.now() - statSync(path).mtimeMs < 2000) return false;
      unlinkSync(path);
      return true;
    } catch {
      return false;
    }
  } finally {
    try {
      unlinkSync(breaker);
    } catch {
      /* ignore */
    }
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** How often `onWait` reports a lock wait. */
export const LOCK_WAIT_REPORT_MS = 1000;

/** "kit-runner pid 42 (restore web) holds it since 2026-...": who holds a lock, for people. */
export function holderText(owner: LockOwner | undefined): string {
  if (!owner) return 'another kit-runner holds it';
  const where = owner.host && owner.host !== hostname() ? ` on ${owner.host}` : '';
  return `kit-runner pid ${owner.pid}${where} (${owner.purpose}) holds it since ${owner.since}`;
}

/**
 * Takes the lock, waiting up to `waitMs`. Throws BusyError naming the owner when time runs out.
 * `waitMs` 0 means try once. While it waits, `onWait` hears about it every second (the owner as
 * the lock file records it, and the time waited).
 */
export async function acquireLock(
  path: string,
  options: { waitMs: number; purpose: string; what: string; onWait?: ((owner: LockOwner | undefined, waitedMs: number) => void) | undefined },
): Promise<Lock> {
  const started = Date.now();
  const until = started + options.waitMs;
  let delay = 10;
  let reported = started;
  for (;;) {
    if (tryCreate(path, options.purpose)) {
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          const owner = readOwner(path);
          if (owner?.pid === process.pid) unlinkSync(path);
        } catch {
          /* ignore */
        }
      };
      return { path, release };
    }
    if (breakIfStale(path)) continue;
    const now = Date.now();
    if (now >= until) {
      const owner = readOwner(path);
      throw new BusyError(`${options.what} is busy: ${holderText(owner)}`, {
        fix: 'wait for that action to finish, or raise LOCK_WAIT_TIMEOUT',
        details: { lock: path, owner },
      });
    }
    if (options.onWait && now - reported >= LOCK_WAIT_REPORT_MS) {
      reported = now;
      options.onWait(readOwner(path), now - started);
    }
    await sleep(Math.min(delay, Math.max(1, until - Date.now())));
    delay = Math.min(delay * 2, 200);
  }
}

/** Synchronous variant for the short store lock (held for one read-modify-write). */
export function acquireLockSync(path: string, options: { waitMs: number; purpose: string; what: string }): Lock {
  const until = Date.now() + options.waitMs;
  const shared = new Int32Array(new SharedArrayBuffer(4));
  for (;;) {
    if (tryCreate(path, options.purpose)) {
      return {
        path,
        release() {
          try {
            if (readOwner(path)?.pid === process.pid) unlinkSync(path);
          } catch {
            /* ignore */
          }
        },
      };
    }
    if (breakIfStale(path)) continue;
    if (Date.now() >= until) {
      const owner = readOwner(path);
      throw new BusyError(`${options.what} is busy${owner ? ` (pid ${owner.pid}, ${owner.purpose})` : ''}`, {
        fix: 'retry in a moment',
        details: { lock: path },
      });
    }
    Atomics.wait(shared, 0, 0, 5);
  }
}
