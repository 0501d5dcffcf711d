/**
 * The resource store: the interface the engine, the monitor and the CLI use, and the types of
 * the document it holds. `openStore` (file-store.ts) gives the implementation: the atomic file
 * store (one host only), or in cluster mode (KIT_RUNNER_STORE=cib) the CIB store
 * (cluster/cib-store.ts, docs/contribute/store.md); nothing outside an implementation knows where
 * or how the document is kept, and the hierarchy reservations are taken through the store too.
 */
import type { ResourceState } from '@recovery-kit/sdk';
import type { Lock, LockOwner } from './lock.ts';

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
  /** Consecutive quickChecks that could not tell (the monitor's count; cleared by a healthy or failed check). */
  unknown?: UnknownRun | undefined;
}

/** A run of quickChecks that could not tell whether the resource is healthy. */
export interface UnknownRun {
  count: number;
  /** When the first of them happened. */
  since: string;
  /** The last one's reason. */
  reason: string;
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

/** How long to wait for a lock, and what to call it in a BusyError. */
export interface LockRequest {
  waitMs: number;
  purpose: string;
  /** e.g. "vip (the hierarchy of web)": the tag asked for, for the messages while waiting and when busy. */
  what: string;
  /**
   * Called about once a second while the lock is held by another process, with its owner (as
   * recorded in the lock) and how long this call has waited: progress for the operator.
   */
  onWait?: (owner: LockOwner | undefined, waitedMs: number) => void;
}

export interface Store {
  /** Where the store is, for messages (a file path, a cluster name). */
  readonly location: string;
  /** The whole document (a copy: changing it changes nothing). A missing store is empty. */
  read(): StoreData;
  /**
   * Applies `change` to a copy of the current document under the store lock and writes it
   * atomically. If `change` throws, nothing is written. `change` may be called more than once
   * (the CIB store calls it again on the new document when another writer got in first), so it
   * must change only the document it is given; the result is that of the call that was written.
   */
  update<T>(change: (data: StoreData) => T): T;
  /** Appends one line to the action history (best effort; never holds secrets). */
  history(entry: Record<string, unknown>): void;
  /** Takes the named reservation (one per hierarchy), waiting up to `waitMs` (0 = try once). */
  reserve(name: string, request: LockRequest): Promise<Lock>;
  /** How many times the document was actually read from its backing (a debug counter). */
  readonly reads: number;
  /** How many times the document was written. */
  readonly writes: number;
}
