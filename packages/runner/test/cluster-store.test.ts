/**
 * The CIB store (packages/runner/src/cluster/cib-store.ts) on a file-backed CIB (CIB_file: the
 * real cibadmin and crm_mon work on the file, with the CIB manager's own version checks):
 * Pacemaker's behaviour the write guard relies on, read (hierarchy, kit info, states), writes
 * only when the configuration differs, and a concurrent writer between our read and our write
 * that is never lost (a re-read before writing would lose it: the other write lands after it).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CibStore, CRM_EX_OLD, localSyncCib, type SyncCib } from '../src/cluster/cib-store.ts';
import { FileStore } from '../src/file-store.ts';
import type { StoreData } from '../src/store.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';
import { useCibFile } from './cib-file.ts';
import { FIXTURE_KITS } from './helpers.ts';

const hasCib = existsSync('/usr/sbin/cibadmin') && existsSync('/usr/sbin/crm_mon');

function setup() {
  const { dir, file } = useCibFile('rk-cib-store-', ['node-a', 'node-b', 'node-c']);
  const open = async (cib?: SyncCib, attempts?: number) => {
    const s = new CibStore({
      local: new FileStore(join(dir, 'state')),
      kitsDirs: [FIXTURE_KITS],
      tunablesPath: join(dir, 'tunables'),
      ...(cib ? { cib } : {}),
      ...(attempts ? { attempts } : {}),
    });
    await s.prepare(['rec']);
    return s;
  };
  const cib = () => readFileSync(file, 'utf8');
  const version = () => {
    const m = /<cib [^>]*>/.exec(cib())![0];
    return ['admin_epoch', 'epoch', 'num_updates'].map((a) => Number(new RegExp(`\\b${a}="(\\d+)"`).exec(m)![1]));
  };
  const cibadmin = (args: string[], input?: string) => spawnSync('cibadmin', args, { input: input ?? '', encoding: 'utf8' });
  return { dir, file, open, cib, version, cibadmin };
}

/** vip <- web (a chain), on node-a only. */
function seed(d: StoreData): void {
  d.resources.vip = resourceRecord('vip', 'rec', { dir: '/tmp', port: 80 }, { 'node-a': serverEntry(1, { info: { createdOn: 'node-a' } }) });
  d.resources.web = resourceRecord('web', 'rec', { dir: '/tmp' }, { 'node-a': serverEntry(1) });
  d.dependencies.push({ parent: 'web', child: 'vip' });
}

/** A runner that lets `other` write the CIB just before each of our first `times` writes reach it. */
function racing(other: () => void, times = 1) {
  const seen = { replaces: 0 };
  const cib: SyncCib = {
    run(argv, input) {
      if (argv.includes('--replace') && seen.replaces++ < times) other();
      return localSyncCib.run(argv, input);
    },
  };
  return { cib, seen };
}

describe.skipIf(!hasCib)('the CIB store on CIB_file', () => {
  it("Pacemaker's behaviour the guard relies on: a whole-CIB replace older than the CIB is refused (exit 103), a configuration-scope replace is not", () => {
    const { cib, version, cibadmin } = setup();
    const whole = cibadmin(['--query']).stdout;
    const conf = cibadmin(['--query', '--scope', 'configuration']).stdout;
    expect(cibadmin(['--create', '--scope', 'resources', '--xml-text', '<primitive id="theirs" class="ocf" provider="heartbeat" type="Dummy"/>']).status).toBe(
      0,
    );
    expect(version()).toEqual([0, 2, 0]);
    const mine = (x: string) => x.replace('<resources/>', '<resources><primitive id="mine" class="ocf" provider="heartbeat" type="Dummy"/></resources>');
    const stale = cibadmin(['--replace', '--xml-pipe'], mine(whole));
    expect(stale.status).toBe(CRM_EX_OLD);
    expect(stale.stderr).toMatch(/older than existing configuration/);
    expect(cib()).toContain('id="theirs"');
    // The scope replace carries no version: it silently drops the other writer's primitive.
    expect(cibadmin(['--replace', '--scope', 'configuration', '--xml-pipe'], mine(conf)).status).toBe(0);
    expect(cib()).not.toContain('id="theirs"');
    expect(cib()).toContain('id="mine"');
  });

  it('reads the hierarchy, kit info and states; writes only when the configuration differs, the whole CIB once', async () => {
    const { open, cib, version } = setup();
    const s = await open();
    expect(s.read()).toMatchObject({ resources: {}, dependencies: [] });
    s.update(seed);
    expect(s.writes).toBe(1);
    expect(version()).toEqual([0, 2, 0]);
    const d = s.read();
    expect(Object.keys(d.resources).sort()).toEqual(['vip', 'web']);
    expect(d.dependencies).toEqual([{ parent: 'web', child: 'vip' }]);
    expect(d.resources.vip!.servers['node-a']).toMatchObject({ priority: 1, info: { createdOn: 'node-a' }, state: 'OSU' });
    expect(d.resources.vip!.servers['node-a']!.reason).toMatch(/pacemaker: not active on node-a/);
    // A change of states only (Pacemaker's), or no change: nothing written.
    const bytes = cib();
    s.update((x) => {
      x.resources.vip!.servers['node-a']!.state = 'ISP';
      x.resources.vip!.servers['node-a']!.reason = 'restored';
    });
    s.update(() => undefined);
    expect(cib()).toBe(bytes);
    expect(s.writes).toBe(1);
    // Kit info for node-b reaches the CIB where every node reads it (a meta attributes set).
    s.update((x) => {
      x.resources.vip!.servers['node-b'] = serverEntry(2, { info: { extendedTo: 'node-b' }, overrides: { port: 8080 } });
      x.resources.web!.servers['node-b'] = serverEntry(2);
    });
    expect(cib()).toMatch(/<nvpair id="vip-info-node-b" name="rk-info-node-b" value="\{&quot;extendedTo&quot;:&quot;node-b&quot;\}"\/>/);
    const other = await open();
    expect(other.read().resources.vip!.servers['node-b']).toMatchObject({ priority: 2, info: { extendedTo: 'node-b' }, overrides: { port: '8080' } });
    expect(spawnSync('crm_verify', ['--live-check'], { encoding: 'utf8' }).status).toBe(0);
  });

  it('a concurrent writer between our read and our write is never lost: Pacemaker refuses ours, the change is re-applied to the new CIB', async () => {
    const { open, cib } = setup();
    (await open()).update(seed);
    const nodeC = await open();
    const { cib: runner, seen } = racing(() =>
      nodeC.update((d) => {
        d.resources.vip!.servers['node-c'] = serverEntry(3, { info: { extendedTo: 'node-c' } });
        d.resources.web!.servers['node-c'] = serverEntry(3);
      }),
    );
    const nodeB = await open(runner);
    let calls = 0;
    nodeB.update((d) => {
      calls++;
      d.resources.vip!.servers['node-b'] = serverEntry(2, { info: { extendedTo: 'node-b' } });
      d.resources.web!.servers['node-b'] = serverEntry(2);
    });
    expect(seen.replaces).toBe(2);
    expect(nodeB.conflicts).toBe(1);
    expect(calls).toBe(2);
    const after = (await open()).read();
    expect(Object.keys(after.resources.web!.servers).sort()).toEqual(['node-a', 'node-b', 'node-c']);
    expect(after.resources.vip!.servers['node-c']!.info).toEqual({ extendedTo: 'node-c' });
    expect(after.resources.vip!.servers['node-b']!.info).toEqual({ extendedTo: 'node-b' });
    expect(cib()).toContain('rk-web-prefers-node-c');
  });

  it('a status update in between (num_updates) is a conflict too: the status we send is never stale', async () => {
    const { open, cib, cibadmin, version } = setup();
    (await open()).update(seed);
    const { cib: runner } = racing(() => {
      expect(cibadmin(['--create', '--scope', 'status', '--xml-text', '<node_state id="1" uname="node-a" in_ccm="true" crmd="online"/>']).status).toBe(0);
    });
    const s = await open(runner);
    s.update((d) => {
      d.resources.web!.servers['node-a']!.switchback = 'automatic';
    });
    expect(s.conflicts).toBe(1);
    expect(cib()).toContain('<node_state id="1" uname="node-a"');
    expect(cib()).toMatch(/name="resource-stickiness" value="0"/);
    expect(version()[2]).toBe(0);
  });

  it('gives up after its attempts when the CIB changes under every one (exit 11, CIB_CHANGED); the other writes stay, ours is not half written', async () => {
    const { open, cib } = setup();
    (await open()).update(seed);
    let n = 0;
    const other = await open();
    const { cib: runner } = racing(
      () =>
        other.update((d) => {
          d.resources.vip!.options.port = 9000 + ++n;
        }),
      10,
    );
    const s = await open(runner, 3);
    let err: unknown;
    try {
      s.update((d) => {
        d.resources.web!.servers['node-b'] = serverEntry(2);
      });
    } catch (e) {
      err = e;
    }
    expect(err).toMatchObject({ code: 'CIB_CHANGED', exitCode: 11 });
    expect(s.conflicts).toBe(3);
    expect(cib()).toMatch(/name="port" value="9003"/);
    expect(cib()).not.toContain('rk-web-prefers-node-b');
  });

  it('dep remove and dep add regroup the hierarchy (group <-> single primitives); delete removes its elements; crm_verify accepts each', async () => {
    const { open, cib } = setup();
    const s = await open();
    s.update(seed);
    const ops = () => [...cib().matchAll(/<op id="([^"]+)"/g)].map((m) => m[1]).sort();
    const opsBefore = ops();
    s.update((d) => {
      d.dependencies = [];
    });
    // Two hierarchies now, each a group of one: vip left rk-web for its own rk-vip.
    const groups = () =>
      [...cib().matchAll(/<group id="([^"]+)"[\s\S]*?<\/group>/g)].map((m) => [m[1], [...m[0].matchAll(/<primitive id="([^"]+)"/g)].map((p) => p[1])]);
    expect(groups()).toEqual([
      ['rk-web', ['web']],
      ['rk-vip', ['vip']],
    ]);
    expect(cib()).toContain('rk-vip-prefers-node-a');
    expect(ops()).toEqual(opsBefore);
    expect(spawnSync('crm_verify', ['--live-check'], { encoding: 'utf8' }).status).toBe(0);
    s.update((d) => {
      d.dependencies.push({ parent: 'web', child: 'vip' });
    });
    expect(groups()).toEqual([['rk-web', ['vip', 'web']]]);
    expect(cib()).not.toContain('rk-vip');
    expect(ops()).toEqual(opsBefore);
    expect(spawnSync('crm_verify', ['--live-check'], { encoding: 'utf8' }).status).toBe(0);
    s.update((d) => {
      delete d.resources.web;
      d.dependencies = [];
    });
    expect(cib()).not.toMatch(/id="web"|rk-web/);
    expect(groups()).toEqual([['rk-vip', ['vip']]]);
    expect(spawnSync('crm_verify', ['--live-check'], { encoding: 'utf8' }).status).toBe(0);
  });
});
