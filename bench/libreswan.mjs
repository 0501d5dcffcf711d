#!/usr/bin/env node
// Benchmark of the Libreswan tunnel kit in the VM lab (two qemu VMs, Libreswan 4.10, software
// emulation): for each way of breaking the tunnel, the time from breaking it to a failed
// quickCheck (detection, without the monitor's check interval), and the time recover takes to
// repair it; and a healthy quickCheck. The kit runs here; its commands run in the VM through the
// lab's command channel (about 0.3-1 s per command under emulation, most of every figure).
// Anchor (docs/kits/libreswan.md): the AWS VPN/NAT monitor script detects in 3-9 s (3 pings of 1 s).
// Needs the workspace built (pnpm -r build) and qemu. Usage: node bench/libreswan.mjs [runs=3]
import { fileURLToPath, pathToFileURL } from 'node:url';
import { join } from 'node:path';

const runs = Number(process.argv[2] ?? 3);
const root = fileURLToPath(new URL('..', import.meta.url));
const load = (p) => import(pathToFileURL(join(root, p)).href);
const { startLab, vmExec, labSkipReason } = await load('packages/vmlab/dist/index.js');
const { createTestContext } = await load('packages/testing/dist/index.js');
const kit = (await load('kits/libreswan/dist/index.js')).default;

const skip = labSkipReason();
if (skip) {
  console.log(`skipped: ${skip}`);
  process.exit(0);
}
const PSK = 'bench-only-psk-0123456789abcdef0123';
const conf = (auto) => `config setup\n\tlogfile=/var/log/pluto.log\nconn vpn1\n\ttype=tunnel\n\tauthby=secret\n\tikev2=yes\n\tleft=192.0.2.1\n\tleftid=192.0.2.1\n\tleftsubnet=10.0.0.0/16\n\tleftsourceip=10.0.0.5\n\tright=192.0.2.2\n\trightid=192.0.2.2\n\trightsubnet=172.16.0.0/16\n\trightsourceip=172.16.0.5\n\tauto=${auto}\n`;
const t0 = Date.now();
const lab = await startLab({ vms: [{ name: 'east' }, { name: 'west' }], links: [['east', 'west']] });
const boot = Date.now() - t0;
const { east, west } = lab.vms;
const ctx = (action) => {
  const base = createTestContext(kit, { tag: 'vpn', action, options: { connection: 'vpn1', daemonStart: '/usr/libexec/ipsec/pluto --config /etc/ipsec.conf' }, timeoutMs: 150_000, tunables: { OPENSWAN_UP_WAIT: 20 } });
  return { ...base, exec: vmExec({ vm: east, deadline: base.deadline }) };
};
const timed = async (action) => {
  const c = ctx(action);
  const t = Date.now();
  try {
    const value = await kit.actions[action](c);
    return { ms: Date.now() - t, value };
  } finally {
    c.dispose();
  }
};
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
try {
  for (const [vm, pub, local, auto] of [[east, '192.0.2.1', '10.0.0.5', 'start'], [west, '192.0.2.2', '172.16.0.5', 'add']]) {
    await vm.sh(`ip link set eth0 up && ip addr add ${pub}/24 dev eth0 && ip link add lan0 type dummy && ip link set lan0 up && ip addr add ${local}/32 dev lan0`);
    await vm.writeFile('/etc/ipsec.conf', conf(auto));
    await vm.writeFile('/etc/ipsec.secrets', `192.0.2.1 192.0.2.2 : PSK "${PSK}"\n`, '0600');
    await vm.check(['ipsec', 'initnss']);
  }
  await west.check(['/usr/libexec/ipsec/pluto', '--config', '/etc/ipsec.conf']);
  const restore = await timed('restore');
  const results = { 'healthy quickCheck': [], 'detect: pluto killed': [], 'recover: pluto killed': [], 'detect: peer traffic dropped': [], 'recover: peer back': [] };
  const breaks = {
    'pluto killed': { brk: () => east.sh('kill -9 $(pidof pluto)'), fix: async () => undefined },
    'peer traffic dropped': {
      brk: () => east.check(['nft', '-f', '-'], { input: 'table inet rkb {\n chain input { type filter hook input priority 0; ip saddr 192.0.2.2 drop; }\n}\n' }),
      fix: () => east.check(['nft', 'delete', 'table', 'inet', 'rkb']),
    },
  };
  for (let i = 0; i < runs; i++) {
    const ok = await timed('quickCheck');
    if (ok.value.status !== 'ok') throw new Error(`quickCheck not ok: ${ok.value.reason}`);
    results['healthy quickCheck'].push(ok.ms);
    for (const [name, b] of Object.entries(breaks)) {
      const t = Date.now();
      await b.brk();
      const q = await timed('quickCheck');
      if (q.value.status !== 'failed') throw new Error(`${name}: quickCheck did not fail`);
      results[`detect: ${name}`].push(Date.now() - t);
      await b.fix();
      const r = await timed('recover');
      results[name === 'pluto killed' ? 'recover: pluto killed' : 'recover: peer back'].push(r.ms);
    }
  }
  console.log(`libreswan kit in the VM lab: ${runs} runs, ${new Date().toISOString()}, image ${lab.image.key}, boot of 2 VMs ${(boot / 1000).toFixed(1)} s, first restore ${(restore.ms / 1000).toFixed(1)} s`);
  for (const [k, xs] of Object.entries(results)) console.log(`${k.padEnd(32)} median ${(median(xs) / 1000).toFixed(1)} s  (min ${(Math.min(...xs) / 1000).toFixed(1)}, max ${(Math.max(...xs) / 1000).toFixed(1)})`);
} finally {
  await lab.stop();
}
