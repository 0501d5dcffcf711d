import { NotFoundError } from '@recovery-kit/sdk';
import type { ResourceRecord, StoreData } from './store.ts';

/** The resource with `tag`, or NotFoundError (exit 10) with a hint. */
export function need(data: StoreData, tag: string): ResourceRecord {
  const r = data.resources[tag];
  if (!r) {
    const known = Object.keys(data.resources);
    const near = known.find((k) => k.toLowerCase() === tag.toLowerCase());
    throw new NotFoundError(`no resource with tag "${tag}"`, { code: 'UNKNOWN_TAG', field: 'tag', fix: near ? `did you mean "${near}"?` : known.length ? '"kit-runner status" lists the resources' : 'no resources exist yet: create one with "kit-runner create"' });
  }
  return r;
}

