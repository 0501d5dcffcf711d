/** The Pacemaker-in-VMs helper's pure parts: corosync.conf, the seed CIB, crm_mon's XML read. */
import { describe, expect, it } from 'vitest';
import { parseCrmMonXml, vmCorosyncConf, vmSeedCib } from '../src/pacemaker.ts';

// crm_mon --one-shot --output-as=xml --inactive of Pacemaker 2.1.5 (bookworm), a promotable clone.
const MON = `<pacemaker-result api-version="2.25" request="crm_mon --one-shot --output-as=xml --inactive">
  <summary>
    <stack type="corosync"/>
    <current_dc present="true" version="2.1.5" name="b" id="2" with_quorum="true" mixed_version="false"/>
  </summary>
  <nodes>
    <node name="a" id="1" online="true" standby="false" pending="false" unclean="false" shutdown="false" expected_up="true" is_dc="false" resources_running="1" type="member"/>
    <node name="b" id="2" online="false" standby="false" pending="false" unclean="false" shutdown="false" expected_up="true" is_dc="true" resources_running="0" type="member"/>
  </nodes>
  <resources>
    <clone id="mirror-clone" multi_state="true" unique="false" maintenance="false" managed="true" disabled="false" failed="false" failure_ignored="false">
      <resource id="mirror" resource_agent="ocf:recovery-kit:mirror" role="Promoted" active="true" orphaned="false" blocked="false" maintenance="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
        <node name="a" id="1" cached="true"/>
      </resource>
      <resource id="mirror" resource_agent="ocf:recovery-kit:mirror" role="Stopped" active="false" orphaned="false" blocked="false" maintenance="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="0"/>
    </clone>
  </resources>
  <node_history><node name="a"><resource_history id="mirror" orphan="false" migration-threshold="1000000"/></node></node_history>
  <failures>
    <failure op_key="mirror_promote_0" node="b" exitstatus="error" exitreason="refusing to make this node the source of r0" exitcode="1" call="20" status="complete" queued="0" exec="9000" interval="0" task="promote"/>
  </failures>
  <status code="0" message="OK"/>
</pacemaker-result>`;

describe('parseCrmMonXml', () => {
  it('reads the DC, quorum, the nodes online, and each clone instance with its role and node', () => {
    const s = parseCrmMonXml(MON);
    expect(s.dc).toBe('b');
    expect(s.quorum).toBe(true);
    expect(s.online).toEqual(['a']);
    expect(s.resources).toEqual([
      { id: 'mirror', role: 'Promoted', node: 'a', failed: false },
      { id: 'mirror', role: 'Stopped', node: undefined, failed: false },
    ]);
    expect(s.failures).toEqual(['mirror_promote_0 on b: error (refusing to make this node the source of r0)']);
  });

  it('no DC, no quorum; no answer at all reads as an empty cluster', () => {
    const s = parseCrmMonXml(MON.replace(/<current_dc [^>]*\/>/, '<current_dc present="false"/>'));
    expect(s.dc).toBeUndefined();
    expect(s.quorum).toBe(false);
    expect(parseCrmMonXml('')).toMatchObject({ dc: undefined, quorum: false, online: [], resources: [], failures: [] });
  });
});

describe('vmCorosyncConf and vmSeedCib', () => {
  it('knet over the given addresses, two_node for two nodes only', () => {
    const two = vmCorosyncConf(
      'rklab',
      [
        { name: 'a', addr: '192.0.2.1' },
        { name: 'b', addr: '192.0.2.2' },
      ],
      5000,
    );
    expect(two).toContain('  transport: knet\n  token: 5000\n');
    expect(two).toContain('    name: b\n    nodeid: 2\n    ring0_addr: 192.0.2.2\n');
    expect(two).toContain('  two_node: 1\n');
    const three = vmCorosyncConf(
      'rklab',
      ['a', 'b', 'c'].map((name, i) => ({ name, addr: `192.0.2.${i + 1}` })),
      5000,
    );
    expect(three).not.toContain('two_node');
  });

  it('the seed CIB carries the properties, escaped', () => {
    const xml = vmSeedCib({ 'stonith-enabled': 'false', odd: 'a"<b&' });
    expect(xml).toContain('<nvpair id="cib-bootstrap-options-stonith-enabled" name="stonith-enabled" value="false"/>');
    expect(xml).toContain('value="a&quot;&lt;b&amp;"');
    expect(xml).not.toContain('crm_feature_set');
  });
});
