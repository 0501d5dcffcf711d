/**
 * `@recovery-kit/sdk/util`: the small helpers every kit needs, written once. Kits import from
 * here instead of writing their own sleep, poll loops, kill ladders, process scans or splitters.
 */
export { sleep, waitFor, remainingMs, WaitTimeoutError, type WaitOptions, type WaitResult } from './time.ts';
export { stopProcesses, type StopProcessesOptions } from './stop.ts';
export { findProcesses, processState, type ProcessView } from '../processes.ts';
export { splitArgs } from '../args.ts';
