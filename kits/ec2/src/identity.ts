/**
 * Who "this node" is for an action: its ENI, region and VPC. Options (per server) win; then, for
 * the node the process runs on, IMDSv2 (the ENI of the IP child's device when it is a real
 * interface of this instance, else the primary ENI); then what create/extend recorded. IMDS is not
 * asked when the options already say everything, and an IMDS outage falls back to the recorded
 * values, so that an action never fails only because IMDS is slow.
 */
import { readFile } from 'node:fs/promises';
import { envRegion, imds, type InstanceIdentity } from '@recovery-kit/aws';
import { ActionFailedError, ConfigError, isKitError, type DependencyView, type Logger } from '@recovery-kit/sdk';

export interface IdentityInput {
  readonly server: string;
  readonly host: { readonly node: string };
  readonly options: { readonly eni?: string | undefined; readonly region?: string | undefined; readonly vpcId?: string | undefined };
  readonly info: Readonly<Record<string, unknown>>;
  readonly children: readonly DependencyView[];
  readonly signal: AbortSignal;
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
}

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);

/** The ENI of the interface carrying the IP child's address, when that interface is one of this instance's. */
async function deviceEni(ctx: IdentityInput, id: InstanceIdentity): Promise<string | undefined> {
  const ip = ctx.children.find((c) => c.kitType === 'ip');
  const device = str(ip?.info.device) ?? str(ip?.options.device);
  if (!device || str(ip?.info.netns) || str(ip?.options.netns) || !/^[A-Za-z0-9_.:@-]{1,15}$/.test(device)) return undefined;
  let mac: string;
  try {
    mac = (await readFile(`/sys/class/net/${device.split(':')[0]}/address`, 'utf8')).trim().toLowerCase();
  } catch {
    return undefined;
  }
  if (mac === id.mac) return id.eniId;
  const client = imds();
  const macs = await client.macs(ctx.signal);
  if (!macs.includes(mac)) return undefined;
  return client.eniForMac(mac, ctx.signal);
}

export async function resolveIdentity(ctx: IdentityInput, need: { eni?: boolean; vpcId?: boolean } = { eni: true }): Promise<NodeIdentity> {
  const self = ctx.server === ctx.host.node;
  const o = ctx.options;
  const recorded = { eni: str(ctx.info.eni), region: str(ctx.info.region), vpcId: str(ctx.info.vpcId), instanceId: str(ctx.info.instanceId), availabilityZone: str(ctx.info.availabilityZone) };
  const out: NodeIdentity = { eni: o.eni, region: o.region, vpcId: o.vpcId, instanceId: undefined, availabilityZone: undefined, self, source: o.eni ? 'options' : 'none' };
  const missing = () => (need.eni !== false && !out.eni) || !out.region || (need.vpcId === true && !out.vpcId);
  if (self && missing()) {
    try {
      const id = await imds().identity(ctx.signal);
      out.region ??= id.region;
      out.instanceId = id.instanceId;
      out.availabilityZone = id.availabilityZone;
      if (!out.eni && need.eni !== false) {
        const dev = await deviceEni(ctx, id).catch(() => undefined);
        out.eni = dev ?? id.eniId;
        out.source = dev && dev !== id.eniId ? 'imds-device' : 'imds';
      }
      if (!o.vpcId) out.vpcId = id.vpcId;
    } catch (err) {
      if (!recorded.eni && !recorded.region) throw err;
      ctx.logger.warn(`instance metadata unavailable (${isKitError(err) ? err.message : String(err)}); using what create/extend recorded for ${ctx.server}`);
    }
  }
  if (!out.eni && need.eni !== false && recorded.eni) {
    out.eni = recorded.eni;
    out.source = 'recorded';
  }
  out.region ??= recorded.region ?? envRegion();
  if (out.source === 'recorded') out.vpcId ??= recorded.vpcId;
  out.instanceId ??= recorded.instanceId;
  out.availabilityZone ??= recorded.availabilityZone;
  if (!out.region) {
    throw new ConfigError(`cannot tell the AWS region of ${ctx.server}`, { field: 'region', fix: `give --opt region=<region> for ${ctx.server}, or set AWS_REGION for kit-runner` });
  }
  if (need.eni !== false && !out.eni) {
    throw new ActionFailedError(`cannot tell the ENI of ${ctx.server}${self ? '' : ` from ${ctx.host.node}`}: no eni option and nothing recorded for it`, {
      code: 'ENI_UNKNOWN',
      fix: `give the ENI per server: kit-runner extend <tag> --server ${ctx.server} --opt eni=eni-...`,
    });
  }
  return out;
}
