/**
 * The mirror resource's actions and kit commands.
 * - create: resource file, metadata, first attach; a new mirror gets its file system, an
 *   existing file system (existingFs) is shrunk to make room for the metadata; this node becomes
 *   the initial source (Primary, not mounted: restore mounts it).
 * - restore: attach and connect, wait for the link to settle, pass the promotion gate, promote,
 *   mount. Already Primary: no gate (it is the source), mount if needed. In a promotable clone
 *   (ctx.roles, the OCF agent's start): attach and connect only, as Secondary, nothing mounted.
 * - promote (promotable clone): what restore does in file mode (gate, Primary, mount).
 * - demote (promotable clone): unmount, Secondary, both proven; DRBD stays up and connected.
 * - remove: unmount, demote, then prove both (nothing mounts the device, the role is Secondary);
 *   in a promotable clone (stop) also down, proven.
 * - quickCheck: role, connection, disk state, mount (changes nothing); in a promotable clone a
 *   healthy Secondary is ok (role unpromoted), the mounted source ok (role promoted).
 * - recover: attach and reconnect (never with --discard-my-data), remount.
 */
import { ActionFailedError, ConfigError, UsageError, isCommandFailed, type CreateResult, type QuickCheckResult } from '@recovery-kit/sdk';
import { remainingMs, sleep, waitFor } from '@recovery-kit/sdk/util';
import type { Ctx } from './options.ts';
import { deviceBytes, fsTypeOf, makeFs, mount, mountAt, mountsOf, shrinkExt4, unmount } from './fs.ts';
import { describeStatus, gate, refused, report, resolve, settle, splitBrainSeen, writeConfig, type Resolved } from './mirror.ts';
import { decidePromotion, diagnose, promotionScore, resyncing } from './gate.ts';
import type { MirrorStatus } from './engine.ts';

const connectWait = (ctx: Ctx) => ctx.tunables.int('MIRROR_CONNECT_WAIT') * 1000;

async function create(ctx: Ctx): Promise<CreateResult> {
  const o = ctx.options;
  const r = await resolve(ctx);
  const bytes = await deviceBytes(ctx.exec, o.disk, 'disk');
  await writeConfig(ctx, r);
  // DRBD metadata at the end of the disk: a mirror made before (blkid may still see its file system).
  const found = (await r.engine.hasMetadata?.()) ? 'drbd' : await fsTypeOf(ctx.exec, o.disk);
  const mounted = await mountsOf(ctx.exec, o.disk);
  if (found && found !== 'drbd' && !o.existingFs) {
    throw new ConfigError(`${o.disk} holds a ${found} file system (or signature): a new mirror would overwrite it`, {
      field: 'disk',
      fix: 'set existingFs=true to replicate that file system (Replicate Existing File System), or give an empty disk (wipefs -a clears it: it destroys what is there)',
    });
  }
  if (o.existingFs && found !== 'drbd' && found !== 'ext4') {
    throw new ConfigError(
      found ? `existingFs: ${o.disk} holds ${found}; only ext4 can be shrunk to make room for DRBD's metadata` : `existingFs: ${o.disk} holds no file system`,
      { field: 'existingFs', fix: found ? 'convert it to ext4, or mirror a new disk' : 'give the disk that holds the file system, or set existingFs=false' },
    );
  }
  const version = await r.engine.describe();
  const steps: string[] = [];
  let md: 'created' | 'present' | undefined;
  let before = await r.engine.status();
  if (found !== 'drbd' && !(before.exists && before.volumes.length)) {
    if (o.existingFs) {
      for (const m of mounted) {
        await unmount(ctx.exec, m.target, ctx.deadline, ctx.signal);
        steps.push(`unmounted ${m.target}`);
      }
      const md = r.engine.metadataBytes(bytes);
      const sh = await shrinkExt4(ctx.exec, o.disk, bytes, md);
      steps.push(
        sh.fromBlocks === sh.toBlocks
          ? 'the file system leaves room for the metadata already'
          : `shrank the ext4 file system from ${sh.fromBlocks} to ${sh.toBlocks} blocks of ${sh.blockSize} B for ${md / 1024} KiB of metadata`,
      );
    }
    md = await r.engine.createMd();
    steps.push(`metadata ${md}`);
  } else steps.push('metadata present');
  // A promotable clone's validation (the OCF agent runs create before start, and before a probe's
  // check) of an existing mirror that is down leaves it down: bringing it up is start's job.
  if (ctx.roles && md === undefined && !before.exists) {
    ctx.logger.info(`checked ${o.resource} on ${r.self.name} (${version}): metadata present, left down (a promotable clone's start brings it up)`);
    return {
      info: { engine: version, device: r.engine.device, node: r.self.name, peer: r.peer.name, protocol: o.protocol, role: 'down', backingBytes: bytes },
    };
  }
  await r.engine.up();
  before = await settle(r, Math.min(connectWait(ctx), 5000), ctx.deadline, ctx.signal);
  // Only a mirror whose metadata this call wrote is new: an Inconsistent copy found later (an
  // interrupted resync target) is never forced to become the source.
  const fresh =
    md === 'created' &&
    before.volumes.every((v) => v.disk === 'Inconsistent') &&
    before.peers.every((p) => p.volumes.every((v) => v.peerDisk !== 'UpToDate' && v.peerDisk !== 'Consistent'));
  if (fresh) {
    // Nothing on either side holds data yet (or only this node's existing file system does):
    // this node is the initial source; the peer gets a full sync when it attaches.
    ctx.logger.warn(
      `${o.resource}: initial source is ${r.self.name} (drbdadm primary --force on a new mirror${o.existingFs ? ' holding the existing file system' : ''})`,
    );
    await r.engine.promote({ force: true });
    steps.push('initial source (primary --force on a new mirror)');
    if (!o.existingFs) {
      await makeFs(ctx.exec, r.engine.device, o.fsType);
      steps.push(`made ${o.fsType} on ${r.engine.device}`);
    }
  }
  const s = await r.engine.status();
  ctx.logger.info(`created ${o.resource} on ${r.self.name} (${version}): ${steps.join(', ')}`);
  return {
    info: {
      engine: version,
      device: r.engine.device,
      node: r.self.name,
      peer: r.peer.name,
      protocol: o.protocol,
      role: s.role,
      disk: s.volumes.map((v) => v.disk).join(','),
      backingBytes: bytes,
    },
  };
}

async function extend(ctx: Ctx) {
  if (!ctx.local) {
    ctx.logger.warn(
      `extend to ${ctx.server}: its backing disk and DRBD are checked when the resource is first brought up there (kit-runner action TAG status on it)`,
    );
    return {};
  }
  const r = await resolve(ctx);
  const bytes = await deviceBytes(ctx.exec, ctx.options.disk, 'disk');
  await writeConfig(ctx, r);
  const found = (await r.engine.hasMetadata?.()) ? 'drbd' : await fsTypeOf(ctx.exec, ctx.options.disk);
  if (found && found !== 'drbd')
    throw new ConfigError(`${ctx.options.disk} on ${r.self.name} holds a ${found} file system: the mirror target's disk is overwritten by the full sync`, {
      field: 'disk',
      fix: "give an empty disk of at least the source's size on this node (wipefs -a clears it: it destroys what is there)",
    });
  if (found !== 'drbd') await r.engine.createMd();
  await r.engine.up();
  return { info: { engine: await r.engine.describe(), device: r.engine.device, node: r.self.name, backingBytes: bytes } };
}

async function promoteAndMount(ctx: Ctx, r: Resolved, opts: { force: boolean }): Promise<string> {
  const steps: string[] = [];
  const s = await r.engine.status();
  if (s.role !== 'Primary') {
    // The operator's force-online, or a peer the cluster confirmed fenced: DRBD's own fencing
    // (fence-peer handler) may still refuse "peer is not outdated" when no cluster answers it.
    const peerFenced = ctx.tunables.bool('MIRROR_PEER_FENCED', false) && ctx.options.fencing !== 'none' && s.peers.some((p) => p.connection !== 'Connected');
    const needsForce = opts.force && (s.volumes.some((v) => v.disk !== 'UpToDate') || s.peers.some((p) => p.connection !== 'Connected'));
    try {
      await r.engine.promote({ force: needsForce });
      steps.push(needsForce ? 'promoted (primary --force)' : 'promoted');
    } catch (err) {
      if (!(peerFenced && isCommandFailed(err) && /not outdated|Refusing to be Primary|\(-7\)/i.test(err.result.stderr))) throw err;
      ctx.logger.warn(
        `${ctx.options.resource}: DRBD's fence-peer handler could not outdate the peer (${err.result.stderr.trim().split('\n')[0]}); the cluster confirmed it fenced (MIRROR_PEER_FENCED): promoting with --force`,
      );
      await r.engine.promote({ force: true });
      steps.push('promoted (peer confirmed fenced, primary --force)');
    }
  } else steps.push('already the source');
  const m = await mountAt(ctx.exec, ctx.options.mountPoint);
  if (m && m.source !== r.engine.device)
    throw new ActionFailedError(`${m.source} is mounted on ${ctx.options.mountPoint}, not the mirror ${r.engine.device}`, {
      fix: `unmount ${ctx.options.mountPoint} (or choose another mountPoint), then restore again`,
    });
  if (!m) {
    await mount(ctx.exec, r.engine.device, ctx.options.mountPoint, ctx.options.fsType, ctx.options.mountOptions);
    steps.push(`mounted on ${ctx.options.mountPoint}`);
  }
  const after = await r.engine.status();
  const mm = await mountAt(ctx.exec, ctx.options.mountPoint);
  if (after.role !== 'Primary' || mm?.source !== r.engine.device)
    throw new ActionFailedError(
      `after restore ${ctx.options.resource} is ${after.role} and ${mm ? `${mm.source} is` : 'nothing is'} mounted on ${ctx.options.mountPoint}`,
      { fix: 'look at the kernel log (dmesg) for DRBD errors' },
    );
  return steps.join(', ');
}

/** The gate, promote and mount: file mode's restore, a promotable clone's promote. */
async function becomeSource(ctx: Ctx) {
  const r = await resolve(ctx);
  await writeConfig(ctx, r);
  await r.engine.up();
  const s = await settle(r, connectWait(ctx), ctx.deadline, ctx.signal);
  if (s.role !== 'Primary') {
    const d = await gate(ctx, r, s);
    if (!d.allowed) throw refused(d, ctx.options.resource);
    ctx.logger.info(`${ctx.options.resource}: ${d.summary}`);
  }
  ctx.logger.info(`${ctx.options.resource} on ${r.self.name}: ${await promoteAndMount(ctx, r, { force: false })}`);
}

/**
 * A promotable clone's start (ctx.roles): attach and connect, as Secondary, nothing mounted (as
 * ocf:linbit:drbd's start). A node found Primary is left so (promote or demote decides).
 */
async function startUnpromoted(ctx: Ctx) {
  const r = await resolve(ctx);
  await writeConfig(ctx, r);
  await r.engine.up();
  const s = await settle(r, Math.min(connectWait(ctx), 5000), ctx.deadline, ctx.signal);
  if (!s.exists)
    throw new ActionFailedError(`${ctx.options.resource} is not up after drbdadm adjust`, { fix: 'look at the kernel log (dmesg) for DRBD errors' });
  const bad = s.volumes.filter((v) => v.disk === 'Failed' || v.disk === 'Diskless');
  if (bad.length)
    throw new ActionFailedError(`${ctx.options.resource}: local disk ${bad.map((v) => `volume ${v.volume} ${v.disk}`).join(', ')}`, {
      fix: `check ${ctx.options.disk} on ${r.self.name} (dmesg), then start again`,
    });
  ctx.logger.info(`${ctx.options.resource} on ${r.self.name}: up as ${s.role} (${s.volumes.map((v) => v.disk).join(',')}), not mounted`);
}

/** Bring in service: as the source and mounted (kit-runner, a plain primitive); a promotable clone's start: Secondary. */
async function restore(ctx: Ctx) {
  return ctx.roles ? startUnpromoted(ctx) : becomeSource(ctx);
}

/** A promotable clone's promote: the promotion gate, Primary, mount (what restore does in file mode). */
async function promote(ctx: Ctx) {
  return becomeSource(ctx);
}

/**
 * Remove about the peer (ctx.local false: the runner takes the resource out of service on the
 * other server before restoring here, e.g. after that server crashed). Nothing of this node is
 * touched: this node's DRBD only tells whether the peer provably still holds the mirror (connected
 * and Primary: refused, remove it there). A peer this node cannot reach is not proven to hold it;
 * whether it may be taken over is the promotion gate's decision at restore (fencing confirmed).
 */
async function removeOnPeer(ctx: Ctx) {
  const r = await resolve(ctx);
  const s = await r.engine.status();
  const live = s.peers.find((p) => p.connection === 'Connected' && p.role === 'Primary');
  if (live)
    throw new ActionFailedError(`${ctx.options.resource} is still the source on ${live.name}: this node is connected to it and sees it Primary`, {
      fix: `take it out of service there first: kit-runner action ${ctx.tag} remove (on ${live.name})`,
    });
  const seen = s.peers.map((p) => `${p.name} ${p.connection}${p.role ? ` ${p.role}` : ''}`).join(', ') || 'no peer configured';
  ctx.logger.warn(`${ctx.options.resource} on ${ctx.server}: not held there as far as ${r.self.name} can tell (${seen}); nothing done on ${r.self.name}`);
}

/** Unmount, demote (retrying while the device is held), then prove both. Returns the status after. */
async function unmountAndDemote(ctx: Ctx, r: Resolved): Promise<MirrorStatus> {
  const mp = ctx.options.mountPoint;
  const m = await mountAt(ctx.exec, mp);
  if (m && m.source === r.engine.device) await unmount(ctx.exec, mp, ctx.deadline - 5000, ctx.signal);
  for (const other of await mountsOf(ctx.exec, r.engine.device)) await unmount(ctx.exec, other.target, ctx.deadline - 5000, ctx.signal);
  let s = await r.engine.status();
  if (s.exists && s.role === 'Primary') {
    const until = Math.min(ctx.deadline - 3000, Date.now() + ctx.tunables.int('MIRROR_DEMOTE_WAIT') * 1000);
    await waitFor(
      `${r.engine.device} to demote`,
      async () => {
        try {
          await r.engine.demote();
          return true;
        } catch (err) {
          ctx.logger.debug(`demote: ${(err as Error).message}`);
          return false;
        }
      },
      { deadline: until, initialDelayMs: 500, maxDelayMs: 2000, signal: ctx.signal },
    ).catch((err: Error) => {
      throw new ActionFailedError(`cannot demote ${ctx.options.resource}: ${err.message}`, {
        fix: `something still holds ${r.engine.device} open (a mount elsewhere, a process using the raw device): stop it, then ${ctx.action} again`,
      });
    });
  }
  // Prove both: nothing mounts the device, and this node is not the source.
  s = await r.engine.status();
  const still = await mountsOf(ctx.exec, r.engine.device);
  if (still.length || s.role === 'Primary')
    throw new ActionFailedError(
      `${ctx.action} of ${ctx.options.resource} did not finish: ${still.length ? `${r.engine.device} still mounted on ${still.map((x) => x.target).join(', ')}` : ''}${s.role === 'Primary' ? ' still Primary' : ''}`,
      { fix: `run ${ctx.action} again; look at the kernel log (dmesg)` },
    );
  return s;
}

/** A promotable clone's demote: unmount, Secondary, both proven; the resource stays up (connected, replicating). */
async function demote(ctx: Ctx) {
  const r = await resolve(ctx);
  const s = await unmountAndDemote(ctx, r);
  ctx.logger.info(`${ctx.options.resource} on ${r.self.name}: unmounted and ${s.exists ? s.role : 'down'}`);
}

/**
 * Take out of service: unmount and demote (kit-runner, a plain primitive: DRBD stays up and
 * replicating, so the peer can be promoted); a promotable clone's stop: also down (detach and
 * disconnect), proven (not configured in the kernel any more).
 */
async function remove(ctx: Ctx) {
  if (!ctx.local) return removeOnPeer(ctx);
  const r = await resolve(ctx);
  let s = await unmountAndDemote(ctx, r);
  if (ctx.roles && s.exists) {
    await r.engine.down();
    s = await r.engine.status();
    if (s.exists)
      throw new ActionFailedError(`stop of ${ctx.options.resource} did not finish: still configured in the kernel (${s.role}) after drbdadm down`, {
        fix: 'run stop again; look at the kernel log (dmesg)',
      });
  }
  ctx.logger.info(`${ctx.options.resource} on ${r.self.name}: unmounted and ${s.exists ? s.role : 'down'}`);
}

/**
 * quickCheck's verdict from the state (pure; changes nothing). `roles` (a promotable clone): a
 * Secondary that is up with a usable disk is ok and unpromoted; the source is ok and promoted
 * only when mounted here. Without roles only the source, mounted, is ok (no role reported).
 */
export function verdict(s: MirrorStatus, mounted: { source: string } | undefined, device: string, splitBrain: boolean, roles = false): QuickCheckResult {
  if (!s.exists) return { status: 'failed', reason: `${s.resource} is not up (not configured in the kernel)` };
  const primary = s.role === 'Primary';
  if (!primary && !roles) return { status: 'failed', reason: `${s.resource} is ${s.role}, not the source` };
  const bad = s.volumes.filter((v) => (primary ? v.disk !== 'UpToDate' : v.disk === 'Failed' || v.disk === 'Diskless' || v.disk === 'Detaching'));
  if (bad.length) return { status: 'failed', reason: `local disk ${bad.map((v) => `volume ${v.volume} ${v.disk}`).join(', ')}` };
  if (primary && !mounted) return { status: 'failed', reason: `${device} is not mounted` };
  if (mounted && mounted.source !== device) return { status: 'failed', reason: `${mounted.source} is mounted instead of ${device}` };
  if (!primary && mounted) return { status: 'failed', reason: `${device} is mounted while ${s.resource} is ${s.role}` };
  const problems = diagnose(s, { splitBrain });
  const standalone = problems.find((p) => p.kind === 'standalone' || p.kind === 'split-brain');
  if (standalone) return { status: 'failed', reason: standalone.message };
  const lines = describeStatus(s, primary ? ({ source: device, target: '', fstype: '' } as never) : undefined)
    .split('\n')
    .slice(1)
    .map((l) => l.trim());
  const degraded = s.peers.some((p) => p.connection !== 'Connected');
  const detail = `${degraded ? `degraded (peer not connected${primary ? ', writes go to this node only' : ''}): ` : ''}${lines.join('; ')}`;
  return roles ? { status: 'ok', detail, role: primary ? 'promoted' : 'unpromoted' } : { status: 'ok', detail };
}

/** What quickCheck reads: local state only (no request leaves the host), the same at every level. */
export const checkLevels = {
  0: "local only: DRBD's kernel state (drbdsetup events2: role, local disk, connection), the mount table and the split-brain handler's mark. The peer is seen through DRBD's own link, so levels 10 and 20 check the same. Proves this node holds the mirror (or, in a promotable clone, is a healthy Secondary); not that the file system answers.",
} as const;

async function quickCheck(ctx: Ctx): Promise<QuickCheckResult> {
  const r = await resolve(ctx);
  const s = await r.engine.status();
  return verdict(s, await mountAt(ctx.exec, ctx.options.mountPoint), r.engine.device, await splitBrainSeen(ctx.exec, ctx.options.resource), ctx.roles === true);
}

async function recover(ctx: Ctx) {
  const r = await resolve(ctx);
  await writeConfig(ctx, r);
  const steps: string[] = [];
  let s = await r.engine.status();
  // Split brain first: reconnecting (adjust) would only split again; the operator chooses the victim.
  if (s.exists && s.peers.some((p) => p.connection !== 'Connected') && (await splitBrainSeen(ctx.exec, ctx.options.resource))) {
    const p = diagnose(s, { splitBrain: true, resourceTag: ctx.tag }).find((x) => x.kind === 'split-brain');
    throw new ActionFailedError(p?.message ?? `split brain on ${ctx.options.resource}`, {
      code: 'SPLIT_BRAIN',
      fix: p?.fix ?? 'resolve the split brain by hand',
      retryable: false,
    });
  }
  await r.engine.up();
  s = await r.engine.status();
  if (s.peers.some((p) => p.connection === 'StandAlone') || s.peers.length === 0) {
    await r.engine.connect();
    steps.push('reconnected');
  }
  const wasPrimary = s.role === 'Primary';
  s = await settle(r, connectWait(ctx), ctx.deadline, ctx.signal);
  // A promotable clone's unpromoted instance stays Secondary: promote is Pacemaker's decision.
  if (ctx.roles && !wasPrimary && s.role !== 'Primary') {
    ctx.logger.info(`${ctx.options.resource}: recovered as ${s.role}: ${steps.join(', ') || 'up'}`);
    return;
  }
  if (s.role !== 'Primary') {
    const d = await gate(ctx, r, s);
    if (!d.allowed) throw refused(d, ctx.options.resource);
  }
  steps.push(await promoteAndMount(ctx, r, { force: false }));
  ctx.logger.info(`${ctx.options.resource}: recovered: ${steps.join(', ')}`);
}

const WATCH_FLAGS = new Set(['--watch', '-w']);

async function status(ctx: Ctx, args: readonly string[]) {
  const unknown = args.filter((a) => !WATCH_FLAGS.has(a));
  if (unknown.length) throw new UsageError(`status takes only --watch, got ${unknown.join(' ')}`, { fix: 'kit-runner action TAG status [-- --watch]' });
  const r = await resolve(ctx);
  let rep = await report(ctx, r);
  if (!args.some((a) => WATCH_FLAGS.has(a))) return rep;
  // --watch: show the resync's progress until it ends (or the time runs out).
  const tty = process.stderr.isTTY;
  while (rep.resyncing && remainingMs(ctx.deadline) > 3000) {
    const line =
      rep.summary
        .split('\n')
        .find((l) => /%/.test(l))
        ?.trim() ?? rep.summary.split('\n')[0]!;
    if (tty) process.stderr.write(`\r\x1b[K${line}`);
    else ctx.logger.info(line);
    await sleep(2000, ctx.signal);
    rep = await report(ctx, r);
  }
  if (tty) process.stderr.write('\r\x1b[K');
  return rep;
}

async function pause(ctx: Ctx) {
  const r = await resolve(ctx);
  await r.engine.pauseSync();
  ctx.logger.warn(`${ctx.options.resource}: resync paused by the operator (kit-runner action TAG resume continues it)`);
  return report(ctx, r);
}

async function resume(ctx: Ctx) {
  const r = await resolve(ctx);
  await r.engine.resumeSync();
  ctx.logger.info(`${ctx.options.resource}: resync resumed`);
  return report(ctx, r);
}

/**
 * LifeKeeper's Force Mirror Online: the operator states that this node holds the last good copy.
 * Overrides only forceable refusals (Consistent/Outdated copy, peer unknown without confirmed
 * fencing, a fence constraint); never an Inconsistent copy, a resync target or a live primary.
 */
async function forceOnline(ctx: Ctx, args: readonly string[]) {
  if (args.length) throw new UsageError(`force-online takes no arguments, got ${args.join(' ')}`, { fix: 'kit-runner action TAG force-online' });
  const r = await resolve(ctx);
  await writeConfig(ctx, r);
  await r.engine.up();
  const s = await settle(r, connectWait(ctx), ctx.deadline, ctx.signal);
  const d = s.role === 'Primary' ? { allowed: true, forceable: false, refusals: [], summary: 'already the source' } : await gate(ctx, r, s);
  if (!d.allowed && !d.forceable) {
    const hard = d.refusals.filter((x) => !x.forceable);
    throw new ActionFailedError(`force-online refused: ${hard.map((x) => x.reason).join('; ')}`, {
      code: 'FORCE_REFUSED',
      fix: hard.map((x) => x.fix).join('; or '),
      details: { refusals: d.refusals },
    });
  }
  if (!d.allowed)
    ctx.logger.warn(`FORCE ONLINE of ${ctx.options.resource} on ${r.self.name} by the operator, overriding: ${d.summary}`, {
      refusals: d.refusals.map((x) => x.rule),
    });
  const how = await promoteAndMount(ctx, r, { force: !d.allowed });
  ctx.logger.warn(`${ctx.options.resource} forced online on ${r.self.name}: ${how}`);
  return { forced: !d.allowed, overrode: d.refusals.map((x) => x.reason), ...(await report(ctx, r)) };
}

/**
 * Full resync. On the source: the peer's copy is marked out of date and resynced in full from
 * here (invalidate-remote). On a target: this node's copy is discarded and resynced from the
 * peer (invalidate), only while the peer is connected and UpToDate (never leaves no good copy).
 */
async function fullResync(ctx: Ctx, args: readonly string[]) {
  if (args.length) throw new UsageError(`full-resync takes no arguments, got ${args.join(' ')}`, { fix: 'kit-runner action TAG full-resync (on either node)' });
  const r = await resolve(ctx);
  const s = await r.engine.status();
  const peer = s.peers[0];
  if (peer?.connection !== 'Connected')
    throw new ActionFailedError(`full resync of ${ctx.options.resource} needs the peer connected (it is ${peer?.connection ?? 'not configured'})`, {
      fix: 'bring the peer up and reconnect (kit-runner recover TAG on the source), then try again',
    });
  if (resyncing(s))
    throw new ActionFailedError(`a resync of ${ctx.options.resource} is already running`, {
      code: 'BUSY',
      fix: 'kit-runner action TAG status -- --watch shows its progress',
      retryable: true,
    });
  if (s.role === 'Primary' || (s.volumes.every((v) => v.disk === 'UpToDate') && peer.role !== 'Primary')) {
    await r.engine.invalidateRemote();
    ctx.logger.warn(`${ctx.options.resource}: full resync from ${r.self.name} to ${peer.name} (the peer's copy is out of date until it ends)`);
  } else {
    if (!peer.volumes.every((v) => v.peerDisk === 'UpToDate'))
      throw new ActionFailedError(`cannot discard ${r.self.name}'s copy: the peer's is not UpToDate`, {
        fix: 'run full-resync on the node with the UpToDate copy instead',
      });
    await r.engine.invalidate();
    ctx.logger.warn(`${ctx.options.resource}: full resync of ${r.self.name} from ${peer.name} (operator's request: this node's copy is replaced)`);
  }
  await sleep(1000, ctx.signal);
  return report(ctx, r);
}

async function score(ctx: Ctx) {
  const r = await resolve(ctx);
  const s = await r.engine.status();
  return {
    ...promotionScore(s),
    gate: decidePromotion({ status: s, node: r.self.name, fencing: ctx.options.fencing, peerFenced: ctx.tunables.bool('MIRROR_PEER_FENCED', false) }).summary,
  };
}

export const actions = { create, extend, restore, remove, quickCheck, recover, promote, demote };

export const commands = {
  status: {
    description:
      'Role, disks, connection, resync progress (done %, out of sync, speed), problems with their fix, and whether this node may be promoted. -- --watch follows a resync until it ends.',
    run: status,
  },
  pause: { description: 'Pauses the resync (DataKeeper mirror_action pause).', run: pause },
  resume: { description: 'Resumes a paused resync.', run: resume },
  'force-online': {
    description:
      "Force Mirror Online: makes this node the source although its copy is only Consistent/Outdated or the peer's state is unknown (the operator states this node holds the last good copy). Logged. Never overrides an Inconsistent copy, a resync target or a live primary.",
    run: forceOnline,
  },
  'full-resync': {
    description: "Full resync: on the source, resends everything to the peer; on the target, replaces this copy with the peer's UpToDate one.",
    run: fullResync,
  },
  score: {
    description:
      'Promotion score in the spirit of ocf:linbit:drbd (0 consistent only, 10 remote only, 1000 peer unknown, 10000 UpToDate; null: remove). The OCF helper sets it with crm_attribute --promotion.',
    run: score,
  },
};

export { sleep };
