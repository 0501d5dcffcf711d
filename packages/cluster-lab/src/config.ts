/** The files a lab node starts from: corosync.conf and a seed CIB. */
import { xmlEscape } from './xml.ts';

export interface CorosyncNode {
  name: string;
  nodeid: number;
  addr: string;
}

export interface CorosyncConfOptions {
  clusterName: string;
  nodes: readonly CorosyncNode[];
  /** Totem token timeout in ms (the lab uses 1000). */
  tokenMs: number;
  /** `two_node: 1` (only without a qdevice). */
  twoNode?: boolean;
  /** The witness: corosync-qdevice talking to corosync-qnetd at this address. */
  qdevice?: { host: string; port: number; algorithm: 'ffsplit' | 'lms'; tls: boolean };
}

/** corosync.conf for knet on the lab's addresses, logging to /var/log/corosync (private to the node). */
export function corosyncConf(o: CorosyncConfOptions): string {
  if (o.twoNode && o.qdevice) throw new Error('corosyncConf: two_node and a qdevice exclude each other (votequorum refuses both)');
  const nodes = o.nodes
    .map((n) => ['  node {', `    name: ${n.name}`, `    nodeid: ${n.nodeid}`, `    ring0_addr: ${n.addr}`, '  }'].join('\n'))
    .join('\n');
  const quorum = ['quorum {', '  provider: corosync_votequorum'];
  if (o.twoNode) quorum.push('  two_node: 1');
  if (o.qdevice) {
    quorum.push(
      '  device {',
      '    model: net',
      '    votes: 1',
      // qdevice's own timers (ms): short, so the lab's failover is not bounded by qdevice's 10 s default.
      '    timeout: 2000',
      '    sync_timeout: 4000',
      '    net {',
      `      host: ${o.qdevice.host}`,
      `      port: ${o.qdevice.port}`,
      `      algorithm: ${o.qdevice.algorithm}`,
      `      tls: ${o.qdevice.tls ? 'on' : 'off'}`,
      '    }',
      '  }',
    );
  }
  quorum.push('}');
  return [
    'totem {',
    '  version: 2',
    `  cluster_name: ${o.clusterName}`,
    '  transport: knet',
    `  token: ${o.tokenMs}`,
    '  crypto_cipher: aes256',
    '  crypto_hash: sha256',
    '}',
    'nodelist {',
    nodes,
    '}',
    ...quorum,
    'logging {',
    '  to_stderr: yes',
    '  to_syslog: no',
    '  to_logfile: yes',
    '  logfile: /var/log/corosync/corosync.log',
    '  timestamp: on',
    '}',
    '',
  ].join('\n');
}

/**
 * A seed CIB: cluster properties set before the first start, so `dc-deadtime` applies to the
 * first election (about 5 s to a DC instead of 20 s). No `crm_feature_set`: pacemaker-based
 * refuses a CIB whose feature set is newer than its own, and fills it in itself.
 */
export function seedCib(properties: Readonly<Record<string, string>>, resourcesXml = ''): string {
  const nvpairs = Object.entries(properties)
    .map(([k, v]) => `        <nvpair id="cib-bootstrap-options-${xmlEscape(k)}" name="${xmlEscape(k)}" value="${xmlEscape(v)}"/>`)
    .join('\n');
  return [
    '<cib validate-with="pacemaker-3.9" epoch="1" num_updates="0" admin_epoch="0">',
    '  <configuration>',
    '    <crm_config>',
    '      <cluster_property_set id="cib-bootstrap-options">',
    nvpairs,
    '      </cluster_property_set>',
    '    </crm_config>',
    '    <nodes/>',
    resourcesXml ? `    <resources>\n${resourcesXml}\n    </resources>` : '    <resources/>',
    '    <constraints/>',
    '  </configuration>',
    '  <status/>',
    '</cib>',
    '',
  ].join('\n');
}
