/** The promotion gate, the promotion score and the diagnosis, on states recorded in the lab (fixtures/) and edited copies of them. */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { decidePromotion, diagnose, fenceConstraintsOf, promotionScore, SCORES, type GateInput } from '../src/gate.ts';
import { statusFromEvents2 } from '../src/parse.ts';
import { verdict } from '../src/actions.ts';
import type { MirrorStatus } from '../src/engine.ts';

const st = (name: string) => statusFromEvents2(readFileSync(new URL(`./fixtures/events2-84-${name}.txt`, import.meta.url), 'utf8'), 'r0', { peerName: 'b' });
const gate = (status: MirrorStatus, over: Partial<GateInput> = {}) =>
  decidePromotion({ status, node: 'a', fencing: 'resource-only', peerFenced: false, ...over });
const rules = (d: ReturnType<typeof decidePromotion>) => d.refusals.map((r) => r.rule);
/** The recorded state with the local disk changed (Consistent/Outdated are not recordable by a plain sequence). */
const withDisk = (s: MirrorStatus, disk: MirrorStatus['volumes'][number]['disk']): MirrorStatus => ({ ...s, volumes: s.volumes.map((v) => ({ ...v, disk })) });

const CIB = `<constraints>
  <rsc_location rsc="ms_drbd_r0" id="drbd-fence-by-handler-r0-ms_drbd_r0">
    <rule role="Promoted" score="-INFINITY" id="drbd-fence-by-handler-r0-rule-ms_drbd_r0">
      <expression attribute="#uname" operation="ne" value="b" id="drbd-fence-by-handler-r0-expr-1-ms_drbd_r0"/>
    </rule>
  </rsc_location>
  <rsc_location rsc="ms_drbd_r1" id="drbd-fence-by-handler-r1-ms_drbd_r1"><rule role="Promoted" score="-INFINITY" id="x"><expression attribute="#uname" operation="ne" value="a" id="y"/></rule></rsc_location>
  <rsc_location rsc="web" id="loc-web" node="a" score="100"><rule id="z" score="1"><expression attribute="#uname" operation="ne" value="q" id="w"/></rule></rsc_location>
</constraints>`;

describe('promotion gate', () => {
  it('allows an UpToDate secondary connected to a secondary peer (a switchover)', () => {
    const s = { ...st('b-uptodate-secondary'), peers: st('b-uptodate-secondary').peers.map((p) => ({ ...p, role: 'Secondary' as const })) };
    const d = gate(s);
    expect(d).toMatchObject({ allowed: true, refusals: [] });
  });

  it('refuses next to a live primary, not forceable', () => {
    const d = gate(st('b-uptodate-secondary'));
    expect(rules(d)).toEqual(['no-live-primary']);
    expect(d.forceable).toBe(false);
    expect(d.summary).toMatch(/connected to b, which is Primary/);
  });

  it('refuses a resync target (Inconsistent, SyncTarget, paused) with progress, never forceable', () => {
    const d = gate(st('b-synctarget'));
    expect(rules(d)).toEqual(['uptodate', 'not-sync-target', 'no-live-primary']);
    expect(d.forceable).toBe(false);
    expect(d.summary).toMatch(/Inconsistent/);
    expect(d.summary).toMatch(/resync target \(SyncTarget\) from b \(13\.6% done, 56612 KiB left\)/);
    const p = gate(st('b-paused-synct'));
    expect(p.refusals.find((r) => r.rule === 'not-sync-target')!.fix).toMatch(/resume/);
  });

  it('refuses a Consistent or Outdated copy, forceable (the both-down case)', () => {
    for (const disk of ['Consistent', 'Outdated'] as const) {
      const d = gate(withDisk(st('b-peer-down'), disk), { peerFenced: true });
      expect(rules(d)).toEqual(['uptodate']);
      expect(d.forceable).toBe(true);
      expect(d.refusals[0]!.fix).toMatch(/force-online/);
    }
  });

  it('with the peer unreachable: needs fencing configured and the peer confirmed fenced', () => {
    const s = st('b-peer-down');
    expect(rules(gate(s, { fencing: 'none' }))).toEqual(['quorum']);
    expect(gate(s, { fencing: 'none' }).summary).toMatch(/fencing is not configured/);
    expect(gate(s, { fencing: 'none', peerFenced: true }).allowed).toBe(false);
    expect(gate(s).summary).toMatch(/not confirmed the peer fenced/);
    expect(gate(s).forceable).toBe(true);
    expect(gate(s, { peerFenced: true })).toMatchObject({ allowed: true });
    expect(gate(st('a-standalone-after-disconnect'), { peerFenced: true }).allowed).toBe(true);
  });

  it('uses DRBD 9 quorum where the engine reports it', () => {
    const s = st('b-peer-down');
    expect(gate({ ...s, volumes: s.volumes.map((v) => ({ ...v, quorum: true })) }).allowed).toBe(true);
    const lost = gate({ ...s, volumes: s.volumes.map((v) => ({ ...v, quorum: false })) }, { peerFenced: true });
    expect(rules(lost)).toEqual(['quorum']);
    expect(lost.forceable).toBe(false);
  });

  it('refuses where a fence constraint excludes this node (forceable), not where it allows it', () => {
    const constraints = fenceConstraintsOf(CIB, 'r0');
    expect(constraints).toEqual([{ id: 'drbd-fence-by-handler-r0-ms_drbd_r0', rsc: 'ms_drbd_r0', allowed: ['b'] }]);
    const d = gate(st('b-peer-down'), { peerFenced: true, constraints });
    expect(rules(d)).toEqual(['fence-constraint']);
    expect(d.refusals[0]!.fix).toMatch(/cibadmin --delete/);
    expect(gate(st('b-peer-down'), { node: 'b', peerFenced: true, constraints }).allowed).toBe(true);
  });

  it('refuses a resource that is down', () => {
    expect(rules(gate(statusFromEvents2('', 'r0')))).toEqual(['attached']);
  });
});

describe('promotion score (ocf:linbit:drbd adjust_master_score "0 10 1000 10000")', () => {
  it('scores each case', () => {
    expect(promotionScore(st('a-uptodate-primary')).score).toBe(SCORES.upToDate);
    const secPeerSec = { ...st('b-uptodate-secondary'), peers: st('b-uptodate-secondary').peers.map((p) => ({ ...p, role: 'Secondary' as const })) };
    expect(promotionScore(secPeerSec).score).toBe(10000);
    expect(promotionScore(st('b-peer-down')).score).toBe(1000);
    expect(promotionScore(st('b-synctarget'), { removeIfPeerPrimary: false }).score).toBe(10);
    expect(promotionScore(withDisk(st('b-peer-down'), 'Consistent')).score).toBe(0);
    expect(promotionScore(withDisk(st('b-peer-down'), 'Outdated')).score).toBe(0);
    expect(promotionScore(st('a-fresh-connected')).score).toBe(null);
    expect(promotionScore(st('b-uptodate-secondary')).score).toBe(null); // connected to a live primary
    expect(promotionScore(withDisk(st('b-peer-down'), 'Attaching')).score).toBe('keep');
    expect(promotionScore(statusFromEvents2('', 'r0')).score).toBe(null);
  });
});

describe('diagnosis', () => {
  it('reports StandAlone with the reconnect fix, and split brain with the manual resolution', () => {
    const s = st('a-standalone-after-disconnect');
    expect(diagnose(s, { resourceTag: 'data' })).toEqual([
      { kind: 'standalone', message: expect.stringMatching(/StandAlone towards b/), fix: expect.stringMatching(/kit-runner recover data/) },
    ]);
    const sb = diagnose(s, { splitBrain: true });
    expect(sb.map((p) => p.kind)).toEqual(['split-brain']);
    expect(sb[0]!.fix).toMatch(/connect --discard-my-data r0/);
    expect(sb[0]!.fix).toMatch(/never discards data on its own/);
    expect(diagnose(st('a-uptodate-primary'), { splitBrain: true })).toEqual([]); // connected again: over
  });

  it('reports a paused resync and a stale fence constraint', () => {
    expect(diagnose(st('a-paused-syncs')).map((p) => p.kind)).toEqual(['resync-paused']);
    const constraints = fenceConstraintsOf(CIB, 'r0');
    const stale = diagnose(st('a-uptodate-primary'), { constraints });
    expect(stale).toEqual([
      {
        kind: 'stale-fence-constraint',
        message: expect.stringMatching(/drbd-fence-by-handler-r0-ms_drbd_r0 is stale/),
        fix: expect.stringMatching(/cibadmin --delete --xml-text '<rsc_location id="drbd-fence-by-handler-r0-ms_drbd_r0"\/>'/),
      },
    ]);
    // Not stale while the peer is still behind.
    expect(diagnose(st('a-primary-force-syncsource'), { constraints })).toEqual([]);
  });
});

describe('quickCheck verdict', () => {
  const mounted = { source: '/dev/drbd0' };
  it('ok for a mounted, UpToDate primary; degraded but ok with the peer gone', () => {
    expect(verdict(st('a-uptodate-primary'), mounted, '/dev/drbd0', false)).toMatchObject({ status: 'ok' });
    const gone = { ...st('b-peer-down'), role: 'Primary' as const };
    expect(verdict(gone, mounted, '/dev/drbd0', false)).toMatchObject({ status: 'ok', detail: expect.stringMatching(/^degraded/) });
  });
  it('fails for Secondary, not mounted, StandAlone, split brain, down', () => {
    expect(verdict(st('b-uptodate-secondary'), mounted, '/dev/drbd0', false)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/Secondary/) });
    expect(verdict(st('a-uptodate-primary'), undefined, '/dev/drbd0', false)).toMatchObject({ status: 'failed', reason: '/dev/drbd0 is not mounted' });
    expect(verdict(st('a-standalone-after-disconnect'), mounted, '/dev/drbd0', false)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/StandAlone/),
    });
    expect(verdict(st('a-standalone-after-disconnect'), mounted, '/dev/drbd0', true)).toMatchObject({
      status: 'failed',
      reason: expect.stringMatching(/split brain/),
    });
    expect(verdict(statusFromEvents2('', 'r0'), undefined, '/dev/drbd0', false)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/not up/) });
  });
});

describe('promotion gate and split brain', () => {
  it('refuses a StandAlone node after split brain (forceable), not once it is connected again', () => {
    const d = gate(st('a-standalone-after-disconnect'), { peerFenced: true, splitBrain: true });
    expect(rules(d)).toEqual(['split-brain']);
    expect(d.forceable).toBe(true);
    expect(
      rules(
        gate(
          { ...st('b-uptodate-secondary'), peers: st('b-uptodate-secondary').peers.map((p) => ({ ...p, role: 'Secondary' as const })) },
          { splitBrain: true },
        ),
      ),
    ).toEqual([]);
  });
});
