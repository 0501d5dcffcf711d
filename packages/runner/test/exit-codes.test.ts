/**
 * Every exit code docs/reference/exit-codes.md documents, produced through the real bin
 * (bin/kit-runner.js, as operators and Pacemaker run it): one case per code, and the table of
 * cases must list exactly the documented codes, so a code added to the doc needs a case here.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { type RecSandbox, recSandbox } from './helpers.ts';

const BIN = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));
const DOC = fileURLToPath(new URL('../../../docs/reference/exit-codes.md', import.meta.url));

interface Case {
  /** What produces the code. */
  how: string;
  run(sb: RecSandbox): Promise<{ exitCode: number | null; stdout: string; stderr: string }>;
  /** What stderr (or stdout) must show besides the code. */
  shows?: RegExp;
}

const CASES: Record<number, Case> = {
  0: { how: 'a restore that succeeds', run: (sb) => sb.run(['action', 'a', 'restore']), shows: /restore a on node-a: ok/ },
  1: {
    how: "a kit's restore that fails",
    run: async (sb) => {
      await sb.create('f', ['failOn=restore']);
      return sb.run(['action', 'f', 'restore']);
    },
    shows: /code: \w+ \(exit 1\)/,
  },
  2: { how: 'an unknown flag', run: (sb) => sb.run(['status', '--colour']), shows: /Unknown option '--colour'/ },
  3: { how: 'an action the kit does not have', run: (sb) => sb.run(['action', 'a', 'nosuchaction']), shows: /\(exit 3\)/ },
  4: {
    how: 'a store the user may not read (run as nobody)',
    run: async (sb) => {
      chmodSync(sb.stateDir, 0o755);
      chmodSync(join(sb.stateDir, 'store.json'), 0o600);
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, BIN, '--state-dir', sb.stateDir, 'status'], {
        encoding: 'utf8',
        env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KIT_RUNNER_NODE: 'node-a' },
      });
      return { exitCode: r.status, stdout: r.stdout, stderr: r.stderr };
    },
    shows: /code: PERMISSION_DENIED \(exit 4\)/,
  },
  5: { how: 'a kit that is not installed', run: (sb) => sb.run(['create', 'nosuchkit', '--tag', 'x']), shows: /no kit of type "nosuchkit"/ },
  6: {
    how: 'an invalid option value',
    run: (sb) => sb.run(['create', 'rec', '--tag', 'c', '--opt', `dir=${sb.dir}`, '--opt', 'sleepMs=soon']),
    shows: /sleepMs: "soon" is not a whole number/,
  },
  7: {
    how: 'quickCheck of a resource that is not healthy',
    run: (sb) => sb.run(['action', 'a', 'quickCheck']),
    shows: /quickCheck a on node-a: not healthy/,
  },
  10: { how: 'an unknown tag', run: (sb) => sb.run(['action', 'nosuch', 'restore']), shows: /no resource with tag "nosuch"/ },
  11: { how: 'a duplicate tag', run: (sb) => sb.run(['create', 'rec', '--tag', 'a', '--opt', `dir=${sb.dir}`]), shows: /tag "a" already exists/ },
  12: {
    how: 'a hierarchy another kit-runner holds longer than LOCK_WAIT_TIMEOUT',
    run: async (sb) => {
      await sb.create('slow', ['sleepMs=1500']);
      sb.setTunables({ LOCK_WAIT_TIMEOUT: 0 });
      const holder = sb.run(['action', 'slow', 'restore']);
      for (let i = 0; i < 100 && !sb.log().some((l) => l.tag === 'slow' && l.action === 'restore:start'); i++) await new Promise((r) => setTimeout(r, 30));
      const r = await sb.run(['action', 'slow', 'remove']);
      await holder;
      return r;
    },
    shows: /slow is busy: kit-runner pid \d+ \(restore slow\) holds it since/,
  },
  70: {
    how: 'a bug: a kit result JSON cannot hold, printed with --json',
    run: (sb) => sb.run(['action', 'a', 'bigint', '--json']),
    shows: /internal error \(a bug; please report it/,
  },
  124: {
    how: 'a restore that outlives its timeout tunable',
    run: async (sb) => {
      await sb.create('late', ['sleepMs=5000']);
      sb.setTunables({ REC_RESTORE_TIMEOUT_late: 1 });
      return sb.run(['action', 'late', 'restore']);
    },
    shows: /did not finish within 1 s/,
  },
};

describe('documented exit codes, through the real bin', () => {
  it('the cases are exactly the codes docs/reference/exit-codes.md documents', () => {
    const documented = [...readFileSync(DOC, 'utf8').matchAll(/^\| +(\d+) \| [A-Z_]+ \|/gm)].map((m) => Number(m[1]));
    expect(documented.length).toBeGreaterThan(10);
    expect(
      Object.keys(CASES)
        .map(Number)
        .sort((a, b) => a - b),
    ).toEqual([...documented].sort((a, b) => a - b));
  });

  for (const [code, c] of Object.entries(CASES)) {
    it(`exit ${code}: ${c.how}`, async () => {
      const sb = recSandbox();
      await sb.create('a');
      const r = await c.run(sb);
      expect(r.exitCode, `${r.stdout}\n${r.stderr}`).toBe(Number(code));
      if (c.shows) expect(`${r.stdout}\n${r.stderr}`).toMatch(c.shows);
    });
  }
});
