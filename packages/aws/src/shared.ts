/**
 * Shared short-lived reads, for the monitor: kit-runner checks the resources of one round
 * concurrently in one process, so N resources that need the same Describe call (all route tables
 * of a VPC, all addresses of a region) share one call: concurrent callers join the call in flight,
 * and callers within `ttlMs` after it answered get its answer. Failures are not kept.
 *
 * Use it for read-only checks only (quickCheck). Actions that change something read fresh.
 */

interface Entry<T> {
  at: number;
  value?: T;
  inFlight?: Promise<T>;
}

const entries = new Map<string, Entry<unknown>>();
let loads = 0;

/** Statistics: how many loads ran (shared reads that actually called the loader). */
export function sharedReadStats(): { loads: number; entries: number } {
  return { loads, entries: entries.size };
}

/** Forgets every cached answer (tests). */
export function clearSharedReads(): void {
  entries.clear();
}

/**
 * Returns the answer for `key`: a fresh cached one, the one in flight, or a new `load()`.
 * `signal` only stops this caller's wait; the shared load continues for the others (give the
 * loader its own deadline).
 */
export async function sharedRead<T>(key: string, ttlMs: number, load: () => Promise<T>, signal?: AbortSignal): Promise<T> {
  const now = Date.now();
  let e = entries.get(key) as Entry<T> | undefined;
  if (e && e.inFlight === undefined && ttlMs > 0 && now - e.at <= ttlMs) return e.value as T;
  if (!e?.inFlight) {
    loads++;
    const p = load();
    e = { at: now, inFlight: p };
    entries.set(key, e);
    const entry = e;
    p.then(
      (value) => {
        if (entries.get(key) === entry) {
          entry.value = value;
          entry.at = Date.now();
          delete entry.inFlight;
          if (ttlMs <= 0) entries.delete(key);
        }
      },
      () => {
        if (entries.get(key) === entry) entries.delete(key);
      },
    );
  }
  return joinShared(e.inFlight as Promise<T>, signal);
}

/** Waits for a shared promise; `signal` stops only this caller's wait. */
export function joinShared<T>(shared: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return shared;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    shared.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}
