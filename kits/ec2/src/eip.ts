/**
 * The Elastic IP scenario's AWS side: associate (reassociation allowed) with this node's ENI,
 * take other Elastic IPs off that ENI (the EC2 kit manual: one ENI, one EIP), verify; disassociate
 * and confirm.
 */
import type { Address, EC2Client } from '@aws-sdk/client-ec2';
import { awsCall } from '@recovery-kit/aws';
import { ActionFailedError, ConfigError, type Logger } from '@recovery-kit/sdk';
import { sleep } from '@recovery-kit/sdk/util';
import { sdk } from './aws.ts';

/** One allocation; an unknown id is a ConfigError (exit 6) naming it. */
export async function describeAllocation(ec2: EC2Client, allocationId: string, signal: AbortSignal | undefined, field = 'allocationId'): Promise<Address> {
  const { DescribeAddressesCommand } = await sdk();
  const out = await awsCall({ service: 'ec2', action: 'DescribeAddresses', subject: `allocation ${allocationId}`, field }, signal, (abortSignal) =>
    ec2.send(new DescribeAddressesCommand({ AllocationIds: [allocationId] }), { abortSignal }),
  );
  const a = out.Addresses?.find((x) => x.AllocationId === allocationId);
  if (!a)
    throw new ConfigError(`Elastic IP allocation ${allocationId} does not exist`, { field, fix: 'check the allocation id (eipalloc-...) and the region' });
  return a;
}

/** Every Elastic IP of the region (one call: the monitor shares it between resources). */
export async function describeAllAddresses(ec2: EC2Client, signal: AbortSignal | undefined): Promise<Address[]> {
  const { DescribeAddressesCommand } = await sdk();
  const out = await awsCall({ service: 'ec2', action: 'DescribeAddresses', subject: 'all addresses of the region' }, signal, (abortSignal) =>
    ec2.send(new DescribeAddressesCommand({}), { abortSignal }),
  );
  return out.Addresses ?? [];
}

async function addressesOn(ec2: EC2Client, eni: string, signal: AbortSignal | undefined): Promise<Address[]> {
  const { DescribeAddressesCommand } = await sdk();
  const out = await awsCall({ service: 'ec2', action: 'DescribeAddresses', subject: `addresses on ${eni}` }, signal, (abortSignal) =>
    ec2.send(new DescribeAddressesCommand({ Filters: [{ Name: 'network-interface-id', Values: [eni] }] }), { abortSignal }),
  );
  return out.Addresses ?? [];
}

/** A ConfigError (exit 6) when `privateIp` is not one of the ENI's private addresses. */
async function checkPrivateIp(ec2: EC2Client, eni: string, privateIp: string, field: string, signal: AbortSignal | undefined): Promise<void> {
  const { DescribeNetworkInterfacesCommand } = await sdk();
  const out = await awsCall(
    { service: 'ec2', action: 'DescribeNetworkInterfaces', subject: `network interface ${eni}`, field: field.startsWith('--') ? '--eni' : 'eni' },
    signal,
    (abortSignal) => ec2.send(new DescribeNetworkInterfacesCommand({ NetworkInterfaceIds: [eni] }), { abortSignal }),
  );
  const found = out.NetworkInterfaces?.find((n) => n.NetworkInterfaceId === eni);
  if (!found)
    throw new ConfigError(`network interface ${eni} does not exist`, {
      field: field.startsWith('--') ? '--eni' : 'eni',
      fix: 'check the ENI id and the region',
    });
  const ips = (found.PrivateIpAddresses ?? []).map((p) => p.PrivateIpAddress).filter((x): x is string => !!x);
  if (!ips.includes(privateIp)) {
    throw new ConfigError(`${privateIp} is not a private address of ${eni} (${ips.join(', ') || 'none'}); nothing was changed`, {
      field,
      fix: `give one of the ENI's private addresses (${ips.join(', ')}), assign ${privateIp} to the ENI first, or leave ${field} out for its primary address`,
    });
  }
}

export const describeAssociation = (a: Address) =>
  a.AssociationId
    ? `${a.PublicIp ?? a.AllocationId} is associated with ${a.NetworkInterfaceId ?? a.InstanceId ?? '(unknown)'}${a.PrivateIpAddress ? ` (${a.PrivateIpAddress})` : ''}`
    : `${a.PublicIp ?? a.AllocationId} is not associated`;

export function isAssociatedWith(a: Address, eni: string, privateIp?: string): boolean {
  return !!a.AssociationId && a.NetworkInterfaceId === eni && (privateIp === undefined || a.PrivateIpAddress === privateIp);
}

export interface AssociateOptions {
  ec2: EC2Client;
  allocationId: string;
  eni: string;
  privateIp?: string | undefined;
  /** The option or flag that gave privateIp, for the error when it is not on the ENI. */
  privateIpField?: string | undefined;
  disassociateOthers: boolean;
  verifyMs: number;
  signal: AbortSignal | undefined;
  logger: Logger;
}

export interface AssociateReport {
  allocationId: string;
  publicIp: string | undefined;
  eni: string;
  associated: boolean;
  previous: string | undefined;
  disassociated: Array<{ allocationId: string | undefined; publicIp: string | undefined }>;
}

export async function associate(o: AssociateOptions): Promise<AssociateReport> {
  const { AssociateAddressCommand, DisassociateAddressCommand } = await sdk();
  // Everything is read (and privateIp checked against the ENI) before anything changes.
  const [current, onEni] = await Promise.all([
    describeAllocation(o.ec2, o.allocationId, o.signal),
    o.disassociateOthers ? addressesOn(o.ec2, o.eni, o.signal) : Promise.resolve([]),
    o.privateIp ? checkPrivateIp(o.ec2, o.eni, o.privateIp, o.privateIpField ?? 'privateIp', o.signal) : Promise.resolve(),
  ]);
  let associated = false;
  let associationId: string | undefined;
  const previous = current.AssociationId ? (current.NetworkInterfaceId ?? current.InstanceId) : undefined;
  if (!isAssociatedWith(current, o.eni, o.privateIp)) {
    const out = await awsCall({ service: 'ec2', action: 'AssociateAddress', subject: `${o.allocationId} to ${o.eni}`, field: 'eni' }, o.signal, (abortSignal) =>
      o.ec2.send(
        new AssociateAddressCommand({
          AllocationId: o.allocationId,
          NetworkInterfaceId: o.eni,
          AllowReassociation: true,
          ...(o.privateIp ? { PrivateIpAddress: o.privateIp } : {}),
        }),
        { abortSignal },
      ),
    );
    associationId = out.AssociationId;
    associated = true;
  }
  const others = onEni.filter((a) => a.AllocationId !== o.allocationId && a.AssociationId);
  const disassociated: AssociateReport['disassociated'] = [];
  await Promise.all(
    others.map(async (a) => {
      o.logger.info(`taking Elastic IP ${a.PublicIp} (${a.AllocationId}) off ${o.eni}: one ENI carries only the protected Elastic IP (disassociateOthers)`);
      await awsCall(
        { service: 'ec2', action: 'DisassociateAddress', subject: `${a.AllocationId} from ${o.eni}`, notFound: 'failed' },
        o.signal,
        (abortSignal) => o.ec2.send(new DisassociateAddressCommand({ AssociationId: a.AssociationId! }), { abortSignal }),
      ).catch((err: { details?: Record<string, unknown> }) => {
        if (err.details?.awsCode === 'InvalidAssociationID.NotFound') return; // gone meanwhile
        throw err;
      });
      disassociated.push({ allocationId: a.AllocationId, publicIp: a.PublicIp });
    }),
  );
  // Verify.
  let last = current;
  if (associated) {
    const deadline = Date.now() + o.verifyMs;
    for (let attempt = 0; ; attempt++) {
      last = await describeAllocation(o.ec2, o.allocationId, o.signal);
      if (isAssociatedWith(last, o.eni, o.privateIp) || Date.now() >= deadline || o.signal?.aborted) break;
      // Our own association is visible and it is not what was asked: waiting cannot change that.
      if (associationId && last.AssociationId === associationId) break;
      await sleep(Math.min(2000, 200 * 2 ** attempt), o.signal).catch(() => undefined); // aborted: report what is known
    }
    if (!isAssociatedWith(last, o.eni, o.privateIp)) {
      throw new ActionFailedError(`AssociateAddress succeeded, but ${describeAssociation(last)}, not with ${o.eni}${o.privateIp ? ` (${o.privateIp})` : ''}`, {
        code: 'EIP_VERIFY_FAILED',
        details: { allocationId: o.allocationId, eni: o.eni, associatedWith: last.NetworkInterfaceId ?? null },
        fix: 'another cluster or script may be moving the address; check it in the console and run the action again',
      });
    }
  }
  return { allocationId: o.allocationId, publicIp: last.PublicIp, eni: o.eni, associated, previous, disassociated };
}

export interface DisassociateReport {
  allocationId: string;
  publicIp: string | undefined;
  disassociated: boolean;
  from: string | undefined;
}

/**
 * Disassociates the address when `owned(address)` says the association is ours; confirms it.
 * Idempotent: an address that is not associated (or with someone else) is left alone.
 */
export async function disassociate(o: {
  ec2: EC2Client;
  allocationId: string;
  owned: (a: Address) => boolean;
  verifyMs: number;
  signal: AbortSignal | undefined;
  logger: Logger;
}): Promise<DisassociateReport> {
  const { DisassociateAddressCommand } = await sdk();
  const a = await describeAllocation(o.ec2, o.allocationId, o.signal);
  if (!a.AssociationId || !o.owned(a)) return { allocationId: o.allocationId, publicIp: a.PublicIp, disassociated: false, from: a.NetworkInterfaceId };
  await awsCall(
    { service: 'ec2', action: 'DisassociateAddress', subject: `${o.allocationId} from ${a.NetworkInterfaceId}`, notFound: 'failed' },
    o.signal,
    (abortSignal) => o.ec2.send(new DisassociateAddressCommand({ AssociationId: a.AssociationId! }), { abortSignal }),
  ).catch((err: { details?: Record<string, unknown> }) => {
    if (err.details?.awsCode !== 'InvalidAssociationID.NotFound') throw err; // already gone
  });
  const deadline = Date.now() + o.verifyMs;
  for (let attempt = 0; ; attempt++) {
    const now = await describeAllocation(o.ec2, o.allocationId, o.signal);
    if (now.AssociationId !== a.AssociationId) break;
    if (Date.now() >= deadline || o.signal?.aborted) {
      throw new ActionFailedError(`DisassociateAddress succeeded, but ${describeAssociation(now)} still`, {
        code: 'EIP_VERIFY_FAILED',
        fix: 'check the address in the console and run remove again',
      });
    }
    await sleep(Math.min(2000, 200 * 2 ** attempt), o.signal).catch(() => undefined); // aborted: the next round reports it
  }
  return { allocationId: o.allocationId, publicIp: a.PublicIp, disassociated: true, from: a.NetworkInterfaceId };
}
