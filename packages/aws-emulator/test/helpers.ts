import { EC2Client } from '@aws-sdk/client-ec2';
import { Route53Client } from '@aws-sdk/client-route-53';
import type { Emulator } from '../src/index.ts';
import { hermeticAwsEnv } from '../src/index.ts';

// Keep tests hermetic: never reach the real IMDS, ~/.aws or real endpoints.
hermeticAwsEnv();

export const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'test-secret' };

export function ec2(emu: Emulator, region = 'us-east-1', extra: { maxAttempts?: number } = {}): EC2Client {
  return new EC2Client({ region, endpoint: emu.endpoint, credentials, ...extra });
}

export function route53(emu: Emulator, extra: { maxAttempts?: number } = {}): Route53Client {
  return new Route53Client({ region: 'us-east-1', endpoint: emu.endpoint, credentials, ...extra });
}

export async function control(emu: Emulator, method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const res = await fetch(`${emu.endpoint}${path}`, {
    method,
    ...(body !== undefined ? { body: JSON.stringify(body), headers: { 'content-type': 'application/json' } } : {}),
  });
  return { status: res.status, json: await res.json() };
}

/** What `p` rejects with (an SDK exception); throws when it resolves instead. */
export async function failure(p: Promise<unknown>): Promise<any> {
  return p.then(
    () => {
      throw new Error('expected failure');
    },
    (e: unknown) => e,
  );
}
