#!/usr/bin/env node
// Packs recovery-kit for installing on nodes (docs/operate/installing-kits.md).
//
//   node scripts/bundle.mjs --tarballs DIR [PACKAGE...]
//       `pnpm pack` of each package into DIR: tarballs plain `npm install` accepts (pnpm rewrites
//       the workspace: and catalog: ranges; npm pack would leave them). PACKAGE is a short name
//       (runner, sdk, testing, create-kit, aws, kit-ip, kit-app, ...), "node" (the default: the
//       runner, the sdk and every kit) or "all" (every package that is not private).
//   node scripts/bundle.mjs [--out FILE] [--kits ip,app,...]
//       The offline bundle: one .tgz holding an npm prefix (package.json, package-lock.json,
//       node_modules with every dependency, packages/ with our tarballs) for a node without
//       registry access. Made with npm, which fetches the third-party dependencies (pg for the
//       PostgreSQL kit) from the registry or its cache here. Default FILE:
//       ./recovery-kit-VERSION-bundle.tgz. Install it on the node with:
//         install -d -m 0755 /usr/lib/recovery-kit
//         tar -xzf recovery-kit-VERSION-bundle.tgz -C /usr/lib/recovery-kit --no-same-owner
//         ln -sf /usr/lib/recovery-kit/node_modules/.bin/kit-runner /usr/local/sbin/kit-runner
//
// Packages must be built first (`pnpm install` does it; else `pnpm -r run build`).
// Exit codes: 0 done, 2 bad usage, 1 a step failed (its output is printed).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

function fail(message, code = 1) {
  process.stderr.write(`bundle: ${message}\n`);
  process.exit(code);
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  if (r.error) fail(`cannot run ${cmd}: ${r.error.message} (fix: run bash scripts/setup.sh --minimal, or put ${cmd} on PATH)`);
  if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout}${r.stderr}`);
  return r.stdout;
}

/** Every workspace package: { short, dir, pkg }. */
function workspacePackages() {
  const out = [];
  for (const group of ['packages', 'kits', 'examples'])
    for (const d of readdirSync(join(root, group)).sort()) {
      const dir = join(root, group, d);
      if (!existsSync(join(dir, 'package.json'))) continue;
      const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
      out.push({ short: pkg.name.replace(/^@recovery-kit\//, ''), dir, pkg });
    }
  return out;
}

/** The packages named (short names, "node", "all"), in a stable order. */
function select(names) {
  const all = workspacePackages().filter((p) => !p.pkg.private);
  const node = all.filter((p) => p.short === 'runner' || p.short === 'sdk' || p.pkg.recoveryKit);
  const out = new Map();
  for (const n of names.length ? names : ['node']) {
    const group = n === 'all' ? all : n === 'node' ? node : all.filter((p) => p.short === n || p.short === `kit-${n}`);
    if (group.length === 0) fail(`no publishable package ${JSON.stringify(n)} (fix: one of node, all, ${all.map((p) => p.short).join(', ')})`, 2);
    for (const p of group) out.set(p.short, p);
  }
  return [...out.values()];
}

const tarballName = (pkg) => `${pkg.name.replace(/^@/, '').replace('/', '-')}-${pkg.version}.tgz`;

/** pnpm pack of each package into `dest`; returns the tarball paths. */
function pack(packages, dest) {
  mkdirSync(dest, { recursive: true });
  return packages.map((p) => {
    const main = p.pkg.exports?.['.']?.default;
    if (main && !existsSync(join(p.dir, main))) fail(`${p.pkg.name} is not built (${main} is missing) (fix: pnpm -r run build)`);
    run('pnpm', ['pack', '--pack-destination', dest], { cwd: p.dir });
    const file = join(dest, tarballName(p.pkg));
    if (!existsSync(file)) fail(`pnpm pack of ${p.pkg.name} did not write ${file}`);
    return file;
  });
}

function bundle(out, kits) {
  const names = [
    'runner',
    'sdk',
    ...(kits ??
      select(['node'])
        .filter((p) => p.pkg.recoveryKit)
        .map((p) => p.short)),
  ];
  const packages = select(names);
  const stage = mkdtempSync(join(tmpdir(), 'rk-bundle-'));
  try {
    const files = pack(packages, join(stage, 'packages'));
    const runner = packages.find((p) => p.short === 'runner').pkg;
    const deps = Object.fromEntries(packages.map((p, i) => [p.pkg.name, `file:packages/${files[i].split('/').at(-1)}`]));
    writeFileSync(
      join(stage, 'package.json'),
      `${JSON.stringify(
        {
          name: 'recovery-kit-node',
          version: runner.version,
          private: true,
          description: 'recovery-kit on this node: kit-runner and its kits (node_modules/.bin/kit-runner). Add a kit: npm install --prefix THIS_DIR ./kit.tgz',
          dependencies: deps,
        },
        null,
        2,
      )}\n`,
    );
    // Third-party dependencies from the registry, or npm's cache when it holds them.
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--omit=dev', '--loglevel=error'], { cwd: stage });
    if (!existsSync(join(stage, 'node_modules/.bin/kit-runner'))) fail('npm install wrote no node_modules/.bin/kit-runner');
    const target = resolve(out ?? `recovery-kit-${runner.version}-bundle.tgz`);
    run('tar', ['-czf', target, '--owner=0', '--group=0', '-C', stage, '.']);
    const lock = JSON.parse(readFileSync(join(stage, 'package-lock.json'), 'utf8'));
    const count = Object.keys(lock.packages).filter((k) => k.startsWith('node_modules/')).length;
    process.stdout.write(
      `${target}: kit-runner ${runner.version} with ${packages.length - 2} kits (${names.slice(2).join(', ')}) and every dependency (${count} packages in node_modules)\n` +
        'install on a node (no registry needed):\n' +
        '  install -d -m 0755 /usr/lib/recovery-kit\n' +
        `  tar -xzf ${target.split('/').at(-1)} -C /usr/lib/recovery-kit --no-same-owner\n` +
        '  ln -sf /usr/lib/recovery-kit/node_modules/.bin/kit-runner /usr/local/sbin/kit-runner\n',
    );
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

const argv = process.argv.slice(2);
if (argv[0] === '-h' || argv[0] === '--help') {
  const header = readFileSync(fileURLToPath(import.meta.url), 'utf8')
    .split('\n')
    .slice(1, 19);
  process.stdout.write(`${header.join('\n').replace(/^\/\/ ?/gm, '')}\n`);
  process.exit(0);
}
if (argv[0] === '--tarballs') {
  if (!argv[1] || argv[1].startsWith('-')) fail('--tarballs needs a directory (fix: node scripts/bundle.mjs --tarballs DIR [PACKAGE...])', 2);
  for (const f of pack(select(argv.slice(2)), resolve(argv[1]))) process.stdout.write(`${f}\n`);
} else {
  let out;
  let kits;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out' && argv[i + 1]) out = argv[++i];
    else if (argv[i] === '--kits' && argv[i + 1])
      kits = argv[++i]
        .split(',')
        .filter(Boolean)
        .map((k) => (k.startsWith('kit-') ? k : `kit-${k}`));
    else fail(`unknown argument ${argv[i]} (fix: node scripts/bundle.mjs [--out FILE] [--kits ip,app] | --tarballs DIR [PACKAGE...])`, 2);
  }
  bundle(out, kits);
}
