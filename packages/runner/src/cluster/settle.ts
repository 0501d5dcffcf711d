/**
 * The first placement of a new promotable clone. Pacemaker promotes an instance as soon as one
 * has a promotion score; with two nodes starting at once, the node whose first monitor publishes
 * its score first wins, whatever the priorities say, and the stickiness of the promoted instance
 * (and of what is colocated with it) then keeps it there. So `cluster apply` writes a NEW
 * promotable clone held at `target-role=Unpromoted` (meta nvpair `<clone>-meta-target-role`):
 * every instance starts, and its monitors publish the scores, but none is promoted. Once every
 * online node the clone may run on has its instance running Unpromoted and its promotion score
 * in the CIB (or a failed operation there: no point waiting for it), the hold is deleted and
 * Pacemaker promotes by scores plus priorities (the location scores of the Promoted role). A hold
 * not ready in time (the start and monitor timeouts, plus slack) is released anyway, and said so.
 *
 * A crash between the write and the release leaves the clone held (nothing promoted, nothing
 * above it started: never two holders); the next `cluster apply` finds the hold and waits again.
 */
import { sleep } from '@recovery-kit/sdk/util';
import type { CibRunner } from './apply.ts';
import type { Generated, KitFacts } from './cib.ts';
import { HELD_ROLE, holdId } from './hold.ts';
import { all, el, kid, kids, parseXml, serialize } from './xml.ts';

export interface HeldClone {
  clone: string;
  /** The primitive's id: its instances in crm_mon, its score attribute `master-<id>`. */
  primitive: string;
  /** The nodes it may run on (its servers). */
  nodes: string[];
  /** Wait for the promotion score too (the kit has a score command). */
  scores: boolean;
  timeoutMs: number;
}

export interface Released {
  clone: string;
  waitedMs: number;
  /** ready: every online node had its instance Unpromoted (and its score); timeout: released anyway. */
  released: 'ready' | 'timeout';
  /** The nodes still awaited at release (empty when ready). */
  waitingFor: string[];
}

/** What crm_mon's XML says of one held clone: the online nodes still to wait for. */
export function pendingNodes(xml: string, h: HeldClone): string[] {
  const root = parseXml(xml, 'crm_mon --output-as=xml');
  const online = new Set(
    kids(kid(root, 'nodes'), 'node')
      .filter((n) => n.attrs.online === 'true')
      .map((n) => n.attrs.name!),
  );
  const unpromoted = new Set<string>();
  for (const r of all(root, 'resource')) {
    if (r.attrs.id !== h.primitive || r.attrs.role !== HELD_ROLE || r.attrs.failed === 'true') continue;
    for (const n of kids(r, 'node')) unpromoted.add(n.attrs.name!);
  }
  const scored = new Set<string>();
  for (const n of kids(kid(root, 'node_attributes'), 'node'))
    if (kids(n, 'attribute').some((a) => a.attrs.name === `master-${h.primitive}` || a.attrs.name?.startsWith(`master-${h.primitive}:`)))
      scored.add(n.attrs.name!);
  const failedOn = new Set(
    kids(kid(root, 'failures'), 'failure')
      .filter((f) => (f.attrs.op_key ?? '').startsWith(`${h.primitive}_`) || (f.attrs.op_key ?? '').startsWith(`${h.primitive}:`))
      .map((f) => f.attrs.node!),
  );
  return h.nodes.filter((n) => online.has(n) && !failedOn.has(n) && !(unpromoted.has(n) && (!h.scores || scored.has(n))));
}

/** What the release of each held clone waits for: its primitive, its nodes, scores, and how long. */
export function heldClones(g: Generated, facts: ReadonlyMap<string, KitFacts>, held: readonly string[]): HeldClone[] {
  return held.map((clone) => {
    const c = g.resources.find((r) => r.attrs.id === clone)!;
    const prim = kid(c, 'primitive')!;
    const f = facts.get(prim.attrs.type!);
    const nodes = g.constraints.filter((x) => x.name === 'rsc_location' && x.attrs.rsc === clone && x.attrs.node).map((x) => x.attrs.node!);
    // Probe, start, the first monitor (it runs right after the start), and slack for the transitions.
    const timeoutMs = ((f?.startTimeoutS ?? 60) + (f?.monitorTimeoutS ?? 60) + 30) * 1000;
    return { clone, primitive: prim.attrs.id!, nodes, scores: !!f?.promotionScores, timeoutMs };
  });
}

/**
 * Waits for each held clone's instances (and scores), then deletes its hold. `progress` gets a
 * line every few seconds of waiting.
 */
export async function releaseHeld(
  cib: CibRunner,
  held: readonly HeldClone[],
  o: { progress?: (line: string) => void; pollMs?: number } = {},
): Promise<Released[]> {
  const out: Released[] = [];
  const started = Date.now();
  const left = new Map(held.map((h) => [h.clone, h]));
  let lastLine = started;
  const pending = new Map<string, string[]>();
  while (left.size) {
    const r = await cib.run(['crm_mon', '--output-as=xml', '-1']);
    const xml = r.stdout.includes('<pacemaker-result') ? r.stdout : undefined;
    const now = Date.now();
    for (const h of [...left.values()]) {
      const waiting = xml ? pendingNodes(xml, h) : h.nodes;
      pending.set(h.clone, waiting);
      const late = now - started >= h.timeoutMs;
      if (waiting.length && !late) continue;
      await cib.run(['cibadmin', '--delete', '--xml-pipe'], serialize(el('nvpair', { id: holdId(h.clone) })));
      out.push({ clone: h.clone, waitedMs: now - started, released: waiting.length ? 'timeout' : 'ready', waitingFor: waiting });
      left.delete(h.clone);
    }
    if (!left.size) break;
    if (o.progress && now - lastLine >= 5000) {
      lastLine = now;
      const what = [...left.keys()].map((c) => `${c} (${pending.get(c)!.join(', ') || '-'})`).join('; ');
      o.progress(
        `cluster apply: new promotable clone held Unpromoted until each node runs it with its promotion score, ${Math.round((now - started) / 1000)} s: waiting for ${what}`,
      );
    }
    await sleep(o.pollMs ?? 500);
  }
  return out;
}
