/**
 * The lab itself, on real qemu VMs: the image is cached by its inputs, two VMs boot from it,
 * run commands over the control channel (argv without a shell, stdin, exit codes, timeouts, in
 * parallel), reach each other over their loopback-socket link, see the project through 9p, and
 * reap killed daemons (PID 1 is the lab's init). One boot for the whole file.
 */
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureImage, imageKeys, labSkipReason, startLab, vmExec, type Lab } from '../src/index.ts';
import { isCommandFailed } from '@recovery-kit/sdk';

const skip = labSkipReason();
if (skip) console.warn(`vmlab tests skipped: ${skip}`);
const project = fileURLToPath(new URL('../../..', import.meta.url));

describe.skipIf(skip !== undefined)('vmlab (qemu, software emulation)', () => {
  let lab: Lab;
  beforeAll(async () => {
    lab = await startLab({
      vms: [{ name: 'a' }, { name: 'b' }],
      links: [['a', 'b']],
      shares: [{ host: project, guest: '/mnt/project', readonly: true }],
      log: (l) => console.log(l),
    });
    console.log(
      `vmlab: image ${lab.image.key} (${lab.image.built === 'none' ? 'cached' : `built ${lab.image.built} in ${(lab.image.buildMs / 1000).toFixed(0)} s`}), 2 VMs booted in ${(lab.bootMs / 1000).toFixed(1)} s`,
    );
  }, 1_200_000);
  afterAll(async () => lab?.stop());

  it('caches the image by its inputs: a second call builds nothing, other packages mean another key', async () => {
    const again = await ensureImage();
    expect(again.built).toBe('none');
    expect(again.key).toBe(lab.image.key);
    expect(imageKeys({ packages: ['kmod'] }).rootfsKey).not.toBe(lab.image.rootfsKey);
    expect(lab.image.manifest.packages).toContain('libreswan');
    expect(lab.vms.a!.kernelRelease).toBe(lab.image.manifest.kernelRelease);
  });

  it('runs argv without a shell, with stdin, exit codes and a time limit', async () => {
    const a = lab.vms.a!;
    const echo = await a.run(['/bin/echo', '$HOME;', "it's", 'a b']);
    expect(echo).toMatchObject({ exitCode: 0, stdout: "$HOME; it's a b\n" });
    expect(await a.run(['/bin/cat'], { input: 'line 1\nline 2\n' })).toMatchObject({ exitCode: 0, stdout: 'line 1\nline 2\n' });
    expect((await a.run(['/bin/sh', '-c', 'echo oops >&2; exit 3'])).exitCode).toBe(3);
    expect((await a.run(['/no/such/program'])).exitCode).toBe(127);
    const slow = await a.run(['sleep', '30'], { timeoutSec: 2 });
    expect(slow.timedOut).toBe(true);
    expect(slow.durationMs).toBeLessThan(25_000);
  });

  it('serves commands in parallel (a slow one does not hold up the others)', async () => {
    const a = lab.vms.a!;
    const slow = a.run(['sleep', '8']);
    const t = Date.now();
    expect((await a.run(['hostname'])).stdout.trim()).toBe('a');
    expect(Date.now() - t).toBeLessThan(7_000);
    expect((await slow).exitCode).toBe(0);
  });

  it('links the two VMs over a loopback socket', async () => {
    const { a, b } = lab.vms;
    await a!.sh(`ip link set ${lab.nic('a', 'b')} up && ip addr add 192.0.2.1/24 dev ${lab.nic('a', 'b')}`);
    await b!.sh(`ip link set ${lab.nic('b', 'a')} up && ip addr add 192.0.2.2/24 dev ${lab.nic('b', 'a')}`);
    const ping = await a!.run(['ping', '-c', '2', '-W', '5', '192.0.2.2']);
    expect(ping.stdout).toMatch(/2 received/);
    expect((await b!.run(['ping', '-c', '1', '-W', '2', '192.0.2.9'])).exitCode).not.toBe(0);
  });

  it('sees the project through 9p, read-only', async () => {
    const a = lab.vms.a!;
    expect((await a.run(['cat', '/mnt/project/packages/vmlab/package.json'])).stdout).toContain('"@recovery-kit/vmlab"');
    expect((await a.run(['touch', '/mnt/project/should-not-exist'])).exitCode).not.toBe(0);
  });

  it('reaps a killed daemon (no zombie left behind)', async () => {
    const a = lab.vms.a!;
    await a.sh('setsid sleep 1000 </dev/null >/dev/null 2>&1 & echo $! > /run/sleeper.pid');
    const pid = (await a.run(['cat', '/run/sleeper.pid'])).stdout.trim();
    await a.check(['kill', '-9', pid]);
    await new Promise((r) => setTimeout(r, 2000));
    expect((await a.run(['ps', '-o', 'stat=', '-p', pid])).stdout.trim()).toBe('');
  });

  it('gives kits a ctx.exec that runs in the guest, with the runner exec contract', async () => {
    const exec = vmExec({ vm: lab.vms.b!, deadline: Date.now() + 60_000 });
    expect((await exec('hostname')).stdout.trim()).toBe('b');
    expect((await exec('cat', [], { input: 'x' })).stdout).toBe('x');
    expect((await exec('sh', ['-c', 'exit 4'], { reject: false })).exitCode).toBe(4);
    const err = await exec('sh', ['-c', 'echo bad >&2; exit 5']).catch((e: unknown) => e);
    expect(isCommandFailed(err) && err.result.exitCode === 5 && /bad/.test(err.message)).toBe(true);
    expect((await exec('printenv', ['RK_X'], { env: { RK_X: 'y' } })).stdout.trim()).toBe('y');
  });
});
