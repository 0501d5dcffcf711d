// The tag rule (issue 16, item 6): every tag create accepts works with every command; anything
// else is refused at create with exit 6, a fix, and no change to the store.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { tagProblem } from '@recovery-kit/sdk';
import { describe, expect, it } from 'vitest';
import { recSandbox } from './helpers.ts';

describe('tags', () => {
  it('refuses at create, with exit 6 and the rule, what no command could use', async () => {
    const sb = recSandbox();
    for (const bad of ['store', 'STORE', 'x'.repeat(81), 'x'.repeat(256), '-x', '.a', '/a', 'a b', 'a$b', '']) {
      const before = sb.storeBytes();
      const r = await sb.run(['create', 'rec', '--tag', bad, '--opt', `dir=${sb.dir}`]);
      // "" and "-x" may already be refused by the command line parser (exit 2, usage).
      expect(bad === '' || bad === '-x' ? [2, 6] : [6], `${JSON.stringify(bad)}: exit ${r.exitCode}: ${r.stderr}`).toContain(r.exitCode);
      if (r.exitCode === 6) expect(r.stderr, bad).toMatch(/is not valid: .*\n?.*1-80 letters/s);
      expect(sb.storeBytes(), bad).toBe(before);
    }
    expect(tagProblem('-x')).toMatch(/starts with "-"/);
    expect(tagProblem('store')).toMatch(/reserved/);
    expect(tagProblem('x'.repeat(81))).toMatch(/81 characters/);
  });

  it('the longest tag, and a/b beside a_2Fb, work through restore, dep add, remove and delete', async () => {
    const sb = recSandbox();
    // All underscores: the longest encoding (`_5F` each), 247 bytes with the prefix and suffix.
    const long = `${'_'.repeat(79)}z`;
    expect(long.length).toBe(80);
    for (const t of [long, 'a/b', 'a_2Fb']) await sb.create(t);
    // Same lock name before: dep add took one lock twice and waited on itself.
    sb.setTunables({ LOCK_WAIT_TIMEOUT: 2 });
    await sb.ok(['dep', 'add', 'a/b', 'a_2Fb']);
    await sb.ok(['dep', 'add', 'a_2Fb', long]);
    await sb.ok(['action', long, 'restore']);
    const locks = readdirSync(join(sb.stateDir, 'locks'));
    for (const l of locks) expect(Buffer.byteLength(l), l).toBeLessThanOrEqual(255);
    await sb.ok(['action', long, 'remove']);
    await sb.ok(['delete', 'a/b']);
    await sb.ok(['delete', 'a_2Fb']);
    await sb.ok(['delete', long]);
    expect(Object.keys(JSON.parse(sb.storeBytes()).resources)).toEqual([]);
  });
});
