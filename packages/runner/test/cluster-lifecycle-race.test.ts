/**
 * Lifecycle commands of two nodes on one hierarchy at once, over the CIB store on a file-backed
 * CIB (CIB_file: the real cibadmin and crm_mon). Each node has its own state directory, so its
 * own reservations: nothing but the CIB's version guard and the checks inside each command's
 * `store.update` change stand between them. Another node's write is injected between our read
 * and our write (Pacemaker refuses ours, the change runs again on the new CIB and must refuse),
 * or two engines run the same extend concurrently.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { kitErrorOf } from '@recovery-kit/testing';
import { describe, expect, it } from 'vitest';
import { importCib } from '../src/cluster/cib-import.ts';
import { CibStore, localSyncCib, type SyncCib } from '../src/cluster/cib-store.ts';
import { parseXml } from '../src/cluster/xml.ts';
import { Engine } from '../src/engine.ts';
import { FileStore } from '../src/file-store.ts';
import { deleteResource, extend, unextend } from '../src/lifecycle.ts';
import { createLogger, memorySink } from '../src/logger.ts';
import { resolveSettings } from '../src/settings.ts';
import type { StoreData } from '../src/store.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';
import { useCibFile } from './cib-file.ts';
import { FIXTURE_KITS } from './helpers.ts';

const hasCib = existsSync('/usr/sbin/cibadmin') && existsSync('/usr/sbin/crm_mon');
const NODES = ['node-a', 'node-b', 'node-c'];

/** A CIB with vip <- web on `servers` (priorities 1, 2, ...), and engines of each node over it. */
async function cluster(servers: string[]) {
  const { dir: root, file } = useCibFile('rk-cib-race-', NODES);
  writeFileSync(join(root, 'tunables'), 'LOCK_WAIT_TIMEOUT=5\n');
  const dir = join(root, 'rec');
  mkdirSync(dir);
  /** Node `node`'s CIB store (its own state directory); `cib` runs its Pacemaker tools. */
  const store = async (node: string, cib: SyncCib = localSyncCib) => {
    const s = new CibStore({ local: new FileStore(join(root, node)), kitsDirs: [FIXTURE_KITS], tunablesPath: join(root, 'tunables'), cib });
    await s.prepare(['rec']);
    return s;
  };
  const engine = async (node: string, cib?: SyncCib) => {
    const settings = resolveSettings({ 'state-dir': join(root, node), tunables: join(root, 'tunables'), 'kits-dir': [FIXTURE_KITS], node });
    return new Engine({ settings, logger: createLogger([memorySink()], 'warn'), store: await store(node, cib) });
  };
  const on = (prio: number) => Object.fromEntries(servers.map((s, i) => [s, serverEntry(i + prio)]));
  (await store('node-a')).update((d) => {
    d.resources.vip = resourceRecord('vip', 'rec', { dir }, on(1));
    d.resources.web = resourceRecord('web', 'rec', { dir }, on(1));
    d.dependencies.push({ parent: 'web', child: 'vip' });
  });
  const data = () => importCib(parseXml(readFileSync(file, 'utf8')));
  const servers_ = (tag: string) => Object.keys(data().resources[tag]?.servers ?? {}).sort();
  return { dir, store, engine, data, servers: servers_ };
}

/** Pacemaker tools that let `other` write the CIB just before our first whole-CIB replace. */
function racing(other: () => void): { cib: SyncCib; replaces: () => number } {
  let replaces = 0;
  return {
    cib: {
      run(argv, input) {
        if (argv.includes('--replace') && replaces++ === 0) other();
        return localSyncCib.run(argv, input);
      },
    },
    replaces: () => replaces,
  };
}

/** What node `server`'s extend of web (and vip) with priority `prio` writes. */
const extended = (server: string, prio: number) => (d: StoreData) => {
  for (const t of ['vip', 'web']) d.resources[t]!.servers[server] = serverEntry(prio, { info: { extendedTo: server } });
};

describe.skipIf(!hasCib)('two nodes on one hierarchy at once (CIB store on CIB_file)', () => {
  it('extend: another node extends with the same priority between our read and our write: exactly one of them is written (PRIORITY_IN_USE, exit 11)', async () => {
    const c = await cluster(['node-a']);
    const nodeC = await c.store('node-c');
    const { cib, replaces } = racing(() => nodeC.update(extended('node-c', 2)));
    const err = await kitErrorOf(extend(await c.engine('node-b', cib), { tag: 'web', server: 'node-b', priority: 2, options: {} }));
    expect(replaces()).toBe(1);
    expect(err).toMatchObject({ code: 'PRIORITY_IN_USE', exitCode: 11 });
    expect(err.message).toMatch(/priority 2 is already used by node-c for vip/);
    expect(c.servers('web')).toEqual(['node-a', 'node-c']);
    expect(c.servers('vip')).toEqual(['node-a', 'node-c']);
  });

  it('extend: two nodes run the same extend with one priority concurrently: one succeeds, the other gets PRIORITY_IN_USE', async () => {
    for (let round = 0; round < 3; round++) {
      const c = await cluster(['node-a']);
      const [b, cc] = [await c.engine('node-b'), await c.engine('node-c')];
      const rs = await Promise.allSettled([
        extend(b, { tag: 'web', server: 'node-b', priority: 2, options: {} }),
        extend(cc, { tag: 'web', server: 'node-c', priority: 2, options: {} }),
      ]);
      expect(rs.filter((r) => r.status === 'fulfilled').length, JSON.stringify(rs)).toBe(1);
      expect(rs.find((r) => r.status === 'rejected')).toMatchObject({ reason: { code: 'PRIORITY_IN_USE', exitCode: 11 } });
      const d = c.data();
      for (const t of ['vip', 'web'])
        expect(
          Object.values(d.resources[t]!.servers)
            .map((e) => e.priority)
            .sort(),
        ).toEqual([1, 2]);
    }
  });

  it('extend: a child added to the hierarchy meanwhile is not left off the new server (HIERARCHY_CHANGED)', async () => {
    const c = await cluster(['node-a']);
    const nodeC = await c.store('node-c');
    const { cib } = racing(() =>
      nodeC.update((d) => {
        d.resources.db = resourceRecord('db', 'rec', { dir: c.dir }, { 'node-a': serverEntry(1) });
        d.dependencies.push({ parent: 'vip', child: 'db' });
      }),
    );
    const err = await kitErrorOf(extend(await c.engine('node-b', cib), { tag: 'web', server: 'node-b', priority: 2, options: {} }));
    expect(err).toMatchObject({ code: 'HIERARCHY_CHANGED', exitCode: 11 });
    expect(c.servers('web')).toEqual(['node-a']);
  });

  it('unextend: another node unextends the other server meanwhile: the hierarchy keeps one (LAST_SERVER)', async () => {
    const c = await cluster(['node-a', 'node-b']);
    const nodeA = await c.store('node-a');
    const { cib } = racing(() =>
      nodeA.update((d) => {
        for (const t of ['vip', 'web']) delete d.resources[t]!.servers['node-a'];
      }),
    );
    const err = await kitErrorOf(unextend(await c.engine('node-b', cib), 'vip', 'node-b'));
    expect(err).toMatchObject({ code: 'LAST_SERVER', exitCode: 11 });
    expect(c.servers('vip')).toEqual(['node-b']);
    expect(c.servers('web')).toEqual(['node-b']);
  });

  it('delete: a resource that came to depend on it meanwhile keeps it (HAS_DEPENDENTS)', async () => {
    const c = await cluster(['node-a']);
    const nodeC = await c.store('node-c');
    const { cib } = racing(() =>
      nodeC.update((d) => {
        d.resources.app = resourceRecord('app', 'rec', { dir: c.dir }, { 'node-a': serverEntry(1) });
        d.dependencies.push({ parent: 'app', child: 'web' });
      }),
    );
    const err = await kitErrorOf(deleteResource(await c.engine('node-b', cib), 'web'));
    expect(err).toMatchObject({ code: 'HAS_DEPENDENTS', exitCode: 11 });
    expect(c.data().dependencies).toContainEqual({ parent: 'app', child: 'web' });
    expect(c.servers('web')).toEqual(['node-a']);
  });
});
