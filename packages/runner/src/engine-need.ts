import { NotFoundError } from '@recovery-kit/sdk';
import type { ResourceRecord, StoreData } from './store.ts';

// Kept apart from the engine so that `kit-runner status` can use it without loading the engine.

/** The resource with `tag`, or NotFoundError (exit 10) with a hint. */
export function need(data: StoreData, tag: string): ResourceRecord {
  const r = data.resources[tag];
  if (!r) {
    const known = Object.keys(data.resources);
    const near = known.find((k) => k.toLowerCase() === tag.toLowerCase());
    throw new NotFoundError(`no resource with tag "${tag}"`, {
      code: 'UNKNOWN_TAG',
      field: 'tag',
      fix: near
        ? `did you mean "${near}"?`
        : known.length
          ? '"kit-runner status" lists the resources'
          : 'no resources exist yet: create one with "kit-runner create"',
    });
  }
  return r;
}

/** NotFoundError NOT_EXTENDED unless `tag` is extended to `server`. */
export function needOn(data: StoreData, tag: string, server: string, fix = `"kit-runner status ${tag}" shows its servers`): ResourceRecord {
  const r = need(data, tag);
  if (!r.servers[server]) throw new NotFoundError(`${tag} is not extended to ${server}`, { code: 'NOT_EXTENDED', fix });
  return r;
}
