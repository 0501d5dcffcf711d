/** The IP kit's option schema and its type. */
import { checkAddress, checkInterfaceName, defineOptions, opt, type Issue, type KitContext } from '@recovery-kit/sdk';
import { checkVipText, isLinkLocal, toVip } from './addr.ts';

export const NETNS = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,63}$/;

export const options = defineOptions(
  {
    address: opt.string({
      description:
        'The virtual address with its prefix length (IPv4 or IPv6), e.g. 10.1.0.10/32 or fd00::10/64. May differ per server (another subnet or VPC).',
      required: true,
      perServer: true,
      unique: true,
      example: '10.1.0.10/32',
      check: checkVipText,
    }),
    device: opt.string({
      description:
        "Network interface to put the address on. When absent, found from the routing table like IPaddr2's findif (the most specific directly connected route covering the address). May differ per server.",
      perServer: true,
      example: 'eth0',
      check: checkInterfaceName,
    }),
    label: opt.string({
      description: 'IPv4 address label (ifconfig-style alias), starting with the device name, at most 15 characters, e.g. eth0:vip.',
      example: 'eth0:vip',
      check: checkInterfaceName,
    }),
    pingList: opt.list({
      description: 'Addresses quickCheck pings from the virtual address; one answer is enough. When empty, the broadcast ping is used unless NOBCASTPING=1.',
      default: [],
      reloadable: true,
      example: '192.0.2.1,192.0.2.254',
      item: checkAddress,
    }),
    netns: opt.string({
      description: 'Named network namespace (ip netns) holding the device; commands run as "ip -n NETNS ...". May differ per server.',
      perServer: true,
      example: 'blue',
      check: (v: string) =>
        NETNS.test(v) && v !== '.' && v !== '..'
          ? undefined
          : { message: `${JSON.stringify(v)} is not a valid network namespace name`, fix: 'use 1-64 letters, digits, "_", "." or "-"' },
    }),
  },
  (o) => {
    const issues: Issue[] = [];
    const vip = toVip(o.address, { requirePrefix: true })!;
    if (o.label !== undefined) {
      if (vip.family === 6) issues.push({ field: 'label', message: 'IPv6 addresses have no labels', fix: 'leave label out for an IPv6 address' });
      else if (o.device !== undefined && !o.label.startsWith(o.device))
        issues.push({
          field: 'label',
          message: `label ${o.label} does not start with the device name ${o.device}`,
          fix: `use a label such as ${o.device}:vip`,
        });
    }
    if (isLinkLocal(vip) && o.device === undefined)
      issues.push({
        field: 'device',
        message: 'a link-local IPv6 address needs a device (the routing table cannot tell which link)',
        fix: 'give --opt device=<interface>',
      });
    for (const p of o.pingList) {
      if ((p.includes(':') ? 6 : 4) !== vip.family)
        issues.push({
          field: 'pingList',
          message: `${p} is not of the address family of ${o.address}`,
          fix: 'ping targets are pinged from the virtual address, so they must be of the same family',
        });
    }
    return issues;
  },
);

export type IpOptions = typeof options extends { parse(raw: never): infer O } ? O : never;
export type Ctx = KitContext<IpOptions>;
