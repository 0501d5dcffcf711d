/**
 * Recording what happened to a resource on a server: one store write per state change, plus a
 * history line. The walks and the monitor record through these; the snapshot the caller planned
 * from is patched the same way, so it stays what the store now holds for those entries.
 */
import type { ResourceState } from '@recovery-kit/sdk';
import { printable } from '@recovery-kit/sdk/util';
import type { ServerEntry, Store, StoreData, UnknownRun } from './store.ts';

function apply(e: ServerEntry, patch: Partial<ServerEntry>): void {
  if (patch.state !== undefined && patch.state !== e.state) patch.since ??= new Date().toISOString();
  Object.assign(e, patch);
  if ('pending' in patch && patch.pending === undefined) delete e.pending;
  if ('unknown' in patch && patch.unknown === undefined) delete e.unknown;
}

function setState(store: Store, data: StoreData | undefined, tag: string, server: string, patch: Partial<ServerEntry>): void {
  store.update((d) => {
    const e = d.resources[tag]?.servers[server];
    if (e) apply(e, { ...patch });
  });
  const mine = data?.resources[tag]?.servers[server];
  if (mine) apply(mine, { ...patch });
}

/** Marks `action` under way (left behind, with our pid, if the runner is killed). */
export function markPending(store: Store, data: StoreData | undefined, tag: string, server: string, action: string): void {
  setState(store, data, tag, server, { pending: { action, pid: process.pid, since: new Date().toISOString() } });
}

/** Records the state an action ended in (clearing its pending mark) and a history line. */
export function markState(
  store: Store,
  data: StoreData | undefined,
  change: { tag: string; server: string; action: string; state: ResourceState; reason: string; history: Record<string, unknown> },
): void {
  // A reason may quote a program's stderr: stored printable (no terminal escapes, NUL or binary bytes).
  setState(store, data, change.tag, change.server, { state: change.state, reason: printable(change.reason, 2000), pending: undefined, unknown: undefined });
  store.history({ event: change.action, tag: change.tag, server: change.server, ...change.history });
}

/** Counts one more quickCheck that could not tell (one store write); returns the run so far. */
export function markUnknown(store: Store, data: StoreData | undefined, tag: string, server: string, reason: string): UnknownRun {
  let run: UnknownRun = { count: 1, since: new Date().toISOString(), reason };
  store.update((d) => {
    const e = d.resources[tag]?.servers[server];
    if (!e) return;
    run = { count: (e.unknown?.count ?? 0) + 1, since: e.unknown?.since ?? run.since, reason };
    e.unknown = run;
  });
  const mine = data?.resources[tag]?.servers[server];
  if (mine) mine.unknown = run;
  return run;
}

/** Ends a run of unknowns (a check that could tell); writes only when there was one. */
export function clearUnknown(store: Store, data: StoreData | undefined, tag: string, server: string): void {
  if (!data?.resources[tag]?.servers[server]?.unknown) return;
  setState(store, data, tag, server, { unknown: undefined });
}
