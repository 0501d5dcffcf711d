/**
 * A lab: two to four VMs from one cached image, linked point to point by `-netdev socket` on
 * 127.0.0.1 (nothing leaves the host's loopback). Each link gives each of its two VMs one NIC;
 * a VM's NICs are eth0, eth1, ... in the order of the links that name it.
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ensureImage, type Image, type ImageSpec } from './image.ts';
import { Vm, type NicSpec, type Share } from './vm.ts';

export interface LabVmSpec {
  name: string;
  memoryMiB?: number;
  cpus?: number;
  shares?: Share[];
  /** Second (third...) virtual disks: each a new sparse raw file of this many MiB in the lab's
   *  directory, /dev/vdb, /dev/vdc, ... in the guest (e.g. a DRBD backing device). */
  disksMiB?: number[];
}

export interface LabSpec {
  vms: LabVmSpec[];
  /** Pairs of VM names; each pair is one cable. */
  links?: Array<[string, string]>;
  image?: ImageSpec;
  /** Milliseconds each VM may take to boot (software emulation on a busy machine). Default 300 s. */
  bootTimeoutMs?: number;
  /** Shares every VM mounts (e.g. the project at /mnt/project). */
  shares?: Share[];
  log?: (line: string) => void;
}

export interface Lab {
  image: Image;
  vms: Record<string, Vm>;
  /** Interface name of `vm`'s end of the link to `peer` (eth0...). */
  nic(vm: string, peer: string): string;
  /** Milliseconds from launching the first qemu to every agent answering. */
  bootMs: number;
  dir: string;
  stop(): Promise<void>;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** True once something listens on 127.0.0.1:port (read from /proc: connecting would take qemu's one peer). */
async function listening(port: number): Promise<boolean> {
  const { readFile } = await import('node:fs/promises');
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const table = await readFile('/proc/net/tcp', 'utf8');
  return table.split('\n').some((l) => {
    const f = l.trim().split(/\s+/);
    return f[1] === `0100007F${hex}` && f[3] === '0A';
  });
}

let macSerial = Math.floor(Math.random() * 0xffff);
const mac = () => {
  macSerial = (macSerial + 1) & 0xffffff;
  return `52:54:00:${[16, 8, 0].map((s) => ((macSerial >> s) & 0xff).toString(16).padStart(2, '0')).join(':')}`;
};

export async function startLab(spec: LabSpec): Promise<Lab> {
  if (spec.vms.length < 1 || spec.vms.length > 4) throw new Error(`a lab has 1 to 4 VMs, not ${spec.vms.length}`);
  const names = new Set(spec.vms.map((v) => v.name));
  if (names.size !== spec.vms.length) throw new Error('VM names must be unique');
  const image = await ensureImage({ ...spec.image, ...(spec.log ? { log: spec.log } : {}) });
  const dir = mkdtempSync(join(tmpdir(), 'rk-vmlab-'));
  const nics = new Map<string, NicSpec[]>(spec.vms.map((v) => [v.name, []]));
  const nicNames = new Map<string, string>();
  for (const [a, b] of spec.links ?? []) {
    if (!names.has(a) || !names.has(b) || a === b) throw new Error(`link ${a}-${b}: names two different VMs of the lab`);
    const port = await freePort();
    nicNames.set(`${a}>${b}`, `eth${nics.get(a)!.length}`);
    nicNames.set(`${b}>${a}`, `eth${nics.get(b)!.length}`);
    nics.get(a)!.push({ mode: 'listen', port, mac: mac() });
    nics.get(b)!.push({ mode: 'connect', port, mac: mac() });
  }
  const vms: Record<string, Vm> = {};
  for (const v of spec.vms) {
    const disks = (v.disksMiB ?? []).map((mib, i) => {
      mkdirSync(join(dir, v.name), { recursive: true });
      const file = join(dir, v.name, `disk${i + 1}.raw`);
      writeFileSync(file, '');
      truncateSync(file, mib * 1024 * 1024);
      return file;
    });
    vms[v.name] = new Vm({
      ...(disks.length ? { disks } : {}),
      name: v.name,
      image,
      dir: join(dir, v.name),
      nics: nics.get(v.name)!,
      shares: [...(spec.shares ?? []), ...(v.shares ?? [])],
      ...(v.memoryMiB ? { memoryMiB: v.memoryMiB } : {}),
      ...(v.cpus ? { cpus: v.cpus } : {}),
    });
  }
  const started = Date.now();
  const stopAll = async () => {
    await Promise.all(Object.values(vms).map((vm) => vm.stop().catch(() => undefined)));
  };
  try {
    // A VM that connects needs its peer listening already: launch in an order that allows it.
    const launched = new Set<string>();
    const order = [...spec.vms];
    while (launched.size < order.length) {
      const next = order.find((v) => !launched.has(v.name) && nics.get(v.name)!.every((n) => n.mode === 'listen' || isListeningPeer(n, nics, launched)));
      if (!next) throw new Error('links form a cycle of connects the launcher cannot order');
      await vms[next.name]!.launch();
      for (const n of nics.get(next.name)!.filter((x) => x.mode === 'listen')) {
        const until = Date.now() + 30_000;
        while (!(await listening(n.port))) {
          if (Date.now() > until) throw new Error(`${next.name}: qemu is not listening on 127.0.0.1:${n.port}`);
          await new Promise((r) => setTimeout(r, 50));
        }
      }
      launched.add(next.name);
    }
    await Promise.all(Object.values(vms).map((vm) => vm.ready(spec.bootTimeoutMs ?? 300_000)));
  } catch (err) {
    await stopAll();
    throw err;
  }
  for (const vm of Object.values(vms)) if (!vm.kernelRelease) vm.kernelRelease = (await vm.run(['uname', '-r'])).stdout.trim();
  const bootMs = Date.now() - started;
  spec.log?.(`vmlab: ${spec.vms.length} VM(s) up in ${(bootMs / 1000).toFixed(1)} s`);
  return {
    image,
    vms,
    bootMs,
    dir,
    nic(vm, peer) {
      const n = nicNames.get(`${vm}>${peer}`);
      if (!n) throw new Error(`no link between ${vm} and ${peer}`);
      return n;
    },
    async stop() {
      await stopAll();
      if (!process.env.RK_VMLAB_KEEP) rmSync(dir, { recursive: true, force: true });
    },
  };
}

function isListeningPeer(n: NicSpec, all: Map<string, NicSpec[]>, launched: Set<string>): boolean {
  for (const [name, list] of all) if (list.some((x) => x.mode === 'listen' && x.port === n.port)) return launched.has(name);
  return false;
}
