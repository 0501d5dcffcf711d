/**
 * ocf:recovery-kit:ip in network namespaces the test creates (kits/ip/test/topology.ts): the
 * agent runs inside `ip netns exec A`, with a peer B on the same link answering the ping list.
 * ocf-tester and the ocft cases in test/ocft/ip.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canRunNetns, createTopology, netnsSkipReason, type Topology } from '../../../kits/ip/test/topology.ts';
import { ocfSandbox } from './ocf-helpers.ts';

const OCFT_CONFIG = fileURLToPath(new URL('./ocft/ip', import.meta.url));

describe.skipIf(!canRunNetns)(`ocf:recovery-kit:ip in network namespaces${canRunNetns ? '' : ` (skipped: ${netnsSkipReason})`}`, () => {
  let topo: Topology;
  beforeAll(() => {
    topo = createTopology();
  });
  afterAll(() => topo?.destroy());

  it('passes ocf-tester (the agent runs inside ip netns exec)', async () => {
    const sb = ocfSandbox({ profile: '1.0' });
    const r = await sb.tester('ip', 'vip1', { address: '192.0.2.100/24', pingList: '192.0.2.2' }, {}, ['ip', 'netns', 'exec', topo.a]);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    expect(topo.addrs(topo.a)).not.toContain('192.0.2.100');
  }, 180_000);

  it('the address follows start and stop; a probe elsewhere says not running; stop of an absent address is 0', async () => {
    const sb = ocfSandbox();
    const p = { address: '192.0.2.101/24', pingList: '192.0.2.2' };
    const inA = ['ip', 'netns', 'exec', topo.a];
    const inB = ['ip', 'netns', 'exec', topo.b];
    expect((await sb.run('ip', 'start', p, {}, inA)).code).toBe(0);
    expect(topo.addrs(topo.a)).toContain('192.0.2.101');
    expect(topo.pingFromC('192.0.2.101')).toBe(true);
    // node B probes: not running there (address is on A)
    expect(
      (await sb.run('ip', 'monitor', { ...p, pingList: '192.0.2.1' }, { OCF_RESKEY_CRM_meta_interval: '0', OCF_RESOURCE_INSTANCE: 'onB' }, inB)).code,
    ).toBe(7);
    // deleted behind its back, then stopped: 0 (already gone)
    topo.ip(topo.a, 'addr', 'del', '192.0.2.101/24', 'dev', 'va');
    expect((await sb.run('ip', 'monitor', p, { OCF_RESKEY_CRM_meta_interval: '10000' }, inA)).code).toBe(1);
    expect((await sb.run('ip', 'stop', p, {}, inA)).code).toBe(0);
    expect((await sb.run('ip', 'stop', {}, { OCF_RESOURCE_INSTANCE: 'never-started' }, inA)).code).toBe(0);
  });

  it('OCF_CHECK_LEVEL: 0 (unset) checks the address and the link only, 20 also pings the ping list from the address', async () => {
    const sb = ocfSandbox();
    writeFileSync(join(sb.dir, 'tunables'), 'IP_PINGTRIES=1\nIP_PINGTIME=1\n');
    const inA = ['ip', 'netns', 'exec', topo.a];
    const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };
    // Nobody on the link has 192.0.2.77: only a check through the data path can tell.
    const p = { address: '192.0.2.102/24', pingList: '192.0.2.77' };
    expect((await sb.run('ip', 'start', p, {}, inA)).code).toBe(0);
    expect((await sb.run('ip', 'monitor', p, recurring, inA)).code).toBe(0);
    expect((await sb.run('ip', 'monitor', p, { ...recurring, OCF_CHECK_LEVEL: '10' }, inA)).code).toBe(0);
    const deep = await sb.run('ip', 'monitor', p, { ...recurring, OCF_CHECK_LEVEL: '20' }, inA);
    expect(deep.code).toBe(1);
    expect(deep.stderr).toContain('none of the ping list (192.0.2.77) answered');
    const answered = { ...p, pingList: '192.0.2.2' };
    expect((await sb.run('ip', 'monitor', answered, { ...recurring, OCF_CHECK_LEVEL: '20' }, inA)).code).toBe(0);
    expect((await sb.run('ip', 'stop', p, {}, inA)).code).toBe(0);
    expect(topo.addrs(topo.a)).not.toContain('192.0.2.102');
  }, 60_000);

  it('passes the ocft cases', () => {
    const sb = ocfSandbox();
    const cfg = mkdtempSync(join(sb.dir, 'ocft-'));
    writeFileSync(
      join(cfg, 'ip'),
      readFileSync(OCFT_CONFIG, 'utf8')
        .replaceAll('@AGENT_ROOT@', join(sb.root, 'recovery-kit'))
        .replaceAll('@STATE_DIR@', sb.state)
        .replaceAll('@PEER@', '192.0.2.2'),
    );
    execFileSync('/usr/sbin/ocft', ['make', '-d', cfg, 'ip'], { encoding: 'utf8' });
    const out = execFileSync('ip', ['netns', 'exec', topo.a, '/usr/sbin/ocft', 'test', 'ip'], {
      encoding: 'utf8',
      env: { ...process.env, OCF_ROOT: '/usr/lib/ocf' },
    });
    // biome-ignore lint/suspicious/noControlCharactersInRegex: strips ocft's colour escapes
    const plain = out.replace(/\x1b\[[0-9;]*m/g, '');
    expect(plain).not.toMatch(/FAILED|ERROR/i);
    const cases = plain.split('\n').filter((l) => /^ip: .* - OK\.$/.test(l));
    expect(cases.length, plain).toBe(9);
    execFileSync('/usr/sbin/ocft', ['clean', 'ip']);
  }, 300_000);
});
