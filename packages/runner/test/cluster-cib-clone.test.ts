/**
 * `kit-runner cluster apply` for a kit with roles (cib-clone.ts): PostgreSQL over the mirror (the
 * real mirror kit's facts: roles and its cibClone option). The mirror becomes a promotable clone
 * with its location scores on the Promoted role, PostgreSQL is ordered after the promote and
 * colocated with the Promoted role; validated by Pacemaker's crm_verify, applied twice with the
 * real cibadmin on a file-backed CIB (CIB_file; the second apply changes nothing), read back by
 * import. The one-node Pacemaker test (cluster-clone-pacemaker.test.ts) runs it.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { applyGenerated, localCib } from '../src/cluster/apply.ts';
import { configurationXml, generate, STICKY, type KitFacts } from '../src/cluster/cib.ts';
import { importCib } from '../src/cluster/cib-import.ts';
import { loadFacts } from '../src/cluster/facts.ts';
import { all, kid, kids, parseXml } from '../src/cluster/xml.ts';
import { emptyStore, type StoreData } from '../src/store.ts';
import { useCibFile, verifyGenerated } from './cib-file.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';

const KITS = fileURLToPath(new URL('../../../kits', import.meta.url));
const PROMO_KITS = fileURLToPath(new URL('./fixtures/promotion-kits', import.meta.url));
const hasCib = existsSync('/usr/sbin/cibadmin') && existsSync('/usr/sbin/crm_verify');

/** pg <- mirror: node-b preferred (priority 1), node-a the backup. */
function pgOverMirror(switchback: 'intelligent' | 'automatic' = 'intelligent'): StoreData {
  const d = emptyStore();
  const servers = () => ({ 'node-a': serverEntry(10, { switchback }), 'node-b': serverEntry(1, { switchback }) });
  d.resources.mirror = resourceRecord('mirror', 'mirror', { resource: 'r0', device: '/dev/drbd0', disk: '/dev/vdb', mountPoint: '/srv/data' }, servers());
  d.resources.pg = resourceRecord('pg', 'postgresql', { dataDir: '/srv/data/pg', port: 5432, password: 'secret' }, servers());
  d.dependencies.push({ parent: 'pg', child: 'mirror' });
  return d;
}

async function facts(): Promise<Map<string, KitFacts>> {
  const f = await loadFacts([KITS], '/nonexistent/tunables', ['mirror']);
  f.set('postgresql', {
    kitType: 'postgresql',
    secret: new Set(['password']),
    startTimeoutS: 300,
    stopTimeoutS: 300,
    monitorTimeoutS: 60,
    monitorIntervalS: 30,
  });
  return f;
}

const attrs = (e: { attrs: Record<string, string> } | undefined) => e?.attrs ?? {};
const nvs = (set: ReturnType<typeof kid>) => Object.fromEntries(kids(set, 'nvpair').map((n) => [n.attrs.name, n.attrs.value]));

describe('cluster apply: a kit with roles as a promotable clone', () => {
  it("kit facts: a kit with promote and demote has roles; the mirror's cibClone option is the clone-id option", async () => {
    const m = (await loadFacts([KITS], '/nonexistent/tunables', ['mirror'])).get('mirror')!;
    expect([m.roles, m.cloneOption]).toEqual([true, 'cibClone']);
    const s = (await loadFacts([PROMO_KITS], '/nonexistent/tunables', ['scored'])).get('scored')!;
    expect([s.roles, s.cloneOption]).toEqual([true, undefined]);
  });

  it('pg over the mirror: a promotable clone, scores on the Promoted role, pg after the promote and with the Promoted role', async () => {
    const g = generate(pgOverMirror(), await facts());
    const clone = g.resources.find((r) => r.name === 'clone')!;
    expect(clone.attrs.id).toBe('mirror-clone');
    expect(g.resources.some((r) => r.name === 'group')).toBe(false);
    expect(nvs(kid(clone, 'meta_attributes'))).toEqual({
      promotable: 'true',
      'promoted-max': '1',
      'promoted-node-max': '1',
      'clone-max': '2',
      'clone-node-max': '1',
      notify: 'false',
      'resource-stickiness': String(STICKY),
      'migration-threshold': '3',
    });
    const prim = kid(clone, 'primitive')!;
    expect(nvs(kids(prim, 'instance_attributes')[0])).toMatchObject({ cibClone: 'mirror-clone', resource: 'r0' });
    const monitors = all(prim, 'op').filter((o) => o.attrs.name === 'monitor');
    expect(monitors.map((o) => o.attrs.role).sort()).toEqual(['Promoted', 'Unpromoted']);
    expect(new Set(monitors.map((o) => o.attrs.interval)).size).toBe(2);
    expect(all(prim, 'op').map((o) => o.attrs.name)).toEqual(expect.arrayContaining(['start', 'stop', 'promote', 'demote']));
    const loc = (id: string) => attrs(g.constraints.find((c) => c.attrs.id === id));
    expect(loc('rk-pg-mirror-prefers-node-b')).toMatchObject({ rsc: 'mirror-clone', role: 'Promoted', node: 'node-b', score: '999' });
    expect(loc('rk-pg-mirror-prefers-node-a')).toMatchObject({ rsc: 'mirror-clone', role: 'Promoted', node: 'node-a', score: '990' });
    expect(loc('rk-pg-mirror-only-extended').role).toBeUndefined();
    expect(loc('rk-pg-pg-prefers-node-b')).toMatchObject({ rsc: 'pg', node: 'node-b', score: '999' });
    // then-action explicit: it defaults to first-action, a promote pg never runs (the one-node test saw pg start first).
    expect(Object.entries(loc('rk-pg-order-mirror-then-pg')).sort()).toEqual([
      ['first', 'mirror-clone'],
      ['first-action', 'promote'],
      ['id', 'rk-pg-order-mirror-then-pg'],
      ['kind', 'Mandatory'],
      ['then', 'pg'],
      ['then-action', 'start'],
    ]);
    expect(loc('rk-pg-colocate-pg-with-mirror')).toEqual({
      id: 'rk-pg-colocate-pg-with-mirror',
      rsc: 'pg',
      'with-rsc': 'mirror-clone',
      'with-rsc-role': 'Promoted',
      score: 'INFINITY',
    });
    expect(configurationXml(g)).not.toContain('secret');
  });

  it('a chain without roles stays a group (the clone form is only for kits with roles)', async () => {
    const d = pgOverMirror();
    d.resources.mirror!.kit = 'postgresql';
    const g = generate(d, await facts());
    expect(g.resources.map((r) => `${r.name}:${r.attrs.id}`)).toEqual(['group:rk-pg']);
  });

  it("two regions: the ticket's rule keeps the clone's Promoted role (not its replica) off the other region until granted; crm_verify accepts it", async () => {
    const d = pgOverMirror();
    d.resources.mirror!.servers['node-a']!.info.region = 'eu-west-1';
    d.resources.mirror!.servers['node-b']!.info.region = 'us-east-1';
    const g = generate(d, await facts());
    expect(g.constraints.filter((c) => c.name === 'rsc_ticket').map((c) => c.attrs.ticket)).toHaveLength(1);
    const needs = g.constraints.filter((c) => c.name === 'rsc_location' && /-grant-.*-on-/.test(c.attrs.id!));
    expect(needs.map((c) => [c.attrs.rsc, c.attrs.role]).sort()).toEqual([
      ['mirror-clone', 'Promoted'],
      ['pg', undefined],
    ]);
    if (!hasCib) return;
    const r = verifyGenerated(g);
    expect(r.status, r.stderr).toBe(0);
  });

  it.skipIf(!hasCib)('crm_verify accepts it; apply on CIB_file twice changes nothing the second time; import reads the same hierarchy back', async () => {
    const { file } = useCibFile('rk-cib-clone-');
    const data = pgOverMirror('automatic');
    const g = generate(data, await facts());
    const first = await applyGenerated(localCib, g);
    expect(first.created.sort()).toEqual(
      g.resources
        .concat(g.constraints)
        .map((e) => e.attrs.id)
        .sort(),
    );
    const verify = spawnSync('crm_verify', ['--xml-file', file, '-V'], { encoding: 'utf8' });
    expect(verify.status, verify.stderr).toBe(0);
    const epoch = () => /<cib [^>]*\bepoch="(\d+)"/.exec(readFileSync(file, 'utf8'))![1];
    const before = epoch();
    const second = await applyGenerated(localCib, g);
    expect([second.created, second.replaced, second.deleted]).toEqual([[], [], []]);
    expect(epoch()).toBe(before);
    const back = importCib(parseXml(readFileSync(file, 'utf8')));
    expect(back.dependencies).toEqual([{ parent: 'pg', child: 'mirror' }]);
    const m = back.resources.mirror!;
    expect([m.kit, m.options.cibClone, m.options.resource]).toEqual(['mirror', undefined, 'r0']);
    expect(Object.fromEntries(Object.entries(m.servers).map(([n, s]) => [n, [s.priority, s.switchback]]))).toEqual({
      'node-a': [10, 'automatic'],
      'node-b': [1, 'automatic'],
    });
    // What import reads generates the same CIB again (secrets aside: pg's password is never written).
    delete data.resources.pg!.options.password;
    for (const t of ['mirror', 'pg']) back.resources[t]!.options = data.resources[t]!.options;
    expect(configurationXml(generate(back, await facts()))).toBe(configurationXml(g));
  });

  it.skipIf(!hasCib)(
    'an earlier apply wrote the chain as a group of primitives: apply deletes that group and writes the clone and the constraints',
    async () => {
      const { file } = useCibFile('rk-cib-clone-');
      const f = await facts();
      const plain = new Map(f);
      plain.set('mirror', { ...f.get('mirror')!, roles: false });
      delete plain.get('mirror')!.cloneOption;
      await applyGenerated(localCib, generate(pgOverMirror(), plain));
      expect(readFileSync(file, 'utf8')).toContain('<group id="rk-pg"');
      const g = generate(pgOverMirror(), f);
      const r = await applyGenerated(localCib, g);
      expect(r.deleted).toEqual(expect.arrayContaining(['rk-pg', 'rk-pg-prefers-node-a', 'rk-pg-prefers-node-b']));
      const conf = parseXml(readFileSync(file, 'utf8'));
      expect(all(conf, 'group')).toEqual([]);
      expect(all(conf, 'clone').map((c) => c.attrs.id)).toEqual(['mirror-clone']);
      const verify = spawnSync('crm_verify', ['--xml-file', file, '-V'], { encoding: 'utf8' });
      expect(verify.status, verify.stderr).toBe(0);
      const again = await applyGenerated(localCib, g);
      expect([again.created, again.replaced, again.deleted]).toEqual([[], [], []]);
    },
  );
});
