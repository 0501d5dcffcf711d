/** The EC2 kit's tunables (LifeKeeper's EC2_* names) and the action timeouts that name them. */
import { awsTunables } from '@recovery-kit/aws';

export const tunables = {
  EC2_RESTORE_TIMEOUT: { kind: 'integer' as const, default: 300, min: 1, description: 'Seconds a restore may take.' },
  EC2_REMOVE_TIMEOUT: { kind: 'integer' as const, default: 300, min: 1, description: 'Seconds a remove may take.' },
  EC2_RECOVER_TIMEOUT: { kind: 'integer' as const, default: 300, min: 1, description: 'Seconds a local recovery may take.' },
  EC2_QUICKCHECK_TIMEOUT: {
    kind: 'integer' as const,
    default: 100,
    min: 1,
    description: 'Seconds a quickCheck may take; when AWS does not answer in time the resource stays in service (unknown).',
  },
  ...awsTunables('EC2', { maxRetries: 3 }),
  EC2_CHECK_CACHE_TTL: {
    kind: 'integer' as const,
    default: 5,
    min: 0,
    description:
      'Seconds a Describe answer is shared between the quickChecks of one monitor process (per VPC, ENI and region); capped at half of LKCHECKINTERVAL; 0 = never shared. restore and recover always read fresh.',
  },
  EC2_API_CONCURRENCY: { kind: 'integer' as const, default: 16, min: 1, max: 100, description: 'Route tables changed at the same time during a switch.' },
  EC2_VERIFY_TIMEOUT: {
    kind: 'integer' as const,
    default: 30,
    min: 0,
    description: 'Seconds to wait for a fresh Describe to show a change (EC2 is eventually consistent).',
  },
};

export const timeouts = {
  restore: 'EC2_RESTORE_TIMEOUT',
  remove: 'EC2_REMOVE_TIMEOUT',
  recover: 'EC2_RECOVER_TIMEOUT',
  quickCheck: 'EC2_QUICKCHECK_TIMEOUT',
} as const;
