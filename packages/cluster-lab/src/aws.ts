/**
 * The AWS API inside the lab, for fence_aws (boto3): bookworm's botocore 1.29 ignores
 * AWS_ENDPOINT_URL and fence_aws has no endpoint option, so in each node the emulator must answer
 * at the regional host name over TLS. Per node:
 *  - an address on the node's loopback (AWS_API_ADDR) that /etc/hosts (private to the node's mount
 *    namespace) gives as `ec2.<region>.amazonaws.com`;
 *  - a listening socket on it at 443, opened inside the node's network namespace by a helper
 *    (bin/ns-listen.mjs) and handed to this process, which terminates TLS with a lab CA's server
 *    certificate (made with openssl) and forwards each request to the emulator's HTTP endpoint on
 *    the host's loopback;
 *  - optionally IMDS at 169.254.169.254:80 inside the node, forwarded to the emulator's IMDS
 *    listener of that node's instance (fence_aws asks IMDS which instance it runs on before a stop).
 * The host's own network namespace never gets a lab address, and never talks to 169.254.169.254.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { Server, Socket } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { run } from './proc.ts';

/** The address `ec2.<region>.amazonaws.com` resolves to inside the nodes (on each node's lo). */
export const AWS_API_ADDR = '10.98.0.1';
export const IMDS_ADDR = '169.254.169.254';

export interface ServeAwsOptions {
  /** The emulator's HTTP endpoint on the host's loopback, e.g. `emu.endpoint`. */
  endpoint: string;
  /** Region whose EC2 host name is served. Default us-east-1. */
  region?: string;
  /** Per node, the emulator's IMDS base URL for that node's instance (`emu.imdsUrlFor(id)`). */
  imds?: Readonly<Record<string, string>>;
}

export interface AwsInLab {
  /** `ec2.<region>.amazonaws.com`. */
  host: string;
  /** The lab CA (PEM) to give fence_aws/boto3 as AWS_CA_BUNDLE; it is a file every node can read. */
  caFile: string;
  /** Environment for fence_aws inside a node: CA bundle, no shared config or credentials files. */
  env: Record<string, string>;
  /** Requests forwarded so far, per node (method and path). */
  requests: { node: string; method: string; path: string; status: number }[];
  close(): Promise<void>;
}

export interface LabLike {
  readonly root: string;
  readonly nodes: readonly string[];
  member(name: string): { netns: string; holderPid: number; dir: string };
  exec(node: string, argv: readonly string[], options?: { allowFailure?: boolean }): Promise<{ exitCode: number | undefined; stdout: string }>;
}

function listenHelper(): string {
  return join(dirname(fileURLToPath(import.meta.url)), '..', 'bin', 'ns-listen.mjs');
}

/** Opens a listening socket at host:port inside the network namespace of `holderPid`; resolves with it. */
export function listenInNamespace(holderPid: number, host: string, port: number): Promise<Server> {
  return new Promise((resolve, reject) => {
    const child = spawn('nsenter', ['-t', String(holderPid), '-n', '--', process.execPath, listenHelper(), host, String(port)], {
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      cwd: '/',
    });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
    child.on('message', (msg, handle) => {
      if (msg === 'listening' && handle) resolve(handle as Server);
    });
    child.on('exit', (code) => {
      if (code !== 0) reject(new Error(`cluster-lab: cannot listen on ${host}:${port} in the lab (exit ${code}): ${err.trim()}`));
    });
    child.on('error', reject);
  });
}

/** A lab CA and a server certificate for `host`, made with openssl in `dir`. */
export async function makeLabCertificates(dir: string, host: string): Promise<{ ca: string; key: string; cert: string }> {
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const f = (n: string) => join(dir, n);
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run(['openssl', 'req', '-x509', ...ec, '-keyout', f('ca.key'), '-out', f('ca.pem'), '-days', '2', '-subj', '/CN=recovery-kit cluster-lab CA',
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run(['openssl', 'req', ...ec, '-keyout', f('server.key'), '-out', f('server.csr'), '-subj', `/CN=${host}`]);
  writeFileSync(f('server.ext'), `subjectAltName=DNS:${host}\nextendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\nbasicConstraints=CA:FALSE\n`);
  await run(['openssl', 'x509', '-req', '-in', f('server.csr'), '-CA', f('ca.pem'), '-CAkey', f('ca.key'), '-CAcreateserial', '-out', f('server.pem'), '-days', '2',
    '-extfile', f('server.ext')]);
  return { ca: f('ca.pem'), key: f('server.key'), cert: f('server.pem') };
}

function forwarder(target: string, node: string, log: AwsInLab['requests']) {
  const base = new URL(target);
  return (req: http.IncomingMessage, res: http.ServerResponse) => {
    const up = http.request(
      { host: base.hostname, port: base.port, method: req.method, path: `${base.pathname.replace(/\/$/, '')}${req.url ?? '/'}`, headers: req.headers },
      (r) => {
        log.push({ node, method: req.method ?? '', path: req.url ?? '', status: r.statusCode ?? 0 });
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      },
    );
    up.on('error', (err) => {
      log.push({ node, method: req.method ?? '', path: req.url ?? '', status: 502 });
      res.writeHead(502, { 'content-type': 'text/plain' });
      res.end(`cluster-lab: emulator unreachable: ${err.message}`);
    });
    req.pipe(up);
  };
}

/** Serves the emulator at ec2.<region>.amazonaws.com:443 (and IMDS, when given) inside every node. */
export async function serveAws(lab: LabLike, options: ServeAwsOptions): Promise<AwsInLab> {
  const region = options.region ?? 'us-east-1';
  const host = `ec2.${region}.amazonaws.com`;
  const certs = await makeLabCertificates(join(lab.root, 'aws-tls'), host);
  const requests: AwsInLab['requests'] = [];
  const listeners: Server[] = [];
  const servers: (http.Server | https.Server)[] = [];
  const sockets = new Set<Socket>();
  const adopt = (listener: Server, server: http.Server | https.Server) => {
    listeners.push(listener);
    servers.push(server);
    listener.on('connection', (s: Socket) => {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      server.emit('connection', s);
    });
  };
  try {
    for (const node of lab.nodes) {
      const m = lab.member(node);
      await lab.exec(node, ['ip', 'addr', 'add', `${AWS_API_ADDR}/32`, 'dev', 'lo']);
      const hostsFile = join(m.dir, 'hosts');
      const hosts = readFileSync(hostsFile, 'utf8');
      // Same inode (the file is bind-mounted over the node's /etc/hosts): rewrite in place.
      if (!hosts.includes(host)) writeFileSync(hostsFile, `${hosts}${AWS_API_ADDR} ${host}\n`);
      const tlsServer = https.createServer({ key: readFileSync(certs.key), cert: readFileSync(certs.cert) }, forwarder(options.endpoint, node, requests));
      adopt(await listenInNamespace(m.holderPid, AWS_API_ADDR, 443), tlsServer);
      const imds = options.imds?.[node];
      if (imds) {
        await lab.exec(node, ['ip', 'addr', 'add', `${IMDS_ADDR}/32`, 'dev', 'lo']);
        adopt(await listenInNamespace(m.holderPid, IMDS_ADDR, 80), http.createServer(forwarder(imds, node, requests)));
      }
    }
  } catch (err) {
    for (const l of listeners) l.close();
    throw err;
  }
  return {
    host,
    caFile: certs.ca,
    env: { AWS_CA_BUNDLE: certs.ca, AWS_CONFIG_FILE: '/nonexistent/aws-config', AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/aws-credentials' },
    requests,
    close: async () => {
      for (const s of sockets) s.destroy();
      await Promise.all(listeners.map((l) => new Promise<void>((r) => l.close(() => r()))));
      for (const s of servers) s.close();
    },
  };
}
