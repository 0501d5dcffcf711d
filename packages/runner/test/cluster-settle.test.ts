/**
 * The hold on a new promotable clone (cluster/hold.ts, cluster/settle.ts): `cluster apply` writes
 * it held Unpromoted, and releases it once every online node it may run on has its instance
 * Unpromoted with its promotion score. Here: what crm_mon's XML (in the shape Pacemaker 2.1.5
 * writes it: nodes, resources, node_attributes, failures) leaves to wait for; the hold written to
 * a file-backed CIB by the real cibadmin (crm_verify accepts it), kept by a second apply after an
 * interrupted one, and deleted by the release (on time or on time-out). The two-node lab test
 * (cluster-clone-move.test.ts) runs it under Pacemaker with a late score.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { applyGenerated, localCib, type CibRunner } from '../src/cluster/apply.ts';
import { generate, type KitFacts } from '../src/cluster/cib.ts';
import { holdId, isHeld, withHold } from '../src/cluster/hold.ts';
import { heldClones, pendingNodes, releaseHeld, type HeldClone } from '../src/cluster/settle.ts';
import { all, parseXml } from '../src/cluster/xml.ts';
import { emptyStore } from '../src/store.ts';
import { useCibFile } from './cib-file.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';

const hasCib = existsSync('/usr/sbin/cibadmin') && existsSync('/usr/sbin/crm_verify');

interface Seen {
  online?: string[];
  unpromoted?: string[];
  promoted?: string[];
  scored?: string[];
  failedOn?: string[];
}

/** crm_mon --output-as=xml -1 as Pacemaker 2.1.5 writes it, for the clone of `mir`. */
function crmMon(s: Seen): string {
  const nodes = ['node-a', 'node-b']
    .map((n, i) => `<node name="${n}" id="${i + 1}" online="${(s.online ?? ['node-a', 'node-b']).includes(n)}" standby="false" type="member"/>`)
    .join('');
  const inst = (role: string, n: string) =>
    `<resource id="mir" resource_agent="ocf:recovery-kit:scored" role="${role}" active="true" failed="false" nodes_running_on="1"><node name="${n}" id="1" cached="true"/></resource>`;
  const resources = [...(s.unpromoted ?? []).map((n) => inst('Unpromoted', n)), ...(s.promoted ?? []).map((n) => inst('Promoted', n))].join('');
  const attrs = (s.scored ?? []).map((n) => `<node name="${n}"><attribute name="master-mir" value="10"/></node>`).join('');
  const failures = (s.failedOn ?? [])
    .map((n) => `<failure op_key="mir_start_0" node="${n}" exitstatus="error" exitreason="" exitcode="1" call="9" status="complete" task="start"/>`)
    .join('');
  return `<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml -1"><nodes>${nodes}</nodes><resources><clone id="mir-clone" multi_state="true">${resources}</clone></resources><node_attributes>${attrs}</node_attributes>${failures ? `<failures>${failures}</failures>` : ''}<status code="0" message="OK"/></pacemaker-result>`;
}

const held = (o: Partial<HeldClone> = {}): HeldClone => ({
  clone: 'mir-clone',
  primitive: 'mir',
  nodes: ['node-a', 'node-b'],
  scores: true,
  timeoutMs: 60_000,
  ...o,
});

describe('pendingNodes: the online nodes a held clone still waits for', () => {
  it('waits for a node until its instance runs Unpromoted with its promotion score', () => {
    expect(pendingNodes(crmMon({}), held())).toEqual(['node-a', 'node-b']);
    expect(pendingNodes(crmMon({ unpromoted: ['node-a', 'node-b'], scored: ['node-b'] }), held())).toEqual(['node-a']);
    expect(pendingNodes(crmMon({ unpromoted: ['node-a', 'node-b'], scored: ['node-a', 'node-b'] }), held())).toEqual([]);
    // A score without a running instance (left from before) is not enough.
    expect(pendingNodes(crmMon({ unpromoted: ['node-b'], scored: ['node-a', 'node-b'] }), held())).toEqual(['node-a']);
  });

  it('a kit without a score command: running Unpromoted is enough', () => {
    expect(pendingNodes(crmMon({ unpromoted: ['node-a', 'node-b'] }), held({ scores: false }))).toEqual([]);
  });

  it('does not wait for an offline node, a node with a failed operation, or a node the clone may not run on', () => {
    expect(pendingNodes(crmMon({ online: ['node-b'], unpromoted: ['node-b'], scored: ['node-b'] }), held())).toEqual([]);
    expect(pendingNodes(crmMon({ unpromoted: ['node-b'], scored: ['node-b'], failedOn: ['node-a'] }), held())).toEqual([]);
    expect(pendingNodes(crmMon({ unpromoted: ['node-b'], scored: ['node-b'] }), held({ nodes: ['node-b'] }))).toEqual([]);
  });
});

describe('the hold in the CIB', () => {
  const data = () => {
    const d = emptyStore();
    d.resources.mir = resourceRecord(
      'mir',
      'scored',
      { dir: '/srv/mir', name: 'a' },
      { 'node-a': serverEntry(1), 'node-b': serverEntry(2, { overrides: { name: 'b' } }) },
    );
    d.resources.app = resourceRecord('app', 'rec', { dir: '/srv/app' }, { 'node-a': serverEntry(1), 'node-b': serverEntry(2) });
    d.dependencies.push({ parent: 'app', child: 'mir' });
    return d;
  };
  const base = { secret: new Set<string>(), startTimeoutS: 20, stopTimeoutS: 20, monitorTimeoutS: 10, monitorIntervalS: 5, checkDepths: [] };
  const facts = new Map<string, KitFacts>([
    ['scored', { ...base, kitType: 'scored', roles: true, promotionScores: true }],
    ['rec', { ...base, kitType: 'rec' }],
  ]);
  /** The real cibadmin on CIB_file; crm_mon answers `seen` (a file CIB has no running cluster). */
  const runner = (seen: () => Seen, calls: string[][] = []): CibRunner => ({
    run: async (argv, input) => {
      calls.push([...argv]);
      if (argv[0] === 'crm_mon') return { code: 0, stdout: crmMon(seen()), stderr: '' };
      return localCib.run(argv, input);
    },
  });

  it('withHold adds target-role=Unpromoted once, in name order', () => {
    const g = generate(data(), facts);
    const clone = g.resources.find((r) => r.attrs.id === 'mir-clone')!;
    expect(isHeld(clone)).toBe(false);
    const h = withHold(withHold(clone));
    expect(isHeld(h)).toBe(true);
    const names = all(h, 'nvpair')
      .filter((p) => p.attrs.id?.startsWith('mir-clone-meta-'))
      .map((p) => p.attrs.name!);
    expect(names).toEqual([...names].sort());
    expect(all(h, 'nvpair').filter((p) => p.attrs.name === 'target-role')).toEqual([
      { name: 'nvpair', attrs: { id: holdId('mir-clone'), name: 'target-role', value: 'Unpromoted' }, children: [] },
    ]);
  });

  it.skipIf(!hasCib)('apply writes a new clone held; an interrupted apply run again keeps it held without writing; the release deletes the hold', async () => {
    const { file } = useCibFile('rk-settle-');
    const g = generate(data(), facts);
    const first = await applyGenerated(localCib, g);
    expect(first.held).toEqual(['mir-clone']);
    expect(first.created).toContain('mir-clone');
    const cib = () => readFileSync(file, 'utf8');
    expect(cib()).toContain(`<nvpair id="${holdId('mir-clone')}" name="target-role" value="Unpromoted"/>`);
    const verify = spawnSync('crm_verify', ['--xml-file', file, '-V'], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);

    // apply stopped before its release: the next one finds the hold, writes nothing, and waits again.
    const epoch = () => /<cib [^>]*\bepoch="(\d+)"/.exec(cib())![1];
    const before = epoch();
    const again = await applyGenerated(localCib, g);
    expect([again.created, again.replaced, again.deleted, again.held]).toEqual([[], [], [], ['mir-clone']]);
    expect(epoch()).toBe(before);

    let seen: Seen = { unpromoted: ['node-a', 'node-b'], scored: ['node-b'] };
    const calls: string[][] = [];
    const lines: string[] = [];
    setTimeout(() => {
      seen = { unpromoted: ['node-a', 'node-b'], scored: ['node-a', 'node-b'] };
    }, 400);
    const r = await releaseHeld(
      runner(() => seen, calls),
      heldClones(g, facts, again.held),
      { pollMs: 50, progress: (l) => lines.push(l) },
    );
    expect(r).toMatchObject([{ clone: 'mir-clone', released: 'ready', waitingFor: [] }]);
    expect(r[0]!.waitedMs).toBeGreaterThanOrEqual(350);
    expect(calls.filter((c) => c[0] === 'crm_mon').length).toBeGreaterThan(2);
    expect(cib()).not.toContain('target-role');
    // Released: the CIB is what the store generates, and a third apply changes nothing.
    const third = await applyGenerated(localCib, g);
    expect([third.created, third.replaced, third.deleted, third.held]).toEqual([[], [], [], []]);
  });

  it.skipIf(!hasCib)('a node whose score never comes: released after the time-out, saying which node it lacked', async () => {
    const { file } = useCibFile('rk-settle-');
    const g = generate(data(), facts);
    const first = await applyGenerated(localCib, g);
    const h = heldClones(g, facts, first.held);
    // The start and monitor timeouts and 30 s of slack; the nodes and primitive from the generated CIB.
    expect(h).toEqual([held({ timeoutMs: (20 + 10 + 30) * 1000 })]);
    const r = await releaseHeld(
      runner(() => ({ unpromoted: ['node-a', 'node-b'], scored: ['node-b'] })),
      h.map((x) => ({ ...x, timeoutMs: 300 })),
      { pollMs: 50 },
    );
    expect(r).toMatchObject([{ clone: 'mir-clone', released: 'timeout', waitingFor: ['node-a'] }]);
    expect(readFileSync(file, 'utf8')).not.toContain('target-role');
    expect(parseXml(readFileSync(file, 'utf8')).name).toBe('cib');
  });
});
