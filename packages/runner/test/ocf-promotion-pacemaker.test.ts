/**
 * Promotion scores under a real one-node Pacemaker cluster (packages/cluster-lab): the fixture
 * kit with roles and a score command as a promotable clone. Its monitor writes the score with
 * the real crm_attribute --promotion; Pacemaker reads it and promotes the instance; a score of
 * null removes the attribute again.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { labUnavailableReason } from '../../cluster-lab/src/index.ts';
import { oneNodeCluster } from './pcmk-one-node.ts';

const why = labUnavailableReason();
const KITS = fileURLToPath(new URL('./fixtures/promotion-kits', import.meta.url));

describe.skipIf(!!why)(`promotion scores under a one-node Pacemaker cluster${why ? ` (skipped: ${why})` : ''}`, () => {
  const lab = oneNodeCluster('rk-ocf-promo-', KITS, { setup: (dir) => mkdirSync(join(dir, 'scored')) });

  const status = async () => (await lab.c.exec('node-a', ['cibadmin', '--query', '--scope', 'status'])).stdout;
  const until = async (what: string, check: () => Promise<boolean>, ms = 60_000) => {
    const end = Date.now() + ms;
    while (!(await check())) {
      if (Date.now() > end) {
        const log = await lab.c.exec('node-a', ['sh', '-c', 'crm_mon -1 -r -A; cibadmin -Q --scope status | grep -i master'], { allowFailure: true });
        throw new Error(`${what}: not within ${ms} ms\n${log.stdout}${log.stderr}`);
      }
      await new Promise((r) => setTimeout(r, 500));
    }
  };

  it("the monitor's score reaches the CIB through crm_attribute --promotion; Pacemaker promotes on it; null removes it", async () => {
    writeFileSync(join(lab.dir, 'scored', 'one.score'), '10000');
    await lab.c.cibCreate(
      'resources',
      `<clone id="scored-clone">
         <meta_attributes id="scored-clone-meta">
           <nvpair id="scored-clone-promotable" name="promotable" value="true"/>
           <nvpair id="scored-clone-promoted-max" name="promoted-max" value="1"/>
           <nvpair id="scored-clone-clone-max" name="clone-max" value="1"/>
         </meta_attributes>
         <primitive id="scored" class="ocf" provider="recovery-kit" type="scored">
           <instance_attributes id="scored-ia">
             <nvpair id="scored-dir" name="dir" value="${join(lab.dir, 'scored')}"/>
             <nvpair id="scored-name" name="name" value="one"/>
           </instance_attributes>
           <operations>
             <op id="scored-monitor-u" name="monitor" interval="3s" timeout="20s" role="Unpromoted"/>
             <op id="scored-monitor-p" name="monitor" interval="2s" timeout="20s" role="Promoted"/>
           </operations>
         </primitive>
       </clone>`,
    );
    // The transient node attribute Pacemaker reads for this clone's promotion (master-<id>).
    const score = /<nvpair id="[^"]*" name="master-scored(?::0)?" value="(-?\d+)"\/>/;
    await until('promotion score 10000 in the CIB', async () => score.exec(await status())?.[1] === '10000');
    await until('scored promoted on node-a', async () =>
      (await lab.c.crmMon('node-a')).resources.some((r) => r.id.startsWith('scored') && r.role === 'Promoted' && r.nodes.includes('node-a')),
    );
    writeFileSync(join(lab.dir, 'scored', 'one.score'), '1000');
    await until('promotion score 1000 in the CIB', async () => score.exec(await status())?.[1] === '1000');
    // Still the promoted instance (the only one), now with the lower score.
    expect((await lab.c.crmMon('node-a')).resources.some((r) => r.id.startsWith('scored') && r.role === 'Promoted')).toBe(true);
    writeFileSync(join(lab.dir, 'scored', 'one.score'), 'null');
    await until('promotion score removed', async () => !score.test(await status()));
    await lab.c.exec('node-a', ['crm_resource', '--resource', 'scored-clone', '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped']);
    await until('scored stopped', async () => !(await lab.c.crmMon('node-a')).resources.some((r) => r.id.startsWith('scored') && r.role !== 'Stopped'));
  }, 240_000);
});
