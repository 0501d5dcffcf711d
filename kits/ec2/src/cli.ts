/**
 * One-shot commands for other cluster managers' scripts (ExpressCluster's clpaws_vipctl,
 * clpaws_eipctl and clpaws_mon): `kit-runner ec2 <command> ...`. Exit 0 on success; a KitError's
 * exit code otherwise (6 bad value, 4 IAM denied, 1 AWS failed). With --json the runner prints the
 * returned object (what changed); otherwise its summary.
 */
import { awsCall, configuredRegion, imds, imdsDisabled, regionUnknownError } from '@recovery-kit/aws';
import { ec2For, sdk } from './aws.ts';
import { ActionFailedError, ConfigError, UsageError, checkAddress, checkAwsId, checkCidr, type KitCliCommand, type KitCliContext } from '@recovery-kit/sdk';
import { normalizeCidr } from '@recovery-kit/sdk/util';
import { associate, disassociate } from './eip.ts';
import { describeEni, describeTables, disableSourceDestCheck, switchRoutes } from './routes.ts';
import { plural } from './util.ts';

type Flags = Readonly<Record<string, string | boolean | string[] | undefined>>;

const REGION = /^[a-z]{2}(-[a-z]+)+-\d+$/;

function awsId(flags: Flags, name: string, prefix: string): string | undefined {
  const v = flags[name];
  if (v === undefined) return undefined;
  const text = String(v);
  const problem = checkAwsId(prefix, text);
  if (problem) throw new ConfigError(`--${name}: ${problem}`, { field: `--${name}`, fix: `for example --${name} ${prefix}-0123456789abcdef0` });
  return text;
}

function list(flags: Flags, name: string): string[] {
  const v = flags[name];
  if (v === undefined) return [];
  return (Array.isArray(v) ? v : [String(v)]).flatMap((x) => x.split(/[,\s]+/)).filter(Boolean);
}

async function region(ctx: KitCliContext, flags: Flags): Promise<string> {
  const given = flags.region;
  if (typeof given === 'string') {
    if (!REGION.test(given))
      throw new ConfigError(`--region: ${JSON.stringify(given)} is not an AWS region name`, { field: '--region', fix: 'for example --region us-east-1' });
    return given;
  }
  // The SDK's order: AWS_REGION, the profile's region, then this instance's (IMDS).
  const configured = await configuredRegion();
  if (configured) return configured.region;
  if (!imdsDisabled()) return (await imds().document(ctx.signal)).region;
  throw regionUnknownError('this command', '--region', 'give --region REGION');
}

const client = (ctx: KitCliContext, r: string) => ec2For(ctx.tunables, r);
const verifyMs = (ctx: KitCliContext) => ctx.tunables.int('EC2_VERIFY_TIMEOUT', 30) * 1000;
const REGION_FLAG = {
  type: 'string' as const,
  description: "AWS region (default: AWS_REGION, else the AWS profile's region, else this instance's region from IMDSv2).",
};

export const cli: Record<string, KitCliCommand> = {
  'replace-route': {
    description: 'Point the routes for CIDR at ENI, in every route table of a VPC or in the listed tables (clpaws_vipctl --replace-route).',
    usage:
      '(--vpc VPC_ID | --route-table RTB_ID...) --cidr CIDR [--cidr CIDR...] --eni ENI_ID [--create-missing] [--disable-source-dest-check] [--region REGION] [--json]',
    timeoutTunable: 'EC2_RESTORE_TIMEOUT',
    flags: {
      vpc: { type: 'string', description: 'Every route table of this VPC that has a route for CIDR.' },
      'route-table': { type: 'string', multiple: true, description: 'Only these route tables (repeat the flag or separate with commas).' },
      cidr: { type: 'string', multiple: true, required: true, description: 'Destination, e.g. 10.1.0.10/32 (a bare address means /32 or /128).' },
      eni: { type: 'string', required: true, description: 'The ENI the routes must point at (eni-...).' },
      'create-missing': { type: 'boolean', description: "Create the route in a listed table (or the VPC's main table) where it is missing." },
      'disable-source-dest-check': { type: 'boolean', description: 'Also turn off source/destination checking on the ENI.' },
      region: REGION_FLAG,
    },
    async run(ctx, flags) {
      const vpc = awsId(flags, 'vpc', 'vpc');
      const tables = list(flags, 'route-table');
      for (const t of tables) {
        const problem = checkAwsId('rtb', t);
        if (problem) throw new ConfigError(`--route-table: ${problem}`, { field: '--route-table', fix: 'for example --route-table rtb-0123456789abcdef0' });
      }
      if (!vpc === !tables.length)
        throw new UsageError(vpc ? 'give either --vpc or --route-table, not both' : 'give --vpc VPC_ID or --route-table RTB_ID', {
          field: '--vpc',
          fix: 'usage: kit-runner ec2 replace-route (--vpc VPC_ID | --route-table RTB_ID...) --cidr CIDR --eni ENI_ID',
        });
      const cidrs = list(flags, 'cidr').map((c) => {
        const problem = checkCidr(c);
        if (problem) throw new ConfigError(`--cidr: ${problem}`, { field: '--cidr', fix: 'for example --cidr 10.1.0.10/32' });
        return normalizeCidr(c)!;
      });
      const eni = awsId(flags, 'eni', 'eni')!;
      const r = await region(ctx, flags);
      const ec2 = await client(ctx, r);
      const eniInfo = await describeEni(ec2, eni, ctx.signal, '--eni');
      if (vpc && eniInfo.VpcId && eniInfo.VpcId !== vpc)
        throw new ConfigError(`${eni} is in ${eniInfo.VpcId}, not in ${vpc}`, { field: '--vpc', fix: 'routes can only point at an ENI of the same VPC' });
      const current = await describeTables(ec2, tables.length ? { routeTableIds: tables } : { vpcId: vpc }, ctx.signal);
      const sdc = flags['disable-source-dest-check'] === true && eniInfo.SourceDestCheck !== false;
      const [report] = await Promise.all([
        switchRoutes({
          ec2,
          tables: current,
          destinations: [...new Set(cidrs)],
          eni,
          routeTableIds: tables,
          createMissing: flags['create-missing'] === true,
          concurrency: ctx.tunables.int('EC2_API_CONCURRENCY', 16),
          verifyMs: verifyMs(ctx),
          signal: ctx.signal,
          logger: ctx.logger,
        }),
        sdc ? disableSourceDestCheck(ec2, eni, ctx.signal) : Promise.resolve(),
      ]);
      const summary =
        `${report.routes.map((x) => `${x.routeTableId} ${x.destination} -> ${x.target}`).join('\n')}\n` +
        `${plural(report.changed.length, 'route')} changed, ${report.unchanged} already pointed at ${eni}${sdc ? '; source/destination check turned off' : ''}`;
      return { summary, region: r, eni, changed: report.changed, routes: report.routes, unchanged: report.unchanged, sourceDestCheckDisabled: sdc };
    },
  },

  'associate-eip': {
    description: 'Associate an Elastic IP with an ENI, taking it from wherever it is (clpaws_eipctl --associate).',
    usage: '--allocation-id ALLOC_ID --eni ENI_ID [--private-ip IP] [--disassociate-others] [--region REGION] [--json]',
    timeoutTunable: 'EC2_RESTORE_TIMEOUT',
    flags: {
      'allocation-id': { type: 'string', required: true, description: 'The Elastic IP allocation (eipalloc-...).' },
      eni: { type: 'string', required: true, description: 'The ENI to associate it with (eni-...).' },
      'private-ip': { type: 'string', description: 'The private address on the ENI (default: its primary address).' },
      'disassociate-others': { type: 'boolean', description: 'Also take every other Elastic IP off the ENI.' },
      region: REGION_FLAG,
    },
    async run(ctx, flags) {
      const allocationId = awsId(flags, 'allocation-id', 'eipalloc')!;
      const eni = awsId(flags, 'eni', 'eni')!;
      const privateIp = typeof flags['private-ip'] === 'string' ? flags['private-ip'] : undefined;
      if (privateIp !== undefined && checkAddress(privateIp)) throw new ConfigError(`--private-ip: ${checkAddress(privateIp)}`, { field: '--private-ip' });
      const r = await region(ctx, flags);
      const rep = await associate({
        ec2: await client(ctx, r),
        allocationId,
        eni,
        privateIp,
        privateIpField: '--private-ip',
        disassociateOthers: flags['disassociate-others'] === true,
        verifyMs: verifyMs(ctx),
        signal: ctx.signal,
        logger: ctx.logger,
      });
      const summary = rep.associated
        ? `${rep.publicIp} (${allocationId}) associated with ${eni}${rep.previous ? ` (was on ${rep.previous})` : ''}`
        : `${rep.publicIp} (${allocationId}) was already associated with ${eni}`;
      return { summary, region: r, ...rep };
    },
  },

  'disassociate-eip': {
    description: 'Disassociate an Elastic IP from whatever it is associated with (clpaws_eipctl --disassociate). Success when it is not associated.',
    usage: '--allocation-id ALLOC_ID [--region REGION] [--json]',
    timeoutTunable: 'EC2_REMOVE_TIMEOUT',
    flags: {
      'allocation-id': { type: 'string', required: true, description: 'The Elastic IP allocation (eipalloc-...).' },
      region: REGION_FLAG,
    },
    async run(ctx, flags) {
      const allocationId = awsId(flags, 'allocation-id', 'eipalloc')!;
      const r = await region(ctx, flags);
      const rep = await disassociate({
        ec2: await client(ctx, r),
        allocationId,
        owned: () => true,
        verifyMs: verifyMs(ctx),
        signal: ctx.signal,
        logger: ctx.logger,
      });
      const summary = rep.disassociated
        ? `${rep.publicIp} (${allocationId}) disassociated from ${rep.from}`
        : `${rep.publicIp} (${allocationId}) was not associated`;
      return { summary, region: r, ...rep };
    },
  },

  'check-az': {
    description: 'Exit 0 when the availability zone is available, 1 otherwise (clpaws_mon --chkavz).',
    usage: '--az AZ_NAME [--region REGION] [--json]',
    timeoutTunable: 'EC2_QUICKCHECK_TIMEOUT',
    flags: {
      az: { type: 'string', required: true, description: 'Availability zone name, e.g. us-east-1a.' },
      region: REGION_FLAG,
    },
    async run(ctx, flags) {
      const az = String(flags.az);
      if (!/^[a-z]{2}(-[a-z0-9]+)+[a-z]$/.test(az))
        throw new ConfigError(`--az: ${JSON.stringify(az)} is not an availability zone name`, { field: '--az', fix: 'for example --az us-east-1a' });
      const r = typeof flags.region === 'string' ? await region(ctx, flags) : (/^([a-z]{2}-[a-z]+-\d+)[a-z]$/.exec(az)?.[1] ?? (await region(ctx, flags)));
      const [ec2, { DescribeAvailabilityZonesCommand }] = await Promise.all([client(ctx, r), sdk()]);
      const out = await awsCall({ service: 'ec2', action: 'DescribeAvailabilityZones', subject: az, field: '--az' }, ctx.signal, (abortSignal) =>
        ec2.send(new DescribeAvailabilityZonesCommand({ ZoneNames: [az], AllAvailabilityZones: true }), { abortSignal }),
      );
      const zone = out.AvailabilityZones?.find((z) => z.ZoneName === az);
      if (!zone)
        throw new ConfigError(`availability zone ${az} does not exist in ${r}`, { field: '--az', fix: 'aws ec2 describe-availability-zones lists them' });
      const messages = (zone.Messages ?? []).map((m) => m.Message).filter(Boolean);
      if (zone.State !== 'available') {
        throw new ActionFailedError(`availability zone ${az} is ${zone.State}${messages.length ? `: ${messages.join('; ')}` : ''}`, {
          code: 'AZ_NOT_AVAILABLE',
          details: { az, region: r, state: zone.State, messages },
          fix: 'fail over to a node in another availability zone',
        });
      }
      return { summary: `${az} is available${messages.length ? ` (${messages.join('; ')})` : ''}`, az, region: r, state: zone.State, messages };
    },
  },
};
