/**
 * Where the EC2 kit takes the AWS region from, through the real, built `kit-runner`: the SDK's
 * order (explicit option or flag, AWS_REGION, the shared-config profile's `region` read by the
 * SDK's own loader, then IMDS), IMDS never asked when the region and the ENI are given, and "cannot
 * tell the region" a configuration error (exit 6) naming the fix. Each run has a temporary HOME
 * and config files; IMDS is disabled unless a test gives it.
 */
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { createSandbox, type RunResult, type Sandbox } from '@recovery-kit/testing';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { addressOf, hermetic } from './fixtures.ts';

hermetic();
vi.setConfig({ testTimeout: 120_000 });
const KITS = fileURLToPath(new URL('../..', import.meta.url));
const { seed, ids } = twoAzLayout();
let emu: Emulator;
let sb: Sandbox;
let home: string;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => {
  await emu?.stop();
});
beforeEach(async () => {
  emu.reset();
  await emu.seed(seed);
  sb = createSandbox({ kitsDirs: [KITS], tunables: { EC2_VERIFY_TIMEOUT: 5 } });
  home = mkdtempSync(join(tmpdir(), 'rk-ec2-home-'));
});
afterEach(() => {
  sb?.cleanup();
  rmSync(home, { recursive: true, force: true });
});

/** The emulator's env with static keys, IMDS disabled, no AWS_REGION, HOME = the temporary home. */
function env(extra: Record<string, string> = {}): Record<string, string> {
  return { ...emu.env(), AWS_REGION: '', AWS_DEFAULT_REGION: '', AWS_PROFILE: '', HOME: home, AWS_CONFIG_FILE: join(home, '.aws', 'config'), ...extra };
}
function awsConfig(text: string, file = join(home, '.aws', 'config')): void {
  mkdirSync(join(file, '..'), { recursive: true });
  writeFileSync(file, text);
}
const show = (r: RunResult) => `exit ${r.exitCode}\n${r.stdout}\n${r.stderr}`;
const imdsCalls = () => emu.calls.list({ service: 'imds' }).length;

describe("AWS region in the SDK's order", () => {
  it('takes the region of the AWS_PROFILE profile from the config file (no AWS_REGION, no IMDS)', async () => {
    // With AWS_PROFILE set the SDK takes the credentials from that profile too (not from AWS_ACCESS_KEY_ID).
    awsConfig(
      `[default]\nregion = eu-west-3\n\n[profile ops]\nregion = ${ids.region}\naws_access_key_id = AKIDEXAMPLE\naws_secret_access_key = emulator-secret\n`,
    );
    const r = await sb.run(['ec2', 'associate-eip', '--allocation-id', ids.allocationId, '--eni', ids.enis.node2, '--json'], {
      env: env({ AWS_PROFILE: 'ops' }),
    });
    expect(r.exitCode, show(r)).toBe(0);
    expect((r.json as { region: string }).region).toBe(ids.region);
    expect(addressOf(emu, ids.allocationId).networkInterfaceId).toBe(ids.enis.node2);
    expect(imdsCalls()).toBe(0);
  });

  it("takes the default profile's region from ~/.aws/config under HOME when no AWS_CONFIG_FILE is set", async () => {
    awsConfig(`[default]\nregion = ${ids.region}\n`);
    // AWS_CONFIG_FILE empty: the SDK's loader falls back to $HOME/.aws/config.
    const r = await sb.run(['ec2', 'disassociate-eip', '--allocation-id', ids.allocationId, '--json'], { env: env({ AWS_CONFIG_FILE: '' }) });
    expect(r.exitCode, show(r)).toBe(0);
    expect((r.json as { region: string }).region).toBe(ids.region);
  });

  it('AWS_REGION wins over the profile; --region wins over both', async () => {
    awsConfig('[default]\nregion = eu-west-3\n');
    const r = await sb.run(['ec2', 'disassociate-eip', '--allocation-id', ids.allocationId, '--json'], { env: env({ AWS_REGION: ids.region }) });
    expect(r.exitCode, show(r)).toBe(0);
    expect((r.json as { region: string }).region).toBe(ids.region);
    const f = await sb.run(['ec2', 'disassociate-eip', '--allocation-id', ids.allocationId, '--region', ids.region, '--json'], {
      env: env({ AWS_REGION: 'eu-west-3' }),
    });
    expect(f.exitCode, show(f)).toBe(0);
    expect((f.json as { region: string }).region).toBe(ids.region);
  });

  it('cannot tell the region: exit 6 (configuration), naming --region, AWS_REGION and the profile; nothing changes', async () => {
    const before = JSON.stringify(emu.dump());
    const r = await sb.run(['ec2', 'associate-eip', '--allocation-id', ids.allocationId, '--eni', ids.enis.node2], { env: env() });
    expect(r.exitCode, show(r)).toBe(6);
    expect(r.stderr).toMatch(/cannot tell the AWS region/);
    expect(r.stderr).toMatch(/--region/);
    expect(r.stderr).toMatch(/AWS_REGION/);
    expect(r.stderr).toMatch(/AWS_PROFILE|~\/\.aws\/config/);
    expect(JSON.stringify(emu.dump())).toBe(before);
    const c = await sb.run(
      ['create', 'ec2', '--tag', 'eip', '--opt', 'scenario=elastic-ip', '--opt', `allocationId=${ids.allocationId}`, '--opt', `eni=${ids.enis.node1}`],
      { env: env(), node: 'node-a' },
    );
    expect(c.exitCode, show(c)).toBe(6);
    expect(c.stderr).toMatch(/region/);
    expect(sb.storeBytes()).not.toMatch(/"eip"/);
  });

  it('with AWS_REGION and the eni option given, create and restore never ask IMDS (disabled here)', async () => {
    const e = env({ AWS_REGION: ids.region });
    const c = await sb.run(
      [
        'create',
        'ec2',
        '--tag',
        'eip',
        '--opt',
        'scenario=elastic-ip',
        '--opt',
        `allocationId=${ids.allocationId}`,
        '--opt',
        `eni=${ids.enis.node2}`,
        '--restore',
      ],
      { env: e, node: 'node-a' },
    );
    expect(c.exitCode, show(c)).toBe(0);
    expect(addressOf(emu, ids.allocationId).networkInterfaceId).toBe(ids.enis.node2);
    expect(imdsCalls()).toBe(0);
  });
});
