/** The file system on the mirror: is it mounted, mount, unmount, make, shrink (for an existing one). */
import { ActionFailedError, ConfigError, type Exec } from '@recovery-kit/sdk';
import { remainingMs, sleep } from '@recovery-kit/sdk/util';

/**
 * Writes `text` to `path` on the node through its commands (the kit's code may run elsewhere:
 * the lab runs it on the host with every command in a VM): into a temporary file next to it, then
 * renamed over it, so that a reader (drbdadm) never sees half a file. The text goes in on
 * standard input, read by `tee`: `install /dev/stdin` cannot open it when standard input is a
 * socket, which is what Node.js gives a child for `input` (ENXIO).
 */
export async function writeFileAtomic(exec: Exec, path: string, text: string, mode = '0644'): Promise<void> {
  const dir = path.slice(0, path.lastIndexOf('/')) || '/';
  const tmp = `${path}.rk-tmp`;
  await exec('install', ['-d', '-m', '0755', dir], { timeoutMs: 10_000 });
  await exec('tee', [tmp], { input: text, timeoutMs: 10_000 });
  await exec('chmod', [mode, tmp], { timeoutMs: 10_000 });
  await exec('mv', ['-f', tmp, path], { timeoutMs: 10_000 });
}

export interface MountInfo {
  source: string;
  target: string;
  fstype: string;
}

/** What is mounted on `mountPoint` (findmnt, no shell), or undefined. */
export async function mountAt(exec: Exec, mountPoint: string): Promise<MountInfo | undefined> {
  const r = await exec('findmnt', ['-rn', '-o', 'SOURCE,TARGET,FSTYPE', '--mountpoint', mountPoint], { reject: false, timeoutMs: 10_000 });
  const [source, target, fstype] = r.stdout.trim().split('\n')[0]?.split(' ') ?? [];
  return r.exitCode === 0 && source && target ? { source, target, fstype: fstype ?? '' } : undefined;
}

/** Every mount of `device` (it must be mounted nowhere when the mirror is demoted). */
export async function mountsOf(exec: Exec, device: string): Promise<MountInfo[]> {
  const r = await exec('findmnt', ['-rn', '-o', 'SOURCE,TARGET,FSTYPE', '--source', device], { reject: false, timeoutMs: 10_000 });
  if (r.exitCode !== 0) return [];
  return r.stdout
    .trim()
    .split('\n')
    .filter(Boolean)
    .map((l) => {
      const [source, target, fstype] = l.split(' ');
      return { source: source!, target: target!, fstype: fstype ?? '' };
    });
}

export async function mount(exec: Exec, device: string, mountPoint: string, fsType: string, options: string): Promise<void> {
  await exec('mkdir', ['-p', mountPoint], { timeoutMs: 10_000 });
  await exec('mount', ['-t', fsType, '-o', options, device, mountPoint], { timeoutMs: 120_000 });
}

/** Unmounts, retrying while the file system is busy, until `deadline`; throws naming the holders' fix. */
export async function unmount(exec: Exec, mountPoint: string, deadline: number, signal?: AbortSignal): Promise<void> {
  for (;;) {
    const r = await exec('umount', [mountPoint], { reject: false, timeoutMs: 60_000 });
    if (r.exitCode === 0 || !(await mountAt(exec, mountPoint))) return;
    if (remainingMs(deadline) < 2000) {
      throw new ActionFailedError(`cannot unmount ${mountPoint}: ${(r.stderr || r.stdout).trim()}`, {
        fix: `stop what uses ${mountPoint} (its dependents should have been taken out of service first), then run remove again`,
      });
    }
    await sleep(1000, signal);
  }
}

/** The file-system type on a block device (blkid), or undefined when it has none. */
export async function fsTypeOf(exec: Exec, device: string): Promise<string | undefined> {
  const r = await exec('blkid', ['-p', '-o', 'value', '-s', 'TYPE', device], { reject: false, timeoutMs: 15_000 });
  return r.exitCode === 0 && r.stdout.trim() ? r.stdout.trim() : undefined;
}

export async function deviceBytes(exec: Exec, device: string, field: string): Promise<number> {
  const r = await exec('blockdev', ['--getsize64', device], { reject: false, timeoutMs: 10_000 });
  if (r.exitCode !== 0)
    throw new ConfigError(`${device} is not a block device this node can read: ${(r.stderr || r.stdout).trim()}`, {
      field,
      fix: 'give the backing block device of this node (lsblk lists them)',
    });
  return Number(r.stdout.trim());
}

export async function makeFs(exec: Exec, device: string, fsType: string): Promise<void> {
  await exec(`mkfs.${fsType}`, fsType === 'ext4' ? ['-q', '-F', device] : ['-f', device], { timeoutMs: 300_000 });
}

/**
 * Shrinks the ext4 file system on `device` so that its last `reserveBytes` are free for DRBD's
 * internal metadata ("Replicate Existing File System"). Checks it first (resize2fs requires it).
 */
export async function shrinkExt4(
  exec: Exec,
  device: string,
  totalBytes: number,
  reserveBytes: number,
): Promise<{ fromBlocks: number; toBlocks: number; blockSize: number }> {
  const info = await exec('dumpe2fs', ['-h', device], { timeoutMs: 30_000 });
  const blockSize = Number(/^Block size:\s+(\d+)/m.exec(info.stdout)?.[1]);
  const blocks = Number(/^Block count:\s+(\d+)/m.exec(info.stdout)?.[1]);
  if (!blockSize || !blocks) throw new ActionFailedError(`cannot read the size of the file system on ${device} (dumpe2fs)`, { fix: 'check it with e2fsck -f' });
  const maxBlocks = Math.floor((totalBytes - reserveBytes) / blockSize);
  if (blocks <= maxBlocks) return { fromBlocks: blocks, toBlocks: blocks, blockSize };
  const fsck = await exec('e2fsck', ['-f', '-p', device], { reject: false, timeoutMs: 600_000 });
  if ((fsck.exitCode ?? 8) > 1)
    throw new ActionFailedError(`e2fsck -f -p ${device} found problems it could not fix (exit ${fsck.exitCode})`, {
      fix: `run e2fsck -f ${device} by hand, then create again`,
    });
  const rs = await exec('resize2fs', [device, `${maxBlocks * (blockSize / 1024)}K`], { reject: false, timeoutMs: 600_000 });
  if (rs.exitCode !== 0) {
    const why = (rs.stderr || rs.stdout).trim().split('\n').pop() ?? '';
    // resize2fs's own estimate of the smallest size the files fit in, in blocks.
    const min = /smaller than minimum \((\d+)\)/.exec(why);
    if (min)
      throw new ConfigError(
        `existingFs: the ext4 on ${device} cannot shrink by ${Math.ceil((blocks - maxBlocks) * (blockSize / 1024))} KiB to make room for DRBD's metadata: resize2fs needs at least ${Number(min[1]) * (blockSize / 1024)} KiB for its files, the mirror leaves ${maxBlocks * (blockSize / 1024)} KiB (it was unmounted for the check; nothing else changed)`,
        { field: 'existingFs', fix: `free space on it (or grow ${device} and the file system), then create again` },
      );
    throw new ActionFailedError(`resize2fs ${device} failed (exit ${rs.exitCode}): ${why}`, { fix: `run e2fsck -f ${device} by hand, then create again` });
  }
  return { fromBlocks: blocks, toBlocks: maxBlocks, blockSize };
}
