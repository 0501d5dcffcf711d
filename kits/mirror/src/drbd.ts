/**
 * The DRBD engine: drbdadm for changes, `drbdsetup events2 --now --statistics` for the state
 * (with /proc/drbd for the resync speed and time left on DRBD 8.4), and the resource file the
 * kit writes. Works with the DRBD 8.4 module of Debian's kernel driven by drbd-utils 9
 * (drbdadm hands 8.4 resources to drbdadm-84/drbdsetup-84) and with DRBD 9.
 */
import { ActionFailedError, isCommandFailed, type Exec, type Logger } from '@recovery-kit/sdk';
import type { MirrorEngine, MirrorStatus } from './engine.ts';
import { parseDrbdadmVersion, parseProcDrbd, statusFromEvents2 } from './parse.ts';
import type { Fencing } from './gate.ts';
import type { Node } from './options.ts';

export interface ResourceSpec {
  resource: string;
  nodes: Node[];
  /** Backing disk per node name. */
  disks: Record<string, string>;
  minor: number;
  port: number;
  protocol: 'A' | 'C';
  fencing: Fencing;
  /** resync rate (e.g. 100M): a fixed rate (c-plan-ahead 0); empty: DRBD's dynamic controller. */
  syncRate?: string;
  /** The promotable clone's id in the CIB, for the fence-peer handlers (--master-id). */
  cibClone?: string;
  /** DRBD generation of the kernel module (8 or 9): which fence-peer handlers to name. */
  generation?: 8 | 9;
}

/** Where the split-brain handler leaves its mark (DRBD calls it; the kit reads it). */
export const splitBrainMarker = (resource: string) => `/var/lib/drbd/rk-split-brain-${resource}`;

/**
 * The resource file. after-sb-* policies are `disconnect` everywhere: DRBD never resolves a split
 * brain by discarding a node's changes on its own; the operator chooses the victim.
 */
export function renderResource(s: ResourceSpec): string {
  const disk = [...(s.fencing !== 'none' ? [`fencing ${s.fencing};`] : []), ...(s.syncRate ? ['c-plan-ahead 0;', `resync-rate ${s.syncRate};`] : [])];
  const handlers = [`split-brain "mkdir -p /var/lib/drbd && touch ${splitBrainMarker(s.resource)}";`];
  if (s.fencing !== 'none') {
    const v = s.generation === 8 ? '' : '.9';
    const clone = s.cibClone ? ` --master-id=${s.cibClone}` : '';
    handlers.push(`fence-peer "/usr/lib/drbd/crm-fence-peer${v}.sh${clone}";`, `after-resync-target "/usr/lib/drbd/crm-unfence-peer${v}.sh${clone}";`);
  }
  const lines = [
    `# Written by @recovery-kit/kit-mirror; changes are overwritten at the next create or restore.`,
    `resource ${s.resource} {`,
    `  net {`,
    `    protocol ${s.protocol};`,
    `    after-sb-0pri disconnect;`,
    `    after-sb-1pri disconnect;`,
    `    after-sb-2pri disconnect;`,
    `  }`,
    ...(disk.length ? [`  disk {`, ...disk.map((d) => `    ${d}`), `  }`] : []),
    `  handlers {`,
    ...handlers.map((h) => `    ${h}`),
    `  }`,
    ...s.nodes.map(
      (n) =>
        `  on ${n.name} {\n    device /dev/drbd${s.minor} minor ${s.minor};\n    disk ${s.disks[n.name] ?? s.disks['*']};\n    address ${n.address}:${s.port};\n    meta-disk internal;\n  }`,
    ),
    `}`,
    '',
  ];
  return lines.join('\n');
}

export interface DrbdEngineOptions {
  exec: Exec;
  logger: Logger;
  resource: string;
  minor: number;
  /** The peer node's name (DRBD 8.4 calls its one peer "peer"). */
  peerName?: string;
}

export class DrbdEngine implements MirrorEngine {
  readonly device: string;
  constructor(private readonly o: DrbdEngineOptions) {
    this.device = `/dev/drbd${o.minor}`;
  }

  private adm(args: string[], timeoutMs = 60_000) {
    return this.o.exec('drbdadm', [...args, this.o.resource], { timeoutMs });
  }

  /** 8 or 9 from /proc/drbd (the module must be loaded). */
  async generation(): Promise<8 | 9 | undefined> {
    const v = parseProcDrbd((await this.o.exec('cat', ['/proc/drbd'], { reject: false, timeoutMs: 10_000 })).stdout).version;
    return v?.startsWith('8.') ? 8 : v?.startsWith('9.') ? 9 : undefined;
  }

  async describe(): Promise<string> {
    const v = parseDrbdadmVersion((await this.o.exec('drbdadm', ['--version'], { reject: false, timeoutMs: 10_000 })).stdout);
    return `DRBD ${v.kernel ?? '(module not loaded)'} (drbd-utils ${v.utils ?? '?'}${v.kernel?.startsWith('8.') ? ', drbdsetup-84' : ''})`;
  }

  private opt() {
    return this.o.peerName ? { peerName: this.o.peerName } : {};
  }

  async status(): Promise<MirrorStatus> {
    const r = await this.o.exec('drbdsetup', ['events2', '--now', '--statistics', this.o.resource], { reject: false, timeoutMs: 15_000 });
    if (r.exitCode !== 0) {
      // Exit 10 (8.4: "unknown resource"), or no module loaded: the resource is down.
      if (
        /unknown|no such|not found|No currently configured|Unknown resource|Failed to open/i.test(r.stderr + r.stdout) ||
        r.exitCode === 10 ||
        r.exitCode === 20
      ) {
        return statusFromEvents2('', this.o.resource, this.opt());
      }
      throw new ActionFailedError(`drbdsetup events2 ${this.o.resource} failed (${r.exitCode ?? 'timeout'}): ${(r.stderr || r.stdout).trim()}`, {
        fix: 'is the drbd module loaded (modprobe drbd)?',
        retryable: true,
      });
    }
    const s = statusFromEvents2(r.stdout, this.o.resource, this.opt());
    // events2 on DRBD 8.4 carries no speed or time left: take them from /proc/drbd.
    if (s.exists && s.peers.some((p) => p.volumes.some((v) => /Sync(Source|Target|S|T)$/.test(v.replication)))) {
      const proc = await this.o.exec('cat', ['/proc/drbd'], { reject: false, timeoutMs: 10_000 });
      const minors = parseProcDrbd(proc.stdout).minors;
      for (const p of s.peers)
        for (const pv of p.volumes) {
          const m = minors.find((x) => x.minor === s.volumes.find((v) => v.volume === pv.volume)?.minor);
          if (!m) continue;
          if (pv.outOfSyncKiB === undefined && m.outOfSyncKiB !== undefined) pv.outOfSyncKiB = m.outOfSyncKiB;
          if (m.syncedPercent !== undefined) pv.donePercent = m.syncedPercent;
          if (m.etaSeconds !== undefined) pv.etaSeconds = m.etaSeconds;
          if (m.speedKiBs !== undefined) pv.speedKiBs = m.speedKiBs;
        }
    }
    return s;
  }

  /** Valid DRBD metadata on the backing device? (drbdadm dump-md reads it without attaching.) */
  async hasMetadata(): Promise<boolean> {
    const s = await this.status();
    if (s.exists && s.volumes.some((v) => v.disk !== 'Diskless')) return true;
    const r = await this.o.exec('drbdadm', ['dump-md', this.o.resource], { reject: false, timeoutMs: 30_000 });
    if (r.exitCode === 0) return true;
    // Attached: dump-md refuses ("is configured"); metadata is obviously there.
    return /configured|attached|in use/i.test(r.stderr);
  }

  async createMd(): Promise<'created' | 'present'> {
    if (await this.hasMetadata()) return 'present';
    await this.o
      .exec('drbdadm', ['create-md', '--force', '--max-peers=1', this.o.resource], { timeoutMs: 120_000, input: 'yes\n' })
      .catch(async (err: unknown) => {
        // drbdadm-84 does not know --max-peers.
        if (isCommandFailed(err) && /max-peers|unrecognized|invalid option/i.test(err.result.stderr)) {
          await this.o.exec('drbdadm', ['create-md', '--force', this.o.resource], { timeoutMs: 120_000, input: 'yes\n' });
          return;
        }
        throw err;
      });
    return 'created';
  }

  async up(): Promise<void> {
    await this.o.exec('modprobe', ['drbd'], { timeoutMs: 30_000 });
    // adjust brings up whatever is missing (attach, connect) and leaves what is up alone.
    await this.adm(['adjust']);
  }

  async down(): Promise<void> {
    await this.adm(['down']);
  }

  async promote(options: { force?: boolean } = {}): Promise<void> {
    await this.adm(options.force ? ['primary', '--force'] : ['primary']);
  }

  async demote(): Promise<void> {
    await this.adm(['secondary']);
  }

  async connect(): Promise<void> {
    await this.adm(['connect']).catch((err: unknown) => {
      if (isCommandFailed(err) && /already|is connected|Device has a net-config/i.test(err.result.stderr)) return;
      throw err;
    });
  }

  async disconnect(): Promise<void> {
    await this.adm(['disconnect']);
  }

  async pauseSync(): Promise<void> {
    await this.adm(['pause-sync']).catch((err: unknown) => {
      if (isCommandFailed(err) && /already|paused/i.test(err.result.stderr)) return;
      throw err;
    });
  }

  async resumeSync(): Promise<void> {
    await this.adm(['resume-sync']).catch((err: unknown) => {
      if (isCommandFailed(err) && /not paused|already/i.test(err.result.stderr)) return;
      throw err;
    });
  }

  async invalidate(): Promise<void> {
    await this.adm(['invalidate']);
  }

  async invalidateRemote(): Promise<void> {
    await this.adm(['invalidate-remote']);
  }

  /**
   * DRBD internal metadata size (drbd-utils' formula, one peer): 4 KiB superblock, 32 KiB
   * activity log, and a bitmap of one bit per 4 KiB of data, rounded up to 4 KiB, all rounded
   * up to 128 KiB... taken generously: 36 KiB per GiB plus 256 KiB, rounded up to 1 MiB.
   */
  metadataBytes(deviceBytes: number): number {
    const gib = Math.ceil(deviceBytes / 2 ** 30);
    const bytes = gib * 36 * 1024 + 256 * 1024;
    return Math.ceil(bytes / 2 ** 20) * 2 ** 20;
  }
}
