/**
 * The AWS region in the SDK's own order, for a kit that must know it before it builds a client:
 * the explicit option (the caller's), then AWS_REGION, then the region of the shared-config
 * profile (AWS_PROFILE, else `default`, in AWS_CONFIG_FILE or ~/.aws/config: `region =`), read by
 * the SDK's own loader (@smithy/core/config's `loadConfig` with the SDK's region selectors, loaded
 * only when it is needed), then what the caller can still ask (IMDS). AWS_DEFAULT_REGION (the AWS
 * CLI's variable) is taken after AWS_REGION, as before.
 */
import { ConfigError } from '@recovery-kit/sdk';

export type RegionSource = 'option' | 'AWS_REGION' | 'AWS_DEFAULT_REGION' | 'profile' | 'imds' | 'recorded';

export interface ResolvedRegion {
  region: string;
  source: RegionSource;
}

/** AWS_REGION, then AWS_DEFAULT_REGION, then the shared-config profile's `region`; undefined when none says. */
export async function configuredRegion(): Promise<ResolvedRegion | undefined> {
  if (process.env.AWS_REGION) return { region: process.env.AWS_REGION, source: 'AWS_REGION' };
  if (process.env.AWS_DEFAULT_REGION) return { region: process.env.AWS_DEFAULT_REGION, source: 'AWS_DEFAULT_REGION' };
  const region = await profileRegion();
  return region ? { region, source: 'profile' } : undefined;
}

/** The `region` of the shared-config profile (AWS_PROFILE or default), through the SDK's loader. */
export async function profileRegion(): Promise<string | undefined> {
  const { loadConfig, NODE_REGION_CONFIG_OPTIONS, NODE_REGION_CONFIG_FILE_OPTIONS } = await import('@smithy/core/config');
  // The SDK's own selectors and files; the environment was looked at above, and no default.
  const provider = loadConfig<string | undefined>(
    { ...NODE_REGION_CONFIG_OPTIONS, environmentVariableSelector: () => undefined, default: () => undefined },
    { ...NODE_REGION_CONFIG_FILE_OPTIONS, ignoreCache: true },
  );
  try {
    return (await provider()) || undefined;
  } catch {
    return undefined; // an unreadable or absent config file says nothing
  }
}

/** The configuration error for "cannot tell the region" (exit 6), naming every way to give it. */
export function regionUnknownError(what: string, field: string, fix: string): ConfigError {
  return new ConfigError(`cannot tell the AWS region of ${what}`, {
    code: 'REGION_UNKNOWN',
    field,
    fix: `${fix}, set AWS_REGION for kit-runner, or set region in the AWS profile kit-runner uses (AWS_PROFILE; "region = ..." in ~/.aws/config)`,
  });
}
