/**
 * Every Pacemaker monitor is a process start: the bundled CLI takes Node's built-in modules with
 * process.getBuiltinModule (scripts/bundle.mjs, lazy-builtins) and node:crypto on first use
 * (src/lazy-crypto.ts), so a status or a quickCheck does not compile modules it never uses:
 * node:crypto, or the streams stack behind fs's lazy ReadStream (an ES import of node:fs reads it).
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, expect, it } from 'vitest';

const bin = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'rk-lean-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const env = {
  ...process.env,
  KIT_RUNNER_STATE_DIR: join(dir, 'state'),
  KIT_RUNNER_TUNABLES: join(dir, 'conf'),
  KIT_RUNNER_KITS_DIR: '',
  KIT_RUNNER_NODE: 'node-a',
};
// Written at exit by the process under test: the built-in modules it loaded.
const probe = join(dir, 'probe.cjs');
writeFileSync(
  probe,
  `process.on('exit', () => require('node:fs').writeFileSync(${JSON.stringify(join(dir, 'loaded'))}, process.moduleLoadList.join('\\n')));\n`,
);

function loaded(argv: string[]): string[] {
  const r = spawnSync(process.execPath, ['--require', probe, bin, ...argv], { encoding: 'utf8', env });
  expect(r.status, r.stderr).toBe(0);
  return readFileSync(join(dir, 'loaded'), 'utf8').split('\n');
}

it('status and an app-kit quickCheck load neither node:crypto, the fs streams, fs/promises nor perf_hooks, nor does a restore (which writes the store); create does; status no child_process', () => {
  const ctl = join(dir, 'ctl');
  writeFileSync(ctl, `#!/bin/sh\ncase "$1" in start) touch ${dir}/up;; stop) rm -f ${dir}/up;; status) test -f ${dir}/up;; esac\n`);
  chmodSync(ctl, 0o755);
  const created = loaded(['create', 'app', '--tag', 'svc', '--opt', `start=${ctl} start`, '--opt', `stop=${ctl} stop`, '--opt', `status=${ctl} status`]);
  // the check can fail: create names the new resource's id with random bytes
  expect(created).toContain('NativeModule crypto');
  // a store write (restore writes two) names its temporary file without them
  for (const argv of [['action', 'svc', 'restore'], ['status'], ['status', '--json'], ['action', 'svc', 'quickCheck']]) {
    const mods = loaded(argv);
    expect(mods, argv.join(' ')).not.toContain('NativeModule crypto');
    expect(mods, argv.join(' ')).not.toContain('NativeModule internal/fs/streams');
    // the performance global (perf_hooks): durations come from process.hrtime (src/clock.ts)
    expect(mods, argv.join(' ')).not.toContain('NativeModule perf_hooks');
    // the app kit imports node:fs/promises only in create (with readline and the file watchers)
    expect(mods, argv.join(' ')).not.toContain('NativeModule internal/fs/promises');
  }
  // status spawns nothing: child_process (the CIB store's, apply.ts's) is loaded on first use
  for (const argv of [['status'], ['status', '--json']]) expect(loaded(argv), argv.join(' ')).not.toContain('NativeModule child_process');
});
