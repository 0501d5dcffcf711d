#!/usr/bin/env node
// Builds a kit's runtime module: <kit>/dist/index.js, the kit's own sources in one ES module.
//
//   node scripts/build-kit.mjs [KIT_DIR]      (default: the current directory; after tsc has
//                                              written the declarations, --emitDeclarationOnly)
//
// Every Pacemaker monitor and every action is a kit-runner process that imports the kit. Node
// resolves, reads and links each ES module file on its own, and an `import` of a built-in
// (`node:fs`) builds that module's ES facade, which reads every export once (fs's lazy ReadStream
// loads the streams stack). Measured for the IP kit (8 files, tsc's output): its import took
// 9-10 ms of a restore process, bundled 3.5-4 ms (docs/benchmarks.md). So: one file, built-ins
// through process.getBuiltinModule with only the names used (the CLI's own plugin,
// packages/runner/scripts/lazy-builtins.mjs). The kit contract (@recovery-kit/sdk: the runner's
// copy must be the one a kit sees) and the kit's dependencies and peers stay imports; only
// the kit's own files are bundled. Source maps beside it (dist/index.js.map).
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { lazyBuiltins, lazyBuiltinsOptions } from '../packages/runner/scripts/lazy-builtins.mjs';

const dir = resolve(process.argv[2] ?? '.');
const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8'));
const outside = [...Object.keys(pkg.dependencies ?? {}), ...Object.keys(pkg.peerDependencies ?? {}), '@recovery-kit/sdk'];
const dist = join(dir, 'dist');
// tsc's per-file JavaScript from an earlier build (a kit built before it was bundled): unused now.
for (const f of readdirSync(dist, { recursive: true, withFileTypes: true })) if (f.isFile() && /\.js(\.map)?$/.test(f.name)) rmSync(join(f.parentPath, f.name));
await build({
  entryPoints: [join(dir, 'src/index.ts')],
  outfile: join(dist, 'index.js'),
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  external: [...new Set(outside)].flatMap((n) => [n, `${n}/*`]),
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
  ...lazyBuiltinsOptions,
  plugins: [lazyBuiltins],
});
