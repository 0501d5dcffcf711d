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
/** An argument as a shell would need it (the demo runs no shell; this is for reading). */
const quote = (a) => (/^[\w@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`);
/** A log line as a person reads it: no timestamp, no level for INFO. */
const human = (line) => line.replace(/^\S+Z INFO +/, '').replace(/^\S+Z (WARN|ERROR) +/, (_, l) => `${l.toLowerCase()}: `);

/** What each step cost: wall time of its commands, and each resource action's own time. */
const steps = [];
let step;
const beginStep = (name) => {
  step = { name, ms: 0, commands: 0, actions: [] };
  steps.push(step);
};

function kr(args, node = 'node-a') {
  process.stdout.write(`\n$ kit-runner ${args.map(quote).join(' ')}${node === 'node-a' ? '' : `        # as ${node}`}\n`);
  const started = Date.now();
  const r = spawnSync(process.execPath, [bin, ...args], { env: { ...env, KIT_RUNNER_NODE: node }, encoding: 'utf8' });
  const out = `${r.stderr}${r.stdout}`;
  const lines = out.split('\n').filter((l) => l !== '' && !/^\S+Z DEBUG /.test(l));
  if (lines.length) process.stdout.write(`${lines.map((l) => `  ${human(l)}`).join('\n')}\n`);
  if (step) {
    step.ms += Date.now() - started;
    step.commands++;
    for (const l of lines) {
      // "restore database: ok (34 ms)", "remove webserver on node-a: ok (104 ms)"; not the command's own total.
      const a = /^(restore|remove|recover) (\S+)(?: on (\S+))?: ok \((\d+) ms\)$/.exec(l);
      if (a && !(a[3] && `${a[1]} ${a[2]}` === `${args[2]} ${args[1]}`)) step.actions.push(`${a[1]} ${a[2]}${a[3] ? ` on ${a[3]}` : ''} ${a[4]} ms`);
      const m = /(\S+): local recovery succeeded/.exec(l);
      if (m) step.actions.push(`local recovery of ${m[1]} (remove, then restore)`);
    }
  }
  if (r.status !== 0 && !args.includes('quickCheck')) failed = true;
  return r.status;
}

function printTimes() {
  console.log("\n== where the time went (each step's kit-runner commands, wall clock; each command is a new process)");
  const rows = steps.map((s) => [
    s.name,
    `${s.commands} command${s.commands === 1 ? '' : 's'}`,
    `${s.ms} ms`,
    s.actions.join('; ') || 'checks and store writes only',
  ]);
  const width = [0, 1, 2].map((i) => Math.max(...rows.map((r) => r[i].length)));
  for (const r of rows) console.log(`  ${r[0].padEnd(width[0])}  ${r[1].padEnd(width[1])}  ${r[2].padStart(width[2])}  ${r[3]}`);
  const total = steps.reduce((n, s) => n + s.ms, 0);
  console.log(
    `  total ${total} ms: the services' own start and stop commands are quick here, so most of it is Node start-up and kit loading (one process per command)`,
  );
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
  console.log('recovery-kit demo: a two-node hierarchy of the generic application kit (webserver depends on database)');
  console.log(
    'States: ISP = in service (up on that node, monitored); OSU = out of service, unimpaired (down, as asked); OSF = out of service, failed (down after a failure)',
  );
  console.log(`State in ${work}`);
  beginStep('set-up');
  kr(['kits']);
  kr(['create', 'app', '--tag', 'database', ...opt('database')]);
  kr(['create', 'app', '--tag', 'webserver', ...opt('webserver')]);
  kr(['dep', 'add', 'webserver', 'database']);
  kr(['extend', 'database', '--server', 'node-b', '--priority', '2']);
  kr(['extend', 'webserver', '--server', 'node-b', '--priority', '2']);
  console.log('\n# bring the hierarchy into service on node-a (children first: database, then webserver)');
  beginStep('in service on node-a');
  kr(['action', 'webserver', 'restore']);
  step = undefined;
  kr(['status']);
  kr(['action', 'webserver', 'quickCheck']);
  const pid = Number(readFileSync(join(work, 'database.pid'), 'utf8'));
  console.log(`\n# the database process (pid ${pid}) dies; the monitor finds it and recovers it locally`);
  process.kill(pid, 'SIGKILL');
  beginStep('local recovery');
  kr(['monitor', '--once']);
  console.log('\n# switch the hierarchy over to node-b (node-a gives it up first, parents first)');
  beginStep('switchover to node-b');
  kr(['action', 'webserver', 'restore'], 'node-b');
  step = undefined;
  kr(['status'], 'node-b');
  console.log('\n# take it out of service (removing the database takes what depends on it down first)');
  beginStep('out of service');
  kr(['action', 'database', 'remove'], 'node-b');
  step = undefined;
  kr(['status'], 'node-b');
  printTimes();
} finally {
  for (const n of ['database', 'webserver']) spawnSync(join(work, `${n}.ctl`), ['stop']);
  rmSync(work, { recursive: true, force: true });
}
console.log(failed ? '\ndemo: a step failed' : '\ndemo finished: everything it created is removed');
process.exit(failed ? 1 : 0);
