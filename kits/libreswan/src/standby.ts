/**
 * The other VPN node's tunnel health, and this node's, for seed 000's failover table.
 *
 * Every VPN node's check (`kit-runner action TAG health`, and the active node's recover)
 * publishes its result as a transient Pacemaker node attribute, `rk-health-<tag>`, the way
 * ocf:pacemaker:ping publishes `pingd` (`attrd_updater -n NAME -U VALUE`; lifetime "reboot").
 * Values:
 *
 * | value | meaning | the location rule |
 * | --- | --- | --- |
 * | `healthy` | check passed | |
 * | `recovered` | check failed, local recovery repaired it | |
 * | `failed` | local recovery failed (on the active node: and the standby is healthy, so move) | -INFINITY: not here |
 * | `degraded:<epoch s>` | the active node's recovery failed and no standby is healthy: stays (success reported), keeps trying | |
 *
 * The active node reads the others' values when its own recovery fails: from the `standbyHealth`
 * command when one is configured (file mode: e.g. ssh to the standby running `kit-runner action
 * TAG health`), else from the attribute (`attrd_updater -Q -A -n NAME`).
 */
import type { Exec, Logger } from '@recovery-kit/sdk';
import { splitArgs } from '@recovery-kit/sdk/util';
import type { NodeHealth } from './failover.ts';

export const attributeOf = (tag: string) => `rk-health-${tag.replace(/[^A-Za-z0-9_.-]/g, '_')}`;

/** How long after a "both failed" recover this node's own quickCheck reports `unknown` (the agent's re-check), not `failed`. */
export const DEGRADED_GRACE_S = 120;

export type Published = NodeHealth | 'degraded';

interface Deps {
  exec: Exec;
  logger: Logger;
  tag: string;
  /** This node's name (Pacemaker's node name under the agent). */
  node: string;
}

/** Publishes this node's health as the node attribute; where there is no Pacemaker it says so at debug level and goes on. */
export async function publish(d: Deps, value: Published): Promise<boolean> {
  const v = value === 'degraded' ? `degraded:${Math.floor(Date.now() / 1000)}` : value;
  const r = await d.exec('attrd_updater', ['-n', attributeOf(d.tag), '-U', v], { reject: false, timeoutMs: 15_000 });
  if (r.exitCode === 0) {
    d.logger.info(`node attribute ${attributeOf(d.tag)}=${v} on ${d.node}`);
    return true;
  }
  d.logger.debug(`no Pacemaker attribute published (attrd_updater exit ${r.exitCode ?? 'timeout'}: ${(r.stderr || r.stdout).trim().slice(0, 200)})`);
  return false;
}

export interface AttributeValue {
  host: string;
  value: string;
}

/** `attrd_updater -Q -A` output: `name="rk-health-vpn" host="node-b" value="healthy"`, one line per node. */
export function parseAttrdQuery(text: string): AttributeValue[] {
  const out: AttributeValue[] = [];
  for (const line of text.split('\n')) {
    const host = /\bhost="([^"]*)"/.exec(line)?.[1];
    const value = /\bvalue="([^"]*)"/.exec(line)?.[1];
    if (host !== undefined && value !== undefined) out.push({ host, value });
  }
  return out;
}

/** One published value as the table's input: `degraded` (recovery failed, kept in place) counts as failed. */
export function healthOfValue(value: string | undefined): NodeHealth {
  if (value === 'healthy' || value === 'recovered' || value === 'failed') return value;
  if (value?.startsWith('degraded')) return 'failed';
  return 'unknown';
}

/** `degraded:<epoch>` written less than DEGRADED_GRACE_S ago. */
export function freshDegraded(value: string | undefined, now = Date.now()): boolean {
  const m = value && /^degraded:(\d+)$/.exec(value);
  return Boolean(m && now / 1000 - Number(m[1]) < DEGRADED_GRACE_S);
}

const RANK: Record<NodeHealth, number> = { healthy: 3, recovered: 2, unknown: 1, failed: 0 };

/** What a standbyHealth command printed: JSON with `health` (kit-runner --json), or the first health word. */
export function parseHealthOutput(stdout: string): NodeHealth {
  const t = stdout.trim();
  try {
    const j = JSON.parse(t) as { health?: unknown; result?: { health?: unknown } };
    const h = j.health ?? j.result?.health;
    if (typeof h === 'string') return healthOfValue(h);
  } catch {
    /* not JSON */
  }
  const word = /\b(healthy|recovered|failed|unknown)\b/.exec(t)?.[1];
  return healthOfValue(word);
}

/** The best health among the other VPN nodes (a standby to move to), with where it came from. */
export async function standbyHealth(d: Deps & { command: string | undefined; deadline: number }): Promise<{ health: NodeHealth; detail: string }> {
  if (d.command) {
    const [file, ...args] = splitArgs(d.command);
    const r = await d.exec(file!, args, { reject: false, timeoutMs: Math.max(1000, Math.min(180_000, d.deadline - Date.now() - 2000)) });
    if (r.exitCode === undefined) return { health: 'unknown', detail: `standbyHealth command did not finish (${r.timedOut ? 'timed out' : r.signal})` };
    const health = parseHealthOutput(r.stdout);
    // kit-runner exits 0 for a command that ran; its output carries the health (failed is a result, not an error).
    return {
      health: r.exitCode === 0 || health !== 'unknown' ? health : 'unknown',
      detail: `standbyHealth command: ${health}${r.exitCode !== 0 ? ` (exit ${r.exitCode}: ${(r.stderr || r.stdout).trim().split('\n').slice(-1)[0]?.slice(0, 200)})` : ''}`,
    };
  }
  const r = await d.exec('attrd_updater', ['-Q', '-A', '-n', attributeOf(d.tag)], { reject: false, timeoutMs: 15_000 });
  if (r.exitCode !== 0)
    return {
      health: 'unknown',
      detail: `no standbyHealth command and no Pacemaker attribute ${attributeOf(d.tag)} to read (attrd_updater exit ${r.exitCode ?? 'timeout'})`,
    };
  const others = parseAttrdQuery(r.stdout).filter((a) => a.host !== d.node);
  if (!others.length) return { health: 'unknown', detail: `no other node has published ${attributeOf(d.tag)}` };
  const best = others.map((a) => ({ ...a, health: healthOfValue(a.value) })).sort((a, b) => RANK[b.health] - RANK[a.health])[0]!;
  return { health: best.health, detail: `${attributeOf(d.tag)}: ${others.map((a) => `${a.host}=${a.value}`).join(', ')}` };
}

/** This node's own published value (undefined without Pacemaker). */
export async function ownValue(d: Deps): Promise<string | undefined> {
  const r = await d.exec('attrd_updater', ['-Q', '-n', attributeOf(d.tag), '-N', d.node], { reject: false, timeoutMs: 15_000 });
  if (r.exitCode !== 0) return undefined;
  return parseAttrdQuery(r.stdout)[0]?.value;
}
