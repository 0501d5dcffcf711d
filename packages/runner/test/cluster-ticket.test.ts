/**
 * Cross-region grants (packages/runner/src/cluster/ticket.ts, grant.ts): `cluster apply` writes a
 * ticket per other region (rsc_ticket with an explicit loss-policy on a gate clone of
 * ocf:pacemaker:attribute, and a rule that keeps the hierarchy off that region's nodes until the
 * gate's attribute is set), checked by Pacemaker's crm_verify and crm_simulate; stand-alone, a
 * restore into another region is refused (exit 4, the store unchanged) until `kit-runner cluster
 * grant TAG REGION`.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applyGenerated } from '../src/cluster/apply.ts';
import { configurationXml, generate, type KitFacts } from '../src/cluster/cib.ts';
import { crmCommands } from '../src/cluster/crm-commands.ts';
import { gatesIn } from '../src/cluster/grant.ts';
import { crossRegions } from '../src/cluster/ticket.ts';
import { all, kids, parseXml, serialize } from '../src/cluster/xml.ts';
import { FileStore } from '../src/file-store.ts';
import { emptyStore, type StoreData } from '../src/store.ts';
import { resourceRecord, serverEntry } from './cluster-fixtures.ts';
import { recSandbox } from './helpers.ts';

const entry = (priority: number, info: Record<string, unknown> = {}, overrides: Record<string, unknown> = {}) => serverEntry(priority, { info, overrides });
const rec = resourceRecord;

/** vip <- routes, node-a in us-east-1 (home: priority 1), node-b in eu-west-1 (the region recorded by the EC2 kit, or an override). */
function twoRegions(): StoreData {
  const d = emptyStore();
  d.resources.vip = rec('vip', 'ip', { address: '10.99.0.50/24' }, { 'node-a': entry(1), 'node-b': entry(10) });
  d.resources.routes = rec(
    'routes',
    'ec2',
    { scenario: 'route-table', ipResource: 'vip' },
    { 'node-a': entry(1, { region: 'us-east-1' }), 'node-b': entry(10, {}, { region: 'eu-west-1' }) },
  );
  d.dependencies.push({ parent: 'routes', child: 'vip' });
  return d;
}

const facts = (): Map<string, KitFacts> =>
  new Map(
    ['ip', 'ec2'].map((k) => [k, { kitType: k, secret: new Set<string>(), startTimeoutS: 60, stopTimeoutS: 60, monitorTimeoutS: 30, monitorIntervalS: 10 }]),
  );

const hasSim = existsSync('/usr/sbin/crm_simulate') && existsSync('/usr/lib/ocf/resource.d/pacemaker/attribute');

function cibWith(conf: string, extraConstraints = ''): string {
  const inner = conf
    .replace(/^\s*<configuration>/, '')
    .replace(/<\/configuration>\s*$/, '')
    .replace('</constraints>', `${extraConstraints}</constraints>`);
  const node = (id: number, uname: string) =>
    `<node_state id="${id}" uname="${uname}" in_ccm="true" crmd="online" join="member" expected="member"><lrm id="${id}"><lrm_resources/></lrm></node_state>`;
  return `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0" have-quorum="1"><configuration><crm_config><cluster_property_set id="o"><nvpair id="o-s" name="stonith-enabled" value="false"/></cluster_property_set></crm_config><nodes><node id="1" uname="node-a"/><node id="2" uname="node-b"/></nodes>${inner}</configuration><status>${node(1, 'node-a')}${node(2, 'node-b')}</status></cib>`;
}

describe('cross-region grants: CIB generation', () => {
  it('a hierarchy with servers in two regions gets a ticket for the other region; one region gets none', () => {
    const d = twoRegions();
    expect(crossRegions(d, 'routes')).toEqual({ home: 'us-east-1', others: [{ region: 'eu-west-1', ticket: 'rk-routes-eu-west-1', nodes: ['node-b'] }] });
    const conf = parseXml(configurationXml(generate(d, facts())));
    const clone = all(conf, 'clone')[0]!;
    expect(clone.attrs.id).toBe('rk-routes-grant-eu-west-1');
    const gate = kids(clone, 'primitive')[0]!;
    expect(gate.attrs).toMatchObject({ class: 'ocf', provider: 'pacemaker', type: 'attribute' });
    expect(all(gate, 'nvpair').map((n) => `${n.attrs.name}=${n.attrs.value}`)).toEqual([
      'name=rk-routes-granted-eu-west-1',
      'active_value=1',
      'inactive_value=0',
    ]);
    const tickets = all(conf, 'rsc_ticket');
    expect(tickets.map((t) => t.attrs)).toEqual([
      { id: 'rk-routes-ticket-eu-west-1', rsc: 'rk-routes-grant-eu-west-1', ticket: 'rk-routes-eu-west-1', 'loss-policy': 'stop' },
    ]);
    const needs = all(conf, 'rsc_location').find((l) => l.attrs.id === 'rk-routes-grant-eu-west-1-on-node-b')!;
    expect(needs.attrs.rsc).toBe('rk-routes');
    expect(kids(needs, 'rule').map((r) => all(r, 'expression').map((x) => `${x.attrs.attribute} ${x.attrs.operation} ${x.attrs.value ?? ''}`.trim()))).toEqual([
      ['#uname eq node-b', 'rk-routes-granted-eu-west-1 ne 1'],
      ['#uname eq node-b', 'rk-routes-granted-eu-west-1 not_defined'],
    ]);
    // crm shell cannot say all of it: XML only
    expect(crmCommands(generate(d, facts()))).toBeUndefined();
    // what cluster mode reads back (which node needs which ticket)
    expect(gatesIn(conf, 'routes')).toEqual([{ region: 'eu-west-1', ticket: 'rk-routes-eu-west-1', nodes: ['node-b'] }]);
    // the loss-policy is explicit and can be chosen
    expect(all(parseXml(configurationXml(generate(d, facts(), { lossPolicy: 'fence' }))), 'rsc_ticket')[0]!.attrs['loss-policy']).toBe('fence');
    // one region (or none known): no ticket
    const one = twoRegions();
    one.resources.routes!.servers['node-b']!.overrides = { region: 'us-east-1' };
    expect(configurationXml(generate(one, facts()))).not.toContain('rsc_ticket');
    const none = twoRegions();
    none.resources.routes!.servers['node-a']!.info = {};
    expect(configurationXml(generate(none, facts()))).not.toContain('rsc_ticket');
  });

  it.skipIf(!hasSim)(
    "Pacemaker's scheduler (crm_verify, crm_simulate): a move into the other region waits for the ticket; granted, the gate starts there",
    () => {
      const xml = configurationXml(generate(twoRegions(), facts()));
      const dir = mkdtempSync(join(tmpdir(), 'rk-ticket-'));
      try {
        // an operator's move to node-b (crm_resource --move writes this constraint)
        const cib = cibWith(xml, '<rsc_location id="cli-prefer-rk-routes" rsc="rk-routes" node="node-b" score="INFINITY"/>');
        const verify = spawnSync('crm_verify', ['--xml-text', cib], { encoding: 'utf8' });
        expect(verify.status, `${verify.stdout}${verify.stderr}`).toBe(0);
        const f = join(dir, 'cib.xml');
        const sim = (...extra: string[]) => {
          writeFileSync(f, cib);
          const r = spawnSync('crm_simulate', ['--xml-file', f, '--simulate', '--output-as=xml', ...extra], { encoding: 'utf8' });
          expect(r.status, r.stderr).toBe(0);
          const out = parseXml(r.stdout, 'crm_simulate');
          const where = (id: string) =>
            all(out, 'resource')
              .filter((x) => x.attrs.id === id && x.attrs.role === 'Started')
              .flatMap((x) => kids(x, 'node').map((n) => n.attrs.name));
          return { routes: where('routes'), vip: where('vip'), gate: where('rk-routes-grant-eu-west-1-attr') };
        };
        // no grant: the move waits (the hierarchy stays in its home region), the gate runs nowhere
        expect(sim()).toEqual({ routes: ['node-a'], vip: ['node-a'], gate: [] });
        // granted: the gate starts on node-b (where its attribute then lets the hierarchy follow: the lab test shows it)
        expect(sim('--ticket-grant', 'rk-routes-eu-west-1').gate).toEqual(['node-b']);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );
});

describe('cross-region grants stand-alone (file store)', () => {
  it('a restore into another region is refused until granted (exit 4, store unchanged), allowed in the home region; grant and revoke', async () => {
    const sb = recSandbox();
    await sb.create('app');
    await sb.ok(['extend', 'app', '--server', 'node-b', '--priority', '10']);
    new FileStore(sb.stateDir).update((d) => {
      d.resources.app!.servers['node-a']!.info.region = 'us-east-1';
      d.resources.app!.servers['node-b']!.info.region = 'eu-west-1';
    });
    await sb.ok(['action', 'app', 'restore'], 'node-a');
    const before = sb.storeBytes();
    const logBefore = sb.log().length;
    const no = await sb.run(['action', 'app', 'restore'], { node: 'node-b' });
    expect(no.exitCode).toBe(4);
    expect(no.stderr).toContain("needs the operator's grant of ticket rk-app-eu-west-1");
    expect(no.stderr).toContain('kit-runner cluster grant app eu-west-1');
    expect(sb.storeBytes()).toBe(before);
    expect(sb.log().length).toBe(logBefore);
    // bad input names the field
    const bad = await sb.run(['cluster', 'grant', 'app', 'us-east-1']);
    expect(bad.exitCode).toBe(6);
    expect(bad.stderr).toContain('its other regions are eu-west-1');
    const g = await sb.ok(['cluster', 'grant', 'app', 'eu-west-1']);
    expect(g.stdout).toContain('ticket rk-app-eu-west-1 granted (grants.json)');
    expect((await sb.ok(['cluster', 'grant', 'app', 'eu-west-1'])).stdout).toContain('already granted');
    expect(Object.keys(JSON.parse(readFileSync(join(sb.stateDir, 'grants.json'), 'utf8')))).toEqual(['rk-app-eu-west-1']);
    await sb.ok(['action', 'app', 'restore'], 'node-b');
    expect(
      sb
        .log()
        .filter((l) => l.action === 'restore:end')
        .map((l) => l.server),
    ).toEqual(['node-a', 'node-b']);
    // back home needs no grant; revoked, node-b is refused again
    await sb.ok(['action', 'app', 'restore'], 'node-a');
    await sb.ok(['cluster', 'revoke', 'app', 'eu-west-1']);
    expect((await sb.run(['action', 'app', 'restore'], { node: 'node-b' })).exitCode).toBe(4);
  });
});

describe('cross-region grants: cluster apply', () => {
  /** A fake cibadmin over one <configuration> document (a unit test: the lab test runs the real one). */
  function fakeCib(initial: string) {
    const conf = parseXml(initial);
    const calls: string[][] = [];
    const runner = {
      run: async (argv: readonly string[], input?: string) => {
        calls.push([...argv]);
        if (argv[1] === '--query') return { code: 0, stdout: serialize(conf), stderr: '' };
        const x = parseXml(input ?? '<x/>');
        const sections = (root: typeof conf) => ['resources', 'constraints'].map((n) => root.children.find((k) => k.name === n)!);
        if (argv[1] === '--delete') for (const sec of sections(conf)) sec.children = sec.children.filter((k) => k.attrs.id !== x.attrs.id);
        if (argv[1] === '--modify') {
          const [r, c] = sections(conf);
          const [nr, nc] = sections(x);
          r!.children.push(...nr!.children);
          c!.children.push(...nc!.children);
        }
        if (argv[1] === '--replace') for (const sec of sections(conf)) sec.children = sec.children.map((k) => (k.attrs.id === x.attrs.id ? x : k));
        return { code: 0, stdout: '', stderr: '' };
      },
    };
    return { runner, calls, conf: () => conf };
  }

  it('writes the gate, ticket and rules once; a second apply writes nothing; one region again removes them all', async () => {
    const cib = fakeCib('<configuration><resources/><constraints/></configuration>');
    const first = await applyGenerated(cib.runner, generate(twoRegions(), facts()));
    expect(first.created).toEqual(
      expect.arrayContaining(['rk-routes', 'rk-routes-grant-eu-west-1', 'rk-routes-ticket-eu-west-1', 'rk-routes-grant-eu-west-1-on-node-b']),
    );
    const writes = cib.calls.length;
    const again = await applyGenerated(cib.runner, generate(twoRegions(), facts()));
    expect(again.created.length + again.replaced.length + again.deleted.length).toBe(0);
    expect(cib.calls.length).toBe(writes + 1); // the query only
    const one = twoRegions();
    one.resources.routes!.servers['node-b']!.overrides = { region: 'us-east-1' };
    const back = await applyGenerated(cib.runner, generate(one, facts()));
    expect(back.deleted.sort()).toEqual([
      'rk-routes-grant-eu-west-1',
      'rk-routes-grant-eu-west-1-in-region',
      'rk-routes-grant-eu-west-1-on-node-b',
      'rk-routes-ticket-eu-west-1',
    ]);
    const left = serialize(cib.conf());
    expect(left).not.toContain('grant');
    expect(left).not.toContain('rsc_ticket');
    expect(left).toContain('<group id="rk-routes"');
  });
});
