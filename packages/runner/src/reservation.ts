/**
 * Reservations: one per hierarchy (named by its hierarchyKey), so two kit-runner processes never
 * act on one hierarchy at once. Every command that reads the store to decide what to write takes
 * its reservation first and gets the store's document read under it.
 */
import type { Engine } from './engine.ts';
import { hierarchyKey } from './hierarchy.ts';
import { holderText, type Lock, type LockOwner } from './lock.ts';
import type { StoreData } from './store.ts';

export interface Reservation {
  /** The store as read under the reservation: plan from this, not from a later read. */
  data: StoreData;
  release(): void;
}

/** "vip", "web and vip": the tags a command was asked about, for messages. */
function asked(tags: string[]): string {
  const u = [...new Set(tags)];
  return u.length <= 1 ? (u[0] ?? '') : `${u.slice(0, -1).join(', ')} and ${u.at(-1)}`;
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
      for (const k of keys) {
        const what = `${asked(tags)}${tags.length === 1 && tags[0] === k ? '' : ` (the hierarchy of ${k})`}`;
        const started = Date.now();
        let waited = false;
        const onWait = (owner: LockOwner | undefined, waitedMs: number) => {
          waited = true;
          engine.logger.info(
            `waiting for the reservation of ${what} (${Math.round(waitedMs / 1000)} s of ${Math.round(wait / 1000)} s): ${holderText(owner)}`,
            {
              progress: true,
            },
          );
        };
        locks.push(await store.reserve(k, { waitMs: wait, purpose, what, onWait }));
        if (waited) engine.logger.info(`${what}: reserved after waiting ${((Date.now() - started) / 1000).toFixed(1)} s`);
      }
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
