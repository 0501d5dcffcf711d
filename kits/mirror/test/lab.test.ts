/**
 * The mirror kit against real DRBD (Debian bookworm: the kernel's DRBD 8.4.11 module, drbd-utils
 * 9.22 through drbdsetup-84) in two lab VMs, a and b, one cable between them (192.0.2.1/.2), each
 * with a second virtual disk /dev/vdb (32 MiB) as the backing device of r0 and a third, /dev/vdc
 * (64 MiB), for r1. The kit's actions on r0 run here with a context whose exec runs every
 * command inside one VM. One boot for the file; the scenarios run in order and build on each
 * other: create and extend (initial full sync); the gate refuses a resyncing and an
 * Inconsistent copy; switchover a -> b with data read back; the gate refuses to promote next to
 * a live primary; split brain detected and reported (and a forced promotion); b crashes during
 * synchronous writes, a takes over with every acknowledged write, b returns and resyncs.
 * Last, through the real kit-runner inside the VMs (the project and the host's Node.js over 9p,
 * one store shared by both): a PostgreSQL cluster on an existing ext4 on a's /dev/vdc is
 * mirrored as it is (existingFs), a postgresql resource over the mirror resource; pause,
 * status, force-online, resume during the full sync; a crashes during committed transactions and
 * `kit-runner action pgdb restore` on b brings the database up with every committed row and the
 * file system's earlier files.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestContext } from '@recovery-kit/testing';
import { labSkipReason, startLab, vmExec, type Lab, type Vm } from '@recovery-kit/vmlab';
import { isKitError, type KitError, type RawValue } from '@recovery-kit/sdk';
import kit from '../src/index.ts';
import { commands } from '../src/actions.ts';
import type { Report } from '../src/mirror.ts';

const skip = labSkipReason();
if (skip) console.warn(`mirror lab tests skipped: ${skip}`);

const PROJECT = fileURLToPath(new URL('../../..', import.meta.url));
const OPTIONS = { resource: 'r0', nodes: 'a=192.0.2.1,b=192.0.2.2', disk: '/dev/vdb', mountPoint: '/srv/data', protocol: 'C', fencing: 'resource-only' };
const times: Record<string, number> = {};
type ActionName = 'create' | 'extend' | 'restore' | 'remove' | 'recover';
type Cmd = keyof typeof commands;

describe.skipIf(skip !== undefined)('mirror kit in the VM lab (DRBD 8.4, two VMs)', () => {
  let lab: Lab;
  let a: Vm;
  let b: Vm;
  const ackDir = mkdtempSync(join(tmpdir(), 'rk-mirror-acks-'));
  // kit-runner's store, shared by both VMs (rw 9p), and the PostgreSQL writer's acknowledgements.
  const shared = mkdtempSync(join(tmpdir(), 'rk-mirror-shared-'));

  const ctx = (vm: Vm, action: string, tunables: Record<string, RawValue> = {}, timeoutMs = 400_000) => {
    const base = createTestContext(kit, {
      tag: 'data',
      action,
      server: vm.name,
      options: OPTIONS,
      timeoutMs,
      tunables: { MIRROR_CONNECT_WAIT: 60, ...tunables },
    });
    return { ...base, exec: vmExec({ vm, deadline: base.deadline, logger: base.logger }) };
  };
  const act = async (vm: Vm, name: ActionName, tunables: Record<string, RawValue> = {}) => {
    const c = ctx(vm, name, tunables);
    const t = Date.now();
    console.log(`${new Date().toISOString()} ${vm.name}: ${name}`);
    try {
      const value = await kit.actions[name]!(c);
      return { ok: true as const, value, ms: Date.now() - t, logs: c.logs };
    } catch (err) {
      return { ok: false as const, error: err as KitError, ms: Date.now() - t, logs: c.logs };
    } finally {
      c.dispose();
    }
  };
  const ok = async (vm: Vm, name: ActionName, tunables: Record<string, RawValue> = {}) => {
    const r = await act(vm, name, tunables);
    if (!r.ok) throw new Error(`${name} on ${vm.name} failed: ${r.error.message} (fix: ${r.error.fix ?? '-'})\n${r.logs.map((l) => l.message).join('\n')}`);
    return r;
  };
  const cmd = async (vm: Vm, name: Cmd, args: string[] = [], tunables: Record<string, RawValue> = {}) => {
    const c = ctx(vm, name, tunables);
    console.log(`${new Date().toISOString()} ${vm.name}: action ${name} ${args.join(' ')}`);
    try {
      return { ok: true as const, value: (await commands[name].run(c, args)) as Report & { forced?: boolean; overrode?: string[] }, logs: c.logs };
    } catch (err) {
      return { ok: false as const, error: err as KitError, logs: c.logs };
    } finally {
      c.dispose();
    }
  };
  const quickCheck = async (vm: Vm) => {
    const c = ctx(vm, 'quickCheck');
    try {
      return (await kit.actions.quickCheck!(c))!;
    } finally {
      c.dispose();
    }
  };
  const events = async (vm: Vm, res = 'r0') => (await vm.check(['drbdsetup', 'events2', '--now', '--statistics', res])).stdout;
  const waitSynced = async (vm: Vm, ms = 600_000, res = 'r0') => {
    const until = Date.now() + ms;
    for (;;) {
      const e = await events(vm, res);
      if (/disk:UpToDate/.test(e) && /peer-disk:UpToDate/.test(e) && /replication:Established/.test(e)) return;
      if (Date.now() > until) throw new Error(`not in sync after ${ms / 1000} s:\n${e}`);
      await new Promise((r) => setTimeout(r, 2000));
    }
  };
  const lostPeer = async (vm: Vm, ms = 180_000, res = 'r0') => {
    const until = Date.now() + ms;
    while (/connection:Connected/.test(await events(vm, res))) {
      if (Date.now() > until) throw new Error(`${vm.name} still connected after ${ms / 1000} s`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  };
  const net = async (vm: Vm, ip: string, peer: string) => {
    const nic = lab.nic(vm.name, peer);
    await vm.sh(`ip link set ${nic} up && ip addr add ${ip}/24 dev ${nic}`);
  };

  beforeAll(async () => {
    const common = [
      { host: PROJECT, guest: '/mnt/project', readonly: true },
      { host: dirname(process.execPath), guest: '/mnt/hostbin', readonly: true },
      { host: shared, guest: '/mnt/rkstate' },
    ];
    lab = await startLab({
      vms: [
        { name: 'a', disksMiB: [32, 64], shares: common },
        { name: 'b', disksMiB: [32, 64], shares: [...common, { host: ackDir, guest: '/mnt/acks' }] },
      ],
      links: [['a', 'b']],
      log: (l) => console.log(l),
    });
    a = lab.vms.a!;
    b = lab.vms.b!;
    await net(a, '192.0.2.1', 'b');
    await net(b, '192.0.2.2', 'a');
    console.log(`mirror lab: 2 VMs in ${(lab.bootMs / 1000).toFixed(1)} s, kernel ${a.kernelRelease}`);
  }, 1_200_000);
  afterAll(async () => {
    await lab?.stop();
    rmSync(ackDir, { recursive: true, force: true });
    rmSync(shared, { recursive: true, force: true });
    console.log(`mirror lab times (ms): ${JSON.stringify(times)}`);
  });

  it('create refuses bad input with the field named and changes nothing', async () => {
    const c = ctx(a, 'create');
    const bad = { ...c, options: { ...c.options, disk: '/dev/vdz' } };
    const err = await Promise.resolve()
      .then(() => kit.actions.create!(bad as never))
      .catch((e: unknown) => e);
    c.dispose();
    expect(isKitError(err) && err.field).toBe('disk');
    // A disk that holds a file system is not overwritten without existingFs.
    await a.check(['mkfs.ext4', '-q', '-F', '/dev/vdb']);
    const refused = await act(a, 'create');
    expect(refused.ok).toBe(false);
    expect(!refused.ok && refused.error.field).toBe('disk');
    expect(!refused.ok && refused.error.message).toMatch(/ext4/);
    await a.check(['wipefs', '-a', '/dev/vdb']);
  }, 300_000);

  it('creates the mirror on a (initial source, file system made) and extends it to b (full sync starts)', async () => {
    // A slow fixed resync rate (300 KiB/s), so that the next scenario finds it still running.
    const created = await ok(a, 'create', { MIRROR_SYNC_RATE: '300K' });
    expect(created.value).toMatchObject({ info: { role: 'Primary', device: '/dev/drbd0', engine: expect.stringMatching(/DRBD 8\.4/) } });
    const extended = await ok(b, 'extend', { MIRROR_SYNC_RATE: '300K' });
    expect(extended.value).toMatchObject({ info: { node: 'b' } });
    // Idempotent: create again finds the metadata and the role.
    expect((await ok(a, 'create', { MIRROR_SYNC_RATE: '300K' })).value).toMatchObject({ info: { role: 'Primary' } });
  }, 600_000);

  it('refuses to promote b while it is Inconsistent and a resync target, with the reason; force-online cannot override it', async () => {
    const paused = await cmd(a, 'pause');
    expect(paused.ok).toBe(true);
    const st = await cmd(b, 'status');
    expect(st.ok && st.value.peers[0]!.volumes[0]!.replication).toBe('PausedSyncT');
    expect(st.ok && st.value.summary).toMatch(/%.*out of sync/);
    const r = await act(b, 'restore', { MIRROR_SYNC_RATE: '300K' });
    expect(r.ok).toBe(false);
    expect(!r.ok && r.error.code).toBe('PROMOTION_REFUSED');
    expect(!r.ok && r.error.message).toMatch(/Inconsistent/);
    expect(!r.ok && r.error.message).toMatch(/resync target \(PausedSyncT\)/);
    expect(!r.ok && (r.error.details as { forceable: boolean }).forceable).toBe(false);
    const forced = await cmd(b, 'force-online', [], { MIRROR_SYNC_RATE: '300K' });
    expect(!forced.ok && forced.error.code).toBe('FORCE_REFUSED');
    expect(await events(b)).toMatch(/role:Secondary/);
    // A fixed fast rate for the rest of the sync (DRBD's own controller moves 0.2-0.4 MiB/s under
    // TCG; 100M here is whatever the emulated link carries, ~1-3 MiB/s); later restores return
    // to the controller (the resource file is rewritten without the rate).
    await ok(a, 'create', { MIRROR_SYNC_RATE: '100M' });
    await ok(b, 'extend', { MIRROR_SYNC_RATE: '100M' });
    expect((await cmd(a, 'resume')).ok).toBe(true);
    const t = Date.now();
    const watched = await cmd(a, 'status', ['--watch']);
    expect(watched.ok && watched.value.resyncing).toBe(false);
    await waitSynced(b);
    times.initialSync32MiB = Date.now() - t;
  }, 900_000);

  it('restore on a mounts the mirror; data written there is read back on b after a switchover', async () => {
    const r = await ok(a, 'restore');
    times.restoreInitial = r.ms;
    expect(await quickCheck(a)).toMatchObject({ status: 'ok' });
    await a.sh(
      'dd if=/dev/urandom of=/srv/data/blob bs=1M count=4 status=none && sha256sum /srv/data/blob > /srv/data/blob.sha && echo hello-from-a > /srv/data/note && sync',
    );
    const sum = (await a.check(['sha256sum', '/srv/data/blob'])).stdout.split(' ')[0];
    expect(await quickCheck(b)).toMatchObject({ status: 'failed', reason: expect.stringMatching(/Secondary/) });
    const rm = await ok(a, 'remove');
    times.switchoverRemove = rm.ms;
    expect((await a.run(['findmnt', '/srv/data'])).exitCode).not.toBe(0);
    expect(await events(a)).toMatch(/role:Secondary/);
    expect((await ok(a, 'remove')).ok).toBe(true); // idempotent
    const up = await ok(b, 'restore');
    times.switchoverRestore = up.ms;
    expect((await b.check(['cat', '/srv/data/note'])).stdout).toBe('hello-from-a\n');
    expect((await b.check(['sha256sum', '/srv/data/blob'])).stdout.split(' ')[0]).toBe(sum);
    expect(await quickCheck(b)).toMatchObject({ status: 'ok' });
    expect((await ok(b, 'restore')).ok).toBe(true); // idempotent
  }, 900_000);

  it('refuses to promote a while it is connected to b, a live primary', async () => {
    const r = await act(a, 'restore');
    expect(!r.ok && r.error.code).toBe('PROMOTION_REFUSED');
    expect(!r.ok && r.error.message).toMatch(/connected to b, which is Primary/);
    const sc = await cmd(a, 'score');
    expect(sc.ok && (sc.value as unknown as { score: unknown }).score).toBe(null);
  }, 300_000);

  it('detects and reports split brain (after a forced promotion on a cut-off node); never resolves it on its own', async () => {
    // Cut the link, then the operator forces a online although b's state is unknown.
    await a.sh('iptables -A INPUT -s 192.0.2.2 -j DROP && iptables -A OUTPUT -d 192.0.2.2 -j DROP');
    await lostPeer(a);
    const refused = await act(a, 'restore', { MIRROR_CONNECT_WAIT: 5 });
    expect(!refused.ok && refused.error.message).toMatch(/not confirmed the peer fenced/);
    expect(!refused.ok && (refused.error.details as { forceable: boolean }).forceable).toBe(true);
    const forced = await cmd(a, 'force-online', [], { MIRROR_CONNECT_WAIT: 5 });
    expect(forced.ok).toBe(true);
    expect(forced.ok && forced.value.forced).toBe(true);
    expect(forced.logs.some((l) => l.level === 'warn' && /FORCE ONLINE/.test(l.message))).toBe(true);
    await a.sh('echo from-a > /srv/data/split && sync');
    await b.sh('echo from-b > /srv/data/split && sync');
    await a.sh('iptables -F');
    // DRBD sees two diverged primaries, refuses to resync (after-sb-* disconnect): StandAlone.
    const until = Date.now() + 180_000;
    let rep: Report | undefined;
    while (Date.now() < until) {
      const st = await cmd(b, 'status');
      if (st.ok && st.value.problems.some((p) => p.kind === 'split-brain')) {
        rep = st.value;
        break;
      }
      await new Promise((r) => setTimeout(r, 3000));
    }
    expect(rep, 'split brain reported').toBeDefined();
    expect(rep!.summary).toMatch(/SPLIT-BRAIN/);
    expect(rep!.summary).toMatch(/--discard-my-data/);
    const qc = await quickCheck(b);
    expect(qc).toMatchObject({ status: 'failed', reason: expect.stringMatching(/split brain/) });
    const rec = await act(b, 'recover');
    expect(!rec.ok && rec.error.code).toBe('SPLIT_BRAIN');
    expect((await b.check(['cat', '/srv/data/split'])).stdout).toBe('from-b\n'); // nothing discarded
    // The operator resolves it: a is the victim.
    expect((await ok(a, 'remove')).ok).toBe(true);
    await a.sh('drbdadm disconnect r0 || true; drbdadm connect --discard-my-data r0; rm -f /var/lib/drbd/rk-split-brain-r0');
    await b.sh('drbdadm disconnect r0 || true; drbdadm connect r0; rm -f /var/lib/drbd/rk-split-brain-r0');
    await waitSynced(b);
    expect(await quickCheck(b)).toMatchObject({ status: 'ok' });
  }, 900_000);

  it('b crashes during synchronous writes; a takes over with every acknowledged write; b returns and resyncs', async () => {
    // b writes numbered records, each fsynced on the mirror, then acknowledged on the host (9p).
    await b.sh(`cat > /run/writer.sh <<'SH'
i=0
while :; do i=$((i+1)); echo "record $i" >> /srv/data/records; sync /srv/data/records 2>/dev/null || sync; echo $i >> /mnt/acks/acked; done
SH
setsid sh /run/writer.sh </dev/null >/dev/null 2>&1 &`);
    const until = Date.now() + 120_000;
    const acked = () => {
      try {
        return readFileSync(join(ackDir, 'acked'), 'utf8').trim().split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    while (acked() < 20 && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    await b.stop(); // qemu ends at once: the guest gets no shutdown
    const last = acked();
    expect(last).toBeGreaterThanOrEqual(20);
    await lostPeer(a); // DRBD's ping timeout (the cluster would wait for its own, then fence)
    // Without the cluster's word that b is fenced the gate refuses; with it, a takes over.
    const refused = await act(a, 'restore', { MIRROR_CONNECT_WAIT: 10 });
    expect(!refused.ok && refused.error.message).toMatch(/not confirmed the peer fenced/);
    const t = Date.now();
    const up = await ok(a, 'restore', { MIRROR_PEER_FENCED: true, MIRROR_CONNECT_WAIT: 10 });
    times.failoverRestore = up.ms;
    const records = (await a.check(['cat', '/srv/data/records'])).stdout.trim().split('\n');
    const max = Number(records.at(-1)!.split(' ')[1]);
    expect(max).toBeGreaterThanOrEqual(last);
    expect(records.slice(0, last)).toEqual(Array.from({ length: last }, (_, i) => `record ${i + 1}`));
    await a.sh('echo after-failover > /srv/data/after && sync');
    times.failoverToWritable = Date.now() - t;
    // b returns (its root disk is a fresh snapshot; its backing disk kept its data).
    await b.start();
    await net(b, '192.0.2.2', 'a');
    await ok(b, 'extend');
    await waitSynced(b);
    expect(await quickCheck(a)).toMatchObject({ status: 'ok' });
    const st = await cmd(b, 'status');
    expect(st.ok && st.value.volumes[0]!.disk).toBe('UpToDate');
    expect(st.ok && st.value.problems).toEqual([]);
  }, 1_200_000);

  // ---- PostgreSQL over a mirror of an existing file system, through kit-runner inside the VMs ----
  const PG = '/usr/lib/postgresql/15/bin';
  const R1 = ['--opt', 'resource=r1', '--opt', 'nodes=a=192.0.2.1,b=192.0.2.2', '--opt', 'disk=/dev/vdc', '--opt', 'minor=1', '--opt', 'port=7790'];
  const kr = async (vm: Vm, ...args: string[]) => {
    const env = [
      `KIT_RUNNER_NODE=${vm.name}`,
      'KIT_RUNNER_STATE_DIR=/mnt/rkstate/store',
      'KIT_RUNNER_TUNABLES=/etc/rk-lab.conf',
      'KIT_RUNNER_KITS_DIR=/mnt/project/kits',
    ];
    const t = Date.now();
    console.log(`${new Date().toISOString()} ${vm.name}: kit-runner ${args.join(' ')}`);
    const r = await vm.run(['env', ...env, '/mnt/hostbin/node', '/mnt/project/packages/runner/bin/kit-runner.js', ...args], { timeoutSec: 600 });
    const key = `kit-runner ${args.slice(0, 3).join(' ')} (${vm.name})`;
    times[key] = Date.now() - t;
    return { ...r, out: `${r.stdout}\n${r.stderr}` };
  };
  const krOk = async (vm: Vm, ...args: string[]) => {
    const r = await kr(vm, ...args);
    if (r.exitCode !== 0) throw new Error(`kit-runner ${args.join(' ')} on ${vm.name} exited ${r.exitCode}:\n${r.out}`);
    return r;
  };
  const psql = (vm: Vm, sql: string) => vm.check([`${PG}/psql`, '-h', '/run/postgresql', '-U', 'postgres', '-qAt', '-v', 'ON_ERROR_STOP=1', '-c', sql]);

  it('PostgreSQL over a mirror of its existing file system (existingFs), run by kit-runner in the VMs: pause, status, force-online, resume during the full sync', async () => {
    // A short link wait: a restores before b has the mirror (nothing to wait for).
    const tunables = 'MIRROR_CONNECT_WAIT=5\nMIRROR_SYNC_RATE=100M\nADMIN_TIMEOUT=600\n';
    for (const vm of [a, b]) {
      await vm.writeFile('/etc/rk-lab.conf', tunables);
      await vm.sh('install -d -o postgres -g postgres /run/postgresql /srv/pg');
    }
    // Before any mirror: a's /dev/vdc holds an ext4 with a PostgreSQL cluster (rows committed) and a file.
    await a.sh(`mkfs.ext4 -q -F -J size=1 /dev/vdc && mount /dev/vdc /srv/pg && install -d -o postgres -g postgres -m 0700 /srv/pg/data
runuser -u postgres -- ${PG}/initdb -D /srv/pg/data --wal-segsize=1 -A peer -U postgres >/dev/null
printf 'local all all peer map=rk\\n' > /srv/pg/data/pg_hba.conf
printf 'rk root postgres\\nrk postgres postgres\\n' >> /srv/pg/data/pg_ident.conf
printf "listen_addresses = ''\\nunix_socket_directories = '/run/postgresql'\\nmin_wal_size = 4MB\\nmax_wal_size = 16MB\\nshared_buffers = 16MB\\n" >> /srv/pg/data/postgresql.conf
runuser -u postgres -- ${PG}/pg_ctl -D /srv/pg/data -l /tmp/pg-setup.log -w start >/dev/null`);
    await psql(a, "create table t (id int primary key, what text not null); insert into t select g, 'before the mirror' from generate_series(1, 100) g");
    await a.sh(`runuser -u postgres -- ${PG}/pg_ctl -D /srv/pg/data -m fast -w stop >/dev/null
dd if=/dev/urandom of=/srv/pg/blob bs=64k count=16 status=none && cd /srv/pg && sha256sum blob > blob.sha256 && sync`);
    // The mirror of that file system (a stays mounted: create unmounts it), then the database over it.
    const created = await krOk(
      a,
      'create',
      'mirror',
      '--tag',
      'pgfs',
      ...R1,
      '--opt',
      'mountPoint=/srv/pg',
      '--opt',
      'existingFs=true',
      '--opt',
      'fencing=resource-only',
    );
    expect(created.out).toMatch(/created/);
    expect(await events(a, 'r1')).toMatch(/role:Primary/);
    await krOk(a, 'action', 'pgfs', 'restore');
    expect((await a.check(['sh', '-c', 'cd /srv/pg && sha256sum -c blob.sha256'])).stdout).toMatch(/blob: OK/);
    await krOk(a, 'create', 'postgresql', '--tag', 'pgdb', '--opt', 'dataDir=/srv/pg/data', '--opt', 'socketDir=/run/postgresql');
    await krOk(a, 'dep', 'add', 'pgdb', 'pgfs');
    // Paused before b connects, so that the full sync is found running and paused.
    const paused = await krOk(a, 'action', 'pgfs', 'pause');
    expect(paused.out).toMatch(/paused/i);
    // b: extend the hierarchy (the mirror first: metadata, attach, connect; the full sync starts).
    const ext = await krOk(b, 'extend', 'pgdb', '--server', 'b', '--priority', '2');
    expect(ext.out).toMatch(/extended pgfs, pgdb to b/);
    const st = await krOk(b, 'action', 'pgfs', 'status', '--json');
    const rep = JSON.parse(st.stdout).result as Report;
    expect(rep.peers[0]!.volumes[0]!.replication).toBe('PausedSyncT');
    expect(rep.volumes[0]!.disk).toBe('Inconsistent');
    expect(rep.summary).toMatch(/%.*out of sync/);
    const forced = await kr(b, 'action', 'pgfs', 'force-online');
    expect(forced.exitCode).not.toBe(0);
    expect(forced.out).toMatch(/force-online refused: .*Inconsistent/);
    expect(await events(b, 'r1')).toMatch(/role:Secondary/);
    expect((await krOk(a, 'action', 'pgfs', 'resume')).out).toMatch(/resumed|SyncSource/i);
    // The database starts on a while the sync runs (the mirror is already in service there).
    const up = await krOk(a, 'action', 'pgdb', 'restore');
    expect(up.out).toMatch(/restore pgfs: skipped \(already in service\)/);
    await psql(a, "insert into t select g, 'during the sync' from generate_series(101, 150) g");
    const t = Date.now();
    const watched = await krOk(a, 'action', 'pgfs', 'status', '--', '--watch');
    expect(watched.out).toMatch(/UpToDate/);
    await waitSynced(b, 600_000, 'r1');
    times.r1FullSync64MiB = Date.now() - t;
  }, 1_500_000);

  it('a crashes during committed transactions; kit-runner action pgdb restore on b: every committed row and the earlier files are there', async () => {
    // a commits one row per transaction (autocommit), each acknowledged on the host (9p) once psql returns.
    await a.sh(`cat > /run/pgwriter.sh <<'SH'
i=0
while :; do i=$((i+1)); ${PG}/psql -h /run/postgresql -U postgres -qAt -v ON_ERROR_STOP=1 -c "insert into t values (1000 + $i, 'committed')" >/dev/null 2>&1 || exit 1; echo $i >> /mnt/rkstate/pg-acked; done
SH
setsid sh /run/pgwriter.sh </dev/null >/dev/null 2>&1 &`);
    const acked = () => {
      try {
        return readFileSync(join(shared, 'pg-acked'), 'utf8').trim().split('\n').filter(Boolean).length;
      } catch {
        return 0;
      }
    };
    const until = Date.now() + 180_000;
    while (acked() < 5 && Date.now() < until) await new Promise((r) => setTimeout(r, 500));
    await a.stop(); // qemu ends at once: PostgreSQL and DRBD get no shutdown
    const last = acked();
    expect(last).toBeGreaterThanOrEqual(5);
    await lostPeer(b, 180_000, 'r1');
    // DRBD on b has seen a go: no link to wait for.
    await b.writeFile('/etc/rk-lab.conf', 'MIRROR_CONNECT_WAIT=2\nMIRROR_SYNC_RATE=100M\nADMIN_TIMEOUT=600\n');
    // Without the cluster's word that a is fenced the gate refuses (the database is not started).
    const refused = await kr(b, 'action', 'pgdb', 'restore');
    expect(refused.exitCode).not.toBe(0);
    expect(refused.out).toMatch(/not confirmed the peer fenced/);
    expect(await events(b, 'r1')).toMatch(/role:Secondary/);
    // The operator (or the cluster) confirms a fenced: restore on b takes the hierarchy over.
    await b.writeFile('/etc/rk-lab.conf', 'MIRROR_CONNECT_WAIT=2\nMIRROR_SYNC_RATE=100M\nADMIN_TIMEOUT=600\nMIRROR_PEER_FENCED=true\n');
    const t = Date.now();
    const over = await krOk(b, 'action', 'pgdb', 'restore');
    times.pgFailoverRestore = Date.now() - t;
    expect(over.out).toMatch(/restore pgfs: ok/);
    expect(over.out).toMatch(/restore pgdb: ok/);
    expect((await b.check(['sh', '-c', 'cd /srv/pg && sha256sum -c blob.sha256'])).stdout).toMatch(/blob: OK/);
    expect((await psql(b, "select count(*) from t where what in ('before the mirror', 'during the sync')")).stdout.trim()).toBe('150');
    const ids = (await psql(b, "select id - 1000 from t where what = 'committed' order by id")).stdout.trim().split('\n').map(Number);
    // Every acknowledged commit is there (one more may have committed after its last acknowledgement).
    expect(ids.slice(0, last)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
    expect(ids.length).toBeLessThanOrEqual(last + 1);
    const qc = await kr(b, 'action', 'pgdb', 'quickCheck');
    expect(qc.exitCode, qc.out).toBe(0);
    expect(qc.out).toMatch(/quickCheck pgdb on b: healthy/);
  }, 900_000);
});
