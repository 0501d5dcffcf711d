/**
 * The atomic file store, the default {@link Store}: one JSON document (`store.json`, mode 0600,
 * in a 0700 directory) and the reservation locks beside it (`locks/`). Every change is a
 * read-modify-write under the store lock, written to a temporary file, fsynced and renamed over
 * the old one (then the directory is fsynced), so a crash at any point leaves either the old or
 * the new document, never a mix. A change that throws writes nothing: bad input leaves the file
 * byte-for-byte unchanged.
 *
 * The last document read or written is kept with the file's identity (device, inode, size,
 * mtime and ctime in ns). Every writer replaces the file by rename, so the inode changes on
 * every write by anyone; a read whose stat matches the kept identity uses the kept document
 * instead of reading and parsing the file again. A walk thus reads the file once.
 */
import { chmodSync, closeSync, constants, fstatSync, fsyncSync, lstatSync, mkdirSync, openSync, readdirSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '@recovery-kit/sdk';
import { CibStore } from './cluster/cib-store.ts';
import { acquireLock, acquireLockSync, type Lock } from './lock.ts';
import { DEFAULT_TUNABLES } from './settings.ts';
import { emptyStore, type LockRequest, type Store, type StoreData } from './store.ts';
import { readNoFollow, validateStore } from './store-read.ts';
import { trustProblem } from './trust.ts';

const TMP_PREFIX = 'store.json.tmp-';
let tmpCount = 0;

/** A state directory kit-runner must not use (trust.ts): exit 6, naming the directory and the fix. */
function untrusted(what: string, why: string, fix: string): ConfigError {
  return new ConfigError(`refusing the state directory: ${why}`, {
    code: 'UNTRUSTED_LOCATION',
    field: what,
    fix: `${fix} (docs/operate/trusted-locations.md)`,
  });
}

/**
 * The store: the atomic file store in `stateDir` (one host only), or in cluster mode
 * (KIT_RUNNER_STORE=cib) the Pacemaker CIB (cluster/cib-store.ts), with this node's file store
 * in `stateDir` keeping the reservations and the history. `kits` (the kits directories and the
 * tunables file) is what the CIB store needs to render the kits' resources.
 */
export function openStore(
  stateDir: string,
  kits: { kitsDirs: readonly string[]; tunablesPath: string } = { kitsDirs: [], tunablesPath: DEFAULT_TUNABLES },
): Store {
  if (process.env.KIT_RUNNER_STORE === 'cib') return new CibStore({ local: new FileStore(stateDir), ...kits });
  return new FileStore(stateDir);
}

/**
 * A reservation name as a file name: `r-` (so no name can be the store's own `store.lock`), then
 * the name with `_` written `_5F` and every other character outside [A-Za-z0-9.-] as `_XX` (its
 * UTF-8 bytes in hex), so two names never share a file (`a/b` is `_2F`, `a_2Fb` is `a_5F2Fb`).
 * A tag (at most 80 characters) gives at most 247 bytes.
 */
export function lockFile(name: string): string {
  const enc = [...Buffer.from(name, 'utf8')]
    .map((b) => (/[A-Za-z0-9.-]/.test(String.fromCharCode(b)) && b < 0x80 ? String.fromCharCode(b) : `_${b.toString(16).toUpperCase().padStart(2, '0')}`))
    .join('');
  return `r-${enc}.lock`;
}

function identity(file: string): string | undefined {
  try {
    // lstat: a symbolic link planted as store.json never matches a document we read.
    const st = lstatSync(file, { bigint: true });
    return `${st.dev}:${st.ino}:${st.size}:${st.mtimeNs}:${st.ctimeNs}`;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'absent';
    return undefined;
  }
}

export class FileStore implements Store {
  readonly dir: string;
  readonly file: string;
  readonly lockDir: string;
  #reads = 0;
  #writes = 0;
  #kept: { id: string; data: StoreData } | undefined;
  #trusted = false;

  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, 'store.json');
    this.lockDir = join(dir, 'locks');
  }

  get location(): string {
    return this.file;
  }

  get reads(): number {
    return this.#reads;
  }

  get writes(): number {
    return this.#writes;
  }

  read(): StoreData {
    return structuredClone(this.#current());
  }

  /** The current document, shared with the cache: never hand it out without a copy. */
  #current(): StoreData {
    this.#checkTrust();
    const id = identity(this.file);
    if (id !== undefined && this.#kept?.id === id) return this.#kept.data;
    if (id === 'absent') {
      this.#kept = { id, data: emptyStore() };
      return this.#kept.data;
    }
    let text: string;
    try {
      this.#reads++;
      text = readNoFollow(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyStore();
      if (err instanceof ConfigError) throw err;
      throw new ConfigError(`cannot read the store ${this.file}: ${(err as Error).message}`, {
        field: this.file,
        fix: 'check the permissions of the state directory (run as root, or set --state-dir)',
      });
    }
    let data: unknown;
    try {
      data = JSON.parse(text);
    } catch (err) {
      throw new ConfigError(`the store ${this.file} is not valid JSON: ${(err as Error).message}`, {
        field: this.file,
        fix: 'restore it from a backup; kit-runner never leaves a partly written store, so something else wrote this file',
      });
    }
    const valid = validateStore(data, this.file);
    // Keep it only if the file did not change while we read it.
    const after = identity(this.file);
    this.#kept = after !== undefined && after === id ? { id: after, data: valid } : undefined;
    return valid;
  }

  update<T>(change: (data: StoreData) => T): T {
    this.ensureDir();
    const lock = acquireLockSync(join(this.lockDir, 'store.lock'), { waitMs: 10_000, purpose: 'store update', what: 'the store' });
    try {
      const before = this.#current();
      const data = structuredClone(before);
      const result = change(data);
      if (JSON.stringify(data) !== JSON.stringify(before)) this.#write(data);
      return result;
    } finally {
      lock.release();
    }
  }

  reserve(name: string, request: LockRequest): Promise<Lock> {
    this.ensureDir();
    return acquireLock(join(this.lockDir, lockFile(name)), request);
  }

  ensureDir(): void {
    this.#checkTrust();
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.lockDir, { recursive: true, mode: 0o700 });
  }

  /**
   * The state directory must be a trusted location (trust.ts): refused when it, or a directory
   * above it, is owned by another user or writable by others. One that is merely readable by
   * others (0755, made by hand) is tightened to 0700; so is its locks directory, which must be
   * a real directory of ours. Checked once per process.
   */
  #checkTrust(): void {
    if (this.#trusted) return;
    const problem = trustProblem(this.dir);
    if (problem) throw untrusted(this.dir, problem.why, problem.fix);
    for (const d of [this.dir, this.lockDir]) {
      let st: ReturnType<typeof lstatSync>;
      try {
        st = lstatSync(d);
      } catch {
        continue; // created 0700 when first written
      }
      if (!st.isDirectory()) throw untrusted(d, `${d} is ${st.isSymbolicLink() ? 'a symbolic link' : 'not a directory'}`, `remove ${d}; kit-runner creates it`);
      if (d === this.lockDir) {
        const uid = process.geteuid?.() ?? 0;
        if ((st.uid !== 0 && st.uid !== uid) || (st.mode & 0o022) !== 0)
          throw untrusted(d, `${d} is owned by uid ${st.uid} with mode ${(st.mode & 0o777).toString(8)}`, `remove ${d}; kit-runner creates it`);
      }
      if ((st.mode & 0o077) !== 0 && st.uid === (process.geteuid?.() ?? 0)) {
        try {
          chmodSync(d, 0o700);
        } catch {
          /* not ours to change: it is still not writable by others */
        }
      }
    }
    this.#trusted = true;
  }

  #write(data: StoreData): void {
    this.#kept = undefined;
    this.#removeStaleTemps();
    const text = `${JSON.stringify(data, null, 2)}\n`;
    // Under the store lock, after every earlier temporary file was removed: the pid and a count
    // name it uniquely (no random bytes: node:crypto would cost every writing process ~5 ms to load).
    const tmp = `${this.dir}/${TMP_PREFIX}${process.pid}-${++tmpCount}`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, text);
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    try {
      renameSync(tmp, this.file);
    } catch (err) {
      try {
        unlinkSync(tmp);
      } catch {
        /* ignore */
      }
      throw err;
    }
    this.#writes++;
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
    // We still hold the store lock: nobody else wrote since the rename.
    const id = identity(this.file);
    if (id !== undefined && id !== 'absent') this.#kept = { id, data: JSON.parse(text) as StoreData };
  }

  /**
   * Temporary files of writers killed between creating and renaming them (kill -9). A writer
   * creates one only while it holds the store lock, and we hold it now: every one left is stale.
   */
  #removeStaleTemps(): void {
    let names: string[];
    try {
      names = readdirSync(this.dir);
    } catch {
      return;
    }
    for (const n of names) {
      if (!n.startsWith(TMP_PREFIX)) continue;
      try {
        unlinkSync(join(this.dir, n));
      } catch {
        /* gone already */
      }
    }
  }

  history(entry: Record<string, unknown>): void {
    try {
      this.ensureDir();
      // O_NOFOLLOW: a symbolic link planted as history.jsonl is never written through.
      const fd = openSync(
        join(this.dir, 'history.jsonl'),
        constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
        0o600,
      );
      try {
        if (!fstatSync(fd).isFile()) return;
        writeSync(fd, `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`);
      } finally {
        closeSync(fd);
      }
    } catch {
      /* history is best effort */
    }
  }
}
