/**
 * Reading the file store's document (file-store.ts): without following a symbolic link planted in
 * its place, refusing one owned by another user (docs/operate/trusted-locations.md), and checking
 * what it holds before any command trusts it (a damaged store is exit 6, naming the entry).
 */
import { closeSync, constants, fstatSync, openSync, readFileSync } from 'node:fs';
import { ConfigError, STATES } from '@recovery-kit/sdk';
import { STORE_FORMAT, type StoreData } from './store.ts';

/** Reads a file without following a symbolic link in its place; refuses one owned by another user. */
export function readNoFollow(file: string): string {
  let fd: number;
  try {
    fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ELOOP')
      throw new ConfigError(`the store ${file} is a symbolic link: refused`, {
        code: 'UNTRUSTED_LOCATION',
        field: file,
        fix: `remove the link; kit-runner writes ${file} itself (docs/operate/trusted-locations.md)`,
      });
    throw err;
  }
  try {
    const st = fstatSync(fd);
    const uid = process.geteuid?.() ?? 0;
    if (!st.isFile() || (st.uid !== 0 && st.uid !== uid))
      throw new ConfigError(`the store ${file} is ${st.isFile() ? `owned by uid ${st.uid}` : 'not a regular file'}: refused`, {
        code: 'UNTRUSTED_LOCATION',
        field: file,
        fix: `kit-runner writes ${file} itself; check who put this one there (docs/operate/trusted-locations.md)`,
      });
    return readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
}

export function validateStore(data: unknown, file: string): StoreData {
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
