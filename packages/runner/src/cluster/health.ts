/**
 * Node health attributes: a kit that publishes `rk-health-<tag>` (a `health` command, like
 * ocf:pacemaker:ping's `pingd`; kits/libreswan) gets
 *
 * - a location rule keeping its resource off a node whose attribute says `failed` (the kit's
 *   failover decision);
 * - a second monitor with `role="Stopped"`: Pacemaker runs a monitor only where the resource is
 *   started, except one for the Stopped role, which it runs on the other nodes (expecting 7, not
 *   running). There the agent runs the kit's health command, which publishes the attribute, and
 *   still reports 7 (ocf/standby.ts): so the standby nodes' health is kept fresh too. Pacemaker
 *   wants the monitors of one resource at different intervals: the Stopped one runs one second
 *   after the kit's check interval.
 */
import { el, safe, type El } from './xml.ts';

/** The node attribute a health-publishing kit's resource TAG sets (kits/libreswan: `rk-health-<tag>`). */
export const healthAttributeOf = (tag: string) => `rk-health-${safe(tag)}`;

/** `rk-ROOT-health-TAG`: not on a node whose `rk-health-TAG` says `failed` (the kit's failover decision). */
export function healthRule(root: string, rsc: string, tag: string): El {
  const id = `rk-${root}-health-${safe(tag)}`;
  return el('rsc_location', { id, rsc }, [
    el('rule', { id: `${id}-rule`, score: '-INFINITY' }, [
      el('expression', { id: `${id}-rule-0`, attribute: healthAttributeOf(tag), operation: 'eq', value: 'failed' }),
    ]),
  ]);
}

/** The Stopped-role monitor of a health-publishing resource: its health check on the nodes where it is not running. */
export function standbyMonitor(tag: string, facts: { monitorIntervalS: number; monitorTimeoutS: number; healthTimeoutS?: number }): El {
  const interval = facts.monitorIntervalS + 1;
  return el('op', {
    id: `${tag}-monitor-${interval}s-stopped`,
    name: 'monitor',
    interval: `${interval}s`,
    role: 'Stopped',
    timeout: `${facts.healthTimeoutS ?? facts.monitorTimeoutS}s`,
  });
}

/**
 * The deeper monitors for a kit's check levels (`checkDepths` in its facts; its `checkLevels`, as
 * the agent's meta-data advertises them): OCF_CHECK_LEVEL 10 at twice the monitor interval, 20 at
 * ten times (e.g. the EC2 kit: level 0 reads nothing, 10 one DescribeRouteTables). Intervals already
 * taken by other monitors (`used`, seconds) are skipped to the next free second.
 */
export function depthMonitors(
  tag: string,
  facts: { monitorIntervalS: number; monitorTimeoutS: number; checkDepths?: readonly (10 | 20)[] },
  used: Set<number>,
): El[] {
  return (facts.checkDepths ?? []).map((depth) => {
    let interval = facts.monitorIntervalS * (depth === 10 ? 2 : 10);
    while (used.has(interval)) interval++;
    used.add(interval);
    const id = `${tag}-monitor-${interval}s-depth${depth}`;
    return el('op', { id, name: 'monitor', interval: `${interval}s`, timeout: `${facts.monitorTimeoutS}s` }, [
      el('instance_attributes', { id: `${id}-ia` }, [el('nvpair', { id: `${id}-ia-level`, name: 'OCF_CHECK_LEVEL', value: String(depth) })]),
    ]);
  });
}
