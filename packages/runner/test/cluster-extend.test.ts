/**
 * `extend` / `unextend` in cluster mode (KIT_RUNNER_STORE=cib) on a file-backed CIB (CIB_file:
 * the real cibadmin works on the file, never on a cluster): node-a applies its hierarchy, node-b
 * extends it to itself through the generic engine over the CIB store; the CIB gets node-b's
 * node-scoped values, kit info and location score (checked by the real crm_verify), a second
 * extend changes nothing, bad input leaves the CIB byte-identical.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { importCib } from '../src/cluster/cib-import.ts';
import { all, kids, parseXml } from '../src/cluster/xml.ts';
import { recSandbox } from './helpers.ts';

const hasCib = existsSync('/usr/sbin/cibadmin') && existsSync('/usr/sbin/crm_verify');
const EMPTY =
  '<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes><node id="1" uname="node-a"/><node id="2" uname="node-b"/></nodes><resources/><constraints/></configuration><status/></cib>';

async function setup(applyArgs: string[] = []) {
  const sb = recSandbox();
  const dir = mkdtempSync(join(tmpdir(), 'rk-cib-ext-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const cibFile = join(dir, 'cib.xml');
  writeFileSync(cibFile, EMPTY);
  await sb.create('vip', ['port=80']);
  await sb.create('web');
  await sb.ok(['dep', 'add', 'web', 'vip']);
  const env = { CIB_file: cibFile };
  const applied = await sb.run(['cluster', 'apply', ...applyArgs], { env, node: 'node-a' });
  expect(applied.exitCode, applied.stderr).toBe(0);
  const cluster = (args: string[], node = 'node-b') => sb.run(args, { env: { ...env, KIT_RUNNER_STORE: 'cib' }, node });
  const cib = () => readFileSync(cibFile, 'utf8');
  const epoch = () => /<cib [^>]*\bepoch="(\d+)"/.exec(cib())![1];
  return { sb, cibFile, cluster, cib, epoch };
}

describe.skipIf(!hasCib)('extend in cluster mode (KIT_RUNNER_STORE=cib)', () => {
  it("runs the kit's extend on this node and writes its values and location score to the CIB, once", async () => {
    const { sb, cibFile, cluster, cib, epoch } = await setup(['--monitor-interval', '17']);
    const storeBefore = sb.storeBytes();
    const r = await cluster(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', 'port=8080', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((r.json as { extended: string[] }).extended).toEqual(['vip']);
    // A chain is one group (locations from its root, web): vip's node-b value is its node-scoped set.
    const vipSets = () =>
      all(parseXml(cib()), 'primitive')
        .filter((p) => p.attrs.id === 'vip')
        .flatMap((p) => kids(p, 'instance_attributes'))
        .filter((x) => all(x, 'expression').some((e) => e.attrs.value === 'node-b'))
        .map((x) => kids(x, 'nvpair').map((n) => `${n.attrs.name}=${n.attrs.value}`));
    expect(vipSets()).toEqual([['port=8080']]);
    // The group was rewritten with the operations apply gave it (not the kit's default interval).
    expect(
      all(parseXml(cib()), 'op')
        .filter((o) => o.attrs.name === 'monitor')
        .map((o) => o.attrs.interval),
    ).toEqual(['17s', '17s']);
    expect(all(parseXml(cib()), 'rsc_location').filter((c) => c.attrs.node === 'node-b')).toEqual([]);
    const verify = spawnSync('crm_verify', ['--xml-file', cibFile], { encoding: 'utf8' });
    expect(verify.status, verify.stdout + verify.stderr).toBe(0);
    // The local store is not touched in cluster mode.
    expect(sb.storeBytes()).toBe(storeBefore);
    // web then: extends only web (vip is there); the second time it is refused, the CIB unchanged.
    const w = await cluster(['extend', 'web', '--server', 'node-b', '--priority', '2', '--json']);
    expect(w.exitCode, w.stderr).toBe(0);
    expect((w.json as { extended: string[] }).extended).toEqual(['web']);
    const data = importCib(parseXml(cib()));
    expect(data.resources.vip!.servers['node-b']).toMatchObject({ priority: 2, overrides: { port: '8080' } });
    expect(data.resources.web!.servers['node-b']).toMatchObject({ priority: 2 });
    const locs = all(parseXml(cib()), 'rsc_location').filter((c) => c.attrs.node === 'node-b');
    expect(locs.map((c) => [c.attrs.rsc, c.attrs.score])).toEqual([['rk-web', '998']]);
    expect(spawnSync('crm_verify', ['--xml-file', cibFile]).status).toBe(0);
    const e = epoch();
    const bytes = cib();
    const again = await cluster(['extend', 'web', '--server', 'node-b', '--priority', '2']);
    expect(again.exitCode).not.toBe(0);
    expect(again.stderr).toMatch(/already extended to node-b/);
    expect(epoch()).toBe(e);
    expect(cib()).toBe(bytes);
    expect(spawnSync('crm_verify', ['--xml-file', cibFile]).status).toBe(0);
    // unextend web from node-b on node-b: back in the CIB, vip keeps node-b.
    const u = await cluster(['unextend', 'web', '--server', 'node-b']);
    expect(u.exitCode, u.stderr).toBe(0);
    const after = importCib(parseXml(cib()));
    expect(Object.keys(after.resources.web!.servers)).toEqual(['node-a']);
    expect(vipSets()).toEqual([['port=8080']]);
    expect(all(parseXml(cib()), 'rsc_location').filter((c) => c.attrs.node === 'node-b')).toEqual([]);
  });

  it('a member without values of its own writes only its kit info; keeps the operations apply wrote; unextend + extend again end where they were', async () => {
    const { cluster, cib, epoch } = await setup(['--monitor-interval', '17']);
    // A chain member without values of its own on node-b: only what its kit recorded there is
    // written (its kit info, where every node reads it; its priority is the root's).
    const quiet = cib();
    expect((await cluster(['extend', 'vip', '--server', 'node-b', '--priority', '2'])).exitCode).toBe(0);
    const added = cib()
      .split('\n')
      .filter((l) => !quiet.includes(l));
    expect(added.filter((l) => !/<cib /.test(l))).toEqual([
      '            <nvpair id="vip-info-node-b" name="rk-info-node-b" value="{&quot;extendedTo&quot;:&quot;node-b&quot;,&quot;port&quot;:80}"/>',
    ]);
    expect(importCib(parseXml(cib())).resources.vip!.servers['node-b']!.info).toEqual({ extendedTo: 'node-b', port: 80 });
    expect((await cluster(['extend', 'web', '--server', 'node-b', '--priority', '2'])).exitCode).toBe(0);
    const e = epoch();
    const bytes = cib();
    expect((await cluster(['unextend', 'web', '--server', 'node-b'])).exitCode).toBe(0);
    expect(epoch()).not.toBe(e);
    expect(importCib(parseXml(cib())).resources.web!.servers['node-b']).toBeUndefined();
    expect((await cluster(['extend', 'web', '--server', 'node-b', '--priority', '2'])).exitCode).toBe(0);
    const conf = (x: string) => x.slice(x.indexOf('<resources'), x.indexOf('</constraints>'));
    expect(conf(cib())).toBe(conf(bytes));
    const monitors = all(parseXml(cib()), 'op').filter((o) => o.attrs.name === 'monitor');
    expect(monitors.map((o) => o.attrs.interval)).toEqual(['17s', '17s']);
  });

  it('dep remove, dep add and delete in cluster mode change the CIB; create and delete --force are refused (exit 2), the CIB unchanged', async () => {
    const { cluster, cib, cibFile } = await setup();
    const groups = () =>
      [...cib().matchAll(/<group id="([^"]+)"[\s\S]*?<\/group>/g)].map((m) => [m[1], [...m[0].matchAll(/<primitive id="([^"]+)"/g)].map((p) => p[1])]);
    const bytes = cib();
    const made = await cluster(['create', 'rec', '--tag', 'db', '--opt', 'dir=/tmp']);
    expect(made.exitCode).toBe(2);
    expect(made.stderr).toMatch(/cluster apply/);
    const forced = await cluster(['delete', 'web', '--force']);
    expect(forced.exitCode).toBe(2);
    expect(cib()).toBe(bytes);
    // quickCheck reads the hierarchy from the CIB and runs here; the states it records are Pacemaker's: nothing is written.
    const check = await cluster(['action', 'vip', 'quickCheck'], 'node-a');
    expect(check.stderr).not.toMatch(/no resource|were not loaded/);
    expect([0, 7]).toContain(check.exitCode);
    expect(cib()).toBe(bytes);
    expect((await cluster(['dep', 'remove', 'web', 'vip'])).exitCode).toBe(0);
    expect(groups()).toEqual([
      ['rk-web', ['web']],
      ['rk-vip', ['vip']],
    ]);
    expect(spawnSync('crm_verify', ['--xml-file', cibFile]).status).toBe(0);
    expect((await cluster(['dep', 'add', 'web', 'vip'])).exitCode).toBe(0);
    expect(groups()).toEqual([['rk-web', ['vip', 'web']]]);
    const held = await cluster(['delete', 'vip']);
    expect(held.exitCode).toBe(11);
    expect(held.stderr).toMatch(/web depends on it/);
    expect((await cluster(['dep', 'remove', 'web', 'vip'])).exitCode).toBe(0);
    const del = await cluster(['delete', 'web']);
    expect(del.exitCode, del.stderr).toBe(0);
    expect(groups()).toEqual([['rk-vip', ['vip']]]);
    expect(cib()).not.toMatch(/id="web"|rk-web/);
    expect(spawnSync('crm_verify', ['--xml-file', cibFile]).status).toBe(0);
  });

  it.each([
    {
      name: 'another node as --server',
      args: ['extend', 'vip', '--server', 'node-a', '--priority', '2'],
      exit: 2,
      message: /--server node-a: .*runs on the target node/,
    },
    { name: 'a tag not in the CIB', args: ['extend', 'nope', '--server', 'node-b', '--priority', '2'], exit: 10, message: /no resource with tag "nope"/ },
    { name: 'a priority in use', args: ['extend', 'vip', '--server', 'node-b', '--priority', '1'], exit: 11, message: /priority 1 is already used/ },
    { name: 'an invalid per-server value', args: ['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', 'port=99999'], exit: 6, message: /port/ },
    { name: 'unextend from another node', args: ['unextend', 'vip', '--server', 'node-a'], exit: 2, message: /--server node-a/ },
  ])('refuses $name and leaves the CIB byte-identical', async ({ args, exit, message }) => {
    const { cluster, cib } = await setup();
    const bytes = cib();
    const r = await cluster(args);
    expect(r.stderr).toMatch(message);
    expect(r.exitCode).toBe(exit);
    expect(cib()).toBe(bytes);
  });
});
