/**
 * A switchover through Pacemaker, never behind its back: `crm_resource --move` (a cli-prefer
 * constraint for the target node), a wait until crm_mon (XML) shows every member of the hierarchy
 * Started there, then `crm_resource --clear` so the priorities and stickiness decide again (with
 * intelligent switchback the high stickiness keeps it where it now is). On time-out the move
 * constraint is cleared as well and the error says what crm_mon showed last.
 */
import { KitError } from '@recovery-kit/sdk';
import { WaitTimeoutError, waitFor } from '@recovery-kit/sdk/util';
import type { CibRunner } from './apply.ts';
import { all, kids, parseXml } from './xml.ts';

export interface Placement {
  /**
   * Resource id -> nodes it is active on, and its role. A promotable clone's instances share the
   * primitive's id: merged into one entry (every node, role Promoted when one instance is), with
   * `promoted` the nodes where an instance is Promoted.
   */
  resources: Record<string, { role: string; nodes: string[]; failed: boolean; promoted: string[]; roles: boolean }>;
}

export async function placement(cib: CibRunner): Promise<Placement> {
  const r = await cib.run(['crm_mon', '--output-as=xml', '-1']);
  if (r.code !== 0 && !r.stdout.includes('<pacemaker-result'))
    throw new KitError(`crm_mon failed (exit ${r.code}): ${r.stderr.trim()}`, {
      code: 'CIB_FAILED',
      exitCode: 1,
      fix: 'check that this node is an online cluster member',
    });
  return parsePlacement(r.stdout);
}

/** Where crm_mon's XML (`crm_mon --output-as=xml -1`) has each resource. */
export function parsePlacement(xml: string): Placement {
  const root = parseXml(xml, 'crm_mon --output-as=xml');
  const out: Placement = { resources: {} };
  for (const res of all(root, 'resource')) {
    const id = res.attrs.id!;
    const role = res.attrs.role ?? '';
    const nodes = kids(res, 'node').map((n) => n.attrs.name!);
    const failed = res.attrs.failed === 'true';
    const promoted = role === 'Promoted' ? [...nodes] : [];
    const roles = role === 'Promoted' || role === 'Unpromoted';
    const seen = out.resources[id];
    if (!seen) {
      out.resources[id] = { role, nodes, failed, promoted, roles };
      continue;
    }
    seen.nodes.push(...nodes.filter((n) => !seen.nodes.includes(n)));
    seen.promoted.push(...promoted);
    seen.failed ||= failed;
    seen.roles ||= roles;
    if (role === 'Promoted') seen.role = role;
  }
  return out;
}

export interface MoveResult {
  node: string;
  waitedMs: number;
  polls: number;
}

/**
 * Moves the Pacemaker resource `rsc` (a group or primitive, or with `promoted` a promotable clone's
 * Promoted role: `crm_resource --move --promoted`) whose members are `members` to `node`. A member
 * in `cloned` is there when its only Promoted instance is on `node`; the others when Started there.
 */
export async function moveTo(
  cib: CibRunner,
  rsc: string,
  members: readonly string[],
  node: string,
  o: { timeoutMs: number; promoted?: boolean; cloned?: ReadonlySet<string> },
): Promise<MoveResult> {
  const already = await placement(cib);
  const at = (p: Placement, m: string) => {
    const e = p.resources[m];
    if (o.cloned?.has(m)) return e?.promoted.length === 1 && e.promoted[0] === node;
    return e?.role === 'Started' && e.nodes.length === 1 && e.nodes[0] === node;
  };
  const on = (p: Placement) => members.every((m) => at(p, m));
  if (on(already)) return { node, waitedMs: 0, polls: 0 };
  // A hierarchy taken out of service (target-role=Stopped by a cluster-mode remove) is allowed to start again.
  await cib.run(['crm_resource', '--resource', rsc, '--meta', '--delete-parameter', 'target-role']);
  if (on(await placement(cib))) return { node, waitedMs: 0, polls: 0 };
  const mv = await cib.run(['crm_resource', '--move', '--resource', rsc, '--node', node, ...(o.promoted ? ['--promoted'] : [])]);
  // 108 "Requested item already exists": the resource is already on (or starting on) that node; wait for it.
  if (mv.code !== 0 && !/already exists/i.test(mv.stderr))
    throw new KitError(`crm_resource --move ${rsc} to ${node} failed (exit ${mv.code}): ${mv.stderr.trim()}`, {
      code: 'CIB_FAILED',
      exitCode: 1,
      fix: `check that ${node} is an online cluster node that ${rsc} may run on ("crm_mon -1")`,
    });
  let last: Placement = already;
  try {
    const w = await waitFor(
      `${rsc} started on ${node}`,
      async () => {
        last = await placement(cib);
        return on(last) ? true : undefined;
      },
      { deadline: Date.now() + o.timeoutMs, initialDelayMs: 100, maxDelayMs: 250, factor: 1.2 },
    );
    return { node, waitedMs: w.waitedMs, polls: w.polls };
  } catch (err) {
    if (err instanceof WaitTimeoutError) {
      const seen = members.map((m) => `${m}=${last.resources[m]?.role ?? 'absent'}@${last.resources[m]?.nodes.join('+') || '-'}`).join(' ');
      throw new KitError(`${rsc} was not started on ${node} within ${o.timeoutMs} ms (last seen: ${seen}); the move was withdrawn`, {
        code: 'TIMEOUT',
        exitCode: 124,
        fix: `see "crm_mon -1 --show-detail" and the failures on ${node}; "crm_resource --cleanup --resource ${rsc}" clears failed operations`,
      });
    }
    throw err;
  } finally {
    await cib.run(['crm_resource', '--clear', '--resource', rsc]);
  }
}

/** Takes `rsc` out of service everywhere through Pacemaker (target-role=Stopped) and waits until every member is stopped. */
export async function stopAll(cib: CibRunner, rsc: string, members: readonly string[], o: { timeoutMs: number }): Promise<MoveResult> {
  const set = await cib.run(['crm_resource', '--resource', rsc, '--meta', '--set-parameter', 'target-role', '--parameter-value', 'Stopped']);
  if (set.code !== 0)
    throw new KitError(`crm_resource could not stop ${rsc} (exit ${set.code}): ${set.stderr.trim()}`, {
      code: 'CIB_FAILED',
      exitCode: 1,
      fix: 'check that this node is an online cluster member ("crm_mon -1")',
    });
  let last: Placement | undefined;
  try {
    const w = await waitFor(
      `${rsc} stopped`,
      async () => {
        last = await placement(cib);
        return members.every((m) => !last!.resources[m] || last!.resources[m]!.nodes.length === 0) ? true : undefined;
      },
      { deadline: Date.now() + o.timeoutMs, initialDelayMs: 100, maxDelayMs: 250, factor: 1.2 },
    );
    return { node: '', waitedMs: w.waitedMs, polls: w.polls };
  } catch (err) {
    if (err instanceof WaitTimeoutError) {
      const seen = members.map((m) => `${m}=${last?.resources[m]?.role ?? 'absent'}@${last?.resources[m]?.nodes.join('+') || '-'}`).join(' ');
      throw new KitError(`${rsc} did not stop within ${o.timeoutMs} ms (last seen: ${seen})`, {
        code: 'TIMEOUT',
        exitCode: 124,
        fix: `see "crm_mon -1 --show-detail"; a stop that fails gets the node fenced`,
      });
    }
    throw err;
  }
}
