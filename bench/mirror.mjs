#!/usr/bin/env node
// Benchmark of the mirror kit in the VM lab (two qemu VMs under software emulation, DRBD 8.4.11,
// 64 MiB backing disks on /dev/vdb, one loopback-socket link):
//  1. switchover a -> b, `runs` times each way: remove on the source (unmount, demote, proof),
//     restore on the target (attach/adjust, settle, gate, promote, mount), and the parts;
//  2. resync throughput: a full resync (full-resync command, invalidate-remote) of the 64 MiB
//     device, timed from the command to UpToDate/UpToDate;
//  3. write latency, protocol C against A: `dd oflag=dsync bs=4k count=N` on the mounted mirror
//     (every write waits for the local disk, and in C for the peer's too), per-write time.
// Absolute figures are those of TCG emulation (no KVM): slow, and noisy on a shared machine;
// the comparison between C and A, and the split of a switchover, are what they show.
// Needs the workspace built (pnpm -r build, or the kit-mirror, vmlab and testing packages).
// Usage: node bench/mirror.mjs [runs=3] [writes=200] [--only=switchover] [--disk=MiB (64)] [--sync-rate=100M]
//   --only=switchover  part 1 only (no full resync, no write latency)
//   --sync-rate=R      MIRROR_SYNC_RATE for every action (a fixed resync rate, not DRBD's controller)
// The output records the load average of this machine before and after (the VMs are emulated
// on its CPUs: other jobs slow them down).
// Figures go to docs/kits/mirror.md ("Benchmarks") and docs/benchmarks.md by hand.
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const positional = process.argv.slice(2).filter((a) => !a.startsWith('--'));
const flag = (name) => process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1];
const runs = Number(positional[0] ?? 3);
const writes = Number(positional[1] ?? 200);
const only = flag('only');
const diskMiB = Number(flag('disk') ?? 64);
// A fixed resync rate (DRBD's resync-rate, c-plan-ahead 0) instead of DRBD's controller: the
// initial sync before a switchover-only run takes seconds instead of minutes under TCG.
const syncRate = flag('sync-rate');
if (only && only !== 'switchover') throw new Error(`--only=${only}: only --only=switchover is known`);
const root = fileURLToPath(new URL('..', import.meta.url));
const imp = (p) => import(pathToFileURL(join(root, p)).href);
const { startLab, vmExec } = await imp('packages/vmlab/dist/index.js');
const { createTestContext } = await imp('packages/testing/dist/index.js');
const kit = (await imp('kits/mirror/dist/index.js')).default;
// The kit's own commands (demote, promote, ...): dist/index.js is the whole kit (one module).
const commands = kit.commands ?? {};

const base = { resource: 'r0', nodes: 'a=192.0.2.1,b=192.0.2.2', disk: '/dev/vdb', mountPoint: '/srv/data', fencing: 'resource-only' };
const log = (l) => process.stderr.write(`${l}\n`);
const lab = await startLab({
  vms: [
    { name: 'a', disksMiB: [diskMiB] },
    { name: 'b', disksMiB: [diskMiB] },
  ],
  links: [['a', 'b']],
  log,
});
const { a, b } = lab.vms;
const ctx = (vm, action, options = {}, record = undefined) => {
  const c = createTestContext(kit, {
    tag: 'data',
    action,
    server: vm.name,
    options: { ...base, ...options },
    timeoutMs: 600_000,
    tunables: { MIRROR_CONNECT_WAIT: 60, ...(syncRate ? { MIRROR_SYNC_RATE: syncRate } : {}) },
  });
  return { ...c, exec: vmExec({ vm, deadline: c.deadline, logger: c.logger, ...(record ? { record } : {}) }) };
};
/** What each command of a kit action is, for the split of a switchover inside the kit. */
const kindOf = (command) =>
  /^drbdadm secondary/.test(command)
    ? 'demote'
    : /^drbdadm primary/.test(command)
      ? 'promote'
      : /^mount /.test(command)
        ? 'mount'
        : /^umount /.test(command)
          ? 'umount'
          : 'other';
const split = [];
const act = async (vm, name, options, record) => {
  const c = ctx(vm, name, options, record);
  const t = performance.now();
  try {
    await (kit.actions[name] ?? commands[name].run)(c, []);
    return performance.now() - t;
  } finally {
    c.dispose();
  }
};
/** A kit action with every command it ran timed: total, and the time and count per kind. */
const timed = async (vm, name) => {
  const record = [];
  const ms = await act(vm, name, undefined, record);
  const by = {};
  for (const r of record) {
    const k = kindOf(r.command);
    by[k] ??= { ms: 0, commands: 0 };
    by[k].ms += r.durationMs;
    by[k].commands += 1;
  }
  split.push({
    action: name,
    node: vm.name,
    ms: Math.round(ms),
    ...Object.fromEntries(Object.entries(by).map(([k, v]) => [k, { ms: Math.round(v.ms), commands: v.commands }])),
  });
  return ms;
};
const synced = async (vm) => {
  for (;;) {
    const e = (await vm.check(['drbdsetup', 'events2', '--now', '--statistics', 'r0'])).stdout;
    if (/ disk:UpToDate/.test(e) && /peer-disk:UpToDate/.test(e) && /replication:Established/.test(e)) return;
    await new Promise((r) => setTimeout(r, 500));
  }
};
const stats = (xs) => {
  const s = [...xs].sort((x, y) => x - y);
  return { median: Math.round(s[Math.floor(s.length / 2)]), min: Math.round(s[0]), max: Math.round(s.at(-1)), n: s.length };
};
const load = () => loadavg().map((x) => Math.round(x * 10) / 10);
const out = { bootMs: lab.bootMs, kernel: a.kernelRelease, diskMiB, syncRate: syncRate ?? 'controller', hostCpus: 2, loadBefore: load() };
try {
  for (const [vm, ip, peer] of [
    [a, '192.0.2.1', 'b'],
    [b, '192.0.2.2', 'a'],
  ])
    await vm.sh(`ip link set ${lab.nic(vm.name, peer)} up && ip addr add ${ip}/24 dev ${lab.nic(vm.name, peer)}`);
  await act(a, 'create');
  await act(b, 'extend');
  let t = performance.now();
  await synced(b);
  out.initialSyncMs = Math.round(performance.now() - t);
  await act(a, 'restore');

  // 1. switchover
  const removes = [];
  const restores = [];
  let src = a;
  let dst = b;
  for (let i = 0; i < runs * 2; i++) {
    removes.push(await timed(src, 'remove'));
    restores.push(await timed(dst, 'restore'));
    [src, dst] = [dst, src];
  }
  out.switchover = { removeMs: stats(removes), restoreMs: stats(restores), totalMs: stats(removes.map((r, i) => r + restores[i])) };
  // Inside the kit: the demote, promote, mount and umount commands, and everything else it ran (checks).
  const within = (action, kind) => stats(split.filter((x) => x.action === action).map((x) => x[kind]?.ms ?? 0));
  const count = (action, kind) => stats(split.filter((x) => x.action === action).map((x) => x[kind]?.commands ?? 0));
  out.switchoverInsideKit = {
    remove: {
      umount: within('remove', 'umount'),
      demote: within('remove', 'demote'),
      other: within('remove', 'other'),
      otherCommands: count('remove', 'other'),
    },
    restore: {
      promote: within('restore', 'promote'),
      mount: within('restore', 'mount'),
      other: within('restore', 'other'),
      otherCommands: count('restore', 'other'),
    },
  };
  out.switchoverRuns = split;
  // The parts, by hand on the current source/target: umount, drbdadm secondary, drbdadm primary, mount.
  const part = async (vm, argv) => {
    const t0 = performance.now();
    await vm.check(argv);
    return performance.now() - t0;
  };
  const parts = { umount: [], demote: [], promote: [], mount: [] };
  for (let i = 0; i < runs; i++) {
    parts.umount.push(await part(src, ['umount', '/srv/data']));
    parts.demote.push(await part(src, ['drbdadm', 'secondary', 'r0']));
    parts.promote.push(await part(dst, ['drbdadm', 'primary', 'r0']));
    parts.mount.push(await part(dst, ['mount', '-t', 'ext4', '/dev/drbd0', '/srv/data']));
    [src, dst] = [dst, src];
  }
  out.switchoverParts = Object.fromEntries(Object.entries(parts).map(([k, v]) => [k, stats(v)]));
  const sum = (k) => out.switchoverParts[k].median;
  out.switchoverPartsTotalMs = sum('umount') + sum('demote') + sum('promote') + sum('mount');
  out.loadAfterSwitchover = load();

  if (only !== 'switchover') {
    // 2. resync throughput: full resync of the whole device from the source.
    await synced(dst);
    t = performance.now();
    await act(src, 'full-resync');
    await synced(dst);
    const ms = performance.now() - t;
    const kib = Number(/ size:(\d+)/.exec((await src.check(['drbdsetup', 'events2', '--now', '--statistics', 'r0'])).stdout)[1]);
    out.fullResync = { KiB: kib, ms: Math.round(ms), MiBps: Math.round((kib / 1024 / (ms / 1000)) * 100) / 100 };

    // 3. write latency, C against A (drbdadm adjust applies the protocol change on line).
    out.writeLatency = {};
    for (const protocol of ['C', 'A', 'C']) {
      await act(src, 'restore', { protocol });
      await act(dst, 'extend', { protocol });
      await src.check(['drbdadm', 'adjust', 'r0']);
      const r = await src.check(['sh', '-c', `dd if=/dev/zero of=/srv/data/lat bs=4k count=${writes} oflag=dsync 2>&1 | tail -1`]);
      const secs = Number(/copied, ([\d.]+) s/.exec(r.stdout)?.[1]);
      out.writeLatency[`${protocol}${out.writeLatency[protocol] ? '-again' : ''}`] = {
        writes,
        seconds: secs,
        msPerWrite: Math.round(((secs * 1000) / writes) * 100) / 100,
      };
    }
    const local = await src.check(['sh', '-c', `dd if=/dev/zero of=/root/lat bs=4k count=${writes} oflag=dsync 2>&1 | tail -1`]);
    const ls = Number(/copied, ([\d.]+) s/.exec(local.stdout)?.[1]);
    out.writeLatency.rootDiskNoMirror = { writes, seconds: ls, msPerWrite: Math.round(((ls * 1000) / writes) * 100) / 100 };
  }
} finally {
  await lab.stop();
}
out.loadAfter = load();
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
