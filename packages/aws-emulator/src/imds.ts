/** IMDSv2 for emulated instances: one loopback listener per instance. */
import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type Ec2Region, type EmulatorState, type ImdsCredentials, type Instance, type NetworkInterface, newAccessKeyId, newSecret } from './state.ts';

export interface ImdsSettings {
  /** Upper bound for token TTLs: a request for more gets a token that lives this long (default 21600). */
  maxTokenTtlSeconds: number;
  /** Serve metadata without a token (IMDSv1, HttpTokens=optional). Default false (IMDSv2 required). */
  v1Allowed: boolean;
  /** Lifetime of the role credentials served under iam/security-credentials/<role> (default 21600). */
  credentialTtlSeconds: number;
}

interface TokenEntry {
  instanceId: string;
  expiresAt: number;
}

export type ImdsAction = 'IMDS:PutToken' | 'IMDS:GetMetadata' | 'IMDS:GetCredentials' | 'IMDS:GetDynamic';

export function imdsActionFor(method: string, path: string): ImdsAction {
  if (path === '/latest/api/token') return 'IMDS:PutToken';
  if (path.startsWith('/latest/meta-data/iam/security-credentials')) return 'IMDS:GetCredentials';
  if (path.startsWith('/latest/dynamic')) return 'IMDS:GetDynamic';
  void method;
  return 'IMDS:GetMetadata';
}

export class ImdsTokens {
  private tokens = new Map<string, TokenEntry>();

  issue(instanceId: string, ttlSeconds: number): string {
    const token = randomBytes(42).toString('base64');
    this.tokens.set(token, { instanceId, expiresAt: Date.now() + ttlSeconds * 1000 });
    return token;
  }

  valid(token: string, instanceId: string): boolean {
    const e = this.tokens.get(token);
    if (!e) return false;
    if (Date.now() >= e.expiresAt) {
      this.tokens.delete(token);
      return false;
    }
    return e.instanceId === instanceId;
  }

  /** Expire every token (or the tokens of one instance) now; returns how many were live. */
  expireAll(instanceId?: string): number {
    let n = 0;
    for (const [token, e] of this.tokens) {
      if (instanceId && e.instanceId !== instanceId) continue;
      if (Date.now() < e.expiresAt) n++;
      this.tokens.delete(token);
    }
    return n;
  }

  clear(): void {
    this.tokens.clear();
  }
}

export function roleCredentials(state: EmulatorState, instanceId: string, ttlSeconds: number): ImdsCredentials {
  let c = state.roleCredentials.get(instanceId);
  const now = Date.now();
  // Rotate like IMDS does: fresh credentials well before expiry.
  if (!c || c.expiration.getTime() - now < Math.min(5 * 60_000, (ttlSeconds * 1000) / 2)) {
    c = {
      accessKeyId: newAccessKeyId('ASIA'),
      secretAccessKey: newSecret(),
      token: randomBytes(96).toString('base64'),
      expiration: new Date(now + ttlSeconds * 1000),
      lastUpdated: new Date(now),
    };
    state.roleCredentials.set(instanceId, c);
    state.knownAccessKeys.add(c.accessKeyId);
  }
  return c;
}

function enis(region: Ec2Region, instanceId: string): NetworkInterface[] {
  return [...region.networkInterfaces.values()]
    .filter((e) => e.attachment?.instanceId === instanceId)
    .sort((a, b) => (a.attachment?.deviceIndex ?? 0) - (b.attachment?.deviceIndex ?? 0));
}

function publicIpOf(region: Ec2Region, eni: NetworkInterface, ip: string): string | undefined {
  for (const a of region.addresses.values()) if (a.networkInterfaceId === eni.networkInterfaceId && a.privateIpAddress === ip) return a.publicIp;
  return undefined;
}

type Node = string | NodeDir;
interface NodeDir {
  [key: string]: Node | (() => Node | undefined) | undefined;
}

function dir(entries: NodeDir): Node {
  return entries;
}

/** The metadata tree of one instance, computed from the current EC2 state. */
function metadataTree(state: EmulatorState, region: Ec2Region, instance: Instance, credentialTtl: number): Node {
  const list = enis(region, instance.instanceId);
  const primary = list.find((e) => e.attachment?.deviceIndex === 0);
  const az = region.availabilityZones.find((z) => z.zoneName === instance.availabilityZone);
  const macs: Record<string, Node> = {};
  for (const e of list) {
    const subnet = region.subnets.get(e.subnetId);
    const vpc = region.vpcs.get(e.vpcId);
    const ips = [e.privateIpAddress, ...e.secondaryPrivateIpAddresses];
    const publics = ips.map((ip) => publicIpOf(region, e, ip)).filter((x): x is string => !!x);
    macs[e.macAddress] = dir({
      'device-number': String(e.attachment?.deviceIndex ?? 0),
      'interface-id': e.networkInterfaceId,
      'local-hostname': `ip-${e.privateIpAddress.replace(/\./g, '-')}.ec2.internal`,
      'local-ipv4s': ips.join('\n'),
      mac: e.macAddress,
      'owner-id': state.accountId,
      'public-ipv4s': publics.length ? publics.join('\n') : undefined,
      'security-group-ids': '',
      'subnet-id': e.subnetId,
      'subnet-ipv4-cidr-block': subnet?.cidrBlock,
      'vpc-id': e.vpcId,
      'vpc-ipv4-cidr-block': vpc?.cidrBlock,
      'vpc-ipv4-cidr-blocks': vpc?.cidrBlock,
    });
  }
  const publicIp = primary ? publicIpOf(region, primary, primary.privateIpAddress) : undefined;
  const iam: NodeDir | undefined = instance.iamRole
    ? {
        info: () =>
          JSON.stringify(
            {
              Code: 'Success',
              LastUpdated: new Date().toISOString(),
              InstanceProfileArn: `arn:aws:iam::${state.accountId}:instance-profile/${instance.iamRole}`,
              InstanceProfileId: `AIPA${instance.instanceId.slice(2, 18).toUpperCase()}`,
            },
            null,
            2,
          ),
        'security-credentials': dir({
          [instance.iamRole]: () => {
            const c = roleCredentials(state, instance.instanceId, credentialTtl);
            return JSON.stringify(
              {
                Code: 'Success',
                LastUpdated: c.lastUpdated.toISOString(),
                Type: 'AWS-HMAC',
                AccessKeyId: c.accessKeyId,
                SecretAccessKey: c.secretAccessKey,
                Token: c.token,
                Expiration: c.expiration.toISOString(),
              },
              null,
              2,
            );
          },
        }),
      }
    : undefined;
  return dir({
    'ami-id': instance.imageId,
    'ami-launch-index': '0',
    hostname: primary ? `ip-${primary.privateIpAddress.replace(/\./g, '-')}.ec2.internal` : undefined,
    iam: iam ? dir(iam) : undefined,
    'instance-id': instance.instanceId,
    'instance-life-cycle': 'on-demand',
    'instance-type': instance.instanceType,
    'local-hostname': primary ? `ip-${primary.privateIpAddress.replace(/\./g, '-')}.ec2.internal` : undefined,
    'local-ipv4': primary?.privateIpAddress,
    mac: primary?.macAddress,
    network: dir({ interfaces: dir({ macs: dir(macs) }) }),
    placement: dir({
      'availability-zone': instance.availabilityZone,
      'availability-zone-id': az?.zoneId,
      region: region.region,
    }),
    'public-ipv4': publicIp,
    'reservation-id': instance.reservationId,
    'security-groups': '',
  });
}

function resolve(root: Node, segments: string[]): Node | undefined {
  let node: Node | undefined = root;
  for (const seg of segments) {
    if (node === undefined || typeof node === 'string') return undefined;
    const child: Node | (() => Node | undefined) | undefined = node[seg];
    node = typeof child === 'function' ? child() : child;
  }
  return node;
}

function listing(node: Record<string, unknown>): string {
  return Object.entries(node)
    .filter(([, v]) => v !== undefined)
    .map(([k, v]) => (typeof v === 'object' ? `${k}/` : k))
    .join('\n');
}

export interface ImdsResponse {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

/** Answer one IMDS request for an instance. */
export function handleImds(req: IncomingMessage, instanceId: string, state: EmulatorState, tokens: ImdsTokens, settings: ImdsSettings): ImdsResponse {
  const url = new URL(req.url ?? '/', 'http://imds');
  const path = url.pathname;
  const method = req.method ?? 'GET';
  const text = (status: number, body: string, headers?: Record<string, string>): ImdsResponse => (headers ? { status, body, headers } : { status, body });

  if (path === '/latest/api/token') {
    if (method !== 'PUT') return text(405, 'Method Not Allowed');
    if (req.headers['x-forwarded-for']) return text(403, 'Forbidden');
    const raw = req.headers['x-aws-ec2-metadata-token-ttl-seconds'];
    const ttl = Number(Array.isArray(raw) ? raw[0] : raw);
    if (raw === undefined || !Number.isInteger(ttl) || ttl < 1 || ttl > 21600) return text(400, 'Bad Request');
    const effective = Math.max(1, Math.min(ttl, settings.maxTokenTtlSeconds));
    const token = tokens.issue(instanceId, effective);
    return text(200, token, { 'x-aws-ec2-metadata-token-ttl-seconds': String(effective) });
  }
  if (method !== 'GET' && method !== 'HEAD') return text(405, 'Method Not Allowed');
  const rawToken = req.headers['x-aws-ec2-metadata-token'];
  const token = Array.isArray(rawToken) ? rawToken[0] : rawToken;
  if (token !== undefined) {
    if (!tokens.valid(token, instanceId)) return text(401, 'Unauthorized');
  } else if (!settings.v1Allowed) {
    return text(401, 'Unauthorized');
  }
  const found = state.findInstance(instanceId);
  if (!found) return text(404, 'Not Found');
  const { region, instance } = found;

  if (path === '/latest/dynamic/instance-identity/document') {
    const primary = enis(region, instanceId).find((e) => e.attachment?.deviceIndex === 0);
    return text(
      200,
      JSON.stringify(
        {
          accountId: state.accountId,
          architecture: 'x86_64',
          availabilityZone: instance.availabilityZone,
          billingProducts: null,
          devpayProductCodes: null,
          marketplaceProductCodes: null,
          imageId: instance.imageId,
          instanceId,
          instanceType: instance.instanceType,
          kernelId: null,
          pendingTime: instance.launchTime.toISOString().replace(/\.\d{3}Z$/, 'Z'),
          privateIp: primary?.privateIpAddress ?? null,
          ramdiskId: null,
          region: region.region,
          version: '2017-09-30',
        },
        null,
        2,
      ),
    );
  }
  if (path === '/latest/dynamic' || path === '/latest/dynamic/') return text(200, 'instance-identity/');
  if (path === '/latest/dynamic/instance-identity' || path === '/latest/dynamic/instance-identity/') return text(200, 'document');
  if (path === '/latest' || path === '/latest/') return text(200, 'dynamic\nmeta-data');
  if (!path.startsWith('/latest/meta-data')) return text(404, 'Not Found');

  const rest = path.slice('/latest/meta-data'.length);
  const segments = rest.split('/').filter((s) => s.length > 0);
  const tree = metadataTree(state, region, instance, settings.credentialTtlSeconds);
  const node = resolve(tree, segments);
  if (node === undefined) return text(404, 'Not Found');
  if (typeof node === 'string') return text(200, node);
  return text(200, listing(node));
}

export type { ServerResponse };
