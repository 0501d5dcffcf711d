export { startEmulator } from './emulator.ts';
export type { Emulator, EmulatorConfig, EmulatorOptions, EnvOptions } from './emulator.ts';
export { FaultController } from './faults.ts';
export { InstanceLifecycle } from './instances.ts';
export type { InstanceStateEvent, InstanceStateListener } from './instances.ts';
export type { ActiveFault, CallContext, FaultKind, FaultRule, Service } from './faults.ts';
export { CallLog } from './calls.ts';
export type { CallQuery, CallRecord } from './calls.ts';
export { EmulatorState, DEFAULT_ACCOUNT_ID } from './state.ts';
export type {
  Address,
  AvailabilityZone,
  Ec2Region,
  HostedZone,
  Instance,
  InstanceStateName,
  NetworkInterface,
  ResourceRecordSet,
  Route,
  Route53Change,
  RouteTable,
  Subnet,
  Vpc,
} from './state.ts';
export { SeedError, applySeed, dumpState } from './seed.ts';
export type {
  AddressSeed,
  Ec2RegionSeed,
  HostedZoneSeed,
  InstanceSeed,
  NetworkInterfaceSeed,
  RecordSeed,
  RouteSeed,
  RouteTableSeed,
  SeedDocument,
  SubnetSeed,
  VpcSeed,
} from './seed.ts';
export { twoAzLayout, twoRegionLayout } from './layouts.ts';
export type { TwoAzLayoutIds, TwoAzLayoutOptions, TwoRegionLayoutIds, TwoRegionLayoutOptions, TwoRegionSide } from './layouts.ts';
export type { ImdsSettings } from './imds.ts';
export { EC2_ACTIONS, EC2_NAMESPACE } from './ec2.ts';
export { ROUTE53_NAMESPACE } from './route53.ts';
export { HERMETIC_AWS_ENV, hermeticAwsEnv } from './hermetic.ts';
