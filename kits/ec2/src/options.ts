/** The EC2 kit's option schema and its type. */
import { TAG_PATTERN, checkAddress, checkAwsId, checkCidr, defineOptions, opt, type Issue, type KitContext } from '@recovery-kit/sdk';

export const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;
const id = (prefix: string) => (v: string) => checkAwsId(prefix, v);

export const options = defineOptions(
  {
    scenario: opt.enum(['route-table', 'elastic-ip'] as const, {
      description:
        'route-table: point the VPC routes for the protected address at the active node (backend cluster). elastic-ip: associate an Elastic IP with the active node (frontend cluster).',
      required: true,
      example: 'route-table',
    }),
    ipResource: opt.string({
      description:
        'route-table: tag of the existing IP resource whose address is protected; create makes it a child of this resource (or add it later with "kit-runner dep add").',
      example: 'vip',
      check: (v: string) => (TAG_PATTERN.test(v) ? undefined : `${JSON.stringify(v)} is not a valid resource tag`),
    }),
    destinations: opt.list({
      description:
        "route-table: further destination CIDRs whose routes follow this node (e.g. the remote region's subnets behind the active VPN instance). Added to the host route of each IP child.",
      default: [],
      perServer: true,
      example: '10.2.0.0/16,172.16.0.0/16',
      item: (v: string) => checkCidr(v, { requirePrefix: true }),
    }),
    routeTables: opt.list({
      description: 'route-table: only these route tables (rtb-...). Default: every route table of the VPC that has a route for a protected destination.',
      default: [],
      perServer: true,
      example: 'rtb-0a1b2c3d4e5f60022,rtb-0a1b2c3d4e5f60023',
      item: id('rtb'),
    }),
    vpcId: opt.string({
      description: "route-table: the VPC whose route tables are searched. Default: the VPC of this node's ENI.",
      perServer: true,
      example: 'vpc-0a1b2c3d4e5f60001',
      check: id('vpc'),
    }),
    createMissing: opt.boolean({
      description:
        "route-table: create a protected route where it is missing (in each listed table, or in the VPC's main table when no table has it) instead of failing.",
      default: false,
    }),
    disableSourceDestCheck: opt.boolean({
      description:
        "route-table: turn off source/destination checking on this node's ENI at restore and recover (needed to receive packets for the protected address); quickCheck reports it when it is on.",
      default: true,
    }),
    allocationId: opt.string({
      description: 'elastic-ip: the Elastic IP allocation (eipalloc-...). Elastic IPs are regional: give it per server across regions.',
      perServer: true,
      unique: true,
      example: 'eipalloc-0a1b2c3d4e5f60051',
      check: id('eipalloc'),
    }),
    privateIp: opt.string({
      description: "elastic-ip: the private address on this node's ENI to associate the Elastic IP with (default: the ENI's primary address).",
      perServer: true,
      example: '10.0.2.10',
      check: checkAddress,
    }),
    disassociateOthers: opt.boolean({
      description: "elastic-ip: take any other Elastic IP off this node's ENI at restore (the EC2 kit manual: one ENI carries only the protected Elastic IP).",
      default: true,
    }),
    eni: opt.string({
      description:
        "This server's ENI (eni-...). Default: from IMDSv2 (the ENI of the IP child's device, else the primary ENI). Give it at create and again at extend for each server.",
      perServer: true,
      example: 'eni-0a1b2c3d4e5f60041',
      check: id('eni'),
    }),
    region: opt.string({
      description: "This server's AWS region. Default: AWS_REGION, else the AWS profile's region (AWS_PROFILE, ~/.aws/config), else from IMDSv2.",
      perServer: true,
      example: 'us-east-1',
      check: (v: string) => (REGION.test(v) ? undefined : { message: `${JSON.stringify(v)} is not an AWS region name`, fix: 'for example us-east-1' }),
    }),
  },
  (o) => {
    const issues: Issue[] = [];
    if (o.scenario === 'elastic-ip') {
      if (!o.allocationId)
        issues.push({ field: 'allocationId', message: 'is required for the elastic-ip scenario', fix: 'give --opt allocationId=eipalloc-...' });
      for (const k of ['ipResource', 'vpcId'] as const)
        if (o[k] !== undefined)
          issues.push({ field: k, message: 'applies to the route-table scenario only', fix: `leave ${k} out, or use --opt scenario=route-table` });
      for (const k of ['destinations', 'routeTables'] as const)
        if (o[k].length)
          issues.push({ field: k, message: 'applies to the route-table scenario only', fix: `leave ${k} out, or use --opt scenario=route-table` });
      if (o.createMissing) issues.push({ field: 'createMissing', message: 'applies to the route-table scenario only' });
    } else {
      for (const k of ['allocationId', 'privateIp'] as const)
        if (o[k] !== undefined)
          issues.push({ field: k, message: 'applies to the elastic-ip scenario only', fix: `leave ${k} out, or use --opt scenario=elastic-ip` });
    }
    return issues;
  },
);

export type Ec2Options = typeof options extends { parse(raw: never): infer O } ? O : never;
export type Ctx = KitContext<Ec2Options>;
