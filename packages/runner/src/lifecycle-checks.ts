/**
 * The store checks of extend, unextend and delete, on a given document. Each command runs them
 * twice: on the document read under its reservation (to fail before running any kit), and again
 * inside its `store.update` change on the document being written. The second run is what counts:
 * the reservation is a local lock, and in cluster mode (the CIB store) another node can write
 * the same hierarchy between our read and our write; the CIB store re-reads and calls the change
 * again after such a write, so the checks see it (docs/contribute/store.md).
 */
import { ConflictError, NotFoundError } from '@recovery-kit/sdk';
import { need } from './engine-need.ts';
import { ancestors, parentsOf, restoreOrder } from './hierarchy.ts';
import type { StoreData } from './store.ts';

/** ConflictError HIERARCHY_CHANGED: what the kits checked is not what the store holds any more. */
function changed(command: string, tag: string, planned: string[], now: string[]): ConflictError {
  return new ConflictError(
    `the hierarchy of ${tag} changed while ${command} ran (it would now act on ${now.join(', ') || 'nothing'} instead of ${planned.join(', ')}); nothing was written`,
    {
      code: 'HIERARCHY_CHANGED',
      field: 'tag',
      fix: `another command (perhaps on another node) changed it meanwhile: check "kit-runner status ${tag}" and run ${command} again`,
    },
  );
}

const same = (a: string[], b: string[]) => a.length === b.length && a.every((t, i) => t === b[i]);

/**
 * What extending `tag` to `server` adds (children first): everything below it not on `server`
 * yet, each with `priority` free. Given `planned` (the kits' checks ran for those), the same set.
 */
export function extendSet(data: StoreData, tag: string, server: string, priority: number, planned?: string[]): string[] {
  const record = need(data, tag);
  if (record.servers[server]) {
    throw new ConflictError(`${tag} is already extended to ${server} (priority ${record.servers[server].priority})`, {
      code: 'ALREADY_EXTENDED',
      field: '--server',
      fix: `unextend it first: kit-runner unextend ${tag} --server ${server}`,
    });
  }
  const todo = restoreOrder(data, tag).filter((t) => !data.resources[t]!.servers[server]);
  for (const t of todo) {
    const servers = data.resources[t]!.servers;
    const used = Object.entries(servers).find(([, s]) => s.priority === priority);
    if (used) {
      const inUse = Object.values(servers)
        .map((s) => s.priority)
        .sort((a, b) => a - b)
        .join(', ');
      throw new ConflictError(`priority ${priority} is already used by ${used[0]} for ${t}`, {
        code: 'PRIORITY_IN_USE',
        field: '--priority',
        fix: `use a priority no other server has for this resource (in use: ${inUse})`,
      });
    }
  }
  if (planned && !same(planned, todo)) throw changed('extend', tag, planned, todo);
  return todo;
}

/**
 * What unextending `tag` from `server` removes: `tag` and what depends on it, on `server`; none
 * in service there, none left without a server. Given `planned`, the same set.
 */
export function unextendSet(data: StoreData, tag: string, server: string, planned?: string[]): string[] {
  need(data, tag);
  const set = [tag, ...ancestors(data, tag)].filter((t) => data.resources[t]!.servers[server]);
  if (set.length === 0)
    throw new NotFoundError(`${tag} is not extended to ${server}`, {
      code: 'NOT_EXTENDED',
      field: '--server',
      fix: `"kit-runner status ${tag}" shows its servers`,
    });
  for (const t of set) {
    const r = data.resources[t]!;
    if (r.servers[server]!.state === 'ISP')
      throw new ConflictError(`${t} is in service on ${server}`, {
        code: 'IN_SERVICE',
        fix: `take it out of service first: kit-runner action ${t} remove --node ${server}`,
      });
    if (Object.keys(r.servers).length === 1)
      throw new ConflictError(`${server} is the only server of ${t}`, { code: 'LAST_SERVER', fix: `delete the resource instead: kit-runner delete ${t}` });
  }
  if (planned && !same([...planned].sort(), [...set].sort())) throw changed('unextend', tag, planned, set);
  return set;
}

/** Deleting `tag`: nothing depends on it, and it is in service nowhere unless `force`. */
export function checkDelete(data: StoreData, tag: string, force: boolean): void {
  const r = need(data, tag);
  const parents = parentsOf(data, tag);
  if (parents.length) {
    throw new ConflictError(`${tag} cannot be deleted: ${parents.join(', ')} depend${parents.length === 1 ? 's' : ''} on it`, {
      code: 'HAS_DEPENDENTS',
      fix: `delete ${parents.join(', ')} first, or remove the dependency with "kit-runner dep remove <parent> ${tag}"`,
    });
  }
  const inService = Object.entries(r.servers)
    .filter(([, s]) => s.state === 'ISP')
    .map(([s]) => s);
  if (inService.length && !force) {
    throw new ConflictError(`${tag} is in service on ${inService.join(', ')}`, {
      code: 'IN_SERVICE',
      fix: `take it out of service first (kit-runner action ${tag} remove), or pass --force`,
    });
  }
}
