/**
 * The replication engine behind the kit: what the actions need of it, in the kit's own terms
 * (roles, disk states, replication states), so that another engine (md RAID1 over NBD,
 * DataKeeper's own design) can stand in for DRBD later.
 */

export type Role = 'Primary' | 'Secondary' | 'Unknown';
/** DRBD's disk states; an md engine maps its member states onto these. */
export type DiskState =
  | 'Diskless'
  | 'Attaching'
  | 'Detaching'
  | 'Failed'
  | 'Negotiating'
  | 'Inconsistent'
  | 'Outdated'
  | 'DUnknown'
  | 'Consistent'
  | 'UpToDate';
/** Connection states (DRBD 9 names; DRBD 8.4's are mapped, see drbd.ts). */
export type ConnectionState =
  | 'StandAlone'
  | 'Disconnecting'
  | 'Unconnected'
  | 'Timeout'
  | 'BrokenPipe'
  | 'NetworkFailure'
  | 'ProtocolError'
  | 'TearDown'
  | 'Connecting'
  | 'Connected';
/** Replication states of one volume towards one peer. */
export type ReplicationState =
  | 'Off'
  | 'Established'
  | 'StartingSyncS'
  | 'StartingSyncT'
  | 'WFBitMapS'
  | 'WFBitMapT'
  | 'WFSyncUUID'
  | 'SyncSource'
  | 'SyncTarget'
  | 'PausedSyncS'
  | 'PausedSyncT'
  | 'VerifyS'
  | 'VerifyT'
  | 'Ahead'
  | 'Behind';

export interface VolumeStatus {
  volume: number;
  minor: number;
  disk: DiskState;
  /** DRBD 9 quorum; undefined where the engine has none (DRBD 8.4). */
  quorum?: boolean;
}

export interface PeerVolumeStatus {
  volume: number;
  replication: ReplicationState;
  peerDisk: DiskState;
  /** Resync paused: by the operator (user), by a dependency (dependency), or by the peer. */
  resyncSuspended: string;
  /** Percent of the resync done (only while one runs). */
  donePercent?: number;
  /** KiB not yet in sync with this peer. */
  outOfSyncKiB?: number;
  /** Estimated seconds left (DRBD 8.4 /proc/drbd; events2 has none). */
  etaSeconds?: number;
  /** Resync speed in KiB/s, when known. */
  speedKiBs?: number;
}

export interface PeerStatus {
  name: string;
  connection: ConnectionState;
  role: Role;
  volumes: PeerVolumeStatus[];
}

export interface MirrorStatus {
  resource: string;
  /** False when the resource is not configured in the kernel (down). */
  exists: boolean;
  role: Role;
  /** DRBD 9 `may_promote`; undefined on 8.4. */
  mayPromote?: boolean;
  suspended: boolean;
  volumes: VolumeStatus[];
  peers: PeerStatus[];
  /** Where the state came from (the command run), for reports. */
  source: string;
}

export interface MirrorEngine {
  /** Engine name and version, e.g. "DRBD 8.4.11 (drbd-utils 9.22.0, drbdsetup-84)". */
  describe(): Promise<string>;
  status(): Promise<MirrorStatus>;
  /** Writes metadata on the backing device (refuses when there is some: never overwrites). */
  createMd(): Promise<'created' | 'present'>;
  /** Attach the disk and connect (drbdadm up), or adjust a resource already up. */
  up(): Promise<void>;
  down(): Promise<void>;
  /** `force`: promote although the disk is not UpToDate (operator's force-online only). */
  promote(options?: { force?: boolean }): Promise<void>;
  demote(): Promise<void>;
  connect(): Promise<void>;
  disconnect(): Promise<void>;
  pauseSync(): Promise<void>;
  resumeSync(): Promise<void>;
  /** Discards this node's copy and resyncs it in full from the peer (this node must be the target). */
  invalidate(): Promise<void>;
  /** Marks the peer's copy out of date and resyncs it in full from this node (this node is the source). */
  invalidateRemote(): Promise<void>;
  /** Bytes of metadata at the end of a backing device of `bytes` (internal metadata), for shrinking an existing file system. */
  metadataBytes(deviceBytes: number): number;
  /** The block device applications use (/dev/drbd0). */
  readonly device: string;
}

/** Replication states in which this node receives a resync (it is not a usable source). */
export const TARGET_STATES: ReadonlySet<ReplicationState> = new Set([
  'SyncTarget',
  'PausedSyncT',
  'WFBitMapT',
  'StartingSyncT',
  'WFSyncUUID',
  'Behind',
  'VerifyT',
]);
/** Replication states in which this node sends a resync. */
export const SOURCE_STATES: ReadonlySet<ReplicationState> = new Set(['SyncSource', 'PausedSyncS', 'WFBitMapS', 'StartingSyncS', 'Ahead']);
