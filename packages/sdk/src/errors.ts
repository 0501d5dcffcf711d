/**
 * Errors and exit codes shared by kits and the runner.
 *
 * Every error a kit or the runner raises on purpose is a {@link KitError}: it carries a stable
 * `code` (SCREAMING_SNAKE, never renamed), the process exit code the CLI uses for it, and where it
 * helps, the `field` at fault and a `fix` the operator can act on. The numbers follow OCF where OCF
 * has a meaning for them, so cluster operators read them without a lookup. They are documented in
 * `docs/reference/exit-codes.md` and never renumbered.
 */

/** Process exit codes of `kit-runner`. */
export const ExitCode = {
  /** Success; for quickCheck, healthy. */
  OK: 0,
  /** The action ran and failed (the resource is marked OSF where that applies). */
  FAILED: 1,
  /** Bad command line: unknown command, missing or malformed flag. */
  USAGE: 2,
  /** The kit does not implement the requested action. */
  UNSUPPORTED: 3,
  /** Insufficient privileges (not root, IAM denied). */
  PERMISSION: 4,
  /** A kit is not installed, cannot be loaded, or speaks an incompatible contract version. */
  KIT_NOT_INSTALLED: 5,
  /** Invalid configuration or input: option values, tunables file, store contents. */
  INVALID_CONFIG: 6,
  /** quickCheck: the resource is not healthy. */
  NOT_RUNNING: 7,
  /** No such resource tag, server or dependency. */
  NOT_FOUND: 10,
  /** The request conflicts with what is stored: duplicate tag, dependency cycle, resource in use. */
  CONFLICT: 11,
  /** Another kit-runner holds the hierarchy's reservation and did not release it in time. */
  BUSY: 12,
  /** An action ran out of time. Same number as GNU timeout(1). */
  TIMEOUT: 124,
  /** A bug: anything that is not a KitError. Printed with its stack. */
  INTERNAL: 70,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

const BRAND = Symbol.for('recovery-kit.KitError');

export interface KitErrorOptions {
  /** The option, flag or tunable at fault, when there is one. */
  field?: string | undefined;
  /** One sentence telling the operator what to do about it. */
  fix?: string | undefined;
  cause?: unknown;
  /** Safe to retry the same call later (throttling, 5xx, lock busy). */
  retryable?: boolean | undefined;
  /** Extra machine-readable facts, printed with --json. Never put secrets here. */
  details?: Record<string, unknown> | undefined;
}

/** Base class of every deliberate error. Checked across package copies with {@link isKitError}. */
export class KitError extends Error {
  readonly code: string;
  readonly exitCode: ExitCode;
  readonly field: string | undefined;
  readonly fix: string | undefined;
  readonly retryable: boolean;
  readonly details: Record<string, unknown> | undefined;

  constructor(code: string, message: string, exitCode: ExitCode = ExitCode.FAILED, options: KitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KitError';
    this.code = code;
    this.exitCode = exitCode;
    this.field = options.field;
    this.fix = options.fix;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    Object.defineProperty(this, BRAND, { value: true });
  }

  /** A plain object for --json output. */
  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      message: this.message,
      exitCode: this.exitCode,
      ...(this.field === undefined ? {} : { field: this.field }),
      ...(this.fix === undefined ? {} : { fix: this.fix }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isKitError(value: unknown): value is KitError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** One problem found while validating input. */
export interface Issue {
  field: string;
  message: string;
  fix?: string | undefined;
}

/** Invalid option values, tunables or other configuration. Exit 6. */
export class ConfigError extends KitError {
  readonly issues: readonly Issue[];
  constructor(message: string, options: KitErrorOptions & { issues?: readonly Issue[] } = {}) {
    super('INVALID_CONFIG', message, ExitCode.INVALID_CONFIG, options);
    this.name = 'ConfigError';
    this.issues = options.issues ?? (options.field ? [{ field: options.field, message, fix: options.fix }] : []);
  }

  /** Builds one error from several issues, naming every field. */
  static fromIssues(subject: string, issues: readonly Issue[]): ConfigError {
    const lines = issues.map((i) => `  - ${i.field}: ${i.message}${i.fix ? ` (fix: ${i.fix})` : ''}`);
    const first = issues[0];
    return new ConfigError(`${subject}:\n${lines.join('\n')}`, {
      issues,
      field: first?.field,
      fix: issues.length === 1 ? first?.fix : 'correct the values listed above and run the command again',
      details: { issues },
    });
  }
}

/** Bad command line. Exit 2. */
export class UsageError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super('USAGE', message, ExitCode.USAGE, options);
    this.name = 'UsageError';
  }
}

/** Unknown tag, server, dependency. Exit 10. */
export class NotFoundError extends KitError {
  constructor(code: string, message: string, options: KitErrorOptions = {}) {
    super(code, message, ExitCode.NOT_FOUND, options);
    this.name = 'NotFoundError';
  }
}

/** Duplicate tag, dependency cycle, resource still in use. Exit 11. */
export class ConflictError extends KitError {
  constructor(code: string, message: string, options: KitErrorOptions = {}) {
    super(code, message, ExitCode.CONFLICT, options);
    this.name = 'ConflictError';
  }
}

/** A kit action failed. Exit 1. Kits throw this (or any error) from restore/remove/recover. */
export class ActionFailedError extends KitError {
  constructor(message: string, options: KitErrorOptions & { code?: string } = {}) {
    super(options.code ?? 'ACTION_FAILED', message, ExitCode.FAILED, options);
    this.name = 'ActionFailedError';
  }
}

/** The kit does not implement an action. Exit 3. */
export class UnsupportedActionError extends KitError {
  constructor(kitType: string, action: string) {
    super('UNSUPPORTED_ACTION', `kit "${kitType}" does not implement the action "${action}"`, ExitCode.UNSUPPORTED, {
      fix: `run "kit-runner kits ${kitType}" to see the actions this kit offers`,
    });
    this.name = 'UnsupportedActionError';
  }
}

/** Missing privileges. Exit 4. */
export class PermissionError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super('PERMISSION_DENIED', message, ExitCode.PERMISSION, options);
    this.name = 'PermissionError';
  }
}

/** A kit cannot be found, loaded, or has an incompatible contract version. Exit 5. */
export class KitLoadError extends KitError {
  constructor(code: string, message: string, options: KitErrorOptions = {}) {
    super(code, message, ExitCode.KIT_NOT_INSTALLED, options);
    this.name = 'KitLoadError';
  }
}

/** Ran out of time. Exit 124. */
export class TimeoutError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super('TIMEOUT', message, ExitCode.TIMEOUT, { retryable: true, ...options });
    this.name = 'TimeoutError';
  }
}

/** A reservation lock could not be had in time. Exit 12. */
export class BusyError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super('BUSY', message, ExitCode.BUSY, { retryable: true, ...options });
    this.name = 'BusyError';
  }
}

/** A command run through ctx.exec failed; carries the operational context (execa style). */
export class CommandFailedError extends KitError {
  readonly command: string;
  readonly commandExitCode: number | undefined;
  readonly stderr: string;
  readonly stdout: string;
  readonly durationMs: number;
  readonly timedOut: boolean;
  constructor(info: {
    command: string;
    exitCode: number | undefined;
    stdout: string;
    stderr: string;
    durationMs: number;
    timedOut: boolean;
    signal?: string | undefined;
    cause?: unknown;
  }) {
    const why = info.timedOut
      ? `timed out after ${info.durationMs} ms`
      : info.exitCode === undefined
        ? `was killed${info.signal ? ` by ${info.signal}` : ''}`
        : `exited with ${info.exitCode}`;
    const tail = info.stderr.trim().split('\n').slice(-3).join(' | ');
    super(
      info.timedOut ? 'COMMAND_TIMEOUT' : 'COMMAND_FAILED',
      `command "${info.command}" ${why}${tail ? `: ${tail}` : ''}`,
      info.timedOut ? ExitCode.TIMEOUT : ExitCode.FAILED,
      { cause: info.cause, details: { command: info.command, exitCode: info.exitCode, durationMs: info.durationMs } },
    );
    this.name = 'CommandFailedError';
    this.command = info.command;
    this.commandExitCode = info.exitCode;
    this.stdout = info.stdout;
    this.stderr = info.stderr;
    this.durationMs = info.durationMs;
    this.timedOut = info.timedOut;
  }
}
