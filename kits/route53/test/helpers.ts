/**
 * Shared test setup: a hermetic environment (no ~/.aws, no IMDS, nothing but 127.0.0.1), the
 * emulator's zones, and a direct Route 53 client for changing records "behind the kit's back".
 */
import { ChangeResourceRecordSetsCommand, ListResourceRecordSetsCommand, Route53Client } from '@aws-sdk/client-route-53';
import { HERMETIC_AWS_ENV, hermeticAwsEnv, type Emulator, type SeedDocument } from '@recovery-kit/aws-emulator';

hermeticAwsEnv();
export const HERMETIC_ENV: Record<string, string> = { ...HERMETIC_AWS_ENV, AWS_EC2_METADATA_DISABLED: 'true' };

export const ZONES = {
  public: 'Z0R53PUBLIC000000001',
  private: 'Z0R53PRIVATE00000002',
  splitPublic: 'Z0R53SPLITPUB0000003',
  splitPrivate: 'Z0R53SPLITPRIV000004',
} as const;

/** Zones of the "account": a public and a private zone, and a split-horizon name (public and private). */
export function zonesSeed(): SeedDocument {
  return {
    hostedZones: [
      { id: ZONES.public, name: 'example.com', records: [{ name: 'legacy.example.com', type: 'CNAME', ttl: 300, values: ['app.example.com'] }] },
      { id: ZONES.private, name: 'internal.example.com', privateZone: true, vpcs: [{ vpcRegion: 'us-east-1', vpcId: 'vpc-0a1b2c3d4e5f60001' }] },
      { id: ZONES.splitPublic, name: 'corp.example.net' },
      { id: ZONES.splitPrivate, name: 'corp.example.net', privateZone: true, vpcs: [{ vpcRegion: 'us-west-2', vpcId: 'vpc-0a1b2c3d4e5f60002' }] },
    ],
  };
}

export function directClient(emu: Emulator): Route53Client {
  return new Route53Client({ region: 'us-east-1', endpoint: emu.endpoint, credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'x' }, maxAttempts: 1 });
}

/** The values of a simple record, or undefined when it does not exist. */
export async function recordValues(
  client: Route53Client,
  zoneId: string,
  name: string,
  type = 'A',
): Promise<{ values: string[]; ttl: number | undefined } | undefined> {
  const out = await client.send(new ListResourceRecordSetsCommand({ HostedZoneId: zoneId, StartRecordName: name, StartRecordType: type as 'A', MaxItems: 1 }));
  const r = out.ResourceRecordSets?.[0];
  if (!r || r.Name !== (name.endsWith('.') ? name : `${name}.`) || r.Type !== type) return undefined;
  return { values: (r.ResourceRecords ?? []).map((v) => v.Value!), ttl: r.TTL };
}

/** Sets a record directly (someone changing DNS behind the cluster's back). */
export async function setRecord(
  client: Route53Client,
  zoneId: string,
  name: string,
  value: string,
  action: 'UPSERT' | 'DELETE' = 'UPSERT',
  type = 'A',
  ttl = 10,
): Promise<void> {
  await client.send(
    new ChangeResourceRecordSetsCommand({
      HostedZoneId: zoneId,
      ChangeBatch: { Changes: [{ Action: action, ResourceRecordSet: { Name: name, Type: type as 'A', TTL: ttl, ResourceRecords: [{ Value: value }] } }] },
    }),
  );
}
