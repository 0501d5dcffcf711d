/** Waiting: one `sleep` and one poll-until-deadline loop for every kit (smithy's waiter, simplified). */
import { TimeoutError } from '../errors.ts';

/** Resolves after `ms`; rejects with the signal's reason when it is aborted first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason as Error);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason as Error);
    };
    const timer = setTimeout(
      () => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      },
      Math.max(0, ms),
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

export interface WaitOptions {
  /** `Date.now()` milliseconds by which the condition must hold (e.g. `ctx.deadline`). */
  deadline: number;
  /** Delay before the second poll, in ms (the first poll is immediate). Default 100. */
  initialDelayMs?: number;
  /** Largest delay between polls, in ms. Default 2000. */
  maxDelayMs?: number;
  /** Each delay is the previous one times this. Default 1.5; 1 polls at a fixed interval. */
  factor?: number;
  /** Aborts the wait (rejecting with the signal's reason). */
  signal?: AbortSignal | undefined;
  /** Called after every poll that did not succeed (for progress lines). */
  onPoll?: (state: { polls: number; waitedMs: number }) => void;
}

export interface WaitResult<T> {
  /** What the successful poll returned. */
  value: T;
  /** How many polls ran, the successful one included. */
  polls: number;
  /** Milliseconds from the first poll to the successful one. */
  waitedMs: number;
}

/** What `waitFor` throws when the deadline passes: a TimeoutError that says what was awaited. */
export class WaitTimeoutError extends TimeoutError {
  readonly polls: number;
  readonly waitedMs: number;
  constructor(what: string, polls: number, waitedMs: number, last: unknown) {
    super(`${what}: not so after ${polls} check(s) in ${(waitedMs / 1000).toFixed(1)} s`, {
      code: 'WAIT_TIMEOUT',
      details: { polls, waitedMs, ...(last === undefined ? {} : { last: String(last) }) },
    });
    this.name = 'WaitTimeoutError';
    this.polls = polls;
    this.waitedMs = waitedMs;
  }
}

/**
 * Polls `check` until it returns something other than `undefined` (or `false`), with a delay
 * that grows by `factor` up to `maxDelayMs`, never sleeping past the deadline. Throws
 * {@link WaitTimeoutError} (naming `what`) when the deadline passes, or the signal's reason.
 * An error thrown by `check` ends the wait with that error.
 */
export async function waitFor<T>(
  what: string,
  check: (poll: number) => Promise<T | undefined | false> | T | undefined | false,
  options: WaitOptions,
): Promise<WaitResult<T>> {
  const started = Date.now();
  const factor = options.factor ?? 1.5;
  const maxDelay = options.maxDelayMs ?? 2000;
  let delay = options.initialDelayMs ?? 100;
  let polls = 0;
  let last: unknown;
  for (;;) {
    if (options.signal?.aborted) throw options.signal.reason as Error;
    polls++;
    const value = await check(polls);
    if (value !== undefined && value !== false) return { value: value as T, polls, waitedMs: Date.now() - started };
    last = value;
    options.onPoll?.({ polls, waitedMs: Date.now() - started });
    const left = options.deadline - Date.now();
    if (left <= 0) throw new WaitTimeoutError(what, polls, Date.now() - started, last);
    await sleep(Math.min(delay, left), options.signal);
    delay = Math.min(maxDelay, delay * factor);
  }
}

/** Milliseconds left until `deadline` (never negative). */
export function remainingMs(deadline: number): number {
  return Math.max(0, deadline - Date.now());
}

/**
 * Polls like {@link waitFor} but answers whether the condition came true: `true` as soon as
 * `check` returns true, `false` when the deadline passes or the signal aborts first (for waits
 * whose expiry is an outcome, not an error: "give the processes PGSQL_ORPHAN_WAIT seconds, then
 * kill them"). An error thrown by `check` still ends the wait with that error.
 */
export async function waitUntil(check: (poll: number) => Promise<boolean> | boolean, options: WaitOptions): Promise<boolean> {
  try {
    await waitFor('condition', async (poll) => (await check(poll)) || undefined, options);
    return true;
  } catch (err) {
    if (err instanceof WaitTimeoutError || (options.signal?.aborted && err === options.signal.reason)) return false;
    throw err;
  }
}
