/**
 * `kit-runner cluster apply`'s promotable clone (cib-clone.ts) under a real one-node Pacemaker
 * cluster (packages/cluster-lab): the fixture kit with roles (promotion-kits/kit-scored) below the
 * recording fixture kit (kits/kit-rec). Apply writes the clone and the child's constraints with the
 * real cibadmin on the node; Pacemaker starts the instance, promotes it on its scores, then starts
 * the child on the same node, after the promote (the child's log entry is later than the promote's
 * marker file).
 */
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, startCluster, type Cluster } from '../../cluster-lab/src/index.ts';
import { applyGenerated, type CibRunner } from '../src/cluster/apply.ts';
import { heldClones, releaseHeld } from '../src/cluster/settle.ts';
import { generate } from '../src/cluster/cib.ts';
import { loadFacts } from '../src/cluster/facts.ts';
import { emptyStore } from '../src/store.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';
import { FIXTURE_KITS } from './helpers.ts';
import { kitRunner, overlayAgents } from './ocf-helpers.ts';

const why = labUnavailableReason();
const PROMO_KITS = fileURLToPath(new URL('./fixtures/promotion-kits', import.meta.url));

describe.skipIf(!!why)(`cluster apply's promotable clone under a one-node Pacemaker cluster${why ? ` (skipped: ${why})` : ''}`, () => {
  let c: Cluster | undefined;
  let dir: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'rk-apply-clone-'));
    chmodSync(dir, 0o755);
    const r = kitRunner(['--kits-dir', PROMO_KITS, '--kits-dir', FIXTURE_KITS, 'ocf', 'install', '--root', join(dir, 'resource.d')]);
    if (r.code !== 0) throw new Error(r.stderr);
    for (const d of ['mir', 'app']) mkdirSync(join(dir, d));
    chmodSync(join(dir, 'app'), 0o777);
    c = await startCluster({ nodes: 1 });
    await overlayAgents(c, join(dir, 'resource.d'));
  }, 120_000);

  afterAll(async () => {
    await c?.stop();
    rmSync(dir, { recursive: true, force: true });
  }, 60_000);

  const until = async (what: string, check: () => Promise<boolean>, ms = 90_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) {
        const log = await c!.exec('node-a', ['crm_mon', '-1', '-r', '-A'], { allowFailure: true });
        throw new Error(`${what}: not within ${ms} ms\n${log.stdout}${log.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  it('the clone is promoted on node-a, and the child above it starts there after the promote', async () => {
    writeFileSync(join(dir, 'mir', 'one.score'), '10');
    const data = emptyStore();
    data.resources.mir = resourceRecord('mir', 'scored', { dir: join(dir, 'mir'), name: 'one' }, { 'node-a': serverEntry(1) });
    data.resources.app = resourceRecord('app', 'rec', { dir: join(dir, 'app') }, { 'node-a': serverEntry(1) });
    data.dependencies.push({ parent: 'app', child: 'mir' });
    const facts = await loadFacts([PROMO_KITS, FIXTURE_KITS], join(dir, 'tunables'), ['scored', 'rec'], 5);
    const g = generate(data, facts);
    const cib: CibRunner = {
      run: async (argv, input) => {
        const r = await c!.exec('node-a', argv, { allowFailure: true, timeoutMs: 60_000, ...(input !== undefined ? { input } : {}) });
        return { code: r.exitCode ?? 1, stdout: r.stdout, stderr: r.stderr };
      },
    };
    const report = await applyGenerated(cib, g);
    expect(report.created).toContain('mir-clone');
    // Written held Unpromoted (settle.ts); released once the one node runs it with its score.
    expect(report.held).toEqual(['mir-clone']);
    const released = await releaseHeld(cib, heldClones(g, facts, report.held), { pollMs: 200 });
    expect(released).toMatchObject([{ clone: 'mir-clone', released: 'ready', waitingFor: [] }]);
    const mon = async () => (await c!.crmMon('node-a')).resources;
    await until('mir promoted on node-a', async () => (await mon()).some((r) => r.id.startsWith('mir') && r.role === 'Promoted' && r.nodes.includes('node-a')));
    await until('app started on node-a', async () => (await mon()).some((r) => r.id === 'app' && r.role === 'Started' && r.nodes.includes('node-a')));
    const promotedAt = statSync(join(dir, 'mir', 'one.promoted')).mtimeMs;
    const log = readFileSync(join(dir, 'app', 'actions.log'), 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { t: number; action: string; server: string });
    const start = log.find((e) => e.action === 'restore:start')!;
    expect(start.server).toBe('node-a');
    expect(start.t).toBeGreaterThanOrEqual(Math.floor(promotedAt));
    // A second apply on the live CIB changes nothing.
    const again = await applyGenerated(cib, g);
    expect([again.created, again.replaced, again.deleted, again.held]).toEqual([[], [], [], []]);
    await c!.exec('node-a', ['crm_resource', '--resource', 'mir-clone', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped']);
    await until('app and mir stopped', async () => !(await mon()).some((r) => (r.id === 'app' || r.id.startsWith('mir')) && r.role !== 'Stopped'));
  }, 240_000);
});
