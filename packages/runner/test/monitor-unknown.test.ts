// quickCheck's three outcomes kept apart (issue 16, item 3): a check that could not tell
// (configuration problem, its own timeout, a damaged store, a bogus answer) leaves the resource
// in service, is counted in the store, and only after UNKNOWN_LIMIT in a row is treated as failed.
import { chmodSync, existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FileStore } from '@recovery-kit/runner';
import { describe, expect, it } from 'vitest';
import { recSandbox, type RecSandbox } from './helpers.ts';

type Outcome = { tag: string; result: string; reason?: string };

function escalation(sb: RecSandbox): string {
  const script = join(sb.dir, 'escalate.sh');
  writeFileSync(script, `#!/bin/sh\necho "$KIT_RUNNER_TAG" >> ${join(sb.dir, 'escalated')}\n`);
  chmodSync(script, 0o755);
  return script;
}

const entry = (sb: RecSandbox, tag: string) => JSON.parse(sb.storeBytes()).resources[tag].servers['node-a'];
const recovers = (sb: RecSandbox, tag: string) => sb.log().filter((l) => l.tag === tag && l.action === 'recover:start').length;

async function once(sb: RecSandbox): Promise<Outcome[]> {
  const r = await sb.run(['monitor', '--once', '--json']);
  expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
  return (r.json as { outcomes: Outcome[] }).outcomes;
}

describe('quickCheck outcomes: healthy, failed, unknown', () => {
  it('a configuration problem is unknown: no recover, no escalation, counted; failed after UNKNOWN_LIMIT in a row', async () => {
    const sb = recSandbox();
    sb.setTunables({ ESCALATION_COMMAND: escalation(sb), UNKNOWN_LIMIT: 2 });
    await sb.create('pg', ['failOn=quickCheckConfig']);
    await sb.ok(['action', 'pg', 'restore']);
    const first = await once(sb);
    expect(first).toMatchObject([{ tag: 'pg', result: 'unknown' }]);
    expect(first[0]!.reason).toMatch(/group or world access.*chmod 600/);
    expect(entry(sb, 'pg').state).toBe('ISP');
    expect(entry(sb, 'pg').unknown).toMatchObject({ count: 1, reason: expect.stringMatching(/mode 644/) });
    const since = entry(sb, 'pg').unknown.since;
    expect(recovers(sb, 'pg')).toBe(0);
    expect(existsSync(join(sb.dir, 'escalated'))).toBe(false);
    // The second unknown in a row reaches UNKNOWN_LIMIT=2: now it is a failure, with the reason.
    const second = await once(sb);
    expect(second[0]!.result).toBe('recovered');
    expect(second[0]!.reason).toMatch(/could not tell 2 times in a row since .*UNKNOWN_LIMIT=2.*mode 644/);
    expect(since).toMatch(/^\d{4}-/);
    expect(recovers(sb, 'pg')).toBe(1);
    // recover recorded ISP and ended the run of unknowns.
    expect(entry(sb, 'pg').unknown).toBeUndefined();
  });

  it('a quickCheck that exceeds its own timeout is unknown, not failed', async () => {
    const sb = recSandbox();
    sb.setTunables({ ESCALATION_COMMAND: escalation(sb), QUICKCHECK_TIMEOUT: 1 });
    await sb.create('slow', ['failOn=quickCheckHang']);
    await sb.ok(['action', 'slow', 'restore']);
    const o = await once(sb);
    expect(o).toMatchObject([{ tag: 'slow', result: 'unknown' }]);
    expect(o[0]!.reason).toMatch(/did not finish within 1 s/);
    expect(recovers(sb, 'slow')).toBe(0);
    expect(entry(sb, 'slow').state).toBe('ISP');
    expect(existsSync(join(sb.dir, 'escalated'))).toBe(false);
  });

  it('a dependency on a tag that no longer exists is store damage: reported with the file, never a recover or an escalation', async () => {
    const sb = recSandbox();
    sb.setTunables({ ESCALATION_COMMAND: escalation(sb) });
    await sb.create('c');
    await sb.create('p');
    await sb.ok(['dep', 'add', 'p', 'c']);
    await sb.ok(['action', 'p', 'restore']);
    const file = new FileStore(sb.stateDir).file;
    const s = JSON.parse(readFileSync(file, 'utf8'));
    delete s.resources.c;
    writeFileSync(file, JSON.stringify(s));
    for (let i = 0; i < 2; i++) {
      const r = await sb.run(['monitor', '--once']);
      expect(r.exitCode, r.stderr).toBe(6);
      expect(r.stderr).toContain(file);
      expect(r.stderr).toMatch(/damaged: dependency p -> c names c, which has no resource record/);
      expect(r.stderr).not.toMatch(/\n\s+at .+:\d+:\d+/);
    }
    expect(existsSync(join(sb.dir, 'escalated'))).toBe(false);
    expect(recovers(sb, 'p')).toBe(0);
  });

  it('a bogus answer is unknown with a reason naming it; missing credentials are failed at once', async () => {
    const sb = recSandbox();
    sb.setTunables({ LOCAL_RECOVERY: 0 });
    await sb.create('b', ['failOn=quickCheckBogus']);
    await sb.create('d', ['failOn=quickCheckDenied']);
    await sb.ok(['action', 'b', 'restore']);
    await sb.ok(['action', 'd', 'restore']);
    const o = (await once(sb)).sort((x, y) => x.tag.localeCompare(y.tag));
    expect(o[0]).toMatchObject({ tag: 'b', result: 'unknown' });
    expect(o[0]!.reason).toMatch(/invalid answer \("bogus"; expected status ok, failed or unknown\)/);
    expect(o[1]).toMatchObject({ tag: 'd', result: 'failed' });
    expect(o[1]!.reason).toMatch(/no credentials/);
    expect(entry(sb, 'd').state).toBe('OSF');
    const q = await sb.run(['action', 'b', 'quickCheck']);
    expect(q.stdout).toMatch(/could not tell: kit rec's quickCheck gave an invalid answer/);
    expect(q.stdout).not.toMatch(/undefined/);
  });
});
