#!/usr/bin/env node
// The README's main job on an embedded default: a two-node hierarchy of the example
// application kit (a small real daemon per node, behind a "virtual service" resource), brought
// into service on node-a, checked, switched over to node-b, and taken out of service, with
// `kit-runner status` after each step. Everything lives in a temporary directory.
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const bin = join(root, 'packages/runner/bin/kit-runner.js');
const work = mkdtempSync(join(tmpdir(), 'recovery-kit-demo-'));
const env = { ...process.env, KIT_RUNNER_STATE_DIR: join(work, 'state'), KIT_RUNNER_TUNABLES: join(work, 'recovery-kit.conf'), KIT_RUNNER_KITS_DIR: '' };
writeFileSync(env.KIT_RUNNER_TUNABLES, 'LKCHECKINTERVAL=5\n');

// One control script per (service, node): a real background process with a pid file.
function ctl(name) {
  const file = join(work, `${name}.ctl`);
  const pid = join(work, `${name}.pid`);
  writeFileSync(
    file,
    `#!/bin/sh
running() { [ -f ${pid} ] && P=$(cat ${pid}) && [ -r /proc/$P/status ] && ! grep -q '^State:.*Z' /proc/$P/status; }
case "$1" in
  start) running || { ${JSON.stringify(process.execPath)} -e 'setInterval(()=>{},1000)' >/dev/null 2>&1 & echo $! > ${pid}; } ;;
  stop) running && kill $(cat ${pid}); rm -f ${pid} ;;
  status) running ;;
esac
`,
  );
  chmodSync(file, 0o755);
  return file;
}

let failed = false;
function kr(args, node = 'node-a') {
  process.stdout.write(`\n$ kit-runner ${args.join(' ')}${node === 'node-a' ? '' : `    # as ${node}`}\n`);
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...env, KIT_RUNNER_NODE: node }, encoding: 'utf8' });
  process.stdout.write(r.stderr.replace(/^\S+Z (INFO|DEBUG) +/gm, ''));
  process.stdout.write(r.stdout);
  if (r.status !== 0 && !args.includes('quickCheck')) failed = true;
  return r.status;
}

const opt = (name) => [
  '--opt',
  `start=${ctl(name)} start`,
  '--opt',
  `stop=${ctl(name)} stop`,
  '--opt',
  `status=${ctl(name)} status`,
  '--opt',
  'settleSeconds=5',
];
try {
  console.log(`recovery-kit demo: state in ${work}`);
  kr(['kits']);
  kr(['create', 'app', '--tag', 'database', ...opt('database')]);
  kr(['create', 'app', '--tag', 'webserver', ...opt('webserver')]);
  kr(['dep', 'add', 'webserver', 'database']);
  kr(['extend', 'database', '--server', 'node-b', '--priority', '2']);
  kr(['extend', 'webserver', '--server', 'node-b', '--priority', '2']);
  kr(['action', 'webserver', 'restore']);
  kr(['status']);
  kr(['action', 'webserver', 'quickCheck']);
  const pid = Number(readFileSync(join(work, 'database.pid'), 'utf8'));
  console.log(`\n# the database process (pid ${pid}) dies; the monitor finds it and recovers it locally`);
  process.kill(pid, 'SIGKILL');
  kr(['monitor', '--once']);
  console.log('\n# switch the hierarchy over to node-b (node-a gives it up first, parents first)');
  kr(['action', 'webserver', 'restore'], 'node-b');
  kr(['status'], 'node-b');
  kr(['action', 'database', 'remove'], 'node-b');
  kr(['status'], 'node-b');
} finally {
  for (const n of ['database', 'webserver']) spawnSync(join(work, `${n}.ctl`), ['stop']);
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? '\ndemo: a step failed' : '\ndemo: done');
process.exit(failed ? 1 : 0);
