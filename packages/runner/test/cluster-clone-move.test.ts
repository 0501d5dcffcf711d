/**
 * A switchover of a hierarchy with a promotable clone through Pacemaker, on a real two-node
 * cluster (packages/cluster-lab, lab fencing, the qnetd witness): the fixture kit with roles
 * (promotion-kits/kit-scored, one instance name per node) below the recording kit. `cluster apply`
 * writes the clone held Unpromoted; node-a's promotion score comes late, and the clone is still
 * promoted on node-a (priority 1), not on node-b whose score came first, with the child there; then
 * `kit-runner action app restore --node node-b` in cluster mode moves the clone's Promoted role
 * (`crm_resource --move --promoted`): node-a demoted, node-b promoted, the child started there
 * after the promote; the status from both nodes shows mir in service on node-b only.
 */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, startCluster, type Cluster } from '../../cluster-lab/src/index.ts';
import { FileStore } from '../src/file-store.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';
import { FIXTURE_KITS } from './helpers.ts';
import { RUNNER_BIN, kitRunner, overlayAgents } from './ocf-helpers.ts';

const why = labUnavailableReason();
const PROMO_KITS = fileURLToPath(new URL('./fixtures/promotion-kits', import.meta.url));

interface StatusJson {
  resources: { tag: string; servers: Record<string, { state: string; reason: string }> }[];
}

describe.skipIf(!!why)(`a promotable clone's switchover through Pacemaker on two nodes${why ? ` (skipped: ${why})` : ''}`, () => {
  let c: Cluster | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rk-clone-move-'));
    chmodSync(dir, 0o755);
    const r = kitRunner(['--kits-dir', PROMO_KITS, '--kits-dir', FIXTURE_KITS, 'ocf', 'install', '--root', join(dir, 'resource.d')]);
    if (r.code !== 0) throw new Error(r.stderr);
    for (const d of ['mir', 'app']) mkdirSync(join(dir, d));
    chmodSync(join(dir, 'app'), 0o777);
    // node-a (priority 1) has no promotion score at first: its score comes late (see the test).
    writeFileSync(join(dir, 'mir', 'a.score'), 'throw');
    writeFileSync(join(dir, 'mir', 'b.score'), '10');
    c = await startCluster({ nodes: 2 });
    for (const node of c.nodes) await overlayAgents(c, join(dir, 'resource.d'), node);
  }, 180_000);

  afterAll(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const kr = (node: string, args: string[], env: Record<string, string> = {}) =>
    c!.exec(node, [process.execPath, RUNNER_BIN, '--state-dir', join(dir, `store-${node}`), '--kits-dir', PROMO_KITS, '--kits-dir', FIXTURE_KITS, ...args], {
      allowFailure: true,
      timeoutMs: 120_000,
      env,
    });
  const mon = async () => (await c!.crmMon('node-a')).resources;
  const roleOf = async (id: string, role: string) => (await mon()).filter((r) => r.id === id && r.role === role).flatMap((r) => r.nodes);
  const until = async (what: string, check: () => Promise<boolean>, ms = 90_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) {
        const log = await c!.exec('node-a', ['crm_mon', '-1', '-r'], { allowFailure: true });
        throw new Error(`${what}: not within ${ms} ms\n${log.stdout}${log.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 300));
    }
  };

  it('apply holds the new clone until both nodes have scores, then it is promoted by priority; restore --node node-b moves the Promoted role and the child with it; status on both nodes agrees', async () => {
    // The hierarchy in node-a's local store, applied to the cluster.
    new FileStore(join(dir, 'store-node-a')).update((d) => {
      d.resources.mir = resourceRecord(
        'mir',
        'scored',
        { dir: join(dir, 'mir'), name: 'a' },
        {
          'node-a': serverEntry(1),
          'node-b': serverEntry(2, { overrides: { name: 'b' } }),
        },
      );
      d.resources.app = resourceRecord('app', 'rec', { dir: join(dir, 'app') }, { 'node-a': serverEntry(1), 'node-b': serverEntry(2) });
      d.dependencies.push({ parent: 'app', child: 'mir' });
    });
    // The new clone is held Unpromoted: both instances start, node-b publishes its score, and
    // nothing is promoted until node-a has its score too (without the hold node-b, the first
    // to publish one, would be promoted and stay there).
    // Monitors every 3 s (Promoted every 2 s): node-a's next monitor publishes the late score.
    const applying = kr('node-a', ['cluster', 'apply', '--monitor-interval', '3']);
    await until('mir running Unpromoted on both nodes', async () => (await roleOf('mir', 'Unpromoted')).sort().join() === 'node-a,node-b');
    await new Promise((r) => setTimeout(r, 6000));
    expect(await roleOf('mir', 'Promoted')).toEqual([]);
    expect(await roleOf('app', 'Started')).toEqual([]);
    writeFileSync(join(dir, 'mir', 'a.score'), '10');
    const applied = await applying;
    expect(applied.exitCode, applied.stderr).toBe(0);
    expect(applied.stdout).toMatch(/^held mir-clone$/m);
    expect(applied.stdout).toMatch(/^released mir-clone: every node runs it Unpromoted with its promotion score/m);
    expect(applied.stderr).toMatch(/held Unpromoted .*waiting for mir-clone \(node-a\)/);
    await until(
      'mir promoted on node-a, app started there',
      async () => (await roleOf('mir', 'Promoted')).join() === 'node-a' && (await roleOf('app', 'Started')).join() === 'node-a',
    );

    const cib = { KIT_RUNNER_STORE: 'cib' };
    const moved = await kr('node-a', ['action', 'app', 'restore', '--node', 'node-b', '--json'], cib);
    expect(moved.exitCode, moved.stderr).toBe(0);
    expect(JSON.parse(moved.stdout)).toMatchObject({ ok: true, via: 'pacemaker', resource: 'mir-clone', node: 'node-b' });
    expect(await roleOf('mir', 'Promoted')).toEqual(['node-b']);
    expect(await roleOf('app', 'Started')).toEqual(['node-b']);
    expect(await roleOf('mir', 'Unpromoted')).toEqual(['node-a']);
    // The move constraint was cleared: placement is the scores' and stickiness' again.
    const constraints = (await c!.exec('node-a', ['cibadmin', '--query', '--scope', 'constraints'])).stdout;
    expect(constraints).not.toMatch(/cli-prefer-mir-clone/);

    for (const node of ['node-a', 'node-b']) {
      const st = await kr(node, ['status', '--json'], cib);
      expect(st.exitCode, st.stderr).toBe(0);
      const s = JSON.parse(st.stdout) as StatusJson;
      const mir = s.resources.find((r) => r.tag === 'mir')!;
      expect([mir.servers['node-a']!.state, mir.servers['node-b']!.state], node).toEqual(['OSU', 'ISP']);
      expect(mir.servers['node-a']!.reason).toMatch(/Unpromoted/);
    }
    // Again: already there, nothing moves.
    const again = await kr('node-b', ['action', 'app', 'restore', '--node', 'node-b', '--json'], cib);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout).polls).toBe(0);
  }, 300_000);
});
