/** The Route 53 client factory: one Route53Client per configuration per process (Route 53 is global; region us-east-1 signs). */
import { Route53Client } from '@aws-sdk/client-route-53';
import { clientKey, sdkClientConfig, type AwsClientOptions } from './config.ts';

const clients = new Map<string, Route53Client>();

/** The process-wide Route 53 client. `region` defaults to us-east-1 (the global endpoint's signing region). */
export function route53Client(options: Partial<AwsClientOptions> = {}): Route53Client {
  const o: AwsClientOptions = { ...options, region: options.region ?? 'us-east-1' };
  const key = clientKey(o);
  let c = clients.get(key);
  if (!c) {
    c = new Route53Client(sdkClientConfig(o));
    clients.set(key, c);
  }
  return c;
}

export function destroyRoute53Clients(): void {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}
