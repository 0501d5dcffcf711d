#!/usr/bin/env node
// Benchmark: wall time of one `kit-runner status` and one `kit-runner action TAG quickCheck`
// process on the example kit (a status command that is a tiny shell script), plus the same with
// a 20-resource store. Prints medians and p90s, and how far each is over Node's floor: every run
// follows a `node -e 0` of its own, and "floor + N (paired)" is the median of the differences, so
// a machine that slows down for a minute moves both; results go to docs/benchmarks.md by hand.
// Usage: node bench/runner.mjs [runs=40] [--against DIR]
//   --against DIR: another checkout (installed and built), e.g. a `git worktree add --detach DIR REV`
//   of an older commit: every case runs there too, interleaved run by run with this checkout
//   (alternating which goes first), each with its own state directory, so both columns and their
//   ratio come from the same minutes of a (possibly loaded) machine.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const args = process.argv.slice(2);
const at = args.indexOf('--against');
const against = at >= 0 ? resolve(args.splice(at, 2)[1] ?? '') : undefined;
const runs = Number(args[0] ?? 40);

function target(label, root) {
  const work = mkdtempSync(join(tmpdir(), 'rk-bench-'));
  const ctl = join(work, 'ctl');
  writeFileSync(ctl, `#!/bin/sh\ncase "$1" in start) touch ${work}/up;; stop) rm -f ${work}/up;; status) test -f ${work}/up;; esac\n`);
  chmodSync(ctl, 0o755);
  const env = {
    ...process.env,
    KIT_RUNNER_STATE_DIR: join(work, 'state'),
    KIT_RUNNER_TUNABLES: join(work, 'conf'),
    KIT_RUNNER_KITS_DIR: '',
    KIT_RUNNER_NODE: 'node-a',
  };
  const bin = join(root, 'packages/runner/bin/kit-runner.js');
  const kr = (argv) => {
    const r = spawnSync(process.execPath, [bin, ...argv], { env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${label}: kit-runner ${argv.join(' ')}: ${r.stderr}`);
  };
  const app = (tag) => ['create', 'app', '--tag', tag, '--opt', `start=${ctl} start`, '--opt', `stop=${ctl} stop`, '--opt', `status=${ctl} status`];
  return { label, work, kr, app };
}

const targets = [target('this checkout', fileURLToPath(new URL('..', import.meta.url)))];
if (against) targets.push(target(against, against));

const summary = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[Math.floor(s.length / 2)], p90: s[Math.floor(s.length * 0.9)], min: s[0] };
};
const floorRun = () => {
  const t = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  return performance.now() - t;
};
/**
 * Times `argv` `runs` times in every target, interleaved, with a `node -e 0` right before each
 * run: one summary per target, each with `over`, the median of its runs' differences to the floor
 * sample just before them (what the floor + N ms goals compare, from the same moments).
 */
const time = (argv) => {
  for (const t of targets) t.kr(argv); // warm the page cache
  const xs = targets.map(() => []);
  const overs = targets.map(() => []);
  for (let i = 0; i < runs; i++) {
    const order = i % 2 ? [...targets.keys()].reverse() : [...targets.keys()];
    for (const k of order) {
      const floor = floorRun();
      const t = performance.now();
      targets[k].kr(argv);
      const ms = performance.now() - t;
      xs[k].push(ms);
      overs[k].push(ms - floor);
    }
  }
  return xs.map((x, k) => ({ ...summary(x), over: summary(overs[k]).median }));
};
const fmt = (r) =>
  `median ${r.median.toFixed(1)} ms, p90 ${r.p90.toFixed(1)} ms, min ${r.min.toFixed(1)} ms${r.over === undefined ? '' : `, floor + ${r.over.toFixed(1)} (paired)`}`;
try {
  const nodeOnly = (() => {
    const xs = [];
    for (let i = 0; i < runs; i++) xs.push(floorRun());
    return summary(xs);
  })();
  for (const t of targets) {
    t.kr(t.app('svc'));
    t.kr(['action', 'svc', 'restore']);
  }
  const results = {
    'kit-runner status (1 resource)': time(['status']),
    'kit-runner status --json (1 resource)': time(['status', '--json']),
    'kit-runner action svc quickCheck': time(['action', 'svc', 'quickCheck']),
  };
  for (const t of targets) for (let i = 0; i < 19; i++) t.kr(t.app(`svc${i}`));
  results['kit-runner status (20 resources)'] = time(['status']);
  console.log(`node ${process.version}, ${runs} runs each${against ? ', interleaved with --against' : ''}, ${new Date().toISOString()}`);
  console.log(`${'node -e 0 (floor)'.padEnd(40)} ${fmt(nodeOnly)}`);
  for (const [k, v] of Object.entries(results)) {
    if (!against) console.log(`${k.padEnd(40)} ${fmt(v[0])}`);
    else {
      console.log(k);
      for (const [i, t] of targets.entries()) console.log(`  ${t.label.padEnd(38)} ${fmt(v[i])}`);
      console.log(`  ${'ratio of medians (this / against)'.padEnd(38)} ${(v[0].median / v[1].median).toFixed(2)}`);
    }
  }
} finally {
  for (const t of targets) rmSync(t.work, { recursive: true, force: true });
}
