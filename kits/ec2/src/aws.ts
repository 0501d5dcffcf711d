/** The kit's door to the AWS SDK: loaded on first use (see sdk.ts), one client per region per process. */
import type { EC2Client } from '@aws-sdk/client-ec2';
import { clientOptionsFrom } from '@recovery-kit/aws';
import type { Tunables } from '@recovery-kit/sdk';

type Sdk = typeof import('./sdk.ts');
let loading: Promise<Sdk> | undefined;

/** The SDK commands the kit sends (the module is loaded once, at the first call). */
export function sdk(): Promise<Sdk> {
  loading ??= import('./sdk.ts');
  return loading;
}

/** The process-wide EC2 client for `region`, with the EC2_* retry and timeout tunables. */
export async function ec2For(tunables: Tunables, region: string): Promise<EC2Client> {
  return (await sdk()).ec2Client(clientOptionsFrom(tunables, 'EC2', region));
}
