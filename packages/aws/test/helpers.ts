/** Hermetic environment for tests against the AWS emulator: never ~/.aws, never 169.254.169.254. */
export { hermeticAwsEnv as hermetic } from '@recovery-kit/aws-emulator';

/** Applies an env map (from emu.env()) to this process. */
export function applyEnv(env: Record<string, string>): void {
  for (const [k, v] of Object.entries(env)) process.env[k] = v;
}
