/**
 * Reservations: one per hierarchy (named by its hierarchyKey), so two kit-runner processes never
 * act on one hierarchy at once. Every command that reads the store to decide what to write takes
 * its reservation first and gets the store's document read under it.
 */
import type { Engine } from './engine.ts';
import { hierarchyKey } from './hierarchy.ts';
import type { Lock } from './lock.ts';
import type { StoreData } from './store.ts';

export interface Reservation {
  /** The store as read under the reservation: plan from this, not from a later read. */
  data: StoreData;
  release(): void;
}

/** The reservation keys of the hierarchies holding `tags`, sorted (the order they are taken in). */
function keysOf(data: StoreData, tags: string[]): string[] {
  return [...new Set(tags.map((t) => hierarchyKey(data, t)))].sort();
}

/** Takes the reservations of the hierarchies holding `tags` (waiting LOCK_WAIT_TIMEOUT seconds), then reads the store. */
export async function reserve(engine: Engine, tags: string[], purpose: string, waitMs?: number): Promise<Reservation> {
  const wait = waitMs ?? engine.tunables.view().int('LOCK_WAIT_TIMEOUT') * 1000;
  const store = engine.store;
  // Which hierarchies to lock depends on the document; it is read again under the locks.
  let keys = keysOf(store.read(), tags);
  for (;;) {
    const locks: Lock[] = [];
    try {
      for (const k of keys) locks.push(await store.reserve(k, { waitMs: wait, purpose, what: `the hierarchy of ${k}` }));
    } catch (err) {
      for (const l of locks) l.release();
      throw err;
    }
    const data = store.read();
    // The hierarchy may have been joined to another while we waited: then lock again.
    const again = keysOf(data, tags);
    if (again.join('\0') === keys.join('\0'))
      return {
        data,
        release: () => {
          for (const l of locks) l.release();
        },
      };
    for (const l of locks) l.release();
    keys = again;
  }
}

/** The monitor's reservation of one hierarchy: taken at once or not at all (undefined when busy). */
export async function tryReserve(engine: Engine, key: string, purpose: string): Promise<Lock | undefined> {
  try {
    return await engine.store.reserve(key, { waitMs: 0, purpose, what: `the hierarchy of ${key}` });
  } catch {
    return undefined;
  }
}
