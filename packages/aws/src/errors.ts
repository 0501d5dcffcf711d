/**
 * AWS SDK errors to KitError subclasses, so the runner prints the API's own message, a fix, and
 * the right exit code:
 *
 * | AWS error | KitError | exit |
 * |---|---|---|
 * | UnauthorizedOperation, AccessDenied, AuthFailure, InvalidClientTokenId, ExpiredToken, no credentials | PermissionError (names the IAM action) | 4 |
 * | throttling, 5xx, timeouts, connection errors (after the SDK's retries) | ActionFailedError `AWS_UNAVAILABLE`, retryable | 1 |
 * | `*.NotFound`, NoSuchHostedZone (ids from the configuration) | ConfigError naming the id | 6 |
 * | `*.Malformed`, InvalidParameterValue, InvalidInput, MissingParameter | ConfigError | 6 |
 * | anything else the API answered | ActionFailedError `AWS_ERROR` | 1 |
 *
 * The abort of an action (its timeout) is passed through as the abort reason.
 */
import { getMaxListeners, setMaxListeners } from 'node:events';
import { ActionFailedError, ConfigError, type KitError, PermissionError, TimeoutError, isKitError } from '@recovery-kit/sdk';

export type AwsService = 'ec2' | 'route53' | 'imds' | 'sts';

export interface AwsCallInfo {
  service: AwsService;
  /** The API action, e.g. ReplaceRoute (the IAM action is `<service>:<action>`). */
  action: string;
  /** What the call was about, for messages: "route table rtb-0123", "allocation eipalloc-...". */
  subject?: string | undefined;
  /**
   * How to report a `*.NotFound` answer: `config` (default: an id from the configuration does not
   * exist, exit 6) or `failed` (something vanished at run time, exit 1).
   */
  notFound?: 'config' | 'failed' | undefined;
  /** The option or flag that holds the id, for ConfigError.field. */
  field?: string | undefined;
}

const PERMISSION = new Set([
  'UnauthorizedOperation',
  'AccessDenied',
  'AccessDeniedException',
  'AuthFailure',
  'InvalidClientTokenId',
  'SignatureDoesNotMatch',
  'IncompleteSignature',
  'ExpiredToken',
  'ExpiredTokenException',
  'UnrecognizedClientException',
  'InvalidAccessKeyId',
  'MissingAuthenticationToken',
  'OptInRequired',
  'Blocked',
  'CredentialsProviderError',
  'RequestExpired',
]);

const THROTTLING = new Set([
  'Throttling',
  'ThrottlingException',
  'ThrottledException',
  'RequestThrottledException',
  'RequestThrottled',
  'RequestLimitExceeded',
  'TooManyRequestsException',
  'PriorRequestNotComplete',
  'SlowDown',
  'EC2ThrottledException',
  'BandwidthLimitExceeded',
  'ProvisionedThroughputExceededException',
  'TransactionInProgressException',
]);

const SERVER = new Set([
  'InternalError',
  'InternalFailure',
  'InternalServerError',
  'ServiceUnavailable',
  'Unavailable',
  'ServiceUnavailableException',
  'InsufficientInstanceCapacity',
]);

const TIMEOUT_OR_NETWORK = new Set([
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'NetworkingError',
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_SOCKET',
]);

const MALFORMED = new Set([
  'InvalidParameterValue',
  'InvalidParameterCombination',
  'InvalidParameter',
  'MissingParameter',
  'InvalidInput',
  'InvalidChangeBatch',
  'ValidationError',
  'InvalidArgument',
]);

const NOT_FOUND_EXTRA = new Set(['NoSuchHostedZone', 'NoSuchChange', 'HostedZoneNotFound', 'NoSuchHealthCheck']);

interface SdkErrorShape {
  name?: string;
  code?: string;
  Code?: string;
  message?: string;
  $fault?: 'client' | 'server';
  $retryable?: unknown;
  $metadata?: { httpStatusCode?: number; requestId?: string; attempts?: number };
  cause?: unknown;
}

/** The AWS error code of an SDK error (`InvalidRouteTableID.NotFound`, `RequestLimitExceeded`, `ECONNRESET`...). */
export function awsErrorCode(err: unknown): string {
  const e = (err ?? {}) as SdkErrorShape;
  if (typeof e.code === 'string' && /^E[A-Z_]+$|^UND_ERR/.test(e.code)) return e.code;
  if (typeof e.Code === 'string' && e.Code) return e.Code;
  if (typeof e.name === 'string' && e.name && e.name !== 'Error') return e.name;
  if (typeof e.code === 'string' && e.code) return e.code;
  const c = e.cause as SdkErrorShape | undefined;
  if (c && typeof c === 'object' && typeof c.code === 'string') return c.code;
  return 'Error';
}

export function awsHttpStatus(err: unknown): number | undefined {
  return ((err ?? {}) as SdkErrorShape).$metadata?.httpStatusCode;
}

export type AwsErrorKind = 'permission' | 'unavailable' | 'notFound' | 'invalid' | 'aborted' | 'other';

/** Classifies an SDK (or network) error. */
export function classifyAwsError(err: unknown): AwsErrorKind {
  if (isKitError(err)) {
    if (err.exitCode === 4) return 'permission';
    if (err.retryable) return 'unavailable';
    if (err.exitCode === 6) return 'invalid';
    return 'other';
  }
  const code = awsErrorCode(err);
  const status = awsHttpStatus(err);
  const e = (err ?? {}) as SdkErrorShape;
  if (code === 'AbortError' || e.name === 'AbortError') return 'aborted';
  if (PERMISSION.has(code)) return 'permission';
  if (THROTTLING.has(code) || SERVER.has(code) || TIMEOUT_OR_NETWORK.has(code)) return 'unavailable';
  if (code.endsWith('.NotFound') || NOT_FOUND_EXTRA.has(code)) return 'notFound';
  if (code.endsWith('.Malformed') || MALFORMED.has(code)) return 'invalid';
  if (status !== undefined && status >= 500) return 'unavailable';
  if (status === 429) return 'unavailable';
  if (e.$fault === 'server' || e.$retryable) return 'unavailable';
  if (status === undefined && /socket hang up|timed? ?out|network|ECONN|EAI_AGAIN/i.test(e.message ?? '')) return 'unavailable';
  return 'other';
}

/** True when the error means AWS did not answer usefully (throttled, 5xx, timeout, network): quickCheck says `unknown`. */
export function isAwsUnavailable(err: unknown): boolean {
  return classifyAwsError(err) === 'unavailable';
}

const SERVICE_NAME: Record<AwsService, string> = { ec2: 'EC2', route53: 'Route 53', imds: 'IMDS', sts: 'STS' };

/**
 * Maps an error from an AWS call to a KitError (KitErrors pass through). `signal` is the action's
 * abort signal: when it fired, its reason (the runner's TimeoutError) is returned instead.
 */
export function mapAwsError(err: unknown, info: AwsCallInfo, signal?: AbortSignal): KitError {
  if (isKitError(err)) return err;
  if (signal?.aborted) {
    const r = signal.reason;
    if (isKitError(r)) return r;
    return new TimeoutError(
      `${SERVICE_NAME[info.service]} ${info.action}${info.subject ? ` (${info.subject})` : ''} was abandoned: the action ran out of time`,
      { cause: err },
    );
  }
  const code = awsErrorCode(err);
  const status = awsHttpStatus(err);
  const e = (err ?? {}) as SdkErrorShape;
  const apiMessage = (e.message ?? String(err)).trim();
  const iam = `${info.service === 'route53' ? 'route53' : info.service}:${info.action}`;
  const what = `${SERVICE_NAME[info.service]} ${info.action}${info.subject ? ` (${info.subject})` : ''}`;
  const details: Record<string, unknown> = {
    service: info.service,
    action: info.action,
    awsCode: code,
    ...(status !== undefined ? { httpStatus: status } : {}),
    ...(e.$metadata?.requestId ? { requestId: e.$metadata.requestId } : {}),
    ...(e.$metadata?.attempts ? { attempts: e.$metadata.attempts } : {}),
    ...(info.subject ? { subject: info.subject } : {}),
  };
  switch (classifyAwsError(err)) {
    case 'permission': {
      if (code === 'CredentialsProviderError' || /could not load credentials/i.test(apiMessage)) {
        return new PermissionError(`${what}: no AWS credentials: ${apiMessage}`, {
          cause: err,
          details,
          fix: 'give the instance an IAM role (instance profile), or set AWS_PROFILE or the AWS_* credential variables for kit-runner; the kits never store keys',
        });
      }
      if (code === 'RequestExpired' || code === 'SignatureDoesNotMatch') {
        return new PermissionError(`${what} was refused (${code}): ${apiMessage}`, {
          cause: err,
          details,
          fix: "check the node's clock (chrony/ntp) and the credentials in use",
        });
      }
      if (
        code === 'AuthFailure' ||
        code === 'InvalidClientTokenId' ||
        code === 'ExpiredToken' ||
        code === 'ExpiredTokenException' ||
        code === 'InvalidAccessKeyId' ||
        code === 'UnrecognizedClientException'
      ) {
        return new PermissionError(`${what} was refused (${code}): ${apiMessage}`, {
          cause: err,
          details,
          fix: 'the credentials are not valid (expired, revoked or unknown): check the instance role, or the profile / AWS_* variables kit-runner runs with',
        });
      }
      return new PermissionError(`${what} was denied (${code}): ${apiMessage}`, {
        cause: err,
        details: { ...details, iamAction: iam },
        fix: `allow ${iam} in the IAM policy of the instance role (or the principal kit-runner runs as); "aws sts decode-authorization-message" explains an encoded message`,
      });
    }
    case 'unavailable': {
      const attempts = e.$metadata?.attempts;
      return new ActionFailedError(
        `${what}: AWS did not answer usefully${attempts ? ` after ${attempts} attempt${attempts === 1 ? '' : 's'}` : ''} (${code}${status ? `, HTTP ${status}` : ''}): ${apiMessage}`,
        {
          code: 'AWS_UNAVAILABLE',
          retryable: true,
          cause: err,
          details,
          fix: `a transient AWS problem (throttling, 5xx, timeout or network): run the action again; raise ${info.service === 'route53' ? 'ROUTE53' : 'EC2'}_MAX_RETRY or the timeouts if it persists, and check the route to the ${SERVICE_NAME[info.service]} endpoint`,
        },
      );
    }
    case 'notFound': {
      if (info.notFound === 'failed') {
        return new ActionFailedError(`${what}: ${apiMessage} (${code})`, {
          code: 'AWS_NOT_FOUND',
          cause: err,
          details,
          fix: 'the object disappeared while the action ran; check it in the AWS console and run the action again',
        });
      }
      return new ConfigError(`${what}: ${apiMessage} (${code})`, {
        field: info.field,
        cause: err,
        details,
        fix: `check the id${info.field ? ` given in ${info.field}` : ''} and the region: it must exist in the account and region kit-runner talks to`,
      });
    }
    case 'invalid':
      return new ConfigError(`${what} was rejected as invalid (${code}): ${apiMessage}`, {
        field: info.field,
        cause: err,
        details,
        fix: 'correct the value named in the message',
      });
    case 'aborted':
      return new TimeoutError(`${what} was abandoned: ${apiMessage}`, { cause: err, details });
    default:
      return new ActionFailedError(`${what} failed (${code}${status ? `, HTTP ${status}` : ''}): ${apiMessage}`, {
        code: 'AWS_ERROR',
        cause: err,
        details,
        fix: 'see the AWS error above; the action can be run again once it is fixed',
      });
  }
}

/**
 * Runs one AWS call and maps its failure. `fn` gets the signal to pass as `{ abortSignal }`:
 *
 * ```ts
 * const out = await awsCall({ service: 'ec2', action: 'DescribeRouteTables' }, ctx.signal,
 *   (abortSignal) => ec2.send(new DescribeRouteTablesCommand({ ... }), { abortSignal }));
 * ```
 */
export async function awsCall<T>(info: AwsCallInfo, signal: AbortSignal | undefined, fn: (abortSignal: AbortSignal | undefined) => Promise<T>): Promise<T> {
  if (signal?.aborted) throw mapAwsError(signal.reason, info, signal);
  // Calls fan out (parallel ReplaceRoute...) and each SDK request listens on the action's signal:
  // raise the listener limit so that Node does not print a false "memory leak" warning.
  if (signal && getMaxListeners(signal) < 128) setMaxListeners(128, signal);
  try {
    return await fn(signal);
  } catch (err) {
    throw mapAwsError(err, info, signal);
  }
}
