/**
 * The hold on a new promotable clone (settle.ts says why): meta `target-role=Unpromoted` with
 * our id `<clone>-meta-target-role`, written by `cluster apply` and deleted by its release.
 */
import { all, el, kid, kids, type El } from './xml.ts';

export const HELD_ROLE = 'Unpromoted';
export const holdId = (cloneId: string): string => `${cloneId}-meta-target-role`;

/** A clone with meta promotable=true. */
export function isPromotableClone(e: El): boolean {
  return e.name === 'clone' && all(kid(e, 'meta_attributes'), 'nvpair').some((p) => p.attrs.name === 'promotable' && p.attrs.value === 'true');
}

/** True when the clone carries our hold. */
export function isHeld(clone: El): boolean {
  const id = holdId(clone.attrs.id!);
  return kids(kid(clone, 'meta_attributes'), 'nvpair').some((p) => p.attrs.id === id);
}

/** `clone` with the hold in its meta attributes (kept in name order, as cib-clone.ts writes them). */
export function withHold(clone: El): El {
  const out = structuredClone(clone);
  const meta = kid(out, 'meta_attributes');
  if (!meta || isHeld(out)) return out;
  meta.children.push(el('nvpair', { id: holdId(out.attrs.id!), name: 'target-role', value: HELD_ROLE }));
  meta.children.sort((a, b) => (a.attrs.name ?? '').localeCompare(b.attrs.name ?? ''));
  return out;
}
