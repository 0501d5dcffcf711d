/**
 * Node health attributes: a kit that publishes `rk-health-<tag>` (a `health` command, like
 * ocf:pacemaker:ping's `pingd`; kits/libreswan) gets a location rule keeping its resource off a
 * node whose attribute says `failed` (the kit's failover decision).
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
