/**
 * The one OCF exit-code policy. Every result an OCF agent of a kit returns goes through
 * {@link ocfExitCode} (errors) or {@link ocfMonitorCode} (quickCheck results): a kit cannot
 * return an OCF code itself, so it cannot bypass the rules below (table in docs/reference/ocf.md).
 *
 * - Transient, throttled, timed-out or credential-expired cloud calls, a busy reservation and a
 *   time-out give 1 (OCF_ERR_GENERIC: Pacemaker recovers in place), never 6 and never 7.
 * - 6 (OCF_ERR_CONFIGURED: the resource is stopped cluster-wide) only for configuration that is
 *   invalid anywhere: the agent's parameters failed the kit's option schema (stage `parameters`).
 *   A ConfigError a kit raises while it runs (a device missing here, an id not in this region)
 *   depends on the host, so it gives 2 (OCF_ERR_ARGS: "invalid on this host").
 * - 2 or 5 for "cannot run on this host": 5 for a missing program or kit, 4 for a permission
 *   refused; on a probe (monitor with interval 0) a missing program is 7 (not running).
 * - 7 only for "cleanly stopped": the agent returns it from monitor when the kit says the resource
 *   is not in service; a thrown error never becomes 7.
 */
import { isKitError, type KitError } from './errors.ts';

/** OCF return codes (OCF 1.1, "Exit Status Codes"). */
export const OcfCode = {
  SUCCESS: 0,
  ERR_GENERIC: 1,
  ERR_ARGS: 2,
  ERR_UNIMPLEMENTED: 3,
  ERR_PERM: 4,
  ERR_INSTALLED: 5,
  ERR_CONFIGURED: 6,
  NOT_RUNNING: 7,
  RUNNING_PROMOTED: 8,
  FAILED_PROMOTED: 9,
  DEGRADED: 190,
  DEGRADED_PROMOTED: 191,
} as const;
export type OcfCode = (typeof OcfCode)[keyof typeof OcfCode];

export interface OcfErrorContext {
  /** The OCF action: start, stop, monitor, validate-all, promote, demote, reload-agent... */
  action: string;
  /** A monitor with interval 0 (`OCF_RESKEY_CRM_meta_interval=0`). */
  probe?: boolean;
  /**
   * Where the error arose: `parameters` = the agent's parameters against the kit's option schema
   * (the same everywhere, so 6); `action` (default) = while the kit ran on this host.
   */
  stage?: 'parameters' | 'action';
}

/** AWS error codes (details.awsCode) that mean expired or not-yet-refreshed credentials: retry in place. */
const EXPIRED_CREDENTIALS = new Set([
  'ExpiredToken',
  'ExpiredTokenException',
  'RequestExpired',
  'CredentialsProviderError',
  'InvalidClientTokenId',
  'TokenRefreshRequired',
]);
/** Kit error codes that mean "the cloud or the host did not answer in time": retry in place. */
const TRANSIENT_CODES = new Set(['TIMEOUT', 'COMMAND_TIMEOUT', 'BUSY', 'AWS_UNAVAILABLE', 'IMDS_UNAVAILABLE', 'STOPPED', 'WAIT_TIMEOUT']);

/** A missing program: a command that could not be found (exit 127 from ctx.exec, ENOENT). */
function missingProgram(err: KitError): boolean {
  const result = (err as { result?: { exitCode?: unknown; stderr?: unknown } }).result;
  if (result && result.exitCode === 127) return true;
  return err.code === 'BINARY_NOT_FOUND' || err.code === 'PROGRAM_NOT_FOUND';
}

function awsCode(err: KitError): string | undefined {
  const c = err.details?.awsCode;
  return typeof c === 'string' ? c : undefined;
}

/** The reason for the code, for logs and docs: `[code, rule]`. */
export function ocfClassify(err: unknown, context: OcfErrorContext): { rc: OcfCode; rule: string } {
  if (!isKitError(err)) return { rc: OcfCode.ERR_GENERIC, rule: 'not a KitError (a bug or an unexpected failure): generic error' };
  const probe = context.probe === true;
  // Transient first: whatever class or number a kit chose, a retryable failure is retried in place.
  if (err.retryable || TRANSIENT_CODES.has(err.code) || err.exitCode === 124 || err.exitCode === 12) {
    return { rc: OcfCode.ERR_GENERIC, rule: 'transient (retryable, throttled, timed out, busy): generic error, recovered in place' };
  }
  const aws = awsCode(err);
  if (aws !== undefined && EXPIRED_CREDENTIALS.has(aws)) {
    return { rc: OcfCode.ERR_GENERIC, rule: 'cloud credentials expired or not yet available: generic error, recovered in place' };
  }
  if (missingProgram(err) || err.exitCode === 5) {
    return probe
      ? { rc: OcfCode.NOT_RUNNING, rule: 'missing program or kit on a probe: not running' }
      : { rc: OcfCode.ERR_INSTALLED, rule: 'missing program or kit: not installed on this host' };
  }
  switch (err.exitCode) {
    case 6:
      return context.stage === 'parameters'
        ? { rc: OcfCode.ERR_CONFIGURED, rule: 'parameters invalid for the kit schema: invalid anywhere' }
        : { rc: OcfCode.ERR_ARGS, rule: 'configuration refused on this host while the kit ran: invalid on this host' };
    case 10:
      // NOT_FOUND: a resource, server or object the configuration names is not there (here).
      return context.stage === 'parameters'
        ? { rc: OcfCode.ERR_CONFIGURED, rule: 'a resource the parameters name does not exist: invalid anywhere' }
        : { rc: OcfCode.ERR_ARGS, rule: 'not found on this host: invalid on this host' };
    case 2:
      return { rc: OcfCode.ERR_ARGS, rule: 'usage: invalid on this host' };
    case 3:
      return { rc: OcfCode.ERR_UNIMPLEMENTED, rule: 'the kit does not implement the action' };
    case 4:
      return { rc: OcfCode.ERR_PERM, rule: 'permission refused on this host' };
    default:
      // 1, 7 (a kit's "not running" thrown from an action), 11 conflict, 70 internal, anything else.
      return { rc: OcfCode.ERR_GENERIC, rule: 'action failed: generic error' };
  }
}

/** The OCF return code for an error thrown by a kit or by the runner around it. */
export function ocfExitCode(err: unknown, context: OcfErrorContext): OcfCode {
  return ocfClassify(err, context).rc;
}

/** A quickCheck outcome as monitor's return code. */
export interface OcfMonitorInput {
  status: 'ok' | 'failed' | 'unknown' | 'stopped';
  promoted?: boolean;
  /** Report `unknown` as degraded (190/191) instead of running: only behind the agent's flag. */
  degraded?: boolean;
}

/**
 * monitor: `ok` is running (8 when promoted); `stopped` (the kit says the resource is cleanly out
 * of service here) is 7; `failed` (in service but not healthy) is 1 (9 when promoted); `unknown`
 * (the kit could not tell, e.g. the cloud did not answer) is running, or degraded with the flag.
 */
export function ocfMonitorCode(input: OcfMonitorInput): OcfCode {
  switch (input.status) {
    case 'ok':
      return input.promoted ? OcfCode.RUNNING_PROMOTED : OcfCode.SUCCESS;
    case 'stopped':
      return OcfCode.NOT_RUNNING;
    case 'failed':
      return input.promoted ? OcfCode.FAILED_PROMOTED : OcfCode.ERR_GENERIC;
    case 'unknown':
      if (input.degraded) return input.promoted ? OcfCode.DEGRADED_PROMOTED : OcfCode.DEGRADED;
      return input.promoted ? OcfCode.RUNNING_PROMOTED : OcfCode.SUCCESS;
  }
}

/** The OCF name of a code (OCF_ERR_GENERIC...). */
export function ocfCodeName(rc: number): string {
  const names: Record<number, string> = {
    0: 'OCF_SUCCESS',
    1: 'OCF_ERR_GENERIC',
    2: 'OCF_ERR_ARGS',
    3: 'OCF_ERR_UNIMPLEMENTED',
    4: 'OCF_ERR_PERM',
    5: 'OCF_ERR_INSTALLED',
    6: 'OCF_ERR_CONFIGURED',
    7: 'OCF_NOT_RUNNING',
    8: 'OCF_RUNNING_PROMOTED',
    9: 'OCF_FAILED_PROMOTED',
    190: 'OCF_DEGRADED',
    191: 'OCF_DEGRADED_PROMOTED',
  };
  return names[rc] ?? `rc ${rc}`;
}
