import { existsSync } from 'node:fs';
import { EC2_ACTIONS, startEmulator, twoAzLayout, type Emulator } from '@recovery-kit/aws-emulator';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { labUnavailableReason, startCluster, summary, type AwsInLab, type Cluster } from '../src/index.ts';

const why =
  labUnavailableReason() ??
  (!existsSync('/usr/sbin/fence_aws') ? 'fence_aws missing (apt-get install fence-agents python3-boto3)' : undefined) ??
  (!existsSync('/usr/bin/openssl') ? 'openssl missing (apt-get install openssl)' : undefined);

describe.skipIf(!!why)(`fence_aws (Debian fence-agents, boto3) against the AWS emulator inside the lab${why ? ` (skipped: ${why})` : ''}`, () => {
  let c: Cluster | undefined;
  let emu: Emulator | undefined;
  let aws: AwsInLab;
  const { seed, ids } = twoAzLayout();
  const node1 = ids.instances.node1;
  const node2 = ids.instances.node2;
  const creds = ['--region=us-east-1', '--access-key=AKIDEXAMPLE', '--secret-key=lab-secret'];

  beforeAll(async () => {
    emu = await startEmulator({ seed });
    c = await startCluster({ nodes: 1 });
    aws = await c.serveAws({ endpoint: emu.endpoint, region: 'us-east-1', imds: { 'node-a': emu.imdsUrlFor(node1) } });
  }, 90_000);

  afterAll(async () => {
    await c?.stop();
    await emu?.stop();
  }, 30_000);

  it('the emulator answers at https://ec2.us-east-1.amazonaws.com inside the node only, with the lab CA', async () => {
    // The name resolves inside the node (its private /etc/hosts), and TLS verifies against the lab CA.
    const curl = await c!.exec('node-a', ['python3', '-c', [
      'import ssl, urllib.request, sys',
      `ctx = ssl.create_default_context(cafile=${JSON.stringify(aws.caFile)})`,
      "r = urllib.request.urlopen('https://ec2.us-east-1.amazonaws.com/?Action=DescribeRegions&Version=2016-11-15', context=ctx, timeout=5)",
      'sys.stdout.write(str(r.status))',
    ].join('\n')], { allowFailure: true });
    // Unsigned, so the emulator refuses it (400) — but it is the emulator answering, through TLS, at that name.
    expect(curl.stderr).not.toMatch(/CERTIFICATE_VERIFY_FAILED|Name or service not known|Connection refused/);
    expect(curl.stdout + curl.stderr).toMatch(/^200$|HTTP Error 4\d\d/m);
    expect(aws.requests.some((r) => r.node === 'node-a' && r.path.includes('Action=DescribeRegions'))).toBe(true);
    // Without the lab CA, the certificate is refused.
    const strict = await c!.exec('node-a', ['python3', '-c', "import urllib.request; urllib.request.urlopen('https://ec2.us-east-1.amazonaws.com/', timeout=5)"], { allowFailure: true });
    expect(strict.exitCode).not.toBe(0);
    expect(strict.stderr).toContain('CERTIFICATE_VERIFY_FAILED');
    expect(aws.requests.some((r) => r.node === 'node-a')).toBe(true);
  });

  it('fence_aws --action=list and --action=status read DescribeInstances from the emulator', async () => {
    emu!.calls.reset();
    const list = await c!.exec('node-a', ['fence_aws', '--action=list', ...creds], { env: aws.env });
    expect(list.stdout).toContain(node1);
    expect(list.stdout).toContain(node2);
    expect(emu!.calls.count('DescribeInstances')).toBeGreaterThanOrEqual(1);

    const on = await c!.exec('node-a', ['fence_aws', '--action=status', `--plug=${node2}`, ...creds], { env: aws.env, allowFailure: true });
    expect(on.exitCode, on.stderr).toBe(0);
    expect(on.stdout).toMatch(/Status: ON/);

    // The emulator's state is what fence_aws sees: stop the instance there, and it says OFF (exit 2).
    emu!.state.findInstance(node2)!.instance.state = 'stopped';
    try {
      const off = await c!.exec('node-a', ['fence_aws', '--action=status', `--plug=${node2}`, ...creds], { env: aws.env, allowFailure: true });
      expect(off.stdout).toMatch(/Status: OFF/);
      expect(off.exitCode).toBe(2);
    } finally {
      emu!.state.findInstance(node2)!.instance.state = 'running';
    }
  });

  it("IMDS at 169.254.169.254 inside node-a answers node-a's instance id (fence_aws asks it before a stop)", async () => {
    const r = await c!.exec('node-a', ['python3', '-c', [
      'import urllib.request, sys',
      "t = urllib.request.urlopen(urllib.request.Request('http://169.254.169.254/latest/api/token', method='PUT', headers={'X-aws-ec2-metadata-token-ttl-seconds': '60'}), timeout=3).read().decode()",
      "i = urllib.request.urlopen(urllib.request.Request('http://169.254.169.254/latest/meta-data/instance-id', headers={'X-aws-ec2-metadata-token': t}), timeout=3).read().decode()",
      'sys.stdout.write(i)',
    ].join('\n')]);
    expect(r.stdout).toBe(node1);
  });

  it('a fence_aws stonith device registered in Pacemaker monitors through the emulator (pacemaker-fenced has AWS_CA_BUNDLE)', async () => {
    emu!.calls.reset();
    await c!.cibCreate(
      'resources',
      `<primitive id="aws-fence" class="stonith" type="fence_aws">
         <instance_attributes id="aws-fence-ia">
           <nvpair id="aws-fence-region" name="region" value="us-east-1"/>
           <nvpair id="aws-fence-ak" name="access_key" value="AKIDEXAMPLE"/>
           <nvpair id="aws-fence-sk" name="secret_key" value="lab-secret"/>
           <nvpair id="aws-fence-map" name="pcmk_host_map" value="node-a:${node1}"/>
         </instance_attributes>
         <operations><op id="aws-fence-monitor" name="monitor" interval="5s" timeout="20s"/></operations>
       </primitive>`,
    );
    const r = await c!.waitFor((m) => m[0]!.resources.find((x) => x.id === 'aws-fence' && x.role === 'Started'), { timeoutMs: 20_000, what: 'aws-fence Started' });
    expect(r.agent).toBe('stonith:fence_aws');
    const mon = await c!.crmMon('node-a');
    expect(mon.failures.filter((f) => f.opKey.startsWith('aws-fence'))).toEqual([]);
    expect(emu!.calls.count('DescribeInstances')).toBeGreaterThanOrEqual(1);
    // stonith_admin asks the device which nodes it can fence (pcmk_host_map: node-a).
    const targets = await c!.exec('node-a', ['stonith_admin', '--list', 'node-a', '--output-as=xml'], { allowFailure: true });
    expect(targets.stdout).toContain('aws-fence');
  }, 45_000);

  it("followInstances: the instance stopping powers node-a off, running again powers it on (what StopInstances/StartInstances will do)", async () => {
    const inst = () => emu!.state.findInstance(node1)!.instance;
    const follow = c!.followInstances({ 'node-a': () => inst().state });
    try {
      const t0 = Date.now();
      inst().state = 'stopped';
      await until(() => c!.isPoweredOff('node-a'), 5000, 'node-a powered off');
      const offMs = Date.now() - t0;
      const t1 = Date.now();
      inst().state = 'running';
      await c!.waitFor((m) => m[0]!.dc && m[0]!.nodes.every((n) => n.online), { timeoutMs: 30_000, what: 'node-a back online' });
      console.log(`followInstances: node-a off ${offMs} ms after its instance stopped, back online ${Date.now() - t1} ms after it ran again`);
      expect(follow.events.map((e) => [e.node, e.action, e.error])).toEqual([['node-a', 'off', undefined], ['node-a', 'on', undefined]]);
    } finally {
      follow.stop();
      inst().state = 'running';
    }
  }, 45_000);
});

// The whole AWS fencing path: node-b's pacemaker-fenced runs fence_aws, which asks IMDS who it is,
// checks itself with DescribeInstances, calls StopInstances on node-a's instance; the lab powers
// node-a off when the emulator says it is stopping/stopped. Needs StopInstances in the emulator.
const hasStop = EC2_ACTIONS.includes('StopInstances') && EC2_ACTIONS.includes('StartInstances');
describe.skipIf(!!why || !hasStop)(
  `crash failover fenced by fence_aws through the emulator${why ? ` (skipped: ${why})` : !hasStop ? ' (skipped: the AWS emulator has no StopInstances/StartInstances yet)' : ''}`,
  () => {
    let c: Cluster | undefined;
    let emu: Emulator | undefined;
    const { seed, ids } = twoAzLayout();
    const inst = { 'node-a': ids.instances.node1, 'node-b': ids.instances.node2 } as const;

    beforeAll(async () => {
      emu = await startEmulator({ seed });
      c = await startCluster({ nodes: 2, fencing: 'external' });
      await c.serveAws({ endpoint: emu.endpoint, region: 'us-east-1', imds: { 'node-a': emu.imdsUrlFor(inst['node-a']), 'node-b': emu.imdsUrlFor(inst['node-b']) } });
      c.followInstances({
        'node-a': () => emu!.state.findInstance(inst['node-a'])?.instance.state,
        'node-b': () => emu!.state.findInstance(inst['node-b'])?.instance.state,
      });
    }, 120_000);

    afterAll(async () => {
      await c?.stop();
      await emu?.stop();
    }, 30_000);

    it('node-a crashes; node-b fences it with fence_aws (StopInstances) and takes over the resource', async () => {
      await c!.cibCreate(
        'resources',
        `<primitive id="aws-fence" class="stonith" type="fence_aws">
           <instance_attributes id="aws-fence-ia">
             <nvpair id="aws-fence-region" name="region" value="us-east-1"/>
             <nvpair id="aws-fence-ak" name="access_key" value="AKIDEXAMPLE"/>
             <nvpair id="aws-fence-sk" name="secret_key" value="lab-secret"/>
             <nvpair id="aws-fence-map" name="pcmk_host_map" value="node-a:${inst['node-a']};node-b:${inst['node-b']}"/>
             <nvpair id="aws-fence-power-timeout" name="power_timeout" value="20"/>
           </instance_attributes>
           <operations><op id="aws-fence-monitor" name="monitor" interval="60s" timeout="30s"/></operations>
         </primitive>`,
      );
      await c!.cibCreate(
        'resources',
        `<primitive id="web" class="ocf" provider="pacemaker" type="Dummy">
           <instance_attributes id="web-ia"><nvpair id="web-state" name="state" value="/run/web.state"/></instance_attributes>
           <operations><op id="web-monitor-2s" name="monitor" interval="2s" timeout="10s"/></operations>
         </primitive>`,
      );
      await c!.cibCreate('constraints', '<rsc_location id="web-prefers-node-a" rsc="web" node="node-a" score="100"/>');
      await c!.waitFor((ms) => ms.every((m) => m.resources.find((r) => r.id === 'web' && r.role === 'Started')?.nodes.join() === 'node-a' && m.resources.some((r) => r.id === 'aws-fence' && r.role === 'Started')), {
        timeoutMs: 30_000,
        what: 'web on node-a, aws-fence started',
      });
      emu!.calls.reset();
      const t0 = c!.crash('node-a');
      await c!.waitFor((ms) => ms[0]!.resources.find((r) => r.id === 'web' && r.role === 'Started')?.nodes.join() === 'node-b', {
        nodes: ['node-b'],
        intervalMs: 50,
        timeoutMs: 45_000,
        what: 'web on node-b',
      });
      const took = Date.now() - t0;
      const mon = await c!.crmMon('node-b');
      expect(mon.fencing.some((f) => f.target === 'node-a' && f.status === 'success'), summary(mon)).toBe(true);
      expect(emu!.calls.list({ action: 'StopInstances' }).length).toBeGreaterThanOrEqual(1);
      expect(emu!.state.findInstance(inst['node-a'])!.instance.state).toMatch(/stopp/);
      expect(await c!.isPoweredOff('node-a')).toBe(true);
      console.log(`fence_aws crash failover: web on node-b ${took} ms after SIGKILL; EC2 calls ${JSON.stringify(emu!.calls.byAction())}`);
    }, 90_000);
  },
);

async function until(check: () => Promise<boolean> | boolean, timeoutMs: number, what: string): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`${what}: not so after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}
