/**
 * The resource store: one JSON document (`store.json`, mode 0600, in a 0700 directory).
 * Every change is a read-modify-write under the store lock, written to a temporary file,
 * fsynced and renamed over the old one (then the directory is fsynced), so a crash at any
 * point leaves either the old or the new document, never a mix. A change that throws writes
 * nothing: bad input leaves the file byte-for-byte unchanged.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, unlinkSync, writeSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { ConfigError, STATES, type ResourceState } from '@recovery-kit/sdk';
import { acquireLockSync } from './lock.ts';

export const STORE_FORMAT = 1;

export type Switchback = 'intelligent' | 'automatic';

/** What a resource is doing right now on a server; left behind if the runner was killed. */
export interface Pending {
  action: string;
  pid: number;
  since: string;
}

/** One server's side of a resource: its equivalency (priority, switchback), info and state. */
export interface ServerEntry {
  priority: number;
  switchback: Switchback;
  /** Per-server option values (fields declared perServer). */
  overrides: Record<string, unknown>;
  /** What the kit recorded for this server at create/extend. */
  info: Record<string, unknown>;
  state: ResourceState;
  reason: string;
  since: string;
  pending?: Pending | undefined;
}

export interface ResourceRecord {
  tag: string;
  id: string;
  kit: string;
  kitPackage: string;
  kitVersion: string;
  options: Record<string, unknown>;
  createdAt: string;
  servers: Record<string, ServerEntry>;
}

export interface Dependency {
  parent: string;
  child: string;
}

export interface StoreData {
  format: number;
  resources: Record<string, ResourceRecord>;
  dependencies: Dependency[];
}

export const emptyStore = (): StoreData => ({ format: STORE_FORMAT, resources: {}, dependencies: [] });

export class Store {
  readonly dir: string;
  readonly file: string;
  readonly lockDir: string;

  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, 'store.json');
    this.lockDir = join(dir, 'locks');
  }

  /** Reads the document; a missing store is empty. */
  read(): StoreData {
    let text: string;
    try {
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
    return validateStore(data, this.file);
  }

  /**
   * Applies `change` to a fresh copy under the store lock and writes it atomically.
   * If `change` throws, nothing is written.
   */
  update<T>(change: (data: StoreData) => T): T {
    this.ensureDir();
    const lock = acquireLockSync(join(this.lockDir, 'store.lock'), { waitMs: 10_000, purpose: 'store update', what: 'the store' });
    try {
      const before = this.read();
      const data = structuredClone(before);
      const result = change(data);
      if (JSON.stringify(data) !== JSON.stringify(before)) this.write(data);
      return result;
    } finally {
      lock.release();
    }
  }

  ensureDir(): void {
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    mkdirSync(this.lockDir, { recursive: true, mode: 0o700 });
  }

  private write(data: StoreData): void {
    const tmp = `${this.file}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
    const fd = openSync(tmp, 'wx', 0o600);
    try {
      writeSync(fd, `${JSON.stringify(data, null, 2)}\n`);
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
    const dirFd = openSync(this.dir, 'r');
    try {
      fsyncSync(dirFd);
    } finally {
      closeSync(dirFd);
    }
  }

  /** Appends one line to the action history (`history.jsonl`, 0600). Never holds secrets. */
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
    new ConfigError(`the store ${file} is damaged: ${why}`, { field: file, fix: 'restore it from a backup or repair the named entry' });
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
      if (!STATES.includes(s.state)) throw bad(`resource ${tag} on ${server} has state ${String(s.state)}`);
    }
  }
  return d as StoreData;
}
