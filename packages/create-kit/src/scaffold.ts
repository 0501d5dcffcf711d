/**
 * Scaffolds a standalone kit from ../template: the one kit layout (docs/extend/writing-a-kit.md),
 * tests on @recovery-kit/testing's KitTester, ready for `npm install && npm test`.
 *
 * Template files are copied as they are, with `{{key}}` replaced; `gitignore` becomes `.gitignore`
 * (npm never packs a file named .gitignore). The versions the new kit depends on come from this
 * package's own package.json (pnpm pack wrote real ranges there), or, when it runs from a
 * checkout of recovery-kit, from the workspace's packages and catalog.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const KIT_TYPE = /^[a-z][a-z0-9-]{0,39}$/;
const PACKAGE_NAME = /^(@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/;

export interface ScaffoldOptions {
  /** npm package name, e.g. `@acme/kit-foo` or `kit-foo`. */
  name: string;
  /** Directory to create (default: the name without its scope). Must not exist or be empty. */
  dir?: string;
  /** Default: the name without scope and without a leading `kit-`. */
  kitType?: string;
  description?: string;
  license?: string;
  /**
   * A directory holding recovery-kit's packed tarballs (recovery-kit-sdk-X.tgz, -testing-, -runner-):
   * the new kit's devDependencies point at them (before the packages are on the registry, or on a
   * machine without it).
   */
  packages?: string;
}

export class ScaffoldError extends Error {
  readonly field: string;
  readonly fix: string;
  constructor(message: string, field: string, fix: string) {
    super(message);
    this.name = 'ScaffoldError';
    this.field = field;
    this.fix = fix;
  }
}

const here = dirname(fileURLToPath(import.meta.url));
/** The package root, from src/ (tests) and from dist/ (the bin). */
export const packageRoot = resolve(here, '..');
export const templateDir = join(packageRoot, 'template');

interface OwnPackage {
  version: string;
  devDependencies: Record<string, string>;
}

/** The ranges a new kit depends on: what pnpm pack wrote, or the workspace's own versions. */
export function dependencyRanges(root = packageRoot): Record<string, string> {
  const own = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as OwnPackage;
  const workspace = resolve(root, '../..');
  const out: Record<string, string> = {};
  for (const [dep, spec] of Object.entries(own.devDependencies)) {
    if (spec.startsWith('workspace:')) {
      const dir = ['packages', 'kits', 'examples']
        .flatMap((d) => (existsSync(join(workspace, d)) ? readdirSync(join(workspace, d)).map((x) => join(workspace, d, x)) : []))
        .find((d) => existsSync(join(d, 'package.json')) && (JSON.parse(readFileSync(join(d, 'package.json'), 'utf8')) as { name?: string }).name === dep);
      if (!dir) throw new Error(`${dep} (${spec}) is not a package of the workspace at ${workspace}`);
      out[dep] = `^${(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { version: string }).version}`;
    } else if (spec.startsWith('catalog:')) {
      const yaml = readFileSync(join(workspace, 'pnpm-workspace.yaml'), 'utf8');
      const section = yaml.split(/^catalog:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
      const line = section.split('\n').find((l) => l.trim().replace(/^["']|["']?:.*$/g, '') === dep);
      if (!line) throw new Error(`${dep} is not in the catalog of ${join(workspace, 'pnpm-workspace.yaml')}`);
      out[dep] = line
        .slice(line.indexOf(':', line.indexOf(dep) + dep.length) + 1)
        .trim()
        .replace(/^["']|["']$/g, '');
    } else out[dep] = spec;
  }
  return out;
}

function tarballIn(dir: string, pkg: string): string {
  const stem = pkg.replace(/^@/, '').replace('/', '-');
  const found = existsSync(dir) ? readdirSync(dir).filter((f) => f.startsWith(`${stem}-`) && /^\d/.test(f.slice(stem.length + 1)) && f.endsWith('.tgz')) : [];
  if (found.length === 0)
    throw new ScaffoldError(
      `--packages: no ${stem}-VERSION.tgz in ${dir}`,
      'packages',
      'pack them first: node scripts/bundle.mjs --tarballs DIR (in recovery-kit)',
    );
  return join(dir, found.sort().at(-1)!);
}

/** The files the scaffold would write, relative to its directory, with their content. */
export function render(o: ScaffoldOptions): { dir: string; files: Map<string, string> } {
  if (!PACKAGE_NAME.test(o.name))
    throw new ScaffoldError(
      `${JSON.stringify(o.name)} is not a valid npm package name`,
      'name',
      'use lowercase letters, digits and - . _ ~, e.g. @acme/kit-foo',
    );
  const bare = o.name.replace(/^@[^/]+\//, '');
  const kitType = o.kitType ?? bare.replace(/^kit-/, '');
  if (!KIT_TYPE.test(kitType))
    throw new ScaffoldError(
      `kit type ${JSON.stringify(kitType)} is not valid`,
      'kit-type',
      'give --kit-type: a lowercase letter, then up to 39 lowercase letters, digits or dashes',
    );
  const ranges = dependencyRanges();
  const spec = (dep: string) => (o.packages ? `file:${tarballIn(resolve(o.packages), dep)}` : ranges[dep]!);
  const values: Record<string, string> = {
    name: o.name,
    kitType,
    PREFIX: kitType.toUpperCase().replace(/-/g, '_'),
    description: (o.description ?? `Recovery kit for ${kitType}.`).replace(/["\\]/g, ''),
    license: o.license ?? 'Apache-2.0',
    packFile: `${o.name.replace(/^@/, '').replace('/', '-')}-0.1.0.tgz`,
    sdkRange: ranges['@recovery-kit/sdk']!,
    sdkSpec: spec('@recovery-kit/sdk'),
    testingSpec: spec('@recovery-kit/testing'),
    runnerSpec: spec('@recovery-kit/runner'),
    typesNodeSpec: ranges['@types/node']!,
    typescriptSpec: ranges.typescript!,
    vitestSpec: ranges.vitest!,
  };
  const files = new Map<string, string>();
  const walk = (rel: string) => {
    for (const entry of readdirSync(join(templateDir, rel))) {
      const from = join(rel, entry);
      if (statSync(join(templateDir, from)).isDirectory()) walk(from);
      else {
        const text = readFileSync(join(templateDir, from), 'utf8').replace(/\{\{(\w+)\}\}/g, (all, key: string) => values[key] ?? all);
        files.set(join(rel, entry === 'gitignore' ? '.gitignore' : entry), text);
      }
    }
  };
  walk('');
  return { dir: resolve(o.dir ?? bare), files };
}

/** Writes the scaffold; refuses a directory that exists and is not empty. Returns the directory. */
export function scaffold(o: ScaffoldOptions): { dir: string; kitType: string; files: string[] } {
  const { dir, files } = render(o);
  if (existsSync(dir) && readdirSync(dir).length > 0)
    throw new ScaffoldError(`${dir} exists and is not empty`, 'dir', 'choose another directory (--dir DIR) or empty this one');
  for (const [rel, text] of files) {
    mkdirSync(dirname(join(dir, rel)), { recursive: true });
    writeFileSync(join(dir, rel), text);
  }
  const pkg = JSON.parse(files.get('package.json')!) as { recoveryKit: { kitType: string } };
  return { dir, kitType: pkg.recoveryKit.kitType, files: [...files.keys()].sort() };
}

export const defaultDir = (name: string) => basename(name.replace(/^@[^/]+\//, ''));
