/** The kit's door to the AWS SDK: loaded on first use (see sdk.ts). */
import type { Route53Client } from '@aws-sdk/client-route-53';
import { clientOptionsFrom, envRegion } from '@recovery-kit/aws';
import type { Tunables } from '@recovery-kit/sdk';

type Sdk = typeof import('./sdk.ts');
let loading: Promise<Sdk> | undefined;

/** The SDK commands the kit sends (the module is loaded once, at the first call). */
export function sdk(): Promise<Sdk> {
  loading ??= import('./sdk.ts');
  return loading;
}

/**
 * The process-wide Route 53 client with the ROUTE53_* tunables, as a `send` that loads the SDK
 * on its first call (Route 53 is global; the region only signs).
 */
export function lazyRoute53(tunables: Tunables): Pick<Route53Client, 'send'> {
  const send = async (command: unknown, options?: unknown) => {
    const client = (await sdk()).route53Client(clientOptionsFrom(tunables, 'ROUTE53', envRegion() ?? 'us-east-1'));
    return (client.send as (c: unknown, o?: unknown) => Promise<unknown>).call(client, command, options);
  };
  return { send: send as Route53Client['send'] };
}
