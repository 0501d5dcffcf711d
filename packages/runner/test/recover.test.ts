/** A kit without recover: the runner recovers it with remove, then restore, of that one resource. */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

describe('recover for a kit without one', () => {
  it('action recover runs remove then restore of that resource only, and records ISP', async () => {
    const sb = recSandbox();
    await sb.ok(['create', 'norec', '--tag', 'child', '--opt', `dir=${sb.dir}`]);
    await sb.ok(['create', 'norec', '--tag', 'top', '--opt', `dir=${sb.dir}`]);
    await sb.ok(['dep', 'add', 'top', 'child']);
    await sb.ok(['action', 'top', 'restore']);
    const before = sb.log().length;
    const r = await sb.run(['action', 'child', 'recover', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect(sb.log().slice(before).map((l) => `${l.tag}:${l.action}`)).toEqual(['child:remove:start', 'child:remove:end', 'child:restore:start', 'child:restore:end']);
    const st = (await sb.ok(['status', '--json'])).json as { resources: Array<{ tag: string; local: { state: string } }> };
    expect(Object.fromEntries(st.resources.map((x) => [x.tag, x.local.state]))).toEqual({ child: 'ISP', top: 'ISP' });
  });

  it('the monitor recovers such a resource instead of escalating', async () => {
    const sb = recSandbox();
    await sb.ok(['create', 'norec', '--tag', 'a', '--opt', `dir=${sb.dir}`]);
    await sb.ok(['action', 'a', 'restore']);
    rmSync(join(sb.dir, 'a@node-a.up'));
    const r = await sb.run(['monitor', '--once', '--json']);
    expect(r.exitCode, r.stderr).toBe(0);
    expect((r.json as { outcomes: Array<{ tag: string; result: string }> }).outcomes).toEqual([expect.objectContaining({ tag: 'a', result: 'recovered' })]);
    expect((await sb.run(['action', 'a', 'quickCheck'])).exitCode).toBe(0);
  });

  it('when the restore fails the resource is OSF with the reason, exit 1', async () => {
    const sb = recSandbox();
    await sb.ok(['create', 'norec', '--tag', 'a', '--opt', `dir=${sb.dir}`]);
    await sb.ok(['action', 'a', 'restore']);
    await sb.ok(['delete', 'a', '--force']);
    await sb.ok(['create', 'norec', '--tag', 'a', '--opt', `dir=${sb.dir}`, '--opt', 'failOn=restore']);
    const r = await sb.run(['action', 'a', 'recover']);
    expect(r.exitCode).toBe(1);
    const st = (await sb.ok(['status', '--json'])).json as { resources: Array<{ local: { state: string; reason: string } }> };
    expect(st.resources[0]!.local).toMatchObject({ state: 'OSF', reason: 'restore failed: restore of a failed on purpose' });
  });
});
