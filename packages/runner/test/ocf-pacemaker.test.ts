/**
 * One IP resource under a real one-node Pacemaker cluster (packages/cluster-lab: corosync -f and
 * pacemakerd in namespaces): start, a monitor failure (the address deleted behind its back),
 * recovery, stop. Our agents are overlaid on /usr/lib/ocf/resource.d inside the node only.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { labUnavailableReason } from '../../cluster-lab/src/index.ts';
import { oneNodeCluster } from './pcmk-one-node.ts';
import { OCF_FIXTURE_KITS } from './ocf-helpers.ts';
import { rmSync } from 'node:fs';

const why = labUnavailableReason();

describe.skipIf(!!why)(`ocf:recovery-kit:ip under a one-node Pacemaker cluster${why ? ` (skipped: ${why})` : ''}`, () => {
  const lab = oneNodeCluster('rk-ocf-pcmk-', OCF_FIXTURE_KITS, {
    // No other host on the lab link to answer the broadcast ping: quickCheck checks address and link.
    tunables: 'NOBCASTPING=1\n',
  });

  const hasAddress = async () => (await lab.c.exec('node-a', ['ip', '-o', '-4', 'addr', 'show', 'dev', 'eth0'])).stdout.includes('10.99.0.50/24');
  const until = async (what: string, check: () => Promise<boolean>, ms = 30_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) throw new Error(`${what}: not within ${ms} ms`);
      await new Promise((r) => setTimeout(r, 200));
    }
  };

  it('start, a monitor failure (address deleted), recovery in place, stop', async () => {
    const meta = await lab.c.exec('node-a', ['crm_resource', '--show-metadata', 'ocf:recovery-kit:ip']);
    expect(meta.stdout).toContain('<version>1.1</version>');
    await lab.c.cibCreate(
      'resources',
      `<primitive id="vip" class="ocf" provider="recovery-kit" type="ip">
         <instance_attributes id="vip-ia"><nvpair id="vip-address" name="address" value="10.99.0.50/24"/></instance_attributes>
         <operations><op id="vip-monitor-2s" name="monitor" interval="2s" timeout="20s"/></operations>
       </primitive>`,
    );
    await lab.c
      .waitFor((m) => m[0]!.resources.find((r) => r.id === 'vip' && r.role === 'Started' && r.nodes.includes('node-a')), {
        timeoutMs: 60_000,
        what: 'vip Started on node-a',
      })
      .catch(async (err) => {
        const log = await lab.c.exec(
          'node-a',
          [
            'sh',
            '-c',
            'crm_mon -1 -r --show-detail; grep -h -i "vip\\|recovery-kit" /var/log/pacemaker/pacemaker.log /var/log/pacemaker.log 2>/dev/null | tail -n 40; ls -la /usr/lib/ocf/resource.d/',
          ],
          { allowFailure: true },
        );
        throw new Error(`${(err as Error).message}\n${log.stdout}${log.stderr}`);
      });
    await until('address added', hasAddress, 10_000).catch(async (err) => {
      const log = await lab.c.exec('node-a', ['sh', '-c', 'ip -o addr; crm_mon -1 -r; tail -n 60 /var/log/pacemaker/pacemaker.log 2>/dev/null | grep -i vip'], {
        allowFailure: true,
      });
      throw new Error(`${(err as Error).message}\n${log.stdout}${log.stderr}`);
    });
    const before = await lab.c.cibStatus('node-a');
    const startCalls = before.ops.filter((o) => o.resource === 'vip' && o.operation === 'start').map((o) => o.callId);

    const t0 = Date.now();
    await lab.c.exec('node-a', ['ip', 'addr', 'del', '10.99.0.50/24', 'dev', 'eth0']);
    await until('monitor failure recorded', async () =>
      (await lab.c.cibStatus('node-a')).ops.some((o) => o.resource === 'vip' && o.operation === 'monitor' && o.intervalMs === 2000 && o.rcCode === 1),
    );
    const detected = Date.now() - t0;
    const mon = await lab.c.crmMon('node-a');
    expect(mon.failures.some((f) => f.opKey === 'vip_monitor_2000' && f.exitCode === 1)).toBe(true);
    await until('restarted in place', async () =>
      (await lab.c.cibStatus('node-a')).ops.some((o) => o.resource === 'vip' && o.operation === 'start' && o.rcCode === 0 && !startCalls.includes(o.callId)),
    );
    await until('address back', hasAddress);
    console.log(`pacemaker: monitor failure in the CIB ${detected} ms after the fault, address back ${Date.now() - t0} ms after it`);

    // A resource that depends on vip reads vip's address from the CIB (crm_resource --get-parameter).
    const followed = join(lab.dir, 'followed');
    await lab.c.cibCreate(
      'resources',
      `<primitive id="follower" class="ocf" provider="recovery-kit" type="follower">
         <instance_attributes id="follower-ia"><nvpair id="follower-ip" name="ip" value="vip"/><nvpair id="follower-file" name="file" value="${followed}"/></instance_attributes>
       </primitive>`,
    );
    await lab.c
      .waitFor((m) => m[0]!.resources.find((r) => r.id === 'follower' && r.role === 'Started'), { timeoutMs: 60_000, what: 'follower Started' })
      .catch(async (err) => {
        const log = await lab.c.exec('node-a', ['sh', '-c', 'crm_mon -1 -r --show-detail; grep -h -i follower /var/log/pacemaker/pacemaker.log | tail -n 20'], {
          allowFailure: true,
        });
        throw new Error(`${(err as Error).message}\n${log.stdout}${log.stderr}`);
      });
    expect(readFileSync(followed, 'utf8').trim()).toBe('10.99.0.50/24');
    // One that names a resource the CIB does not have: not configured (6), with the reason.
    await lab.c.cibCreate(
      'resources',
      `<primitive id="orphan" class="ocf" provider="recovery-kit" type="follower">
         <instance_attributes id="orphan-ia"><nvpair id="orphan-ip" name="ip" value="nosuchvip"/><nvpair id="orphan-file" name="file" value="${join(lab.dir, 'orphan')}"/></instance_attributes>
       </primitive>`,
    );
    await until('orphan start fails with 6', async () =>
      (await lab.c.cibStatus('node-a')).ops.some((o) => o.resource === 'orphan' && o.operation === 'start' && o.rcCode === 6),
    );
    const orphan = (await lab.c.crmMon('node-a')).failures.find((f) => f.opKey === 'orphan_start_0');
    expect(orphan?.exitCode).toBe(6);
    await lab.c.exec('node-a', ['crm_resource', '--resource', 'follower', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped']);
    await lab.c.waitFor((m) => m[0]!.resources.find((r) => r.id === 'follower' && r.role === 'Stopped'), { timeoutMs: 60_000, what: 'follower Stopped' });

    await lab.c.exec('node-a', ['crm_resource', '--resource', 'vip', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped']);
    await lab.c.waitFor((m) => m[0]!.resources.find((r) => r.id === 'vip' && r.role === 'Stopped'), { timeoutMs: 60_000, what: 'vip Stopped' });
    expect(await hasAddress()).toBe(false);
  }, 240_000);

  it('a role="Stopped" monitor runs where the resource is not started: the health command publishes its node attribute, the monitor reports 7', async () => {
    const up = join(lab.dir, 'h1-up');
    writeFileSync(up, '');
    const attr = async () =>
      /value="([^"]*)"/.exec((await lab.c.exec('node-a', ['attrd_updater', '-Q', '-n', 'rk-health-h1'], { allowFailure: true })).stdout)?.[1];
    // target-role Stopped: the resource runs nowhere, so Pacemaker runs only the Stopped-role monitor (3 s), on node-a.
    await lab.c.cibCreate(
      'resources',
      `<primitive id="h1" class="ocf" provider="recovery-kit" type="healthy">
         <instance_attributes id="h1-ia"><nvpair id="h1-up" name="up" value="${up}"/><nvpair id="h1-held" name="held" value="${join(lab.dir, 'h1-held')}"/></instance_attributes>
         <meta_attributes id="h1-meta"><nvpair id="h1-target-role" name="target-role" value="Stopped"/></meta_attributes>
         <operations>
           <op id="h1-monitor-2s" name="monitor" interval="2s" timeout="20s"/>
           <op id="h1-monitor-3s-stopped" name="monitor" interval="3s" role="Stopped" timeout="20s"/>
         </operations>
       </primitive>`,
    );
    await until('rk-health-h1=healthy', async () => (await attr()) === 'healthy');
    rmSync(up);
    await until('rk-health-h1=failed', async () => (await attr()) === 'failed', 20_000);
    const ops = (await lab.c.cibStatus('node-a')).ops.filter((o) => o.resource === 'h1' && o.operation === 'monitor');
    expect(ops.some((o) => o.intervalMs === 3000 && o.rcCode === 7)).toBe(true);
    expect(ops.some((o) => o.intervalMs === 2000)).toBe(false);
    expect((await lab.c.crmMon('node-a')).failures.filter((f) => f.opKey.startsWith('h1_'))).toEqual([]);
    await lab.c.exec('node-a', ['cibadmin', '--delete', '--xml-text', '<primitive id="h1"/>']);
  }, 120_000);
});
