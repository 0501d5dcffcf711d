/** The IP kit's tunables (tunables file, NAME_<tag> overrides) and the action timeouts that name them. */
import type { TunableSpec } from '@recovery-kit/sdk';

export const tunables = {
  IP_PINGTRIES: { kind: 'integer', default: 3, min: 1, max: 100, description: 'Pings per target (ping list) or broadcast pings in quickCheck.' },
  IP_PINGTIME: { kind: 'integer', default: 1, min: 1, max: 60, description: 'Seconds to wait for each ping reply.' },
  IP_QUICKCHECK_TIMEOUT: { kind: 'integer', default: 12, min: 1, description: 'Seconds a quickCheck of an IP resource may take.' },
  NOIPUNIQUE: { kind: 'boolean', default: false, description: '1 = skip duplicate address detection before adding the address (IPv6: add with nodad).' },
  NOBCASTPING: {
    kind: 'boolean',
    default: false,
    description: '1 = no broadcast ping in quickCheck when the ping list is empty (set it in clouds: VPCs have no broadcast).',
  },
  IP_NOLINKCHECK: { kind: 'boolean', default: false, description: '1 = do not check (or repair) the link state of the device.' },
  IP_WAIT_LINKDOWN: {
    kind: 'integer',
    default: 5,
    min: 0,
    max: 300,
    description: 'Seconds between taking a link without carrier down and up again when repairing it.',
  },
  IP_MAX_LINKCHK: { kind: 'integer', default: 5, min: 1, max: 300, description: 'Times (1 s apart) to check that a repaired link is up before failing.' },
  IP_DAD_PROBES: { kind: 'integer', default: 1, min: 1, max: 10, description: 'IPv4 duplicate address detection: arping -D probes, one second apart.' },
  IP_DAD_WAIT_MS: {
    kind: 'integer',
    default: 1000,
    min: 50,
    max: 10000,
    description:
      'IPv4 duplicate address detection: milliseconds to listen for an answer after the last probe (the probe takes (IP_DAD_PROBES - 1) s plus this). On a switched LAN hosts answer within milliseconds: 200 is plenty there. NOIPUNIQUE=1 skips the probe.',
  },
  IP6_DAD_WAIT: { kind: 'integer', default: 10, min: 1, max: 120, description: "Seconds to wait for the kernel's IPv6 duplicate address detection to finish." },
  IP_ARP_COUNT: { kind: 'integer', default: 2, min: 0, max: 20, description: 'Gratuitous ARP packets sent after adding an IPv4 address (0 = none).' },
  IP6_NDISC_NOTIFY: {
    kind: 'boolean',
    default: true,
    description:
      '1 = enable net.ipv6.conf.DEV.ndisc_notify on the device, so that the kernel sends an unsolicited neighbour advertisement once DAD has passed.',
  },
} as const satisfies Record<string, TunableSpec>;

export const timeouts = { quickCheck: 'IP_QUICKCHECK_TIMEOUT' } as const;
