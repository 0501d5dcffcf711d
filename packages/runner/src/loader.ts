/**
 * Finds kits: npm packages whose package.json carries the `recoveryKit` manifest, in the
 * configured kit directories first and then in the runner's own installation. Manifests are
 * read without importing any kit code; a kit is imported only when a command needs it. A broken
 * or incompatible kit is reported on its own and never hides the others.
 */
import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import * as nodeModule from 'node:module';
import { dirname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isKit, KIT_API_VERSION, KitLoadError, MANIFEST_FIELD, type Kit, type KitManifest } from '@recovery-kit/sdk';
import { trustProblem } from './trust.ts';

/** Contract versions this runner can drive. */
export const SUPPORTED_API_VERSIONS: readonly number[] = [KIT_API_VERSION];
const KIT_TYPE = /^[a-z][a-z0-9-]{0,39}$/;

export interface KitEntry {
  kitType: string;
  name: string;
  version: string;
  dir: string;
  source: 'kits-dir' | 'runner-install';
  manifest: KitManifest;
  description?: string | undefined;
  /** Why this kit cannot be used; undefined when it can. */
  problem?: { code: string; message: string; fix: string } | undefined;
  /** Packages with the same kitType found later in the search order. */
  shadowed: string[];
}

export interface Discovery {
  kits: Map<string, KitEntry>;
  /** Packages that declare the manifest but are broken in a way that hides their kitType. */
  broken: KitEntry[];
  searched: string[];
  /**
   * Set on a discovery limited to one kit type (`discoverKits`'s `only`): the full one, made on
   * first need. loadKit turns to it for any kit type the limited one does not hold.
   */
  full?: () => Discovery;
}

/** node_modules directories of the runner's own installation (up to the one holding it). */
export function runnerInstallDirs(): string[] {
  const out: string[] = [];
  let dir = dirname(realpathSync.native(fileURLToPath(import.meta.url)));
  // from .../runner/{dist,src} to the package root
  dir = dirname(dir);
  const pkgRoot = dir;
  for (;;) {
    const nm = join(dir, 'node_modules');
    if (existsSync(nm)) {
      out.push(nm);
      if (dir !== pkgRoot && containsRunner(nm, pkgRoot)) break;
    }
    if (dir.endsWith(`${sep}node_modules`) && dir !== pkgRoot) {
      out.push(dir);
      break;
    }
    const up = dirname(dir);
    if (up === dir) break;
    dir = up;
  }
  return [...new Set(out)];
}

function containsRunner(nm: string, pkgRoot: string): boolean {
  try {
    return realpathSync.native(join(nm, '@recovery-kit', 'runner')) === pkgRoot;
  } catch {
    return false;
  }
}

function packageDirs(dir: string): string[] {
  const roots = existsSync(join(dir, 'node_modules')) ? [join(dir, 'node_modules'), dir] : [dir];
  const out: string[] = [];
  for (const root of roots) {
    let names: string[];
    try {
      names = readdirSync(root);
    } catch {
      continue;
    }
    for (const name of names.sort()) {
      if (name.startsWith('.') || name === 'node_modules') continue;
      if (name.startsWith('@')) {
        let scoped: string[] = [];
        try {
          scoped = readdirSync(join(root, name));
        } catch {
          /* not a dir */
        }
        for (const s of scoped.sort()) out.push(join(root, name, s));
      } else out.push(join(root, name));
    }
  }
  return out;
}

/** Env variable naming the kit types a kits directory may replace (comma-separated): none by default. */
export const REPLACE_ENV = 'KIT_RUNNER_REPLACE_KITS';

/**
 * Finds the kits in `kitsDirs` (absolute paths; see settings.ts) and in the runner's own
 * installation. A kits directory that is not a trusted location (trust.ts) is not read: each
 * package in it is listed as unusable (KIT_UNTRUSTED), so that `kit-runner kits` shows why.
 * A kits-directory package whose kitType the runner's installation also provides (a bundled
 * kit) is used instead of the bundled one only when its type is named in `replace` (default:
 * env KIT_RUNNER_REPLACE_KITS); otherwise the bundled kit is used and the other is listed as
 * shadowed.
 */
export function discoverKits(kitsDirs: readonly string[], replace: readonly string[] = replaceList(), only?: string): Discovery {
  // Limited to one kit type (a command that runs one kit: an action, an OCF agent): a package
  // whose package.json does not name that kitType is not parsed, checked or followed. The text
  // decides only where it has no backslash (JSON escapes could spell the name otherwise); a kit
  // type the limited search does not find sends loadKit to the full search (`full`).
  const mentions = only !== undefined && KIT_TYPE.test(only) ? new RegExp(`"kitType"\\s*:\\s*"${only}"`) : undefined;
  const kits = new Map<string, KitEntry>();
  const broken: KitEntry[] = [];
  const searched: string[] = [];
  const seenDirs = new Set<string>();
  const sources: Array<[string, KitEntry['source']]> = [
    ...kitsDirs.map((d): [string, KitEntry['source']] => [resolve(d), 'kits-dir']),
    ...runnerInstallDirs().map((d): [string, KitEntry['source']] => [d, 'runner-install']),
  ];
  for (const [dir, source] of sources) {
    searched.push(dir);
    // The runner's own installation is as trusted as the code running now; a kits directory must earn it.
    const distrust = source === 'kits-dir' ? trustProblem(dir) : undefined;
    for (const pkgDir of packageDirs(dir)) {
      let text: string;
      try {
        text = readFileSync(join(pkgDir, 'package.json'), 'utf8');
      } catch {
        continue;
      }
      // most packages next to the runner are not kits: no need to parse them
      if (!text.includes(`"${MANIFEST_FIELD}"`)) continue;
      if (mentions && !text.includes('\\') && !mentions.test(text)) continue;
      let real: string;
      try {
        // one realpath(3) call, where the JS realpathSync lstats every component of the path
        real = realpathSync.native(pkgDir);
      } catch {
        continue;
      }
      if (seenDirs.has(real)) continue;
      seenDirs.add(real);
      let pkg: Record<string, unknown>;
      try {
        pkg = JSON.parse(text) as Record<string, unknown>;
      } catch {
        continue;
      }
      const manifest = pkg[MANIFEST_FIELD] as KitManifest | undefined;
      if (manifest === undefined) continue;
      const entry: KitEntry = {
        kitType: typeof manifest?.kitType === 'string' ? manifest.kitType : '',
        name: String(pkg.name ?? real),
        version: String(pkg.version ?? '0.0.0'),
        dir: real,
        source,
        manifest,
        description: manifest.description ?? (typeof pkg.description === 'string' ? pkg.description : undefined),
        shadowed: [],
      };
      const untrusted = source === 'kits-dir' ? (distrust ?? trustProblem(real)) : undefined;
      entry.problem = untrusted
        ? {
            code: 'KIT_UNTRUSTED',
            message: `${entry.name} is in a directory kit-runner does not trust: ${untrusted.why}; its code is never run`,
            fix: `${untrusted.fix} (docs/operate/trusted-locations.md)`,
          }
        : (checkManifest(entry) ?? entryProblem(entry, pkg));
      if (!KIT_TYPE.test(entry.kitType)) {
        broken.push(entry);
        continue;
      }
      const existing = kits.get(entry.kitType);
      const shown = (e: KitEntry) => `${e.name}@${e.version} (${e.dir})`;
      if (!existing) kits.set(entry.kitType, entry);
      else if (existing.source === 'kits-dir' && entry.source === 'runner-install' && !replace.includes(entry.kitType)) {
        // A kits directory does not silently replace a bundled kit: the bundled one is used.
        kits.set(entry.kitType, entry);
        entry.shadowed.push(
          ...existing.shadowed,
          `${shown(existing)}: not used, it would replace the bundled kit; set ${REPLACE_ENV}=${entry.kitType} to use it`,
        );
      } else existing.shadowed.push(shown(entry));
    }
  }
  if (mentions) {
    let all: Discovery | undefined;
    return { kits, broken, searched, full: () => (all ??= discoverKits(kitsDirs, replace)) };
  }
  return { kits, broken, searched };
}

function replaceList(): string[] {
  return (process.env[REPLACE_ENV] ?? '')
    .split(/[,\s]+/)
    .map((s) => s.trim())
    .filter(Boolean);
}

/** The entry module must be inside its package (after symbolic links): a manifest cannot point kit-runner at other code. */
function entryProblem(e: KitEntry, pkg: PackageJson): KitEntry['problem'] {
  const file = entryFile(e, pkg);
  let real: string;
  try {
    real = realpathSync.native(file);
  } catch {
    real = resolve(file);
  }
  if (real === e.dir || real.startsWith(e.dir.endsWith(sep) ? e.dir : `${e.dir}${sep}`)) return undefined;
  return {
    code: 'KIT_MANIFEST_INVALID',
    message: `${e.name}: its entry module ${file} is outside the package (${e.dir})`,
    fix: 'ask the kit author for a fixed release: "entry" (or "exports"/"main") must name a file inside the package',
  };
}

function checkManifest(e: KitEntry): KitEntry['problem'] {
  const m = e.manifest;
  if (typeof m !== 'object' || m === null) {
    return {
      code: 'KIT_MANIFEST_INVALID',
      message: `${e.name}: "${MANIFEST_FIELD}" in package.json is not an object`,
      fix: 'ask the kit author for a fixed release',
    };
  }
  if (!KIT_TYPE.test(e.kitType)) {
    return {
      code: 'KIT_MANIFEST_INVALID',
      message: `${e.name}: kitType ${JSON.stringify(m.kitType)} is not valid (lowercase letters, digits and dashes)`,
      fix: 'ask the kit author for a fixed release',
    };
  }
  if (!SUPPORTED_API_VERSIONS.includes(m.apiVersion)) {
    const newer = typeof m.apiVersion === 'number' && m.apiVersion > Math.max(...SUPPORTED_API_VERSIONS);
    return {
      code: 'KIT_CONTRACT_MISMATCH',
      message: `${e.name}@${e.version} was written for kit contract version ${JSON.stringify(m.apiVersion)}; this kit-runner supports version ${SUPPORTED_API_VERSIONS.join(', ')}`,
      fix: newer
        ? 'upgrade kit-runner (@recovery-kit/runner) to a release that supports it'
        : `install a release of ${e.name} written for contract version ${KIT_API_VERSION}`,
    };
  }
  return undefined;
}

type PackageJson = { exports?: unknown; main?: unknown };

/** The kit's entry module: the manifest's "entry", else the package's "exports"/"main" (`pkg`: its package.json, read now when not given). */
function entryFile(e: KitEntry, pkg?: PackageJson): string {
  if (e.manifest.entry) return resolve(e.dir, e.manifest.entry);
  pkg ??= JSON.parse(readFileSync(join(e.dir, 'package.json'), 'utf8')) as PackageJson;
  const exp = pkg.exports;
  let target: unknown = typeof exp === 'string' ? exp : ((exp as Record<string, unknown> | undefined)?.['.'] ?? exp);
  // Follow conditions: prefer "import", then "default" (never the dev-only "source").
  while (target && typeof target === 'object') {
    const t = target as Record<string, unknown>;
    target = t.import ?? t.default ?? t.node;
  }
  return resolve(e.dir, typeof target === 'string' ? target : typeof pkg.main === 'string' ? pkg.main : 'index.js');
}

const cache = new Map<string, Promise<Kit>>();

/** Imports and checks one kit. Throws KitLoadError (exit 5) with a fix. */
export function loadKit(discovery: Discovery, kitType: string): Promise<Kit> {
  const e = discovery.kits.get(kitType);
  if (!e && discovery.full) return loadKit(discovery.full(), kitType);
  if (!e) {
    const broken = discovery.broken.map((b) => b.name).join(', ');
    return Promise.reject(
      new KitLoadError(`no kit of type "${kitType}" is installed`, {
        code: 'KIT_NOT_FOUND',
        field: 'kit',
        fix: `install it into a kits directory, e.g. "npm install --prefix ${discovery.searched[0] ?? '/usr/lib/recovery-kit/kits'} <package>"; searched: ${discovery.searched.join(', ')}${broken ? `; broken kits found: ${broken}` : ''}; "kit-runner kits" lists what is installed`,
      }),
    );
  }
  if (e.problem) return Promise.reject(new KitLoadError(e.problem.message, { code: e.problem.code, field: 'kit', fix: e.problem.fix }));
  let p = cache.get(e.dir);
  if (!p) {
    p = importKit(e);
    cache.set(e.dir, p);
  }
  return p;
}

const SDK_NAME = '@recovery-kit/sdk';
let sharing = false;
/** Directory → the SDK version its modules' imports resolve to ('' not ours, null none). */
const sdkVersions = new Map<string, string | null>();

/**
 * The version of the @recovery-kit/sdk package a bare `@recovery-kit/sdk` import in a module of
 * `dir` resolves to: the first `node_modules/@recovery-kit/sdk/package.json` up from `dir`, the
 * directories Node's resolver looks in, in its order; null when there is none. One read per
 * directory level instead of asking Node's resolver (about 1.5 ms per specifier: the package's
 * exports, a realpath); only where the answer is not our copy does Node's resolver run.
 */
function sdkVersionFrom(dir: string): string | null {
  const seen: string[] = [];
  let answer: string | null | undefined;
  for (let d = dir; answer === undefined; ) {
    answer = sdkVersions.get(d);
    if (answer !== undefined) break;
    seen.push(d);
    try {
      const pkg = JSON.parse(readFileSync(join(d, 'node_modules', SDK_NAME, 'package.json'), 'utf8')) as { name?: string; version?: string };
      // A package there that is not the SDK, or has no version, is never taken for ours.
      answer = pkg.name === SDK_NAME && typeof pkg.version === 'string' ? pkg.version : '';
    } catch (err) {
      const code = (err as { code?: string }).code;
      // Not there: one level up (none above the root). There but unreadable: not ours.
      if (code !== 'ENOENT' && code !== 'ENOTDIR') answer = '';
      else if (dirname(d) === d) answer = null;
      else d = dirname(d);
    }
  }
  for (const d of seen) sdkVersions.set(d, answer);
  return answer;
}

/**
 * Kits import the kit contract (`@recovery-kit/sdk`, a peer dependency: the host's copy) and its
 * `/util`. The bundled CLI carries its own copy in dist/sdk/ (scripts/bundle.mjs sets
 * RK_BUNDLED_SDK_VERSION there): a kit whose SDK resolves to the same version, or to none at
 * all, gets that copy instead of loading the ~14 files of its own, which was about 15 ms of
 * every kit process; the runner and its kits then share one set of contract classes. A kit
 * built against another version keeps its own. Needs module.registerHooks (Node 22.15+);
 * without it, or outside the bundle (the library, tests), nothing changes.
 */
function shareSdk(): void {
  if (sharing) return;
  sharing = true;
  const version = process.env.RK_BUNDLED_SDK_VERSION;
  const register = (nodeModule as { registerHooks?: typeof nodeModule.registerHooks }).registerHooks;
  if (!version || !register) return;
  const ours = new Map([
    [SDK_NAME, new URL('./sdk/index.mjs', import.meta.url).href],
    [`${SDK_NAME}/util`, new URL('./sdk/util.mjs', import.meta.url).href],
  ]);
  if (![...ours.values()].every((u) => existsSync(fileURLToPath(u)))) return;
  register({
    resolve(specifier, context, next) {
      const mine = ours.get(specifier);
      if (!mine) return next(specifier, context);
      const parent = context.parentURL;
      const from = parent?.startsWith('file:') ? sdkVersionFrom(dirname(fileURLToPath(parent))) : '';
      // The same release as our copy, or no SDK installed for the kit at all: our copy.
      if (from === version || from === null) return { url: mine, format: 'module', shortCircuit: true };
      return next(specifier, context);
    },
  });
}

async function importKit(e: KitEntry): Promise<Kit> {
  const file = entryFile(e);
  shareSdk();
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (err) {
    throw new KitLoadError(`kit ${e.name}@${e.version} failed to load from ${file}: ${(err as Error).message}`, {
      code: 'KIT_IMPORT_FAILED',
      cause: err,
      field: 'kit',
      fix: 'reinstall the kit package (was it built? does it need a dependency that is missing?)',
    });
  }
  let kit: unknown = mod.default;
  if (kit && typeof kit === 'object' && !isKit(kit) && isKit((kit as { default?: unknown }).default)) kit = (kit as { default?: unknown }).default;
  if (!isKit(kit)) {
    throw new KitLoadError(`${e.name}: the default export of ${file} is not a kit made with defineKit()`, {
      code: 'KIT_NOT_A_KIT',
      field: 'kit',
      fix: 'export default defineKit({...}) from the kit entry module',
    });
  }
  if (kit.apiVersion !== e.manifest.apiVersion || kit.meta.kitType !== e.kitType) {
    throw new KitLoadError(
      `${e.name}: package.json declares kitType ${e.kitType} / contract ${e.manifest.apiVersion}, the code says ${kit.meta.kitType} / ${kit.apiVersion}`,
      { code: 'KIT_CONTRACT_MISMATCH', field: 'kit', fix: 'rebuild the kit so that its manifest and code agree' },
    );
  }
  return kit;
}
