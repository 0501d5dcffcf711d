/**
 * `@recovery-kit/sdk/util`: the small helpers every kit needs, written once. Kits import from
 * here instead of writing their own sleep, poll loops, kill ladders, process scans or splitters.
 */
export { sleep, waitFor, waitUntil, remainingMs, WaitTimeoutError, type WaitOptions, type WaitResult } from './time.ts';
export { stopProcesses, type StopProcessesOptions } from './stop.ts';
export { findProcesses, processState, type ProcessView } from '../processes.ts';
export { splitArgs } from '../args.ts';
export { printable } from './text.ts';
export { executableUnder, type ExecutableUnderOptions } from './files.ts';
export {
  parseIpv4,
  parseIpv6,
  parseIp,
  ipFamily,
  formatIp,
  canonicalIp,
  parseCidr,
  cidrText,
  normalizeCidr,
  hostRoute,
  networkAddress,
  hasHostBits,
  networkCidr,
  cidrContains,
  broadcastAddress,
  isUnspecified,
  isMulticast,
  isLinkLocal,
  isLoopback,
  type IpFamily,
  type IpValue,
  type Cidr,
} from './ip.ts';
