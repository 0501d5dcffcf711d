#!/usr/bin/env node
// Benchmark: wall time of one `kit-runner status` and one `kit-runner action TAG quickCheck`
// process on the example kit (a status command that is a tiny shell script), plus the same with
// a 20-resource store. Prints medians and p90s; results go to docs/benchmarks.md by hand.
// Usage: node bench/runner.mjs [runs=40]
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const runs = Number(process.argv[2] ?? 40);
const bin = fileURLToPath(new URL('../packages/runner/bin/kit-runner.js', import.meta.url));
const work = mkdtempSync(join(tmpdir(), 'rk-bench-'));
const env = {
  ...process.env,
  KIT_RUNNER_STATE_DIR: join(work, 'state'),
  KIT_RUNNER_TUNABLES: join(work, 'conf'),
  KIT_RUNNER_KITS_DIR: '',
  KIT_RUNNER_NODE: 'node-a',
};
const ctl = join(work, 'ctl');
writeFileSync(ctl, `#!/bin/sh\ncase "$1" in start) touch ${work}/up;; stop) rm -f ${work}/up;; status) test -f ${work}/up;; esac\n`);
chmodSync(ctl, 0o755);
const kr = (args) => {
  const r = spawnSync(process.execPath, [bin, ...args], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`kit-runner ${args.join(' ')}: ${r.stderr}`);
};
const time = (args) => {
  const xs = [];
  kr(args); // warm the page cache
  for (let i = 0; i < runs; i++) {
    const t = performance.now();
    kr(args);
    xs.push(performance.now() - t);
  }
  xs.sort((a, b) => a - b);
  return { median: xs[Math.floor(xs.length / 2)], p90: xs[Math.floor(xs.length * 0.9)], min: xs[0] };
};
const fmt = (r) => `median ${r.median.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, min ${r.min.toFixed(1)} ms`;
try {
  const nodeOnly = (() => {
    const xs = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      spawnSync(process.execPath, ['-e', '0']);
      xs.push(performance.now() - t);
    }
    xs.sort((a, b) => a - b);
    return { median: xs[Math.floor(xs.length / 2)], p90: xs[Math.floor(xs.length * 0.9)], min: xs[0] };
  })();
  kr(['create', 'app', '--tag', 'svc', '--opt', `start=${ctl} start`, '--opt', `stop=${ctl} stop`, '--opt', `status=${ctl} status`]);
  kr(['action', 'svc', 'restore']);
  const results = {
    'node -e 0 (floor)': nodeOnly,
    'kit-runner status (1 resource)': time(['status']),
    'kit-runner status --json (1 resource)': time(['status', '--json']),
    'kit-runner action svc quickCheck': time(['action', 'svc', 'quickCheck']),
  };
  for (let i = 0; i < 19; i++)
    kr(['create', 'app', '--tag', `svc${i}`, '--opt', `start=${ctl} start`, '--opt', `stop=${ctl} stop`, '--opt', `status=${ctl} status`]);
  results['kit-runner status (20 resources)'] = time(['status']);
  console.log(`node ${process.version}, ${runs} runs each, ${new Date().toISOString()}`);
  for (const [k, v] of Object.entries(results)) console.log(`${k.padEnd(40)} ${fmt(v)}`);
} finally {
  rmSync(work, { recursive: true, force: true });
}
