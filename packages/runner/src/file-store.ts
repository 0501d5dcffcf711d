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
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, STATES } from '@recovery-kit/sdk';
import { acquireLock, acquireLockSync, type Lock } from './lock.ts';
import { emptyStore, STORE_FORMAT, type LockRequest, type Store, type StoreData } from './store.ts';

/** The store in `stateDir`: today always the atomic file store. */
export function openStore(stateDir: string): Store {
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
    const st = statSync(file, { bigint: true });
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
    const id = identity(this.file);
    if (id !== undefined && this.#kept?.id === id) return this.#kept.data;
    if (id === 'absent') {
      this.#kept = { id, data: emptyStore() };
      return this.#kept.data;
    }
    let text: string;
    try {
      this.#reads++;
      text = readFileSync(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return emptyStore();
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
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.lockDir, { recursive: true, mode: 0o700 });
  }

  #write(data: StoreData): void {
    this.#kept = undefined;
    const text = `${JSON.stringify(data, null, 2)}\n`;
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
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

  history(entry: Record<string, unknown>): void {
    try {
      this.ensureDir();
      appendFileSync(join(this.dir, 'history.jsonl'), `${JSON.stringify({ time: new Date().toISOString(), ...entry })}\n`, { mode: 0o600 });
    } catch {
      /* history is best effort */
    }
  }
}

function validateStore(data: unknown, file: string): StoreData {
  const bad = (why: string) =>
    new ConfigError(`the store ${file} is damaged: ${why}`, {
      field: file,
      fix: `restore ${file} from a backup, or repair the named entry by hand (kit-runner writes it atomically; nothing else should)`,
    });
  if (typeof data !== 'object' || data === null) throw bad('not an object');
  const d = data as Partial<StoreData>;
  if (d.format !== STORE_FORMAT) {
    throw new ConfigError(`the store ${file} has format ${String(d.format)}, this kit-runner reads format ${STORE_FORMAT}`, {
      field: file,
      fix: 'use the kit-runner version that wrote it',
    });
  }
  if (typeof d.resources !== 'object' || d.resources === null || !Array.isArray(d.dependencies)) throw bad('resources or dependencies missing');
  for (const [tag, r] of Object.entries(d.resources)) {
    if (!r || r.tag !== tag || typeof r.kit !== 'string' || typeof r.servers !== 'object') throw bad(`resource ${tag}`);
    for (const [server, s] of Object.entries(r.servers)) {
      if (!s || typeof s !== 'object') throw bad(`resource ${tag} on ${server} is not an object`);
      if (!STATES.includes(s.state)) throw bad(`resource ${tag} on ${server} has state ${String(s.state)}`);
      if (!Number.isInteger(s.priority)) throw bad(`resource ${tag} on ${server} has priority ${JSON.stringify(s.priority)}`);
    }
  }
  const children = new Map<string, string[]>();
  for (const dep of d.dependencies as unknown[]) {
    const x = dep as { parent?: unknown; child?: unknown } | null;
    if (!x || typeof x.parent !== 'string' || typeof x.child !== 'string') throw bad(`dependency ${JSON.stringify(dep)} is not { parent, child }`);
    for (const t of [x.parent, x.child])
      if (!Object.hasOwn(d.resources, t)) throw bad(`dependency ${x.parent} -> ${x.child} names ${t}, which has no resource record`);
    children.set(x.parent, [...(children.get(x.parent) ?? []), x.child]);
  }
  // A cycle would make every walk of its hierarchy meaningless: damage, not a hierarchy.
  const state = new Map<string, 1 | 2>();
  const visit = (t: string, path: string[]): void => {
    if (state.get(t) === 2) return;
    if (state.get(t) === 1) throw bad(`the dependencies form a cycle: ${[...path.slice(path.indexOf(t)), t].join(' -> ')}`);
    state.set(t, 1);
    for (const c of children.get(t) ?? []) visit(c, [...path, t]);
    state.set(t, 2);
  };
  for (const t of children.keys()) visit(t, []);
  return d as StoreData;
}
