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
// Usage: node bench/mirror.mjs [runs=3] [writes=200]
// Figures go to docs/kits/mirror.md ("Benchmarks") by hand.
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const runs = Number(process.argv[2] ?? 3);
const writes = Number(process.argv[3] ?? 200);
const root = fileURLToPath(new URL('..', import.meta.url));
const imp = (p) => import(pathToFileURL(join(root, p)).href);
const { startLab, vmExec } = await imp('packages/vmlab/dist/index.js');
const { createTestContext } = await imp('packages/testing/dist/index.js');
const kit = (await imp('kits/mirror/dist/index.js')).default;
const { commands } = await imp('kits/mirror/dist/actions.js');

const base = { resource: 'r0', nodes: 'a=192.0.2.1,b=192.0.2.2', disk: '/dev/vdb', mountPoint: '/srv/data', fencing: 'resource-only' };
const log = (l) => process.stderr.write(`${l}\n`);
const lab = await startLab({
  vms: [
    { name: 'a', disksMiB: [64] },
    { name: 'b', disksMiB: [64] },
  ],
  links: [['a', 'b']],
  log,
});
const { a, b } = lab.vms;
const ctx = (vm, action, options = {}) => {
  const c = createTestContext(kit, {
    tag: 'data',
    action,
    server: vm.name,
    options: { ...base, ...options },
    timeoutMs: 600_000,
    tunables: { MIRROR_CONNECT_WAIT: 60 },
  });
  return { ...c, exec: vmExec({ vm, deadline: c.deadline, logger: c.logger }) };
};
const act = async (vm, name, options) => {
  const c = ctx(vm, name, options);
  const t = performance.now();
  try {
    await (kit.actions[name] ?? commands[name].run)(c, []);
    return performance.now() - t;
  } finally {
    c.dispose();
  }
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
const out = { bootMs: lab.bootMs, kernel: a.kernelRelease };
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
    removes.push(await act(src, 'remove'));
    restores.push(await act(dst, 'restore'));
    [src, dst] = [dst, src];
  }
  out.switchover = { removeMs: stats(removes), restoreMs: stats(restores), totalMs: stats(removes.map((r, i) => r + restores[i])) };
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
} finally {
  await lab.stop();
}
process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
