/**
 * A Pacemaker/corosync cluster across lab VMs (the image has pacemaker, pacemaker-cli-utils and
 * corosync). No systemd in a VM: corosync and pacemakerd run as daemons the helper starts
 * (`setsid corosync -f`, `setsid pacemakerd`), as packages/cluster-lab does on the host. Corosync
 * (knet, one ring) runs over the addresses given (the VMs' lab links), `two_node: 1` for two
 * nodes (quorum with one node after both were seen: `wait_for_all`). The seed CIB sets the
 * cluster properties before the first election (`dc-deadtime`, `stonith-enabled`...).
 *
 * Fencing: there is no fence device inside the VMs, so `stonith-enabled` defaults to false
 * (docs/operate/vm-lab.md, "Pacemaker in the VMs"): Pacemaker never confirms a node fenced, and
 * a kit's own fencing rules (the mirror kit's gate) see an unreachable peer as unconfirmed.
 */
import { randomBytes } from 'node:crypto';
import type { Vm } from './vm.ts';

export interface PacemakerNode {
  vm: Vm;
  /** The address corosync binds on this VM (its end of a lab link, already configured). */
  addr: string;
}

export interface PacemakerSpec {
  nodes: PacemakerNode[];
  clusterName?: string;
  /** Cluster properties for the seed CIB, over the defaults (stonith-enabled=false, dc-deadtime=5s...). */
  properties?: Readonly<Record<string, string>>;
  /** Totem token in ms. Default 5000: TCG guests on a busy machine stall for seconds. */
  tokenMs?: number;
  /** Time allowed for every node to be online with a DC. Default 600 s. */
  timeoutMs?: number;
  log?: (line: string) => void;
}

/** What `crm_mon --output-as=xml` says, reduced to what lab tests wait for. */
export interface PcmkState {
  dc: string | undefined;
  quorum: boolean;
  online: string[];
  /** Per resource id (clone instances under their primitive id): role and node of each active instance. */
  resources: Array<{ id: string; role: string; node: string | undefined; failed: boolean }>;
  /** Failed operations: `op_key on node: exit status (exit reason)`. */
  failures: string[];
  xml: string;
}

export interface VmCluster {
  nodes: PacemakerNode[];
  /** ms from starting corosync to every node online with a DC. */
  upMs: number;
  /** crm_mon on one node (default the first). */
  state(on?: Vm): Promise<PcmkState>;
  /**
   * Polls crm_mon (every 2 s) until `ok` holds; throws naming `what` with the last state after
   * `timeoutMs`, or at once when an operation failed (unless `failuresOk`).
   */
  waitFor(what: string, ok: (s: PcmkState) => boolean, timeoutMs?: number, on?: Vm, failuresOk?: boolean): Promise<PcmkState>;
  /** cibadmin on the first node; `input` (XML) goes to it through --xml-pipe. */
  cib(args: string[], input?: string): Promise<string>;
  /** The daemons' logs of one node (the end of them), for a failure message. */
  logs(vm: Vm, lines?: number): Promise<string>;
}

const attr = (s: string, name: string) => new RegExp(`\\b${name}="([^"]*)"`).exec(s)?.[1];

/** crm_mon --output-as=xml, read with regular expressions (its shape is stable; vmlab has no XML parser). */
export function parseCrmMonXml(xml: string): PcmkState {
  const dcTag = /<current_dc\b[^>]*>/.exec(xml)?.[0] ?? '';
  const dc = attr(dcTag, 'present') === 'true' ? attr(dcTag, 'name') : undefined;
  const nodesPart = /<nodes>([\s\S]*?)<\/nodes>/.exec(xml)?.[1] ?? '';
  const online = [...nodesPart.matchAll(/<node\b[^>]*>/g)]
    .map((m) => m[0])
    .filter((t) => attr(t, 'online') === 'true')
    .map((t) => attr(t, 'name')!);
  const resPart = /<resources>([\s\S]*?)<\/resources>/.exec(xml)?.[1] ?? '';
  const resources = [...resPart.matchAll(/<resource\b([^>]*?)(\/>|>([\s\S]*?)<\/resource>)/g)].map((m) => ({
    id: attr(m[1]!, 'id') ?? '',
    role: attr(m[1]!, 'role') ?? '',
    node: m[3] ? attr(/<node\b[^>]*>/.exec(m[3])?.[0] ?? '', 'name') : undefined,
    failed: attr(m[1]!, 'failed') === 'true',
  }));
  const failures = [...xml.matchAll(/<failure\b[^>]*>/g)].map(
    (m) => `${attr(m[0], 'op_key')} on ${attr(m[0], 'node')}: ${attr(m[0], 'exitstatus')} (${attr(m[0], 'exitreason') ?? ''})`,
  );
  return { dc, quorum: attr(dcTag, 'with_quorum') === 'true', online, resources, failures, xml };
}

/** corosync.conf for knet over the lab links. */
export function vmCorosyncConf(name: string, nodes: ReadonlyArray<{ name: string; addr: string }>, tokenMs: number): string {
  const list = nodes.map((n, i) => `  node {\n    name: ${n.name}\n    nodeid: ${i + 1}\n    ring0_addr: ${n.addr}\n  }`).join('\n');
  return [
    'totem {',
    '  version: 2',
    `  cluster_name: ${name}`,
    '  transport: knet',
    `  token: ${tokenMs}`,
    '  crypto_cipher: aes256',
    '  crypto_hash: sha256',
    '}',
    'nodelist {',
    list,
    '}',
    'quorum {',
    '  provider: corosync_votequorum',
    ...(nodes.length === 2 ? ['  two_node: 1'] : []),
    '}',
    'logging {',
    '  to_stderr: no',
    '  to_syslog: no',
    '  to_logfile: yes',
    '  logfile: /var/log/corosync/corosync.log',
    '  timestamp: on',
    '}',
    '',
  ].join('\n');
}

const xmlAttr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

export function vmSeedCib(properties: Readonly<Record<string, string>>): string {
  const nv = Object.entries(properties)
    .map(([k, v]) => `        <nvpair id="cib-bootstrap-options-${xmlAttr(k)}" name="${xmlAttr(k)}" value="${xmlAttr(v)}"/>`)
    .join('\n');
  return `<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">
  <configuration>
    <crm_config>
      <cluster_property_set id="cib-bootstrap-options">
${nv}
      </cluster_property_set>
    </crm_config>
    <nodes/>
    <resources/>
    <constraints/>
  </configuration>
  <status/>
</cib>
`;
}

/** Forms the cluster and waits until every node is online with a DC (and quorum). */
export async function startPacemaker(spec: PacemakerSpec): Promise<VmCluster> {
  if (spec.nodes.length < 2) throw new Error('startPacemaker: a cluster of lab VMs has at least two nodes');
  const t0 = Date.now();
  const names = spec.nodes.map((n) => n.vm.name);
  const conf = vmCorosyncConf(
    spec.clusterName ?? 'rklab',
    spec.nodes.map((n) => ({ name: n.vm.name, addr: n.addr })),
    spec.tokenMs ?? 5000,
  );
  const cibXml = vmSeedCib({
    'stonith-enabled': 'false',
    'no-quorum-policy': 'stop',
    'dc-deadtime': '5s',
    'cluster-recheck-interval': '60s',
    ...spec.properties,
  });
  // 128 random bytes as hex: 1024 bits of key material for knet's crypto (the channel carries text).
  const authkey = randomBytes(128).toString('hex');
  await Promise.all(
    spec.nodes.map(async ({ vm }) => {
      await vm.writeFile('/etc/corosync/corosync.conf', conf);
      await vm.writeFile('/etc/corosync/authkey', authkey, '0400');
      await vm.writeFile('/var/lib/pacemaker/cib/cib.xml', cibXml, '0600');
      await vm.sh(
        [
          'chown hacluster:haclient /var/lib/pacemaker/cib/cib.xml',
          'rm -f /var/lib/pacemaker/cib/cib.xml.sig /var/lib/pacemaker/cib/cib-*',
          'mkdir -p /var/log/corosync /var/log/pacemaker /var/lib/corosync && chown hacluster:haclient /var/log/pacemaker',
          'setsid corosync -f </dev/null >/var/log/corosync/stdout.log 2>&1 &',
          'for i in $(seq 1 120); do corosync-cfgtool -s >/dev/null 2>&1 && break; sleep 1; done',
          'corosync-cfgtool -s >/dev/null',
          'PCMK_logfile=/var/log/pacemaker/pacemaker.log PCMK_logfacility=none setsid pacemakerd </dev/null >/var/log/pacemaker/stdout.log 2>&1 &',
        ].join('\n'),
        { timeoutSec: 300 },
      );
      spec.log?.(`vmlab pacemaker: corosync and pacemakerd started on ${vm.name}`);
    }),
  );
  const first = spec.nodes[0]!.vm;
  const state = async (on: Vm = first): Promise<PcmkState> => {
    const r = await on.run(['crm_mon', '--one-shot', '--output-as=xml', '--inactive'], { timeoutSec: 60 });
    return parseCrmMonXml(r.exitCode === 0 ? r.stdout : '');
  };
  const logs = async (vm: Vm, lines = 40) =>
    (await vm.run(['sh', '-c', `tail -n ${lines} /var/log/corosync/corosync.log /var/log/pacemaker/pacemaker.log 2>&1`])).stdout;
  const waitFor = async (what: string, ok: (s: PcmkState) => boolean, timeoutMs = 300_000, on: Vm = first, failuresOk = false) => {
    const until = Date.now() + timeoutMs;
    let last: PcmkState | undefined;
    for (;;) {
      last = await state(on);
      if (ok(last)) return last;
      if (!failuresOk && last.failures.length)
        throw new Error(`pacemaker: waiting for ${what}, an operation failed: ${last.failures.join('; ')}; crm_mon on ${on.name}:\n${last.xml}`);
      if (Date.now() > until)
        throw new Error(`pacemaker: ${what} not reached after ${timeoutMs / 1000} s; crm_mon on ${on.name}:\n${last.xml || '(no answer)'}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const cluster: VmCluster = {
    nodes: spec.nodes,
    upMs: 0,
    state,
    waitFor,
    logs,
    async cib(args, input) {
      const r = await first.run(['cibadmin', ...args, ...(input !== undefined ? ['--xml-pipe'] : [])], {
        timeoutSec: 120,
        ...(input !== undefined ? { input } : {}),
      });
      if (r.exitCode !== 0) throw new Error(`cibadmin ${args.join(' ')} on ${first.name} exited ${r.exitCode}: ${(r.stderr || r.stdout).trim()}`);
      return r.stdout;
    },
  };
  try {
    // Every node must see the whole cluster: ask each one.
    for (const { vm } of spec.nodes)
      await waitFor(
        'every node online with a DC and quorum',
        (s) => !!s.dc && s.quorum && names.every((n) => s.online.includes(n)),
        spec.timeoutMs ?? 600_000,
        vm,
      );
  } catch (err) {
    const tails = await Promise.all(spec.nodes.map(async ({ vm }) => `--- ${vm.name}\n${await logs(vm).catch((e: Error) => e.message)}`));
    throw new Error(`${(err as Error).message}\n${tails.join('\n')}`);
  }
  cluster.upMs = Date.now() - t0;
  spec.log?.(`vmlab pacemaker: ${names.join(', ')} online with a DC in ${(cluster.upMs / 1000).toFixed(1)} s`);
  return cluster;
}
