// The lab's generated files and XML readers, without a cluster (no root needed).
import { describe, expect, it } from 'vitest';
import { corosyncConf, parseCrmMon, parseLrmOps, parseTransientAttrs, parseXml, seedCib } from '../src/index.ts';

const nodes = [
  { name: 'node-a', nodeid: 1, addr: '10.99.0.1' },
  { name: 'node-b', nodeid: 2, addr: '10.99.0.2' },
];

describe('corosyncConf', () => {
  it('knet with the token and one block per node, each key on its own line (corosync rejects "node { name: x")', () => {
    const conf = corosyncConf({ clusterName: 'lab', nodes, tokenMs: 1000, twoNode: true });
    expect(conf).toContain('  transport: knet\n');
    expect(conf).toContain('  token: 1000\n');
    expect(conf).toContain('  node {\n    name: node-b\n    nodeid: 2\n    ring0_addr: 10.99.0.2\n  }');
    expect(conf).toContain('  two_node: 1\n');
    expect(conf).not.toContain('device {');
    for (const line of conf.split('\n')) expect(line).not.toMatch(/\{\s*\S/);
  });

  it('a qdevice block for the witness (ffsplit, TLS), and two_node refused beside it', () => {
    const conf = corosyncConf({ clusterName: 'lab', nodes, tokenMs: 1000, qdevice: { host: '10.99.0.10', port: 5403, algorithm: 'ffsplit', tls: true } });
    expect(conf).toMatch(/device \{\n\s+model: net\n\s+votes: 1\n/);
    expect(conf).toContain('      host: 10.99.0.10\n');
    expect(conf).toContain('      algorithm: ffsplit\n');
    expect(conf).toContain('      tls: on\n');
    expect(conf).not.toContain('two_node');
    expect(() => corosyncConf({ clusterName: 'lab', nodes, tokenMs: 1000, twoNode: true, qdevice: { host: 'x', port: 1, algorithm: 'ffsplit', tls: true } })).toThrow(/two_node and a qdevice/);
  });
});

describe('seedCib', () => {
  it('is a CIB without crm_feature_set, with the properties (escaped) and optional resources', () => {
    const xml = seedCib({ 'dc-deadtime': '2s', odd: 'a"<b' }, '<primitive id="x" class="stonith" type="fence_lab"/>');
    const root = parseXml(xml);
    expect(root.name).toBe('cib');
    expect(root.attrs['crm_feature_set']).toBeUndefined();
    expect(root.attrs['validate-with']).toBe('pacemaker-3.9');
    const nv = Object.fromEntries(
      root.children[0]!.children[0]!.children[0]!.children.map((n) => [n.attrs.name, n.attrs.value]),
    );
    expect(nv).toEqual({ 'dc-deadtime': '2s', odd: 'a"<b' });
    expect(xml).toContain('<resources>\n<primitive id="x"');
  });
});

const MON = `<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml -1">
  <pacemakerd sys_from="pacemakerd" state="running" last_updated="2026-12-01 22:18:09Z"/>
  <summary>
    <stack type="corosync"/>
    <current_dc present="true" version="2.1.5" name="node-b" id="2" with_quorum="true" mixed_version="false"/>
  </summary>
  <nodes>
    <node name="node-a" id="1" online="false" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="true" health="green" shutdown="false" expected_up="true" is_dc="false" resources_running="1" type="member"/>
    <node name="node-b" id="2" online="true" standby="false" standby_onfail="false" maintenance="false" pending="false" unclean="false" health="green" shutdown="false" expected_up="true" is_dc="true" resources_running="1" type="member"/>
  </nodes>
  <resources>
    <resource id="lab-fence" resource_agent="stonith:fence_lab" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1"><node name="node-b" id="2" cached="true"/></resource>
    <group id="g" number_resources="1">
      <resource id="web" resource_agent="ocf:pacemaker:Dummy" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="true" failure_ignored="false" nodes_running_on="1"><node name="node-a" id="1" cached="true"/></resource>
    </group>
  </resources>
  <node_history><node name="node-a"><resource_history id="web" orphan="false" migration-threshold="1000000" fail-count="2"/></node></node_history>
  <failures>
    <failure op_key="web_monitor_2000" node="node-a" exitstatus="not running" exitreason="No process state file found" exitcode="7" call="12" status="complete" queued="0" exec="0" interval="2000" task="monitor"/>
  </failures>
  <fence_history><fence_event action="off" target="node-a" client="pacemaker-controld.1" origin="node-b" status="success" delegate="node-b" completed="2026-12-01 22:30:00Z"/></fence_history>
  <status code="0" message="OK"/>
</pacemaker-result>`;

describe('parseCrmMon', () => {
  it('reads DC, quorum, nodes, resources (in groups too), failures, fail counts and fencing', () => {
    const m = parseCrmMon(MON, 'node-b');
    expect(m.dc).toEqual({ name: 'node-b', id: '2' });
    expect(m.quorum).toBe(true);
    expect(m.pacemakerd).toBe('running');
    expect(m.nodes.map((n) => [n.name, n.online, n.unclean, n.isDc])).toEqual([
      ['node-a', false, true, false],
      ['node-b', true, false, true],
    ]);
    expect(m.resources).toEqual([
      { id: 'lab-fence', agent: 'stonith:fence_lab', role: 'Started', active: true, failed: false, managed: true, blocked: false, nodes: ['node-b'] },
      { id: 'web', agent: 'ocf:pacemaker:Dummy', role: 'Started', active: true, failed: true, managed: true, blocked: false, nodes: ['node-a'], parent: 'g' },
    ]);
    expect(m.failures).toEqual([
      { opKey: 'web_monitor_2000', node: 'node-a', task: 'monitor', intervalMs: 2000, exitCode: 7, exitStatus: 'not running', exitReason: 'No process state file found', status: 'complete' },
    ]);
    expect(m.history).toEqual([{ node: 'node-a', resource: 'web', failCount: 2 }]);
    expect(m.fencing).toEqual([{ target: 'node-a', action: 'off', status: 'success', delegate: 'node-b', completed: '2026-12-01 22:30:00Z' }]);
  });

  it('no DC means no quorum; an error status throws with crm_mon\'s own message', () => {
    const noDc = MON.replace(/<current_dc [^>]*\/>/, '<current_dc present="false"/>');
    expect(parseCrmMon(noDc, 'node-a').quorum).toBe(false);
    expect(parseCrmMon(noDc, 'node-a').dc).toBeUndefined();
    const err = `<pacemaker-result api-version="2.25" request="crm_mon"><status code="102" message="Not connected"><errors><error>crm_mon: Connection to cluster failed: Connection refused</error></errors></status></pacemaker-result>`;
    expect(() => parseCrmMon(err, 'node-a')).toThrow(/crm_mon on node-a: Not connected \(code 102\): crm_mon: Connection to cluster failed/);
  });
});

describe('CIB status', () => {
  const STATUS = `<status>
    <node_state id="1" uname="node-a" in_ccm="true" crmd="online">
      <transient_attributes id="1"><instance_attributes id="status-1">
        <nvpair id="status-1-fail-count-dummy.monitor_1000" name="fail-count-dummy#monitor_1000" value="1"/>
      </instance_attributes></transient_attributes>
      <lrm id="1"><lrm_resources>
        <lrm_resource id="dummy" type="Dummy" class="ocf" provider="pacemaker">
          <lrm_rsc_op id="dummy_last_0" operation="start" interval="0" rc-code="0" op-status="0" call-id="9"/>
          <lrm_rsc_op id="dummy_last_failure_0" operation="monitor" interval="1000" rc-code="7" op-status="0" call-id="10" exit-reason="gone"/>
        </lrm_resource>
      </lrm_resources></lrm>
    </node_state>
  </status>`;
  it('lrm_rsc_op entries and transient attributes per node', () => {
    expect(parseLrmOps(STATUS).map((o) => [o.node, o.resource, o.operation, o.intervalMs, o.rcCode, o.callId, o.exitReason])).toEqual([
      ['node-a', 'dummy', 'start', 0, 0, 9, ''],
      ['node-a', 'dummy', 'monitor', 1000, 7, 10, 'gone'],
    ]);
    expect(parseTransientAttrs(STATUS)).toEqual({ 'node-a': { 'fail-count-dummy#monitor_1000': '1' } });
  });
});
