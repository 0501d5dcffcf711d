/**
 * The Route 53 calls the kit makes, each with the kit's retry policy (LifeKeeper's try counts and
 * intervals) on top of the SDK's own quick retries, bounded by the action's deadline.
 */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { ActionFailedError, KitError, type Logger } from '@recovery-kit/sdk';
import { sleep as sleepOrAbort } from '@recovery-kit/sdk/util';
import { sdk } from './aws.ts';
import { route53Error, type Route53Action } from './errors.ts';
import { bareZoneId, canonicalZone, sameName } from './names.ts';

export type Route53Api = Pick<Route53Client, 'send'>;

/** What every call needs: where to log, when to stop. */
export interface Io {
  logger: Logger;
  signal: AbortSignal;
  /** Epoch ms after which no new attempt starts (the action's deadline minus a reserve). */
  deadline: number;
}

export interface RetryPolicy {
  /** Attempts in all (LifeKeeper's *_TRY_COUNT). */
  tries: number;
  /** Milliseconds between attempts (LifeKeeper's *_INTERVAL). */
  intervalMs: number;
}

export interface Zone {
  id: string;
  /** With the trailing dot, lower case. */
  name: string;
  private: boolean;
  records?: number | undefined;
}

export interface RecordValue {
  type: 'A' | 'AAAA';
  ttl: number | undefined;
  values: string[];
  /** An alias record (no values of its own). */
  alias?: string | undefined;
}

/** Waits `ms`, or less when the action is aborted (the caller then sees `signal.aborted`). */
const sleep = (ms: number, signal: AbortSignal): Promise<void> => sleepOrAbort(ms, signal).catch(() => undefined);

const tries = (n: number) => `${n} ${n === 1 ? 'try' : 'tries'}`;

/**
 * A signal for one call: aborted by the action's signal, or when the kit's own deadline passes
 * (so the kit reports "no answer" itself, before the runner's timeout turns it into exit 124, or
 * a quickCheck into "failed").
 */
function callSignal(io: Io): { signal: AbortSignal; expired: () => boolean; done: () => void } {
  const ctrl = new AbortController();
  const timer = setTimeout(() => ctrl.abort(new Error("the kit's deadline passed")), Math.max(0, io.deadline - Date.now()));
  const onAbort = () => ctrl.abort(io.signal.reason);
  if (io.signal.aborted) onAbort();
  else io.signal.addEventListener('abort', onAbort, { once: true });
  return {
    signal: ctrl.signal,
    expired: () => ctrl.signal.aborted && !io.signal.aborted,
    done: () => {
      clearTimeout(timer);
      io.signal.removeEventListener('abort', onAbort);
    },
  };
}

function noAnswer(action: Route53Action, subject: string, attempt: number, startedMs: number, cause: unknown): KitError {
  return new ActionFailedError(
    `Route 53 ${action} (${subject}) did not answer in time: gave up after ${((Date.now() - startedMs) / 1000).toFixed(1)} s and ${tries(attempt)}, to end before the action's time limit`,
    {
      code: 'AWS_UNAVAILABLE',
      retryable: true,
      cause,
      details: { service: 'route53', action, tries: attempt },
      fix: "check this server's HTTPS path to route53.amazonaws.com (proxy, NAT, VPC endpoint); ROUTE53_REQUEST_TIMEOUT and ROUTE53_MAX_RETRY bound each call, the action's timeout tunable bounds them all",
    },
  );
}

/**
 * Runs `fn` up to `policy.tries` times while it fails with a retryable error (throttling,
 * PriorRequestNotComplete, 5xx, network) and time remains. Other errors fail at once.
 */
export async function withRetries<T>(io: Io, action: Route53Action, subject: string, policy: RetryPolicy, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const startedMs = Date.now();
  for (let attempt = 1; ; attempt++) {
    const call = callSignal(io);
    try {
      return await fn(call.signal);
    } catch (err) {
      if (call.expired()) throw noAnswer(action, subject, attempt, startedMs, err);
      const e = route53Error(err, action, subject, io.signal);
      if (io.signal.aborted) throw e;
      const outOfTime = Date.now() + policy.intervalMs >= io.deadline;
      if (!e.retryable || attempt >= policy.tries || outOfTime) {
        if (attempt === 1 && !outOfTime) throw e;
        const why =
          attempt >= policy.tries
            ? `gave up after ${tries(attempt)} ${policy.intervalMs / 1000} s apart`
            : `gave up after ${tries(attempt)}: the action's time is nearly out`;
        throw new KitError(`${e.message} (${why})`, {
          code: e.code,
          exitCode: e.exitCode,
          field: e.field,
          fix: e.fix,
          cause: e,
          retryable: e.retryable,
          details: { ...e.details, tries: attempt },
        });
      }
      io.logger.warn(`${e.message}; trying again in ${policy.intervalMs / 1000} s (try ${attempt} of ${policy.tries})`);
      await sleep(policy.intervalMs, io.signal);
    } finally {
      call.done();
    }
  }
}

/** Every hosted zone of the account (ListHostedZones, paged). */
export async function listZones(client: Route53Api, io: Io, policy: RetryPolicy): Promise<Zone[]> {
  const { ListHostedZonesCommand } = await sdk();
  const zones: Zone[] = [];
  let marker: string | undefined;
  do {
    const page = await withRetries(io, 'ListHostedZones', 'the hosted zones of the account', policy, (abortSignal) =>
      client.send(new ListHostedZonesCommand({ ...(marker ? { Marker: marker } : {}) }), { abortSignal }),
    );
    for (const z of page.HostedZones ?? []) {
      zones.push({ id: bareZoneId(z.Id ?? ''), name: canonicalZone(z.Name ?? ''), private: z.Config?.PrivateZone === true, records: z.ResourceRecordSetCount });
    }
    marker = page.IsTruncated ? page.NextMarker : undefined;
  } while (marker);
  return zones;
}

export const describeZone = (z: Zone) => `${z.name} (${z.id}, ${z.private ? 'private' : 'public'})`;

/**
 * The simple (no SetIdentifier) record `fqdn`/`type`, or undefined when there is none.
 * Uses ListResourceRecordSets starting at the name and type (one short page).
 */
export async function readRecord(
  client: Route53Api,
  io: Io,
  policy: RetryPolicy,
  zone: { id: string; name: string },
  fqdn: string,
  type: 'A' | 'AAAA',
): Promise<RecordValue | undefined> {
  const { ListResourceRecordSetsCommand } = await sdk();
  const out = await withRetries(io, 'ListResourceRecordSets', `${fqdn} ${type} in zone ${zone.name}`, policy, (abortSignal) =>
    client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zone.id, StartRecordName: fqdn, StartRecordType: type, MaxItems: 10 }), { abortSignal }),
  );
  for (const r of out.ResourceRecordSets ?? []) {
    if (!sameName(r.Name ?? '', fqdn) || r.Type !== type) continue;
    if (r.SetIdentifier) continue;
    return {
      type,
      ttl: r.TTL,
      values: (r.ResourceRecords ?? []).map((v) => v.Value ?? '').filter(Boolean),
      ...(r.AliasTarget?.DNSName ? { alias: r.AliasTarget.DNSName } : {}),
    };
  }
  return undefined;
}

/** UPSERTs `fqdn` `type` `ttl` `value`; returns the change id (`/change/C...`). */
export async function upsertRecord(
  client: Route53Api,
  io: Io,
  policy: RetryPolicy,
  zone: { id: string; name: string },
  fqdn: string,
  type: 'A' | 'AAAA',
  ttl: number,
  value: string,
  comment: string,
): Promise<{ changeId: string; submittedAt: Date | undefined }> {
  const { ChangeResourceRecordSetsCommand } = await sdk();
  const out = await withRetries(io, 'ChangeResourceRecordSets', `UPSERT ${fqdn} ${type} ${value} in zone ${zone.name}`, policy, (abortSignal) =>
    client.send(
      new ChangeResourceRecordSetsCommand({
        HostedZoneId: zone.id,
        ChangeBatch: {
          Comment: comment.slice(0, 256),
          Changes: [{ Action: 'UPSERT', ResourceRecordSet: { Name: fqdn, Type: type, TTL: ttl, ResourceRecords: [{ Value: value }] } }],
        },
      }),
      { abortSignal },
    ),
  );
  return { changeId: out.ChangeInfo?.Id ?? '', submittedAt: out.ChangeInfo?.SubmittedAt };
}

export interface WaitPolicy {
  /** First GetChange this long after the submit; each next interval 1.5 times the previous. */
  firstMs: number;
  /** Longest interval between polls (ROUTE53_CHANGEID_INTERVAL). */
  maxIntervalMs: number;
  /** How long to wait in all (ROUTE53_CHANGEID_TRY_COUNT x ROUTE53_CHANGEID_INTERVAL, capped by the action's time). */
  budgetMs: number;
}

export interface WaitResult {
  status: 'INSYNC' | 'PENDING';
  polls: number;
  waitedMs: number;
}

/**
 * The first GetChange, this long after the submit, before the growing schedule: a change Route 53
 * (or an emulator) reports INSYNC at once is seen at 50 ms instead of firstMs (issue 15), for one
 * more GetChange when it is not.
 */
export const QUICK_POLL_MS = 50;

/**
 * The poll times (ms after the submit) a wait makes: {@link QUICK_POLL_MS} (when shorter than
 * firstMs), then firstMs, growing by 1.5x up to maxIntervalMs, the last at the budget's end.
 */
export function pollSchedule(p: WaitPolicy): number[] {
  const out: number[] = [];
  if (QUICK_POLL_MS < Math.min(p.firstMs, p.maxIntervalMs) && QUICK_POLL_MS < p.budgetMs) out.push(QUICK_POLL_MS);
  let at = 0;
  let step = Math.min(p.firstMs, p.maxIntervalMs);
  for (;;) {
    at += step;
    if (at >= p.budgetMs) {
      out.push(p.budgetMs);
      return out;
    }
    out.push(at);
    step = Math.min(step * 1.5, p.maxIntervalMs);
  }
}

/**
 * Polls GetChange until INSYNC or the budget is spent. A GetChange that fails with a retryable
 * error counts as a poll that saw nothing; any other error fails the wait.
 */
export async function waitInsync(client: Route53Api, io: Io, policy: WaitPolicy, changeId: string): Promise<WaitResult> {
  const { GetChangeCommand } = await sdk();
  const started = Date.now();
  // The last poll must still have time to be answered before the deadline.
  const budget = Math.max(0, Math.min(policy.budgetMs, io.deadline - started - 1000));
  const schedule = pollSchedule({ ...policy, budgetMs: budget });
  let polls = 0;
  // Progress (the runner's convention: one updating line on a terminal, a line every 5 s on a
  // pipe when asked): polls may be many seconds apart, so report every second in between.
  const tick = setInterval(() => {
    const s = Math.round((Date.now() - started) / 1000);
    io.logger.info(
      `waiting for change ${changeId} to be INSYNC: ${s} s of ${Math.round(budget / 1000)} s, ${polls} GetChange poll${polls === 1 ? '' : 's'} so far`,
      {
        progress: true,
      },
    );
  }, 1000);
  tick.unref();
  try {
    return await pollInsync();
  } finally {
    clearInterval(tick);
  }

  async function pollInsync(): Promise<WaitResult> {
    for (const at of schedule) {
      await sleep(started + at - Date.now(), io.signal);
      if (io.signal.aborted) break;
      polls++;
      const call = callSignal(io);
      try {
        const out = await client.send(new GetChangeCommand({ Id: changeId }), { abortSignal: call.signal });
        if (out.ChangeInfo?.Status === 'INSYNC') return { status: 'INSYNC', polls, waitedMs: Date.now() - started };
      } catch (err) {
        if (call.expired()) break;
        const e = route53Error(err, 'GetChange', changeId, io.signal);
        if (!e.retryable || io.signal.aborted) throw e;
        io.logger.warn(`${e.message}; polling again`);
      } finally {
        call.done();
      }
    }
    return { status: 'PENDING', polls, waitedMs: Date.now() - started };
  }
}
