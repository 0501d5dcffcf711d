/**
 * Keeping a process that talks to the emulator away from everything real: the operator's
 * ~/.aws files and profile, real endpoints, and the real instance metadata service.
 */
/** Environment entries that stop the SDK from reading ~/.aws (part of every `emu.env()`). */
export const HERMETIC_AWS_ENV: Readonly<Record<string, string>> = Object.freeze({
  AWS_CONFIG_FILE: '/nonexistent/recovery-kit/aws-config',
  AWS_SHARED_CREDENTIALS_FILE: '/nonexistent/recovery-kit/aws-credentials',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
});

/**
 * Makes this process hermetic (tests): no ~/.aws, no profile, no endpoint overrides, IMDS off
 * (never 169.254.169.254), and the SDK's Node-version notice off (its own opt-out variable; a
 * supported Node, 22 or later, prints none anyway). Apply `emu.env()` after
 * it to point the SDK at an emulator.
 */
export function hermeticAwsEnv(): void {
  Object.assign(process.env, HERMETIC_AWS_ENV, { AWS_EC2_METADATA_DISABLED: 'true' });
  for (const k of ['AWS_PROFILE', 'AWS_ENDPOINT_URL', 'AWS_ENDPOINT_URL_EC2', 'AWS_ENDPOINT_URL_ROUTE_53', 'AWS_EC2_METADATA_SERVICE_ENDPOINT'])
    delete process.env[k];
}
