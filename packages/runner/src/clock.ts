/**
 * A monotonic clock in milliseconds, for durations. Not `performance.now()`: the first use of the
 * `performance` global loads perf_hooks and its ten internal modules, about 1.2 ms of every
 * kit-runner process that times an action (measured on Node 24, docs/benchmarks.md).
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Whole milliseconds since `since` (a {@link monotonicMs} reading): an action's or a command's duration. */
export function elapsedMs(since: number): number {
  return Math.round(monotonicMs() - since);
}
