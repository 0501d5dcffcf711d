// Where crm_mon's XML has each resource (cluster/move.ts parsePlacement), on output recorded from
// Pacemaker 2.1.5 (the two-node lab, after a promotable clone's switchover): a clone's instances
// share the primitive's id and are merged, with the Promoted instance's node kept apart.
import { describe, expect, it } from 'vitest';
import { parsePlacement } from '../src/cluster/move.ts';

const RECORDED = `<pacemaker-result api-version="2.25" request="crm_mon --output-as=xml -1">
  <resources>
    <resource id="app" resource_agent="ocf:recovery-kit:rec" role="Started" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
      <node name="node-b" id="2" cached="true"/>
    </resource>
    <clone id="mir-clone" multi_state="true" unique="false" managed="true" disabled="false" failed="false" failure_ignored="false">
      <resource id="mir" resource_agent="ocf:recovery-kit:scored" role="Promoted" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
        <node name="node-b" id="2" cached="true"/>
      </resource>
      <resource id="mir" resource_agent="ocf:recovery-kit:scored" role="Unpromoted" active="true" orphaned="false" blocked="false" managed="true" failed="false" failure_ignored="false" nodes_running_on="1">
        <node name="node-a" id="1" cached="true"/>
      </resource>
    </clone>
  </resources>
  <status code="0" message="OK"/>
</pacemaker-result>`;

describe('parsePlacement', () => {
  it("merges a promotable clone's instances: every node, Promoted where one instance is", () => {
    const p = parsePlacement(RECORDED);
    expect(p.resources.app).toEqual({ role: 'Started', nodes: ['node-b'], failed: false, promoted: [], roles: false });
    expect(p.resources.mir).toEqual({ role: 'Promoted', nodes: ['node-b', 'node-a'], failed: false, promoted: ['node-b'], roles: true });
  });
});
