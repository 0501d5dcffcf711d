import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { generate } from '../src/cluster/cib.ts';
import { loadFacts } from '../src/cluster/facts.ts';
import { all, kid, kids } from '../src/cluster/xml.ts';
import { emptyStore } from '../src/store.ts';
import { verifyGenerated } from './cib-file.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';

const KITS = fileURLToPath(new URL('../../../kits', import.meta.url));

describe('cluster apply: monitors per check level', () => {
  it('routes (EC2, levels 0, 10, 20) gets an OCF_CHECK_LEVEL=10 monitor at twice its interval; vip (IP: levels 0 and 20, the data-path ping) only its monitor', async () => {
    const d = emptyStore();
    const servers = () => ({ 'node-a': serverEntry(1), 'node-b': serverEntry(2) });
    d.resources.vip = resourceRecord('vip', 'ip', { address: '10.0.0.10/24' }, servers());
    d.resources.routes = resourceRecord('routes', 'ec2', { scenario: 'route-table', destinations: '10.0.0.10/32' }, servers());
    d.dependencies.push({ parent: 'routes', child: 'vip' });
    const facts = await loadFacts([KITS], '/nonexistent/tunables', ['ip', 'ec2'], 10);
    expect(facts.get('ec2')!.checkDepths).toEqual([10]);
    expect(facts.get('ip')!.checkDepths).toEqual([]);
    const g = generate(d, facts);
    const monitors = (id: string) =>
      all(g.resources.flatMap((r) => all(r, 'primitive')).find((p) => p.attrs.id === id)!, 'op')
        .filter((o) => o.attrs.name === 'monitor')
        .map((o) => [o.attrs.interval, nvpairsOf(o).OCF_CHECK_LEVEL ?? '0']);
    const nvpairsOf = (op: ReturnType<typeof kid>) =>
      Object.fromEntries(kids(kid(op, 'instance_attributes'), 'nvpair').map((n) => [n.attrs.name, n.attrs.value]));
    expect(monitors('routes')).toEqual([
      ['10s', '0'],
      ['20s', '10'],
    ]);
    expect(monitors('vip')).toEqual([['10s', '0']]);
    if (!existsSync('/usr/sbin/crm_verify')) return;
    const r = verifyGenerated(g);
    expect(r.status, r.stderr).toBe(0);
  });
});
