/** The Openswan resource's tunables (seed 000, chapter 5), under their LifeKeeper names. */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  OPENSWAN_REMOVE_TIMEOUT: { kind: 'integer', default: 15, min: 1, max: 3600, description: 'Seconds the remove action may take.' },
  OPENSWAN_PING_TIMEOUT: {
    kind: 'integer',
    default: 5,
    min: 1,
    max: 300,
    description: 'Seconds to wait for a reply when quickCheck pings the peer VPN node (through the tunnel, and its public address).',
  },
  OPENSWAN_CHECK_TRY_COUNT: {
    kind: 'integer',
    default: 3,
    min: 1,
    max: 100,
    description: 'Times quickCheck reads the ipsec status for an established Child SA before it reports the tunnel down.',
  },
  OPENSWAN_CHECK_INTERVAL: { kind: 'integer', default: 15, min: 0, max: 3600, description: 'Seconds between those reads.' },
  OPENSWAN_QUICKCHECK_TIMEOUT: {
    kind: 'integer',
    default: 90,
    min: 1,
    description: 'Seconds a quickCheck may take (3 tries 15 s apart and two pings of 5 s fit).',
  },
  OPENSWAN_RECOVER_TIMEOUT: {
    kind: 'integer',
    default: 120,
    min: 1,
    description: 'Seconds a recover (restart pluto, down/up the connection, re-check) may take.',
  },
  OPENSWAN_RESTORE_TIMEOUT: { kind: 'integer', default: 120, min: 1, description: 'Seconds a restore may take.' },
  OPENSWAN_UP_WAIT: {
    kind: 'integer',
    default: 30,
    min: 1,
    max: 600,
    description: 'Seconds to wait for `ipsec up` to establish the Child SA (IKEv2 retransmits for up to 60 s against a dead peer).',
  },
} as const satisfies Record<string, TunableSpec>;

export const timeouts = {
  remove: 'OPENSWAN_REMOVE_TIMEOUT',
  quickCheck: 'OPENSWAN_QUICKCHECK_TIMEOUT',
  recover: 'OPENSWAN_RECOVER_TIMEOUT',
  restore: 'OPENSWAN_RESTORE_TIMEOUT',
} as const;
