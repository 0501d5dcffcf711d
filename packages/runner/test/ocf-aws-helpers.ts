/**
 * The AWS emulator for the OCF agents' AWS tests (ocf-aws, ocf-levels): hermetic AWS
 * environment, the two-AZ layout with node2 active and the Elastic IP unassociated, one emulator
 * per test file on 127.0.0.1 (its IMDS on loopback too).
 */
import { afterAll, beforeAll } from 'vitest';
import { hermeticAwsEnv, startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';

export function useTwoAzEmulator() {
  hermeticAwsEnv();
  const { seed, ids } = twoAzLayout({ activeNode: 'node2', eipAssociated: false });
  const lab = { ids, emu: undefined as unknown as Emulator };
  beforeAll(async () => {
    lab.emu = await startEmulator({ seed });
  });
  afterAll(async () => {
    await lab.emu?.stop();
  });
  return lab;
}
