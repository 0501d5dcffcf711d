/**
 * Per-server kit info (what a kit recorded for a server at create or extend: ServerEntry.info) in
 * the CIB, where every node can read it: one `meta_attributes` set `<tag>-info` on the primitive,
 * an nvpair `rk-info-<server>` per server holding the info as JSON. A meta attribute, not an
 * instance attribute: it is no parameter of the agent (Pacemaker passes unknown meta attributes
 * only as OCF_RESKEY_CRM_meta_*) and not in the operations' parameter digest, so recording a
 * node's info does not restart the resource (cluster-store-pacemaker.test.ts). Keys named like
 * one of the kit's secret options are left out (secrets stay in 0600 files on each node).
 */
import type { ResourceRecord } from '../store.ts';
import { el, kids, safe, type El } from './xml.ts';

export const INFO_PREFIX = 'rk-info-';
const setId = (tag: string) => `${tag}-info`;

/** The `<tag>-info` set for `r` (undefined when no server has info). */
export function infoSet(tag: string, r: ResourceRecord, secret: ReadonlySet<string>): El | undefined {
  const pairs: El[] = [];
  for (const server of Object.keys(r.servers).sort()) {
    const info = Object.fromEntries(Object.entries(r.servers[server]!.info ?? {}).filter(([k]) => !secret.has(k)));
    if (!Object.keys(info).length) continue;
    const name = `${INFO_PREFIX}${server}`;
    pairs.push(el('nvpair', { id: `${setId(tag)}-${safe(server)}`, name, value: JSON.stringify(info) }));
  }
  return pairs.length ? el('meta_attributes', { id: setId(tag) }, pairs) : undefined;
}

/** Is this the info set (not a meta attributes set Pacemaker reads)? */
export const isInfoSet = (tag: string, e: El): boolean => e.name === 'meta_attributes' && e.attrs.id === setId(tag);

/** Server name -> info, from a primitive's info set. Unreadable values are skipped. */
export function readInfo(primitive: El): Record<string, Record<string, unknown>> {
  const set = kids(primitive, 'meta_attributes').find((m) => isInfoSet(primitive.attrs.id ?? '', m));
  const out: Record<string, Record<string, unknown>> = {};
  for (const n of kids(set, 'nvpair')) {
    const name = n.attrs.name ?? '';
    if (!name.startsWith(INFO_PREFIX)) continue;
    try {
      const v: unknown = JSON.parse(n.attrs.value ?? '');
      if (v && typeof v === 'object' && !Array.isArray(v)) out[name.slice(INFO_PREFIX.length)] = v as Record<string, unknown>;
    } catch {
      /* not ours to interpret */
    }
  }
  return out;
}
