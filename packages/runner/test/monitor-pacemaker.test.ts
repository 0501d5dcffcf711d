// The monitor beside Pacemaker (issue 14, item 9): in cluster mode (KIT_RUNNER_STORE=cib)
// Pacemaker monitors and recovers every resource, so kit-runner's monitor must watch none, even
// those the local file store still remembers as in service here (it used to quickCheck them and
// restore a failed one on this node, behind Pacemaker's back).
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

describe('the monitor in cluster mode', () => {
  it('watches nothing with KIT_RUNNER_STORE=cib; the same store is watched without it', async () => {
    const sb = recSandbox();
    await sb.create('a');
    await sb.ok(['action', 'a', 'restore']);
    const broke = Date.now();
    rmSync(join(sb.dir, 'a@node-a.up'));
    const r = await sb.run(['monitor', '--once', '--json'], { env: { KIT_RUNNER_STORE: 'cib' } });
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.json).toMatchObject({ outcomes: [] });
    expect(r.stderr).toMatch(/cluster mode \(KIT_RUNNER_STORE=cib\): Pacemaker monitors and recovers the resources/);
    expect(sb.log().filter((l) => l.tag === 'a' && l.t >= broke)).toEqual([]);
    const plain = await sb.run(['monitor', '--once', '--json']);
    expect(plain.json).toMatchObject({ outcomes: [{ tag: 'a', result: 'recovered' }] });
  });
});
