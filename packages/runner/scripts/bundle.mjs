// Bundles the CLI into one module, dist/kit-runner.mjs, which bin/kit-runner.js loads.
// Node 20 resolves and links each ES module file on its own: one file instead of ~30 saves about
// a third of kit-runner's start-up (docs/benchmarks.md). dist/*.js (tsc) stays the library API.
import { build } from 'esbuild';

await build({
  entryPoints: [new URL('../src/cli/main.ts', import.meta.url).pathname],
  outfile: new URL('../dist/kit-runner.mjs', import.meta.url).pathname,
  bundle: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  conditions: ['source'],
  sourcemap: true,
  legalComments: 'inline',
  logLevel: 'warning',
});
