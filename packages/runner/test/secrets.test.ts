/**
 * Secret options (issue 16, item 9): never stored in clear (the store holds a reference to a
 * 0600 file in STATE_DIR/secrets, per-server overrides included), never echoed: validation
 * errors, extend's warning about a child's values, status and --json, history.jsonl, logs, a
 * kit's own errors, log lines, check reasons and failed command lines. Every path is run with
 * marker values, and the store, the state directory and every output are searched for them.
 */
import { readdirSync, readFileSync, statSync, chmodSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { RunResult } from '@recovery-kit/testing';
import { recSandbox } from './helpers.ts';

const PIN = '73914426';
const TOKEN = 'hbTOKEN77secret';
const TOKEN_B = 'zzOTHERtoken42';

/** Every file under the state directory except the secret files themselves, as one text. */
function stateText(dir: string): string {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const n of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, n.name);
      if (n.isDirectory()) {
        if (n.name !== 'secrets') walk(p);
      } else out.push(readFileSync(p, 'utf8'));
    }
  };
  if (existsSync(dir)) walk(dir);
  return out.join('\n');
}

function expectClean(sb: ReturnType<typeof recSandbox>, outputs: RunResult[], values = [PIN, TOKEN, TOKEN_B]) {
  const text = [stateText(sb.stateDir), ...outputs.flatMap((r) => [r.stdout, r.stderr])].join('\n');
  for (const v of values) expect(text).not.toContain(v);
}

describe('secret options', () => {
  it('are stored as references to 0600 files, per-server overrides too, and reach the kit in clear', async () => {
    const sb = recSandbox();
    const outs: RunResult[] = [];
    const run = async (args: string[], node?: string) => {
      const r = await sb.run(args, node ? { node } : {});
      outs.push(r);
      if (r.exitCode !== 0) throw new Error(`${args.join(' ')}: ${r.exitCode} ${r.stderr}`);
      return r;
    };
    await run(['create', 'vault', '--tag', 'v', '--opt', `dir=${sb.dir}`, '--opt', `pin=${PIN}`, '--opt', `token=${TOKEN}`, '-v']);
    await run(['extend', 'v', '--server', 'node-b', '--priority', '2', '--opt', `token=${TOKEN_B}`, '-v']);
    const store = JSON.parse(sb.storeBytes());
    expect(store.resources.v.options.pin).toEqual({ $secret: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(store.resources.v.options.token).toEqual({ $secret: expect.stringMatching(/^[0-9a-f]{32}$/) });
    expect(store.resources.v.servers['node-b'].overrides.token).toEqual({ $secret: expect.stringMatching(/^[0-9a-f]{32}$/) });
    const secrets = join(sb.stateDir, 'secrets');
    expect(statSync(secrets).mode & 0o777).toBe(0o700);
    const files = readdirSync(secrets);
    expect(files.length).toBe(3);
    for (const f of files) expect(statSync(join(secrets, f)).mode & 0o777).toBe(0o600);
    await run(['action', 'v', 'restore', '-v']);
    expect(JSON.parse(readFileSync(join(sb.dir, 'v@node-a.seen'), 'utf8'))).toEqual({ pin: Number(PIN), token: TOKEN });
    await run(['action', 'v', 'restore', '-v'], 'node-b');
    expect(JSON.parse(readFileSync(join(sb.dir, 'v@node-b.seen'), 'utf8'))).toEqual({ pin: Number(PIN), token: TOKEN_B });
    await run(['status']);
    await run(['status', '--json']);
    await run(['action', 'v', 'quickCheck', '--json']);
    expectClean(sb, outs);
    // A secret file with group or world access is refused, naming the option, not quoting it.
    for (const f of files) chmodSync(join(secrets, f), 0o644);
    const bad = await sb.run(['action', 'v', 'remove'], { node: 'node-b' });
    expect(bad.exitCode).toBe(6);
    expect(bad.stderr).toMatch(/the secret option (pin|token) of v cannot be read from .*: it must be a file .* mode 0600/);
    for (const f of files) chmodSync(join(secrets, f), 0o600);
    // unextend and delete remove the files of what they remove.
    await run(['action', 'v', 'remove'], 'node-b');
    await run(['unextend', 'v', '--server', 'node-b']);
    expect(readdirSync(secrets).length).toBe(2);
    await run(['delete', 'v', '--force']);
    expect(readdirSync(secrets).length).toBe(0);
    expectClean(sb, outs);
  });

  it('are never quoted in a validation error, and a refused create leaves no secret file', async () => {
    const sb = recSandbox();
    const outs = [
      await sb.run(['create', 'vault', '--tag', 'v', '--opt', `dir=${sb.dir}`, '--opt', 'pin=hbPIN77', '--opt', `token=${TOKEN}-x`]),
      await sb.run(['create', 'vault', '--tag', 'v', '--opt', `dir=${sb.dir}`, '--opt', 'pin=417', '--json']),
      await sb.run(['create', 'vault', '--tag', 'v', '--opt', `dir=${sb.dir}`, '--opt', `pin=${PIN}0000`]),
    ];
    for (const r of outs) expect(r.exitCode).toBe(6);
    expect(outs[0]!.stderr).toMatch(/pin: the value is not a whole number/);
    expect(outs[0]!.stderr).toMatch(/token: the value does not match/);
    expect(outs[1]!.stdout).toMatch(/the value is below the minimum 1000/);
    expectClean(sb, outs, ['hbPIN77', `${TOKEN}-x`, '417', `${PIN}0000`]);
    expect(sb.storeBytes()).toBe('');
    expect(existsSync(join(sb.stateDir, 'secrets')) ? readdirSync(join(sb.stateDir, 'secrets')) : []).toEqual([]);
  });

  it("a kit quoting its secrets in errors, logs, check reasons or a failed command's line is scrubbed everywhere; extend's warning hides them", async () => {
    const sb = recSandbox();
    sb.setTunables({ LOCAL_RECOVERY: 0 });
    const outs: RunResult[] = [];
    const run = async (args: string[]) => {
      const r = await sb.run(args);
      outs.push(r);
      return r;
    };
    for (const [tag, leak] of [
      ['e', 'error'],
      ['l', 'log'],
      ['x', 'exec'],
    ] as const) {
      expect(
        (await run(['create', 'vault', '--tag', tag, '--opt', `dir=${sb.dir}`, '--opt', `pin=${PIN}`, '--opt', `token=${TOKEN}`, '--opt', `leak=${leak}`]))
          .exitCode,
      ).toBe(0);
      await run(['action', tag, 'restore', '-v']);
      await run(['action', tag, 'restore', '--json', '-v']);
    }
    expect(outs.find((r) => r.stderr.includes('login with pin ********'))).toBeDefined();
    expect(outs.find((r) => r.stderr.includes('logging in with pin ******** token ********'))).toBeDefined();
    const st = JSON.parse(sb.storeBytes());
    expect(st.resources.e.servers['node-a']).toMatchObject({ state: 'OSF', reason: expect.stringMatching(/login with pin \*{8} token \*{8} refused/) });
    expect(st.resources.x.servers['node-a'].reason).toMatch(/exit(ed)? 3/);
    // A check reason quoting them, recorded by the monitor.
    await run(['create', 'vault', '--tag', 'c', '--opt', `dir=${sb.dir}`, '--opt', `pin=${PIN}`, '--opt', `token=${TOKEN}`, '--opt', 'leak=check']);
    await sb.run(['create', 'rec', '--tag', 'p', '--opt', `dir=${sb.dir}`]);
    expect((await run(['action', 'c', 'restore'])).exitCode).toBe(0);
    const q = await run(['action', 'c', 'quickCheck', '--json']);
    expect(q.stdout).toMatch(/pin \*{8} token \*{8} rejected/);
    await run(['monitor', '--once', '--json']);
    expect(JSON.parse(sb.storeBytes()).resources.c.servers['node-a'].state).toBe('OSF');
    // A parent extended to another server takes its secret child along: the warning hides the child's values.
    await run(['create', 'vault', '--tag', 'child', '--opt', `dir=${sb.dir}`, '--opt', `pin=${PIN}`, '--opt', `token=${TOKEN}`]);
    await run(['dep', 'add', 'p', 'child']);
    const ext = await run(['extend', 'p', '--server', 'node-b', '--priority', '2']);
    expect(ext.exitCode).toBe(0);
    expect(ext.stderr).toMatch(/child is extended to node-b along with p, with the values it has elsewhere: token=\*{8}/);
    expectClean(sb, outs, [PIN, TOKEN]);
  });
});
