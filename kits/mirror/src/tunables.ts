/** The mirror resource's tunables (LifeKeeper-style names, prefix MIRROR_) and action timeouts. */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  MIRROR_PEER_FENCED: {
    kind: 'boolean',
    default: false,
    description:
      'The cluster confirmed the peer node fenced (powered off or cut off). With two nodes and no quorum, the promotion gate lets a node whose peer is unreachable become the source only when this is true and a fencing policy is configured. Set by the cluster layer (per tag: MIRROR_PEER_FENCED_<tag>), never left true by hand.',
  },
  MIRROR_CONNECT_WAIT: {
    kind: 'integer',
    default: 20,
    min: 0,
    max: 3600,
    description:
      "Seconds restore and recover wait for the replication link to come up (to learn the peer's role and disk) before they judge the gate with the peer unknown.",
  },
  MIRROR_DEMOTE_WAIT: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 3600,
    description: 'Seconds remove retries demoting while something still holds the device open.',
  },
  MIRROR_RESTORE_TIMEOUT: { kind: 'integer', default: 180, min: 1, description: 'Seconds a restore (attach, connect, gate, promote, fsck, mount) may take.' },
  MIRROR_REMOVE_TIMEOUT: { kind: 'integer', default: 120, min: 1, description: 'Seconds a remove (unmount, demote, prove both) may take.' },
  MIRROR_QUICKCHECK_TIMEOUT: { kind: 'integer', default: 30, min: 1, description: 'Seconds a quickCheck may take.' },
  MIRROR_RECOVER_TIMEOUT: { kind: 'integer', default: 180, min: 1, description: 'Seconds a recover (attach, reconnect, remount) may take.' },
  MIRROR_CREATE_TIMEOUT: { kind: 'integer', default: 600, min: 1, description: 'Seconds a create may take (metadata, first attach, file system).' },
  MIRROR_SYNC_RATE: {
    kind: 'string',
    default: '',
    description: "Resync rate limit written to the resource file (DRBD resync-rate / rate, e.g. 100M); empty: DRBD's default controller.",
  },
} as const satisfies Record<string, TunableSpec>;

export const timeouts = {
  create: 'MIRROR_CREATE_TIMEOUT',
  restore: 'MIRROR_RESTORE_TIMEOUT',
  remove: 'MIRROR_REMOVE_TIMEOUT',
  quickCheck: 'MIRROR_QUICKCHECK_TIMEOUT',
  recover: 'MIRROR_RECOVER_TIMEOUT',
} as const;
