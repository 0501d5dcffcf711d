/**
 * `kit-runner ocf install` writes one agent per installed kit at
 * `ROOT/recovery-kit/<kitType>` (ROOT default /usr/lib/ocf/resource.d), mode 0755; `uninstall`
 * removes the agents it wrote (recognized by their marker line) and the directory when empty.
 * Both are idempotent: an agent whose content would not change is left alone.
 *
 * The agent is a few lines of JavaScript run by the same Node as kit-runner, loading kit-runner's
 * one-file bundle directly (no shell, no second process), so its start-up is kit-runner's.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import type { Kit } from '@recovery-kit/sdk';
import { loadKit, type Discovery } from '../loader.ts';
import { DEFAULT_PROFILE, metadataXml, type OcfProfile } from './metadata.ts';

export const DEFAULT_OCF_ROOT = '/usr/lib/ocf/resource.d';
export const PROVIDER = 'recovery-kit';
export const MARKER = '// ocf:recovery-kit agent written by "kit-runner ocf install"; do not edit';

/** The bundle the agents load (dist/kit-runner.mjs of this runner package). */
export function bundlePath(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === '@recovery-kit/runner') return join(dir, 'dist', 'kit-runner.mjs');
      } catch {
        /* keep looking */
      }
    }
    dir = dirname(dir);
  }
  throw new Error('cannot find the @recovery-kit/runner package of this kit-runner');
}

/**
 * The compile-cache block of kit-runner's bin (between its `// >>> compile cache` and
 * `// <<< compile cache` lines): the agents turn the cache on exactly as kit-runner does, only
 * in a directory no other user can write to.
 */
export function compileCacheBlock(bundle: string): string {
  const bin = join(dirname(dirname(bundle)), 'bin', 'kit-runner.js');
  const text = readFileSync(bin, 'utf8');
  const from = text.indexOf('// >>> compile cache');
  const to = text.indexOf('// <<< compile cache');
  if (from < 0 || to < from) throw new Error(`${bin} has no compile cache block: reinstall @recovery-kit/runner`);
  return text.slice(from, text.indexOf('\n', to) + 1);
}

export interface InstallOptions {
  root: string;
  /** Environment defaults baked into every agent (KIT_RUNNER_KITS_DIR, KIT_RUNNER_TUNABLES, KIT_RUNNER_OCF_PROFILE...). */
  env: Record<string, string>;
  node?: string;
  bundle?: string;
}

/**
 * The agent file. `meta` holds the kit's meta-data in both profiles, generated at install: the
 * meta-data action prints it without loading kit-runner or the kit (an EC2 kit's AWS SDK alone
 * takes longer to load than Pacemaker's default 5 s budget on a busy node). Run install again
 * after upgrading a kit.
 */
export function agentSource(kitType: string, o: { env: Record<string, string>; node: string; bundle: string; meta?: Record<OcfProfile, string> }): string {
  const env = Object.entries(o.env)
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `process.env[${JSON.stringify(k)}] ??= ${JSON.stringify(v)};`)
    .join('\n');
  return `#!${o.node}
${MARKER}
// ocf:${PROVIDER}:${kitType}: runs the ${kitType} kit through kit-runner (docs/operate/pacemaker.md).
'use strict';
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
${env}
${
  o.meta
    ? `const META = ${JSON.stringify(o.meta)};
if (process.argv[2] === 'meta-data') {
  const p = process.env.KIT_RUNNER_OCF_PROFILE;
  process.stdout.write(META[p === '1.0' || p === '1.1' ? p : ${JSON.stringify(DEFAULT_PROFILE)}]);
  return;
}
`
    : ''
}${compileCacheBlock(o.bundle)}import(${JSON.stringify(pathToFileURL(o.bundle).href)})
  .then(({ main }) => main(['ocf', 'agent', ${JSON.stringify(kitType)}, ...process.argv.slice(2, 3)]))
  .then((rc) => { process.exitCode = rc; }, (err) => { process.stderr.write(\`ocf-exit-reason:\${err && err.message}\\n\`); process.exitCode = 1; });
`;
}

export interface InstallReport {
  dir: string;
  written: string[];
  unchanged: string[];
  removed: string[];
  skipped: Array<{ kitType: string; reason: string }>;
}

const isOurs = (file: string) => {
  try {
    return readFileSync(file, 'utf8').split('\n', 3).includes(MARKER);
  } catch {
    return false;
  }
};

export async function install(discovery: Discovery, o: InstallOptions): Promise<InstallReport> {
  const dir = join(o.root, PROVIDER);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  const report: InstallReport = { dir, written: [], unchanged: [], removed: [], skipped: [] };
  const node = o.node ?? process.execPath;
  const bundle = o.bundle ?? bundlePath();
  const wanted = new Set<string>();
  for (const e of [...discovery.kits.values()].sort((a, b) => a.kitType.localeCompare(b.kitType))) {
    if (e.problem) {
      report.skipped.push({ kitType: e.kitType, reason: e.problem.message });
      continue;
    }
    let kit: Kit;
    try {
      kit = await loadKit(discovery, e.kitType);
    } catch (err) {
      report.skipped.push({ kitType: e.kitType, reason: (err as Error).message });
      continue;
    }
    wanted.add(e.kitType);
    const file = join(dir, e.kitType);
    const text = agentSource(e.kitType, { env: o.env, node, bundle, meta: { '1.0': metadataXml(kit, '1.0'), '1.1': metadataXml(kit, '1.1') } });
    if (existsSync(file)) {
      if (!isOurs(file)) {
        report.skipped.push({ kitType: e.kitType, reason: `${file} exists and was not written by kit-runner: left alone` });
        continue;
      }
      if (readFileSync(file, 'utf8') === text) {
        report.unchanged.push(file);
        continue;
      }
    }
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, text, { mode: 0o755 });
    renameSync(tmp, file);
    report.written.push(file);
  }
  // Agents of kits no longer installed.
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (!wanted.has(name) && isOurs(file)) {
      rmSync(file, { force: true });
      report.removed.push(file);
    }
  }
  return report;
}

export function uninstall(root: string): { dir: string; removed: string[]; kept: string[] } {
  const dir = join(root, PROVIDER);
  const removed: string[] = [];
  const kept: string[] = [];
  if (!existsSync(dir)) return { dir, removed, kept };
  for (const name of readdirSync(dir)) {
    const file = join(dir, name);
    if (isOurs(file)) {
      rmSync(file, { force: true });
      removed.push(file);
    } else kept.push(file);
  }
  if (kept.length === 0) {
    try {
      rmdirSync(dir);
    } catch {
      /* not empty or gone */
    }
  }
  return { dir, removed, kept };
}

export type { OcfProfile };
