/** The EC2 client factory: one EC2Client per region (and retry/timeout setting) per process. */
import { EC2Client } from '@aws-sdk/client-ec2';
import { clientKey, sdkClientConfig, type AwsClientOptions } from './config.ts';

const clients = new Map<string, EC2Client>();

/** The process-wide EC2 client for these options (built on first use, then reused). */
export function ec2Client(options: AwsClientOptions): EC2Client {
  const key = clientKey(options);
  let c = clients.get(key);
  if (!c) {
    c = new EC2Client(sdkClientConfig(options));
    clients.set(key, c);
  }
  return c;
}

/** Number of EC2 clients built in this process (tests: one per region). */
export function ec2ClientCount(): number {
  return clients.size;
}

/** Destroys every cached client (closes their sockets). */
export function destroyEc2Clients(): void {
  for (const c of clients.values()) c.destroy();
  clients.clear();
}
