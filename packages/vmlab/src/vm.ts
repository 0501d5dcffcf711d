/**
 * One lab VM: a qemu process (software emulation: this machine's /dev/kvm cannot run a stock
 * kernel), booted from the lab image with `snapshot=on` (nothing it writes survives), its serial
 * console in a file, and a command channel on a virtio-serial port served by the lab's init
 * (see guest/init.sh for the wire protocol).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import type { Image } from './image.ts';

export interface Share {
  /** Host directory. */
  host: string;
  /** Where the guest mounts it. */
  guest: string;
  readonly?: boolean;
}

/** One end of a link: qemu listens (the first VM of a link) or connects (the second). */
export interface NicSpec {
  /** `listen` or `connect`, on 127.0.0.1:port. */
  mode: 'listen' | 'connect';
  port: number;
  mac: string;
}

export interface VmSpec {
  name: string;
  image: Image;
  /** Working directory for the console log and the control socket. */
  dir: string;
  memoryMiB?: number;
  cpus?: number;
  nics?: NicSpec[];
  shares?: Share[];
  /** Extra kernel command line words. */
  append?: string[];
  /** Extra raw disk image files (host paths), attached as /dev/vdb, /dev/vdc, ... They are not
   *  snapshots: what the guest writes stays in the file (and survives a kill and a new start). */
  disks?: string[];
}

export interface RunOptions {
  /** Seconds the guest lets the command run (then SIGTERM, SIGKILL 5 s later). Default 120. */
  timeoutSec?: number;
  /** Written to the command's standard input. */
  input?: string;
}

export interface RunResult {
  argv: readonly string[];
  exitCode: number;
  stdout: string;
  stderr: string;
  durationMs: number;
  /** True when the guest's `timeout` ended the command (exit 124 or 137). */
  timedOut: boolean;
}

/** A command that exited non-zero, from {@link Vm.check}. */
export class VmCommandError extends Error {
  constructor(
    readonly vm: string,
    readonly result: RunResult,
  ) {
    super(`${vm}: ${result.argv.join(' ')} exited ${result.exitCode}: ${(result.stderr || result.stdout).trim().split('\n').slice(-5).join(' | ')}`);
    this.name = 'VmCommandError';
  }
}

interface Pending {
  argv: readonly string[];
  timeoutSec: number;
  input: string;
  started: number;
  resolve: (r: RunResult) => void;
  reject: (e: Error) => void;
  timer: NodeJS.Timeout;
}

const b64 = (s: string | Buffer) => Buffer.from(s).toString('base64');

export class Vm {
  readonly name: string;
  readonly console: string;
  private readonly spec: VmSpec;
  private proc: ChildProcess | undefined;
  private sock: Socket | undefined;
  private buf = '';
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private readyResolve: ((release: string) => void) | undefined;
  private exited: string | undefined;
  private readySeen = false;
  /** Milliseconds from starting qemu to the agent answering (set by {@link start}). */
  bootMs = 0;
  kernelRelease = '';

  constructor(spec: VmSpec) {
    this.spec = spec;
    this.name = spec.name;
    mkdirSync(spec.dir, { recursive: true });
    this.console = join(spec.dir, 'console.log');
  }

  /** The qemu command line (for the docs and for debugging by hand). */
  qemuArgs(): string[] {
    const s = this.spec;
    const mounts = (s.shares ?? []).map((sh, i) => `rk${i}:${sh.guest}${sh.readonly ? ':ro' : ''}`);
    const append = [
      'root=/dev/vda',
      'rw',
      'init=/sbin/rk-init',
      'console=ttyS0',
      'net.ifnames=0',
      'panic=-1',
      'quiet',
      'loglevel=4',
      `rk.hostname=${s.name}`,
      ...(mounts.length ? [`rk.mounts=${mounts.join(',')}`] : []),
      ...(s.append ?? []),
    ];
    const args = [
      '-name',
      s.name,
      '-machine',
      'q35',
      '-accel',
      'tcg,thread=multi',
      '-cpu',
      'max',
      '-smp',
      String(s.cpus ?? 1),
      '-m',
      String(s.memoryMiB ?? 512),
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-kernel',
      s.image.kernel,
      '-initrd',
      s.image.initrd,
      '-append',
      append.join(' '),
      '-drive',
      `file=${s.image.disk},format=raw,if=virtio,snapshot=on,cache=unsafe`,
      '-serial',
      `file:${this.console}`,
      '-chardev',
      `socket,id=ctl,path=${join(s.dir, 'ctl.sock')},server=on,wait=off`,
      '-device',
      'virtio-serial-pci',
      '-device',
      'virtserialport,chardev=ctl,name=rk.ctl',
      '-device',
      'virtio-rng-pci',
    ];
    (s.disks ?? []).forEach((d, i) => {
      args.push('-drive', `file=${d},format=raw,if=virtio,cache=writeback,id=d${i + 1}`);
    });
    (s.nics ?? []).forEach((n, i) => {
      args.push('-netdev', `socket,id=n${i},${n.mode}=127.0.0.1:${n.port}`, '-device', `virtio-net-pci,netdev=n${i},mac=${n.mac}`);
    });
    (s.shares ?? []).forEach((sh, i) => {
      args.push(
        '-fsdev',
        `local,id=fs${i},path=${sh.host},security_model=none${sh.readonly ? ',readonly=on' : ''}`,
        '-device',
        `virtio-9p-pci,fsdev=fs${i},mount_tag=rk${i}`,
      );
    });
    return args;
  }

  /** Starts qemu and returns once the process runs and its control socket is connected. */
  async launch(): Promise<void> {
    const sockPath = join(this.spec.dir, 'ctl.sock');
    // qemu must not outlive the test process (a crashed test would leave VMs eating the CPU):
    // setpriv (util-linux) has the kernel kill it when its parent dies.
    const argv = existsSync('/usr/bin/setpriv')
      ? ['/usr/bin/setpriv', '--pdeathsig', 'KILL', '--', 'qemu-system-x86_64', ...this.qemuArgs()]
      : ['qemu-system-x86_64', ...this.qemuArgs()];
    // A VM stopped (or killed) before may be launched again: its extra disks keep what it wrote.
    this.exited = undefined;
    this.buf = '';
    if (existsSync(sockPath)) rmSync(sockPath, { force: true });
    const proc = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'ignore', 'pipe'] });
    this.proc = proc;
    let stderr = '';
    proc.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
    proc.on('exit', (code, signal) => {
      this.exited = `qemu exited (${code ?? signal})${stderr.trim() ? `: ${stderr.trim().split('\n').slice(-3).join(' | ')}` : ''}`;
      this.failAll(new Error(`${this.name}: ${this.exited}`));
    });
    const until = Date.now() + 30_000;
    while (!existsSync(sockPath)) {
      if (this.exited) throw new Error(`${this.name}: ${this.exited}`);
      if (Date.now() > until) throw new Error(`${this.name}: qemu made no control socket in 30 s`);
      await new Promise((r) => setTimeout(r, 50));
    }
    this.sock = await new Promise<Socket>((resolve, reject) => {
      const s = connect(sockPath, () => resolve(s));
      s.once('error', reject);
    });
    this.sock.on('data', (d: Buffer) => this.onData(d.toString('latin1')));
    this.sock.on('error', () => undefined);
  }

  /** Waits until the guest's agent answers (it boots in ~20-60 s under software emulation). */
  async ready(timeoutMs = 300_000): Promise<void> {
    const started = Date.now();
    const ready = new Promise<string>((resolve) => (this.readyResolve = resolve));
    // The agent announces itself; a probe also finds an agent that came up before we listened.
    const probe = setInterval(() => {
      if (this.sock && !this.exited) this.send(0, 10, ['true'], '');
    }, 3000);
    try {
      const release = await Promise.race([
        ready,
        new Promise<never>((_, reject) => {
          const t = setTimeout(
            () => reject(new Error(`${this.name}: the guest did not answer within ${timeoutMs / 1000} s; console:\n${this.consoleTail()}`)),
            timeoutMs,
          );
          t.unref();
          const check = setInterval(() => {
            if (this.exited) {
              clearInterval(check);
              reject(new Error(`${this.name}: ${this.exited}; console:\n${this.consoleTail()}`));
            }
          }, 200);
          void ready.finally(() => {
            clearTimeout(t);
            clearInterval(check);
          });
        }),
      ]);
      if (release) this.kernelRelease = release;
      this.bootMs = Date.now() - started;
    } finally {
      clearInterval(probe);
    }
  }

  async start(timeoutMs?: number): Promise<this> {
    const t = Date.now();
    await this.launch();
    await this.ready(timeoutMs);
    this.bootMs = Date.now() - t;
    if (!this.kernelRelease) this.kernelRelease = (await this.run(['uname', '-r'])).stdout.trim();
    return this;
  }

  /** Runs a program in the guest (no shell: argv as given). Never rejects for a non-zero exit. */
  run(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    if (this.exited) return Promise.reject(new Error(`${this.name}: ${this.exited}`));
    if (!this.sock) return Promise.reject(new Error(`${this.name}: not started`));
    if (!argv.length) return Promise.reject(new Error('empty argv'));
    const timeoutSec = Math.max(1, Math.ceil(options.timeoutSec ?? 120));
    const id = this.nextId++;
    return new Promise<RunResult>((resolve, reject) => {
      // The guest ends the command at timeoutSec (+5 s to kill it); allow for a slow emulated guest.
      const timer = setTimeout(
        () => {
          this.pending.delete(id);
          reject(new Error(`${this.name}: no answer to ${argv.join(' ')} within ${timeoutSec + 60} s`));
        },
        (timeoutSec + 60) * 1000,
      );
      this.pending.set(id, { argv, timeoutSec, input: options.input ?? '', started: Date.now(), resolve, reject, timer });
      this.send(id, timeoutSec, argv, options.input ?? '');
    });
  }

  /** Runs a program and throws {@link VmCommandError} unless it exits 0. */
  async check(argv: readonly string[], options: RunOptions = {}): Promise<RunResult> {
    const r = await this.run(argv, options);
    if (r.exitCode !== 0) throw new VmCommandError(this.name, r);
    return r;
  }

  /** Runs a shell script in the guest (for scenario set-up written by the test, not user input). */
  sh(script: string, options: RunOptions = {}): Promise<RunResult> {
    return this.check(['/bin/sh', '-ec', script], options);
  }

  /** Writes a file in the guest. */
  async writeFile(path: string, content: string, mode = '0644'): Promise<void> {
    await this.check(['install', '-D', '-m', mode, '/dev/stdin', path], { input: content });
  }

  consoleTail(lines = 30): string {
    try {
      return readFileSync(this.console, 'utf8').split('\n').slice(-lines).join('\n');
    } catch {
      return '(no console output)';
    }
  }

  get running(): boolean {
    return this.proc !== undefined && this.exited === undefined;
  }

  /** Stops qemu (the disk is a snapshot: nothing to save). */
  async stop(): Promise<void> {
    const proc = this.proc;
    this.sock?.destroy();
    if (!proc || this.exited) return;
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => proc.kill('SIGKILL'), 5000);
      proc.once('exit', () => {
        clearTimeout(t);
        resolve();
      });
      proc.kill('SIGTERM');
    });
  }

  private send(id: number, timeoutSec: number, argv: readonly string[], input: string): void {
    const argvB64 = b64(Buffer.concat(argv.map((a) => Buffer.from(`${a}\0`))));
    this.sock!.write(`REQ ${id} ${timeoutSec} ${argvB64} ${b64(input) || '-'}\n`);
  }

  private onData(chunk: string): void {
    this.buf += chunk;
    let nl: number;
    while ((nl = this.buf.indexOf('\n')) >= 0) {
      const line = this.buf.slice(0, nl).trim();
      this.buf = this.buf.slice(nl + 1);
      const [kw, a, b, c, d] = line.split(' ');
      if (kw === 'READY') {
        // A second READY means the guest's agent opened the port again: what it had not read
        // yet was discarded with the old descriptor, so send the unanswered requests again.
        if (this.readySeen) for (const [id, p] of this.pending) this.send(id, p.timeoutSec, p.argv, p.input);
        this.readySeen = true;
        this.readyResolve?.(a ?? '');
      }
      if (kw !== 'RES') continue;
      this.readyResolve?.('');
      const id = Number(a);
      const p = this.pending.get(id);
      if (!p) continue;
      this.pending.delete(id);
      clearTimeout(p.timer);
      const exitCode = Number(b);
      p.resolve({
        argv: p.argv,
        exitCode,
        stdout: Buffer.from(c ?? '', 'base64').toString('utf8'),
        stderr: Buffer.from(d ?? '', 'base64').toString('utf8'),
        durationMs: Date.now() - p.started,
        timedOut: exitCode === 124 || exitCode === 137,
      });
    }
  }

  private failAll(err: Error): void {
    for (const [id, p] of this.pending) {
      clearTimeout(p.timer);
      this.pending.delete(id);
      p.reject(err);
    }
  }
}
