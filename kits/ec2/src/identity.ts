/**
 * Who "this node" is for an action: its ENI, region and VPC. Options (per server) win; then, for
 * the node the process runs on, the instance identity document from IMDSv2 (one request, cached
 * for the process) and EC2's list of the instance's network interfaces (the ENI of the IP child's
 * device when it is one of them, else the primary ENI: one DescribeNetworkInterfaces, whose
 * answer the action reuses instead of reading the ENI again); then what create/extend recorded.
 * IMDS is not asked when the options already say everything, and an IMDS outage falls back to the
 * recorded values, so that an action never fails only because IMDS is slow.
 */
import { readFile } from 'node:fs/promises';
import type { NetworkInterface } from '@aws-sdk/client-ec2';
import { configuredRegion, imds, regionUnknownError, sharedRead, type RegionSource } from '@recovery-kit/aws';
import { ActionFailedError, isKitError, type DependencyView, type Logger, type Tunables } from '@recovery-kit/sdk';
import { ec2For } from './aws.ts';
import { enisOfInstance } from './routes.ts';

export interface IdentityInput {
  readonly server: string;
  /** The action runs for the node this process runs on (IMDS describes it). */
  readonly local: boolean;
  readonly host: { readonly node: string };
  readonly options: { readonly eni?: string | undefined; readonly region?: string | undefined; readonly vpcId?: string | undefined };
  readonly info: Readonly<Record<string, unknown>>;
  readonly children: readonly DependencyView[];
  readonly tunables: Tunables;
  readonly signal: AbortSignal;
  /** Date.now() ms when the action's time runs out. */
  readonly deadline: number;
  readonly logger: Logger;
}

export interface NodeIdentity {
  eni: string | undefined;
  region: string | undefined;
  vpcId: string | undefined;
  instanceId: string | undefined;
  availabilityZone: string | undefined;
  /** The action runs for the node this process runs on (IMDS describes it). */
  self: boolean;
  /** Where the ENI came from. */
  source: 'options' | 'imds' | 'imds-device' | 'recorded' | 'none';
  /** Where the region came from (the SDK's order: option, AWS_REGION, profile, then IMDS). */
  regionSource: RegionSource | undefined;
  /** The ENI as EC2 described it while finding it (fresh: read in this action). */
  eniInfo?: NetworkInterface | undefined;
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The MAC of the interface carrying the IP child's address, when it is a real interface of this machine. */
async function deviceMac(ctx: IdentityInput): Promise<string | undefined> {
  const ip = ctx.children.find((c) => c.kitType === 'ip');
  const device = str(ip?.info.device) ?? str(ip?.options.device);
  if (!device || str(ip?.info.netns) || str(ip?.options.netns) || !/^[A-Za-z0-9_.:@-]{1,15}$/.test(device)) return undefined;
  try {
    return (await readFile(`/sys/class/net/${device.split(':')[0]}/address`, 'utf8')).trim().toLowerCase();
  } catch {
    return undefined;
  }
}

/** This instance's ENI for the action: the IP child's device's, else the primary (device index 0). */
async function instanceEni(
  ctx: IdentityInput,
  region: string,
  instanceId: string,
  sharedTtlMs: number | undefined,
): Promise<{ eni: NetworkInterface; device: boolean }> {
  const list = (signal: AbortSignal) => ec2For(ctx.tunables, region).then((ec2) => enisOfInstance(ec2, instanceId, signal));
  const enis =
    sharedTtlMs === undefined
      ? list(ctx.signal)
      : sharedRead(`ec2:enis-of:${region}:${instanceId}`, sharedTtlMs, () => list(AbortSignal.timeout(Math.max(1, ctx.deadline - Date.now()))), ctx.signal);
  const [mac, all] = await Promise.all([deviceMac(ctx), enis]);
  return pickEni(ctx, all, mac, region, instanceId);
}

function pickEni(
  ctx: IdentityInput,
  enis: NetworkInterface[],
  mac: string | undefined,
  region: string,
  instanceId: string,
): { eni: NetworkInterface; device: boolean } {
  const primary = enis.find((e) => e.Attachment?.DeviceIndex === 0) ?? enis[0];
  const byDevice = mac ? enis.find((e) => e.MacAddress?.toLowerCase() === mac) : undefined;
  const eni = byDevice ?? primary;
  if (!eni?.NetworkInterfaceId) {
    throw new ActionFailedError(`EC2 lists no network interface attached to ${instanceId} (this instance, from IMDSv2) in ${region}`, {
      code: 'ENI_UNKNOWN',
      fix: `give the ENI per server: kit-runner extend <tag> --server ${ctx.server} --opt eni=eni-...; check the region`,
    });
  }
  return { eni, device: byDevice !== undefined && byDevice !== primary };
}

/**
 * `sharedTtlMs` (quickCheck): share EC2's list of this instance's interfaces between the checks of
 * one monitor round, like the other Describe calls; actions (undefined) read it fresh.
 */
export async function resolveIdentity(
  ctx: IdentityInput,
  need: { eni?: boolean; vpcId?: boolean } = { eni: true },
  sharedTtlMs?: number,
): Promise<NodeIdentity> {
  const self = ctx.local;
  const o = ctx.options;
  const recorded = {
    eni: str(ctx.info.eni),
    region: str(ctx.info.region),
    vpcId: str(ctx.info.vpcId),
    instanceId: str(ctx.info.instanceId),
    availabilityZone: str(ctx.info.availabilityZone),
  };
  const out: NodeIdentity = {
    eni: o.eni,
    region: o.region,
    vpcId: o.vpcId,
    instanceId: undefined,
    availabilityZone: undefined,
    self,
    source: o.eni ? 'options' : 'none',
    regionSource: o.region ? 'option' : undefined,
  };
  // Region: the option; for another server what create/extend recorded for it (this machine's
  // environment describes this machine); then AWS_REGION and the profile's region, as the SDK
  // resolves it; then (this node) the instance identity document; then what was recorded.
  if (!out.region && !self && recorded.region) [out.region, out.regionSource] = [recorded.region, 'recorded'];
  if (!out.region) {
    const c = await configuredRegion();
    if (c) [out.region, out.regionSource] = [c.region, c.source];
  }
  const missing = () => (need.eni !== false && !out.eni) || !out.region || (need.vpcId === true && !out.vpcId);
  if (self && missing()) {
    try {
      const doc = await imds().document(ctx.signal);
      if (!out.region) [out.region, out.regionSource] = [doc.region, 'imds'];
      out.instanceId = doc.instanceId;
      out.availabilityZone = doc.availabilityZone;
      if ((!out.eni && need.eni !== false) || (need.vpcId === true && !out.vpcId)) {
        const found = await instanceEni(ctx, out.region!, doc.instanceId, sharedTtlMs);
        if (!out.eni) {
          out.eni = found.eni.NetworkInterfaceId;
          out.eniInfo = found.eni;
          out.source = found.device ? 'imds-device' : 'imds';
        }
        if (!o.vpcId) out.vpcId = found.eni.VpcId;
      }
    } catch (err) {
      if (!recorded.eni && !recorded.region) throw err;
      ctx.logger.warn(
        `this instance's identity is unavailable (${isKitError(err) ? err.message : String(err)}); using what create/extend recorded for ${ctx.server}`,
      );
    }
  }
  if (!out.eni && need.eni !== false && recorded.eni) {
    out.eni = recorded.eni;
    out.source = 'recorded';
  }
  if (!out.region && recorded.region) [out.region, out.regionSource] = [recorded.region, 'recorded'];
  if (out.source === 'recorded') out.vpcId ??= recorded.vpcId;
  out.instanceId ??= recorded.instanceId;
  out.availabilityZone ??= recorded.availabilityZone;
  if (!out.region) {
    throw regionUnknownError(ctx.server, 'region', `give --opt region=<region> for ${ctx.server}${self ? ' (the instance metadata service did not say)' : ''}`);
  }
  if (need.eni !== false && !out.eni) {
    throw new ActionFailedError(`cannot tell the ENI of ${ctx.server}${self ? '' : ` from ${ctx.host.node}`}: no eni option and nothing recorded for it`, {
      code: 'ENI_UNKNOWN',
      fix: `give the ENI per server: kit-runner extend <tag> --server ${ctx.server} --opt eni=eni-...`,
    });
  }
  return out;
}
