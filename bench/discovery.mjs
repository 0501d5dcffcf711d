#!/usr/bin/env node
// Benchmark: the first kit discovery of a process (what every kit-runner action and OCF agent
// pays), with N packages that are not kits (default 150, about what an installed runner has
// beside it: the AWS SDK and its @smithy packages) plus one kit in a kits directory. Each sample
// is a fresh process importing dist/loader.js: the full search, and the search limited to the
// kit's type (loader.ts, `only`). Prints medians.
// Usage: node bench/discovery.mjs [RUNS=9] [PACKAGES=150] [--against DIR]
//   --against DIR: another checkout (built), whose full search runs in the same loop.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const at = args.indexOf('--against');
const against = at >= 0 ? resolve(args.splice(at, 2)[1] ?? '') : undefined;
const runs = Number(args[0] ?? 9);
const count = Number(args[1] ?? 150);
const here = fileURLToPath(new URL('..', import.meta.url));

const work = mkdtempSync(join(tmpdir(), 'rk-bench-disc-'));
try {
  const nm = join(work, 'node_modules');
  for (let i = 0; i < count; i++) {
    const dir = join(nm, `@scope${i % 10}`, `pkg${i}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `@scope${i % 10}/pkg${i}`, version: '1.0.0', main: 'index.js' }));
  }
  cpSync(join(here, 'packages/runner/test/fixtures/kits/kit-rec'), join(nm, 'kit-rec'), { recursive: true });
  const probe = (root, only) =>
    `const { discoverKits } = await import(${JSON.stringify(join(root, 'packages/runner/dist/loader.js'))});` +
    `const t = process.hrtime.bigint(); const d = discoverKits([${JSON.stringify(work)}], []${only ? ", 'rec'" : ''});` +
    `const ms = Number(process.hrtime.bigint() - t) / 1e6; if (!d.kits.has('rec')) throw new Error('rec not found'); console.log(ms);`;
  const cases = [
    ['this checkout, full search', probe(here, false)],
    ['this checkout, limited to one type', probe(here, true)],
    ...(against ? [[`${against}, full search`, probe(against, false)]] : []),
  ];
  const xs = cases.map(() => []);
  for (let i = 0; i < runs; i++) {
    for (const [k, [, code]] of cases.entries()) {
      const r = spawnSync(process.execPath, ['--input-type=module', '-e', code], { encoding: 'utf8' });
      if (r.status !== 0) throw new Error(r.stderr);
      xs[k].push(Number(r.stdout));
    }
  }
  console.log(`node ${process.version}, ${runs} processes each, ${count} packages that are not kits + 1 kit, ${new Date().toISOString()}`);
  for (const [k, [label]] of cases.entries()) {
    const s = xs[k].sort((a, b) => a - b);
    console.log(`${label.padEnd(48)} median ${s[Math.floor(s.length / 2)].toFixed(2)} ms, min ${s[0].toFixed(2)} ms`);
  }
} finally {
  rmSync(work, { recursive: true, force: true });
}
