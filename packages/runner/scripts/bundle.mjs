// Bundles the CLI into one module, dist/kit-runner.mjs, which bin/kit-runner.js loads.
// Node resolves and links each ES module file on its own: one file instead of ~30 saves about
// a third of kit-runner's start-up (docs/benchmarks.md). dist/*.js (tsc) stays the library API.
//
// The kit contract (@recovery-kit/sdk and @recovery-kit/sdk/util) is bundled apart, into
// dist/sdk/index.mjs and dist/sdk/util.mjs (plus the chunk they share), and the CLI imports it
// from there: kits get that same copy (loader.ts, shareSdk), instead of loading the SDK's ~14
// files of their own in every kit process (about 15 ms of an app-kit quickCheck).
import { existsSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createRequire, isBuiltin } from 'node:module';
import { build } from 'esbuild';

const dist = new URL('../dist/', import.meta.url).pathname;
const sdkDir = new URL('../../sdk/', import.meta.url).pathname;
const sdkVersion = JSON.parse(readFileSync(`${sdkDir}package.json`, 'utf8')).version;
// Chunk names carry a hash: drop an earlier build's.
if (existsSync(`${dist}sdk`)) for (const f of readdirSync(`${dist}sdk`)) rmSync(`${dist}sdk/${f}`);

/**
 * Node's built-in modules are taken with process.getBuiltinModule, not imported as ES modules.
 * An `import ... from 'node:fs'` makes Node build the module's ES facade, which reads every export
 * once: fs's lazy `ReadStream` getter then loads the whole streams stack (internal/fs/streams,
 * stream, fs/promises, readline: about 8 ms of a quickCheck process that never opens a stream),
 * util's lazy exports load parse_args, diff, worker_threads. Here each built-in the bundle
 * imports is a small module of its own: `m = process.getBuiltinModule(id)` and one export per
 * name, `export const readFileSync = m.readFileSync`, marked pure so that esbuild drops the names
 * nothing imports: only the exports the code uses are ever read. Node 22.3+ has
 * process.getBuiltinModule; older, the bundle's own require (the banner). The names come from the
 * Node that runs this build (scripts/node.sh: Node 24), so a name it lacks fails the build.
 */
const req = createRequire(import.meta.url);
const IDENT = /^[A-Za-z_$][\w$]*$/;
const lazyBuiltins = {
  name: 'lazy-builtins',
  setup(b) {
    b.onResolve({ filter: /^(node:)?[a-z_/0-9]+$/ }, (a) => (isBuiltin(a.path) ? { path: a.path.replace(/^node:/, ''), namespace: 'rk-builtin' } : undefined));
    b.onLoad({ filter: /.*/, namespace: 'rk-builtin' }, (a) => {
      const id = JSON.stringify(`node:${a.path}`);
      const names = Object.getOwnPropertyNames(req(`node:${a.path}`)).filter((n) => IDENT.test(n) && n !== 'default');
      const lines = [
        `const m = typeof process.getBuiltinModule === 'function' ? process.getBuiltinModule(${id}) : __rkRequire(${id});`,
        'export default m;',
        ...names.map((n) => `export const ${n} = /* @__PURE__ */ (() => m.${n})();`),
      ];
      return { contents: lines.join('\n'), loader: 'js' };
    });
  },
};
const banner = { js: "import { createRequire as __rkCreateRequire } from 'node:module'; const __rkRequire = __rkCreateRequire(import.meta.url);" };

const common = {
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node22',
  conditions: ['source'],
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
  // A name the build's Node does not export (lazy-builtins lists them from it) fails the build.
  logOverride: { 'import-is-undefined': 'error' },
  banner,
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
