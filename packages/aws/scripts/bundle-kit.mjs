// Bundles an AWS kit for kit-runner: dist/index.js (the kit without the AWS SDK) plus chunks that
// the kit loads with import() at its first AWS call. Measured (docs/kits/ec2.md): loading the
// whole @aws-sdk/client-ec2 package (CommonJS, every one of its ~800 commands) is most of an EC2
// action's process time; the ES modules of only the commands a kit sends, tree-shaken into one
// chunk, load in a fraction of it.
//
// The SDK's schemas module declares every shape of the service with computed keys
// (`{ [_xN]: _rTI }`, `_xN` a string constant), which esbuild must keep because a computed key could
// have side effects; `inlineSchemaKeys` rewrites those keys to the constants' string literals
// (exactly what they evaluate to) so that the shapes no command uses are dropped (1 MB -> 54 kB for
// the EC2 kit).
//
// Usage from a kit's build script:  import { bundleKit } from '@recovery-kit/aws/bundle-kit';
//                                   await bundleKit(new URL('..', import.meta.url));
import { readFile, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const inlineSchemaKeys = {
  name: 'inline-schema-keys',
  setup(b) {
    b.onLoad({ filter: /[\\/]@aws-sdk[\\/][^\\/]+[\\/]dist-es[\\/]schemas[\\/]schemas_\d+\.js$/ }, async (args) => {
      let text = await readFile(args.path, 'utf8');
      const constants = new Map();
      for (const m of text.matchAll(/^const (_[A-Za-z0-9_]+) = ("[^"\\\n]*");$/gm)) constants.set(m[1], m[2]);
      text = text.replace(/\[(_[A-Za-z0-9_]+)\]:/g, (all, name) => (constants.has(name) ? `${constants.get(name)}:` : all));
      return { contents: text, loader: 'js' };
    });
  },
};

/** Bundles `<kitDir>/src/index.ts` into `<kitDir>/dist` (index.js + chunk-*.js). */
export async function bundleKit(kitDir) {
  const dir = typeof kitDir === 'string' ? kitDir : fileURLToPath(kitDir);
  const outdir = join(dir, 'dist');
  // JavaScript of an earlier build (chunk names carry a hash; tsc's per-file output is not used).
  for (const f of await readdir(outdir).catch(() => [])) if (/\.js(\.map)?$/.test(f)) await rm(join(outdir, f));
  const result = await build({
    entryPoints: [join(dir, 'src/index.ts')],
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    // The kit contract's classes (KitError...) must be the runner's own: never bundled.
    external: ['@recovery-kit/sdk', '@recovery-kit/sdk/*'],
    // 'module' must be named: custom conditions drop esbuild's default one, and @smithy/core's
    // exports then resolve to its CommonJS build for "node".
    conditions: ['source', 'module'],
    // The SDK's ES modules (dist-es), which tree-shake; Node itself would load its CommonJS build.
    mainFields: ['module', 'main'],
    chunkNames: 'chunk-[hash]',
    entryNames: '[name]',
    // For CommonJS dependencies that call require() on Node's built-in modules.
    banner: { js: "import { createRequire as __rkCreateRequire } from 'node:module'; const require = __rkCreateRequire(import.meta.url);" },
    plugins: [inlineSchemaKeys],
    legalComments: 'none',
    logLevel: 'warning',
    metafile: true,
  });
  return result.metafile;
}
