/**
 * The configuration a CibStore write puts in the CIB: the change between the hierarchies
 * generated (cib.ts) from the store data as read (`before`) and as changed (`after`), carried
 * over to the live configuration it was read with (a three-way merge, by element id):
 * - an element generated the same before and after is left exactly as the CIB has it (operations
 *   and meta attributes an earlier `cluster apply --monitor-interval ...` or an operator set stay);
 * - one generated differently is replaced; a primitive keeps the live one's operations and meta
 *   attributes when the generated ones did not change (only its instance attributes and kit info
 *   are new), and a group its live meta attributes likewise;
 * - one generated only after is added (a primitive the live CIB has elsewhere, e.g. one moving
 *   into a group, keeps its operations the same way); one generated only before is deleted.
 * Elements kit-runner did not generate (the cli-prefer constraint of a move, an operator's own)
 * are never touched; an element of someone else's with one of our ids is refused.
 */
import { ConfigError } from '@recovery-kit/sdk';
import { canon, ours } from './apply.ts';
import type { Generated } from './cib.ts';
import { isInfoSet } from './info.ts';
import { all, el, kid, kids, type El } from './xml.ts';

function refuse(e: El): ConfigError {
  const id = e.attrs.id ?? '';
  return new ConfigError(`the CIB already has a ${e.name} "${id}" that kit-runner did not write`, {
    field: id,
    fix: `rename the resource, or remove ${id} from the CIB yourself ("cibadmin --query --xpath \\"//*[@id='${id}']\\"" shows it)`,
  });
}

const same = (a: El | undefined, b: El | undefined) => (a && b ? canon(a) === canon(b) : a === b);
const byId = (xs: Iterable<El>) => new Map([...xs].map((e) => [e.attrs.id!, e]));
/** Every primitive in `e` (itself when it is one), by id. */
const prims = (e: El | undefined) => byId(e ? (e.name === 'primitive' ? [e] : all(e, 'primitive')) : []);
const metaOf = (p: El) => kids(p, 'meta_attributes').find((m) => !isInfoSet(p.attrs.id ?? '', m));

/** `want` with the live primitive's operations and meta attributes where the generated ones did not change. */
function mergePrimitive(live: El | undefined, want: El, was: El | undefined): El {
  if (live?.name !== 'primitive' || live.attrs.type !== want.attrs.type || live.attrs.provider !== want.attrs.provider) return want;
  const out = structuredClone(want);
  const keep = (pick: (p: El) => El | undefined) => {
    const mine = pick(out);
    const theirs = pick(live);
    if (!theirs || !same(was && pick(was), mine)) return;
    out.children = mine ? out.children.map((c) => (c === mine ? structuredClone(theirs) : c)) : [...out.children, structuredClone(theirs)];
  };
  keep((p) => kid(p, 'operations'));
  keep(metaOf);
  // Operations last, as Pacemaker's tools write them.
  const ops = out.children.filter((c) => c.name === 'operations');
  out.children = [...out.children.filter((c) => c.name !== 'operations'), ...ops];
  return out;
}

/** The replacement for the live element `live` (or a new one) of the generated `want`. */
function merged(conf: El, live: El | undefined, want: El, was: El | undefined): El {
  const livePrims = prims(kid(conf, 'resources'));
  const wasPrims = prims(was);
  if (want.name === 'primitive') return mergePrimitive(livePrims.get(want.attrs.id!), want, wasPrims.get(want.attrs.id!));
  if (want.name !== 'group') return want;
  const out = structuredClone(want);
  out.children = out.children.map((c) => (c.name === 'primitive' ? mergePrimitive(livePrims.get(c.attrs.id!), c, wasPrims.get(c.attrs.id!)) : c));
  const liveMeta = live?.name === 'group' ? kid(live, 'meta_attributes') : undefined;
  if (liveMeta && was && same(kid(was, 'meta_attributes'), kid(want, 'meta_attributes')))
    out.children = out.children.map((c) => (c.name === 'meta_attributes' ? structuredClone(liveMeta) : c));
  return out;
}

/** The configuration to write (a copy of `conf`; equal to it when nothing changes). */
export function nextConfiguration(conf: El, before: Generated, after: Generated): El {
  const out = structuredClone(conf);
  const placed = new Set<string>();
  for (const [name, was, want] of [
    ['resources', byId(before.resources), byId(after.resources)],
    ['constraints', byId(before.constraints), byId(after.constraints)],
  ] as const) {
    let sec = kid(out, name);
    if (!sec) out.children.push((sec = el(name)));
    sec.children = sec.children.flatMap((c) => {
      const id = c.attrs.id ?? '';
      const w = want.get(id);
      if (w) {
        placed.add(id);
        if (same(was.get(id), w)) return [c];
        if (!ours(c)) throw refuse(c);
        return [merged(conf, c, w, was.get(id))];
      }
      // Generated before, not after: ours, and gone (a deleted resource, a hierarchy reshaped).
      if (was.has(id) && ours(c)) return [];
      return [c];
    });
    for (const [id, w] of want) if (!placed.has(id)) sec.children.push(merged(conf, undefined, w, undefined));
  }
  // A primitive now inside a new element must not be left where it was (the CIB refuses duplicate ids).
  const rscs = kid(out, 'resources')!;
  const wanted = new Set(after.resources.flatMap((e) => [...prims(e).keys()]));
  const home = new Map<string, El>();
  for (const e of after.resources) for (const id of prims(e).keys()) home.set(id, e);
  const prune = (parent: El) => {
    parent.children = parent.children.filter((c) => {
      const id = c.attrs.id ?? '';
      if (c.name === 'primitive' && wanted.has(id) && home.get(id)?.attrs.id !== parent.attrs.id && !(parent === rscs && home.get(id)?.attrs.id === id)) {
        if (!ours(c)) throw refuse(c);
        return false;
      }
      if ((c.name === 'group' || c.name === 'clone') && !after.resources.some((e) => e.attrs.id === c.attrs.id)) prune(c);
      return true;
    });
  };
  prune(rscs);
  // A group left without members by that is not valid Pacemaker configuration: ours goes.
  rscs.children = rscs.children.filter((c) => !(c.name === 'group' && ours(c) && !kids(c, 'primitive').length));
  return out;
}
