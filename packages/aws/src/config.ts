/**
 * One configuration for every AWS SDK client the kits build: the SDK's default credential chain
 * (environment, shared config/profile, SSO, container and instance role through IMDS; the kits
 * never take or store keys), standard retry mode (exponential backoff with jitter for throttling,
 * 5xx and network errors) with a configurable number of retries, connect and per-attempt request
 * timeouts that really throw (`throwOnRequestTimeout`), and the Node-version warning suppressed.
 */
import type { TunableSpec, Tunables } from '@recovery-kit/sdk';

export interface AwsClientOptions {
  /** AWS region, e.g. us-east-1. */
  region: string;
  /** Retries after the first attempt (LifeKeeper's EC2_MAX_RETRY); default 3, so 4 attempts. */
  maxRetries?: number | undefined;
  /** Milliseconds to establish the TCP/TLS connection; default 5000. */
  connectTimeoutMs?: number | undefined;
  /** Milliseconds one attempt (request and response) may take; default 20000. */
  requestTimeoutMs?: number | undefined;
}

export const DEFAULT_MAX_RETRIES = 3;
export const DEFAULT_CONNECT_TIMEOUT_MS = 5_000;
export const DEFAULT_REQUEST_TIMEOUT_MS = 20_000;

/** The normalized options (defaults applied). */
export function normalizeClientOptions(o: AwsClientOptions): Required<AwsClientOptions> {
  return {
    region: o.region,
    maxRetries: o.maxRetries ?? DEFAULT_MAX_RETRIES,
    connectTimeoutMs: o.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
    requestTimeoutMs: o.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
  };
}

/** The cache key of a client: one client per distinct configuration (in practice, per region). */
export function clientKey(o: AwsClientOptions): string {
  const n = normalizeClientOptions(o);
  return `${n.region}|${n.maxRetries}|${n.connectTimeoutMs}|${n.requestTimeoutMs}`;
}

/** The constructor configuration shared by EC2Client and Route53Client. */
export function sdkClientConfig(o: AwsClientOptions) {
  const n = normalizeClientOptions(o);
  return {
    region: n.region,
    maxAttempts: n.maxRetries + 1,
    retryMode: 'standard' as const,
    requestHandler: {
      connectionTimeout: n.connectTimeoutMs,
      requestTimeout: n.requestTimeoutMs,
      // Without this, @smithy/node-http-handler 4.x only logs a warning when requestTimeout passes.
      throwOnRequestTimeout: true,
    },
  };
}

/**
 * Tunables for a kit's AWS calls, named with the kit's prefix (LifeKeeper's EC2_MAX_RETRY for
 * prefix "EC2"). Spread them into the kit's `tunables` and read them with {@link clientOptionsFrom}.
 */
export function awsTunables(prefix: string, defaults: { maxRetries?: number } = {}): Record<string, TunableSpec> {
  return {
    [`${prefix}_MAX_RETRY`]: {
      kind: 'integer',
      default: defaults.maxRetries ?? DEFAULT_MAX_RETRIES,
      min: 0,
      max: 20,
      description:
        'Retries of an AWS API call that failed with throttling, a 5xx answer, a timeout or a network error (standard retry mode: exponential backoff with jitter).',
    },
    [`${prefix}_CONNECT_TIMEOUT`]: {
      kind: 'integer',
      default: DEFAULT_CONNECT_TIMEOUT_MS / 1000,
      min: 1,
      description: 'Seconds to connect to the AWS API endpoint, per attempt.',
    },
    [`${prefix}_REQUEST_TIMEOUT`]: {
      kind: 'integer',
      default: DEFAULT_REQUEST_TIMEOUT_MS / 1000,
      min: 1,
      description: 'Seconds one AWS API attempt (request and answer) may take before it is abandoned and retried.',
    },
  };
}

/** Client options from the tunables declared with {@link awsTunables}. */
export function clientOptionsFrom(tunables: Tunables, prefix: string, region: string): AwsClientOptions {
  return {
    region,
    maxRetries: tunables.int(`${prefix}_MAX_RETRY`, DEFAULT_MAX_RETRIES),
    connectTimeoutMs: tunables.int(`${prefix}_CONNECT_TIMEOUT`, DEFAULT_CONNECT_TIMEOUT_MS / 1000) * 1000,
    requestTimeoutMs: tunables.int(`${prefix}_REQUEST_TIMEOUT`, DEFAULT_REQUEST_TIMEOUT_MS / 1000) * 1000,
  };
}

/** The region from the environment (AWS_REGION, then AWS_DEFAULT_REGION), if any. */
export function envRegion(): string | undefined {
  return process.env.AWS_REGION || process.env.AWS_DEFAULT_REGION || undefined;
}
