// Bundles the CLI into one module, dist/kit-runner.mjs, which bin/kit-runner.js loads.
// Node resolves and links each ES module file on its own: one file instead of ~30 saves about
// a third of kit-runner's start-up (docs/benchmarks.md). dist/*.js (tsc) stays the library API.
//
// The kit contract (@recovery-kit/sdk and @recovery-kit/sdk/util) is bundled apart, into
// dist/sdk/index.mjs and dist/sdk/util.mjs (plus the chunk they share), and the CLI imports it
// from there: kits get that same copy (loader.ts, shareSdk), instead of loading the SDK's ~14
// files of their own in every kit process (about 15 ms of an app-kit quickCheck).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { build } from 'esbuild';
import { lazyBuiltins, lazyBuiltinsOptions } from './lazy-builtins.mjs';

const dist = new URL('../dist/', import.meta.url).pathname;
const sdkDir = new URL('../../sdk/', import.meta.url).pathname;
const sdkVersion = JSON.parse(readFileSync(`${sdkDir}package.json`, 'utf8')).version;
// Chunk names carry a hash: drop an earlier build's.
if (existsSync(`${dist}sdk`)) for (const f of readdirSync(`${dist}sdk`)) rmSync(`${dist}sdk/${f}`);

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  conditions: ['source'],
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
  // Node's built-in modules: process.getBuiltinModule, only the exports used (lazy-builtins.mjs).
  ...lazyBuiltinsOptions,
};

await build({
  ...common,
  entryPoints: { index: `${sdkDir}src/index.ts`, util: `${sdkDir}src/util/index.ts` },
  outdir: `${dist}sdk`,
  splitting: true,
  outExtension: { '.js': '.mjs' },
  chunkNames: 'chunk-[hash]',
  plugins: [lazyBuiltins],
});

/** The CLI's imports of the SDK go to the bundle above (one copy for the runner and its kits). */
const sdkExternal = {
  name: 'sdk-external',
  setup(b) {
    b.onResolve({ filter: /^@recovery-kit\/sdk(\/util)?$/ }, (a) => ({
      path: a.path.endsWith('/util') ? './sdk/util.mjs' : './sdk/index.mjs',
      external: true,
    }));
  },
};

await build({
  ...common,
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: `${dist}kit-runner.mjs`,
  define: { 'process.env.RK_BUNDLED_SDK_VERSION': JSON.stringify(sdkVersion) },
  plugins: [sdkExternal, lazyBuiltins],
});
