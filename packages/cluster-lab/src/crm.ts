/** crm_mon --output-as=xml and the CIB status section, read into plain objects. */
import { child, childrenNamed, descendants, parseXml, type XmlElement } from './xml.ts';

export interface MonNode {
  name: string;
  id: string;
  online: boolean;
  standby: boolean;
  unclean: boolean;
  pending: boolean;
  shutdown: boolean;
  isDc: boolean;
  resourcesRunning: number;
}

export interface MonResource {
  id: string;
  /** e.g. `ocf:pacemaker:Dummy`, `stonith:fence_lab`. */
  agent: string;
  /** Started, Stopped, Starting, Stopping, Promoted, Unpromoted… */
  role: string;
  active: boolean;
  failed: boolean;
  managed: boolean;
  blocked: boolean;
  /** Nodes the resource is active on. */
  nodes: string[];
  /** The group or clone it is a member of, if any. */
  parent?: string;
}

export interface MonFailure {
  /** e.g. `dummy_monitor_10000`. */
  opKey: string;
  node: string;
  task: string;
  intervalMs: number;
  exitCode: number;
  exitStatus: string;
  exitReason: string;
  status: string;
}

export interface MonHistory {
  node: string;
  resource: string;
  failCount: number;
}

export interface MonFence {
  target: string;
  action: string;
  status: string;
  delegate?: string;
  completed?: string;
}

export interface CrmMon {
  /** The node that answered. */
  from: string;
  /** The pacemakerd state reported (`running`, `shutting_down`…). */
  pacemakerd?: string;
  dc?: { name: string; id: string };
  /** `with_quorum` of the DC as this node sees it (false when there is no DC). */
  quorum: boolean;
  nodes: MonNode[];
  resources: MonResource[];
  failures: MonFailure[];
  history: MonHistory[];
  fencing: MonFence[];
  /** The XML as crm_mon printed it. */
  xml: string;
}

const bool = (v: string | undefined) => v === 'true';

function resourcesOf(el: XmlElement | undefined, parent?: string): MonResource[] {
  const out: MonResource[] = [];
  for (const c of el?.children ?? []) {
    if (c.name === 'resource') {
      out.push({
        id: c.attrs.id ?? '',
        agent: c.attrs.resource_agent ?? '',
        role: c.attrs.role ?? '',
        active: bool(c.attrs.active),
        failed: bool(c.attrs.failed),
        managed: bool(c.attrs.managed),
        blocked: bool(c.attrs.blocked),
        nodes: childrenNamed(c, 'node').map((n) => n.attrs.name ?? ''),
        ...(parent ? { parent } : {}),
      });
    } else if (c.name === 'group' || c.name === 'clone' || c.name === 'bundle') {
      out.push(...resourcesOf(c, c.attrs.id));
    }
  }
  return out;
}

/** Reads `crm_mon --output-as=xml -1` output; throws when crm_mon reported an error status. */
export function parseCrmMon(xml: string, from: string): CrmMon {
  const root = parseXml(xml, 'crm_mon');
  const status = child(root, 'status');
  if (status && status.attrs.code !== '0') {
    const errors = descendants(status, 'error')
      .map((e) => textOf(e))
      .join('; ');
    throw new Error(`crm_mon on ${from}: ${status.attrs.message ?? 'error'} (code ${status.attrs.code})${errors ? `: ${errors}` : ''}`);
  }
  const summary = child(root, 'summary');
  const dc = child(summary, 'current_dc');
  const nodes = childrenNamed(child(root, 'nodes'), 'node').map((n) => ({
    name: n.attrs.name ?? '',
    id: n.attrs.id ?? '',
    online: bool(n.attrs.online),
    standby: bool(n.attrs.standby),
    unclean: bool(n.attrs.unclean),
    pending: bool(n.attrs.pending),
    shutdown: bool(n.attrs.shutdown),
    isDc: bool(n.attrs.is_dc),
    resourcesRunning: Number(n.attrs.resources_running ?? 0),
  }));
  const failures = childrenNamed(child(root, 'failures'), 'failure').map((f) => ({
    opKey: f.attrs.op_key ?? '',
    node: f.attrs.node ?? '',
    task: f.attrs.task ?? '',
    intervalMs: Number(f.attrs.interval ?? 0),
    exitCode: Number(f.attrs.exitcode ?? -1),
    exitStatus: f.attrs.exitstatus ?? '',
    exitReason: f.attrs.exitreason ?? '',
    status: f.attrs.status ?? '',
  }));
  const history: MonHistory[] = [];
  for (const n of childrenNamed(child(root, 'node_history'), 'node')) {
    for (const r of childrenNamed(n, 'resource_history')) {
      history.push({ node: n.attrs.name ?? '', resource: r.attrs.id ?? '', failCount: Number(r.attrs['fail-count'] ?? 0) });
    }
  }
  const fencing = childrenNamed(child(root, 'fence_history'), 'fence_event').map((f) => ({
    target: f.attrs.target ?? '',
    action: f.attrs.action ?? '',
    status: f.attrs.status ?? '',
    ...(f.attrs.delegate ? { delegate: f.attrs.delegate } : {}),
    ...(f.attrs.completed ? { completed: f.attrs.completed } : {}),
  }));
  const present = bool(dc?.attrs.present);
  const pcmkd = child(root, 'pacemakerd')?.attrs.state;
  return {
    from,
    ...(pcmkd ? { pacemakerd: pcmkd } : {}),
    ...(present ? { dc: { name: dc!.attrs.name ?? '', id: dc!.attrs.id ?? '' } } : {}),
    quorum: present && bool(dc?.attrs.with_quorum),
    nodes,
    resources: resourcesOf(child(root, 'resources')),
    failures,
    history,
    fencing,
    xml,
  };
}

function textOf(e: XmlElement): string {
  return e.text || e.name;
}

/** One `lrm_rsc_op` entry of the CIB status section: what the executor last recorded. */
export interface LrmOp {
  node: string;
  resource: string;
  id: string;
  operation: string;
  intervalMs: number;
  rcCode: number;
  opStatus: number;
  callId: number;
  exitReason: string;
  /** How long the agent ran (exec-time, ms) and waited in the executor's queue (queue-time, ms). */
  execMs: number;
  queueMs: number;
}

/** The `lrm_rsc_op` entries of a CIB (or its status section) as XML. */
export function parseLrmOps(cibXml: string): LrmOp[] {
  const root = parseXml(cibXml, 'cibadmin');
  const out: LrmOp[] = [];
  for (const state of descendants(root, 'node_state')) {
    for (const rsc of descendants(state, 'lrm_resource')) {
      for (const op of childrenNamed(rsc, 'lrm_rsc_op')) {
        out.push({
          node: state.attrs.uname ?? '',
          resource: rsc.attrs.id ?? '',
          id: op.attrs.id ?? '',
          operation: op.attrs.operation ?? '',
          intervalMs: Number(op.attrs.interval ?? 0),
          rcCode: Number(op.attrs['rc-code'] ?? -1),
          opStatus: Number(op.attrs['op-status'] ?? -1),
          callId: Number(op.attrs['call-id'] ?? -1),
          exitReason: op.attrs['exit-reason'] ?? '',
          execMs: Number(op.attrs['exec-time'] ?? 0),
          queueMs: Number(op.attrs['queue-time'] ?? 0),
        });
      }
    }
  }
  return out;
}

/** Transient node attributes from the CIB status (fail-count-*, last-failure-*, …), per node. */
export function parseTransientAttrs(cibXml: string): Record<string, Record<string, string>> {
  const root = parseXml(cibXml, 'cibadmin');
  const out: Record<string, Record<string, string>> = {};
  for (const state of descendants(root, 'node_state')) {
    const attrs: Record<string, string> = {};
    for (const ta of childrenNamed(state, 'transient_attributes')) {
      for (const nv of descendants(ta, 'nvpair')) attrs[nv.attrs.name ?? ''] = nv.attrs.value ?? '';
    }
    out[state.attrs.uname ?? ''] = attrs;
  }
  return out;
}
