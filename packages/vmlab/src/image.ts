/**
 * The lab's root image: a Debian root file system made by debootstrap, packed into an ext4 image
 * with the lab's init as /sbin/rk-init, plus the kernel and initrd from its /boot.
 *
 * Two cache levels, both keyed by a hash of their inputs, outside the repository (so a CI machine
 * builds once): `rootfs-<key>` (suite, package list, build script: the slow part, ~5 min) and
 * `image-<key>` (rootfs key, init script: a `mkfs.ext4 -d`, seconds). Builds run under `flock`,
 * so parallel test files wait for one build instead of racing.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The packages every lab image has: the kernel, the tools the kits drive, and what they need. */
export const DEFAULT_PACKAGES: readonly string[] = [
  'linux-image-amd64',
  'kmod',
  'iproute2',
  'iputils-ping',
  'procps',
  'util-linux',
  'e2fsprogs',
  'drbd-utils',
  'mdadm',
  'nbd-client',
  'nbd-server',
  'libreswan',
  // libreswan depends on the virtual package `host`, which debootstrap does not resolve.
  'bind9-host',
  // To break links in scenarios (drop a peer's packets).
  'iptables',
  'nftables',
  // The PostgreSQL kit over a mirror (kits/mirror's lab): initdb, pg_ctl and postgres under
  // /usr/lib/postgresql/15/bin. debootstrap's policy-rc.d keeps the packaged cluster stopped.
  'postgresql',
  // A two-VM Pacemaker cluster for the promotable mirror clone on real DRBD and the tunnel's
  // health attribute (kits/mirror and kits/libreswan labs): pacemakerd, corosync, cibadmin,
  // crm_attribute, crm_mon.
  'pacemaker',
  'pacemaker-cli-utils',
  'corosync',
];

export const DEFAULT_SUITE = 'bookworm';
export const DEFAULT_MIRROR = 'http://deb.debian.org/debian';
/** Where images are cached unless RK_VMLAB_CACHE says otherwise. */
export const DEFAULT_CACHE = '/var/cache/recovery-kit/vmlab';

const guestDir = fileURLToPath(new URL('../guest/', import.meta.url));
export const BUILD_SCRIPT = join(guestDir, 'build-rootfs.sh');
export const IMAGE_SCRIPT = join(guestDir, 'build-image.sh');
export const INIT_SCRIPT = join(guestDir, 'init.sh');

export interface ImageSpec {
  suite?: string;
  packages?: readonly string[];
  mirror?: string;
  /** Cache directory; default RK_VMLAB_CACHE or {@link DEFAULT_CACHE}. */
  cacheDir?: string;
  /** Free space left in the ext4 image beyond the files, MiB. */
  freeMiB?: number;
  /** Progress lines (build steps); default: none. */
  log?: (line: string) => void;
}

export interface Image {
  key: string;
  rootfsKey: string;
  dir: string;
  disk: string;
  kernel: string;
  initrd: string;
  /** What this call had to build: nothing (both cached), the image only, or everything. */
  built: 'none' | 'image' | 'rootfs';
  /** Milliseconds this call spent building (0 when cached). */
  buildMs: number;
  /** What the cached build recorded: how long the root file system and the image took. */
  manifest: ImageManifest;
}

export interface ImageManifest {
  key: string;
  rootfsKey: string;
  suite: string;
  packages: string[];
  kernelRelease: string;
  rootfsBuildMs: number;
  imageBuildMs: number;
  createdAt: string;
  diskBytes: number;
}

const sha = (...parts: string[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p).update('\0');
  return h.digest('hex').slice(0, 16);
};

export function cacheDir(spec: ImageSpec = {}): string {
  return spec.cacheDir ?? process.env.RK_VMLAB_CACHE ?? DEFAULT_CACHE;
}

/** The cache keys of an image spec, without building anything. */
export function imageKeys(spec: ImageSpec = {}): { rootfsKey: string; key: string } {
  const suite = spec.suite ?? DEFAULT_SUITE;
  const packages = [...(spec.packages ?? DEFAULT_PACKAGES)].sort();
  const rootfsKey = sha('rootfs-v1', suite, packages.join(','), readFileSync(BUILD_SCRIPT, 'utf8'));
  const key = sha('image-v1', rootfsKey, readFileSync(IMAGE_SCRIPT, 'utf8'), readFileSync(INIT_SCRIPT, 'utf8'), String(spec.freeMiB ?? 768));
  return { rootfsKey, key };
}

function run(argv: string[], log?: (line: string) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] });
    let tail = '';
    const take = (d: Buffer) => {
      const s = d.toString();
      tail = (tail + s).slice(-4000);
      if (log) for (const line of s.split('\n')) if (line.trim()) log(line);
    };
    child.stdout.on('data', take);
    child.stderr.on('data', take);
    child.on('error', (e) => reject(new Error(`${argv[0]}: ${e.message}`)));
    child.on('close', (code, signal) =>
      code === 0
        ? resolve()
        : reject(new Error(`${argv.slice(0, 3).join(' ')} ... failed (${code ?? signal}):\n${tail.trim().split('\n').slice(-15).join('\n')}`)),
    );
  });
}

const readManifest = (dir: string): ImageManifest | undefined => {
  try {
    return JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as ImageManifest;
  } catch {
    return undefined;
  }
};

/** What is missing on this host to build or boot the lab (empty when nothing is). */
export function missingTools(): string[] {
  const tools: Array<[string, string]> = [
    ['qemu-system-x86_64', 'qemu-system-x86'],
    ['debootstrap', 'debootstrap'],
    ['mkfs.ext4', 'e2fsprogs'],
    ['flock', 'util-linux'],
  ];
  const path = (process.env.PATH ?? '').split(':').concat(['/usr/sbin', '/sbin']);
  return tools.filter(([bin]) => !path.some((d) => d && existsSync(join(d, bin)))).map(([bin, pkg]) => `${bin} (apt package ${pkg})`);
}

/**
 * Returns the cached image for `spec`, building what is missing. The first build on a machine
 * takes about 5 minutes (debootstrap); later calls return at once.
 */
export async function ensureImage(spec: ImageSpec = {}): Promise<Image> {
  const suite = spec.suite ?? DEFAULT_SUITE;
  const packages = [...(spec.packages ?? DEFAULT_PACKAGES)].sort();
  const mirror = spec.mirror ?? process.env.RK_VMLAB_MIRROR ?? DEFAULT_MIRROR;
  const root = cacheDir(spec);
  const { rootfsKey, key } = imageKeys(spec);
  const dir = join(root, `image-${key}`);
  // The image's files in its directory, and how this call came by them.
  const image = (built: Image['built'], buildMs: number, manifest: ImageManifest): Image => ({
    key,
    rootfsKey,
    dir,
    disk: join(dir, 'root.ext4'),
    kernel: join(dir, 'vmlinuz'),
    initrd: join(dir, 'initrd.img'),
    built,
    buildMs,
    manifest,
  });
  const done = readManifest(dir);
  if (done) return image('none', 0, done);

  const missing = missingTools();
  if (missing.length)
    throw new Error(`vmlab: cannot build the lab image, missing ${missing.join(', ')}: run scripts/setup.sh (its lab block) or apt-get install them`);
  if (process.getuid?.() !== 0) throw new Error(`vmlab: building the lab image needs root (debootstrap); no cached image ${dir}`);
  mkdirSync(root, { recursive: true });
  // Serialize builds across processes (parallel test files wait for one build).
  const started = Date.now();
  const hadRootfs = existsSync(join(root, `rootfs-${rootfsKey}`, '.rk-rootfs-done'));
  const lock = join(root, '.build.lock');
  spec.log?.(`vmlab: building image ${key} (rootfs ${rootfsKey}) in ${root}`);
  await run(['flock', lock, 'bash', IMAGE_SCRIPT, root, rootfsKey, key, suite, mirror, packages.join(','), String(spec.freeMiB ?? 768)], spec.log);
  const manifest = readManifest(dir);
  if (!manifest) throw new Error(`vmlab: the image build finished without ${join(dir, 'manifest.json')}`);
  return image(hadRootfs ? 'image' : 'rootfs', Date.now() - started, manifest);
}

/** Removes cached root file systems and images other than the ones `keep` names. */
export function pruneCache(keep: { rootfsKey: string; key: string }, spec: ImageSpec = {}): string[] {
  const root = cacheDir(spec);
  if (!existsSync(root)) return [];
  const removed: string[] = [];
  for (const f of readdirSync(root)) {
    if (f === `rootfs-${keep.rootfsKey}` || f === `image-${keep.key}` || !/^(rootfs|image)-/.test(f)) continue;
    rmSync(join(root, f), { recursive: true, force: true });
    removed.push(f);
  }
  return removed;
}
