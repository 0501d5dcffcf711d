import { describe, expect, it } from 'vitest';
import {
  ActionFailedError,
  BusyError,
  CommandFailedError,
  ConfigError,
  KitError,
  KitLoadError,
  NotFoundError,
  OcfCode,
  PermissionError,
  TimeoutError,
  UnsupportedActionError,
  UsageError,
  ocfExitCode,
  ocfMonitorCode,
} from '@recovery-kit/sdk';

const start = { action: 'start' };
const result = (exitCode: number | undefined, timedOut = false) => ({
  command: 'x',
  exitCode,
  signal: undefined,
  timedOut,
  stdout: '',
  stderr: '',
  durationMs: 1,
});

describe('the OCF exit-code policy', () => {
  it('transient, throttled, timed-out and credential-expired cloud calls give 1, never 6 or 7', () => {
    const throttled = new ActionFailedError('AWS did not answer', { code: 'AWS_UNAVAILABLE', retryable: true, details: { awsCode: 'RequestLimitExceeded' } });
    // A kit that labels a transient failure with a "configured" or "not running" number cannot bypass the rule.
    const lying6 = new KitError('throttled', { code: 'X', exitCode: 6, retryable: true });
    const lying7 = new KitError('not running?', { code: 'X', exitCode: 7, retryable: true });
    const expired = new PermissionError('refused (ExpiredToken)', { details: { awsCode: 'ExpiredToken' } });
    const expiredAsConfig = new ConfigError('refused', { details: { awsCode: 'ExpiredTokenException' } });
    for (const action of ['start', 'stop', 'monitor', 'validate-all']) {
      for (const e of [
        throttled,
        lying6,
        lying7,
        expired,
        expiredAsConfig,
        new TimeoutError('late'),
        new BusyError('busy'),
        new CommandFailedError(result(undefined, true)),
      ]) {
        expect(ocfExitCode(e, { action }), `${action}: ${e.message}`).toBe(OcfCode.ERR_GENERIC);
        expect(ocfExitCode(e, { action, stage: 'parameters' })).toBe(OcfCode.ERR_GENERIC);
      }
    }
  });

  it('6 only for parameters invalid for the schema; a ConfigError raised while the kit runs is "invalid on this host" (2)', () => {
    const bad = ConfigError.fromIssues('invalid', [{ field: 'address', message: 'is required' }]);
    expect(ocfExitCode(bad, { action: 'start', stage: 'parameters' })).toBe(OcfCode.ERR_CONFIGURED);
    expect(ocfExitCode(bad, { action: 'start', stage: 'action' })).toBe(OcfCode.ERR_ARGS);
    expect(ocfExitCode(bad, { action: 'start' })).toBe(OcfCode.ERR_ARGS);
    expect(ocfExitCode(new KitError('x', { exitCode: 6 }), start)).toBe(OcfCode.ERR_ARGS);
  });

  it('not installed is 5, and on a probe a missing program is 7', () => {
    const missing = new CommandFailedError(result(127));
    expect(ocfExitCode(missing, start)).toBe(OcfCode.ERR_INSTALLED);
    expect(ocfExitCode(missing, { action: 'monitor', probe: false })).toBe(OcfCode.ERR_INSTALLED);
    expect(ocfExitCode(missing, { action: 'monitor', probe: true })).toBe(OcfCode.NOT_RUNNING);
    expect(ocfExitCode(new KitLoadError('no kit'), start)).toBe(OcfCode.ERR_INSTALLED);
    expect(ocfExitCode(new KitLoadError('no kit'), { action: 'monitor', probe: true })).toBe(OcfCode.NOT_RUNNING);
  });

  it("maps the runner's own codes explicitly", () => {
    expect(ocfExitCode(new NotFoundError('no child'), { action: 'start', stage: 'parameters' })).toBe(OcfCode.ERR_CONFIGURED);
    expect(ocfExitCode(new NotFoundError('no such thing here'), start)).toBe(OcfCode.ERR_ARGS);
    expect(ocfExitCode(new BusyError('busy'), start)).toBe(OcfCode.ERR_GENERIC);
    expect(ocfExitCode(new TimeoutError('late'), start)).toBe(OcfCode.ERR_GENERIC);
    expect(ocfExitCode(new UsageError('bad'), start)).toBe(OcfCode.ERR_ARGS);
    expect(ocfExitCode(UnsupportedActionError.of('ip', 'promote'), start)).toBe(OcfCode.ERR_UNIMPLEMENTED);
    expect(ocfExitCode(new PermissionError('AccessDenied', { details: { awsCode: 'UnauthorizedOperation' } }), start)).toBe(OcfCode.ERR_PERM);
    expect(ocfExitCode(new Error('a bug'), start)).toBe(OcfCode.ERR_GENERIC);
    expect(ocfExitCode('a string', start)).toBe(OcfCode.ERR_GENERIC);
  });

  it('a thrown error is never 7 outside a probe, whatever number the kit chose', () => {
    for (const exitCode of [0, 1, 2, 3, 4, 6, 7, 8, 9, 10, 11, 12, 70, 124] as const) {
      for (const action of ['start', 'stop', 'monitor', 'promote', 'demote', 'validate-all']) {
        const rc = ocfExitCode(new KitError('x', { exitCode: exitCode as never }), { action });
        expect(rc).not.toBe(OcfCode.NOT_RUNNING);
        expect(rc).not.toBe(OcfCode.ERR_CONFIGURED);
      }
    }
  });

  it('monitor results: 7 only for stopped; unknown is running unless degraded results are enabled', () => {
    expect(ocfMonitorCode({ status: 'ok' })).toBe(0);
    expect(ocfMonitorCode({ status: 'ok', promoted: true })).toBe(8);
    expect(ocfMonitorCode({ status: 'stopped' })).toBe(7);
    expect(ocfMonitorCode({ status: 'failed' })).toBe(1);
    expect(ocfMonitorCode({ status: 'failed', promoted: true })).toBe(9);
    expect(ocfMonitorCode({ status: 'unknown' })).toBe(0);
    expect(ocfMonitorCode({ status: 'unknown', degraded: true })).toBe(190);
    expect(ocfMonitorCode({ status: 'unknown', degraded: true, promoted: true })).toBe(191);
  });
});

describe("crm_resource's output", () => {
  it('reads a parameter from Pacemaker 2.1 XML (item text) and from a value attribute', async () => {
    const { parseCrmParameter } = await import('../src/ocf/children.ts');
    const pcmk215 = `<pacemaker-result api-version="2.25" request="crm_resource --resource vip --get-parameter address --output-as=xml">
  <list name="attributes" count="1">
    <item name="address">10.99.0.50/24</item>
  </list>
  <status code="0" message="OK"/>
</pacemaker-result>`;
    expect(parseCrmParameter(pcmk215, 'address')).toBe('10.99.0.50/24');
    expect(parseCrmParameter(pcmk215, 'device')).toBeUndefined();
    expect(parseCrmParameter('<x><nvpair id="a" name="address" value="fd00::1/64"/></x>', 'address')).toBe('fd00::1/64');
    expect(parseCrmParameter('<item name="a">x &amp; y</item>', 'a')).toBe('x & y');
  });
});
