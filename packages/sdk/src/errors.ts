/**
 * Errors and exit codes shared by kits and the runner.
 *
 * Every error a kit or the runner raises on purpose is a {@link KitError}: it carries a stable
 * `code` (SCREAMING_SNAKE, never renamed), the process exit code the CLI uses for it, and where it
 * helps, the `field` at fault and a `fix` the operator can act on. The numbers follow OCF where OCF
 * has a meaning for them, so cluster operators read them without a lookup. They are documented in
 * `docs/reference/exit-codes.md` and never renumbered.
 */
import type { ExecResult } from './exec.ts';

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

/** Where an error happened: stamped by the runner's action runner on every error a kit action raises. */
export interface ErrorOrigin {
  /** `name@version` of the kit package. */
  readonly kit: string;
  readonly tag?: string | undefined;
  readonly server?: string | undefined;
  readonly action?: string | undefined;
}

/** The one options bag every {@link KitError} constructor takes after its message. */
export interface KitErrorOptions {
  /** Stable SCREAMING_SNAKE code; each class has a default. */
  code?: string | undefined;
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
  /** Set once by the runner (see {@link withOrigin}); undefined for errors raised outside an action. */
  readonly origin: ErrorOrigin | undefined;

  constructor(message: string, options: KitErrorOptions & { exitCode?: ExitCode | undefined } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'KitError';
    this.code = options.code ?? 'FAILED';
    this.exitCode = options.exitCode ?? ExitCode.FAILED;
    this.field = options.field;
    this.fix = options.fix;
    this.retryable = options.retryable ?? false;
    this.details = options.details;
    this.origin = undefined;
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
      ...(this.origin === undefined ? {} : { origin: this.origin }),
      ...(this.details === undefined ? {} : { details: this.details }),
    };
  }
}

export function isKitError(value: unknown): value is KitError {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[BRAND] === true;
}

/** A copy of `error` (same class, same fields, same stack) with `fix` replaced, and any others given. */
export function withFix<E extends KitError>(error: E, fix: string, changes: Partial<Pick<KitError, 'code' | 'details' | 'field'>> = {}): E {
  const copy = Object.create(Object.getPrototypeOf(error) as object) as E;
  for (const key of Reflect.ownKeys(error)) Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(error, key)!);
  Object.defineProperty(copy, 'fix', { value: fix, enumerable: true, writable: false, configurable: true });
  for (const [k, v] of Object.entries(changes)) Object.defineProperty(copy, k, { value: v, enumerable: true, writable: false, configurable: true });
  return copy;
}

/** Stamps where an error came from; an origin already set (by an inner action) is kept. */
export function withOrigin<E extends KitError>(error: E, origin: ErrorOrigin): E {
  if (error.origin === undefined) Object.defineProperty(error, 'origin', { value: origin, enumerable: true, writable: false, configurable: true });
  return error;
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
    super(message, { code: 'INVALID_CONFIG', ...options, exitCode: ExitCode.INVALID_CONFIG });
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
    super(message, { code: 'USAGE', ...options, exitCode: ExitCode.USAGE });
    this.name = 'UsageError';
  }
}

/** Unknown tag, server, dependency. Exit 10. */
export class NotFoundError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'NOT_FOUND', ...options, exitCode: ExitCode.NOT_FOUND });
    this.name = 'NotFoundError';
  }
}

/** Duplicate tag, dependency cycle, resource still in use. Exit 11. */
export class ConflictError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'CONFLICT', ...options, exitCode: ExitCode.CONFLICT });
    this.name = 'ConflictError';
  }
}

/** A kit action failed. Exit 1. Kits throw this (or any error) from restore/remove/recover. */
export class ActionFailedError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'ACTION_FAILED', ...options, exitCode: ExitCode.FAILED });
    this.name = 'ActionFailedError';
  }
}

/** The kit does not implement an action. Exit 3. */
export class UnsupportedActionError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'UNSUPPORTED_ACTION', ...options, exitCode: ExitCode.UNSUPPORTED });
    this.name = 'UnsupportedActionError';
  }

  /** The usual message and fix for a kit that lacks `action`. */
  static of(kitType: string, action: string): UnsupportedActionError {
    return new UnsupportedActionError(`kit "${kitType}" does not implement the action "${action}"`, {
      fix: `run "kit-runner kits ${kitType}" to see the actions this kit offers`,
    });
  }
}

/** Missing privileges. Exit 4. */
export class PermissionError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'PERMISSION_DENIED', ...options, exitCode: ExitCode.PERMISSION });
    this.name = 'PermissionError';
  }
}

/** A kit cannot be found, loaded, or has an incompatible contract version. Exit 5. */
export class KitLoadError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'KIT_LOAD_FAILED', ...options, exitCode: ExitCode.KIT_NOT_INSTALLED });
    this.name = 'KitLoadError';
  }
}

/** Ran out of time. Exit 124. */
export class TimeoutError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'TIMEOUT', retryable: true, ...options, exitCode: ExitCode.TIMEOUT });
    this.name = 'TimeoutError';
  }
}

/** A reservation lock could not be had in time. Exit 12. */
export class BusyError extends KitError {
  constructor(message: string, options: KitErrorOptions = {}) {
    super(message, { code: 'BUSY', retryable: true, ...options, exitCode: ExitCode.BUSY });
    this.name = 'BusyError';
  }
}

/**
 * A command run through ctx.exec failed (non-zero exit, signal, or time out). `result` has the
 * same shape as a successful {@link ExecResult}; test for it with {@link isCommandFailed}.
 */
export class CommandFailedError extends KitError {
  readonly result: ExecResult;
  constructor(result: ExecResult, options: KitErrorOptions = {}) {
    const why = result.timedOut
      ? `timed out after ${result.durationMs} ms`
      : result.exitCode === undefined
        ? `was killed${result.signal ? ` by ${result.signal}` : ''}`
        : `exited with ${result.exitCode}`;
    const tail = result.stderr.trim().split('\n').slice(-3).join(' | ');
    super(`command "${result.command}" ${why}${tail ? `: ${tail}` : ''}`, {
      code: result.timedOut ? 'COMMAND_TIMEOUT' : 'COMMAND_FAILED',
      details: { command: result.command, exitCode: result.exitCode, signal: result.signal, durationMs: result.durationMs },
      ...options,
      exitCode: result.timedOut ? ExitCode.TIMEOUT : ExitCode.FAILED,
    });
    this.name = 'CommandFailedError';
    this.result = result;
  }
}

/** True for a {@link CommandFailedError} (also across package copies). */
export function isCommandFailed(value: unknown): value is CommandFailedError {
  return isKitError(value) && typeof (value as { result?: { command?: unknown } }).result?.command === 'string';
}
