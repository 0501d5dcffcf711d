/**
 * Route 53 API errors -> KitError. The mapping itself (exit codes, retryable, the API's message)
 * is @recovery-kit/aws's `mapAwsError`; this adds the Route 53 specific fixes: which tunables to
 * raise when throttled, what PriorRequestNotComplete means, what a CNAME conflict needs.
 */
import { mapAwsError } from '@recovery-kit/aws';
import { KitError, isKitError } from '@recovery-kit/sdk';

/** The IAM actions the kit calls (LifeKeeper's Route53 kit needs the same four). */
export const IAM_ACTIONS = ['route53:ListHostedZones', 'route53:ListResourceRecordSets', 'route53:ChangeResourceRecordSets', 'route53:GetChange'] as const;

export type Route53Action = 'ListHostedZones' | 'ListResourceRecordSets' | 'ChangeResourceRecordSets' | 'GetChange';

const THROTTLING = new Set(['Throttling', 'ThrottlingException', 'RequestLimitExceeded', 'TooManyRequestsException', 'SlowDown']);

function awsCodeOf(e: KitError): string | undefined {
  const c = e.details?.awsCode;
  return typeof c === 'string' ? c : undefined;
}

function withFix(e: KitError, fix: string, extra: Record<string, unknown> = {}, code = e.code): KitError {
  return new KitError(e.message, {
    code: code,
    exitCode: e.exitCode,
    field: e.field,
    fix,
    cause: e.cause ?? e,
    retryable: e.retryable,
    details: { ...e.details, ...extra },
  });
}

/** Maps an error of one Route 53 call. `subject` names what it was about ("zone example.com."). */
export function route53Error(err: unknown, action: Route53Action, subject: string | undefined, signal?: AbortSignal): KitError {
  if (isKitError(err)) return err;
  const e = mapAwsError(
    err,
    { service: 'route53', action, subject, field: action === 'ChangeResourceRecordSets' || action === 'ListResourceRecordSets' ? 'zone' : undefined },
    signal,
  );
  const code = awsCodeOf(e);
  const reads = action === 'ListResourceRecordSets' || action === 'ListHostedZones';
  if (code === 'PriorRequestNotComplete') {
    return withFix(
      e,
      'Route 53 was still applying an earlier change to this zone: the kit tries again after ROUTE53_RECORD_INTERVAL seconds, up to ROUTE53_RECORD_TRY_COUNT tries; raise them if this persists',
      {},
      'ROUTE53_PRIOR_REQUEST_NOT_COMPLETE',
    );
  }
  if (code && THROTTLING.has(code)) {
    return withFix(
      e,
      `Route 53 allows 5 requests per second per account: find what else calls the Route 53 API from this account, or raise ${reads ? 'ROUTE53_RECORDCHECK_INTERVAL / ROUTE53_RECORDCHECK_TRY_COUNT' : action === 'GetChange' ? 'ROUTE53_CHANGEID_INTERVAL' : 'ROUTE53_RECORD_INTERVAL / ROUTE53_RECORD_TRY_COUNT'} (and ROUTE53_MAX_RETRY for the SDK's own quick retries)`,
      {},
      'AWS_THROTTLED',
    );
  }
  if (e.code === 'AWS_UNAVAILABLE') {
    return withFix(
      e,
      "Route 53 did not answer usefully (5xx, timeout or network): check this server's HTTPS path to route53.amazonaws.com (proxy, NAT, VPC endpoint) and run the action again; ROUTE53_MAX_RETRY and ROUTE53_REQUEST_TIMEOUT tune the retries",
    );
  }
  if (code === 'InvalidChangeBatch') {
    const messages = (err as { messages?: string[] }).messages;
    const text = `${e.message} ${messages?.join(' ') ?? ''}`;
    return withFix(
      e,
      /CNAME/i.test(text)
        ? 'a CNAME record already uses this name: delete it in Route 53 or choose another host name (a name cannot hold both a CNAME and an A/AAAA record)'
        : "Route 53 refused the record: read its message; check the host name, the zone and the IP resource's address",
      messages ? { messages } : {},
      'ROUTE53_INVALID_CHANGE_BATCH',
    );
  }
  if (code === 'NoSuchHostedZone') {
    return withFix(
      e,
      'the hosted zone does not exist (any more): recreate it in Route 53, or delete this resource and create it again with an existing zone ("kit-runner route53 zones" lists them)',
    );
  }
  if (e.exitCode === 4) {
    return withFix(e, `${e.fix ?? ''}${e.fix ? '; ' : ''}the kit needs ${IAM_ACTIONS.join(', ')}`);
  }
  return e;
}
