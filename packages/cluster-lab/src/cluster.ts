/**
 * The Pacemaker lab: cluster nodes (and a qnetd witness) in network namespaces created by the
 * test, each with its own mount and UTS namespace, private Pacemaker/Corosync state, a fresh
 * /run and /dev/shm, joined through a bridge in a switch namespace. No systemd: `corosync -f`,
 * `corosync-qdevice -f`, `corosync-qnetd -f` and `pacemakerd` run as children of the test.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, chownSync, closeSync, existsSync, mkdirSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecResult } from '@recovery-kit/sdk';
import { waitFor as pollUntil } from '@recovery-kit/sdk/util';
import { serveAws, type AwsInLab, type ServeAwsOptions } from './aws.ts';
import { corosyncConf, seedCib } from './config.ts';
import { parseCrmMon, parseLrmOps, parseTransientAttrs, type CrmMon, type LrmOp } from './crm.ts';
import { alive, commOf, killAll, nsOf, pidsInNetns, run, waitGone, type RunOptions } from './proc.ts';
import { parseXml, xmlEscape, type XmlElement } from './xml.ts';

/** Names of everything the lab creates start with this (netns names, the lab directory). */
export const LAB_PREFIX = 'rkcl';
const SUBNET = '10.99.0';
export const QNETD_PORT = 5403;
const PATH = '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin';

export interface StartClusterOptions {
  /** Cluster nodes, named node-a, node-b. Default 1. */
  nodes?: 1 | 2;
  /** A corosync-qnetd witness in its own namespace, nodes voting through corosync-qdevice (ffsplit). Default: true for 2 nodes. */
  witness?: boolean;
  /**
   * stonith-enabled, with the lab's fence agent (fence_lab) as the seeded device. `'external'`:
   * stonith-enabled with no device seeded, for a test that adds its own (e.g. fence_aws after
   * serveAws()). Default: false for 1 node, true for 2.
   */
  fencing?: boolean | 'external';
  /** More cluster properties for the seed CIB (e.g. `no-quorum-policy`). */
  properties?: Readonly<Record<string, string>>;
  /** Corosync totem token in ms. Default 1000. */
  tokenMs?: number;
  /** Time allowed for the whole cluster to come up, in ms. Default 60 000. */
  timeoutMs?: number;
}

export interface LabMember {
  name: string;
  role: 'node' | 'witness';
  /** The network namespace's name (`ip netns`). */
  netns: string;
  /** The lab address on eth0. */
  addr: string;
  /** The switch-side veth of this member, in the switch namespace. */
  port: string;
  /** Host directory holding this member's private state (bind-mounted inside). */
  dir: string;
  /** The pid holding the member's mount and UTS namespaces (a `sleep infinity`). */
  holderPid: number;
  /** `net:[…]` of the member's network namespace. */
  netnsId: string;
}

export interface Timings {
  /** Per node: ms from starting corosync to this node seeing itself online with a DC. */
  nodeUpMs: Record<string, number>;
  /** ms from the start of startCluster to every node online with a DC (and quorum). */
  clusterUpMs: number;
  /** ms spent creating namespaces, mounts, keys and certificates before any daemon started. */
  setupMs: number;
}

interface Daemon {
  name: string;
  child: ChildProcess;
  exited: boolean;
}

let labSeq = 0;
const liveLabs = new Set<Cluster>();
let exitHookInstalled = false;

function fenceDir(): string {
  // src/ or dist/ → package root → fence/
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'fence');
}

function userIds(name: string, group: string): { uid: number; gid: number } {
  const passwd = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${name}:`));
  const grp = readFileSync('/etc/group', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${group}:`));
  if (!passwd || !grp) throw new Error(`cluster-lab: user ${name} or group ${group} missing: install pacemaker (apt-get install pacemaker)`);
  return { uid: Number(passwd.split(':')[2]), gid: Number(grp.split(':')[2]) };
}

/** Why the lab cannot run here, or undefined when it can (root, the binaries). */
export function labUnavailableReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'needs root (network, mount and UTS namespaces)';
  for (const bin of ['/usr/sbin/corosync', '/usr/sbin/pacemakerd', '/usr/sbin/crm_mon', '/usr/sbin/cibadmin', '/usr/bin/unshare', '/usr/bin/nsenter']) {
    if (!existsSync(bin)) return `${bin} missing (apt-get install pacemaker pacemaker-cli-utils corosync util-linux)`;
  }
  return undefined;
}

/** Removes labs whose owning process is gone: their processes, namespaces and directories. */
export async function cleanupStaleLabs(): Promise<string[]> {
  const removed: string[] = [];
  const owner = (name: string) => /^rkcl-(\d+)-\d+/.exec(name)?.[1];
  const dead = (pid: string | undefined) => pid !== undefined && Number(pid) !== process.pid && !alive(Number(pid));
  const list = await run(['ip', 'netns', 'list'], { allowFailure: true });
  for (const line of list.stdout.split('\n')) {
    const name = line.split(' ')[0] ?? '';
    if (!name.startsWith(`${LAB_PREFIX}-`) || !dead(owner(name))) continue;
    const pids = (await run(['ip', 'netns', 'pids', name], { allowFailure: true })).stdout.split(/\s+/).filter(Boolean).map(Number);
    killAll(pids);
    await waitGone(pids, 3000);
    await run(['ip', 'netns', 'del', name], { allowFailure: true });
    removed.push(name);
  }
  for (const entry of readdirSync(tmpdir())) {
    if (entry.startsWith(`${LAB_PREFIX}-`) && dead(owner(entry))) {
      rmSync(join(tmpdir(), entry), { recursive: true, force: true });
      removed.push(join(tmpdir(), entry));
    }
  }
  return removed;
}

/** Starts a lab cluster and waits until every node is online with a DC (and quorum). */
export async function startCluster(options: StartClusterOptions = {}): Promise<Cluster> {
  const why = labUnavailableReason();
  if (why) throw new Error(`cluster-lab: ${why}`);
  await cleanupStaleLabs();
  const c = new Cluster(options);
  try {
    await c.start();
    return c;
  } catch (err) {
    await c.stop();
    throw err;
  }
}

export class Cluster {
  readonly id: string;
  readonly root: string;
  readonly clusterName: string;
  readonly nodes: string[];
  readonly witness: string | undefined;
  readonly fencing: boolean;
  /** Whether the seed CIB has the fence_lab device (fencing without 'external'). */
  readonly labFence: boolean;
  readonly members = new Map<string, LabMember>();
  readonly switchNetns: string;
  readonly timings: Timings = { nodeUpMs: {}, clusterUpMs: 0, setupMs: 0 };
  private readonly opts: StartClusterOptions;
  private readonly daemons = new Map<string, Daemon[]>();
  private readonly closers: (() => Promise<void>)[] = [];
  private stopped = false;
  private stopping: Promise<void> | undefined;

  constructor(options: StartClusterOptions) {
    this.opts = options;
    const n = options.nodes ?? 1;
    if (n !== 1 && n !== 2) throw new Error(`startCluster: nodes must be 1 or 2 (got ${String(n)})`);
    this.nodes = n === 1 ? ['node-a'] : ['node-a', 'node-b'];
    const witness = options.witness ?? n === 2;
    if (witness && n !== 2) throw new Error('startCluster: witness needs nodes: 2');
    this.witness = witness ? 'qnetd' : undefined;
    this.fencing = (options.fencing ?? n === 2) !== false;
    this.labFence = this.fencing && options.fencing !== 'external';
    this.id = `${LAB_PREFIX}-${process.pid}-${++labSeq}`;
    this.root = join(tmpdir(), this.id);
    this.clusterName = `lab${process.pid}x${labSeq}`.slice(0, 30);
    this.switchNetns = `${this.id}-sw`;
  }

  // ---------------------------------------------------------------- set-up

  /** @internal */
  async start(): Promise<void> {
    const t0 = Date.now();
    const deadline = t0 + (this.opts.timeoutMs ?? 60_000);
    liveLabs.add(this);
    installExitHook();
    mkdirSync(this.root, { recursive: true, mode: 0o755 });
    await run(['ip', 'netns', 'add', this.switchNetns]);
    await this.ipSw(['link', 'add', 'br0', 'type', 'bridge']);
    await this.ipSw(['link', 'set', 'br0', 'up']);
    const names = [...this.nodes, ...(this.witness ? [this.witness] : [])];
    await Promise.all(
      names.map((name, i) => this.createMember(name, name === this.witness ? 'witness' : 'node', i === names.length - 1 && this.witness ? 10 : i + 1)),
    );
    this.writeLabFile();
    const authkey = join(this.root, 'authkey');
    await run(['corosync-keygen', '-l', '-k', authkey]);
    for (const node of this.nodes) this.writeNodeConfig(node, readFileSync(authkey));
    rmSync(authkey);
    if (this.witness) await this.makeCertificates();
    this.timings.setupMs = Date.now() - t0;

    if (this.witness) {
      this.spawnDaemon(this.witness, 'corosync-qnetd', ['corosync-qnetd', '-f']);
      await pollUntil(
        'corosync-qnetd answering',
        async () => (await this.exec(this.witness!, ['corosync-qnetd-tool', '-s'], { allowFailure: true, timeoutMs: 5000 })).exitCode === 0,
        {
          deadline,
          initialDelayMs: 50,
          factor: 1,
        },
      );
    }
    await Promise.all(this.nodes.map((node) => this.startNode(node, deadline)));
    await this.waitFor(
      (mons) => mons.every((m) => m.dc && m.nodes.length === this.nodes.length && m.nodes.every((n) => n.online) && (this.nodes.length === 1 || m.quorum)),
      {
        timeoutMs: Math.max(1, deadline - Date.now()),
        what: 'every node online with a DC and quorum',
      },
    );
    this.timings.clusterUpMs = Date.now() - t0;
  }

  private async ipSw(args: string[]): Promise<ExecResult> {
    return run(['ip', '-n', this.switchNetns, ...args]);
  }

  private async createMember(name: string, role: 'node' | 'witness', host: number): Promise<void> {
    const short = name === 'qnetd' ? 'w' : name.slice(-1);
    const netns = `${this.id}-${short}`;
    const port = `p-${name}`.slice(0, 15);
    const dir = join(this.root, name);
    const addr = `${SUBNET}.${host}`;
    const { uid, gid } = userIds('hacluster', 'haclient');
    for (const d of [
      'pacemaker/cib',
      'pacemaker/pengine',
      'pacemaker/blackbox',
      'pacemaker/cores',
      'corosync-lib',
      'etc-corosync',
      'log/pacemaker',
      'log/corosync',
      'out',
    ]) {
      mkdirSync(join(dir, d), { recursive: true });
    }
    for (const d of ['pacemaker', 'pacemaker/cib', 'pacemaker/pengine', 'pacemaker/blackbox', 'pacemaker/cores', 'log/pacemaker']) {
      chownSync(join(dir, d), uid, gid);
      chmodSync(join(dir, d), d === 'pacemaker' ? 0o755 : d === 'log/pacemaker' ? 0o770 : 0o750);
    }
    writeFileSync(join(dir, 'hosts'), this.hostsFile());
    await run(['ip', 'netns', 'add', netns]);
    await this.ipSw(['link', 'add', port, 'type', 'veth', 'peer', 'name', 'eth0', 'netns', netns]);
    await this.ipSw(['link', 'set', port, 'master', 'br0']);
    await this.ipSw(['link', 'set', port, 'up']);
    await run(['ip', '-n', netns, 'addr', 'add', `${addr}/24`, 'dev', 'eth0']);
    await run(['ip', '-n', netns, 'link', 'set', 'eth0', 'up']);
    await run(['ip', '-n', netns, 'link', 'set', 'lo', 'up']);
    // The holder: `ip netns exec` and `unshare` both exec, so the child's pid is the sleep's.
    const holder = spawn('ip', ['netns', 'exec', netns, 'unshare', '--mount', '--uts', '--propagation', 'private', 'sleep', 'infinity'], {
      stdio: 'ignore',
      cwd: '/',
    });
    holder.unref();
    const holderPid = holder.pid!;
    const ownMnt = nsOf(process.pid, 'mnt');
    await pollUntil(`namespaces of ${name}`, () => commOf(holderPid) === 'sleep' && nsOf(holderPid, 'mnt') !== ownMnt, {
      deadline: Date.now() + 5000,
      initialDelayMs: 10,
      factor: 1,
    });
    const member: LabMember = { name, role, netns, addr, port, dir, holderPid, netnsId: nsOf(holderPid, 'net')! };
    this.members.set(name, member);
    await this.mountPrivate(member);
  }

  private async mountPrivate(m: LabMember): Promise<void> {
    const ns = (argv: string[]) => this.exec(m.name, argv);
    await ns(['mount', '-t', 'tmpfs', '-o', 'mode=0755', `${this.id}-run`, '/run']);
    await ns(['mkdir', '-p', '/run/lock']);
    await ns(['mount', '-t', 'tmpfs', '-o', 'mode=1777', `${this.id}-shm`, '/dev/shm']);
    await ns(['mount', '--bind', join(m.dir, 'pacemaker'), '/var/lib/pacemaker']);
    await ns(['mount', '--bind', join(m.dir, 'corosync-lib'), '/var/lib/corosync']);
    await ns(['mount', '--bind', join(m.dir, 'etc-corosync'), '/etc/corosync']);
    await ns(['mount', '--bind', join(m.dir, 'log'), '/var/log']);
    await ns(['mount', '--bind', join(m.dir, 'hosts'), '/etc/hosts']);
    if (m.role === 'node' && this.labFence) {
      // The lab's fence agent beside Debian's, visible only inside the node (fenced looks in /usr/sbin).
      await ns(['mount', '-t', 'overlay', `${this.id}-sbin`, '-o', `lowerdir=${fenceDir()}:/usr/sbin`, '/usr/sbin']);
    }
    await ns(['hostname', m.name]);
  }

  private hostsFile(): string {
    const lines = ['127.0.0.1 localhost'];
    for (const [i, n] of this.nodes.entries()) lines.push(`${SUBNET}.${i + 1} ${n}`);
    if (this.witness) lines.push(`${SUBNET}.10 ${this.witness}`);
    return `${lines.join('\n')}\n`;
  }

  /** lab.json: what the fence agent needs to find a node (read inside the nodes). */
  private writeLabFile(): void {
    const members: Record<string, unknown> = {};
    for (const m of this.members.values()) members[m.name] = { role: m.role, holderPid: m.holderPid, netns: m.netnsId, addr: m.addr };
    writeFileSync(join(this.root, 'lab.json'), JSON.stringify({ id: this.id, members }, null, 2));
  }

  private writeNodeConfig(node: string, authkey: Buffer): void {
    const m = this.member(node);
    const etc = join(m.dir, 'etc-corosync');
    writeFileSync(
      join(etc, 'corosync.conf'),
      corosyncConf({
        clusterName: this.clusterName,
        nodes: this.nodes.map((n, i) => ({ name: n, nodeid: i + 1, addr: this.member(n).addr })),
        tokenMs: this.opts.tokenMs ?? 1000,
        ...(this.witness ? { qdevice: { host: this.member(this.witness).addr, port: QNETD_PORT, algorithm: 'ffsplit', tls: true } } : {}),
        ...(!this.witness && this.nodes.length === 2 ? { twoNode: true } : {}),
      }),
    );
    writeFileSync(join(etc, 'authkey'), authkey, { mode: 0o400 });
    const props: Record<string, string> = {
      'dc-deadtime': '2s',
      'stonith-enabled': this.fencing ? 'true' : 'false',
      'no-quorum-policy': 'stop',
      ...(this.fencing ? { 'stonith-action': 'off', 'stonith-timeout': '20s' } : {}),
      ...this.opts.properties,
    };
    const cib = join(m.dir, 'pacemaker', 'cib', 'cib.xml');
    writeFileSync(cib, seedCib(props, this.labFence ? this.fenceResourceXml() : ''), { mode: 0o600 });
    const { uid, gid } = userIds('hacluster', 'haclient');
    chownSync(cib, uid, gid);
  }

  /** The stonith resource for fence_lab: one device that can power off every lab node. */
  private fenceResourceXml(): string {
    const id = 'lab-fence';
    const nv = (name: string, value: string) => `          <nvpair id="${id}-${name}" name="${name}" value="${xmlEscape(value)}"/>`;
    return [
      `      <primitive id="${id}" class="stonith" type="fence_lab">`,
      `        <instance_attributes id="${id}-ia">`,
      nv('lab_file', join(this.root, 'lab.json')),
      nv('pcmk_host_list', this.nodes.join(' ')),
      nv('pcmk_host_check', 'static-list'),
      `        </instance_attributes>`,
      `        <operations><op id="${id}-monitor" name="monitor" interval="60s" timeout="20s"/></operations>`,
      `      </primitive>`,
    ].join('\n');
  }

  /**
   * The qdevice-net TLS set-up with the tools corosync ships: qnetd's CA and server certificate
   * (corosync-qnetd-certutil -i), the first node's client certificate request signed by qnetd
   * (-r, -s, -M), and the resulting PKCS#12 imported on the other nodes (-m).
   */
  private async makeCertificates(): Promise<void> {
    const w = this.witness!;
    const first = this.member(this.nodes[0]!);
    const xfer = join(this.root, 'certs');
    mkdirSync(xfer, { recursive: true });
    await this.exec(w, ['corosync-qnetd-certutil', '-i'], { timeoutMs: 60_000 });
    await this.exec(w, ['cp', '/etc/corosync/qnetd/nssdb/qnetd-cacert.crt', join(xfer, 'qnetd-cacert.crt')]);
    await Promise.all(
      this.nodes.map((node) => this.exec(node, ['corosync-qdevice-net-certutil', '-i', '-c', join(xfer, 'qnetd-cacert.crt')], { timeoutMs: 60_000 })),
    );
    await this.exec(first.name, ['corosync-qdevice-net-certutil', '-r', '-n', this.clusterName], { timeoutMs: 60_000 });
    await this.exec(first.name, ['cp', '/etc/corosync/qdevice/net/nssdb/qdevice-net-node.crq', join(xfer, 'qdevice-net-node.crq')]);
    // -s writes cluster-NAME.crt into the current directory's nssdb path; run it from qnetd's side.
    await this.exec(w, ['corosync-qnetd-certutil', '-s', '-c', join(xfer, 'qdevice-net-node.crq'), '-n', this.clusterName], { timeoutMs: 60_000 });
    await this.exec(w, ['cp', `/etc/corosync/qnetd/nssdb/cluster-${this.clusterName}.crt`, join(xfer, 'cluster.crt')]);
    await this.exec(first.name, ['corosync-qdevice-net-certutil', '-M', '-c', join(xfer, 'cluster.crt')], { timeoutMs: 60_000 });
    await this.exec(first.name, ['cp', '/etc/corosync/qdevice/net/nssdb/qdevice-net-node.p12', join(xfer, 'node.p12')]);
    for (const node of this.nodes.slice(1)) {
      await this.exec(node, ['corosync-qdevice-net-certutil', '-m', '-c', join(xfer, 'node.p12')], { timeoutMs: 60_000 });
    }
    rmSync(xfer, { recursive: true, force: true });
  }

  private async startNode(node: string, deadline: number): Promise<void> {
    const t = Date.now();
    this.spawnDaemon(node, 'corosync', ['corosync', '-f']);
    await pollUntil(
      `corosync on ${node}`,
      async () => (await this.exec(node, ['corosync-cfgtool', '-s'], { allowFailure: true, timeoutMs: 5000 })).exitCode === 0,
      {
        deadline,
        initialDelayMs: 50,
        factor: 1,
      },
    );
    if (this.witness) this.spawnDaemon(node, 'corosync-qdevice', ['corosync-qdevice', '-f']);
    this.spawnDaemon(node, 'pacemakerd', ['pacemakerd'], {
      PCMK_logfile: '/var/log/pacemaker/pacemaker.log',
      PCMK_logfacility: 'none',
      // For fence agents run by pacemaker-fenced (fence_aws, boto3): the lab CA that serveAws()
      // makes, and no ~/.aws files. Harmless until serveAws() is used.
      AWS_CA_BUNDLE: join(this.root, 'aws-tls', 'ca.pem'),
      AWS_CONFIG_FILE: '/nonexistent/aws-config',
      AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials',
    });
    await pollUntil(
      `${node} online with a DC`,
      async () => {
        const mon = await this.crmMon(node).catch(() => undefined);
        return !!mon?.dc && !!mon.nodes.find((n) => n.name === node)?.online;
      },
      { deadline, initialDelayMs: 100, factor: 1 },
    );
    this.timings.nodeUpMs[node] = Date.now() - t;
  }

  private spawnDaemon(member: string, name: string, argv: string[], env: Record<string, string> = {}): Daemon {
    const m = this.member(member);
    const out = openSync(join(m.dir, 'out', `${name}.log`), 'a');
    const child = spawn('nsenter', ['-t', String(m.holderPid), '-m', '-u', '-n', '--', ...argv], {
      stdio: ['ignore', out, out],
      cwd: '/',
      env: { PATH, LANG: 'C.UTF-8', ...env },
    });
    closeSync(out);
    // Not holding the test process open: a forgotten stop() still ends in the exit hook's teardown.
    child.unref();
    const d: Daemon = { name, child, exited: false };
    child.on('exit', () => (d.exited = true));
    child.on('error', () => (d.exited = true));
    const list = this.daemons.get(member) ?? [];
    list.push(d);
    this.daemons.set(member, list);
    return d;
  }

  // ---------------------------------------------------------------- API

  member(name: string): LabMember {
    const m = this.members.get(name);
    if (!m) throw new Error(`cluster-lab: no member "${name}" (members: ${[...this.members.keys()].join(', ')})`);
    return m;
  }

  /** Runs `argv` inside the member's network, mount and UTS namespaces (no shell). Throws CommandFailedError on non-zero exit unless `allowFailure`. */
  exec(member: string, argv: readonly string[], options: RunOptions = {}): Promise<ExecResult> {
    const m = this.member(member);
    return run(['nsenter', '-t', String(m.holderPid), '-m', '-u', '-n', '--', ...argv], { ...options, env: { PATH, LANG: 'C.UTF-8', ...options.env } });
  }

  /** `crm_mon --output-as=xml -1` on `node` (default the first node), parsed. */
  async crmMon(node: string = this.nodes[0]!): Promise<CrmMon> {
    const r = await this.exec(node, ['crm_mon', '--output-as=xml', '-1'], { allowFailure: true, timeoutMs: 10_000 });
    return parseCrmMon(r.stdout, node);
  }

  /** Runs cibadmin with `args` on `node`; returns its stdout (XML for queries). */
  async cibadmin(node: string, args: readonly string[], input?: string): Promise<string> {
    const r = await this.exec(node, ['cibadmin', ...args, ...(input !== undefined ? ['--xml-pipe'] : [])], {
      ...(input !== undefined ? { input } : {}),
      timeoutMs: 20_000,
    });
    return r.stdout;
  }

  /** The CIB (or one `scope`: configuration, resources, constraints, status…) from `node`, parsed. */
  async cib(node: string = this.nodes[0]!, scope?: string): Promise<{ xml: string; root: XmlElement }> {
    const xml = await this.cibadmin(node, ['--query', '--local', ...(scope ? ['--scope', scope] : [])]);
    return { xml, root: parseXml(xml, 'cibadmin --query') };
  }

  /** The CIB status section from `node`: every recorded resource operation and transient node attributes. */
  async cibStatus(node: string = this.nodes[0]!): Promise<{ ops: LrmOp[]; attrs: Record<string, Record<string, string>>; xml: string }> {
    const { xml } = await this.cib(node, 'status');
    return { ops: parseLrmOps(xml), attrs: parseTransientAttrs(xml), xml };
  }

  /** Adds XML to a CIB section (`resources`, `constraints`…) through `cibadmin --create`. */
  async cibCreate(scope: string, xml: string, node: string = this.nodes[0]!): Promise<void> {
    await this.cibadmin(node, ['--create', '--scope', scope], xml);
  }

  /**
   * Polls crm_mon on every node (or `options.nodes`) until `pred` returns something truthy,
   * returning that value; a poll where some node's crm_mon cannot answer is retried. Throws a
   * timeout error naming `what` with the last status (and crm_mon error) seen.
   */
  async waitFor<T>(
    pred: (mons: CrmMon[]) => T | undefined | false | null,
    options: { timeoutMs?: number; nodes?: readonly string[]; intervalMs?: number; what?: string } = {},
  ): Promise<T> {
    const nodes = options.nodes ?? this.nodes;
    let last: CrmMon[] = [];
    let lastError: string | undefined;
    try {
      const { value } = await pollUntil(
        options.what ?? 'cluster condition',
        async () => {
          // A node that cannot answer yet (starting, just fenced) is polled again, not an error.
          try {
            last = await Promise.all(nodes.map((n) => this.crmMon(n)));
            lastError = undefined;
          } catch (err) {
            lastError = err instanceof Error ? err.message : String(err);
            return undefined;
          }
          const v = pred(last);
          return v === null ? undefined : v;
        },
        { deadline: Date.now() + (options.timeoutMs ?? 30_000), initialDelayMs: options.intervalMs ?? 100, factor: 1 },
      );
      return value as T;
    } catch (err) {
      if (err instanceof Error && last.length) err.message += `; last status: ${last.map((m) => summary(m)).join(' | ')}`;
      if (err instanceof Error && lastError) err.message += `; last crm_mon error: ${lastError}`;
      throw err;
    }
  }

  /** Live pids of the named daemon (e.g. `corosync`, `pacemakerd`) started by the lab on `member`. */
  daemonPids(member: string, name: string): number[] {
    return (this.daemons.get(member) ?? []).filter((d) => d.name === name && !d.exited && d.child.pid && alive(d.child.pid)).map((d) => d.child.pid!);
  }

  /** Every live process inside the member's network namespace except the namespace holder. */
  processesOf(member: string): number[] {
    const m = this.member(member);
    return pidsInNetns(m.netnsId).filter((p) => p !== m.holderPid);
  }

  /**
   * Serves the AWS emulator inside every node at `ec2.<region>.amazonaws.com:443` over TLS (a lab
   * CA, `AWS_CA_BUNDLE`) and, when `imds` is given, IMDS at 169.254.169.254 per node; see aws.ts.
   * Closed by stop().
   */
  async serveAws(options: ServeAwsOptions): Promise<AwsInLab> {
    const aws = await serveAws(this, options);
    this.closers.push(() => aws.close());
    return aws;
  }

  /**
   * Ties each node's power to an instance state, e.g. `() => emu.state.findInstance(id)?.instance.state`:
   * when it turns `stopping` or `stopped` the node is powered off (as fence_aws's StopInstances
   * would do to a real instance); when it is `running` again after that, the node is powered on.
   * Polls every `intervalMs` (default 50). Ends with stop() or the lab's stop().
   */
  followInstances(
    states: Readonly<Record<string, () => string | undefined>>,
    options: { intervalMs?: number } = {},
  ): { events: { node: string; action: 'off' | 'on'; at: number; doneAt?: number; error?: string }[]; stop: () => void } {
    for (const node of Object.keys(states)) this.nodeMember(node);
    const events: { node: string; action: 'off' | 'on'; at: number; doneAt?: number; error?: string }[] = [];
    const busy = new Set<string>();
    const offByUs = new Set<string>();
    const timer = setInterval(() => {
      for (const [node, stateOf] of Object.entries(states)) {
        if (busy.has(node) || this.stopped) continue;
        const state = stateOf();
        const act = state === 'stopping' || state === 'stopped' ? 'off' : state === 'running' && offByUs.has(node) ? 'on' : undefined;
        if (!act || (act === 'off' && offByUs.has(node))) continue;
        const ev: (typeof events)[number] = { node, action: act, at: Date.now() };
        events.push(ev);
        busy.add(node);
        const work = act === 'off' ? this.powerOff(node).then(() => void offByUs.add(node)) : this.powerOn(node).then(() => void offByUs.delete(node));
        work
          .then(() => (ev.doneAt = Date.now()))
          .catch((err: unknown) => (ev.error = err instanceof Error ? err.message : String(err)))
          .finally(() => busy.delete(node));
      }
    }, options.intervalMs ?? 50);
    timer.unref();
    const stop = () => clearInterval(timer);
    this.closers.push(async () => stop());
    return { events, stop };
  }

  // ---------------------------------------------------------------- faults

  /**
   * Crashes a node: SIGKILL to its corosync and pacemakerd at once (Pacemaker's other daemons
   * are left to notice, as after a real crash they would be gone with the machine: fencing
   * finishes them). Returns `Date.now()` at the kill.
   */
  crash(node: string): number {
    this.nodeMember(node);
    const pids = [...this.daemonPids(node, 'corosync'), ...this.daemonPids(node, 'pacemakerd')];
    if (!pids.length) throw new Error(`cluster-lab: crash(${node}): no corosync or pacemakerd running there`);
    const at = Date.now();
    killAll(pids);
    return at;
  }

  /**
   * True when the node is powered off: no process in its namespace and its eth0 down (what
   * fence_lab leaves). The link is read from the switch side (NO-CARRIER on the node's port):
   * a command run inside a node being fenced is itself killed by the fence's sweep.
   */
  async isPoweredOff(node: string): Promise<boolean> {
    const m = this.nodeMember(node);
    if (this.processesOf(node).length) return false;
    const link = await this.ipSw(['-o', 'link', 'show', 'dev', m.port]);
    return /<[^>]*\bNO-CARRIER\b[^>]*>/.test(link.stdout);
  }

  /** Powers a node off the way fence_lab does: SIGKILL to every process in its namespace, eth0 down. */
  async powerOff(node: string): Promise<void> {
    const m = this.nodeMember(node);
    for (let i = 0; i < 20; i++) {
      const pids = this.processesOf(node);
      if (!pids.length) break;
      killAll(pids);
      await waitGone(pids, 1000);
    }
    await run(['ip', '-n', m.netns, 'link', 'set', 'dev', 'eth0', 'down']);
  }

  /**
   * powerOff at once, without yielding: SIGKILL to every process in the node's namespace and
   * eth0 down (`ip`, run synchronously), so a caller inside an API request (the emulator's
   * StopInstances) can answer only once the node is off. A process the kernel has yet to reap
   * can no longer reach the lab (its link is down); powerOff() afterwards waits for them.
   */
  cutPower(node: string): void {
    const m = this.nodeMember(node);
    killAll(this.processesOf(node));
    const r = spawnSync('ip', ['-n', m.netns, 'link', 'set', 'dev', 'eth0', 'down'], { env: { PATH }, timeout: 5000, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`cluster-lab: cutPower(${node}): ip link set eth0 down failed: ${r.stderr || r.error?.message}`);
  }

  /**
   * Powers a node back on after a fence or powerOff: eth0 up, a fresh /run and /dev/shm (as after
   * a reboot; its /var/lib/pacemaker is kept), its cluster stack started again. Resolves when it
   * sees itself online with a DC.
   */
  async powerOn(node: string, options: { timeoutMs?: number } = {}): Promise<number> {
    const m = this.nodeMember(node);
    const stack = this.processesOf(node).filter((p) => /^(corosync|pacemaker)/.test(commOf(p) ?? ''));
    if (stack.length)
      throw new Error(`cluster-lab: powerOn(${node}): its cluster stack is still running (pids ${stack.join(' ')}); powerOff or fence it first`);
    // Anything else in there (a command a test is running into the "off" node) goes, as at a boot.
    const stray = this.processesOf(node);
    killAll(stray);
    await waitGone(stray, 2000);
    // A reboot loses every address added at run time (a virtual IP the node held): only the lab address comes back.
    await run(['ip', '-n', m.netns, 'addr', 'flush', 'dev', 'eth0']);
    await run(['ip', '-n', m.netns, 'addr', 'add', `${m.addr}/24`, 'dev', 'eth0']);
    await run(['ip', '-n', m.netns, 'link', 'set', 'dev', 'eth0', 'up']);
    for (const [fs, mode] of [
      ['/run', '0755'],
      ['/dev/shm', '1777'],
    ] as const) {
      await this.exec(node, ['umount', '-l', fs]);
      await this.exec(node, ['mount', '-t', 'tmpfs', '-o', `mode=${mode}`, `${this.id}-${fs === '/run' ? 'run' : 'shm'}`, fs]);
    }
    await this.exec(node, ['mkdir', '-p', '/run/lock']);
    const t = Date.now();
    await this.startNode(node, t + (options.timeoutMs ?? 30_000));
    return Date.now() - t;
  }

  /**
   * Cuts the lab network into `groups` of members that can reach each other and no one else.
   * Every member is listed, except that the witness may be left out, which means "reachable
   * from every group"; then each group must be one node (a cut between the two nodes only).
   * Example: `partition([['node-a'], ['node-b', 'qnetd']])` (the witness sides with node-b),
   * `partition([['node-a'], ['node-b']])` (the nodes lose each other, both keep the witness).
   */
  async partition(groups: readonly (readonly string[])[]): Promise<void> {
    const all = [...this.members.keys()];
    const listed = groups.flat();
    for (const name of listed) this.member(name);
    if (new Set(listed).size !== listed.length) throw new Error(`cluster-lab: partition: a member is listed twice (${listed.join(', ')})`);
    const missing = all.filter((n) => !listed.includes(n));
    await this.heal();
    if (missing.length === 0) {
      for (let i = 1; i < groups.length; i++) {
        const br = `br${i}`;
        await run(['ip', '-n', this.switchNetns, 'link', 'add', br, 'type', 'bridge'], { allowFailure: true });
        await this.ipSw(['link', 'set', br, 'up']);
        for (const name of groups[i]!) await this.ipSw(['link', 'set', this.member(name).port, 'master', br]);
      }
      return;
    }
    if (missing.length !== 1 || missing[0] !== this.witness || groups.some((g) => g.length !== 1)) {
      throw new Error(
        `cluster-lab: partition: list every member (${all.join(', ')}); only the witness may be left out (reachable by all), and then each group must be a single node`,
      );
    }
    // Isolated bridge ports reach only non-isolated ones: the nodes lose each other, keep the witness.
    for (const name of listed) await this.ipSw(['link', 'set', 'dev', this.member(name).port, 'type', 'bridge_slave', 'isolated', 'on']);
  }

  /** Undoes partition(): one bridge, no isolated port. */
  async heal(): Promise<void> {
    for (const m of this.members.values()) {
      await this.ipSw(['link', 'set', m.port, 'master', 'br0']);
      await this.ipSw(['link', 'set', 'dev', m.port, 'type', 'bridge_slave', 'isolated', 'off']);
    }
    const links = await this.ipSw(['-o', 'link', 'show', 'type', 'bridge']);
    for (const br of links.stdout.matchAll(/^\d+: (br\d+)[:@]/gm)) {
      if (br[1] !== 'br0') await this.ipSw(['link', 'del', br[1]!]);
    }
  }

  private nodeMember(node: string): LabMember {
    const m = this.member(node);
    if (m.role !== 'node') throw new Error(`cluster-lab: ${node} is the witness, not a cluster node (nodes: ${this.nodes.join(', ')})`);
    return m;
  }

  /** Removes every process, namespace and directory of the lab. Safe to call twice. */
  stop(): Promise<void> {
    this.stopping ??= this.teardown();
    return this.stopping;
  }

  private async teardown(): Promise<void> {
    if (this.stopped) return;
    for (const close of this.closers.splice(0)) await close().catch(() => undefined);
    const pids: number[] = [];
    for (const m of this.members.values()) pids.push(...pidsInNetns(m.netnsId));
    for (const list of this.daemons.values()) for (const d of list) if (d.child.pid && !d.exited) pids.push(d.child.pid);
    killAll(pids);
    await waitGone(pids, 5000);
    for (const m of this.members.values()) await run(['ip', 'netns', 'del', m.netns], { allowFailure: true });
    await run(['ip', 'netns', 'del', this.switchNetns], { allowFailure: true });
    rmSync(this.root, { recursive: true, force: true });
    this.stopped = true;
    liveLabs.delete(this);
  }

  /** @internal synchronous best-effort teardown for process exit. */
  stopSync(): void {
    if (this.stopped) return;
    for (const m of this.members.values()) killAll(pidsInNetns(m.netnsId));
    for (const list of this.daemons.values()) for (const d of list) if (d.child.pid) killAll([d.child.pid]);
    for (const m of this.members.values()) spawnSync('ip', ['netns', 'del', m.netns]);
    spawnSync('ip', ['netns', 'del', this.switchNetns]);
    rmSync(this.root, { recursive: true, force: true });
    this.stopped = true;
  }
}

/** One line per crm_mon view, for error messages. */
export function summary(m: CrmMon): string {
  const nodes = m.nodes.map((n) => `${n.name}:${n.online ? 'online' : 'offline'}${n.unclean ? ',unclean' : ''}`).join(' ');
  const rscs = m.resources.map((r) => `${r.id}=${r.role}${r.nodes.length ? `@${r.nodes.join('+')}` : ''}${r.failed ? '(failed)' : ''}`).join(' ');
  return `${m.from}: dc=${m.dc?.name ?? '-'} quorum=${m.quorum} [${nodes}] {${rscs}}`;
}

function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on('exit', () => {
    for (const lab of liveLabs) lab.stopSync();
  });
}
