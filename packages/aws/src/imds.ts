/**
 * An IMDSv2 client: a session token (PUT /latest/api/token with a TTL) kept in memory only,
 * shared by every call of the process, renewed before it expires and on a 401; short per-attempt
 * timeouts with a few retries on throttling (429), 5xx and network errors; errors that never carry
 * the token. IMDSv1 (tokenless GETs) is never used.
 *
 * Endpoint, in order: the `endpoint` option, AWS_EC2_METADATA_SERVICE_ENDPOINT, the shared config
 * file's `ec2_metadata_service_endpoint` (profile AWS_PROFILE or default), then the endpoint mode
 * (AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE / `ec2_metadata_service_endpoint_mode`: IPv4 =
 * http://169.254.169.254, IPv6 = http://[fd00:ec2::254]), as the AWS SDKs resolve it.
 * AWS_EC2_METADATA_DISABLED=true turns it off: calls fail with a ConfigError telling what to set instead.
 */
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { ActionFailedError, ConfigError, KitError, PermissionError, isKitError } from '@recovery-kit/sdk';
import { sleep } from '@recovery-kit/sdk/util';
import { joinShared } from './shared.ts';

export interface ImdsOptions {
  /** Base URL, e.g. http://169.254.169.254 (see the module comment for the default). */
  endpoint?: string | undefined;
  /** Token lifetime asked for, seconds (1-21600); default 900. */
  tokenTtlSeconds?: number | undefined;
  /** Milliseconds per attempt; default 2000. */
  timeoutMs?: number | undefined;
  /** Retries after the first attempt for 429, 5xx and network errors; default 3. */
  retries?: number | undefined;
}

/** What the kits need to know about the instance they run on. */
export interface InstanceIdentity {
  instanceId: string;
  region: string;
  availabilityZone: string;
  /** MAC of the primary network interface (device 0). */
  mac: string;
  /** ENI id of the primary MAC. */
  eniId: string;
  vpcId: string;
  subnetId: string | undefined;
  privateIp: string | undefined;
}

/**
 * The instance identity document (`/latest/dynamic/instance-identity/document`): what one GET
 * tells about the instance. It names no network interface: the EC2 kit asks EC2 for the ENIs of
 * `instanceId` when it needs one (a call it makes anyway to read the ENI).
 */
export interface InstanceDocument {
  instanceId: string;
  region: string;
  availabilityZone: string;
  accountId: string | undefined;
  instanceType: string | undefined;
  imageId: string | undefined;
  /** The primary private IPv4 address. */
  privateIp: string | undefined;
}

const IPV4_ENDPOINT = 'http://169.254.169.254';
const IPV6_ENDPOINT = 'http://[fd00:ec2::254]';

function sharedConfigValue(key: string): string | undefined {
  const file = process.env.AWS_CONFIG_FILE || join(homedir(), '.aws', 'config');
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const profile = process.env.AWS_PROFILE || process.env.AWS_DEFAULT_PROFILE || 'default';
  const wanted = profile === 'default' ? ['default', 'profile default'] : [`profile ${profile}`];
  let inSection = false;
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    const section = /^\[\s*(.+?)\s*\]$/.exec(line);
    if (section) {
      inSection = wanted.includes(section[1]!);
      continue;
    }
    if (!inSection) continue;
    const kv = /^([A-Za-z0-9_]+)\s*=\s*(.*)$/.exec(line);
    if (kv && kv[1] === key) return kv[2]!.trim();
  }
  return undefined;
}

/** True when AWS_EC2_METADATA_DISABLED is set to true. */
export function imdsDisabled(): boolean {
  return (process.env.AWS_EC2_METADATA_DISABLED ?? '').toLowerCase() === 'true';
}

/** The IMDS base URL, resolved as the AWS SDKs do (see the module comment). */
export function resolveImdsEndpoint(explicit?: string): string {
  const fromEnv = explicit || process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT || sharedConfigValue('ec2_metadata_service_endpoint');
  if (fromEnv) return fromEnv.replace(/\/+$/, '');
  const mode = (process.env.AWS_EC2_METADATA_SERVICE_ENDPOINT_MODE || sharedConfigValue('ec2_metadata_service_endpoint_mode') || 'IPv4').toLowerCase();
  return mode === 'ipv6' ? IPV6_ENDPOINT : IPV4_ENDPOINT;
}

class HttpStatus extends Error {
  constructor(readonly status: number) {
    super(`HTTP ${status}`);
  }
}

const FIX_UNAVAILABLE =
  'check that the instance metadata service is enabled with IMDSv2 (HttpEndpoint=enabled, HttpPutResponseHopLimit >= 2 in containers) and that no proxy intercepts it (no_proxy must cover 169.254.169.254); or give the eni and region options so that IMDS is not needed';

export class ImdsClient {
  readonly endpoint: string;
  readonly tokenTtlSeconds: number;
  readonly timeoutMs: number;
  readonly retries: number;
  #token: { value: string; expiresAt: number } | undefined;
  #tokenInFlight: Promise<string> | undefined;
  #identity: Promise<InstanceIdentity> | undefined;
  #identityAt = 0;
  #document: Promise<InstanceDocument> | undefined;
  #documentAt = 0;
  /**
   * Milliseconds the identity is reused (default 5 minutes): a long-running monitor reads it again
   * now and then, with its cached token (renewed on a 401 or when its TTL passed).
   */
  identityTtlMs = 300_000;
  /** Number of token requests made (for tests and benchmarks). */
  tokenRequests = 0;
  /** Number of metadata GETs made. */
  getRequests = 0;

  constructor(options: ImdsOptions = {}) {
    this.endpoint = resolveImdsEndpoint(options.endpoint);
    this.tokenTtlSeconds = Math.min(21600, Math.max(1, options.tokenTtlSeconds ?? 900));
    this.timeoutMs = options.timeoutMs ?? 2000;
    this.retries = options.retries ?? 3;
  }

  #disabledError(): ConfigError {
    return new ConfigError(
      'the instance metadata service is disabled (AWS_EC2_METADATA_DISABLED=true), so this node cannot find its instance, ENI and region',
      {
        fix: 'give the eni (and region) options for this server, or unset AWS_EC2_METADATA_DISABLED',
      },
    );
  }

  /** One HTTP exchange with a per-attempt timeout, retried on 429, 5xx and network errors. */
  async #request(method: 'GET' | 'PUT', path: string, headers: Record<string, string>, signal: AbortSignal | undefined, what: string): Promise<Response> {
    let lastError: unknown;
    for (let attempt = 0; attempt <= this.retries; attempt++) {
      if (signal?.aborted) throw signal.reason;
      if (attempt > 0) await sleep(Math.min(1000, 50 * 2 ** attempt) * (0.5 + Math.random() / 2), signal);
      const timeout = AbortSignal.timeout(this.timeoutMs);
      try {
        const res = await fetch(`${this.endpoint}${path}`, {
          method,
          headers,
          signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
          redirect: 'error',
        });
        if (res.status === 429 || res.status >= 500) {
          await res.body?.cancel();
          lastError = new HttpStatus(res.status);
          continue;
        }
        return res;
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        lastError = err;
      }
    }
    const why =
      lastError instanceof HttpStatus
        ? lastError.message
        : (lastError as Error)?.name === 'TimeoutError'
          ? `no answer within ${this.timeoutMs} ms`
          : String((lastError as { cause?: { code?: string } })?.cause?.code ?? (lastError as Error)?.message ?? lastError);
    throw new ActionFailedError(`instance metadata service (${this.endpoint}) did not answer ${what} after ${this.retries + 1} attempts: ${why}`, {
      code: 'IMDS_UNAVAILABLE',
      retryable: true,
      fix: FIX_UNAVAILABLE,
      details: { endpoint: this.endpoint, what },
    });
  }

  /** The session token (cached; renewed 30 s before it expires, or when `force`). */
  async token(signal?: AbortSignal, force = false): Promise<string> {
    if (imdsDisabled()) throw this.#disabledError();
    if (!force && this.#token && Date.now() < this.#token.expiresAt) return this.#token.value;
    if (force) this.#token = undefined;
    this.#tokenInFlight ??= (async () => {
      try {
        this.tokenRequests++;
        const res = await this.#request(
          'PUT',
          '/latest/api/token',
          { 'x-aws-ec2-metadata-token-ttl-seconds': String(this.tokenTtlSeconds) },
          signal,
          'the token request',
        );
        if (res.status === 403) {
          await res.body?.cancel();
          throw new PermissionError(
            `the instance metadata service (${this.endpoint}) refused a session token (HTTP 403): metadata access is disabled on this instance`,
            {
              fix: 'enable it: aws ec2 modify-instance-metadata-options --instance-id <id> --http-endpoint enabled --http-tokens required; or give the eni and region options',
            },
          );
        }
        if (res.status !== 200) {
          await res.body?.cancel();
          throw new ActionFailedError(`the instance metadata service (${this.endpoint}) answered HTTP ${res.status} to the IMDSv2 token request`, {
            code: 'IMDS_ERROR',
            fix: FIX_UNAVAILABLE,
          });
        }
        const value = (await res.text()).trim();
        const granted = Number(res.headers.get('x-aws-ec2-metadata-token-ttl-seconds') ?? this.tokenTtlSeconds);
        const ttl = Number.isFinite(granted) && granted > 0 ? granted : this.tokenTtlSeconds;
        // Renew a little early (at most 30 s, at most half the lifetime).
        this.#token = { value, expiresAt: Date.now() + ttl * 1000 - Math.min(30_000, (ttl * 1000) / 2) };
        return value;
      } finally {
        this.#tokenInFlight = undefined;
      }
    })();
    return this.#tokenInFlight;
  }

  /** GET a path under /latest/ (e.g. `meta-data/instance-id`). Renews the token once on a 401. */
  async get(path: string, signal?: AbortSignal): Promise<string> {
    const full = `/latest/${path.replace(/^\/+/, '')}`;
    for (let refresh = 0; ; refresh++) {
      const token = await this.token(signal, refresh > 0);
      this.getRequests++;
      const res = await this.#request('GET', full, { 'x-aws-ec2-metadata-token': token }, signal, full);
      if (res.status === 200) return (await res.text()).trim();
      await res.body?.cancel();
      if (res.status === 401 && refresh === 0) continue; // token expired or revoked: renew once
      if (res.status === 404) {
        throw new ActionFailedError(`the instance metadata service has no ${full}`, {
          code: 'IMDS_NOT_FOUND',
          details: { path: full },
          fix: 'this value is not available on this instance; give it as an option instead',
        });
      }
      if (res.status === 403) {
        throw new PermissionError(`the instance metadata service refused ${full} (HTTP 403)`, {
          fix: 'metadata access is disabled or restricted on this instance; give the eni and region options',
        });
      }
      throw new ActionFailedError(`the instance metadata service answered HTTP ${res.status} for ${full}`, { code: 'IMDS_ERROR', fix: FIX_UNAVAILABLE });
    }
  }

  /** MAC addresses of the instance's network interfaces. */
  async macs(signal?: AbortSignal): Promise<string[]> {
    return (await this.get('meta-data/network/interfaces/macs/', signal))
      .split('\n')
      .map((l) => l.trim().replace(/\/$/, '').toLowerCase())
      .filter(Boolean);
  }

  /** The ENI id of a MAC of this instance. */
  eniForMac(mac: string, signal?: AbortSignal): Promise<string> {
    return this.get(`meta-data/network/interfaces/macs/${mac.toLowerCase()}/interface-id`, signal);
  }

  /**
   * The instance identity document, in ONE request (plus the token when none is cached), reused
   * for `identityTtlMs` (an instance does not change its id, region or AZ); `fresh` asks again.
   */
  document(signal?: AbortSignal, options: { fresh?: boolean } = {}): Promise<InstanceDocument> {
    if (options.fresh || !this.#document || Date.now() - this.#documentAt > this.identityTtlMs) {
      this.#documentAt = Date.now();
      // Shared by every caller: bounded by the per-request timeouts, not by one caller's signal.
      const p = this.get('dynamic/instance-identity/document').then((text) => parseDocument(text, this.endpoint));
      this.#document = p;
      p.catch(() => {
        if (this.#document === p) this.#document = undefined;
      });
    }
    return joinShared(this.#document!, signal);
  }

  /**
   * The identity with the primary interface (MAC, ENI, VPC, subnet): the document plus four
   * metadata reads. The kits use {@link document} and ask EC2 for the interface instead.
   */
  identity(signal?: AbortSignal, options: { fresh?: boolean } = {}): Promise<InstanceIdentity> {
    if (options.fresh || !this.#identity || Date.now() - this.#identityAt > this.identityTtlMs) {
      this.#identityAt = Date.now();
      const p = (async () => {
        const [doc, mac] = await Promise.all([this.document(undefined, options), this.get('meta-data/mac')]);
        const base = `meta-data/network/interfaces/macs/${mac.toLowerCase()}`;
        const optional = (path: string) =>
          this.get(path).catch((err: unknown) => (isKitError(err) && err.code === 'IMDS_NOT_FOUND' ? undefined : Promise.reject(err)));
        const [eniId, vpcId, subnetId] = await Promise.all([this.get(`${base}/interface-id`), this.get(`${base}/vpc-id`), optional(`${base}/subnet-id`)]);
        return {
          instanceId: doc.instanceId,
          region: doc.region,
          availabilityZone: doc.availabilityZone,
          mac: mac.toLowerCase(),
          eniId,
          vpcId,
          subnetId,
          privateIp: doc.privateIp,
        };
      })();
      this.#identity = p;
      p.catch(() => {
        if (this.#identity === p) this.#identity = undefined;
      });
    }
    return joinShared(this.#identity!, signal);
  }

  /** Forgets the token and the identity. */
  reset(): void {
    this.#token = undefined;
    this.#identity = undefined;
    this.#document = undefined;
  }
}

function parseDocument(text: string, endpoint: string): InstanceDocument {
  let d: Record<string, unknown>;
  try {
    d = JSON.parse(text) as Record<string, unknown>;
  } catch {
    throw new ActionFailedError(`the instance metadata service (${endpoint}) answered an instance identity document that is not JSON`, {
      code: 'IMDS_ERROR',
      fix: FIX_UNAVAILABLE,
    });
  }
  const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
  const instanceId = str(d.instanceId);
  const availabilityZone = str(d.availabilityZone);
  const region = str(d.region) ?? availabilityZone?.replace(/[a-z]$/, '');
  if (!instanceId || !region || !availabilityZone) {
    throw new ActionFailedError(`the instance identity document from ${endpoint} lacks instanceId, region or availabilityZone`, {
      code: 'IMDS_ERROR',
      fix: FIX_UNAVAILABLE,
    });
  }
  return {
    instanceId,
    region,
    availabilityZone,
    accountId: str(d.accountId),
    instanceType: str(d.instanceType),
    imageId: str(d.imageId),
    privateIp: str(d.privateIp),
  };
}

const clients = new Map<string, ImdsClient>();

/** The process-wide IMDS client for the resolved endpoint (one token shared by every resource). */
export function imds(options: ImdsOptions = {}): ImdsClient {
  const endpoint = resolveImdsEndpoint(options.endpoint);
  let c = clients.get(endpoint);
  if (!c) {
    c = new ImdsClient({ ...options, endpoint });
    clients.set(endpoint, c);
  }
  return c;
}

/** True for errors that mean "IMDS could not answer" (not a refusal, not a missing value). */
export function isImdsUnavailable(err: unknown): boolean {
  return err instanceof KitError ? err.code === 'IMDS_UNAVAILABLE' : isKitError(err) && (err as KitError).code === 'IMDS_UNAVAILABLE';
}
