/**
 * `kit-runner cluster apply`'s CIB generation (packages/runner/src/cluster/cib.ts): the XML for
 * a chain (a group) and for a hierarchy that is not a chain (order + colocation), per-server
 * values as node-scoped sets, priorities as location scores, switchback as stickiness, secrets
 * never written, timeouts from the kits; validated by Pacemaker's own crm_verify (schema and
 * scheduler) and read back by import.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configurationXml, generate, STICKY, type KitFacts } from '../src/cluster/cib.ts';
import { importCib } from '../src/cluster/cib-import.ts';
import { crmCommands } from '../src/cluster/crm-commands.ts';
import { loadFacts } from '../src/cluster/facts.ts';
import { all, el, kid, kids, parseXml, serialize } from '../src/cluster/xml.ts';
import { emptyStore, type StoreData } from '../src/store.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';

const entry = serverEntry;
const rec = resourceRecord;

/** vip <- routes (a chain): IP + EC2 route table. */
function chain(switchback: 'intelligent' | 'automatic' = 'intelligent'): StoreData {
  const d = emptyStore();
  d.resources.vip = rec(
    'vip',
    'ip',
    { address: '10.99.0.50/24', pingList: [] },
    {
      'node-a': entry(1, { switchback }),
      'node-b': entry(10, { switchback, overrides: { device: 'eth0' } }),
    },
  );
  d.resources.routes = rec(
    'routes',
    'ec2',
    { scenario: 'route-table', ipResource: 'vip', destinations: [], createMissing: false },
    {
      'node-a': entry(1, { switchback, overrides: { eni: 'eni-0a1b2c3d4e5f60041' } }),
      'node-b': entry(10, { switchback, overrides: { eni: 'eni-0a1b2c3d4e5f60042' } }),
    },
  );
  d.dependencies.push({ parent: 'routes', child: 'vip' });
  return d;
}

const fakeFacts = (): Map<string, KitFacts> =>
  new Map(
    ['ip', 'ec2', 'route53', 'postgresql'].map((k) => [
      k,
      { kitType: k, secret: new Set(k === 'postgresql' ? ['password'] : []), startTimeoutS: 300, stopTimeoutS: 300, monitorTimeoutS: 60, monitorIntervalS: 30 },
    ]),
  );

function fullCib(conf: string): string {
  const inner = conf.replace(/^\s*<configuration>/, '').replace(/<\/configuration>\s*$/, '');
  return `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes><node id="1" uname="node-a"/><node id="2" uname="node-b"/></nodes>${inner}</configuration><status/></cib>`;
}

const hasVerify = existsSync('/usr/sbin/crm_verify');

describe('cluster apply: CIB generation', () => {
  it('a chain becomes a group, children first, with node-scoped values, location scores and stickiness', () => {
    const g = generate(chain(), fakeFacts());
    expect(g.hierarchies.map((h) => [h.root, h.tags])).toEqual([['routes', ['vip', 'routes']]]);
    const [group] = g.resources;
    expect(group!.name).toBe('group');
    expect(group!.attrs.id).toBe('rk-routes');
    expect(kids(group, 'primitive').map((p) => [p.attrs.id, `${p.attrs.class}:${p.attrs.provider}:${p.attrs.type}`])).toEqual([
      ['vip', 'ocf:recovery-kit:ip'],
      ['routes', 'ocf:recovery-kit:ec2'],
    ]);
    const meta = Object.fromEntries(kids(kid(group, 'meta_attributes'), 'nvpair').map((n) => [n.attrs.name, n.attrs.value]));
    expect(meta).toEqual({ 'resource-stickiness': String(STICKY), 'migration-threshold': '3' });
    // vip: default set (no empty lists), node-b's device in a set with a rule on #uname, scored above the default.
    const vip = kids(group, 'primitive')[0]!;
    const sets = kids(vip, 'instance_attributes');
    expect(sets.map((s) => [s.attrs.id, s.attrs.score])).toEqual([
      ['vip-ia', '1'],
      ['vip-ia-node-b', '2'],
    ]);
    expect(kids(sets[0], 'nvpair').map((n) => [n.attrs.name, n.attrs.value])).toEqual([['address', '10.99.0.50/24']]);
    const rule = kid(sets[1], 'rule')!;
    expect(kid(rule, 'expression')!.attrs).toMatchObject({ attribute: '#uname', operation: 'eq', value: 'node-b' });
    expect(kids(sets[1], 'nvpair').map((n) => [n.attrs.name, n.attrs.value])).toEqual([['device', 'eth0']]);
    // routes: per-node ENI, and the child's address in the children parameter on each node.
    const routes = kids(group, 'primitive')[1]!;
    const perNode = Object.fromEntries(
      kids(routes, 'instance_attributes')
        .filter((s) => kid(s, 'rule'))
        .map((s) => [kid(kid(s, 'rule'), 'expression')!.attrs.value, Object.fromEntries(kids(s, 'nvpair').map((n) => [n.attrs.name, n.attrs.value]))]),
    );
    expect(perNode).toEqual({
      'node-a': { eni: 'eni-0a1b2c3d4e5f60041', children: 'vip:address=10.99.0.50/24' },
      'node-b': { eni: 'eni-0a1b2c3d4e5f60042', children: 'vip:address=10.99.0.50/24' },
    });
    // operations from the kit facts
    expect(kids(kid(routes, 'operations'), 'op').map((o) => `${o.attrs.name}/${o.attrs.interval}/${o.attrs.timeout}`)).toEqual([
      'start/0s/300s',
      'stop/0s/300s',
      'monitor/30s/60s',
    ]);
    // priorities: 1 -> 999, 10 -> 990; not-extended servers banned
    const locs = g.constraints.filter((c) => c.name === 'rsc_location');
    expect(locs.filter((c) => c.attrs.node).map((c) => [c.attrs.rsc, c.attrs.node, c.attrs.score])).toEqual([
      ['rk-routes', 'node-a', '999'],
      ['rk-routes', 'node-b', '990'],
    ]);
    const ban = locs.find((c) => !c.attrs.node)!;
    expect(kid(ban, 'rule')!.attrs.score).toBe('-INFINITY');
    expect(kids(kid(ban, 'rule'), 'expression').map((x) => `${x.attrs.attribute} ${x.attrs.operation} ${x.attrs.value}`)).toEqual([
      '#uname ne node-a',
      '#uname ne node-b',
    ]);
  });

  it("a resource above another in a chain gets its descendants' addresses in children (Route 53 above the route table above the IP)", () => {
    const d = chain();
    d.resources.dns = rec(
      'dns',
      'route53',
      { zone: 'example.com', host: 'db', ip: 'vip' },
      { 'node-a': entry(1), 'node-b': entry(10, { overrides: { x: 1 } }) },
    );
    d.resources.vip!.servers['node-b']!.overrides = { address: '10.99.0.51/24' };
    d.dependencies.push({ parent: 'dns', child: 'routes' });
    const conf = parseXml(configurationXml(generate(d, fakeFacts())));
    const childrenOn = (tag: string, node: string) => all(conf, 'nvpair').find((n) => n.attrs.id === `${tag}-ia-${node}-children`)?.attrs.value;
    expect(childrenOn('dns', 'node-a')).toBe('vip:address=10.99.0.50/24');
    expect(childrenOn('dns', 'node-b')).toBe('vip:address=10.99.0.51/24');
    expect(childrenOn('routes', 'node-b')).toBe('vip:address=10.99.0.51/24');
  });

  it('automatic switchback is stickiness 0', () => {
    const g = generate(chain('automatic'), fakeFacts());
    const meta = Object.fromEntries(kids(kid(g.resources[0], 'meta_attributes'), 'nvpair').map((n) => [n.attrs.name, n.attrs.value]));
    expect(meta['resource-stickiness']).toBe('0');
  });

  it('a hierarchy that is not a chain becomes order + colocation constraints; secrets are never written', () => {
    const d = chain();
    d.resources.dns = rec('dns', 'route53', { zone: 'example.com', host: 'app', ip: 'vip' }, { 'node-a': entry(1), 'node-b': entry(10) });
    d.resources.db = rec('db', 'postgresql', { dataDir: '/var/lib/pg', password: 'hunter2' }, { 'node-a': entry(1), 'node-b': entry(10) });
    d.dependencies.push({ parent: 'dns', child: 'vip' }, { parent: 'db', child: 'vip' });
    const g = generate(d, fakeFacts());
    expect(g.resources.map((r) => `${r.name}:${r.attrs.id}`).sort()).toEqual(['primitive:db', 'primitive:dns', 'primitive:routes', 'primitive:vip']);
    const order = g.constraints.filter((c) => c.name === 'rsc_order').map((c) => `${c.attrs.first}->${c.attrs.then}`);
    expect(order).toEqual(['vip->db', 'vip->dns', 'vip->routes']);
    const col = g.constraints.filter((c) => c.name === 'rsc_colocation').map((c) => `${c.attrs.rsc} with ${c.attrs['with-rsc']} ${c.attrs.score}`);
    expect(col).toEqual(['db with vip INFINITY', 'dns with vip INFINITY', 'routes with vip INFINITY']);
    const xml = configurationXml(g);
    expect(xml).not.toContain('hunter2');
    expect(xml).not.toMatch(/name="password"/);
    // each primitive carries its own stickiness
    expect(all(parseXml(xml), 'nvpair').filter((n) => n.attrs.name === 'resource-stickiness').length).toBe(4);
  });

  it('crm commands only when there are no node-scoped values', () => {
    const d = chain();
    d.resources.vip!.servers['node-b']!.overrides = {};
    d.resources.routes!.servers['node-a']!.overrides = {};
    d.resources.routes!.servers['node-b']!.overrides = {};
    d.resources.routes!.options.destinations = ['10.1.0.10/32'];
    d.resources.routes!.options.ipResource = undefined;
    d.dependencies = [{ parent: 'routes', child: 'vip' }];
    // children= is node-scoped only if the child has an address: drop the child relation from the parameter by removing address
    const noChild = structuredClone(d);
    delete noChild.resources.vip!.options.address;
    const crm = crmCommands(generate(noChild, fakeFacts()));
    expect(crm).toContain('crm configure primitive vip ocf:recovery-kit:ip');
    expect(crm).toContain('crm configure group rk-routes vip routes meta');
    expect(crm).toContain('crm configure location rk-routes-prefers-node-a rk-routes 999: node-a');
    expect(crmCommands(generate(chain(), fakeFacts()))).toBeUndefined();
  });

  it('bad input: an unknown tag or a kit that is not installed names the field', () => {
    expect(() => generate(chain(), fakeFacts(), { tag: 'nope' })).toThrow(/no resource with tag "nope"/);
    expect(() => generate(chain(), new Map())).toThrow(/kit ip \(resource vip\) is not installed/);
  });

  it('import reads the generated configuration back into the store form (tags, kits, options, overrides, priorities, switchback, dependencies)', () => {
    for (const sb of ['intelligent', 'automatic'] as const) {
      const d = chain(sb);
      const back = importCib(parseXml(configurationXml(generate(d, fakeFacts()))));
      expect(Object.keys(back.resources).sort()).toEqual(['routes', 'vip']);
      expect(back.dependencies).toEqual([{ parent: 'routes', child: 'vip' }]);
      expect(back.resources.vip!.options).toEqual({ address: '10.99.0.50/24' });
      expect(back.resources.routes!.options).toEqual({ scenario: 'route-table', ipResource: 'vip', createMissing: 'false' });
      expect(back.resources.routes!.servers['node-b']!.overrides).toEqual({ eni: 'eni-0a1b2c3d4e5f60042' });
      expect(back.resources.vip!.servers['node-b']!.overrides).toEqual({ device: 'eth0' });
      for (const t of ['vip', 'routes']) {
        const r = back.resources[t]!;
        expect([r.id, r.kitPackage, r.kitVersion, r.createdAt]).toEqual([`${t}-id`, `@recovery-kit/kit-${r.kit}`, '0.1.0', '2026-12-01T00:00:00.000Z']);
        expect(Object.fromEntries(Object.entries(r.servers).map(([s, e]) => [s, [e.priority, e.switchback]]))).toEqual({
          'node-a': [1, sb],
          'node-b': [10, sb],
        });
      }
      // and generating again from the import gives the same XML
      expect(configurationXml(generate(back, fakeFacts()))).toBe(
        configurationXml(generate(importCib(parseXml(configurationXml(generate(back, fakeFacts())))), fakeFacts())),
      );
    }
    const nonChain = chain();
    nonChain.resources.dns = rec('dns', 'route53', { zone: 'example.com', host: 'app', ip: 'vip' }, { 'node-a': entry(1), 'node-b': entry(10) });
    nonChain.dependencies.push({ parent: 'dns', child: 'vip' });
    const back = importCib(parseXml(configurationXml(generate(nonChain, fakeFacts()))));
    expect(back.dependencies.map((x) => `${x.parent}>${x.child}`).sort()).toEqual(['dns>vip', 'routes>vip']);
  });

  it('the timeouts and check interval come from the installed kits (their meta-data values)', async () => {
    const facts = await loadFacts([], '/nonexistent/tunables', ['ip', 'ec2', 'route53']);
    expect(facts.get('ec2')).toMatchObject({ startTimeoutS: 300, stopTimeoutS: 300, monitorTimeoutS: 100 });
    expect(facts.get('ip')!.monitorTimeoutS).toBe(12);
    expect(facts.get('route53')!.secret.size).toBe(0);
    const pinned = await loadFacts([], '/nonexistent/tunables', ['ip'], 5);
    expect(pinned.get('ip')!.monitorIntervalS).toBe(5);
  });

  it("a kit publishing a health attribute (libreswan's rk-health-TAG, set by every VPN node's check) gets a location rule -INFINITY where it is failed and a role=Stopped monitor (the standby's check); crm_verify accepts it", async () => {
    const d = emptyStore();
    d.resources['vpn-ec2'] = rec('vpn-ec2', 'ec2', { scenario: 'route-table', destinations: ['172.16.0.0/16'] }, { 'node-a': entry(1), 'node-b': entry(10) });
    d.resources.vpn = rec('vpn', 'libreswan', { connection: 'vpn1' }, { 'node-a': entry(1), 'node-b': entry(10) });
    d.dependencies.push({ parent: 'vpn', child: 'vpn-ec2' });
    const real = await loadFacts([], '/nonexistent/tunables', ['libreswan', 'ec2']);
    expect(real.get('libreswan')!.healthAttribute).toBe(true);
    expect(real.get('ec2')!.healthAttribute).toBeUndefined();
    const facts = fakeFacts();
    facts.set('libreswan', { ...facts.get('ip')!, kitType: 'libreswan', healthAttribute: true });
    const g = generate(d, facts);
    const rule = g.constraints.find((c) => c.attrs.id === 'rk-vpn-health-vpn')!;
    expect(rule.attrs.rsc).toBe('rk-vpn');
    expect(serialize(rule)).toBe(
      '<rsc_location id="rk-vpn-health-vpn" rsc="rk-vpn"><rule id="rk-vpn-health-vpn-rule" score="-INFINITY"><expression id="rk-vpn-health-vpn-rule-0" attribute="rk-health-vpn" operation="eq" value="failed"/></rule></rsc_location>',
    );
    expect(g.constraints.filter((c) => /health/.test(c.attrs.id ?? ''))).toHaveLength(1);
    // The standby's check: a second monitor for the Stopped role (Pacemaker runs it where the resource is not running), at its own interval.
    const opsOf = (tag: string) =>
      kids(
        kid(
          all(el('x', {}, g.resources), 'primitive').find((p) => p.attrs.id === tag),
          'operations',
        ),
        'op',
      ).map((o) => o.attrs);
    expect(opsOf('vpn').filter((o) => o.name === 'monitor')).toEqual([
      { id: 'vpn-monitor-30s', name: 'monitor', interval: '30s', timeout: '60s' },
      { id: 'vpn-monitor-31s-stopped', name: 'monitor', interval: '31s', role: 'Stopped', timeout: '60s' },
    ]);
    expect(opsOf('vpn-ec2').filter((o) => o.name === 'monitor')).toHaveLength(1);
    // Its timeout fits the health command (check, then local recovery) and the agent's quickCheck.
    expect(real.get('libreswan')).toMatchObject({ monitorTimeoutS: 90, healthTimeoutS: 2 * 90 + 120 });
    const withTimeout = generate(d, new Map([...facts, ['libreswan', { ...facts.get('libreswan')!, healthTimeoutS: 300 }]]));
    expect(configurationXml(withTimeout)).toContain('<op id="vpn-monitor-31s-stopped" name="monitor" interval="31s" role="Stopped" timeout="300s"/>');
    if (hasVerify) {
      const r = spawnSync('crm_verify', ['--xml-text', fullCib(configurationXml(g)), '-V'], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      // Pacemaker's scheduler: the group starts on node-a; the Stopped-role monitor is scheduled on node-b, expecting 7.
      const dir = mkdtempSync(join(tmpdir(), 'rk-health-'));
      try {
        const online = (id: number, uname: string) =>
          `<node_state id="${id}" uname="${uname}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources/></lrm></node_state>`;
        writeFileSync(
          join(dir, 'cib.xml'),
          fullCib(configurationXml(g))
            .replace('<status/>', `<status>${online(1, 'node-a')}${online(2, 'node-b')}</status>`)
            .replace('<cib ', '<cib have-quorum="1" '),
        );
        const sim = spawnSync('crm_simulate', ['--xml-file', join(dir, 'cib.xml'), '--simulate', '--save-graph', join(dir, 'graph.xml')], { encoding: 'utf8' });
        expect(sim.status, sim.stderr).toBe(0);
        const recurring = all(parseXml(readFileSync(join(dir, 'graph.xml'), 'utf8'), 'graph'), 'rsc_op')
          .filter((o) => /^vpn_monitor_[1-9]/.test(o.attrs.operation_key ?? ''))
          .map((o) => {
            const a = kid(o, 'attributes')!.attrs;
            return [o.attrs.operation_key, o.attrs.on_node, a.CRM_meta_role ?? '', a.CRM_meta_op_target_rc ?? ''];
          });
        expect([...new Map(recurring.map((x) => [x.join(' '), x])).values()].sort()).toEqual([
          ['vpn_monitor_30000', 'node-a', '', ''],
          ['vpn_monitor_31000', 'node-b', 'Stopped', '7'],
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it.skipIf(!hasVerify)("Pacemaker's crm_verify accepts the generated configuration (schema and scheduler), and rejects a broken one", () => {
    const d = chain();
    d.resources.dns = rec('dns', 'route53', { zone: 'example.com', host: 'app', ip: 'vip' }, { 'node-a': entry(1), 'node-b': entry(10) });
    d.resources.dns2 = rec(
      'dns2',
      'route53',
      { zone: 'example.com', host: 'api', ip: 'vip' },
      { 'node-a': entry(2, { switchback: 'automatic' }), 'node-b': entry(1, { switchback: 'automatic' }) },
    );
    d.dependencies.push({ parent: 'dns', child: 'vip' }, { parent: 'dns2', child: 'vip' });
    for (const data of [chain(), chain('automatic'), d]) {
      const cib = fullCib(configurationXml(generate(data, fakeFacts())));
      const r = spawnSync('crm_verify', ['--xml-text', cib, '-V'], { encoding: 'utf8' });
      expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
      expect(r.stderr).not.toMatch(/error/i);
    }
    // A broken document (an op without a name) is refused: the check can fail.
    const bad = fullCib(
      serialize(
        el('configuration', {}, [
          el('resources', {}, [
            el('primitive', { id: 'x', class: 'ocf', provider: 'recovery-kit', type: 'ip' }, [
              el('operations', {}, [el('op', { id: 'x-op', interval: '0s' })]),
            ]),
          ]),
          el('constraints'),
        ]),
      ),
    );
    const r = spawnSync('crm_verify', ['--xml-text', bad], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    void execFileSync;
  });
});
