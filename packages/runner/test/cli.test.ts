/**
 * The runner end to end: the built kit-runner binary in its own sandbox (state dir, tunables
 * file, kits dir), driving real fixture kits that record what they were asked to do.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

const states = async (sb: ReturnType<typeof recSandbox>, node = 'node-a') => {
  const r = await sb.ok(['status', '--json'], node);
  const data = r.json as { resources: Array<{ tag: string; local: { state: string; reason: string } | null }> };
  return Object.fromEntries(data.resources.map((x) => [x.tag, x.local?.state]));
};

/** app -> web -> (db, vip): a hierarchy of four. */
async function hierarchy(sb: ReturnType<typeof recSandbox>, failOn: Record<string, string> = {}) {
  for (const t of ['app', 'web', 'db', 'vip']) await sb.create(t, failOn[t] ? [`failOn=${failOn[t]}`] : []);
  await sb.ok(['dep', 'add', 'app', 'web']);
  await sb.ok(['dep', 'add', 'web', 'db']);
  await sb.ok(['dep', 'add', 'web', 'vip']);
}

describe('hierarchy walks', () => {
  it('restores children first and removes parents first', async () => {
    const sb = recSandbox();
    await hierarchy(sb);
    const r = await sb.ok(['action', 'app', 'restore', '--json']);
    expect((r.json as { steps: Array<{ tag: string }> }).steps.map((s) => s.tag)).toEqual(['db', 'vip', 'web', 'app']);
    const restored = sb
      .log()
      .filter((l) => l.action === 'restore:end')
      .map((l) => l.tag);
    expect(restored).toEqual(['db', 'vip', 'web', 'app']);
    expect(await states(sb)).toEqual({ app: 'ISP', web: 'ISP', db: 'ISP', vip: 'ISP' });
    // Removing a child takes down everything above it first, and leaves its sibling alone.
    await sb.ok(['action', 'db', 'remove']);
    expect(
      sb
        .log()
        .filter((l) => l.action === 'remove:end')
        .map((l) => l.tag),
    ).toEqual(['app', 'web', 'db']);
    expect(await states(sb)).toEqual({ app: 'OSU', web: 'OSU', db: 'OSU', vip: 'ISP' });
  });

  it('stops at the first failure and marks that resource OSF with the reason', async () => {
    const sb = recSandbox();
    await hierarchy(sb, { web: 'restore' });
    const r = await sb.run(['action', 'app', 'restore']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/restore of web failed on purpose/);
    expect(await states(sb)).toEqual({ app: 'OSU', web: 'OSF', db: 'ISP', vip: 'ISP' });
    expect(sb.log().some((l) => l.tag === 'app')).toBe(false);
    const st = (await sb.ok(['status', '--json'])).json as { resources: Array<{ tag: string; local: { reason: string } }> };
    expect(st.resources.find((x) => x.tag === 'web')!.local.reason).toMatch(/restore failed: restore of web failed on purpose/);
    const human = await sb.ok(['status']);
    expect(human.stdout).toMatch(/app\s+rec\s+\S+\s+OSU/);
    expect(human.stdout).toMatch(/└─ web|├─ web/);
  });

  it('restore twice and remove twice both succeed; the second changes nothing', async () => {
    const sb = recSandbox();
    await hierarchy(sb);
    await sb.ok(['action', 'app', 'restore']);
    const n = sb.log().length;
    const again = await sb.ok(['action', 'app', 'restore', '--json']);
    expect((again.json as { steps: Array<{ outcome: string }> }).steps.every((s) => s.outcome === 'skipped')).toBe(true);
    expect(sb.log().length).toBe(n);
    await sb.ok(['action', 'app', 'remove']);
    await sb.ok(['action', 'app', 'remove']);
    expect(await states(sb)).toEqual({ app: 'OSU', web: 'ISP', db: 'ISP', vip: 'ISP' });
    // --force runs the kit's remove even for a resource already recorded out of service.
    const forced = await sb.ok(['action', 'app', 'remove', '--force', '--json']);
    expect((forced.json as { steps: Array<{ outcome: string }> }).steps[0]!.outcome).toBe('ok');
  });

  it('switches a hierarchy between servers without ever having it active on both', async () => {
    const sb = recSandbox();
    await sb.create('web');
    await sb.create('vip', ['port=80']);
    await sb.ok(['dep', 'add', 'web', 'vip']);
    await sb.ok(['extend', 'vip', '--server', 'node-b', '--priority', '2', '--opt', 'port=8080']);
    const ext = await sb.ok(['extend', 'web', '--server', 'node-b', '--priority', '2', '--json']);
    expect((ext.json as { extended: string[] }).extended).toEqual(['web']);
    await sb.ok(['action', 'web', 'restore'], 'node-a');
    await sb.ok(['action', 'web', 'restore'], 'node-b');
    const log = sb.log().filter((l) => l.action.endsWith(':end'));
    expect(log.map((l) => `${l.action.split(':')[0]} ${l.tag}@${l.server}`)).toEqual([
      'restore vip@node-a',
      'restore web@node-a',
      'remove web@node-a',
      'remove vip@node-a',
      'restore vip@node-b',
      'restore web@node-b',
    ]);
    const st = (await sb.ok(['status', '--json'])).json as { resources: Array<{ tag: string; servers: Record<string, { state: string; priority: number }> }> };
    const vip = st.resources.find((r) => r.tag === 'vip')!;
    expect(vip.servers).toMatchObject({ 'node-a': { state: 'OSU', priority: 1 }, 'node-b': { state: 'ISP', priority: 2 } });
    // The per-server value given at extend reached the kit on node-b.
    const store = JSON.parse(sb.storeBytes());
    expect(store.resources.vip.servers['node-b'].info).toEqual({ extendedTo: 'node-b', port: 8080 });
  });
});

describe('locks and crashes', () => {
  it('serializes two concurrent actions on one hierarchy', async () => {
    const sb = recSandbox();
    await sb.create('slow', ['sleepMs=700']);
    await sb.create('top');
    await sb.ok(['dep', 'add', 'top', 'slow']);
    const [a, b] = await Promise.all([sb.run(['action', 'slow', 'restore']), sb.run(['action', 'top', 'remove', '--force'])]);
    expect(a.exitCode, a.stderr).toBe(0);
    expect(b.exitCode, b.stderr).toBe(0);
    const log = sb.log();
    // Group each process's records; their time spans must not overlap.
    const spans = [...new Set(log.map((l) => l.pid))].map((pid) => {
      const ts = log.filter((l) => l.pid === pid).map((l) => l.t);
      return [Math.min(...ts), Math.max(...ts)] as const;
    });
    expect(spans.length).toBe(2);
    const [s1, s2] = spans.sort((x, y) => x[0] - y[0]);
    expect(s1![1]).toBeLessThanOrEqual(s2![0]);
  });

  it('a second action waits at most LOCK_WAIT_TIMEOUT and then fails with exit 12', async () => {
    const sb = recSandbox();
    sb.setTunables({ LOCK_WAIT_TIMEOUT: 0 });
    await sb.create('slow', ['sleepMs=1500']);
    const first = sb.run(['action', 'slow', 'restore']);
    await new Promise((r) => setTimeout(r, 700));
    const second = await sb.run(['action', 'slow', 'remove']);
    expect(second.exitCode).toBe(12);
    expect(second.stderr).toMatch(/busy: kit-runner pid \d+ \(restore slow\)/);
    expect((await first).exitCode).toBe(0);
  });

  it('kill -9 during an action leaves a readable, consistent store and a breakable lock', async () => {
    const sb = recSandbox();
    await sb.create('slow', ['sleepMs=5000']);
    const before = JSON.parse(sb.storeBytes());
    const child = sb.spawn(['action', 'slow', 'restore']);
    // Wait until the kit is inside its restore.
    for (let i = 0; i < 100 && !sb.log().some((l) => l.action === 'restore:start'); i++) await new Promise((r) => setTimeout(r, 50));
    expect(sb.log().some((l) => l.action === 'restore:start')).toBe(true);
    child.kill('SIGKILL');
    await new Promise((r) => child.on('close', r));
    const after = JSON.parse(sb.storeBytes());
    expect(after.resources.slow.servers['node-a'].state).toBe(before.resources.slow.servers['node-a'].state);
    const st = await sb.ok(['status']);
    expect(st.stdout).toMatch(/restore interrupted \(pid \d+ is gone\)/);
    // The dead process's reservation does not block the next action.
    const again = await sb.run(['action', 'slow', 'remove', '--force']);
    expect(again.exitCode, again.stderr).toBe(0);
    expect(JSON.parse(sb.storeBytes()).resources.slow.servers['node-a'].pending).toBeUndefined();
  });
});

describe('bad input changes nothing', () => {
  const cases: Array<{ name: string; args: (dir: string) => string[]; exit: number; message: RegExp; tunables?: string }> = [
    { name: 'unknown kit', args: () => ['create', 'nosuchkit', '--tag', 'x'], exit: 5, message: /no kit of type "nosuchkit" is installed/ },
    { name: 'unknown tag', args: () => ['action', 'nosuch', 'restore'], exit: 10, message: /no resource with tag "nosuch"/ },
    { name: 'duplicate tag', args: (d) => ['create', 'rec', '--tag', 'a', '--opt', `dir=${d}`], exit: 11, message: /tag "a" already exists/ },
    { name: 'dependency cycle', args: () => ['dep', 'add', 'a', 'b'], exit: 11, message: /making a depend on b would create a cycle: a -> b -> a/ },
    { name: 'duplicate dependency', args: () => ['dep', 'add', 'b', 'a'], exit: 11, message: /b already depends on a/ },
    { name: 'self dependency', args: () => ['dep', 'add', 'a', 'a'], exit: 11, message: /cycle/ },
    {
      name: 'invalid option value',
      args: (d) => ['create', 'rec', '--tag', 'c', '--opt', `dir=${d}`, '--opt', 'sleepMs=soon'],
      exit: 6,
      message: /sleepMs: "soon" is not a whole number/,
    },
    { name: 'missing required option', args: () => ['create', 'rec', '--tag', 'c'], exit: 6, message: /dir: is required/ },
    {
      name: 'unknown option',
      args: (d) => ['create', 'rec', '--tag', 'c', '--opt', `dir=${d}`, '--opt', 'slepMs=1'],
      exit: 6,
      message: /slepMs: unknown option \(fix: did you mean "sleepMs"\?\)/,
    },
    { name: 'invalid tag', args: (d) => ['create', 'rec', '--tag', '/etc', '--opt', `dir=${d}`], exit: 6, message: /tag "\/etc" is not valid/ },
    {
      name: 'priority out of range',
      args: () => ['extend', 'a', '--server', 'node-b', '--priority', '1000'],
      exit: 6,
      message: /priority 1000 is out of range/,
    },
    {
      name: 'priority in use',
      args: () => ['extend', 'a', '--server', 'node-b', '--priority', '1'],
      exit: 11,
      message: /priority 1 is already used by node-a/,
    },
    {
      name: 'non-per-server option at extend',
      args: () => ['extend', 'a', '--server', 'node-b', '--priority', '2', '--opt', 'sleepMs=3'],
      exit: 6,
      message: /sleepMs of a is the same on every server/,
    },
    {
      name: 'malformed tunables file',
      args: () => ['action', 'a', 'restore'],
      exit: 6,
      message: /malformed tunables file [\s\S]*conf:2: not a KEY=VALUE line/,
      tunables: 'LKCHECKINTERVAL=5\nthis is not a tunable\n',
    },
    {
      name: 'invalid tunable value',
      args: () => ['action', 'a', 'restore'],
      exit: 6,
      message: /REC_RESTORE_TIMEOUT: "fast" is not a whole number/,
      tunables: 'REC_RESTORE_TIMEOUT=fast\n',
    },
    { name: 'unknown command', args: () => ['frobnicate'], exit: 2, message: /unknown command "frobnicate"/ },
    { name: 'create without --tag', args: (d) => ['create', 'rec', '--opt', `dir=${d}`], exit: 2, message: /--tag is required/ },
    { name: 'extend without --server', args: () => ['extend', 'a', '--priority', '2'], exit: 2, message: /--server is required/ },
    { name: 'unextend without --server', args: () => ['unextend', 'a'], exit: 2, message: /--server is required/ },
    { name: 'unextend with a second tag', args: () => ['unextend', 'a', 'b', '--server', 'node-b'], exit: 2, message: /unexpected argument "b"/ },
    { name: 'unknown flag', args: () => ['status', '--colour'], exit: 2, message: /Unknown option '--colour'/ },
    { name: 'deleting a child others depend on', args: () => ['delete', 'a'], exit: 11, message: /b depends on it/ },
    {
      name: 'create with a kit whose create check fails',
      args: () => ['create', 'rec', '--tag', 'c', '--opt', 'dir=/nonexistent/dir'],
      exit: 1,
      message: /dir \/nonexistent\/dir does not exist/,
    },
  ];
  for (const c of cases) {
    it(`${c.name}: exit ${c.exit}, a clear message, store byte-for-byte unchanged`, async () => {
      const sb = recSandbox();
      await sb.create('a');
      await sb.create('b');
      await sb.ok(['dep', 'add', 'b', 'a']);
      if (c.tunables) sb.setTunables(c.tunables);
      const before = sb.storeBytes();
      const r = await sb.run(c.args(sb.dir));
      expect(r.exitCode, r.stderr).toBe(c.exit);
      expect(r.stderr).toMatch(c.message);
      expect(r.stderr).toMatch(/fix: |usage: /);
      expect(sb.storeBytes()).toBe(before);
    });
  }

  it('--json errors are machine-readable', async () => {
    const sb = recSandbox();
    const r = await sb.run(['action', 'nosuch', 'restore', '--json']);
    expect(r.exitCode).toBe(10);
    expect(r.json).toMatchObject({ ok: false, error: { code: 'UNKNOWN_TAG', exitCode: 10 } });
  });
});

describe('timeouts, quickCheck, recover, monitor', () => {
  it('an action that outlives its timeout tunable fails with exit 124 and OSF', async () => {
    const sb = recSandbox();
    await sb.create('slow', ['sleepMs=5000']);
    sb.setTunables({ REC_RESTORE_TIMEOUT_slow: 1 });
    const r = await sb.run(['action', 'slow', 'restore']);
    expect(r.exitCode).toBe(124);
    expect(r.stderr).toMatch(/did not finish within 1 s/);
    expect(await states(sb)).toEqual({ slow: 'OSF' });
  });

  it('quickCheck exits 0 when healthy and 7 when not, without changing state', async () => {
    const sb = recSandbox();
    await sb.create('a');
    expect((await sb.run(['action', 'a', 'quickCheck'])).exitCode).toBe(7);
    await sb.ok(['action', 'a', 'restore']);
    const before = sb.storeBytes();
    expect((await sb.run(['action', 'a', 'quick-check'])).exitCode).toBe(0);
    expect(sb.storeBytes()).toBe(before);
  });

  it('monitor --once: a failed check is recovered; unknown is logged and left alone', async () => {
    const sb = recSandbox();
    await sb.create('a');
    await sb.create('u', ['failOn=quickCheckUnknown']);
    await sb.ok(['action', 'a', 'restore']);
    await sb.ok(['action', 'u', 'restore']);
    const { rmSync } = await import('node:fs');
    rmSync(join(sb.dir, 'a@node-a.up'));
    const r = await sb.run(['monitor', '--once', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    const outcomes = (r.json as { outcomes: Array<{ tag: string; result: string }> }).outcomes;
    expect(outcomes.sort((x, y) => x.tag.localeCompare(y.tag))).toMatchObject([
      { tag: 'a', result: 'recovered' },
      { tag: 'u', result: 'unknown' },
    ]);
    expect(r.stderr).toMatch(/u: quickCheck could not tell/);
    expect(await states(sb)).toEqual({ a: 'ISP', u: 'ISP' });
  });

  it('monitor --once: when recover fails the resource goes OSF and the escalation command runs', async () => {
    const sb = recSandbox();
    await sb.create('a', ['failOn=recover']);
    await sb.ok(['action', 'a', 'restore']);
    const { rmSync, writeFileSync, chmodSync } = await import('node:fs');
    rmSync(join(sb.dir, 'a@node-a.up'));
    const script = join(sb.dir, 'escalate.sh');
    writeFileSync(script, `#!/bin/sh\necho "$KIT_RUNNER_TAG|$KIT_RUNNER_NODE|$KIT_RUNNER_REASON|$1" > ${join(sb.dir, 'escalated')}\n`);
    chmodSync(script, 0o755);
    sb.setTunables({ ESCALATION_COMMAND: `${script} failover` });
    const r = await sb.run(['monitor', '--once']);
    expect(r.exitCode).toBe(7);
    expect(await states(sb)).toEqual({ a: 'OSF' });
    expect(readFileSync(join(sb.dir, 'escalated'), 'utf8')).toMatch(/^a\|node-a\|recover failed: recover of a failed on purpose\|failover/);
  });

  it('a long-running monitor stops cleanly on SIGTERM', async () => {
    const sb = recSandbox();
    await sb.create('a');
    await sb.ok(['action', 'a', 'restore']);
    sb.setTunables({ LKCHECKINTERVAL: 1 });
    const child = sb.spawn(['monitor']);
    let err = '';
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    await new Promise((r) => setTimeout(r, 2500));
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    expect(code).toBe(0);
    expect(err).toMatch(/SIGTERM received/);
    expect(sb.log().filter((l) => l.action === 'quickCheck').length).toBeGreaterThanOrEqual(2);
  });

  it("runs a kit's own named action with the arguments after --", async () => {
    const sb = recSandbox();
    await sb.create('a');
    const r = await sb.ok(['action', 'a', 'hello', '--json', '--', 'x', 'y']);
    expect(r.json).toMatchObject({ ok: true, result: { tag: 'a', args: ['x', 'y'] } });
    expect((await sb.run(['action', 'a', 'nosuchaction'])).exitCode).toBe(3);
  });
});

describe('help', () => {
  it('every command answers --help with its usage, exit 0', async () => {
    const sb = recSandbox();
    for (const cmd of ['status', 'kits', 'create', 'extend', 'unextend', 'delete', 'dep', 'action', 'tunables', 'monitor']) {
      const r = await sb.run([cmd, '--help']);
      expect(r.exitCode, cmd).toBe(0);
      expect(r.stdout, cmd).toMatch(new RegExp(`Usage: kit-runner ${cmd}`));
      expect(r.stdout, cmd).toMatch(/--state-dir DIR/);
    }
    const top = await sb.run(['--help']);
    expect(top.exitCode).toBe(0);
    expect(top.stdout).toMatch(/Exit codes: 0 ok/);
    expect(top.stdout).toMatch(/-V, --version/);
    const v = await sb.run(['-V']);
    expect(v.exitCode).toBe(0);
    expect(v.stdout).toMatch(/^\d+\.\d+\.\d+/);
    expect((await sb.run([])).exitCode).toBe(2);
    const create = await sb.run(['create', 'rec', '--help']);
    expect(create.stdout).toMatch(/sleepMs\s+integer/);
  });

  it('tunables shows values, defaults and their source', async () => {
    const sb = recSandbox();
    sb.setTunables({ LKCHECKINTERVAL: 30 });
    const r = await sb.ok(['tunables', '--json']);
    const rows = (r.json as { tunables: Array<{ name: string; value: unknown; source: string; owner: string }> }).tunables;
    expect(rows.find((t) => t.name === 'LKCHECKINTERVAL')).toMatchObject({ value: 30, source: 'file', owner: 'runner' });
    expect(rows.find((t) => t.name === 'REC_RESTORE_TIMEOUT')).toMatchObject({ value: 30, source: 'default', owner: 'rec' });
    expect(rows.find((t) => t.name === 'LOCAL_RECOVERY')).toMatchObject({ value: true, source: 'default' });
  });

  it('tunables keeps # and ; in values and warns of a typo with a did-you-mean (--strict: exit 6)', async () => {
    const sb = recSandbox();
    sb.setTunables('ESCALATION_COMMAND=/usr/bin/page --channel=#ops --msg=a;b\nLKCHECKINTERVL=30\nREC_RESTORE_TIMEOUT_db=5\n');
    const r = await sb.ok(['tunables', '--json']);
    const j = r.json as {
      formatVersion: number;
      tunables: Array<{ name: string; value: unknown; owner: string | null }>;
      warnings: Array<{ key: string; fix: string }>;
    };
    expect(j.formatVersion).toBe(1);
    expect(j.tunables.find((t) => t.name === 'ESCALATION_COMMAND')!.value).toBe('/usr/bin/page --channel=#ops --msg=a;b');
    expect(j.tunables.find((t) => t.name === 'REC_RESTORE_TIMEOUT_db')).toMatchObject({ value: 5, owner: 'rec' });
    expect(j.warnings).toEqual([expect.objectContaining({ key: 'LKCHECKINTERVL', fix: expect.stringMatching(/did you mean LKCHECKINTERVAL\?/) })]);
    const human = await sb.ok(['tunables']);
    expect(human.stderr.match(/warning: .*LKCHECKINTERVL is not a tunable/g)).toHaveLength(1);
    const strict = await sb.run(['tunables', '--strict']);
    expect(strict.exitCode).toBe(6);
    expect(strict.stderr).toMatch(/LKCHECKINTERVL[\s\S]*did you mean LKCHECKINTERVAL/);
    const status = await sb.ok(['status']);
    expect(status.stderr).not.toMatch(/LKCHECKINTERVL/);
  });
});

describe('status and step output an operator can read at 3 a.m.', () => {
  it('prints step lines in the walk order (children first) and -q prints only errors', async () => {
    const sb = recSandbox();
    await hierarchy(sb);
    await sb.ok(['action', 'db', 'restore']);
    const r = await sb.ok(['action', 'app', 'restore']);
    const lines = r.stderr.split('\n').filter((l) => /^restore \w+: /.test(l));
    expect(lines.map((l) => l.replace(/ \(\d+ ms\)$/, ''))).toEqual([
      'restore db: skipped (already in service)',
      'restore vip: ok',
      'restore web: ok',
      'restore app: ok',
    ]);
    expect(r.stdout).toMatch(/^restore app on node-a: ok/);
    const quiet = await sb.ok(['action', 'app', 'remove', '-q']);
    expect(quiet.stdout).toBe('');
    expect(quiet.stderr).toBe('');
    const failing = recSandbox();
    await failing.create('x', ['failOn=restore']);
    const err = await failing.run(['action', 'x', 'restore', '-q']);
    expect(err.exitCode).toBe(1);
    expect(err.stderr).toMatch(/error: .*restore of x failed on purpose/);
    expect(err.stderr).not.toMatch(/^restore x: failed/m);
  });

  it('folds a multi-line reason onto one line, shows since and the check counts, and has a formatVersion', async () => {
    const sb = recSandbox();
    await hierarchy(sb);
    const file = join(sb.stateDir, 'store.json');
    const data = JSON.parse(readFileSync(file, 'utf8'));
    const since = new Date(Date.now() - 5 * 60_000).toISOString();
    Object.assign(data.resources.web.servers['node-a'], {
      reason: 'restore failed: first line\n    second line\n',
      unknown: { count: 3, since, reason: 'cannot tell' },
    });
    writeFileSync(file, JSON.stringify(data));
    const human = await sb.ok(['status']);
    const web = human.stdout.split('\n').find((l) => /web/.test(l))!;
    expect(web).toMatch(/restore failed: first line \/ second line$/);
    expect(web).toMatch(/unknown 3x since 5m ago/);
    expect(human.stdout).toMatch(/SINCE/);
    expect(human.stdout.split('\n').filter((l) => /second line/.test(l))).toHaveLength(1);
    const j = (await sb.ok(['status', '--json'])).json as {
      formatVersion: number;
      resources: Array<{ tag: string; servers: Record<string, { unknown?: { count: number } }> }>;
    };
    expect(j.formatVersion).toBe(1);
    expect(j.resources.find((x) => x.tag === 'web')!.servers['node-a']!.unknown!.count).toBe(3);
  });

  it("prints a kit action's result as key: value lines, JSON only with --json", async () => {
    const sb = recSandbox();
    await sb.create('h');
    const r = await sb.ok(['action', 'h', 'hello', '--', 'a', 'b']);
    expect(r.stdout).toBe('tag: h\nargs: a, b\n');
    const j = await sb.ok(['action', 'h', 'hello', '--json', '--', 'a']);
    expect((j.json as { result: unknown }).result).toEqual({ tag: 'h', args: ['a'] });
  });
});

describe('documented exit codes', () => {
  it('permission denied on the store is exit 4 (PERMISSION), not 6', async () => {
    const sb = recSandbox();
    await sb.create('p');
    chmodSync(sb.stateDir, 0o755);
    chmodSync(join(sb.stateDir, 'store.json'), 0o600);
    // root reads everything: run the same bundle as nobody (uid 65534), who may not read the store.
    const bin = fileURLToPath(new URL('../bin/kit-runner.js', import.meta.url));
    const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, bin, '--state-dir', sb.stateDir, 'status'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', KIT_RUNNER_NODE: 'node-a' },
    });
    expect(r.stderr).toMatch(/EACCES|permission denied/i);
    expect(r.stderr).toMatch(/code: PERMISSION_DENIED \(exit 4\)/);
    expect(r.status).toBe(4);
  });
});
