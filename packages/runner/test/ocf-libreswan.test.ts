/**
 * The libreswan kit under the OCF agent, through the installed `ocf:recovery-kit:libreswan` as
 * Pacemaker runs it and through the real ocf-tester. Libreswan is the fake 4.10 of the kit's host
 * tests (kits/libreswan/test/fake-libreswan.ts: `ipsec`, `start-pluto`, `pidof`, `ping`, `ip`
 * replaying output recorded in the VM lab, with state: pluto, the tunnel) first on PATH;
 * everything else is real. The real Libreswan is in the VM lab (kits/libreswan/test/lab.test.ts).
 */
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { type NodeState, vpnNode } from '../../../kits/libreswan/test/fake-libreswan.ts';
import { ocfSandbox } from './ocf-helpers.ts';

const probe = { OCF_RESKEY_CRM_meta_interval: '0' };
const recurring = { OCF_RESKEY_CRM_meta_interval: '10000' };

/** A node where nothing ran: pluto stopped, the tunnel down (unless `initial` says otherwise). */
function setup(initial: Partial<NodeState> = { pluto: false, tunnel: false }, profile?: '1.0') {
  const sb = ocfSandbox(profile ? { profile } : {});
  const node = vpnNode('vpn-a', initial);
  onTestFinished(() => node.bin.cleanup());
  const p = {
    connection: 'vpn1',
    ipsec: join(node.bin.dir, 'ipsec'),
    daemonStart: join(node.bin.dir, 'start-pluto'),
    pingPublic: 'false',
    downOnRemove: 'true',
    runDir: join(sb.dir, 'run'),
  };
  const env = { PATH: node.bin.path };
  const run = (action: string, extra: NodeJS.ProcessEnv = {}) => sb.run('libreswan', action, p, { ...env, ...extra });
  return { sb, node, p, env, run };
}

describe('ocf:recovery-kit:libreswan', () => {
  it('passes ocf-tester (fake Libreswan 4.10: pluto started and the tunnel up by start, down after stop)', async () => {
    const t = setup({ pluto: false, tunnel: false }, '1.0');
    const r = await t.sb.tester('libreswan', 'vpn', t.p, t.env);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain('passed all tests');
    // ocf-tester's last action is a stop: downOnRemove=true took the tunnel down (pluto stays).
    expect(t.node.state()).toMatchObject({ pluto: true, tunnel: false });
    expect(t.node.log()).toEqual(expect.arrayContaining(['vpn-a start-pluto ', 'vpn-a ipsec auto --up vpn1', 'vpn-a ipsec auto --down vpn1']));
  }, 180_000);

  it('start, monitor, stop, monitor as Pacemaker runs them: 7 before start, 0 with the tunnel up, 7 after stop', async () => {
    const t = setup();
    expect((await t.run('monitor', probe)).code).toBe(7);
    const start = await t.run('start');
    expect(start.code, start.stderr).toBe(0);
    expect(t.node.state()).toMatchObject({ pluto: true, tunnel: true });
    expect((await t.run('monitor', recurring)).code).toBe(0);
    expect((await t.run('start')).code).toBe(0);
    const stop = await t.run('stop');
    expect(stop.code, stop.stderr).toBe(0);
    expect(t.node.state()).toMatchObject({ tunnel: false });
    expect((await t.run('monitor', recurring)).code).toBe(7);
    expect((await t.run('stop')).code).toBe(0);
  }, 120_000);

  it('a tunnel that fails behind its back is reported: the recurring monitor fails while the resource is started', async () => {
    const t = setup();
    expect((await t.run('start')).code).toBe(0);
    t.node.set({ tunnel: false, upWorks: false });
    const m = await t.run('monitor', recurring);
    expect(m.code, m.stderr).not.toBe(0);
    expect(m.stderr).toMatch(/no reply through the tunnel/);
  }, 120_000);

  it('stop when the tunnel is already down (pluto running, or not running at all) returns 0, starts nothing and brings nothing up', async () => {
    for (const s of [
      { pluto: true, tunnel: false },
      { pluto: false, tunnel: false },
    ]) {
      const t = setup(s);
      const stop = await t.run('stop');
      expect(stop.code, `${JSON.stringify(s)}: ${stop.stderr}`).toBe(0);
      expect(t.node.state()).toMatchObject(s);
      // (with pluto running, stop still says `auto --down`: harmless on a connection that is down)
      expect(t.node.log().filter((l) => / ipsec auto --up/.test(l) || / start-pluto/.test(l))).toEqual([]);
    }
  }, 120_000);

  it('a probe on a node where it never started returns 7: pluto stopped, and also with the tunnel up (the standby path, not in service here)', async () => {
    const down = setup({ pluto: false, tunnel: false });
    expect((await down.run('monitor', probe)).code).toBe(7);
    expect(down.node.state()).toMatchObject({ pluto: false, tunnel: false });
    const standby = setup({ pluto: true, tunnel: true });
    const m = await standby.run('monitor', probe);
    expect(m.code, m.stderr).toBe(7);
    expect(standby.node.state()).toMatchObject({ pluto: true, tunnel: true });
  }, 120_000);
});
