/** The Route53 kit's option schema and its type. */
import { TAG_PATTERN, defineOptions, opt, type KitContext } from '@recovery-kit/sdk';
import { checkHost, checkZoneName, isZoneId } from './names.ts';

export const options = defineOptions({
  zone: opt.string({
    description:
      'The Route 53 hosted zone (public or private), by name (example.com) or id (Z...). create looks it up among the zones of the account, and lists them when it is not there.',
    required: true,
    unique: 'record',
    example: 'example.com',
    check: checkZoneName,
  }),
  host: opt.string({
    description: 'Host name inside the zone, not a fully qualified name: www makes the record www.example.com.',
    required: true,
    unique: 'record',
    example: 'www',
    check: checkHost,
  }),
  ip: opt.string({
    description:
      "Tag of the existing IP resource whose address on each server is the record's value; create makes it this resource's child. For another region, extend the IP resource there first with that region's address.",
    required: true,
    example: 'ip-route53',
    pattern: TAG_PATTERN,
  }),
  zoneId: opt.string({
    description: 'Hosted zone id; create fills it in. Give it to choose between a public and a private zone of the same name.',
    example: 'Z0123456789ABCDEFGHIJ',
    check: (v: string) =>
      isZoneId(v)
        ? undefined
        : {
            message: `${JSON.stringify(v)} is not a hosted zone id (at most 32 characters, no "/" or space, optionally after /hostedzone/)`,
            fix: 'give the id as Route 53 shows it, e.g. Z0123456789ABCDEFGHIJ ("kit-runner route53 zones" lists them)',
          },
  }),
  ttl: opt.integer({ description: 'TTL of the record in seconds. Default: the ROUTE53_TTL tunable (10).', min: 0, max: 2147483647, example: '10' }),
});

export type Route53Options = typeof options extends { parse(raw: never): infer O } ? O : never;
export type Ctx = KitContext<Route53Options>;
