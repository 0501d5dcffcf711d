/**
 * The promotion gate, the promotion score and the diagnosis of a mirror's state: pure functions
 * of the engine's status (and what the cluster says about fencing), so that every rule is tested
 * on recorded states without a kernel.
 *
 * The gate (docs/kits/mirror.md, "The promotion gate"): a node becomes the source only if
 * 1. every volume is locally UpToDate;
 * 2. it is not a resync target towards any peer (SyncTarget, PausedSyncT, WFBitMapT ...);
 * 3. it has quorum (DRBD 9), or, with two nodes and the peer not connected, fencing is
 *    configured and the cluster confirmed the peer fenced;
 * 4. no fence constraint (drbd-fence-by-handler-*) excludes it;
 * 5. it is not connected to a live primary.
 * When the local copy is only Consistent or Outdated (the both-down case), or the peer is unknown
 * without confirmed fencing, or a constraint excludes it, the refusal is `forceable`: an operator
 * who knows this node holds the last good copy runs the logged force-online command. An
 * Inconsistent copy, a resync target and a live primary peer are never forceable.
 */
import { TARGET_STATES, SOURCE_STATES, type DiskState, type MirrorStatus, type PeerStatus } from './engine.ts';

export type Fencing = 'none' | 'resource-only' | 'resource-and-stonith';

/** A Pacemaker location constraint placed by DRBD's fence-peer handler. */
export interface FenceConstraint {
  id: string;
  /** The promotable resource it constrains. */
  rsc: string;
  /** Nodes that may still be promoted (the `#uname ne NODE` expressions); all others are excluded. */
  allowed: string[];
}

export interface GateInput {
  status: MirrorStatus;
  /** This node's name (uname -n: what the fence constraints name). */
  node: string;
  fencing: Fencing;
  /** The cluster confirmed the peer fenced (MIRROR_PEER_FENCED). */
  peerFenced: boolean;
  /** Fence constraints for this resource (read from the CIB; empty without Pacemaker). */
  constraints?: readonly FenceConstraint[];
  /** The split-brain handler fired and the peer is not connected again. */
  splitBrain?: boolean;
}

export type GateRule = 'split-brain' | 'attached' | 'uptodate' | 'not-sync-target' | 'quorum' | 'fence-constraint' | 'no-live-primary';

export interface GateRefusal {
  rule: GateRule;
  reason: string;
  fix: string;
  forceable: boolean;
}

export interface GateDecision {
  allowed: boolean;
  /** True when every refusal may be overridden by an operator's force-online. */
  forceable: boolean;
  refusals: GateRefusal[];
  /** One line for logs and errors. */
  summary: string;
}

const connected = (p: PeerStatus) => p.connection === 'Connected';

export function decidePromotion(input: GateInput): GateDecision {
  const { status: s, node } = input;
  const refusals: GateRefusal[] = [];
  const no = (rule: GateRule, reason: string, fix: string, forceable: boolean) => refusals.push({ rule, reason, fix, forceable });
  if (!s.exists || s.volumes.length === 0) {
    no(
      'attached',
      `resource ${s.resource} is not up on ${node} (no volume attached)`,
      `attach it first (drbdadm up ${s.resource}; the kit's restore does this)`,
      false,
    );
    return finish(refusals);
  }
  for (const v of s.volumes) {
    if (v.disk === 'UpToDate') continue;
    if (v.disk === 'Consistent' || v.disk === 'Outdated') {
      no(
        'uptodate',
        `volume ${v.volume} (/dev/drbd${v.minor}) is ${v.disk} on ${node}: it may not hold the latest writes`,
        `bring the other node up so that the mirror can tell which copy is newest; if this node is known to hold the last good copy (it was the last source), run kit-runner action TAG force-online`,
        true,
      );
    } else {
      no(
        'uptodate',
        `volume ${v.volume} (/dev/drbd${v.minor}) is ${v.disk} on ${node}: this copy is not usable as a source`,
        v.disk === 'Inconsistent'
          ? 'let the resync from an UpToDate peer finish (kit-runner action TAG status shows its progress)'
          : `attach the backing disk (kit-runner recover TAG) and let it resync`,
        false,
      );
    }
  }
  for (const p of s.peers) {
    for (const pv of p.volumes) {
      if (TARGET_STATES.has(pv.replication)) {
        const progress =
          pv.donePercent !== undefined ? ` (${pv.donePercent.toFixed(1)}% done${pv.outOfSyncKiB !== undefined ? `, ${pv.outOfSyncKiB} KiB left` : ''})` : '';
        no(
          'not-sync-target',
          `volume ${pv.volume} is a resync target (${pv.replication}) from ${p.name}${progress}`,
          pv.replication === 'PausedSyncT'
            ? `resume the resync (kit-runner action TAG resume) and wait until it ends`
            : 'wait until the resync ends (kit-runner action TAG status)',
          false,
        );
      }
    }
  }
  for (const v of s.volumes) {
    if (v.quorum === false) no('quorum', `volume ${v.volume} has no quorum`, 'bring enough nodes up (or a quorum tiebreaker) before promoting', false);
  }
  const hasQuorumModel = s.volumes.some((v) => v.quorum !== undefined);
  const unreachable = s.peers.filter((p) => !connected(p));
  if (!hasQuorumModel && (unreachable.length > 0 || s.peers.length === 0)) {
    const who = unreachable.map((p) => `${p.name} (${p.connection})`).join(', ') || 'the peer (no connection configured)';
    if (input.fencing === 'none') {
      no(
        'quorum',
        `no quorum with two nodes and ${who} unreachable: its state is unknown and fencing is not configured`,
        'configure fencing (option fencing) so the cluster can confirm the peer fenced, or, if the peer is known to be down and this node holds the last good copy, run kit-runner action TAG force-online',
        true,
      );
    } else if (!input.peerFenced) {
      no(
        'quorum',
        `no quorum with two nodes and ${who} unreachable: the cluster has not confirmed the peer fenced`,
        'fence the peer (stonith) and let the cluster set MIRROR_PEER_FENCED, or run kit-runner action TAG force-online if the peer is known to be down',
        true,
      );
    }
  }
  for (const c of input.constraints ?? []) {
    if (!c.allowed.includes(node)) {
      no(
        'fence-constraint',
        `fence constraint ${c.id} allows promotion only on ${c.allowed.join(', ') || '(no node)'}, not on ${node}`,
        `if the peer's copy was outdated on purpose, let it resync first; if the constraint is stale (both copies UpToDate again) remove it: cibadmin --delete --xml-text '<rsc_location id="${c.id}"/>'`,
        true,
      );
    }
  }
  if (input.splitBrain && s.peers.some((p) => !connected(p))) {
    no(
      'split-brain',
      `split brain on ${s.resource}: this copy and the peer's diverged`,
      `resolve it first (kit-runner action TAG status shows how); if this node's copy is the one to keep and the peer is down, run kit-runner action TAG force-online`,
      true,
    );
  }
  for (const p of s.peers) {
    if (connected(p) && p.role === 'Primary')
      no(
        'no-live-primary',
        `connected to ${p.name}, which is Primary: two sources would split the mirror`,
        `take the resource out of service on ${p.name} first (a switchover demotes it)`,
        false,
      );
  }
  return finish(refusals);
}

function finish(refusals: GateRefusal[]): GateDecision {
  const allowed = refusals.length === 0;
  return {
    allowed,
    forceable: !allowed && refusals.every((r) => r.forceable),
    refusals,
    summary: allowed
      ? 'promotion allowed: every volume UpToDate, no resync target, peer state known, no constraint against this node, no live primary'
      : refusals.map((r) => r.reason).join('; '),
  };
}

/**
 * Promotion score in the spirit of ocf:linbit:drbd's adjust_master_score "0 10 1000 10000":
 * null means remove the score (not promotable: Inconsistent, no disk, quorum lost, connected to a
 * live primary); 'keep' means a transitional state (leave the score as it is).
 */
export type PromotionScore = number | null | 'keep';
export const SCORES = { consistentOnly: 0, remoteOnly: 10, peerUnknown: 1000, upToDate: 10000 } as const;

const TRANSITIONAL: ReadonlySet<DiskState> = new Set(['Attaching', 'Detaching', 'Negotiating']);

export function promotionScore(s: MirrorStatus, opts: { removeIfPeerPrimary?: boolean } = {}): { score: PromotionScore; reason: string } {
  if (!s.exists || s.volumes.length === 0) return { score: null, reason: 'not attached' };
  if (s.volumes.some((v) => TRANSITIONAL.has(v.disk))) return { score: 'keep', reason: `transitional disk state ${s.volumes.map((v) => v.disk).join(',')}` };
  if (s.volumes.some((v) => v.quorum === false)) return { score: null, reason: 'quorum lost' };
  if ((opts.removeIfPeerPrimary ?? true) && s.role !== 'Primary' && s.peers.some((p) => connected(p) && p.role === 'Primary'))
    return { score: null, reason: 'connected to a live Primary' };
  const local = s.volumes.map((v) => v.disk);
  const resyncTarget = s.peers.some((p) => p.volumes.some((v) => TARGET_STATES.has(v.replication)));
  if (local.every((d) => d === 'UpToDate') && !resyncTarget) {
    const peerKnown = s.peers.length > 0 && s.peers.every((p) => connected(p) && p.volumes.every((v) => v.peerDisk !== 'DUnknown'));
    if (s.role === 'Primary' || peerKnown) return { score: SCORES.upToDate, reason: 'UpToDate, peer known' };
    return { score: SCORES.peerUnknown, reason: 'UpToDate, peer unknown (promotion needs fencing)' };
  }
  const remoteUpToDate = s.peers.some((p) => connected(p) && p.volumes.length > 0 && p.volumes.every((v) => v.peerDisk === 'UpToDate'));
  if (remoteUpToDate) return { score: SCORES.remoteOnly, reason: 'only remote access to UpToDate data (local copy is a resync target or not UpToDate)' };
  if (local.every((d) => d === 'UpToDate' || d === 'Consistent' || d === 'Outdated'))
    return { score: SCORES.consistentOnly, reason: `only ${[...new Set(local)].join('/')} data: unclear whether it is the latest copy` };
  return { score: null, reason: `local disk ${local.join(',')}` };
}

export type ProblemKind = 'split-brain' | 'standalone' | 'stale-fence-constraint' | 'disk-failed' | 'resync-paused' | 'diskless';

export interface Problem {
  kind: ProblemKind;
  message: string;
  fix: string;
}

/**
 * What is wrong with a mirror that needs an operator: split brain (the engine saw it: `splitBrain`),
 * StandAlone, stale fence constraints (both copies UpToDate and connected, yet a constraint
 * still excludes a node), a failed or missing disk, a resync paused by the operator.
 */
export function diagnose(s: MirrorStatus, opts: { splitBrain?: boolean; constraints?: readonly FenceConstraint[]; resourceTag?: string } = {}): Problem[] {
  const out: Problem[] = [];
  const tag = opts.resourceTag ?? 'TAG';
  if (!s.exists) return out;
  for (const p of s.peers) {
    if (opts.splitBrain && p.connection !== 'Connected') {
      out.push({
        kind: 'split-brain',
        message: `split brain on ${s.resource} with ${p.name}: both nodes wrote as source while disconnected; DRBD dropped the connection (${p.connection}) and will not resync on its own`,
        fix: `choose the node whose changes since the split are to be discarded (the victim): on it run drbdadm disconnect ${s.resource}; drbdadm secondary ${s.resource}; drbdadm connect --discard-my-data ${s.resource}; then on the other node drbdadm connect ${s.resource}. The kit never discards data on its own.`,
      });
    } else if (p.connection === 'StandAlone') {
      out.push({
        kind: 'standalone',
        message: `${s.resource} is StandAlone towards ${p.name}: it does not try to reconnect`,
        fix: `kit-runner recover ${tag} (drbdadm connect ${s.resource}); if it drops again at once, look for split brain in the kernel log`,
      });
    }
    for (const v of p.volumes)
      if (v.replication === 'PausedSyncS' || v.replication === 'PausedSyncT')
        out.push({
          kind: 'resync-paused',
          message: `resync of volume ${v.volume} with ${p.name} is paused (${v.resyncSuspended})${v.outOfSyncKiB !== undefined ? `, ${v.outOfSyncKiB} KiB out of sync` : ''}`,
          fix: `kit-runner action ${tag} resume`,
        });
  }
  if (s.peers.length === 0)
    out.push({
      kind: 'standalone',
      message: `${s.resource} has no connection to its peer configured (StandAlone)`,
      fix: `kit-runner recover ${tag} (drbdadm connect ${s.resource})`,
    });
  for (const v of s.volumes) {
    if (v.disk === 'Failed')
      out.push({
        kind: 'disk-failed',
        message: `the backing disk of volume ${v.volume} failed (I/O error); DRBD detached it`,
        fix: 'replace or repair the disk, then drbdadm attach (kit-runner recover) and let it resync',
      });
    if (v.disk === 'Diskless')
      out.push({ kind: 'diskless', message: `volume ${v.volume} is Diskless on this node`, fix: `kit-runner recover ${tag} (drbdadm attach ${s.resource})` });
  }
  const allUpToDate =
    s.volumes.every((v) => v.disk === 'UpToDate') &&
    s.peers.length > 0 &&
    s.peers.every((p) => p.connection === 'Connected' && p.volumes.every((v) => v.peerDisk === 'UpToDate' && v.replication === 'Established'));
  if (allUpToDate) {
    for (const c of opts.constraints ?? []) {
      out.push({
        kind: 'stale-fence-constraint',
        message: `fence constraint ${c.id} is stale: both copies are UpToDate and connected, yet it still allows promotion only on ${c.allowed.join(', ')}`,
        fix: `remove it: cibadmin --delete --xml-text '<rsc_location id="${c.id}"/>' (crm-unfence-peer should have; see LINBIT/drbd-utils#11)`,
      });
    }
  }
  return out;
}

/** True when this node sends or receives a resync. */
export const resyncing = (s: MirrorStatus) => s.peers.some((p) => p.volumes.some((v) => TARGET_STATES.has(v.replication) || SOURCE_STATES.has(v.replication)));

/** Fence constraints from `cibadmin --query --scope constraints` XML (rsc_location ids drbd-fence-by-handler-<resource>-*). */
export function fenceConstraintsOf(cibXml: string, resource: string): FenceConstraint[] {
  const out: FenceConstraint[] = [];
  const re = /<rsc_location\b([^>]*)>([\s\S]*?)<\/rsc_location>/g;
  const attr = (s: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(s)?.[1];
  for (const m of cibXml.matchAll(re)) {
    const id = attr(m[1]!, 'id') ?? '';
    if (!id.startsWith(`drbd-fence-by-handler-${resource}-`)) continue;
    const allowed = [...m[2]!.matchAll(/<expression\b([^>]*)\/?>/g)]
      .map((e) => e[1]!)
      .filter((e) => attr(e, 'attribute') === '#uname' && attr(e, 'operation') === 'ne')
      .map((e) => attr(e, 'value')!)
      .filter(Boolean);
    out.push({ id, rsc: attr(m[1]!, 'rsc') ?? '', allowed });
  }
  return out;
}
