import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labUnavailableReason } from '../../cluster-lab/src/index.ts';
import { oneNodeCluster } from './pcmk-one-node.ts';
import { OCF_FIXTURE_KITS, RUNNER_BIN } from './ocf-helpers.ts';

const why = labUnavailableReason();

interface StatusJson {
  resources: { tag: string; servers: Record<string, { priority: number; state: string; info: Record<string, unknown> }> }[];
}

describe.skipIf(!!why)(`the CIB store under a one-node Pacemaker cluster${why ? ` (skipped: ${why})` : ''}`, () => {
  const lab = oneNodeCluster('rk-cib-store-pcmk-', OCF_FIXTURE_KITS, { tunables: 'NOBCASTPING=1\n' });

  const kr = (args: string[], env: Record<string, string> = {}) =>
    lab.c.exec('node-a', [process.execPath, RUNNER_BIN, '--state-dir', join(lab.dir, 'store'), '--tunables', join(lab.dir, 'tunables'), ...args], {
      allowFailure: true,
      timeoutMs: 90_000,
      env,
    });
  const cib = { KIT_RUNNER_STORE: 'cib' };
  const status = async (node: string) => {
    const r = await kr(['--node', node, 'status', '--json'], cib);
    expect(r.exitCode, r.stderr).toBe(0);
    return JSON.parse(r.stdout) as StatusJson;
  };
  const starts = async () => (await lab.c.cibStatus('node-a')).ops.filter((o) => o.resource === 'vip' && o.operation === 'start').length;

  it('extend, status and unextend through the CIB store; the running resource is not restarted by the writes', async () => {
    const made = await kr(['create', 'ip', '--tag', 'vip', '--opt', 'address=10.99.0.50/24']);
    expect(made.exitCode, made.stderr).toBe(0);
    const applied = await kr(['cluster', 'apply']);
    expect(applied.exitCode, applied.stderr).toBe(0);
    await lab.c.waitFor((m) => m[0]!.resources.find((r) => r.id === 'vip' && r.role === 'Started' && r.nodes.includes('node-a')), {
      timeoutMs: 60_000,
      what: 'vip Started on node-a',
    });
    const before = await status('node-a');
    expect(before.resources.map((r) => [r.tag, Object.keys(r.servers)])).toEqual([['vip', ['node-a']]]);
    expect(before.resources[0]!.servers['node-a']!.state).toBe('ISP');
    const started = await starts();
    expect(started).toBeGreaterThanOrEqual(1);

    // The DC's transitions into an election: a whole-CIB replace that changes neither the nodes nor the status section starts none.
    const elections = async () =>
      (await lab.c.exec('node-a', ['grep', '-c', 'S_ELECTION', '/var/log/pacemaker/pacemaker.log'], { allowFailure: true })).stdout.trim();
    const electionsBefore = await elections();
    // The log has the election that made node-a the DC: the count can tell.
    expect(Number(electionsBefore)).toBeGreaterThan(0);
    // node-b's extend (run "on node-b": --node node-b) writes its location score and kit info.
    const t0 = Date.now();
    const ext = await kr(['--node', 'node-b', 'extend', 'vip', '--server', 'node-b', '--priority', '2', '--json'], cib);
    expect(ext.exitCode, ext.stderr).toBe(0);
    expect(JSON.parse(ext.stdout)).toMatchObject({ extended: ['vip'], store: 'cib', written: 1 });
    console.log(`extend through the CIB store on a live CIB: ${Date.now() - t0} ms`);
    const a = await status('node-a');
    const b = await status('node-b');
    expect(a.resources).toEqual(b.resources);
    expect(a.resources[0]!.servers['node-b']).toMatchObject({ priority: 2, state: 'OSU' });
    expect(a.resources[0]!.servers['node-a']!.state).toBe('ISP');
    // The ip kit's info for node-b (its device, recorded by its extend) is in vip's meta attributes, read back on every node.
    expect(Object.keys(a.resources[0]!.servers['node-b']!.info).length).toBeGreaterThan(0);
    const rscs = await lab.c.cibadmin('node-a', ['--query', '--scope', 'resources']);
    expect(rscs).toMatch(/<meta_attributes id="vip-info">[\s\S]*name="rk-info-node-a"[\s\S]*name="rk-info-node-b"/);
    const conf = await lab.c.cibadmin('node-a', ['--query', '--scope', 'constraints']);
    expect(conf).toContain('rk-vip-prefers-node-b');
    // Another node's extend from here is refused; an unextend of the node vip runs on is refused (in service there).
    expect((await kr(['extend', 'vip', '--server', 'node-b', '--priority', '3'], cib)).exitCode).toBe(2);
    const busy = await kr(['unextend', 'vip', '--server', 'node-a'], cib);
    expect(busy.stderr).toMatch(/vip is in service on node-a/);
    expect(busy.exitCode).toBe(11);

    const un = await kr(['--node', 'node-b', 'unextend', 'vip', '--server', 'node-b'], cib);
    expect(un.exitCode, un.stderr).toBe(0);
    expect(Object.keys((await status('node-a')).resources[0]!.servers)).toEqual(['node-a']);
    expect(await lab.c.cibadmin('node-a', ['--query', '--scope', 'constraints'])).not.toContain('node-b');
    // Pacemaker kept vip where it was, without a restart (the writes changed no parameter of node-a's).
    await new Promise((r) => setTimeout(r, 2000));
    const mon = await lab.c.crmMon('node-a');
    expect(mon.resources.find((r) => r.id === 'vip')).toMatchObject({ role: 'Started', nodes: ['node-a'] });
    expect(await starts()).toBe(started);
    expect(await elections()).toBe(electionsBefore);
  }, 180_000);
});
