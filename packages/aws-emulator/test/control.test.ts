import { execFile, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DescribeRouteTablesCommand } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type Emulator, type TwoAzLayoutIds, startEmulator, twoAzLayout } from '../src/index.ts';
import { control, ec2 } from './helpers.ts';

const pkgDir = dirname(dirname(fileURLToPath(import.meta.url)));
let emu: Emulator;
let ids: TwoAzLayoutIds;

beforeAll(async () => {
  emu = await startEmulator();
});
afterAll(async () => emu.stop());
beforeEach(() => {
  emu.reset();
  ids = twoAzLayout().ids;
});

describe('HTTP control API', () => {
  it('seeds a layout, dumps state, reports IMDS listeners and env', async () => {
    const health = await control(emu, 'GET', '/_emulator/health');
    expect(health).toEqual({ status: 200, json: { ok: true } });
    const layout = await control(emu, 'POST', '/_emulator/layout/two-az', {});
    expect(layout.status).toBe(200);
    expect(layout.json.ids.instances.node1).toBe(ids.instances.node1);
    expect(Object.keys(layout.json.imds).sort()).toEqual([ids.instances.node1, ids.instances.node2].sort());
    const state = await control(emu, 'GET', '/_emulator/state');
    expect(state.json.regions['us-east-1'].routeTables).toHaveLength(3);
    expect(state.json.hostedZones).toHaveLength(2);
    const env = await control(emu, 'GET', `/_emulator/env?instanceId=${ids.instances.node2}`);
    expect(env.json).toMatchObject({
      AWS_ENDPOINT_URL_EC2: emu.endpoint,
      AWS_ENDPOINT_URL_ROUTE_53: emu.endpoint,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_SERVICE_ENDPOINT: emu.imdsUrlFor(ids.instances.node2),
      AWS_EC2_METADATA_DISABLED: 'false',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    });
    expect(env.json.AWS_ACCESS_KEY_ID).toBeUndefined();
    const info = await control(emu, 'GET', '/_emulator/info');
    expect(info.json.endpoint).toBe(emu.endpoint);
  });

  it('seeds a custom document and rejects bad ones', async () => {
    const seed = {
      regions: {
        'eu-west-1': {
          vpcs: [{ vpcId: 'vpc-0123', cidrBlock: '172.16.0.0/16' }],
          subnets: [{ subnetId: 'subnet-0123', vpcId: 'vpc-0123', cidrBlock: '172.16.1.0/24', availabilityZone: 'eu-west-1a' }],
          instances: [{ instanceId: 'i-0123', subnetId: 'subnet-0123', privateIpAddress: '172.16.1.5' }],
          routeTables: [{ routeTableId: 'rtb-0123', vpcId: 'vpc-0123', routes: [{ destinationCidrBlock: '10.9.9.9/32', instanceId: 'i-0123' }] }],
        },
      },
    };
    const ok = await control(emu, 'POST', '/_emulator/seed', seed);
    expect(ok.status).toBe(200);
    expect(ok.json.instanceIds).toEqual(['i-0123']);
    const c = ec2(emu, 'eu-west-1');
    try {
      const out = await c.send(new DescribeRouteTablesCommand({ RouteTableIds: ['rtb-0123'] }));
      expect(out.RouteTables?.[0]?.Routes?.find((r) => r.DestinationCidrBlock === '10.9.9.9/32')).toMatchObject({ InstanceId: 'i-0123' });
    } finally {
      c.destroy();
    }
    const bad = await control(emu, 'POST', '/_emulator/seed', {
      regions: { 'eu-west-1': { subnets: [{ vpcId: 'vpc-nope', cidrBlock: '1.0.0.0/24', availabilityZone: 'eu-west-1a' }] } },
    });
    expect(bad.status).toBe(400);
    expect(bad.json.error).toMatch(/unknown VPC/);
    const res = await fetch(`${emu.endpoint}/_emulator/seed`, { method: 'POST', body: '{not json' });
    expect(res.status).toBe(400);
    expect((await control(emu, 'GET', '/_emulator/nope')).status).toBe(404);
  });

  it('injects faults and reads call counters over HTTP', async () => {
    await control(emu, 'POST', '/_emulator/layout/two-az', {});
    const added = await control(emu, 'POST', '/_emulator/faults', { kind: 'throttle', action: 'DescribeRouteTables', count: 1 });
    expect(added.json.ids).toHaveLength(1);
    const listed = await control(emu, 'GET', '/_emulator/faults');
    expect(listed.json.faults[0]).toMatchObject({ kind: 'throttle', action: 'DescribeRouteTables', count: 1, fired: 0 });
    const c = ec2(emu);
    try {
      const out = await c.send(new DescribeRouteTablesCommand({}));
      expect(out.$metadata.attempts).toBe(2);
    } finally {
      c.destroy();
    }
    const calls = await control(emu, 'GET', '/_emulator/calls?action=DescribeRouteTables');
    expect(calls.json.total).toBe(2);
    expect(calls.json.byAction).toEqual({ DescribeRouteTables: 2 });
    expect(calls.json.calls.map((r: { status: number }) => r.status)).toEqual([503, 200]);
    const summary = await control(emu, 'GET', '/_emulator/calls?records=false');
    expect(summary.json.calls).toBeUndefined();

    const bad = await control(emu, 'POST', '/_emulator/faults', { kind: 'explode' });
    expect(bad.status).toBe(400);
    const two = await control(emu, 'POST', '/_emulator/faults', [
      { kind: 'latency', latencyMs: 10 },
      { kind: 'drop', service: 'route53' },
    ]);
    expect(two.json.ids).toHaveLength(2);
    expect((await control(emu, 'DELETE', `/_emulator/faults/${two.json.ids[0]}`)).status).toBe(200);
    expect((await control(emu, 'GET', '/_emulator/faults')).json.faults).toHaveLength(1);
    await control(emu, 'DELETE', '/_emulator/faults');
    expect((await control(emu, 'GET', '/_emulator/faults')).json.faults).toHaveLength(0);
    await control(emu, 'DELETE', '/_emulator/calls');
    expect((await control(emu, 'GET', '/_emulator/calls')).json.total).toBe(0);
  });

  it('changes config, expires IMDS tokens, stops instances, syncs Route53 and resets', async () => {
    await control(emu, 'POST', '/_emulator/layout/two-az', {});
    const cfg = await control(emu, 'POST', '/_emulator/config', { route53ChangeDelayMs: 1234, imdsMaxTokenTtlSeconds: 5 });
    expect(cfg.json).toMatchObject({ route53ChangeDelayMs: 1234, imdsMaxTokenTtlSeconds: 5 });
    expect(emu.config.route53ChangeDelayMs).toBe(1234);
    expect((await control(emu, 'POST', '/_emulator/config', { nope: 1 })).status).toBe(400);
    expect((await control(emu, 'POST', '/_emulator/config', { route53ChangeDelayMs: 'x' })).status).toBe(400);

    const u = emu.imdsUrlFor(ids.instances.node1);
    const tok = await (await fetch(`${u}/latest/api/token`, { method: 'PUT', headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '60' } })).text();
    const exp = await control(emu, 'POST', '/_emulator/imds/expire-tokens', {});
    expect(exp.json.expired).toBe(1);
    expect((await fetch(`${u}/latest/meta-data/instance-id`, { headers: { 'x-aws-ec2-metadata-token': tok } })).status).toBe(401);

    const stopped = await control(emu, 'POST', `/_emulator/ec2/instances/${ids.instances.node1}/state`, { state: 'stopped' });
    expect(stopped.json).toMatchObject({ ok: true, state: 'stopped' });
    expect(emu.state.findInstance(ids.instances.node1)?.instance.state).toBe('stopped');
    expect((await control(emu, 'POST', '/_emulator/ec2/instances/i-0nope/state', { state: 'stopped' })).status).toBe(404);

    expect((await control(emu, 'POST', '/_emulator/route53/sync')).json.synced).toBe(0);
    await control(emu, 'POST', '/_emulator/reset', {});
    expect((await control(emu, 'GET', '/_emulator/state')).json.regions).toEqual({});
    emu.config.route53ChangeDelayMs = 500;
    emu.config.imdsMaxTokenTtlSeconds = 21600;
  });
});

function newestMtime(dir: string): number {
  let max = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const s = statSync(p);
    max = Math.max(max, s.isDirectory() ? newestMtime(p) : s.mtimeMs);
  }
  return max;
}

describe('bin aws-emulator and separate processes', () => {
  const cli = join(pkgDir, 'dist', 'cli.js');
  beforeAll(() => {
    if (!existsSync(cli) || statSync(cli).mtimeMs < newestMtime(join(pkgDir, 'src'))) {
      execFileSync(process.execPath, [join(pkgDir, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', 'tsconfig.build.json'], { cwd: pkgDir });
    }
  });

  it('starts, prints a JSON line, serves the control API, and exits on SIGTERM without warnings', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'aws-emu-'));
    const seedFile = join(dir, 'seed.json');
    writeFileSync(seedFile, JSON.stringify({ hostedZones: [{ id: 'ZSEEDFILE00000000001', name: 'seed.test' }] }));
    const child = spawn(process.execPath, [cli, '--json', '--layout', 'two-az', '--seed', seedFile], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const line = await new Promise<string>((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        const nl = buf.indexOf('\n');
        if (nl >= 0) resolve(buf.slice(0, nl));
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${stderr}`)));
    });
    const info = JSON.parse(line);
    expect(info.endpoint).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(info.ids.instances.node1).toBe(ids.instances.node1);
    expect(Object.keys(info.imds)).toHaveLength(2);
    expect(info.env.AWS_ENDPOINT_URL_EC2).toBe(info.endpoint);
    const state = (await (await fetch(`${info.endpoint}/_emulator/state`)).json()) as { hostedZones: { id: string }[] };
    expect(state.hostedZones.map((z) => z.id)).toContain('ZSEEDFILE00000000001');

    // A separate process (like kit-runner) driven only by the env vars: IMDS credentials, region, endpoint.
    const instanceEnv = (await (await fetch(`${info.endpoint}/_emulator/env?instanceId=${ids.instances.node2}`)).json()) as Record<string, string>;
    const script = `
      import { EC2Client, DescribeNetworkInterfacesCommand } from '@aws-sdk/client-ec2';
      const c = new EC2Client({});
      const out = await c.send(new DescribeNetworkInterfacesCommand({ Filters: [{ Name: 'attachment.instance-id', Values: ['${ids.instances.node2}'] }] }));
      console.log(out.NetworkInterfaces[0].NetworkInterfaceId);
    `;
    const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('AWS_')));
    const result = await new Promise<{ stdout: string; stderr: string }>((resolve, reject) => {
      execFile(
        process.execPath,
        ['--input-type=module', '-e', script],
        { cwd: pkgDir, env: { ...cleanEnv, ...instanceEnv, AWS_CONFIG_FILE: join(dir, 'none'), AWS_SHARED_CREDENTIALS_FILE: join(dir, 'none') } },
        (err, stdout, stderr2) => (err ? reject(new Error(`${err.message}\n${stderr2}`)) : resolve({ stdout, stderr: stderr2 })),
      );
    });
    expect(result.stdout.trim()).toBe(ids.enis.node2);
    expect(result.stderr).not.toMatch(/NodeVersionSupportWarning/);
    const calls = (await (await fetch(`${info.endpoint}/_emulator/calls?records=false`)).json()) as { byAction: Record<string, number> };
    expect(calls.byAction).toMatchObject({ DescribeNetworkInterfaces: 1, 'IMDS:PutToken': 1 });

    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGTERM');
    expect(await exit).toBe(0);
    expect(stderr).toBe('');
  });

  it('prints shell exports with --print-env', async () => {
    const child = spawn(process.execPath, [cli, '--print-env', '--layout', 'two-az', '--region', 'us-east-1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    const text = await new Promise<string>((resolve) => {
      let buf = '';
      child.stdout.on('data', (d: Buffer) => {
        buf += d.toString();
        if (buf.includes(ids.instances.node2)) resolve(buf);
      });
    });
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    child.kill('SIGINT');
    await exit;
    expect(text).toMatch(/^export AWS_ENDPOINT_URL_EC2=http:\/\/127\.0\.0\.1:\d+$/m);
    expect(text).toMatch(/^export AWS_ENDPOINT_URL_ROUTE_53=/m);
    expect(text).toMatch(/^export AWS_REGION=us-east-1$/m);
    expect(text).toMatch(/^export AWS_EC2_METADATA_DISABLED=true$/m);
    expect(text).toContain(`# on ${ids.instances.node1}: export AWS_EC2_METADATA_SERVICE_ENDPOINT=http://127.0.0.1:`);
  });
});
