/** The Route53 kit's tunables (LifeKeeper's ROUTE53_* names and defaults). */
import { awsTunables } from '@recovery-kit/aws';
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables: Record<string, TunableSpec> = {
  ROUTE53_TTL: {
    kind: 'integer',
    default: 10,
    min: 0,
    max: 2147483647,
    description: 'TTL in seconds of the record (unless the resource has its own ttl option). Short: clients follow a switchover within TTL seconds.',
  },
  ROUTE53_RECORD_TRY_COUNT: {
    kind: 'integer',
    default: 3,
    min: 1,
    max: 100,
    description:
      'Attempts in all to submit the record change (ChangeResourceRecordSets) when Route 53 throttles, answers PriorRequestNotComplete, 5xx or not at all.',
  },
  ROUTE53_RECORD_INTERVAL: { kind: 'number', default: 2, min: 0, max: 600, description: 'Seconds between attempts to submit the record change.' },
  ROUTE53_CHANGEID_TRY_COUNT: {
    kind: 'integer',
    default: 5,
    min: 1,
    max: 1000,
    description:
      'With ROUTE53_CHANGEID_INTERVAL, how long restore waits for the change to become INSYNC: TRY_COUNT x INTERVAL seconds in all (LifeKeeper: 5 polls 20 s apart).',
  },
  ROUTE53_CHANGEID_INTERVAL: {
    kind: 'number',
    default: 20,
    min: 0.1,
    max: 3600,
    description: 'Longest interval in seconds between GetChange polls while a change is PENDING.',
  },
  ROUTE53_CHANGEID_FIRST_INTERVAL: {
    kind: 'number',
    default: 0.5,
    min: 0.05,
    max: 3600,
    description:
      'Seconds from the submit to the first GetChange poll; each next interval is 1.5 times the previous, up to ROUTE53_CHANGEID_INTERVAL (so a quick change is seen quickly).',
  },
  ROUTE53_RECORDCHECK_TRY_COUNT: {
    kind: 'integer',
    default: 3,
    min: 1,
    max: 100,
    description: 'Attempts in all to read the record (ListResourceRecordSets) in quickCheck and restore.',
  },
  ROUTE53_RECORDCHECK_INTERVAL: { kind: 'number', default: 2, min: 0, max: 600, description: 'Seconds between attempts to read the record.' },
  ...awsTunables('ROUTE53'),
};
