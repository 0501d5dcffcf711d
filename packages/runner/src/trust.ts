/**
 * Trusted locations (docs/operate/trusted-locations.md). kit-runner runs as root and runs the
 * code in its kits directories and the commands in its store, so both must be as safe as the
 * binary itself. The rule, the one sudo and sshd apply to the files they trust:
 *
 * - a trusted directory is owned by root or by the user kit-runner runs as, and is not writable
 *   by its group or by others;
 * - so is every directory above it, up to `/`, except that a directory above it may be
 *   world-writable when it has the sticky bit and belongs to root (`/tmp`): there nobody can
 *   rename or replace an entry that is not theirs;
 * - symbolic links are resolved first and the real path is checked (a link in /tmp to another
 *   user's directory is that user's directory).
 *
 * A location that breaks the rule is refused, with the path, its owner and mode, and the fix.
 */
import { lstatSync, realpathSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';

const myUid = (): number => process.geteuid?.() ?? 0;

export interface TrustProblem {
  /** The directory at fault (the checked one or a parent). */
  path: string;
  why: string;
  fix: string;
}

const octal = (mode: number) => (mode & 0o7777).toString(8).padStart(4, '0');

/** Why one directory (the target, or `parent` = a directory above it) is not trusted; undefined when it is. */
function problemOf(path: string, st: Stats, parent: boolean): TrustProblem | undefined {
  const uid = myUid();
  if (st.uid !== 0 && st.uid !== uid) {
    return {
      path,
      why: `${path} is owned by uid ${st.uid}, not by root${uid !== 0 ? ` or uid ${uid}` : ''}`,
      fix: `chown root ${path} (after checking what it holds), or use another directory`,
    };
  }
  if ((st.mode & 0o022) !== 0) {
    if (parent && (st.mode & 0o1000) !== 0 && st.uid === 0) return undefined;
    return {
      path,
      why: `${path} is writable by ${st.mode & 0o002 ? 'others' : 'its group'} (mode ${octal(st.mode)})`,
      fix: `chmod go-w ${path} (after checking what it holds), or use another directory`,
    };
  }
  return undefined;
}

const cache = new Map<string, TrustProblem | null>();

/**
 * Checks an existing directory and every directory above it. Returns the first problem, or
 * undefined when the directory is trusted (or does not exist: then its nearest existing
 * ancestor is checked as a parent, since kit-runner would create the rest there).
 */
export function trustProblem(dir: string): TrustProblem | undefined {
  return problemAt(dir, false);
}

/**
 * Checks an existing file the same way (owner, no group or other write) and the directories
 * above it. A missing file is no problem here (the caller decides what missing means).
 */
export function fileTrustProblem(path: string): TrustProblem | undefined {
  let real: string;
  try {
    real = realpathSync.native(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    return { path, why: `cannot check ${path}: ${(err as Error).message}`, fix: 'check the path' };
  }
  return check(real, false);
}

/** `dir` (as a parent of what kit-runner would create when `parent`), or its nearest existing ancestor. */
function problemAt(dir: string, parent: boolean): TrustProblem | undefined {
  let real: string;
  try {
    real = realpathSync.native(dir);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') return { path: dir, why: `cannot check ${dir}: ${(err as Error).message}`, fix: 'check the path' };
    const up = dirname(dir);
    return up === dir ? undefined : problemAt(up, true);
  }
  return check(real, parent);
}

function check(real: string, parent: boolean): TrustProblem | undefined {
  const key = `${parent ? 'p' : 't'}:${real}`;
  const known = cache.get(key);
  if (known !== undefined) return known ?? undefined;
  let st: Stats;
  let found: TrustProblem | undefined;
  try {
    st = lstatSync(real);
    found = problemOf(real, st, parent);
  } catch (err) {
    found = { path: real, why: `cannot check ${real}: ${(err as Error).message}`, fix: 'check the path' };
  }
  const up = dirname(real);
  if (!found && up !== real) found = check(up, true);
  cache.set(key, found ?? null);
  return found;
}

/** Forgets what was checked (a long-running process re-checks; tests). */
export function forgetTrust(): void {
  cache.clear();
}
