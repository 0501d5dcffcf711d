/**
 * A one-node Pacemaker cluster (packages/cluster-lab) for a describe block, with our agents
 * installed from a kits directory (`kit-runner ocf install`) and overlaid on the node's OCF root:
 * beforeAll makes the directory and starts the cluster, afterAll stops it and removes the directory.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import { startCluster, type Cluster } from '../../cluster-lab/src/index.ts';
import { kitRunner, overlayAgents } from './ocf-helpers.ts';

export interface OneNodeLab {
  /** The running cluster (set by beforeAll). */
  readonly c: Cluster;
  /** The test's directory: `resource.d` (the agents), `tunables` when given. */
  readonly dir: string;
}

export function oneNodeCluster(prefix: string, kitsDir: string, o: { tunables?: string; setup?: (dir: string) => void } = {}): OneNodeLab {
  const lab = {} as { c: Cluster; dir: string };
  let started: Cluster | undefined;
  beforeAll(async () => {
    lab.dir = mkdtempSync(join(tmpdir(), prefix));
    chmodSync(lab.dir, 0o755);
    const tunables: string[] = [];
    if (o.tunables !== undefined) {
      writeFileSync(join(lab.dir, 'tunables'), o.tunables);
      tunables.push('--tunables', join(lab.dir, 'tunables'));
    }
    o.setup?.(lab.dir);
    const r = kitRunner([...tunables, '--kits-dir', kitsDir, 'ocf', 'install', '--root', join(lab.dir, 'resource.d')]);
    if (r.code !== 0) throw new Error(r.stderr);
    started = lab.c = await startCluster({ nodes: 1 });
    await overlayAgents(lab.c, join(lab.dir, 'resource.d'));
  }, 120_000);
  afterAll(async () => {
    await started?.stop();
    if (lab.dir) rmSync(lab.dir, { recursive: true, force: true });
  }, 60_000);
  return lab;
}
