/**
 * Options of a mirror resource: the DRBD resource, both nodes (name and replication address),
 * this node's backing device, the file system on the mirror and where it mounts, and the mode.
 */
import { defineOptions, opt, type KitContext } from '@recovery-kit/sdk';

const absolute = (v: string) =>
  v.startsWith('/') ? undefined : { message: `${JSON.stringify(v)} is not an absolute path`, fix: 'give the full path, e.g. /dev/vdb' };

/** `name=address`: a node name (its `uname -n`, what DRBD's `on NAME` matches) and its IPv4 replication address. */
export const NODE_PATTERN = /^([A-Za-z0-9][A-Za-z0-9_.-]{0,62})=((?:\d{1,3}\.){3}\d{1,3})$/;

export const options = defineOptions({
  resource: opt.string({
    description: 'Name of the DRBD resource (the file <configDir>/<resource>.res the kit writes).',
    required: true,
    example: 'r0',
    pattern: /^[A-Za-z0-9][A-Za-z0-9_-]{0,31}$/,
  }),
  nodes: opt.list({
    description: "The two nodes of the mirror, each NAME=ADDRESS: NAME is the node's host name (uname -n), ADDRESS its IPv4 replication address.",
    required: true,
    example: 'a=192.0.2.1,b=192.0.2.2',
    item: (v: string) => (NODE_PATTERN.test(v) ? undefined : { message: `${JSON.stringify(v)} is not NAME=IPv4`, fix: 'e.g. a=192.0.2.1' }),
    check: (v: readonly string[]) => {
      if (v.length !== 2) return { message: `a mirror has two nodes, got ${v.length}`, fix: 'give exactly two NAME=ADDRESS entries' };
      const names = v.map((n) => n.split('=')[0]);
      return names[0] === names[1] ? { message: `both nodes are named ${names[0]}`, fix: 'give each node its own host name' } : undefined;
    },
  }),
  disk: opt.string({
    description: "This node's backing block device (the lower disk DRBD replicates).",
    required: true,
    perServer: true,
    example: '/dev/vdb',
    check: absolute,
  }),
  minor: opt.integer({ description: 'DRBD minor number: the mirror is /dev/drbd<minor>.', default: 0, min: 0, max: 1048575 }),
  port: opt.integer({ description: 'TCP port of the replication link (both nodes).', default: 7789, min: 1, max: 65535 }),
  protocol: opt.enum(['C', 'A'] as const, {
    description:
      'Replication mode: C = synchronous (a write completes once both disks have it), A = asynchronous (once the local disk has it and it is in the send buffer).',
    default: 'C',
  }),
  mountPoint: opt.string({
    description: 'Where the file system on the mirror is mounted on the source.',
    required: true,
    example: '/srv/data',
    check: absolute,
  }),
  fsType: opt.enum(['ext4', 'xfs'] as const, { description: 'File system on the mirror (made at create when the mirror is new).', default: 'ext4' }),
  mountOptions: opt.string({ description: 'mount -o options.', default: 'defaults', pattern: /^[A-Za-z0-9_=,.:-]+$/ }),
  existingFs: opt.boolean({
    description:
      "Replicate Existing File System: the backing disk already holds the file system (ext4) to mirror; create shrinks it to make room for DRBD's internal metadata and makes this node the source. Off: the disk is new, create makes the file system.",
    default: false,
  }),
  fencing: opt.enum(['none', 'resource-only', 'resource-and-stonith'] as const, {
    description:
      'DRBD fencing policy (disk { fencing }). With two nodes the gate promotes a node whose peer is unreachable only when fencing is configured and the cluster confirms the peer fenced (tunable MIRROR_PEER_FENCED).',
    default: 'none',
  }),
  cibClone: opt.string({
    description:
      "Under Pacemaker with fencing set: the id of the mirror's promotable clone in the CIB. DRBD's fence-peer handler (crm-fence-peer) places its constraint on it (--master-id); without it the handler looks for an ocf:linbit:drbd primitive and finds none.",
    default: '',
    pattern: /^([A-Za-z_][A-Za-z0-9_.-]{0,63})?$/,
  }),
  configDir: opt.string({ description: 'Directory of the DRBD resource files.', default: '/etc/drbd.d', check: absolute }),
});

export type Options = ReturnType<typeof options.parse>;
export type Ctx = KitContext<Options>;

export interface Node {
  name: string;
  address: string;
}

export const parseNodes = (nodes: readonly string[]): Node[] =>
  nodes.map((n) => {
    const m = NODE_PATTERN.exec(n)!;
    return { name: m[1]!, address: m[2]! };
  });
