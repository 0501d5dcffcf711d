/** The shape of running a program for a kit (`ctx.exec`): options, result, and the function type. A leaf module. */

export interface ExecOptions {
  /** Milliseconds; defaults to what is left of the action's time. */
  timeoutMs?: number;
  /** Written to the child's standard input (how to hand a password to a tool: never in argv). */
  input?: string;
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** Run as this OS user (runner uses runuser/setpriv when root). */
  user?: string;
  /** When false, a non-zero exit is returned instead of thrown. Default true. */
  reject?: boolean;
  /** Do not log the arguments at debug level (they contain something sensitive). */
  quiet?: boolean;
  /**
   * Start the program and resolve as soon as it has started, without waiting for it (a
   * gratuitous ARP, a notification). The runner still reaps it, logs how it ended, and ends it
   * when the action's process exits (unless `outlive`); its failure never fails the action. The result's
   * `completion` settles with the final result.
   */
  background?: boolean;
  /**
   * Background only: resolve once the program has written its first line to standard output
   * (or ended) rather than as soon as it has started; the result's `stdout` holds what it wrote
   * so far. For a tool that says when its work has begun (`stdbuf -oL arping -U` prints its
   * header just before its first packet).
   */
  readyOnLine?: boolean;
  /**
   * Background only: not ended when kit-runner exits. It runs in a session of its own and
   * finishes on its own, bounded by `timeoutMs` (default: what is left of the action's time)
   * through coreutils' timeout(1); while kit-runner runs it is still reaped and logged. Its
   * standard output and error are pipes to kit-runner: what it writes after kit-runner has
   * exited is lost (a write may end it with SIGPIPE), so use it for programs whose last output
   * comes after their work (arping's summary).
   */
  outlive?: boolean;
  /**
   * Not background: the program listens for this long (arping -D waiting for an answer, a
   * capture) and its time is then over by design. After `listenMs` the command ends: its result
   * is what it wrote by then, with `timedOut` true and no exit code, and is not a failure; the
   * runner sends the program SIGTERM and reaps it without waiting for it to die (a process with
   * a packet socket takes about 10 ms more: the kernel's teardown of the socket). One that exits
   * sooner ends the command as usual. A runner older than this option ignores it: give the same
   * time as `timeoutMs` too, and treat `timedOut` as the end of the listening time.
   */
  listenMs?: number;
}

/**
 * What a command run through {@link Exec} did. A failed command's error
 * ({@link CommandFailedError}) carries the same shape as `error.result`.
 */
export interface ExecResult {
  readonly command: string;
  /** The exit code; undefined when the process was killed by a signal or has not ended (background). */
  readonly exitCode: number | undefined;
  /** The signal that ended the process, if one did. */
  readonly signal: string | undefined;
  /** True when the command was ended because its time ran out. */
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly durationMs: number;
  /** Background commands only: settles (never rejects) with the final result. */
  readonly completion?: Promise<ExecResult>;
}

/**
 * Runs a program with an argument array, never through a shell, bound to the action's timeout
 * and abort signal. A failure throws CommandFailedError (unless `reject: false`).
 */
export type Exec = (file: string, args?: readonly string[], options?: ExecOptions) => Promise<ExecResult>;
