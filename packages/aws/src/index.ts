/**
 * @recovery-kit/aws: what the AWS kits share. The SDK clients live in the subpath modules
 * (`@recovery-kit/aws/ec2`, `@recovery-kit/aws/route53`) so that a kit loads only the client it uses.
 */
export {
  awsTunables,
  clientKey,
  clientOptionsFrom,
  envRegion,
  normalizeClientOptions,
  sdkClientConfig,
  DEFAULT_CONNECT_TIMEOUT_MS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_REQUEST_TIMEOUT_MS,
  type AwsClientOptions,
} from './config.ts';
export {
  awsCall,
  awsErrorCode,
  awsHttpStatus,
  classifyAwsError,
  isAwsUnavailable,
  mapAwsError,
  type AwsCallInfo,
  type AwsErrorKind,
  type AwsService,
} from './errors.ts';
export {
  ImdsClient,
  imds,
  imdsDisabled,
  isImdsUnavailable,
  resolveImdsEndpoint,
  type ImdsOptions,
  type InstanceDocument,
  type InstanceIdentity,
} from './imds.ts';
export { configuredRegion, profileRegion, regionUnknownError, type RegionSource, type ResolvedRegion } from './region.ts';
export { clearSharedReads, sharedRead, sharedReadStats } from './shared.ts';
